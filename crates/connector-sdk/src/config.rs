//! The configuration a connector receives.

use connector_abi::wire::{PluginConfig, RunOptions};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ConnectorError;

/// The workflow's `source` section plus the host's run options.
///
/// Read typed parts with [`SourceConfig::connection`] and
/// [`SourceConfig::source_config`] into any `Deserialize` type (the generated
/// OpenMetadata types or your own); errors name the path of the bad value. The
/// section holds secrets, so `Debug` shows only the source type and service name.
#[derive(Clone)]
pub struct SourceConfig {
    source: Value,
    run: RunOptions,
}

impl SourceConfig {
    /// A config from the `source` section as JSON and the run options.
    pub fn new(source: Value, run: RunOptions) -> Self {
        SourceConfig { source, run }
    }

    /// Reads the config JSON the host passes across the boundary.
    pub(crate) fn from_boundary_json(text: &str) -> Result<Self, ConnectorError> {
        let config: PluginConfig = serde_json::from_str(text).map_err(|e| {
            ConnectorError::config(format!("the host sent an unreadable config: {e}"))
        })?;
        if !config.source.is_object() {
            return Err(ConnectorError::config(
                "the `source` section is not an object",
            ));
        }
        Ok(SourceConfig::new(config.source, config.run))
    }

    /// `source.type`, empty when absent.
    pub fn source_type(&self) -> &str {
        self.source
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `source.serviceName`.
    pub fn service_name(&self) -> Option<&str> {
        self.source.get("serviceName").and_then(Value::as_str)
    }

    /// `source.serviceName`, or a configuration error when it is missing.
    pub fn require_service_name(&self) -> Result<&str, ConnectorError> {
        self.service_name()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectorError::config("source.serviceName is missing"))
    }

    /// The whole `source` section.
    pub fn raw(&self) -> &Value {
        &self.source
    }

    /// `source.serviceConnection.config` as JSON.
    pub fn connection_json(&self) -> Option<&Value> {
        self.source.pointer("/serviceConnection/config")
    }

    /// `source.sourceConfig.config` as JSON.
    pub fn source_config_json(&self) -> Option<&Value> {
        self.source.pointer("/sourceConfig/config")
    }

    /// `source.serviceConnection.config` as `T`.
    pub fn connection<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        let value = self
            .connection_json()
            .ok_or_else(|| ConnectorError::config("source.serviceConnection.config is missing"))?;
        typed(value, "source.serviceConnection.config")
    }

    /// `source.sourceConfig.config` as `T`; an absent section reads as `{}` so that
    /// a type whose fields all have defaults gets its defaults.
    pub fn source_config<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        let empty = Value::Object(Default::default());
        let value = self.source_config_json().unwrap_or(&empty);
        typed(value, "source.sourceConfig.config")
    }

    /// The value at a JSON pointer inside `source` (`/serviceConnection/config/
    /// connectionArguments/catalogPath`) as `T`, `None` when absent.
    pub fn get<T: DeserializeOwned>(&self, pointer: &str) -> Result<Option<T>, ConnectorError> {
        match self.source.pointer(pointer) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let path = format!("source{}", pointer.replace('/', "."));
                typed(v, &path).map(Some)
            }
        }
    }

    /// What the host decided for this run.
    pub fn run_options(&self) -> &RunOptions {
        &self.run
    }

    /// `omctl run --dry-run`.
    pub fn dry_run(&self) -> bool {
        self.run.dry_run
    }
}

fn typed<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, ConnectorError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let at = if inner == "." {
            path.to_owned()
        } else {
            format!("{path}.{inner}")
        };
        ConnectorError::config(format!("{at}: {}", e.inner()))
    })
}

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("type", &self.source_type())
            .field("serviceName", &self.service_name())
            .field("run", &self.run)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)] // read only to see whether it deserializes
    struct Conn {
        catalog_path: String,
        #[serde(default)]
        retries: u32,
    }

    fn config() -> SourceConfig {
        SourceConfig::new(
            json!({
                "type": "localcatalog",
                "serviceName": "local",
                "serviceConnection": {"config": {
                    "catalogPath": "c.json", "retries": "three", "password": "hunter2"
                }},
            }),
            RunOptions::default(),
        )
    }

    #[test]
    fn typed_errors_name_the_path() {
        let err = config().connection::<Conn>().unwrap_err().to_string();
        assert!(
            err.contains("source.serviceConnection.config.retries"),
            "{err}"
        );
        assert!(matches!(
            config().connection::<Conn>(),
            Err(ConnectorError::Config(_))
        ));
    }

    #[test]
    fn pointer_reads_and_absent_is_none() {
        let c = config();
        let p: Option<String> = c.get("/serviceConnection/config/catalogPath").unwrap();
        assert_eq!(p.as_deref(), Some("c.json"));
        assert_eq!(c.get::<String>("/nope").unwrap(), None);
        let err = c
            .get::<u32>("/serviceConnection/config/catalogPath")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("source.serviceConnection.config.catalogPath"),
            "{err}"
        );
    }

    #[test]
    fn absent_source_config_reads_as_empty_object() {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Pipeline {
            include_views: bool,
        }
        let p: Pipeline = config().source_config().unwrap();
        assert!(!p.include_views);
    }

    #[test]
    fn debug_shows_no_connection_values() {
        let text = format!("{:?}", config());
        assert!(text.contains("localcatalog"));
        assert!(
            !text.contains("hunter2") && !text.contains("c.json"),
            "{text}"
        );
    }

    #[test]
    fn boundary_json_must_have_a_source_object() {
        let ok =
            SourceConfig::from_boundary_json(r#"{"source":{"type":"x"},"run":{"dryRun":true}}"#)
                .unwrap();
        assert!(ok.dry_run());
        assert_eq!(ok.source_type(), "x");
        assert!(SourceConfig::from_boundary_json(r#"{"source":3}"#).is_err());
        assert!(SourceConfig::from_boundary_json("nope").is_err());
    }
}

//! The JSON documents that cross the boundary, as serde types shared by the host
//! and the SDK.
//!
//! Readers are lenient: unknown fields are ignored and every field added after
//! 1.0.0 has a default, so that hosts and plugins of different minor versions
//! understand each other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The plugin's name (`glue-database`), unique among installed plugins.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The connector-abi version the plugin was built against.
    #[serde(default)]
    pub abi_version: String,
    /// The `source.type` values it serves (`glue`).
    pub source_types: Vec<String>,
    /// The OpenMetadata service type it reads (`Glue`): the service's
    /// `serviceType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// The OpenMetadata entity type of that service (`databaseService`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_kind: Option<String>,
    /// The `serviceConnection.config.type` it expects (`Glue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// One line for `omctl plugins list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of `serviceConnection.config` (or `null` when the plugin reads
    /// no connection).
    #[serde(default)]
    pub config_schema: Value,
    /// What it can do: `metadata`, `lineage`, `pipelineStatus`, `markDeleted`,
    /// `testConnection`, `enrich`... Free-form; the host only displays them.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

impl Manifest {
    /// A manifest with a name and version and nothing else; chain the `with_`
    /// methods to fill it in.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Manifest {
            name: name.into(),
            version: version.into(),
            abi_version: String::new(),
            source_types: Vec::new(),
            service_type: None,
            service_kind: None,
            connection_type: None,
            description: None,
            config_schema: Value::Null,
            capabilities: Vec::new(),
        }
    }

    /// Adds a `source.type` this plugin serves.
    pub fn with_source_type(mut self, source_type: impl Into<String>) -> Self {
        self.source_types.push(source_type.into());
        self
    }

    /// Sets the OpenMetadata service it reads: entity type (`databaseService`) and
    /// `serviceType` (`Glue`).
    pub fn with_service(
        mut self,
        kind: impl Into<String>,
        service_type: impl Into<String>,
    ) -> Self {
        self.service_kind = Some(kind.into());
        self.service_type = Some(service_type.into());
        self
    }

    /// Sets the `serviceConnection.config.type` it expects and that config's JSON
    /// Schema.
    pub fn with_connection(mut self, connection_type: impl Into<String>, schema: Value) -> Self {
        self.connection_type = Some(connection_type.into());
        self.config_schema = schema;
        self
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn with_capability(mut self, capability: impl Into<String>) -> Self {
        self.capabilities.push(capability.into());
        self
    }
}

/// The result of a connection test: one entry per check the connector ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestConnectionReport {
    pub steps: Vec<TestStep>,
}

impl TestConnectionReport {
    /// Whether every mandatory step passed (an empty report passes).
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.passed || !s.mandatory)
    }

    /// The mandatory steps that failed.
    pub fn failed_mandatory(&self) -> impl Iterator<Item = &TestStep> {
        self.steps.iter().filter(|s| s.mandatory && !s.passed)
    }
}

/// One check of a connection test (OpenMetadata's `TestConnectionStepResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStep {
    /// What was checked (`GetDatabases`).
    pub name: String,
    /// Whether the workflow cannot run when this check fails.
    pub mandatory: bool,
    pub passed: bool,
    /// What happened, for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The underlying error, when the check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_log: Option<String>,
}

impl TestStep {
    /// A step that passed.
    pub fn passed(name: impl Into<String>, mandatory: bool, message: impl Into<String>) -> Self {
        TestStep {
            name: name.into(),
            mandatory,
            passed: true,
            message: Some(message.into()),
            error_log: None,
        }
    }

    /// A step that failed: `message` for the user, `error_log` the underlying error.
    pub fn failed(
        name: impl Into<String>,
        mandatory: bool,
        message: impl Into<String>,
        error_log: impl Into<String>,
    ) -> Self {
        TestStep {
            name: name.into(),
            mandatory,
            passed: false,
            message: Some(message.into()),
            error_log: Some(error_log.into()),
        }
    }
}

/// Why a call across the boundary failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The configuration is wrong (missing or invalid setting).
    Config,
    /// The source cannot be reached or refuses the credentials.
    Connection,
    /// The plugin panicked; the message says where.
    Panic,
    /// Anything else. Unknown kinds from a newer plugin read as this.
    #[serde(other)]
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Connection => "connection",
            ErrorKind::Panic => "panic",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it crosses the boundary (the `Err` side of every call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundaryError {
    pub kind: ErrorKind,
    pub message: String,
    /// `file:line:column` of a panic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Longer detail such as an error chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl BoundaryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BoundaryError {
            kind,
            message: message.into(),
            location: None,
            detail: None,
        }
    }

    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).expect("a boundary error always serializes")
    }

    /// Reads an error sent by the other side. Text that is not such a JSON
    /// document is kept whole as the message of an `internal` error, so that a
    /// malformed error still says something.
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text)
            .unwrap_or_else(|_| BoundaryError::new(ErrorKind::Internal, text.to_owned()))
    }
}

impl std::fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(location) = &self.location {
            write!(f, " (at {location})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BoundaryError {}

/// Progress of a running source. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// What the source is doing now (`reading tables of sales`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Units of work done so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<u64>,
    /// Units of work in total, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// What the host decided for this run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunOptions {
    /// `omctl run --dry-run`: nothing will be written. A source reads as usual;
    /// the flag is there for sources that would otherwise change state.
    pub dry_run: bool,
    /// The most verbose level the host will print (`info`, `debug`...); a plugin
    /// need not send log lines above it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// The host's version, for messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_version: Option<String>,
}

/// The config JSON passed to `test_connection` and `open`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginConfig {
    /// The workflow's `source` section (`type`, `serviceName`,
    /// `serviceConnection`, `sourceConfig`).
    pub source: Value,
    #[serde(default)]
    pub run: RunOptions,
}

impl PluginConfig {
    pub fn new(source: Value, run: RunOptions) -> Self {
        PluginConfig { source, run }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a JSON value always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn manifest_reads_with_only_required_fields_and_ignores_unknown_ones() {
        let m: Manifest = serde_json::from_value(json!({
            "name": "x", "version": "1.2.3", "sourceTypes": ["x"], "addedLater": true
        }))
        .unwrap();
        assert_eq!(m.source_types, ["x"]);
        assert_eq!(m.config_schema, Value::Null);
        assert!(m.capabilities.is_empty());
    }

    #[test]
    fn unknown_error_kind_reads_as_internal() {
        let e = BoundaryError::from_json(r#"{"kind":"quota","message":"slow down"}"#);
        assert_eq!(e.kind, ErrorKind::Internal);
        assert_eq!(e.message, "slow down");
    }

    #[test]
    fn error_that_is_not_json_keeps_its_text() {
        let e = BoundaryError::from_json("segment 3 is bad");
        assert_eq!(
            e,
            BoundaryError::new(ErrorKind::Internal, "segment 3 is bad")
        );
    }

    #[test]
    fn error_wire_shape() {
        let mut e = BoundaryError::new(ErrorKind::Panic, "index out of bounds");
        e.location = Some("src/lib.rs:3:5".into());
        assert_eq!(
            e.to_json(),
            r#"{"kind":"panic","message":"index out of bounds","location":"src/lib.rs:3:5"}"#
        );
        assert_eq!(e.to_string(), "index out of bounds (at src/lib.rs:3:5)");
    }

    #[test]
    fn report_passes_when_only_optional_steps_fail() {
        let step = |mandatory, passed| TestStep {
            name: "s".into(),
            mandatory,
            passed,
            message: None,
            error_log: None,
        };
        let ok = TestConnectionReport {
            steps: vec![step(true, true), step(false, false)],
        };
        assert!(ok.passed());
        let bad = TestConnectionReport {
            steps: vec![step(true, false), step(false, true)],
        };
        assert!(!bad.passed());
        assert_eq!(bad.failed_mandatory().count(), 1);
    }

    #[test]
    fn plugin_config_wire_shape() {
        let c = PluginConfig::new(
            json!({"type": "glue", "serviceName": "s"}),
            RunOptions {
                dry_run: true,
                ..Default::default()
            },
        );
        let v: Value = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"source": {"type": "glue", "serviceName": "s"}, "run": {"dryRun": true}})
        );
        let read: PluginConfig = serde_json::from_value(json!({"source": {}})).unwrap();
        assert!(!read.run.dry_run);
    }
}

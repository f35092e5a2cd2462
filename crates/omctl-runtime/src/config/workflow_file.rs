//! The workflow file as OpenMetadata's typed `OpenMetadataWorkflowConfig`, with the
//! settings omctl acts on checked.

use std::fmt;

use om_spec::generated::entity::services::connections::service_connection::ServiceConnection;
use om_spec::generated::metadata_ingestion::workflow::{LogLevels, OpenMetadataWorkflowConfig};

use super::document::{DeprecationWarning, Document};
use super::error::ConfigError;
use super::locate::Segment;
use super::{ConfigInput, process_env, read_input};
use crate::report::SuccessPolicy;

/// A checked workflow file.
///
/// A `serviceConnection` whose `config.type` OpenMetadata's schema (as omctl has
/// it) does not know, such as a third-party connector's `CustomDatabase`, is not
/// checked here: it is kept as written for the plugin, which checks it, and
/// [`WorkflowFile::check_connection_type`] compares its type with the plugin's.
#[derive(Debug)]
pub struct WorkflowFile {
    /// The typed file; `source.serviceConnection` is `None` for a plugin-owned
    /// connection (see [`WorkflowFile::source_json`]).
    pub config: OpenMetadataWorkflowConfig,
    /// The parsed text, to point at places in it in later errors.
    pub document: Document,
    /// Deprecated keys that were accepted; the caller logs them.
    pub deprecations: Vec<DeprecationWarning>,
    plugin_connection: Option<PluginConnection>,
}

/// A `serviceConnection` left to the plugin. It holds secrets: `Debug` shows only
/// its type.
struct PluginConnection {
    connection_type: String,
    json: serde_json::Value,
}

impl fmt::Debug for PluginConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginConnection")
            .field("connection_type", &self.connection_type)
            .finish_non_exhaustive()
    }
}

const CONNECTION: &[&str] = &["source", "serviceConnection"];
const CONNECTION_TYPE: &[&str] = &["source", "serviceConnection", "config", "type"];

/// The connection of `document` when its `config.type` is one the generated
/// types do not have.
fn plugin_connection(document: &Document) -> Option<PluginConnection> {
    let yaml = document.node(&keys(CONNECTION))?;
    let connection_type = document.node(&keys(CONNECTION_TYPE))?.as_str()?.to_string();
    let json: serde_json::Value = serde_yaml::from_value(yaml.clone()).ok()?;
    match serde_json::from_value::<ServiceConnection>(json.clone()) {
        // serde's wording for a tag no member has.
        Err(e)
            if e.to_string()
                .starts_with(&format!("unknown variant `{connection_type}`")) =>
        {
            Some(PluginConnection {
                connection_type,
                json,
            })
        }
        _ => None,
    }
}

fn keys(path: &[&str]) -> Vec<Segment> {
    path.iter()
        .map(|k| Segment::Key((*k).to_string()))
        .collect()
}

impl WorkflowFile {
    /// Reads, expands (from the process environment) and checks a workflow file.
    pub fn load(input: &ConfigInput) -> Result<WorkflowFile, ConfigError> {
        let text = read_input(input)?;
        WorkflowFile::parse(&text, &input.origin(), process_env)
    }

    /// Checks a workflow text; `env` looks variables up.
    pub fn parse(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<WorkflowFile, ConfigError> {
        let (document, deprecations) = Document::parse(text, origin, env)?;
        let plugin_connection = plugin_connection(&document);
        let config: OpenMetadataWorkflowConfig = match &plugin_connection {
            Some(_) => document.typed_without(&keys(CONNECTION))?,
            None => document.typed()?,
        };
        let file = WorkflowFile {
            config,
            document,
            deprecations,
            plugin_connection,
        };
        file.check()?;
        Ok(file)
    }

    /// Checks what the schema's types do not: ranges and non-empty names.
    fn check(&self) -> Result<(), ConfigError> {
        let threshold = self.config.workflow_config.success_threshold;
        if !(0..=100).contains(&threshold) {
            return Err(self.document.invalid(
                &keys(&["workflowConfig", "successThreshold"]),
                format!("must be between 0 and 100, not {threshold}"),
                None,
            ));
        }
        if self.config.source.r#type.trim().is_empty() {
            return Err(self.document.invalid(
                &keys(&["source", "type"]),
                "must name a connector, such as `glue`",
                None,
            ));
        }
        Ok(())
    }

    /// `source.type`, lower-cased as connectors are named.
    pub fn source_type(&self) -> String {
        self.config.source.r#type.trim().to_ascii_lowercase()
    }

    /// `successThreshold` and `raiseOnError`.
    pub fn policy(&self) -> SuccessPolicy {
        SuccessPolicy {
            success_threshold: self.config.workflow_config.success_threshold as f64,
            raise_on_error: self.config.workflow_config.raise_on_error,
        }
    }

    /// `workflowConfig.loggerLevel`.
    pub fn logger_level(&self) -> LogLevels {
        self.config.workflow_config.logger_level
    }

    /// The `source` section as JSON, as the file wrote it: what OpenMetadata may
    /// see (the service connection the sink stores comes from here). It holds the
    /// connection's secrets in plain text: never log it.
    pub fn source_json(&self) -> serde_json::Value {
        // Serialising generated types (maps, strings, numbers) cannot fail.
        let mut source =
            serde_json::to_value(&self.config.source).expect("the source section serializes");
        if let (Some(connection), Some(map)) = (&self.plugin_connection, source.as_object_mut()) {
            map.insert("serviceConnection".to_string(), connection.json.clone());
        }
        source
    }

    /// The `source` section a connector is opened with: [`Self::source_json`] with
    /// `workflowConfig.config.connectionArguments` (a free-form map in the spec)
    /// merged into `serviceConnection.config.connectionArguments`. That is where
    /// omctl's connector options go for connections whose schema has no
    /// `connectionArguments` (such as `GluePipeline`), so that the file stays valid
    /// for OpenMetadata; a key the connection sets itself wins. Only the plugin sees
    /// the merge: a server would refuse the key where its schema has none.
    pub fn plugin_source_json(&self) -> serde_json::Value {
        let mut source = self.source_json();
        if let (Some(extra), Some(connection)) = (
            self.workflow_connection_arguments(),
            source
                .pointer_mut("/serviceConnection/config")
                .and_then(serde_json::Value::as_object_mut),
        ) {
            let arguments = connection
                .entry("connectionArguments")
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let Some(arguments) = arguments.as_object_mut() {
                for (key, value) in extra {
                    arguments
                        .entry(key.clone())
                        .or_insert_with(|| value.clone());
                }
            }
        }
        source
    }

    /// `workflowConfig.config.connectionArguments`, when it is a map.
    fn workflow_connection_arguments(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.config
            .workflow_config
            .config
            .as_ref()?
            .get("connectionArguments")?
            .as_object()
    }

    /// `source.serviceConnection.config.type` as written, if any.
    pub fn connection_type(&self) -> Option<&str> {
        self.document.node(&keys(CONNECTION_TYPE))?.as_str()
    }

    /// Checks the connection type against the one the plugin reads (its
    /// manifest's `connectionType`), when both are known.
    pub fn check_connection_type(
        &self,
        plugin: &str,
        expected: Option<&str>,
    ) -> Result<(), ConfigError> {
        match (self.connection_type(), expected) {
            (Some(written), Some(expected)) if written != expected => Err(self.document.invalid(
                &keys(CONNECTION_TYPE),
                format!("plugin {plugin} reads connections of type `{expected}`, not `{written}`"),
                Some(format!("write `type: {expected}`")),
            )),
            _ => Ok(()),
        }
    }

    /// The sink section: its type and the place of its `config` in the file. A run
    /// needs one; `validate` and `test-connection` do not.
    pub fn sink(&self) -> Result<(String, Vec<Segment>), ConfigError> {
        match &self.config.sink {
            Some(sink) => Ok((sink.r#type.trim().to_string(), keys(&["sink", "config"]))),
            None => Err(self.document.invalid(
                &[],
                "`sink` is missing",
                Some(
                    "add `sink: {type: metadata-rest, config: {}}`, or `sink: {type: file, config: {filename: out.ndjson}}`"
                        .to_string(),
                ),
            )),
        }
    }

    /// An error about `path` in this file.
    pub fn invalid(
        &self,
        path: &[&str],
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ConfigError {
        self.document.invalid(&keys(path), message, hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLUE: &str = "\
source:
  type: glue
  serviceName: local_glue
  serviceConnection:
    config:
      type: Glue
      awsConfig:
        awsAccessKeyId: AKIAEXAMPLE
        awsSecretAccessKey: ${AWS_SECRET}
        awsRegion: us-east-1
  sourceConfig:
    config:
      type: DatabaseMetadata
      markDeletedTables: true
sink:
  type: file
  config:
    filename: out.ndjson
workflowConfig:
  loggerLevel: DEBUG
  successThreshold: 80
  raiseOnError: false
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${JWT}
";

    fn env(name: &str) -> Option<String> {
        match name {
            "AWS_SECRET" => Some("wJalrXUtnFEMI-secret-value".into()),
            "JWT" => Some("eyJhbGciOiJSUzI1NiJ9.secret-jwt".into()),
            _ => None,
        }
    }

    fn parse(text: &str) -> Result<WorkflowFile, ConfigError> {
        WorkflowFile::parse(text, "glue.yaml", env)
    }

    #[test]
    fn an_openmetadata_glue_workflow_loads() {
        let wf = parse(GLUE).unwrap();
        assert_eq!(wf.source_type(), "glue");
        assert_eq!(wf.logger_level(), LogLevels::Debug);
        assert_eq!(
            wf.policy(),
            SuccessPolicy {
                success_threshold: 80.0,
                raise_on_error: false
            }
        );
        let (sink_type, _) = wf.sink().unwrap();
        assert_eq!(sink_type, "file");
        let source = wf.source_json();
        assert_eq!(
            source["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"],
            "wJalrXUtnFEMI-secret-value",
            "the plugin gets the real secret"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let wf = parse(GLUE).unwrap();
        let debug = format!("{wf:?}");
        assert!(!debug.contains("secret-value"), "{debug}");
        assert!(!debug.contains("secret-jwt"), "{debug}");
    }

    #[test]
    fn defaults_follow_openmetadata() {
        let text = GLUE
            .replace("  loggerLevel: DEBUG\n", "")
            .replace("  successThreshold: 80\n", "")
            .replace("  raiseOnError: false\n", "");
        let wf = parse(&text).unwrap();
        assert_eq!(wf.logger_level(), LogLevels::Info);
        assert_eq!(wf.policy(), SuccessPolicy::default());
    }

    #[test]
    fn unknown_key_inside_the_connection_union_has_path_and_line() {
        let text = GLUE.replace(
            "        awsRegion: us-east-1",
            "        awsRegoin: us-east-1",
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.path(),
            Some("source.serviceConnection.config.awsConfig.awsRegoin"),
            "{err}"
        );
        assert_eq!(err.line(), Some(10), "{err}");
        assert!(
            err.to_string().contains("did you mean `awsRegion`?"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_in_source_config_union() {
        let text = GLUE.replace("markDeletedTables", "markDeletedTabels");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.path(),
            Some("source.sourceConfig.config.markDeletedTabels"),
            "{err}"
        );
        assert_eq!(err.line(), Some(14), "{err}");
    }

    #[test]
    fn wrong_type_under_a_secret_key_hides_the_value() {
        let text = GLUE.replace("jwtToken: ${JWT}", "jwtToken: [\"${JWT}\"]");
        let err = parse(&text).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("jwtToken") || msg.contains("securityConfig"),
            "{msg}"
        );
        assert!(!msg.contains("secret-jwt"), "{msg}");
    }

    #[test]
    fn enum_value_out_of_range() {
        let err = parse(&GLUE.replace("loggerLevel: DEBUG", "loggerLevel: VERBOSE")).unwrap_err();
        assert_eq!(err.path(), Some("workflowConfig.loggerLevel"));
        assert!(err.to_string().contains("VERBOSE"), "{err}");
        assert_eq!(err.line(), Some(20));
    }

    #[test]
    fn threshold_out_of_range() {
        let err =
            parse(&GLUE.replace("successThreshold: 80", "successThreshold: 120")).unwrap_err();
        assert_eq!(err.path(), Some("workflowConfig.successThreshold"));
        assert_eq!(err.line(), Some(21));
        assert!(err.to_string().contains("between 0 and 100"), "{err}");
    }

    #[test]
    fn missing_required_field() {
        let text = GLUE.replace(
            "  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n",
            "  openMetadataServerConfig:\n",
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.path(),
            Some("workflowConfig.openMetadataServerConfig"),
            "{err}"
        );
        assert!(
            err.to_string().contains("missing field `hostPort`"),
            "{err}"
        );
    }

    #[test]
    fn workflow_config_connection_arguments_reach_the_connector() {
        // GluePipeline's schema has no connectionArguments: omctl's options for it
        // go in workflowConfig.config, which the spec leaves free-form.
        let text = GLUE
            .replace("      type: Glue\n", "      type: GluePipeline\n")
            .replace("  type: glue\n", "  type: gluepipeline\n")
            .replace(
                "      type: DatabaseMetadata\n      markDeletedTables: true\n",
                "      type: PipelineMetadata\n",
            )
            .replace(
                "  raiseOnError: false\n",
                "  raiseOnError: false\n  config:\n    connectionArguments:\n      includeStandaloneJobs: false\n      concurrency: 4\n",
            );
        let wf = parse(&text).unwrap();
        let source = wf.plugin_source_json();
        let args = &source["serviceConnection"]["config"]["connectionArguments"];
        assert_eq!(args["includeStandaloneJobs"], false, "{source}");
        assert_eq!(args["concurrency"], 4);
        // What the server may see keeps the connection as written.
        let written = wf.source_json();
        assert!(
            written["serviceConnection"]["config"]
                .get("connectionArguments")
                .is_none(),
            "{written}"
        );

        // A key the connection sets itself wins over workflowConfig.config.
        let text = GLUE.replace(
            "        awsRegion: us-east-1\n",
            "        awsRegion: us-east-1\n      connectionArguments:\n        maxAttempts: 3\n",
        )
        .replace(
            "  raiseOnError: false\n",
            "  raiseOnError: false\n  config:\n    connectionArguments:\n      maxAttempts: 7\n      catalogId: \"123\"\n",
        );
        let source = parse(&text).unwrap().plugin_source_json();
        let args = &source["serviceConnection"]["config"]["connectionArguments"];
        assert_eq!(args["maxAttempts"], 3, "{source}");
        assert_eq!(args["catalogId"], "123");
    }

    #[test]
    fn the_old_glue_workflow_from_the_docs_is_accepted() {
        let text = GLUE.replace(
            "        awsRegion: us-east-1\n",
            "        awsRegion: us-east-1\n      storageServiceName: s3_store\n      pipelineServiceName: glue_pipes\n      database: my_catalog\n",
        );
        let wf = parse(&text).unwrap();
        assert_eq!(wf.deprecations.len(), 3);
        assert!(wf.deprecations.iter().all(|d| d.place.line.is_some()));
        let source = wf.source_json();
        assert_eq!(
            source["serviceConnection"]["config"]["databaseName"],
            "my_catalog"
        );
    }

    #[test]
    fn a_connection_type_only_a_plugin_knows_is_left_to_the_plugin() {
        let text = GLUE.replace(
            "      type: Glue\n      awsConfig:\n        awsAccessKeyId: AKIAEXAMPLE\n        awsSecretAccessKey: ${AWS_SECRET}\n        awsRegion: us-east-1\n",
            "      type: CustomDatabase\n      connectionOptions:\n        catalogPath: cat.json\n        token: ${AWS_SECRET}\n",
        );
        let wf = parse(&text).unwrap();
        assert!(wf.config.source.service_connection.is_none());
        assert_eq!(wf.connection_type(), Some("CustomDatabase"));
        let source = wf.source_json();
        assert_eq!(
            source["serviceConnection"]["config"]["connectionOptions"]["catalogPath"],
            "cat.json"
        );
        assert!(!format!("{wf:?}").contains("secret-value"));
        wf.check_connection_type("catalog", Some("CustomDatabase"))
            .unwrap();
        let err = wf
            .check_connection_type("glue-database", Some("Glue"))
            .unwrap_err();
        assert_eq!(err.path(), Some("source.serviceConnection.config.type"));
        assert_eq!(err.line(), Some(6));
        assert!(
            err.to_string()
                .contains("reads connections of type `Glue`, not `CustomDatabase`"),
            "{err}"
        );
        // The rest of the file is still checked strictly.
        let err = parse(&text.replace("raiseOnError", "raiseOnEror")).unwrap_err();
        assert_eq!(err.path(), Some("workflowConfig.raiseOnEror"));
    }

    #[test]
    fn known_connection_types_stay_strict() {
        let text = GLUE.replace(
            "awsRegion: us-east-1",
            "awsRegion: us-east-1\n        extra: 1",
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.path(),
            Some("source.serviceConnection.config.awsConfig.extra")
        );
    }

    #[test]
    fn missing_sink_is_reported_when_asked_for() {
        let text = GLUE.replace(
            "sink:\n  type: file\n  config:\n    filename: out.ndjson\n",
            "",
        );
        let wf = parse(&text).unwrap();
        let err = wf.sink().unwrap_err();
        assert!(err.to_string().contains("`sink` is missing"), "{err}");
    }
}

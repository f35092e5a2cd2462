//! The workflow's `source` section, read and checked once.
//!
//! OpenMetadata's `GluePipelineConnection` has no `connectionArguments`; users put
//! omctl's options in `workflowConfig.config.connectionArguments`, which the host
//! merges into the connection's `connectionArguments` before the plugin sees it
//! (see the README). They are read from there and removed, and the rest of the
//! connection is checked strictly against the spec.

use std::collections::BTreeMap;

use connector_aws::{AwsError, AwsSettings};
use connector_sdk::{ConnectorError, SourceConfig};
use om_spec::fqn;
use om_spec::generated::entity::services::connections::pipeline::glue_pipeline_connection::GluePipelineConnection;
use om_spec::generated::metadata_ingestion::pipeline_service_metadata_pipeline::PipelineServiceMetadataPipeline;
use serde_json::Value;

use om_spec::filter::Filter;

/// `connectionArguments` keys this connector reads (beyond connector-aws's).
pub const PIPELINE_ARGUMENT_KEYS: &[&str] = &[
    "includeStandaloneJobs",
    "concurrency",
    "catalogDatabaseName",
    "readScripts",
    "s3EndpointUrl",
];

/// Default number of Glue calls for runs and lineage in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The most calls in flight, whatever `concurrency` says: more only invites
/// throttling on an account-wide quota.
pub const MAX_CONCURRENCY: usize = 64;

/// Everything a run needs from the config.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `source.serviceName`.
    pub service: String,
    /// The service's FQN (quoted when the name holds a dot).
    pub service_fqn: String,
    pub aws: AwsSettings,
    pub source: PipelineServiceMetadataPipeline,
    /// `sourceConfig.config.pipelineFilterPattern`, else the connection's.
    pub filter: Filter,
    /// `connectionArguments.includeStandaloneJobs` (default true): jobs and
    /// crawlers outside every workflow become pipelines of their own.
    pub include_standalone: bool,
    /// `connectionArguments.concurrency`: Glue calls for runs and lineage at once.
    pub concurrency: usize,
    /// `connectionArguments.catalogDatabaseName`: the OpenMetadata database the
    /// `glue` connector put the Glue databases in (its `databaseName`); without it,
    /// the catalog id Glue reports for each database.
    pub catalog_database_name: Option<String>,
    /// `connectionArguments.readScripts` (default true): read script jobs' scripts
    /// from S3 for lineage.
    pub read_scripts: bool,
    /// `connectionArguments.s3EndpointUrl`: where scripts are read from; default
    /// `awsConfig.endPointURL` when that is set (a local emulator serves both),
    /// else the region's S3 endpoint.
    pub s3_endpoint: Option<String>,
    /// `lineageInformation.dbServiceNames`, blanks dropped.
    pub db_services: Vec<String>,
}

pub(crate) fn aws_error(e: AwsError) -> ConnectorError {
    if e.is_config() {
        ConnectorError::config(e)
    } else {
        ConnectorError::connection(e)
    }
}

fn bad_argument(key: &str, expected: &str, got: &Value) -> ConnectorError {
    ConnectorError::config(format!(
        "source.serviceConnection.config.connectionArguments.{key}: expected {expected}, got {got}"
    ))
}

/// OpenMetadata's UI stores connection arguments as strings, so `"true"` counts.
fn bool_arg(key: &str, v: &Value) -> Result<bool, ConnectorError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(bad_argument(key, "true or false", v)),
    }
}

fn string_arg(key: &str, v: &Value) -> Result<String, ConnectorError> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| bad_argument(key, "a non-empty string", v))
}

fn concurrency_arg(key: &str, v: &Value) -> Result<usize, ConnectorError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (1..=MAX_CONCURRENCY as u64).contains(&n) => Ok(n as usize),
        _ => Err(bad_argument(
            key,
            &format!("a whole number from 1 to {MAX_CONCURRENCY}"),
            v,
        )),
    }
}

impl PipelineConfig {
    pub fn from_source(config: &SourceConfig) -> Result<PipelineConfig, ConnectorError> {
        let service = config.require_service_name()?.to_string();
        let service_fqn = fqn::build(&[service.as_str()])
            .map_err(|e| ConnectorError::config(format!("source.serviceName: {e}")))?;

        let mut connection_json = config
            .connection_json()
            .cloned()
            .ok_or_else(|| ConnectorError::config("source.serviceConnection.config is missing"))?;
        let args: BTreeMap<String, Value> = match connection_json
            .as_object_mut()
            .and_then(|m| m.remove("connectionArguments"))
        {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m.into_iter().collect(),
            Some(other) => {
                return Err(ConnectorError::config(format!(
                    "source.serviceConnection.config.connectionArguments: expected a map of options, got {other}"
                )));
            }
        };
        let connection: GluePipelineConnection = serde_json::from_value(connection_json)
            .map_err(|e| ConnectorError::config(format!("source.serviceConnection.config: {e}")))?;
        let source: PipelineServiceMetadataPipeline = config.source_config()?;
        if source.status_lookback_days < 0 {
            return Err(ConnectorError::config(format!(
                "source.sourceConfig.config.statusLookbackDays: expected 0 (no run status) or more days, got {}",
                source.status_lookback_days
            )));
        }
        let aws = AwsSettings::new(&connection.aws_config, Some(&args), PIPELINE_ARGUMENT_KEYS)
            .map_err(aws_error)?;

        let mut include_standalone = true;
        let mut concurrency = DEFAULT_CONCURRENCY;
        let mut catalog_database_name = None;
        let mut read_scripts = true;
        let mut s3_endpoint = None;
        for (key, value) in &args {
            match key.as_str() {
                "includeStandaloneJobs" => include_standalone = bool_arg(key, value)?,
                "concurrency" => concurrency = concurrency_arg(key, value)?,
                "catalogDatabaseName" => catalog_database_name = Some(string_arg(key, value)?),
                "readScripts" => read_scripts = bool_arg(key, value)?,
                "s3EndpointUrl" => {
                    let url = string_arg(key, value)?;
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(bad_argument(key, "an http(s) URL", value));
                    }
                    s3_endpoint = Some(url);
                }
                _ => {}
            }
        }

        let pattern = source
            .pipeline_filter_pattern
            .as_ref()
            .or(connection.pipeline_filter_pattern.as_ref());
        let filter =
            Filter::new("pipelineFilterPattern", pattern).map_err(ConnectorError::config)?;
        let db_services = source
            .lineage_information
            .as_ref()
            .and_then(|l| l.db_service_names.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Ok(PipelineConfig {
            service,
            service_fqn,
            aws,
            source,
            filter,
            include_standalone,
            concurrency,
            catalog_database_name,
            read_scripts,
            s3_endpoint,
            db_services,
        })
    }

    /// The oldest run start (epoch ms) whose status is read; `None`: no statuses.
    pub fn status_cutoff_ms(&self, now_ms: i64) -> Option<i64> {
        let days = self.source.status_lookback_days;
        (days > 0).then(|| now_ms - days * 86_400_000)
    }

    /// Where scripts are read from, when they are.
    pub fn script_endpoint(&self) -> Option<&str> {
        self.s3_endpoint
            .as_deref()
            .or(self.aws.endpoint_url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_sdk::serde_json::json;

    fn cfg(connection: Value, source_config: Value) -> Result<PipelineConfig, ConnectorError> {
        let source = json!({
            "type": "gluepipeline", "serviceName": "jobs",
            "serviceConnection": {"config": connection},
            "sourceConfig": {"config": source_config}
        });
        PipelineConfig::from_source(&SourceConfig::new(source, Default::default()))
    }

    fn aws() -> Value {
        json!({"awsRegion": "us-east-2", "awsAccessKeyId": "AKID", "awsSecretAccessKey": "s"})
    }

    #[test]
    fn defaults() {
        let c = cfg(
            json!({"type": "GluePipeline", "awsConfig": aws()}),
            json!({"type": "PipelineMetadata"}),
        )
        .unwrap();
        assert!(c.include_standalone && c.read_scripts);
        assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(c.source.status_lookback_days, 1);
        assert!(c.source.include_lineage && c.source.mark_deleted_pipelines);
        assert_eq!(
            c.status_cutoff_ms(100_000_000),
            Some(100_000_000 - 86_400_000)
        );
        assert!(c.aws.warnings.is_empty());
    }

    #[test]
    fn arguments_are_read_and_checked() {
        let c = cfg(
            json!({"type": "GluePipeline", "awsConfig": aws(), "connectionArguments": {
                "includeStandaloneJobs": "false", "concurrency": 3, "catalogDatabaseName": "prod",
                "readScripts": false, "maxAttempts": 4, "tpyo": 1}}),
            json!({"statusLookbackDays": 0}),
        )
        .unwrap();
        assert!(!c.include_standalone && !c.read_scripts);
        assert_eq!(
            (c.concurrency, c.catalog_database_name.as_deref()),
            (3, Some("prod"))
        );
        assert_eq!(c.aws.max_attempts, 4);
        assert_eq!(c.status_cutoff_ms(0), None);
        assert_eq!(c.aws.warnings.len(), 1, "{:?}", c.aws.warnings);
        assert!(c.aws.warnings[0].contains("tpyo"));

        for (args, key) in [
            (json!({"concurrency": 0}), "concurrency"),
            (
                json!({"includeStandaloneJobs": "yes"}),
                "includeStandaloneJobs",
            ),
            (json!({"s3EndpointUrl": "localhost:9000"}), "s3EndpointUrl"),
        ] {
            let e = cfg(
                json!({"awsConfig": aws(), "connectionArguments": args}),
                json!({}),
            )
            .unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("connectionArguments.{key}")),
                "{e}"
            );
        }
    }

    #[test]
    fn unknown_connection_keys_and_bad_lookback_are_config_errors() {
        let e = cfg(json!({"awsConfig": aws(), "pipelineFilter": {}}), json!({})).unwrap_err();
        assert!(e.to_string().contains("pipelineFilter"), "{e}");
        let e = cfg(
            json!({"awsConfig": aws()}),
            json!({"statusLookbackDays": -1}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("statusLookbackDays"), "{e}");
        let e = cfg(
            json!({"awsConfig": aws()}),
            json!({"pipelineFilterPattern": {"includes": ["("]}}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("pipelineFilterPattern"), "{e}");
    }
}

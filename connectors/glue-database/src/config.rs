//! The workflow's `source` section, read and checked once.

use aws_sdk_glue::types::ResourceShareType;
use connector_aws::{AwsError, AwsSettings};
use connector_sdk::{ConnectorError, SourceConfig};
use om_spec::generated::entity::services::connections::database::glue_connection::GlueConnection;
use om_spec::generated::metadata_ingestion::database_service_metadata_pipeline::DatabaseServiceMetadataPipeline;
use serde_json::Value;

use om_spec::filter::Filter;

/// `connectionArguments` keys this connector reads (beyond connector-aws's).
pub const GLUE_ARGUMENT_KEYS: &[&str] = &["resourceShareType", "externalTableLineage"];

/// The most Glue databases listed at once, whatever `threads` says: more only
/// invites throttling.
pub const MAX_THREADS: usize = 64;

/// The compiled filter patterns.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub database: Filter,
    pub schema: Filter,
    pub table: Filter,
}

/// Everything a run needs from the config.
#[derive(Debug, Clone)]
pub struct GlueConfig {
    /// `source.serviceName`.
    pub service: String,
    /// `serviceConnection.config.databaseName`.
    pub database_name: Option<String>,
    pub aws: AwsSettings,
    /// `connectionArguments.resourceShareType`: also list databases shared with
    /// the account from other catalogs (`FOREIGN`, `ALL`, `FEDERATED`).
    pub resource_share_type: Option<ResourceShareType>,
    /// `connectionArguments.externalTableLineage` (default true): send
    /// storage-location lineage for tables with a location.
    pub external_table_lineage: bool,
    pub pipeline: DatabaseServiceMetadataPipeline,
    pub filters: Filters,
    /// How many Glue databases are listed at once.
    pub threads: usize,
}

pub(crate) fn aws_error(e: AwsError) -> ConnectorError {
    if e.is_config() {
        ConnectorError::config(e)
    } else {
        ConnectorError::connection(e)
    }
}

fn bool_arg(key: &str, v: &Value) -> Result<bool, ConnectorError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ConnectorError::config(format!(
            "invalid connectionArguments.{key}: expected true or false, got {v}"
        ))),
    }
}

impl GlueConfig {
    pub fn from_source(config: &SourceConfig) -> Result<GlueConfig, ConnectorError> {
        let service = config.require_service_name()?.to_string();
        let connection: GlueConnection = config.connection()?;
        let pipeline: DatabaseServiceMetadataPipeline = config.source_config()?;
        let args = connection.connection_arguments.as_ref();
        let aws = AwsSettings::new(&connection.aws_config, args, GLUE_ARGUMENT_KEYS)
            .map_err(aws_error)?;

        let mut resource_share_type = None;
        let mut external_table_lineage = true;
        for (key, value) in args.into_iter().flatten() {
            match key.as_str() {
                "resourceShareType" => {
                    let s = value.as_str().unwrap_or_default().to_ascii_uppercase();
                    resource_share_type = Some(match s.as_str() {
                        "ALL" => ResourceShareType::All,
                        "FOREIGN" => ResourceShareType::Foreign,
                        "FEDERATED" => ResourceShareType::Federated,
                        _ => {
                            return Err(ConnectorError::config(format!(
                                "invalid connectionArguments.resourceShareType: expected ALL, FOREIGN or FEDERATED, got {value}"
                            )));
                        }
                    });
                }
                "externalTableLineage" => external_table_lineage = bool_arg(key, value)?,
                _ => {}
            }
        }

        let bad = |e: om_spec::filter::InvalidPattern| ConnectorError::config(e);
        let filters = Filters {
            database: Filter::new(
                "databaseFilterPattern",
                pipeline.database_filter_pattern.as_ref(),
            )
            .map_err(bad)?,
            schema: Filter::new(
                "schemaFilterPattern",
                pipeline.schema_filter_pattern.as_ref(),
            )
            .map_err(bad)?,
            table: Filter::new("tableFilterPattern", pipeline.table_filter_pattern.as_ref())
                .map_err(bad)?,
        };
        let threads = pipeline.threads.clamp(1, MAX_THREADS as i64) as usize;
        Ok(GlueConfig {
            service,
            database_name: connection
                .database_name
                .clone()
                .filter(|d| !d.trim().is_empty()),
            aws,
            resource_share_type,
            external_table_lineage,
            pipeline,
            filters,
            threads,
        })
    }
}

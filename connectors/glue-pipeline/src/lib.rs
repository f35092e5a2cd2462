//! The `gluepipeline` connector: AWS Glue workflows, jobs, triggers and crawlers
//! as OpenMetadata pipelines, with their run statuses and the lineage of their
//! jobs, and scope markers for safe mark-deleted.
//!
//! A workflow file written for OpenMetadata's own Glue pipeline connector runs
//! unchanged; the crate README has the mapping, the status table, the options, the
//! IAM policy and the intentional differences from upstream.

pub mod config;
pub mod lineage;
pub mod pipeline;
pub mod schedule;
pub mod source;
pub mod status;
pub mod test_connection;
pub mod time;
pub mod urls;

use connector_sdk::{
    Connector, ConnectorError, Context, Emitter, Manifest, SourceConfig, TestConnectionReport,
    export_connector,
};

use crate::config::PipelineConfig;

/// The JSON Schema of `serviceConnection.config`, as the spec defines it.
const CONNECTION_SCHEMA: &str =
    include_str!("../../../spec/entity/services/connections/pipeline/gluePipelineConnection.json");

/// The connector. Stateless: each run reads its own config.
#[derive(Debug, Default)]
pub struct GluePipelineConnector;

impl Connector for GluePipelineConnector {
    fn manifest(&self) -> Manifest {
        Manifest::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .with_source_type("gluepipeline")
            .with_service("pipelineService", "GluePipeline")
            .with_connection(
                "GluePipeline",
                serde_json::from_str(CONNECTION_SCHEMA).unwrap_or(serde_json::Value::Null),
            )
            .with_description("AWS Glue workflows, jobs, triggers and crawlers: pipelines, run status and lineage")
            .with_capability("metadata")
            .with_capability("pipelineStatus")
            .with_capability("lineage")
            .with_capability("markDeleted")
            .with_capability("testConnection")
    }

    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        PipelineConfig::from_source(config).map(|_| ())
    }

    async fn test_connection(
        &self,
        config: &SourceConfig,
        _ctx: &Context,
    ) -> Result<TestConnectionReport, ConnectorError> {
        let cfg = PipelineConfig::from_source(config)?;
        Ok(test_connection::run(&cfg).await)
    }

    async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
        let cfg = PipelineConfig::from_source(&config)?;
        source::run(cfg, out).await
    }
}

export_connector!(GluePipelineConnector);

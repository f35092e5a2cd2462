//! The `glue` connector: the AWS Glue Data Catalog as OpenMetadata database
//! entities (service, databases, schemas, tables with columns), with storage
//! location lineage and scope markers for safe mark-deleted.
//!
//! A workflow file written for OpenMetadata's own Glue connector runs unchanged;
//! see the crate README for the mapping, the extra `connectionArguments`, the IAM
//! policy and the intentional differences from upstream.

pub mod columns;
pub mod config;
pub mod names;
pub mod source;
pub mod table;
pub mod test_connection;
pub mod urls;
pub mod view;

use connector_sdk::{
    Connector, ConnectorError, Context, Emitter, Manifest, SourceConfig, TestConnectionReport,
    export_connector,
};

use crate::config::GlueConfig;

/// The JSON Schema of `serviceConnection.config`, as the spec defines it.
const CONNECTION_SCHEMA: &str =
    include_str!("../../../spec/entity/services/connections/database/glueConnection.json");

/// The connector. Stateless: each run reads its own config.
#[derive(Debug, Default)]
pub struct GlueDatabaseConnector;

impl Connector for GlueDatabaseConnector {
    fn manifest(&self) -> Manifest {
        Manifest::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .with_source_type("glue")
            .with_service("databaseService", "Glue")
            .with_connection(
                "Glue",
                serde_json::from_str(CONNECTION_SCHEMA).unwrap_or(serde_json::Value::Null),
            )
            .with_description("AWS Glue Data Catalog: databases, schemas, tables and columns")
            .with_capability("metadata")
            .with_capability("lineage")
            .with_capability("markDeleted")
            .with_capability("testConnection")
    }

    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        GlueConfig::from_source(config).map(|_| ())
    }

    async fn test_connection(
        &self,
        config: &SourceConfig,
        _ctx: &Context,
    ) -> Result<TestConnectionReport, ConnectorError> {
        let cfg = GlueConfig::from_source(config)?;
        Ok(test_connection::run(&cfg).await)
    }

    async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
        let cfg = GlueConfig::from_source(&config)?;
        source::run(cfg, out).await
    }
}

export_connector!(GlueDatabaseConnector);

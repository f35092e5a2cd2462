//! The `dbt` connector: dbt's artifacts (manifest, catalog, run_results,
//! sources.json) as changes to the tables another workflow (the Glue one) has
//! already ingested — data models, descriptions, owners, tags, lineage with
//! columns, and test cases with their results.
//!
//! A workflow file written for OpenMetadata's own dbt workflow runs unchanged;
//! the plugin never talks to OpenMetadata: it names existing tables by FQN, as
//! dbt spells them after `catalogMapping`, and the sink finds them. See the crate
//! README for the records, the `catalogMapping` / `databaseName` choice and the
//! intentional differences from OpenMetadata's workflow.

pub mod columns;
pub mod config;
pub mod lineage;
pub mod names;
pub mod pass;
pub mod quality;
pub mod source;
pub mod tags;
pub mod test_connection;

use connector_sdk::{
    Connector, ConnectorError, Context, Emitter, Manifest, SourceConfig, TestConnectionReport,
    export_connector,
};

use crate::config::DbtConfig;

/// The connector. Stateless: each run reads its own config.
#[derive(Debug, Default)]
pub struct DbtConnector;

impl Connector for DbtConnector {
    fn manifest(&self) -> Manifest {
        Manifest::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .with_source_type("dbt")
            .with_service("databaseService", "Dbt")
            .with_description(
                "dbt artifacts: data models, descriptions, owners, tags, lineage and test \
                 results on tables another workflow has ingested",
            )
            .with_capability("enrich")
            .with_capability("lineage")
            .with_capability("testConnection")
    }

    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        DbtConfig::from_source(config).map(|_| ())
    }

    async fn test_connection(
        &self,
        config: &SourceConfig,
        _ctx: &Context,
    ) -> Result<TestConnectionReport, ConnectorError> {
        let cfg = DbtConfig::from_source(config)?;
        Ok(test_connection::run(&cfg).await)
    }

    async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
        let cfg = DbtConfig::from_source(&config)?;
        source::run(cfg, out).await
    }
}

export_connector!(DbtConnector);

/// Text from the artifacts, trimmed; `None` when nothing is left (dbt writes `""`
/// for what is not documented, and an empty text must never replace the server's).
pub(crate) fn non_blank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

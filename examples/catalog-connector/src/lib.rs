//! An example omctl connector: reads a local JSON catalog file (see [`catalog`])
//! and sends its databases, schemas and tables to OpenMetadata as a
//! `CustomDatabase` service. Source type `localcatalog`.
//!
//! The workflow's `source` section:
//!
//! ```yaml
//! source:
//!   type: localcatalog
//!   serviceName: local_catalog
//!   serviceConnection:
//!     config:
//!       type: CustomDatabase
//!       connectionOptions:
//!         catalogPath: examples/catalog-connector/sample-catalog.json
//!   sourceConfig:
//!     config:
//!       type: DatabaseMetadata
//!       tableFilterPattern:
//!         excludes: ["tmp_.*"]
//! ```
//!
//! It shows what a connector does besides reading: parents before children,
//! scope-complete markers only for listings that finished without error,
//! filtered entities reported as such, and one bad table reported as a failure of
//! that table while the run goes on.

pub mod catalog;
pub mod filter;

use std::path::PathBuf;

use connector_sdk::serde_json::{Map, Value, json};
use connector_sdk::{
    Connector, ConnectorError, Context, Emitter, EntityKind, Manifest, SourceConfig,
    TestConnectionReport, TestStep, export_connector, tracing,
};
use serde::Deserialize;

use catalog::{CatalogFile, Table};
use filter::{Filter, FilterPattern};

/// The `source.type` this connector serves.
pub const SOURCE_TYPE: &str = "localcatalog";
/// The `serviceConnection.config.type` it expects.
const CONNECTION_TYPE: &str = "CustomDatabase";
const CATALOG_PATH: &str = "/serviceConnection/config/connectionOptions/catalogPath";

/// The connector. It keeps no state between calls.
#[derive(Debug, Default)]
pub struct CatalogConnector;

export_connector!(CatalogConnector);

/// The parts of `sourceConfig.config` this connector honours; OpenMetadata's
/// other `DatabaseMetadata` settings are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PipelineConfig {
    database_filter_pattern: Option<FilterPattern>,
    schema_filter_pattern: Option<FilterPattern>,
    table_filter_pattern: Option<FilterPattern>,
    include_views: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            database_filter_pattern: None,
            schema_filter_pattern: None,
            table_filter_pattern: None,
            // OpenMetadata's default.
            include_views: true,
        }
    }
}

/// Everything the connector needs from the config, checked.
struct Settings {
    service: String,
    path: PathBuf,
    databases: Filter,
    schemas: Filter,
    tables: Filter,
    include_views: bool,
}

impl Settings {
    fn read(config: &SourceConfig) -> Result<Settings, ConnectorError> {
        let service = config.require_service_name()?.to_owned();
        let connection_type: Option<String> = config.get("/serviceConnection/config/type")?;
        if connection_type.as_deref() != Some(CONNECTION_TYPE) {
            return Err(ConnectorError::config(format!(
                "source.serviceConnection.config.type must be {CONNECTION_TYPE}, not {}",
                connection_type.as_deref().unwrap_or("absent")
            )));
        }
        let path: String = config.get(CATALOG_PATH)?.ok_or_else(|| {
            ConnectorError::config(
                "source.serviceConnection.config.connectionOptions.catalogPath is missing: the path of the catalog file",
            )
        })?;
        let pipeline: PipelineConfig = config.source_config()?;
        let filter = |pattern: &Option<FilterPattern>, key: &str| {
            Filter::new(pattern.as_ref().unwrap_or(&FilterPattern::default())).map_err(|e| {
                ConnectorError::config(format!("source.sourceConfig.config.{key}: {e}"))
            })
        };
        Ok(Settings {
            service,
            path: PathBuf::from(path),
            databases: filter(&pipeline.database_filter_pattern, "databaseFilterPattern")?,
            schemas: filter(&pipeline.schema_filter_pattern, "schemaFilterPattern")?,
            tables: filter(&pipeline.table_filter_pattern, "tableFilterPattern")?,
            include_views: pipeline.include_views,
        })
    }

    async fn load(&self) -> Result<CatalogFile, ConnectorError> {
        let text = connector_sdk::tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|e| {
                ConnectorError::connection(format!(
                    "cannot read catalog file {}: {e}",
                    self.path.display()
                ))
            })?;
        CatalogFile::parse(&text).map_err(|e| {
            ConnectorError::internal(format!(
                "{} is not a valid catalog file: {e}",
                self.path.display()
            ))
        })
    }
}

/// A fully qualified name: names joined with dots, a name that contains a dot in
/// double quotes (OpenMetadata's FQN rule).
fn fqn(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.contains('.') {
                format!("\"{p}\"")
            } else {
                (*p).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A create request with `description` only when there is one.
fn request(mut fields: Map<String, Value>, description: Option<&String>) -> Value {
    if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
        fields.insert("description".into(), Value::String(d.clone()));
    }
    Value::Object(fields)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl CatalogConnector {
    /// Sends one table, or says why it was left out.
    async fn table(
        &self,
        out: &Emitter,
        settings: &Settings,
        schema_fqn: &str,
        table: Table,
    ) -> Result<(), ConnectorError> {
        let table_fqn = format!("{schema_fqn}.{}", fqn(&[&table.name]));
        if let Some(reason) = settings.tables.rejects(&table.name) {
            out.filtered(
                EntityKind::Table,
                table_fqn,
                format!("tableFilterPattern: {reason}"),
            )
            .await?;
            return Ok(());
        }
        let table_type = match table.table_type.as_deref() {
            None => "Regular",
            Some(declared) => match catalog::table_type(declared) {
                Some(t) => t,
                None => {
                    out.warn(
                        EntityKind::Table,
                        &table_fqn,
                        format!("unknown tableType `{declared}`; sent as Regular"),
                    )
                    .await?;
                    "Regular"
                }
            },
        };
        if !settings.include_views
            && matches!(table_type, "View" | "SecureView" | "MaterializedView")
        {
            out.filtered(EntityKind::Table, table_fqn, "includeViews is false")
                .await?;
            return Ok(());
        }
        if table.columns.is_empty() {
            out.warn(EntityKind::Table, &table_fqn, "the table has no columns")
                .await?;
        }

        let mut columns = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let data_type = match catalog::data_type(&column.data_type) {
                Some(t) => t,
                None => {
                    out.warn(
                        EntityKind::Table,
                        &table_fqn,
                        format!(
                            "column {}: unknown dataType `{}`; sent as UNKNOWN",
                            column.name, column.data_type
                        ),
                    )
                    .await?;
                    "UNKNOWN"
                }
            };
            let mut c = object(json!({
                "name": column.name,
                "dataType": data_type,
                "dataTypeDisplay": column.data_type.to_ascii_lowercase(),
            }));
            if let Some(length) = column.data_length {
                c.insert("dataLength".into(), length.into());
            } else if catalog::needs_length(data_type) {
                // OpenMetadata requires a length for these types; 1 says "unknown".
                c.insert("dataLength".into(), 1.into());
            }
            if let Some(declared) = &column.constraint {
                match catalog::constraint(declared) {
                    Some(k) => {
                        c.insert("constraint".into(), k.into());
                    }
                    None => {
                        out.warn(
                            EntityKind::Table,
                            &table_fqn,
                            format!(
                                "column {}: unknown constraint `{declared}` left out",
                                column.name
                            ),
                        )
                        .await?;
                    }
                }
            }
            columns.push(request(c, column.description.as_ref()));
        }

        let body = request(
            object(json!({
                "name": table.name,
                "databaseSchema": schema_fqn,
                "tableType": table_type,
                "columns": columns,
            })),
            table.description.as_ref(),
        );
        out.entity(EntityKind::Table, table_fqn, Some(schema_fqn), &body)
            .await
    }
}

impl Connector for CatalogConnector {
    fn manifest(&self) -> Manifest {
        Manifest::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .with_source_type(SOURCE_TYPE)
            .with_service("databaseService", CONNECTION_TYPE)
            .with_connection(
                CONNECTION_TYPE,
                json!({
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "title": "Local catalog connection",
                    "type": "object",
                    "required": ["type", "connectionOptions"],
                    "properties": {
                        "type": {"const": CONNECTION_TYPE, "description": "Service type."},
                        "connectionOptions": {
                            "type": "object",
                            "required": ["catalogPath"],
                            "properties": {
                                "catalogPath": {
                                    "type": "string",
                                    "description": "Path of the JSON catalog file, relative to the working directory."
                                }
                            }
                        }
                    }
                }),
            )
            .with_description("Example connector: databases, schemas and tables from a local JSON catalog file")
            .with_capability("metadata")
            .with_capability("markDeleted")
            .with_capability("testConnection")
    }

    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        Settings::read(config).map(drop)
    }

    async fn test_connection(
        &self,
        config: &SourceConfig,
        _ctx: &Context,
    ) -> Result<TestConnectionReport, ConnectorError> {
        let settings = Settings::read(config)?;
        let path = settings.path.display().to_string();
        let mut steps = Vec::new();
        let text = match connector_sdk::tokio::fs::read_to_string(&settings.path).await {
            Ok(text) => {
                steps.push(TestStep::passed(
                    "ReadCatalogFile",
                    true,
                    format!("read {path}"),
                ));
                text
            }
            Err(e) => {
                steps.push(TestStep::failed(
                    "ReadCatalogFile",
                    true,
                    format!("cannot read {path}"),
                    e.to_string(),
                ));
                return Ok(TestConnectionReport { steps });
            }
        };
        match CatalogFile::parse(&text) {
            Ok(catalog) => {
                steps.push(TestStep::passed(
                    "ParseCatalog",
                    true,
                    format!("{} databases", catalog.databases.len()),
                ));
                let tables = catalog.table_count();
                steps.push(if tables > 0 {
                    TestStep::passed("ListTables", false, format!("{tables} tables"))
                } else {
                    TestStep::failed("ListTables", false, "the catalog lists no tables", "")
                });
            }
            Err(e) => steps.push(TestStep::failed(
                "ParseCatalog",
                true,
                format!("{path} is not a valid catalog file"),
                e.to_string(),
            )),
        }
        Ok(TestConnectionReport { steps })
    }

    async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
        let settings = Settings::read(&config)?;
        let catalog = settings.load().await?;
        tracing::info!(
            databases = catalog.databases.len(),
            tables = catalog.table_count(),
            "read catalog {}",
            settings.path.display()
        );

        let service = settings.service.as_str();
        out.entity(
            EntityKind::DatabaseService,
            service,
            None,
            &json!({"name": service, "serviceType": CONNECTION_TYPE}),
        )
        .await?;

        let total = catalog.databases.len() as u64;
        for (done, database) in catalog.databases.iter().enumerate() {
            out.context().report_progress(
                format!("database {}", database.name),
                done as u64,
                Some(total),
            );
            let database_fqn = fqn(&[service, &database.name]);
            if let Some(reason) = settings.databases.rejects(&database.name) {
                out.filtered(
                    EntityKind::Database,
                    database_fqn,
                    format!("databaseFilterPattern: {reason}"),
                )
                .await?;
                continue;
            }
            let body = request(
                object(json!({"name": database.name, "service": service})),
                database.description.as_ref(),
            );
            out.entity(EntityKind::Database, &database_fqn, Some(service), &body)
                .await?;

            for schema in &database.schemas {
                let schema_fqn = format!("{database_fqn}.{}", fqn(&[&schema.name]));
                if let Some(reason) = settings.schemas.rejects(&schema.name) {
                    out.filtered(
                        EntityKind::DatabaseSchema,
                        schema_fqn,
                        format!("schemaFilterPattern: {reason}"),
                    )
                    .await?;
                    continue;
                }
                let body = request(
                    object(json!({"name": schema.name, "database": database_fqn})),
                    schema.description.as_ref(),
                );
                out.entity(
                    EntityKind::DatabaseSchema,
                    &schema_fqn,
                    Some(&database_fqn),
                    &body,
                )
                .await?;

                // A schema whose listing had a bad entry is not complete: none of
                // its tables may be marked deleted on the strength of this run.
                let mut complete = true;
                for (index, entry) in schema.tables.iter().enumerate() {
                    match Table::from_json(entry) {
                        Ok(table) => self.table(&out, &settings, &schema_fqn, table).await?,
                        Err(e) => {
                            complete = false;
                            let name = format!(
                                "{schema_fqn}.{}",
                                fqn(&[&catalog::entry_name(entry, index)])
                            );
                            out.fail(
                                EntityKind::Table,
                                name,
                                format!("cannot read the table entry: {e}"),
                            )
                            .await?;
                        }
                    }
                }
                if complete {
                    out.scope_complete(EntityKind::Table, &schema_fqn).await?;
                }
            }
            out.scope_complete(EntityKind::DatabaseSchema, &database_fqn)
                .await?;
        }
        out.scope_complete(EntityKind::Database, service).await?;
        out.context().report_progress("done", total, Some(total));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::fqn;

    #[test]
    fn fqn_quotes_names_with_dots() {
        assert_eq!(fqn(&["svc", "db", "a.b"]), "svc.db.\"a.b\"");
    }
}

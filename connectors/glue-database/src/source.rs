//! The run: service, databases (one per catalog, or `databaseName`), schemas (one
//! per Glue database), then the tables of several schemas at once.
//!
//! Records of one schema come in Glue's order; schemas listed at the same time
//! interleave, which is fine because every record names its parent. Parents are
//! always sent before their children: every database and schema record goes out
//! before any table is listed.
//!
//! Scope markers tell the sink which listings finished without error, so that
//! mark-deleted only acts on those: tables of a schema after its last `GetTables`
//! page, schemas of a database and databases of the service after `GetDatabases`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use aws_sdk_glue::types::Database as GlueDatabase;
use connector_aws::{AwsCall, AwsClient, classify};
use connector_sdk::{ConnectorError, Emitter, EntityKind, EntityRef, Record};
use md5::{Digest, Md5};
use om_spec::fqn;
use om_spec::generated::api::data::create_database::CreateDatabaseRequest;
use om_spec::generated::api::data::create_database_schema::CreateDatabaseSchemaRequest;
use om_spec::generated::api::services::create_database_service::CreateDatabaseServiceRequest;
use om_spec::generated::entity::services::database_service::DatabaseServiceType;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tracing::instrument::WithSubscriber;

use crate::config::{GlueConfig, aws_error};
use crate::names;
use crate::table::{TablePlace, hex, map_table, table_kind};
use crate::urls::console_database_url;

/// A Glue database as listed.
#[derive(Debug, Clone)]
pub struct GlueDb {
    pub name: String,
    pub catalog_id: Option<String>,
    pub description: Option<String>,
}

impl From<&GlueDatabase> for GlueDb {
    fn from(d: &GlueDatabase) -> GlueDb {
        GlueDb {
            name: d.name().to_string(),
            catalog_id: d.catalog_id().map(str::to_string),
            description: d.description().map(str::to_string),
        }
    }
}

/// Lists every Glue database visible with these settings, following every page.
pub async fn list_databases(
    aws: &AwsClient,
    cfg: &GlueConfig,
) -> Result<Vec<GlueDb>, connector_aws::AwsError> {
    let call = AwsCall::new("glue", "GetDatabases");
    let mut pages = aws
        .glue()
        .get_databases()
        .set_catalog_id(aws.catalog_id().map(str::to_string))
        .set_resource_share_type(cfg.resource_share_type.clone())
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&call, e))?;
        out.extend(page.database_list().iter().map(GlueDb::from));
    }
    Ok(out)
}

/// Feeds serialized JSON straight into the hash, without building the string.
struct HashWriter(Md5);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sourceHash`: the MD5 of the request's JSON (as upstream stamps its requests),
/// so the server can skip entities that did not change.
pub fn stamp_source_hash(request: &mut Value) {
    let Some(obj) = request.as_object_mut() else {
        return;
    };
    obj.shift_remove("sourceHash");
    let mut hasher = HashWriter(Md5::new());
    if serde_json::to_writer(&mut hasher, &*request).is_ok()
        && let Some(obj) = request.as_object_mut()
    {
        obj.insert(
            "sourceHash".into(),
            Value::String(hex(&hasher.0.finalize())),
        );
    }
}

async fn emit_entity<T: Serialize>(
    out: &Emitter,
    kind: EntityKind,
    fqn: &str,
    parent: Option<&str>,
    request: &T,
    hash: bool,
) -> Result<(), ConnectorError> {
    let mut value = serde_json::to_value(request)
        .map_err(|e| ConnectorError::internal(format!("cannot encode {kind} {fqn}: {e}")))?;
    if hash {
        stamp_source_hash(&mut value);
    }
    out.emit(Record::Entity {
        kind,
        fqn: fqn.to_string(),
        parent: parent.map(str::to_string),
        request: value,
    })
    .await?;
    Ok(())
}

/// A storage location as OpenMetadata containers name their `fullPath`: scheme
/// lower-cased, `s3a`/`s3n` read as `s3`, one trailing `/` dropped. `None` for a
/// bare scheme or an empty location.
pub fn canonical_location(location: &str) -> Option<String> {
    let location = location.trim();
    let (scheme, rest) = location.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "s3a" | "s3n" => "s3".to_string(),
        s => s.to_string(),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    (!rest.is_empty() && !scheme.is_empty()).then(|| format!("{scheme}://{rest}"))
}

/// What a schema's table task needs.
#[derive(Debug, Clone)]
struct SchemaJob {
    schema_fqn: String,
    glue_name: String,
    /// The catalog to pass as `CatalogId` (the database's own, else the configured
    /// one).
    catalog_id: Option<String>,
    /// The catalog id for links.
    url_catalog_id: String,
}

struct Shared {
    cfg: GlueConfig,
    aws: AwsClient,
    out: Emitter,
}

/// Runs the whole source.
pub async fn run(cfg: GlueConfig, out: Emitter) -> Result<(), ConnectorError> {
    let aws = AwsClient::connect(cfg.aws.clone())
        .await
        .map_err(aws_error)?;
    for w in &aws.settings().warnings {
        out.warn(None, "serviceConnection.config", w.clone())
            .await?;
    }
    let service_fqn = fqn::build(&[cfg.service.as_str()]).map_err(ConnectorError::config)?;
    // No connection in the record: the sink attaches the workflow's own.
    let service: CreateDatabaseServiceRequest = serde_json::from_value(
        json!({"name": cfg.service, "serviceType": DatabaseServiceType::Glue.as_str()}),
    )
    .map_err(|e| ConnectorError::internal(format!("cannot build the service request: {e}")))?;
    emit_entity(
        &out,
        EntityKind::DatabaseService,
        &service_fqn,
        None,
        &service,
        false,
    )
    .await?;

    let databases = list_databases(&aws, &cfg).await.map_err(|e| {
        if e.is_config() {
            ConnectorError::config(e)
        } else {
            ConnectorError::connection(format!("cannot list the Glue databases: {e}"))
        }
    })?;
    let jobs = emit_databases_and_schemas(&cfg, &aws, &out, &service_fqn, databases).await?;
    out.scope_complete(EntityKind::Database, service_fqn.clone())
        .await?;

    let shared = Arc::new(Shared { cfg, aws, out });
    list_tables(shared, jobs).await
}

/// Groups Glue databases into OpenMetadata databases, sends databases and schemas,
/// and returns the schemas whose tables are to be listed.
async fn emit_databases_and_schemas(
    cfg: &GlueConfig,
    aws: &AwsClient,
    out: &Emitter,
    service_fqn: &str,
    databases: Vec<GlueDb>,
) -> Result<Vec<SchemaJob>, ConnectorError> {
    let mut groups: BTreeMap<String, Vec<GlueDb>> = BTreeMap::new();
    match &cfg.database_name {
        Some(name) => {
            groups.insert(name.clone(), databases);
        }
        None => {
            for db in databases {
                match db
                    .catalog_id
                    .clone()
                    .or_else(|| aws.catalog_id().map(str::to_string))
                {
                    Some(catalog) => groups.entry(catalog).or_default().push(db),
                    None => {
                        out.warn(
                            EntityKind::DatabaseSchema,
                            db.name.clone(),
                            "Glue listed this database without a CatalogId, so it belongs to no \
                             OpenMetadata database and is skipped; set connectionArguments.catalogId \
                             or serviceConnection.config.databaseName",
                        )
                        .await?;
                    }
                }
            }
        }
    }

    let mut jobs = Vec::new();
    for (db_name, entries) in groups {
        let db_fqn = fqn::build(&[&cfg.service, &db_name]).map_err(ConnectorError::config)?;
        if cfg.database_name.is_none() {
            let subject = if cfg.pipeline.use_fqn_for_filtering {
                &db_fqn
            } else {
                &db_name
            };
            if cfg.filters.database.excludes(subject) {
                out.filtered(
                    EntityKind::Database,
                    db_fqn,
                    "Database (Catalog ID) Filtered Out",
                )
                .await?;
                continue;
            }
        } else {
            let catalogs: BTreeSet<&str> = entries
                .iter()
                .filter_map(|e| e.catalog_id.as_deref())
                .collect();
            if catalogs.len() > 1 {
                out.warn(
                    EntityKind::Database,
                    db_fqn.clone(),
                    format!(
                        "AWS returned Glue databases from more than one catalog ({}), and all of them \
                         go into '{db_name}' because serviceConnection.config.databaseName is set. Two \
                         Glue databases with the same name would be one schema; clear databaseName to \
                         get one OpenMetadata database per catalog",
                        catalogs.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .await?;
            }
        }
        let request = CreateDatabaseRequest {
            name: db_name.clone(),
            service: service_fqn.to_string(),
            ..Default::default()
        };
        emit_entity(
            out,
            EntityKind::Database,
            &db_fqn,
            Some(service_fqn),
            &request,
            true,
        )
        .await?;

        let mut schema_names: HashSet<String> = HashSet::new();
        for entry in entries {
            let schema_fqn = match fqn::build(&[&cfg.service, &db_name, &entry.name]) {
                Ok(f) => f,
                Err(e) => {
                    out.fail(
                        EntityKind::DatabaseSchema,
                        entry.name.clone(),
                        format!("cannot name the schema: {e}"),
                    )
                    .await?;
                    continue;
                }
            };
            let subject = if cfg.pipeline.use_fqn_for_filtering {
                &schema_fqn
            } else {
                &entry.name
            };
            if cfg.filters.schema.excludes(subject) {
                out.filtered(
                    EntityKind::DatabaseSchema,
                    schema_fqn,
                    "Schema Filtered Out",
                )
                .await?;
                continue;
            }
            if !schema_names.insert(entry.name.to_lowercase()) {
                out.fail(
                    EntityKind::DatabaseSchema,
                    schema_fqn,
                    format!(
                        "a Glue database named '{}' from catalog {} was already read into '{db_name}'; \
                         this one is skipped (databaseName merges catalogs)",
                        entry.name,
                        entry.catalog_id.as_deref().unwrap_or("?")
                    ),
                )
                .await?;
                continue;
            }
            let catalog_id = entry
                .catalog_id
                .clone()
                .or_else(|| aws.catalog_id().map(str::to_string));
            let url_catalog_id = catalog_id.clone().unwrap_or_else(|| db_name.clone());
            let request = CreateDatabaseSchemaRequest {
                name: entry.name.clone(),
                description: entry.description.clone().filter(|d| !d.is_empty()),
                database: db_fqn.clone(),
                source_url: Some(console_database_url(
                    aws.region(),
                    &url_catalog_id,
                    &entry.name,
                )),
                ..Default::default()
            };
            emit_entity(
                out,
                EntityKind::DatabaseSchema,
                &schema_fqn,
                Some(&db_fqn),
                &request,
                true,
            )
            .await?;
            jobs.push(SchemaJob {
                schema_fqn,
                glue_name: entry.name,
                catalog_id,
                url_catalog_id,
            });
        }
        out.scope_complete(EntityKind::DatabaseSchema, db_fqn)
            .await?;
    }
    Ok(jobs)
}

/// Lists the tables of every schema, `threads` schemas at a time.
async fn list_tables(shared: Arc<Shared>, jobs: Vec<SchemaJob>) -> Result<(), ConnectorError> {
    let total = jobs.len() as u64;
    let mut done = 0u64;
    let mut set: JoinSet<Result<(), ConnectorError>> = JoinSet::new();
    let mut jobs = jobs.into_iter();
    loop {
        while set.len() < shared.cfg.threads {
            let Some(job) = jobs.next() else { break };
            // Spawned tasks keep the call's log dispatcher (and its level filter);
            // otherwise their AWS SDK events would go through the plugin's global one.
            set.spawn(schema_tables(shared.clone(), job).with_current_subscriber());
        }
        let Some(joined) = set.join_next().await else {
            return Ok(());
        };
        let result = joined.map_err(|e| {
            if e.is_panic() {
                // Re-raise so the SDK reports the panic with its message.
                std::panic::resume_unwind(e.into_panic())
            }
            ConnectorError::internal(format!("a table listing task stopped: {e}"))
        })?;
        if let Err(e) = result {
            set.abort_all();
            return Err(e);
        }
        done += 1;
        shared
            .out
            .context()
            .report_progress("Glue databases read", done, Some(total));
    }
}

/// Lists one schema's tables and sends them, their lineage and the scope marker.
async fn schema_tables(shared: Arc<Shared>, job: SchemaJob) -> Result<(), ConnectorError> {
    let Shared { cfg, aws, out } = &*shared;
    let call = AwsCall::new("glue", "GetTables").on(format!(
        "database '{}'{}",
        job.glue_name,
        job.catalog_id
            .as_deref()
            .map(|c| format!(" in catalog {c}"))
            .unwrap_or_default()
    ));
    let mut pages = aws
        .glue()
        .get_tables()
        .database_name(&job.glue_name)
        .set_catalog_id(job.catalog_id.clone())
        .into_paginator()
        .send();
    let place = TablePlace {
        schema_fqn: &job.schema_fqn,
        schema: &job.glue_name,
        catalog_id: &job.url_catalog_id,
        region: aws.region(),
        include_custom_properties: cfg.pipeline.include_custom_properties,
    };
    let mut stored: HashSet<String> = HashSet::new();
    let mut locations: Vec<(String, String)> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let err = classify(&call, e);
                if err.is_auth() {
                    return Err(ConnectorError::connection(err));
                }
                // The tables already sent keep their lineage; the scope stays open.
                emit_lineage(out, std::mem::take(&mut locations)).await?;
                out.fail(
                    EntityKind::DatabaseSchema,
                    job.schema_fqn.clone(),
                    format!(
                        "the tables of this schema could not be listed, so none of its tables will be \
                         marked deleted in this run: {err}"
                    ),
                )
                .await?;
                return Ok(());
            }
        };
        for t in page.table_list() {
            table(cfg, out, &place, t, &mut stored, &mut locations).await?;
        }
    }
    emit_lineage(out, locations).await?;
    out.scope_complete(EntityKind::Table, job.schema_fqn.clone())
        .await?;
    Ok(())
}

/// Lineage from each table's storage location, sent after the schema's tables so
/// that the sink can batch the tables.
async fn emit_lineage(
    out: &Emitter,
    locations: Vec<(String, String)>,
) -> Result<(), ConnectorError> {
    for (table_fqn, location) in locations {
        out.emit(Record::Lineage {
            from: EntityRef::new(EntityKind::Container, location),
            to: EntityRef::new(EntityKind::Table, table_fqn),
            details: Some(json!({"source": "ExternalTableLineage"})),
        })
        .await?;
    }
    Ok(())
}

async fn table(
    cfg: &GlueConfig,
    out: &Emitter,
    place: &TablePlace<'_>,
    t: &aws_sdk_glue::types::Table,
    stored: &mut HashSet<String>,
    locations: &mut Vec<(String, String)>,
) -> Result<(), ConnectorError> {
    let name = names::table_name(t.name());
    // The schema's FQN is already quoted; only the table's own name is added.
    let table_fqn = match fqn::quote_name(&name) {
        Ok(quoted) => format!("{}.{quoted}", place.schema_fqn),
        Err(_) => {
            out.fail(
                EntityKind::Table,
                format!("{}.{}", place.schema_fqn, t.name()),
                "the table name cannot be part of an OpenMetadata name",
            )
            .await?;
            return Ok(());
        }
    };
    let kind = table_kind(t);
    if kind.is_view && !cfg.pipeline.include_views {
        out.filtered(
            EntityKind::Table,
            table_fqn,
            "View excluded: sourceConfig.config.includeViews is false",
        )
        .await?;
        return Ok(());
    }
    if !kind.is_view && !cfg.pipeline.include_tables {
        out.filtered(
            EntityKind::Table,
            table_fqn,
            "Table excluded: sourceConfig.config.includeTables is false",
        )
        .await?;
        return Ok(());
    }
    let cut = names::truncate_chars(t.name(), names::TABLE_NAME_MAX);
    let subject = if cfg.pipeline.use_fqn_for_filtering {
        table_fqn.as_str()
    } else {
        cut
    };
    if cfg.filters.table.excludes(subject) {
        out.filtered(EntityKind::Table, table_fqn, "Table Filtered Out")
            .await?;
        return Ok(());
    }
    if !stored.insert(name.to_lowercase()) {
        out.fail(
            EntityKind::Table,
            table_fqn,
            format!(
                "another Glue table of this database is stored under the same name (names are cut to \
                 {} characters); '{}' is skipped",
                names::TABLE_NAME_MAX,
                t.name()
            ),
        )
        .await?;
        return Ok(());
    }
    let mapped = map_table(place, t, name);
    for w in mapped.warnings {
        out.warn(EntityKind::Table, table_fqn.clone(), w).await?;
    }
    if cfg.external_table_lineage
        && let Some(location) = mapped
            .request
            .location_path
            .as_deref()
            .and_then(canonical_location)
    {
        locations.push((table_fqn.clone(), location));
    }
    emit_entity(
        out,
        EntityKind::Table,
        &table_fqn,
        Some(place.schema_fqn),
        &mapped.request,
        true,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_locations() {
        assert_eq!(
            canonical_location("s3a://b/p/").as_deref(),
            Some("s3://b/p")
        );
        assert_eq!(canonical_location("S3N://b/p").as_deref(), Some("s3://b/p"));
        assert_eq!(
            canonical_location("s3://bucket").as_deref(),
            Some("s3://bucket")
        );
        assert_eq!(canonical_location("s3://"), None);
        assert_eq!(canonical_location(""), None);
        assert_eq!(canonical_location("/local/path"), None);
    }

    #[test]
    fn source_hash_is_md5_of_the_request_without_itself() {
        let mut v = json!({"name": "t", "sourceHash": "old"});
        stamp_source_hash(&mut v);
        let h = v["sourceHash"].as_str().unwrap().to_string();
        assert_eq!(h.len(), 32);
        assert_eq!(h, hex(&Md5::digest(br#"{"name":"t"}"#)));
        stamp_source_hash(&mut v);
        assert_eq!(v["sourceHash"], h.as_str());
    }
}

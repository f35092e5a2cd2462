//! Datasets as the OpenMetadata entities other connectors made of them.
//!
//! * A Glue table is `<dbService>.<database>.<glueDatabase>.<table>`: the `glue`
//!   connector makes each Glue database a *schema* under an OpenMetadata database
//!   named after the catalog id (or its `databaseName`). Upstream puts the Glue
//!   database in the database slot, so its edges rarely resolve. The catalog id
//!   comes from `GetDatabase` (once per Glue database), which also gives the name
//!   as Glue stores it; `connectionArguments.catalogDatabaseName` replaces both.
//! * A JDBC table is `<dbService>.<database>.<schema>.<table>`: the database from
//!   the node or the Glue connection's JDBC URL (`GetConnection`, once per
//!   connection), the schema from the node or a `schema.table` name.
//! * An S3 location is a container named by its URL (`s3://bucket/path`, `s3a` and
//!   `s3n` read as `s3`, no trailing `/`), as the `glue` connector names the
//!   containers behind tables; the sink finds the container.
//!
//! The connector cannot ask OpenMetadata which service holds a table, so a table
//! gets one candidate per `lineageInformation.dbServiceNames` entry; the sink
//! drops (with a warning) the candidates that do not exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use connector_aws::{AwsCall, AwsError, classify};
use connector_sdk::{EntityKind, EntityRef};
use om_spec::fqn;
use tokio::sync::OnceCell;

use super::{DataRef, jdbc_url_database};

/// A Glue database as `GetDatabase` reports it.
#[derive(Debug, Clone)]
struct GlueDatabase {
    name: String,
    catalog_id: Option<String>,
}

/// Lookups cached for the run; concurrent askers of one key wait for one call.
type Cache<T> = Mutex<HashMap<String, Arc<OnceCell<Result<T, String>>>>>;

/// Resolves datasets to entity references.
pub struct Resolver {
    glue: aws_sdk_glue::Client,
    catalog_id: Option<String>,
    catalog_database_name: Option<String>,
    db_services: Vec<String>,
    databases: Cache<GlueDatabase>,
    connections: Cache<Option<String>>,
}

/// Why a dataset has no entity.
pub type Unresolved = String;

fn cell<T>(cache: &Cache<T>, key: &str) -> Arc<OnceCell<Result<T, String>>> {
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key.to_string())
        .or_default()
        .clone()
}

/// The canonical S3 URL of a location: lower-case scheme, `s3a`/`s3n` as `s3`, no
/// trailing `/`. `None` when it is not an S3 URL with a bucket.
pub fn canonical_s3(path: &str) -> Option<String> {
    let (scheme, rest) = path.trim().split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "s3" | "s3a" | "s3n") {
        return None;
    }
    let rest = rest.trim_end_matches('/');
    (!rest.is_empty()).then(|| format!("s3://{rest}"))
}

impl Resolver {
    pub fn new(
        glue: aws_sdk_glue::Client,
        catalog_id: Option<String>,
        catalog_database_name: Option<String>,
        db_services: Vec<String>,
    ) -> Resolver {
        Resolver {
            glue,
            catalog_id,
            catalog_database_name,
            db_services,
            databases: Mutex::default(),
            connections: Mutex::default(),
        }
    }

    fn tables(
        &self,
        database: &str,
        schema: &str,
        table: &str,
    ) -> Result<Vec<EntityRef>, Unresolved> {
        if self.db_services.is_empty() {
            return Err("lineageInformation.dbServiceNames is empty".to_string());
        }
        self.db_services
            .iter()
            .map(|svc| {
                fqn::build(&[svc.as_str(), database, schema, table])
                    .map(|f| EntityRef::new(EntityKind::Table, f))
                    .map_err(|e| format!("it has no valid OpenMetadata name: {e}"))
            })
            .collect()
    }

    async fn glue_database(&self, name: &str) -> Result<GlueDatabase, Unresolved> {
        let key = name.to_lowercase();
        let cell = cell(&self.databases, &key);
        cell.get_or_init(|| async {
            let call = AwsCall::new("glue", "GetDatabase").on(format!("database '{name}'"));
            match Box::pin(
                self.glue
                    .get_database()
                    .name(name)
                    .set_catalog_id(self.catalog_id.clone())
                    .send(),
            )
            .await
            {
                Ok(out) => {
                    let db = out.database();
                    Ok(GlueDatabase {
                        name: db.map_or_else(|| key.clone(), |d| d.name().to_string()),
                        catalog_id: db
                            .and_then(|d| d.catalog_id())
                            .map(str::to_string)
                            .or_else(|| self.catalog_id.clone()),
                    })
                }
                Err(e) => Err(match classify(&call, e) {
                    AwsError::NotFound { .. } => {
                        format!("the Glue database '{name}' does not exist")
                    }
                    other => format!(
                        "the catalog of Glue database '{name}' could not be read ({other}); set \
                         connectionArguments.catalogDatabaseName to skip this lookup"
                    ),
                }),
            }
        })
        .await
        .clone()
    }

    async fn connection_url(&self, name: &str) -> Result<Option<String>, Unresolved> {
        let cell = cell(&self.connections, name);
        cell.get_or_init(|| async {
            let call = AwsCall::new("glue", "GetConnection").on(format!("connection '{name}'"));
            match Box::pin(
                self.glue
                    .get_connection()
                    .name(name)
                    .hide_password(true)
                    .set_catalog_id(self.catalog_id.clone())
                    .send(),
            )
            .await
            {
                Ok(out) => Ok(out
                    .connection()
                    .and_then(|c| c.connection_properties())
                    .and_then(|p| {
                        p.get(&aws_sdk_glue::types::ConnectionPropertyKey::JdbcConnectionUrl)
                    })
                    .cloned()),
                Err(e) => Err(format!(
                    "the Glue connection '{name}' could not be read: {}",
                    classify(&call, e)
                )),
            }
        })
        .await
        .clone()
    }

    /// The candidate entities of a dataset.
    pub async fn resolve(&self, r: &DataRef) -> Result<Vec<EntityRef>, Unresolved> {
        match r {
            DataRef::S3 { path } => canonical_s3(path)
                .map(|url| vec![EntityRef::new(EntityKind::Container, url)])
                .ok_or_else(|| "it is not an S3 URL with a bucket".to_string()),
            DataRef::Catalog { database, table } => {
                let table = table.to_lowercase();
                match &self.catalog_database_name {
                    Some(om_database) => self.tables(om_database, &database.to_lowercase(), &table),
                    None => {
                        let db = self.glue_database(database).await?;
                        let Some(catalog) = db.catalog_id else {
                            return Err(format!(
                                "Glue did not say which catalog database '{database}' is in; set \
                                 connectionArguments.catalogDatabaseName or catalogId"
                            ));
                        };
                        self.tables(&catalog, &db.name, &table)
                    }
                }
            }
            DataRef::Jdbc {
                connection,
                url,
                database,
                schema,
                table,
            } => {
                let (schema, table) = match (schema, table.rsplit_once('.')) {
                    (Some(s), _) => (Some(s.clone()), table.clone()),
                    (None, Some((s, t))) => (
                        Some(s.rsplit('.').next().unwrap_or(s).to_string()),
                        t.to_string(),
                    ),
                    (None, None) => (None, table.clone()),
                };
                let mut database = database
                    .clone()
                    .or_else(|| url.as_deref().and_then(jdbc_url_database));
                if database.is_none()
                    && let Some(c) = connection
                {
                    database = self
                        .connection_url(c)
                        .await?
                        .as_deref()
                        .and_then(jdbc_url_database);
                }
                let Some(database) = database else {
                    return Err(
                        "its database is not named in the job, nor in a JDBC URL".to_string()
                    );
                };
                let Some(schema) = schema else {
                    return Err(
                        "its schema is not named (write the table as schema.table)".to_string()
                    );
                };
                let strip = |s: &str| {
                    s.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
                        .to_string()
                };
                self.tables(&strip(&database), &strip(&schema), &strip(&table))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_are_canonical() {
        assert_eq!(canonical_s3("s3a://b/p/").as_deref(), Some("s3://b/p"));
        assert_eq!(canonical_s3("S3N://b").as_deref(), Some("s3://b"));
        assert_eq!(canonical_s3("s3://"), None);
        assert_eq!(canonical_s3("/tmp/x"), None);
        assert_eq!(canonical_s3("gs://b/x"), None);
    }
}

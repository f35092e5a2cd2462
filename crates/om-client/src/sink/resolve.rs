//! Finding tables that another workflow wrote, named by an FQN spelled as a
//! different tool spells it (dbt writes `awsdatacatalog.Cafe.Orders` where the Glue
//! workflow stored `awsdatacatalog.cafe.orders`).
//!
//! Each FQN part is matched against what the server holds, ignoring case (an exact
//! match wins over one that differs only in case), and the server's spelling is used
//! from then on. The server is read in bulk and each listing is read once per run:
//! the databases of a service, the schemas of a database, the tables of a schema
//! (with their columns, tags, owners and data model). Concurrent callers that need the
//! same listing wait for one read. A run that names a thousand tables of one schema
//! thus costs three listings, not a thousand lookups.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use om_spec::fqn;
use omctl_record::EntityKind;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::work::{Shared, lock};
use crate::client::{Include, OmClient};
use crate::error::ClientError;

/// The fields a table is read with: what updates, lineage and test cases need
/// (`testSuite`: whether it has test cases to list at all).
pub(crate) const TABLE_FIELDS: &str = "columns,tags,owners,dataModel,testSuite";

/// A table as the server holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableState {
    pub id: String,
    /// The FQN in the server's spelling.
    pub fqn: String,
    /// The table with [`TABLE_FIELDS`] (and `description`, `version`...).
    pub entity: Value,
}

impl TableState {
    /// A table from the server's JSON; `None` when it lacks an id or FQN.
    pub fn from_entity(entity: Value) -> Option<TableState> {
        Some(TableState {
            id: entity.get("id")?.as_str()?.to_string(),
            fqn: entity.get("fullyQualifiedName")?.as_str()?.to_string(),
            entity,
        })
    }
}

/// A database or schema: its name and FQN as the server spells them.
#[derive(Debug, Clone, serde::Deserialize)]
struct Named {
    name: String,
    #[serde(rename = "fullyQualifiedName")]
    fqn: String,
}

/// The tables of one schema, by lower-cased name (names that differ only in case
/// share an entry).
#[derive(Debug, Default)]
struct SchemaTables {
    by_name: Mutex<HashMap<String, Vec<Arc<TableState>>>>,
}

/// Answers of the server by key, each read at most once; callers of a key being
/// read wait for that read. A failed read is not kept: the next caller tries again.
pub(crate) struct ReadOnce<T> {
    cells: Mutex<HashMap<String, Arc<OnceCell<Arc<T>>>>>,
}

impl<T> Default for ReadOnce<T> {
    fn default() -> Self {
        ReadOnce {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> ReadOnce<T> {
    pub(crate) async fn get_or_read<F, Fut>(
        &self,
        key: &str,
        read: F,
    ) -> Result<Arc<T>, ClientError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let cell = Arc::clone(lock(&self.cells).entry(key.to_string()).or_default());
        cell.get_or_try_init(|| async { read().await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Keeps `value` as the answer for `key` unless one was read (or is being
    /// read): what another read told about `key`.
    pub(crate) fn offer(&self, key: &str, value: T) {
        let cell = Arc::clone(lock(&self.cells).entry(key.to_string()).or_default());
        // A read in progress or done wins.
        let _ = cell.set(Arc::new(value));
    }

    /// The listing of `key` if it was read.
    fn cached(&self, key: &str) -> Option<Arc<T>> {
        lock(&self.cells).get(key)?.get().cloned()
    }
}

/// The resolver's caches; one per sink.
#[derive(Default)]
pub(crate) struct TableResolver {
    /// `searchAcrossDatabases`: a table not in the named database may be found in
    /// any database of the service that has that schema and table.
    search_across_databases: bool,
    /// Databases by service name.
    databases: ReadOnce<Vec<Named>>,
    /// Schemas by database FQN (server spelling).
    schemas: ReadOnce<Vec<Named>>,
    /// Tables by schema FQN (server spelling).
    tables: ReadOnce<SchemaTables>,
}

impl TableResolver {
    pub fn new(search_across_databases: bool) -> TableResolver {
        TableResolver {
            search_across_databases,
            ..TableResolver::default()
        }
    }
}

/// The position in `items` of the one named `name` (as the server spells names,
/// unquoted): the exact spelling first, else the first one that differs only in
/// case.
fn position_by_name<T>(items: &[T], name: &str, name_of: impl Fn(&T) -> &str) -> Option<usize> {
    items.iter().position(|i| name_of(i) == name).or_else(|| {
        let lower = name.to_lowercase();
        items
            .iter()
            .position(|i| name_of(i).to_lowercase() == lower)
    })
}

/// The entry of `items` named by the FQN part `name` (see [`position_by_name`]).
fn pick<'a, T>(items: &'a [T], name: &str, name_of: impl Fn(&T) -> &str) -> Option<&'a T> {
    position_by_name(items, fqn::unquote_name(name), name_of).map(|i| &items[i])
}

fn pick_named<'a>(items: &'a [Named], name: &str) -> Option<&'a Named> {
    pick(items, name, |n| n.name.as_str())
}

/// The four parts of a table FQN, as written (quoted parts keep their quotes).
fn table_parts(table_fqn: &str) -> Option<[String; 4]> {
    fqn::split(table_fqn).ok()?.try_into().ok()
}

impl Shared {
    /// The table an FQN names, found case-insensitively part by part (see the
    /// module documentation); `None` when the server has no such table. Errors are
    /// those of the listings.
    pub(crate) async fn find_table(
        &self,
        table_fqn: &str,
    ) -> Result<Option<Arc<TableState>>, ClientError> {
        let Some([service, database, schema, table]) = table_parts(table_fqn) else {
            return Ok(None);
        };
        let databases = self.databases_of(fqn::unquote_name(&service)).await?;
        let named = pick_named(&databases, &database);
        if let Some(db) = named
            && let Some(found) = self.table_in_database(&db.fqn, &schema, &table).await?
        {
            return Ok(Some(found));
        }
        // `*`: the source does not know the database (dbt-spark and dbt-glue give
        // none), so any database of the service may hold the table.
        if self.resolver.search_across_databases || database == "*" {
            for db in databases.iter() {
                if named.is_some_and(|n| n.fqn == db.fqn) {
                    continue;
                }
                if let Some(found) = self.table_in_database(&db.fqn, &schema, &table).await? {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    /// Reports a table that [`Shared::find_table`] did not find: a warning on
    /// `subject` (the record's subject) saying what is missing and, where it can,
    /// how to fix the names, counted in [`StepSummary::not_found`].
    ///
    /// [`StepSummary::not_found`]: omctl_record::status::StepSummary::not_found
    pub(crate) fn table_not_found(&self, table_fqn: &str, subject: &str) {
        let reason = self.table_not_found_reason(table_fqn);
        let mut s = lock(&self.summary);
        s.warn(subject, reason);
        s.not_found += 1;
    }

    /// Why [`Shared::find_table`] did not find `table_fqn`, from the listings it
    /// read: "table x was not found on the server: ...", with the
    /// `catalogMapping` / `databaseName` fix when the service has exactly one
    /// database under another name.
    pub(crate) fn table_not_found_reason(&self, table_fqn: &str) -> String {
        let head = format!("table {table_fqn} was not found on the server");
        let Some([service, database, schema, table]) = table_parts(table_fqn) else {
            return format!(
                "{head}: it is not a table FQN (service.database.schema.table, names with dots in quotes)"
            );
        };
        let service = fqn::unquote_name(&service);
        let across = if self.resolver.search_across_databases {
            " (searchAcrossDatabases: no other database of the service has it either)"
        } else {
            ""
        };
        let Some(databases) = self.resolver.databases.cached(service) else {
            return format!("{head}{across}");
        };
        let Some(db) = pick_named(&databases, &database) else {
            let db_name = fqn::unquote_name(&database);
            return match databases.as_slice() {
                [] => format!(
                    "{head}: database service {service} has no databases (or does not exist){across}"
                ),
                [only] => format!(
                    "{head}: database service {service} has no database {db_name}, its only database is {only_name}{across}; \
                     to match them, set `catalogMapping: {{{db_name}: \"{only_name}\"}}` in the dbt workflow \
                     (source.sourceConfig.config), or set `databaseName: {db_name}` in the Glue connection and re-run the Glue workflow",
                    only_name = only.name
                ),
                _ => {
                    let names: Vec<&str> = databases.iter().map(|d| d.name.as_str()).collect();
                    format!(
                        "{head}: database service {service} has no database {db_name} (it has {}){across}; \
                         `catalogMapping` in the dbt workflow maps a dbt database to one of them",
                        names.join(", ")
                    )
                }
            };
        };
        let Some(schemas) = self.resolver.schemas.cached(&db.fqn) else {
            return format!("{head}{across}");
        };
        let Some(sch) = pick_named(&schemas, &schema) else {
            return format!(
                "{head}: database {} has no schema {}{across}",
                db.fqn,
                fqn::unquote_name(&schema)
            );
        };
        if self.resolver.tables.cached(&sch.fqn).is_some() {
            return format!(
                "{head}: schema {} has no table {}{across}",
                sch.fqn,
                fqn::unquote_name(&table)
            );
        }
        format!("{head}{across}")
    }

    /// Puts the server's answer to a write of `table` in the cache, in place of
    /// what was known, and returns the new state. An answer that leaves out some
    /// fields (a PATCH answer without `dataModel`) keeps them from before.
    pub(crate) fn table_written(&self, table: &TableState, answer: &Value) -> Arc<TableState> {
        let mut entity = table.entity.clone();
        if let (Some(obj), Some(new)) = (entity.as_object_mut(), answer.as_object()) {
            for (k, v) in new {
                obj.insert(k.clone(), v.clone());
            }
        }
        let state = Arc::new(TableState {
            id: table.id.clone(),
            fqn: table.fqn.clone(),
            entity,
        });
        let schema_fqn = fqn::split(&table.fqn)
            .ok()
            .filter(|p| p.len() == 4)
            .map(|p| p[..3].join("."));
        if let Some(tables) = schema_fqn.and_then(|s| self.resolver.tables.cached(&s)) {
            let name = state.entity["name"].as_str().unwrap_or_default();
            let mut by_name = lock(&tables.by_name);
            let entries = by_name.entry(name.to_lowercase()).or_default();
            match entries.iter_mut().find(|t| t.id == state.id) {
                Some(slot) => *slot = Arc::clone(&state),
                None => entries.push(Arc::clone(&state)),
            }
        }
        state
    }

    /// `GET /tables/{id}` with [`TABLE_FIELDS`], cached like a listed table; `None`
    /// when the table is gone.
    pub(crate) async fn reread_table(
        &self,
        table: &TableState,
    ) -> Result<Option<Arc<TableState>>, ClientError> {
        let entity = self
            .client
            .get_by_id(EntityKind::Table, &table.id, &table.fqn, Some(TABLE_FIELDS))
            .await?;
        Ok(entity.map(|e| self.table_written(table, &e)))
    }

    async fn databases_of(&self, service: &str) -> Result<Arc<Vec<Named>>, ClientError> {
        self.resolver
            .databases
            .get_or_read(service, || {
                self.list_all::<Named>(EntityKind::Database, "service", service, None)
            })
            .await
    }

    async fn table_in_database(
        &self,
        database_fqn: &str,
        schema: &str,
        table: &str,
    ) -> Result<Option<Arc<TableState>>, ClientError> {
        let schemas = self
            .resolver
            .schemas
            .get_or_read(database_fqn, || {
                self.list_all::<Named>(EntityKind::DatabaseSchema, "database", database_fqn, None)
            })
            .await?;
        let Some(sch) = pick_named(&schemas, schema) else {
            return Ok(None);
        };
        let tables = self
            .resolver
            .tables
            .get_or_read(&sch.fqn, || async {
                let listed = self
                    .list_all::<Value>(
                        EntityKind::Table,
                        "databaseSchema",
                        &sch.fqn,
                        Some(TABLE_FIELDS),
                    )
                    .await?;
                let mut by_name: HashMap<String, Vec<Arc<TableState>>> = HashMap::new();
                for t in listed.into_iter().filter_map(TableState::from_entity) {
                    let name = t.entity["name"].as_str().unwrap_or_default().to_lowercase();
                    by_name.entry(name).or_default().push(Arc::new(t));
                }
                Ok(SchemaTables {
                    by_name: Mutex::new(by_name),
                })
            })
            .await?;
        let wanted = fqn::unquote_name(table);
        let by_name = lock(&tables.by_name);
        let Some(candidates) = by_name.get(&wanted.to_lowercase()) else {
            return Ok(None);
        };
        Ok(pick(candidates, table, |t| {
            t.entity["name"].as_str().unwrap_or_default()
        })
        .cloned())
    }

    /// Every page of `GET /{collection}?{filter}={value}`. A parent the server does
    /// not have (404) has nothing under it.
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
        filter: &str,
        value: &str,
        fields: Option<&str>,
    ) -> Result<Vec<T>, ClientError> {
        let mut filters = vec![(filter, value)];
        if let Some(f) = fields {
            filters.push(("fields", f));
        }
        self.list_all_by(kind, &filters).await
    }

    /// Every page of `GET /{collection}?{filters}`; a 404 lists nothing.
    pub(crate) async fn list_all_by<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, ClientError> {
        let mut out = Vec::new();
        self.for_each_listed(kind, filters, |item| out.push(item))
            .await?;
        Ok(out)
    }

    /// Hands each entity of every page of `GET /{collection}?{filters}` to `each`,
    /// page by page (only one page is held); a 404 lists nothing.
    pub(crate) async fn for_each_listed<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
        filters: &[(&str, &str)],
        mut each: impl FnMut(T),
    ) -> Result<(), ClientError> {
        let mut after: Option<String> = None;
        loop {
            let page = match self
                .client
                .list_page::<T>(
                    kind,
                    filters,
                    self.settings.list_page_size,
                    after.as_deref(),
                )
                .await
            {
                Ok(p) => p,
                Err(e) if e.status() == Some(404) => return Ok(()),
                Err(e) => return Err(e),
            };
            let empty = page.data.is_empty();
            page.data.into_iter().for_each(&mut each);
            match page.after {
                Some(a) if Some(&a) != after.as_ref() && !empty => after = Some(a),
                _ => return Ok(()),
            }
        }
    }
}

/// Fails unless the server has the database service `service` (`source.serviceName`)
/// whose tables a dbt workflow updates: without it every record would be "not
/// found", so the run stops before anything is read.
pub(crate) async fn require_database_service(
    client: &OmClient,
    service: Option<&str>,
) -> Result<(), ClientError> {
    let Some(service) = service.filter(|s| !s.is_empty()) else {
        return Err(ClientError::Config(
            "source.serviceName: a dbt workflow must name the database service whose tables it updates".to_string(),
        ));
    };
    match client
        .get_by_name(
            EntityKind::DatabaseService,
            service,
            None,
            Include::NonDeleted,
        )
        .await?
    {
        Some(_) => Ok(()),
        None => Err(ClientError::MissingService {
            service: service.to_string(),
        }),
    }
}

/// The positions (top level first, then down `children`) of the column a name or
/// dotted path names among a table's `columns`. A name may be written as in an FQN
/// (quoted when it has a dot); a top-level name with a dot also matches as written.
/// Each name matches its exact spelling first, else one that differs only in case,
/// as OpenMetadata's search does.
pub(crate) fn column_indices(columns: &[Value], path: &str) -> Option<Vec<usize>> {
    fn name_of(column: &Value) -> &str {
        column
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    if let Some(i) = position_by_name(columns, path, name_of) {
        return Some(vec![i]);
    }
    let mut indices = Vec::new();
    let mut level = columns;
    for part in fqn::split(path).ok()? {
        let i = position_by_name(level, fqn::unquote_name(&part), name_of)?;
        indices.push(i);
        level = columns_of_nested(&level[i]);
    }
    Some(indices)
}

/// The array under `key` of an entity (none when it has no such array).
fn array_field<'a>(entity: &'a Value, key: &str) -> &'a [Value] {
    entity
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The `columns` of a table entity.
pub(crate) fn columns_of(table: &Value) -> &[Value] {
    array_field(table, "columns")
}

/// The `children` of a nested column (none for a plain one).
pub(crate) fn columns_of_nested(column: &Value) -> &[Value] {
    array_field(column, "children")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_spelling_wins_over_case_insensitive() {
        let items = vec![
            Named {
                name: "Orders".into(),
                fqn: "a".into(),
            },
            Named {
                name: "orders".into(),
                fqn: "b".into(),
            },
        ];
        assert_eq!(pick_named(&items, "orders").unwrap().fqn, "b");
        assert_eq!(pick_named(&items, "Orders").unwrap().fqn, "a");
        assert_eq!(pick_named(&items, "ORDERS").unwrap().fqn, "a");
        assert!(pick_named(&items, "order").is_none());
    }

    #[test]
    fn quoted_parts_match_plain_names() {
        let items = vec![Named {
            name: "v1.orders".into(),
            fqn: "svc.db.sch.\"v1.orders\"".into(),
        }];
        assert!(pick_named(&items, "\"V1.Orders\"").is_some());
        assert_eq!(
            table_parts("svc.db.sch.\"v1.orders\"").unwrap()[3],
            "\"v1.orders\""
        );
        assert!(table_parts("svc.db.sch").is_none());
    }
}

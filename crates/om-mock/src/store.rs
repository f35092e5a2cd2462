//! What the emulated server remembers, and the operations that change it.
//!
//! Entities live per collection in a map ordered by FQN. Because an FQN is its
//! parent's FQN plus `.` plus the quoted name, every descendant of an entity sits in
//! one contiguous FQN range, so listing a scope (`?databaseSchema=svc.db.sch`) is a
//! range scan rather than a walk over the catalog.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::collections::{self, Collection, ParentRule, SERVICE_COLLECTIONS};

/// An error answer, shaped like OpenMetadata's `{"code", "message"}` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(entity_type: &str, what: &str) -> Self {
        ApiError::new(404, format!("{entity_type} instance for {what} not found"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, message)
    }

    pub fn body(&self) -> Value {
        json!({"code": self.status, "message": self.message})
    }
}

/// Which entities a read includes, as OpenMetadata's `include` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Include {
    NonDeleted,
    Deleted,
    All,
}

impl Include {
    pub fn parse(value: Option<&str>) -> Result<Include, ApiError> {
        match value {
            None | Some("non-deleted") => Ok(Include::NonDeleted),
            Some("deleted") => Ok(Include::Deleted),
            Some("all") => Ok(Include::All),
            Some(other) => Err(ApiError::bad_request(format!(
                "query param include must be one of [all, deleted, non-deleted], got {other}"
            ))),
        }
    }

    fn admits(self, entity: &Value) -> bool {
        let deleted = entity
            .get("deleted")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        match self {
            Include::NonDeleted => !deleted,
            Include::Deleted => deleted,
            Include::All => true,
        }
    }
}

/// The result of a create-or-update.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub created: bool,
    pub entity: Value,
}

/// A page of a listing.
pub(crate) struct ListQuery<'a> {
    pub filters: Vec<(&'a str, &'a str)>,
    pub include: Include,
    pub limit: usize,
    pub after: Option<String>,
    /// `includeAllTests=true`: an `entityLink` filter naming a table also admits
    /// the test cases on its columns.
    pub include_all_tests: bool,
}

#[derive(Default)]
pub(crate) struct Store {
    entities: HashMap<&'static str, BTreeMap<String, Value>>,
    /// id -> (collection path, FQN)
    ids: HashMap<String, (&'static str, String)>,
    /// How many times an FQN was hard-deleted, so that a re-created entity gets a new
    /// id while ids stay independent of the order of concurrent writes.
    generations: HashMap<(&'static str, String), u32>,
    /// (fromId, toId) -> edge
    lineage: BTreeMap<(String, String), Value>,
    /// pipeline FQN -> timestamp -> status
    pipeline_statuses: HashMap<String, BTreeMap<i64, Value>>,
    /// ingestion pipeline FQN -> runId -> status
    ingestion_statuses: HashMap<String, BTreeMap<String, Value>>,
    /// test case FQN -> results in timestamp order. A second result with a
    /// timestamp already stored is kept next to the first, as a naive time series
    /// does, so that a client's own dedupe shows in tests.
    test_case_results: HashMap<String, Vec<Value>>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A UUID-shaped id derived from what the entity is, so that ids do not depend on
/// the order in which concurrent writes arrive (stable snapshots).
fn derived_id(entity_type: &str, fqn: &str, generation: u32) -> String {
    fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
        let mut h = seed;
        for part in parts {
            for b in *part {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
    let g = generation.to_le_bytes();
    let parts: [&[u8]; 3] = [entity_type.as_bytes(), fqn.as_bytes(), &g];
    let hi = fnv(0xcbf2_9ce4_8422_2325, &parts);
    let lo = fnv(0x8422_2325_cbf2_9ce4, &parts);
    // Version 4 and RFC 4122 variant bits, so that strict UUID parsers accept it.
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

fn reference(entity_type: &str, entity: &Value) -> Value {
    json!({
        "id": entity["id"],
        "type": entity_type,
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
    })
}

fn bump_version(entity: &mut Value) {
    let v = entity.get("version").and_then(Value::as_f64).unwrap_or(0.1);
    entity["version"] = json!(((v + 0.1) * 10.0).round() / 10.0);
    entity["updatedAt"] = json!(now_ms());
}

/// Gives every column (and nested child column) its FQN under `parent`.
fn name_columns(columns: &mut Value, parent: &str) {
    let Some(cols) = columns.as_array_mut() else {
        return;
    };
    for col in cols {
        let Some(name) = col.get("name").and_then(Value::as_str) else {
            continue;
        };
        let fqn = format!("{parent}.{}", quote(name));
        if let Some(children) = col.get_mut("children") {
            name_columns(children, &fqn);
        }
        col["fullyQualifiedName"] = Value::String(fqn);
    }
}

fn name_tasks(tasks: &mut Value, parent: &str) {
    let Some(tasks) = tasks.as_array_mut() else {
        return;
    };
    for task in tasks {
        if let Some(name) = task.get("name").and_then(Value::as_str) {
            task["fullyQualifiedName"] = Value::String(format!("{parent}.{}", quote(name)));
        }
    }
}

/// Names the parts of an entity that carry their own FQN (columns, tasks).
fn derive_children_names(entity: &mut Value, fqn: &str) {
    if let Some(cols) = entity.get_mut("columns") {
        name_columns(cols, fqn);
    }
    // A container's data model columns are named under the container.
    if let Some(cols) = entity
        .get_mut("dataModel")
        .and_then(|m| m.get_mut("columns"))
    {
        name_columns(cols, fqn);
    }
    if let Some(tasks) = entity.get_mut("tasks") {
        name_tasks(tasks, fqn);
    }
}

/// Adds the labels of `labels` that `target.tags` does not have yet (by `tagFQN`).
fn add_tag_labels(target: &mut Value, labels: &[Value]) {
    if !target.get("tags").is_some_and(Value::is_array) {
        target["tags"] = json!([]);
    }
    let tags = target["tags"].as_array_mut().expect("made an array above");
    for label in labels {
        if !tags.iter().any(|t| t["tagFQN"] == label["tagFQN"]) {
            tags.push(label.clone());
        }
    }
}

/// Column names of a table, nested ones as `parent.child`, as an entity link may
/// name them.
fn column_paths(columns: &Value, prefix: &str, out: &mut Vec<String>) {
    for col in columns.as_array().into_iter().flatten() {
        let Some(name) = col.get("name").and_then(Value::as_str) else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        if let Some(children) = col.get("children") {
            column_paths(children, &path, out);
        }
        out.push(path);
    }
}

/// A create request that passed the server's checks, ready to write.
struct CheckedCreate<'r> {
    name: &'r str,
    fqn: String,
    req: &'r Map<String, Value>,
    parent: Option<(&'static Collection, Value)>,
}

/// A table entity link, `<#E::table::<table fqn>[::columns::<column>]>`.
struct TableLink<'a> {
    table: &'a str,
    column: Option<&'a str>,
}

fn parse_table_link(link: &str) -> Option<TableLink<'_>> {
    let inner = link.strip_prefix("<#E::")?.strip_suffix('>')?;
    let parts: Vec<&str> = inner.split("::").collect();
    match parts.as_slice() {
        ["table", table, rest @ ..] => Some(TableLink {
            table,
            column: match rest {
                ["columns", column, ..] => Some(column),
                _ => None,
            },
        }),
        _ => None,
    }
}

/// A test case's entity link may only name a column the table has; the server
/// compares names exactly (case-sensitive).
fn check_link_column(table: &Value, link: &TableLink<'_>) -> Result<(), ApiError> {
    let Some(column) = link.column else {
        return Ok(());
    };
    let mut known = Vec::new();
    column_paths(table.get("columns").unwrap_or(&Value::Null), "", &mut known);
    if known.iter().any(|k| k == column) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid column name {column}"
        )))
    }
}

fn quote(name: &str) -> String {
    om_spec::fqn::quote_name(name).unwrap_or_else(|_| name.to_string())
}

/// The collections whose entities live under an entity of `path`, directly or not.
fn descendant_collections(path: &str) -> Vec<&'static Collection> {
    let mut out: Vec<&'static Collection> = Vec::new();
    let mut frontier = vec![path.to_string()];
    while let Some(p) = frontier.pop() {
        for c in collections::COLLECTIONS {
            let is_child = match c.parent {
                ParentRule::Field { collections, .. } => collections.contains(&p.as_str()),
                ParentRule::ServiceReference => SERVICE_COLLECTIONS.contains(&p.as_str()),
                ParentRule::EntityLink => p == "tables",
                ParentRule::Root => false,
            };
            if is_child && !out.iter().any(|o| o.path == c.path) {
                out.push(c);
                frontier.push(c.path.to_string());
            }
        }
    }
    out
}

fn prefix_range<'a>(
    map: &'a BTreeMap<String, Value>,
    prefix: &'a str,
    after: Option<&'a str>,
) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    let start = match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_string()),
        _ => Bound::Included(prefix.to_string()),
    };
    map.range((start, Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(prefix))
}

fn hex_encode(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

impl Store {
    fn collection(&self, path: &str) -> Option<&BTreeMap<String, Value>> {
        self.entities.get(path)
    }

    pub fn get_by_fqn(
        &self,
        coll: &Collection,
        fqn: &str,
        include: Include,
    ) -> Result<&Value, ApiError> {
        self.collection(coll.path)
            .and_then(|m| m.get(fqn))
            .filter(|e| include.admits(e))
            .ok_or_else(|| ApiError::not_found(coll.entity_type, fqn))
    }

    pub fn get_by_id(
        &self,
        coll: &Collection,
        id: &str,
        include: Include,
    ) -> Result<&Value, ApiError> {
        self.ids
            .get(id)
            .filter(|(path, _)| *path == coll.path)
            .and_then(|(path, fqn)| self.entities.get(path)?.get(fqn))
            .filter(|e| include.admits(e))
            .ok_or_else(|| ApiError::not_found(coll.entity_type, id))
    }

    /// Any live entity by id, whatever its collection.
    pub fn entity_by_id(&self, id: &str) -> Option<(&'static str, &Value)> {
        let (path, fqn) = self.ids.get(id)?;
        let e = self.entities.get(path)?.get(fqn)?;
        Some((path, e))
    }

    /// The entity `id` when it is live and of `entity_type` (as an entity
    /// reference or a `/{entityType}/{id}` path names it), else the server's 404.
    fn live_entity(&self, entity_type: &str, id: &str) -> Result<&Value, ApiError> {
        match self.entity_by_id(id) {
            Some((path, e))
                if collections::by_path(path).map(|c| c.entity_type) == Some(entity_type)
                    && e["deleted"] != json!(true) =>
            {
                Ok(e)
            }
            _ => Err(ApiError::not_found(entity_type, id)),
        }
    }

    fn parent_of(
        &self,
        coll: &Collection,
        req: &Map<String, Value>,
    ) -> Result<Option<(&'static Collection, Value)>, ApiError> {
        match coll.parent {
            ParentRule::Root => Ok(None),
            ParentRule::Field { field, collections } => {
                let parent_fqn = req
                    .get(field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::bad_request(format!("[{field} must not be null]")))?;
                for path in collections {
                    let pc = collections::by_path(path).expect("parent collections are listed");
                    // A service is named by its plain name in requests; look it up
                    // both as given and quoted.
                    let candidates = [parent_fqn.to_string(), quote(parent_fqn)];
                    for c in candidates {
                        if let Ok(p) = self.get_by_fqn(pc, &c, Include::NonDeleted) {
                            return Ok(Some((pc, p.clone())));
                        }
                    }
                }
                let pc =
                    collections::by_path(collections[0]).expect("parent collections are listed");
                Err(ApiError::not_found(pc.entity_type, parent_fqn))
            }
            ParentRule::ServiceReference => {
                let id = req
                    .get("service")
                    .and_then(|s| s.get("id"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::bad_request("[service must not be null]"))?;
                match self.entity_by_id(id) {
                    Some((path, e)) if SERVICE_COLLECTIONS.contains(&path) => {
                        let pc = collections::by_path(path).expect("known collection");
                        Ok(Some((pc, e.clone())))
                    }
                    _ => Err(ApiError::not_found("service", id)),
                }
            }
            ParentRule::EntityLink => {
                let link = req
                    .get("entityLink")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::bad_request("[entityLink must not be null]"))?;
                let parsed = parse_table_link(link)
                    .ok_or_else(|| ApiError::bad_request(format!("Invalid entityLink {link}")))?;
                let tables = collections::by_path("tables").expect("tables are served");
                let table = self
                    .get_by_fqn(tables, parsed.table, Include::NonDeleted)?
                    .clone();
                Ok(Some((tables, table)))
            }
        }
    }

    fn fqn_for(
        &self,
        coll: &Collection,
        name: &str,
        req: &Map<String, Value>,
        parent: Option<&Value>,
    ) -> String {
        let quoted = quote(name);
        match (coll.parent, parent) {
            (ParentRule::EntityLink, Some(table)) => {
                let table_fqn = table["fullyQualifiedName"].as_str().unwrap_or_default();
                let column = req
                    .get("entityLink")
                    .and_then(Value::as_str)
                    .and_then(parse_table_link)
                    .and_then(|l| l.column);
                match column {
                    Some(col) => format!("{table_fqn}.{}.{quoted}", quote(col)),
                    None => format!("{table_fqn}.{quoted}"),
                }
            }
            (_, Some(p)) => format!(
                "{}.{quoted}",
                p["fullyQualifiedName"].as_str().unwrap_or_default()
            ),
            (_, None) => quoted,
        }
    }

    /// The FQN an entity created from `request` gets.
    pub fn request_fqn(&self, coll: &Collection, request: &Value) -> Result<String, ApiError> {
        let req = request
            .as_object()
            .ok_or_else(|| ApiError::bad_request("the request body must be an object"))?;
        let name = req
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("[name must not be null]"))?;
        let parent = self.parent_of(coll, req)?;
        Ok(self.fqn_for(coll, name, req, parent.as_ref().map(|(_, p)| p)))
    }

    /// `PUT /v1/{collection}`: create the entity or update the one with the same FQN.
    pub fn create_or_update(
        &mut self,
        coll: &'static Collection,
        request: &Value,
    ) -> Result<Written, ApiError> {
        let checked = self.check_create(coll, request)?;
        self.write_checked(coll, checked)
    }

    /// `POST /v1/dataQuality/testCases/createMany`: creates every request or none.
    /// A request the server would refuse alone (400), one naming an entity that
    /// exists, or two naming the same one (409), refuses the whole list.
    pub fn create_many(
        &mut self,
        coll: &'static Collection,
        requests: &[Value],
    ) -> Result<Vec<Value>, ApiError> {
        let mut checked = Vec::with_capacity(requests.len());
        let mut fqns = HashSet::new();
        for request in requests {
            let c = self.check_create(coll, request)?;
            if self.get_by_fqn(coll, &c.fqn, Include::All).is_ok() || !fqns.insert(c.fqn.clone()) {
                return Err(ApiError::new(
                    409,
                    format!("Entity already exists: {}", c.fqn),
                ));
            }
            checked.push(c);
        }
        checked
            .into_iter()
            .map(|c| self.write_checked(coll, c).map(|w| w.entity))
            .collect()
    }

    /// A create request checked as the server checks it: its name, its parent,
    /// and (test cases) the column its entity link names.
    fn check_create<'r>(
        &self,
        coll: &'static Collection,
        request: &'r Value,
    ) -> Result<CheckedCreate<'r>, ApiError> {
        let req = request.as_object().ok_or_else(|| {
            ApiError::bad_request("Unable to process JSON: the request body must be an object")
        })?;
        let name = req
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("[name must not be null]"))?;
        if name.is_empty() || name.chars().count() > 256 {
            return Err(ApiError::bad_request(
                "[name size must be between 1 and 256]",
            ));
        }
        if name.contains("::") {
            return Err(ApiError::bad_request("[name must match \"^((?!::).)*$\"]"));
        }
        if om_spec::fqn::quote_name(name).is_err() {
            return Err(ApiError::bad_request(format!("Invalid name {name}")));
        }
        let parent = self.parent_of(coll, req)?;
        if let (ParentRule::EntityLink, Some((_, table))) = (coll.parent, &parent)
            && let Some(link) = req
                .get("entityLink")
                .and_then(Value::as_str)
                .and_then(parse_table_link)
        {
            check_link_column(table, &link)?;
        }
        let fqn = self.fqn_for(coll, name, req, parent.as_ref().map(|(_, p)| p));
        Ok(CheckedCreate {
            name,
            fqn,
            req,
            parent,
        })
    }

    fn write_checked(
        &mut self,
        coll: &'static Collection,
        c: CheckedCreate<'_>,
    ) -> Result<Written, ApiError> {
        let written = self.write_entity(coll, c.name, &c.fqn, c.req, c.parent)?;
        if let ParentRule::EntityLink = coll.parent {
            return Ok(self.attach_to_basic_suite(written));
        }
        Ok(written)
    }

    fn write_entity(
        &mut self,
        coll: &'static Collection,
        name: &str,
        fqn: &str,
        req: &Map<String, Value>,
        parent: Option<(&'static Collection, Value)>,
    ) -> Result<Written, ApiError> {
        let fqn = fqn.to_string();
        let parent_field = match coll.parent {
            ParentRule::Field { field, .. } => Some(field),
            ParentRule::ServiceReference => Some("service"),
            ParentRule::EntityLink | ParentRule::Root => None,
        };

        if let Some(stored) = self
            .entities
            .get_mut(coll.path)
            .and_then(|m| m.get_mut(&fqn))
        {
            // Update in place: only the fields the request carries, and a new
            // version only when one of them differs.
            let mut incoming = Value::Object(
                req.iter()
                    .filter(|(k, v)| !v.is_null() && Some(k.as_str()) != parent_field)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            derive_children_names(&mut incoming, &fqn);
            incoming["deleted"] = json!(false);
            let Value::Object(incoming) = incoming else {
                unreachable!("built as an object")
            };
            let previous_version = stored.get("version").cloned();
            let mut added = Vec::new();
            let mut updated = Vec::new();
            for (k, v) in incoming {
                match stored.get(&k) {
                    Some(old) if *old == v => continue,
                    Some(_) => updated.push(json!({"name": k})),
                    None => added.push(json!({"name": k})),
                }
                stored[k.as_str()] = v;
            }
            let mut entity = stored.clone();
            if !added.is_empty() || !updated.is_empty() {
                bump_version(stored);
                entity = stored.clone();
                // Like the server, the answer to a change describes it; the
                // stored entity does not keep it (snapshots stay comparable).
                let change = json!({
                    "previousVersion": previous_version,
                    "fieldsAdded": added,
                    "fieldsUpdated": updated,
                    "fieldsDeleted": [],
                });
                entity["changeDescription"] = change.clone();
                entity["incrementalChangeDescription"] = change;
            }
            return Ok(Written {
                created: false,
                entity,
            });
        }
        let generation = self
            .generations
            .get(&(coll.path, fqn.clone()))
            .copied()
            .unwrap_or(0);
        let mut e: Map<String, Value> = req
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        e.insert(
            "id".into(),
            json!(derived_id(coll.entity_type, &fqn, generation)),
        );
        e.insert("name".into(), json!(name));
        e.insert("fullyQualifiedName".into(), json!(fqn));
        e.insert("version".into(), json!(0.1));
        e.insert("updatedAt".into(), json!(now_ms()));
        e.insert("updatedBy".into(), json!("ingestion-bot"));
        e.insert("deleted".into(), json!(false));
        if let (Some((pc, p)), Some(field)) = (&parent, parent_field) {
            if matches!(coll.parent, ParentRule::Field { .. }) {
                // Children carry references to every ancestor, as the
                // server's entities do (a table names its schema, database
                // and service).
                for inherited in ["service", "database", "databaseSchema", "serviceType"] {
                    if let Some(v) = p.get(inherited) {
                        e.insert(inherited.into(), v.clone());
                    }
                }
            }
            e.insert(field.to_string(), reference(pc.entity_type, p));
        }
        let mut e = Value::Object(e);
        derive_children_names(&mut e, &fqn);
        let id = e["id"].as_str().unwrap_or_default().to_string();
        self.ids.insert(id, (coll.path, fqn.clone()));
        self.entities
            .entry(coll.path)
            .or_default()
            .insert(fqn, e.clone());
        Ok(Written {
            created: true,
            entity: e,
        })
    }

    /// Like the server, a test case belongs to its table's basic test suite
    /// (`<table fqn>.testSuite`), made on the first test case of the table.
    fn attach_to_basic_suite(&mut self, mut written: Written) -> Written {
        let case_fqn = written.entity["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(table_fqn) = written.entity["entityLink"]
            .as_str()
            .and_then(parse_table_link)
            .map(|l| l.table.to_string())
        else {
            return written;
        };
        let Some(table) = self.entity("tables", &table_fqn) else {
            return written;
        };
        let suites =
            collections::by_path("dataQuality/testSuites").expect("test suites are served");
        let suite_fqn = format!("{table_fqn}.testSuite");
        if self.entity(suites.path, &suite_fqn).is_none() {
            let id = derived_id(suites.entity_type, &suite_fqn, 0);
            let suite = json!({
                "id": id,
                "name": suite_fqn,
                "fullyQualifiedName": suite_fqn,
                "basic": true,
                "basicEntityReference": reference("table", &table),
                "tests": [],
                "version": 0.1,
                "updatedAt": now_ms(),
                "updatedBy": "ingestion-bot",
                "deleted": false,
            });
            // The table names its basic suite (`fields=testSuite`); a relationship,
            // so its version does not change.
            let suite_ref = reference("testSuite", &suite);
            if let Some(t) = self
                .entities
                .get_mut("tables")
                .and_then(|m| m.get_mut(&table_fqn))
            {
                t["testSuite"] = suite_ref;
            }
            self.ids.insert(id, (suites.path, suite_fqn.clone()));
            self.entities
                .entry(suites.path)
                .or_default()
                .insert(suite_fqn.clone(), suite);
        }
        let case_ref = reference("testCase", &written.entity);
        let suite = self
            .entities
            .get_mut(suites.path)
            .and_then(|m| m.get_mut(&suite_fqn))
            .expect("the suite was just found or made");
        // Membership is a relationship on the server: it changes no version.
        if let Some(tests) = suite["tests"].as_array_mut()
            && !tests.iter().any(|t| t["id"] == case_ref["id"])
        {
            tests.push(case_ref);
        }
        let suite_ref = reference("testSuite", suite);
        if let Some(case) = self
            .entities
            .get_mut("dataQuality/testCases")
            .and_then(|m| m.get_mut(&case_fqn))
        {
            case["testSuite"] = suite_ref.clone();
            case["testSuites"] = json!([suite_ref]);
            written.entity["testSuite"] = case["testSuite"].clone();
            written.entity["testSuites"] = case["testSuites"].clone();
        }
        written
    }

    /// `PUT /v1/tables/{id}/dataModel`, as the server's `addDataModel`: the data
    /// model is stored; its owners become the table's only when the table has none;
    /// its tags are added to the table's, and each model column's tags to the table
    /// column of exactly the same name. Answers the table with columns, tags and
    /// owners.
    pub fn add_data_model(&mut self, table_id: &str, model: &Value) -> Result<Value, ApiError> {
        let tables = collections::by_path("tables").expect("tables are served");
        let mut table = self
            .get_by_id(tables, table_id, Include::NonDeleted)?
            .clone();
        if !model.is_object() {
            return Err(ApiError::bad_request(
                "Unable to process JSON: a data model is an object",
            ));
        }
        if model.get("modelType").and_then(Value::as_str).is_none() {
            return Err(ApiError::bad_request("[modelType must not be null]"));
        }
        let fqn = table["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut stored_model = model.clone();
        if let Some(cols) = stored_model.get_mut("columns") {
            name_columns(cols, &fqn);
        }
        table["dataModel"] = stored_model;
        let has_owners = table
            .get("owners")
            .and_then(Value::as_array)
            .is_some_and(|o| !o.is_empty());
        if !has_owners
            && let Some(owners) = model.get("owners").and_then(Value::as_array)
            && !owners.is_empty()
        {
            table["owners"] = Value::Array(owners.clone());
        }
        if let Some(tags) = model.get("tags").and_then(Value::as_array) {
            add_tag_labels(&mut table, tags);
        }
        if let (Some(model_cols), Some(cols)) = (
            model.get("columns").and_then(Value::as_array),
            table.get_mut("columns").and_then(Value::as_array_mut),
        ) {
            for model_col in model_cols {
                let Some(tags) = model_col.get("tags").and_then(Value::as_array) else {
                    continue;
                };
                if let Some(col) = cols
                    .iter_mut()
                    .find(|c| c.get("name").is_some() && c.get("name") == model_col.get("name"))
                {
                    add_tag_labels(col, tags);
                }
            }
        }
        Ok(self.replace(tables, table))
    }

    /// `DELETE /v1/lineage/{entityType}/{id}/type/{source}`: removes the edges into
    /// the entity whose `lineageDetails.source` is `source`; answers how many.
    pub fn delete_lineage_by_source(
        &mut self,
        entity_type: &str,
        id: &str,
        source: &str,
    ) -> Result<usize, ApiError> {
        self.live_entity(entity_type, id)?;
        let before = self.lineage.len();
        self.lineage.retain(|(_, to), edge| {
            !(to == id && edge["lineageDetails"]["source"].as_str() == Some(source))
        });
        Ok(before - self.lineage.len())
    }

    /// A change made by someone else: the version goes up, nothing else changes.
    pub fn touch(&mut self, coll: &Collection, id: &str) {
        if let Some((path, fqn)) = self.ids.get(id).filter(|(p, _)| *p == coll.path)
            && let Some(e) = self.entities.get_mut(path).and_then(|m| m.get_mut(fqn))
        {
            bump_version(e);
            e["updatedBy"] = json!("another-user");
        }
    }

    /// Replaces a stored entity after an in-place change (patch, sub-resource PUT),
    /// bumping its version when it changed.
    pub fn replace(&mut self, coll: &Collection, mut new: Value) -> Value {
        let fqn = new["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let map = self.entities.entry(coll.path).or_default();
        if let Some(old) = map.get(&fqn)
            && *old != new
        {
            bump_version(&mut new);
        }
        map.insert(fqn, new.clone());
        new
    }

    /// `GET /v1/{collection}?...`: one page of a listing.
    pub fn list(&self, coll: &Collection, q: &ListQuery<'_>) -> Value {
        let empty = BTreeMap::new();
        let map = self.collection(coll.path).unwrap_or(&empty);
        // A filter on an ancestor narrows the listing to that ancestor's FQN range.
        let prefix = q
            .filters
            .iter()
            .find(|(k, _)| matches!(*k, "service" | "database" | "databaseSchema"))
            .map(|(k, v)| {
                if *k == "service" {
                    format!("{}.", quote(v))
                } else {
                    format!("{v}.")
                }
            })
            .unwrap_or_default();
        // `<#E::table::t>` with includeAllTests also matches `<#E::table::t::columns::c>`.
        let link_children = q
            .include_all_tests
            .then(|| q.filters.iter().find(|(k, _)| *k == "entityLink"))
            .flatten()
            .and_then(|(_, v)| v.strip_suffix('>'))
            .map(|head| format!("{head}::"));
        let matches = |e: &Value| {
            q.include.admits(e)
                && q.filters.iter().all(|(k, v)| match e.get(*k) {
                    Some(Value::String(s)) if *k == "entityLink" => {
                        s == v || link_children.as_ref().is_some_and(|h| s.starts_with(h))
                    }
                    Some(Value::String(s)) => s == v,
                    Some(r @ Value::Object(_)) => {
                        r.get("fullyQualifiedName").and_then(Value::as_str) == Some(v)
                            || r.get("name").and_then(Value::as_str) == Some(v)
                    }
                    _ => false,
                })
        };
        let total = prefix_range(map, &prefix, None)
            .filter(|(_, e)| matches(e))
            .count();
        let mut data = Vec::new();
        let mut last = None;
        let mut more = false;
        for (k, e) in prefix_range(map, &prefix, q.after.as_deref()) {
            if !matches(e) {
                continue;
            }
            if data.len() == q.limit {
                more = true;
                break;
            }
            data.push(e.clone());
            last = Some(k.clone());
        }
        let mut paging = json!({"total": total});
        if let (true, Some(last)) = (more, last) {
            paging["after"] = json!(hex_encode(&last));
        }
        if let Some(a) = &q.after {
            paging["before"] = json!(hex_encode(a));
        }
        json!({"data": data, "paging": paging})
    }

    pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
        hex_decode(cursor).ok_or_else(|| ApiError::bad_request(format!("Invalid cursor {cursor}")))
    }

    /// `DELETE /v1/{collection}/{id}`: soft delete (`deleted: true`) or, with
    /// `hard`, removal; `recursive` is required when live children exist.
    pub fn delete(
        &mut self,
        coll: &Collection,
        fqn: &str,
        hard: bool,
        recursive: bool,
    ) -> Result<Value, ApiError> {
        let entity = self.get_by_fqn(coll, fqn, Include::All)?.clone();
        if !hard && entity["deleted"] == json!(true) {
            return Err(ApiError::not_found(coll.entity_type, fqn));
        }
        let prefix = format!("{fqn}.");
        let mut children: Vec<(&'static str, String)> = Vec::new();
        for c in descendant_collections(coll.path) {
            if let Some(map) = self.entities.get(c.path) {
                for (k, e) in prefix_range(map, &prefix, None) {
                    if hard || e["deleted"] != json!(true) {
                        children.push((c.path, k.clone()));
                    }
                }
            }
        }
        if !recursive && !children.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Entity {} {fqn} is not empty; delete it with recursive=true",
                coll.entity_type
            )));
        }
        children.push((coll.path, fqn.to_string()));
        for (path, k) in children {
            if hard {
                if let Some(e) = self.entities.get_mut(path).and_then(|m| m.remove(&k)) {
                    let id = e["id"].as_str().unwrap_or_default().to_string();
                    self.ids.remove(&id);
                    self.lineage
                        .retain(|(from, to), _| *from != id && *to != id);
                    *self.generations.entry((path, k.clone())).or_default() += 1;
                    self.pipeline_statuses.remove(&k);
                    self.test_case_results.remove(&k);
                }
            } else if let Some(e) = self.entities.get_mut(path).and_then(|m| m.get_mut(&k)) {
                e["deleted"] = json!(true);
                bump_version(e);
            }
        }
        let mut answer = entity;
        answer["deleted"] = json!(true);
        Ok(answer)
    }

    /// `PUT /v1/{collection}/restore`.
    pub fn restore(&mut self, coll: &Collection, id: &str) -> Result<Value, ApiError> {
        let fqn = self.get_by_id(coll, id, Include::Deleted)?["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let prefix = format!("{fqn}.");
        let mut keys = vec![(coll.path, fqn.clone())];
        for c in descendant_collections(coll.path) {
            if let Some(map) = self.entities.get(c.path) {
                keys.extend(prefix_range(map, &prefix, None).map(|(k, _)| (c.path, k.clone())));
            }
        }
        for (path, k) in keys {
            if let Some(e) = self.entities.get_mut(path).and_then(|m| m.get_mut(&k))
                && e["deleted"] == json!(true)
            {
                e["deleted"] = json!(false);
                bump_version(e);
            }
        }
        Ok(self.get_by_fqn(coll, &fqn, Include::All)?.clone())
    }

    fn check_reference(&self, reference: &Value, role: &str) -> Result<(String, String), ApiError> {
        let id = reference
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request(format!("[{role}.id must not be null]")))?;
        let ty = reference
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request(format!("[{role}.type must not be null]")))?;
        self.live_entity(ty, id)?;
        Ok((id.to_string(), ty.to_string()))
    }

    /// `PUT /v1/lineage` with an `AddLineageRequest`.
    pub fn add_lineage(&mut self, body: &Value) -> Result<(), ApiError> {
        let edge = body
            .get("edge")
            .ok_or_else(|| ApiError::bad_request("[edge must not be null]"))?;
        let (from, from_type) =
            self.check_reference(edge.get("fromEntity").unwrap_or(&Value::Null), "fromEntity")?;
        let (to, to_type) =
            self.check_reference(edge.get("toEntity").unwrap_or(&Value::Null), "toEntity")?;
        let details = edge.get("lineageDetails").cloned();
        if let Some(pipeline) = details.as_ref().and_then(|d| d.get("pipeline")) {
            self.check_reference(pipeline, "lineageDetails.pipeline")?;
        }
        let mut stored = json!({
            "fromEntity": {"id": from, "type": from_type},
            "toEntity": {"id": to, "type": to_type},
        });
        if let Some(d) = details {
            stored["lineageDetails"] = d;
        }
        self.lineage.insert((from, to), stored);
        Ok(())
    }

    /// `GET /v1/lineage/{entityType}/{id}?upstreamDepth=&downstreamDepth=`: the
    /// entity, the entities reached, and the edges walked, ends given by id. As on
    /// the server, depth `d` upstream gives the edges into every entity fewer than
    /// `d` edges above this one (`upstreamEdges`), and downstream the edges out of
    /// every entity fewer than `d` edges below it (`downstreamEdges`).
    pub fn lineage_of(
        &self,
        entity_type: &str,
        id: &str,
        upstream: usize,
        downstream: usize,
    ) -> Result<Value, ApiError> {
        let entity = self.live_entity(entity_type, id)?;
        let mut node_ids = Vec::new();
        let mut walk = |into: bool, depth: usize| -> Vec<Value> {
            let mut out = Vec::new();
            let mut seen = HashSet::from([id.to_string()]);
            let mut frontier = vec![id.to_string()];
            for _ in 0..depth {
                let mut next = Vec::new();
                for ((from, to), stored) in &self.lineage {
                    let (near, far) = if into { (to, from) } else { (from, to) };
                    if !frontier.contains(near) {
                        continue;
                    }
                    let mut edge = json!({"fromEntity": from, "toEntity": to});
                    if let Some(d) = stored.get("lineageDetails") {
                        edge["lineageDetails"] = d.clone();
                    }
                    out.push(edge);
                    if seen.insert(far.clone()) {
                        node_ids.push(far.clone());
                        next.push(far.clone());
                    }
                }
                frontier = next;
            }
            out
        };
        let upstream_edges = walk(true, upstream);
        let downstream_edges = walk(false, downstream);
        let mut nodes = Vec::new();
        for other in node_ids {
            if let Some((path, e)) = self.entity_by_id(&other)
                && let Some(c) = collections::by_path(path)
                && !nodes.iter().any(|n: &Value| n["id"] == e["id"])
            {
                nodes.push(reference(c.entity_type, e));
            }
        }
        Ok(json!({
            "entity": reference(entity_type, entity),
            "nodes": nodes,
            "upstreamEdges": upstream_edges,
            "downstreamEdges": downstream_edges,
        }))
    }

    pub fn lineage_edge(&self, from: &str, to: &str) -> Option<&Value> {
        self.lineage.get(&(from.to_string(), to.to_string()))
    }

    /// `PUT /v1/pipelines/{fqn}/status`: one status per timestamp; the same timestamp
    /// replaces the earlier status.
    pub fn add_pipeline_status(&mut self, fqn: &str, status: &Value) -> Result<Value, ApiError> {
        let pipelines = collections::by_path("pipelines").expect("pipelines are served");
        let mut pipeline = self
            .get_by_fqn(pipelines, fqn, Include::NonDeleted)?
            .clone();
        let ts = status
            .get("timestamp")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::bad_request("[timestamp must not be null]"))?;
        if status
            .get("executionStatus")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(ApiError::bad_request("[executionStatus must not be null]"));
        }
        self.pipeline_statuses
            .entry(fqn.to_string())
            .or_default()
            .insert(ts, status.clone());
        pipeline["pipelineStatus"] = status.clone();
        Ok(pipeline)
    }

    pub fn pipeline_statuses(&self, fqn: &str, start: Option<i64>, end: Option<i64>) -> Vec<Value> {
        self.pipeline_statuses
            .get(fqn)
            .map(|m| {
                m.range(start.unwrap_or(i64::MIN)..=end.unwrap_or(i64::MAX))
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `PUT /v1/services/ingestionPipelines/{fqn}/pipelineStatus`, keyed by `runId`.
    pub fn put_ingestion_status(&mut self, fqn: &str, status: &Value) -> Result<Value, ApiError> {
        let ip = collections::by_path("services/ingestionPipelines").expect("served");
        self.get_by_fqn(ip, fqn, Include::NonDeleted)?;
        let run_id = status
            .get("runId")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("[runId must not be null]"))?;
        self.ingestion_statuses
            .entry(fqn.to_string())
            .or_default()
            .insert(run_id.to_string(), status.clone());
        Ok(status.clone())
    }

    pub fn ingestion_status(&self, fqn: &str, run_id: &str) -> Result<Value, ApiError> {
        self.ingestion_statuses
            .get(fqn)
            .and_then(|m| m.get(run_id))
            .cloned()
            .ok_or_else(|| ApiError::not_found("pipelineStatus", run_id))
    }

    pub fn ingestion_statuses(&self, fqn: &str) -> Vec<Value> {
        self.ingestion_statuses
            .get(fqn)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// `PUT|POST /v1/dataQuality/testCases/testCaseResults/{fqn}`.
    pub fn add_test_case_result(&mut self, fqn: &str, result: &Value) -> Result<Value, ApiError> {
        let tc = collections::by_path("dataQuality/testCases").expect("served");
        self.get_by_fqn(tc, fqn, Include::NonDeleted)?;
        let ts = result
            .get("timestamp")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::bad_request("[timestamp must not be null]"))?;
        let series = self.test_case_results.entry(fqn.to_string()).or_default();
        let at = series.partition_point(|r| r["timestamp"].as_i64().unwrap_or(i64::MIN) <= ts);
        series.insert(at, result.clone());
        let latest = series.last().cloned();
        // The test case shows its latest result (`fields=testCaseResult`); like a
        // relationship, that changes no version.
        if let Some(case) = self.entities.get_mut(tc.path).and_then(|m| m.get_mut(fqn)) {
            case["testCaseResult"] = latest.unwrap_or(Value::Null);
        }
        Ok(result.clone())
    }

    /// The results of a test case with `start <= timestamp <= end`, oldest first.
    pub fn test_case_results(&self, fqn: &str, start: Option<i64>, end: Option<i64>) -> Vec<Value> {
        let range = start.unwrap_or(i64::MIN)..=end.unwrap_or(i64::MAX);
        self.test_case_results
            .get(fqn)
            .map(|series| {
                series
                    .iter()
                    .filter(|r| r["timestamp"].as_i64().is_some_and(|t| range.contains(&t)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The whole state as sorted JSON: entities per collection in FQN order, lineage
    /// by FQN, pipeline statuses, ingestion-pipeline run statuses, test results.
    pub fn snapshot(&self) -> Value {
        let mut entities = Map::new();
        let mut paths: Vec<&&str> = self.entities.keys().collect();
        paths.sort();
        for path in paths {
            let map = &self.entities[*path];
            if map.is_empty() {
                continue;
            }
            entities.insert(
                path.to_string(),
                Value::Array(map.values().cloned().collect()),
            );
        }
        let fqn_of = |id: &Value| {
            id.as_str()
                .and_then(|id| self.entity_by_id(id))
                .map(|(_, e)| e["fullyQualifiedName"].clone())
                .unwrap_or(Value::Null)
        };
        let mut lineage: Vec<Value> = self
            .lineage
            .values()
            .map(|edge| {
                let mut out = json!({
                    "from": {"type": edge["fromEntity"]["type"], "fqn": fqn_of(&edge["fromEntity"]["id"])},
                    "to": {"type": edge["toEntity"]["type"], "fqn": fqn_of(&edge["toEntity"]["id"])},
                });
                if let Some(d) = edge.get("lineageDetails") {
                    let mut d = d.clone();
                    if let Some(p) = d.get_mut("pipeline") {
                        *p = json!({"type": p["type"], "fqn": fqn_of(&p["id"])});
                    }
                    out["details"] = d;
                }
                out
            })
            .collect();
        lineage.sort_by_key(|e| e.to_string());
        fn sorted<K>(m: &HashMap<String, BTreeMap<K, Value>>) -> Value {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), Value::Array(m[k].values().cloned().collect())))
                    .collect(),
            )
        }
        let mut case_fqns: Vec<&String> = self.test_case_results.keys().collect();
        case_fqns.sort();
        let test_case_results: Map<String, Value> = case_fqns
            .into_iter()
            .map(|k| (k.clone(), Value::Array(self.test_case_results[k].clone())))
            .collect();
        json!({
            "entities": entities,
            "lineage": lineage,
            "pipelineStatuses": sorted(&self.pipeline_statuses),
            "ingestionPipelineStatuses": sorted(&self.ingestion_statuses),
            "testCaseResults": test_case_results,
        })
    }

    /// Live containers whose `fullPath` is exactly `path` (the search API's
    /// field query on the container index).
    pub fn containers_by_full_path(&self, path: &str) -> Vec<Value> {
        self.collection("containers")
            .map(|m| {
                m.values()
                    .filter(|c| c["deleted"] != json!(true))
                    .filter(|c| c.get("fullPath").and_then(Value::as_str) == Some(path))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn entities(&self, path: &str) -> Vec<Value> {
        self.collection(path)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn entity(&self, path: &str, fqn: &str) -> Option<Value> {
        self.collection(path).and_then(|m| m.get(fqn)).cloned()
    }
}

/// Applies an RFC 6902 JSON Patch (`add`, `remove`, `replace`, `test`) to `doc`.
pub(crate) fn apply_json_patch(doc: &mut Value, patch: &Value) -> Result<(), ApiError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("a JSON Patch must be an array of operations"))?;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("JSON Patch operation without path"))?;
        let (parent_ptr, last) = match path.rfind('/') {
            Some(i) => (
                &path[..i],
                path[i + 1..].replace("~1", "/").replace("~0", "~"),
            ),
            None => {
                return Err(ApiError::bad_request(format!(
                    "invalid JSON pointer {path}"
                )));
            }
        };
        let value = op.get("value").cloned();
        if kind == "test" {
            if doc.pointer(path) != value.as_ref() {
                return Err(ApiError::new(
                    412,
                    format!("JSON Patch test failed at {path}"),
                ));
            }
            continue;
        }
        let parent = doc
            .pointer_mut(parent_ptr)
            .ok_or_else(|| ApiError::bad_request(format!("no value at {parent_ptr}")))?;
        match (kind, parent) {
            ("add", Value::Object(m)) | ("replace", Value::Object(m)) => {
                m.insert(last, value.unwrap_or(Value::Null));
            }
            ("remove", Value::Object(m)) => {
                m.remove(&last);
            }
            ("add", Value::Array(a)) => {
                let v = value.unwrap_or(Value::Null);
                if last == "-" {
                    a.push(v);
                } else {
                    let i: usize = last
                        .parse()
                        .map_err(|_| ApiError::bad_request(format!("bad index in {path}")))?;
                    if i > a.len() {
                        return Err(ApiError::bad_request(format!(
                            "index out of range in {path}"
                        )));
                    }
                    a.insert(i, v);
                }
            }
            ("replace", Value::Array(a)) | ("remove", Value::Array(a)) => {
                let i: usize = last
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("bad index in {path}")))?;
                if i >= a.len() {
                    return Err(ApiError::bad_request(format!(
                        "index out of range in {path}"
                    )));
                }
                if kind == "replace" {
                    a[i] = value.unwrap_or(Value::Null);
                } else {
                    a.remove(i);
                }
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unsupported JSON Patch operation {other} at {path}"
                )));
            }
        }
    }
    Ok(())
}

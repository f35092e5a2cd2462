//! The writes themselves: each unit of work runs as one task and reports which
//! FQNs it settled (written or failed).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use om_spec::fqn;
use omctl_record::status::StepSummary;
use omctl_record::{EntityKind, EntityRef};
use serde_json::{Value, json};

use super::scope::{Deletion, DeletionLog, Verdict, deletion_key, judge};
use super::settings::SinkSettings;
use crate::client::{Include, OmClient, Written, entity_reference};
use crate::error::ClientError;
use crate::routes::scope_filter;

/// One unit of work the sink dispatches.
#[derive(Debug)]
pub(crate) enum Work {
    /// Get-or-create a service (never overwrite an existing one's connection).
    Service {
        kind: EntityKind,
        fqn: String,
        request: Value,
    },
    Entity {
        kind: EntityKind,
        fqn: String,
        request: Value,
    },
    /// Siblings of one parent, written with one bulk call.
    Batch {
        kind: EntityKind,
        items: Vec<(String, Value)>,
    },
    Status {
        pipeline: String,
        status: Value,
    },
    Lineage {
        from: EntityRef,
        to: EntityRef,
        details: Option<Value>,
    },
    /// Mark-deleted for one completed scope.
    Scope {
        kind: EntityKind,
        parent: String,
        seen: HashSet<String>,
    },
}

impl Work {
    /// The FQNs this work creates, which others may wait for.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Work::Service { fqn, .. } | Work::Entity { fqn, .. } => vec![fqn.clone()],
            Work::Batch { items, .. } => items.iter().map(|(f, _)| f.clone()).collect(),
            Work::Status { .. } | Work::Lineage { .. } | Work::Scope { .. } => Vec::new(),
        }
    }

    /// How many records this work carries, for the queue's limit.
    pub fn records(&self) -> usize {
        match self {
            Work::Batch { items, .. } => items.len(),
            _ => 1,
        }
    }

    /// Whether other records are likely to wait for this work.
    pub fn is_parent(&self) -> bool {
        match self {
            Work::Service { .. } => true,
            Work::Entity { kind, .. } | Work::Batch { kind, .. } => matches!(
                kind,
                EntityKind::Database | EntityKind::DatabaseSchema | EntityKind::Pipeline
            ),
            Work::Status { .. } | Work::Lineage { .. } | Work::Scope { .. } => false,
        }
    }

    /// Records the failure of this work because `dep` (which it needs) could not be
    /// written. Returns the keys that thereby fail too.
    pub fn fail_for_dependency(
        self,
        dep: &str,
        reason: &str,
        summary: &Mutex<StepSummary>,
    ) -> Vec<String> {
        let mut s = lock(summary);
        match self {
            Work::Service { kind, fqn, .. } | Work::Entity { kind, fqn, .. } => {
                s.fail(
                    fqn.clone(),
                    format!("{kind} {fqn} was not written: its parent {dep} could not be written ({reason})"),
                );
                vec![fqn]
            }
            Work::Batch { kind, items } => {
                for (f, _) in &items {
                    s.fail(
                        f.clone(),
                        format!("{kind} {f} was not written: its parent {dep} could not be written ({reason})"),
                    );
                }
                items.into_iter().map(|(f, _)| f).collect()
            }
            Work::Status { pipeline, .. } => {
                s.fail(
                    format!("status of pipeline {pipeline}"),
                    format!("the status of pipeline {pipeline} was not written: the pipeline could not be written ({reason})"),
                );
                Vec::new()
            }
            Work::Lineage { from, to, .. } => {
                s.warn(
                    format!("lineage {} -> {}", from.fqn, to.fqn),
                    format!(
                        "lineage {} -> {} skipped: {dep} could not be written ({reason})",
                        from.fqn, to.fqn
                    ),
                );
                Vec::new()
            }
            Work::Scope { .. } => Vec::new(),
        }
    }
}

/// What one task did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Keys written (`Ok`) or failed (`Err(reason)`).
    pub settled: Vec<(String, Result<(), String>)>,
    /// Work to dispatch again (a bulk batch falling back to single writes).
    pub requeue: Vec<Work>,
    /// An error that stops the sink (unreachable server, refused credentials).
    pub fatal: Option<ClientError>,
}

impl Outcome {
    fn fatal(e: ClientError) -> Outcome {
        Outcome {
            fatal: Some(e),
            ..Outcome::default()
        }
    }

    fn one(key: String, result: Result<(), String>) -> Outcome {
        Outcome {
            settled: vec![(key, result)],
            ..Outcome::default()
        }
    }
}

/// A small map of entity ids by (kind, FQN), for lineage ends written or looked up
/// recently. Cleared when full: a miss costs one GET, while a map that grew with the
/// catalog would make memory depend on its size.
#[derive(Debug, Default)]
pub(crate) struct IdCache {
    ids: HashMap<(EntityKind, String), String>,
}

impl IdCache {
    const CAPACITY: usize = 4096;

    pub fn insert(&mut self, kind: EntityKind, fqn: &str, id: &str) {
        if self.ids.len() >= Self::CAPACITY {
            self.ids.clear();
        }
        self.ids.insert((kind, fqn.to_string()), id.to_string());
    }

    pub fn get(&self, kind: EntityKind, fqn: &str) -> Option<String> {
        self.ids.get(&(kind, fqn.to_string())).cloned()
    }
}

/// A storage container found at a location, for external-table lineage.
#[derive(Debug, Clone)]
pub(crate) struct FoundContainer {
    id: String,
    /// Its `dataModel` columns: (lower-cased displayName, lower-cased name, FQN).
    columns: Vec<(Option<String>, String, String)>,
}

/// Containers by location (`None`: no container there), bounded like [`IdCache`].
#[derive(Debug, Default)]
pub(crate) struct ContainerCache {
    by_path: HashMap<String, Option<FoundContainer>>,
}

impl ContainerCache {
    const CAPACITY: usize = 4096;

    fn insert(&mut self, path: &str, found: Option<FoundContainer>) {
        if self.by_path.len() >= Self::CAPACITY {
            self.by_path.clear();
        }
        self.by_path.insert(path.to_string(), found);
    }

    fn get(&self, path: &str) -> Option<Option<FoundContainer>> {
        self.by_path.get(path).cloned()
    }
}

/// The paths under which a container may store a location, in the order
/// OpenMetadata tries them: canonical (scheme lower-cased, `s3a`/`s3n` as `s3`,
/// one trailing `/` dropped), canonical with a trailing `/`, then as given. A bare
/// scheme has none.
pub(crate) fn container_lookup_paths(location: &str) -> Vec<String> {
    let Some((scheme, rest)) = location.split_once("://") else {
        return Vec::new();
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "s3a" | "s3n" => "s3".to_string(),
        s => s.to_string(),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if scheme.is_empty() || rest.is_empty() {
        return Vec::new();
    }
    let canonical = format!("{scheme}://{rest}");
    let mut paths = vec![format!("{canonical}/"), location.to_string()];
    paths.insert(0, canonical);
    let mut unique = Vec::with_capacity(paths.len());
    for p in paths {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    unique
}

/// The columns of a container's `dataModel`.
fn data_model_columns(container: &Value) -> Vec<(Option<String>, String, String)> {
    container["dataModel"]["columns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            Some((
                c.get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase),
                c.get("name")?.as_str()?.to_lowercase(),
                c.get("fullyQualifiedName")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Column lineage of an external table: each table column fed by the container
/// column whose displayName, else name, equals its name ignoring case.
fn external_column_lineage(container: &FoundContainer, table_columns: &[Value]) -> Vec<Value> {
    table_columns
        .iter()
        .filter_map(|col| {
            let name = col.get("name")?.as_str()?.to_lowercase();
            let to = col.get("fullyQualifiedName")?.as_str()?;
            let from = container
                .columns
                .iter()
                .find(|(display, n, _)| display.as_deref() == Some(name.as_str()) || *n == name)?;
            Some(json!({"fromColumns": [from.2], "toColumn": to}))
        })
        .collect()
}

/// What every task shares.
pub(crate) struct Shared {
    pub client: OmClient,
    pub dry_run: bool,
    pub settings: SinkSettings,
    pub service_name: Option<String>,
    pub service_connection: Option<Value>,
    pub summary: Mutex<StepSummary>,
    pub ids: Mutex<IdCache>,
    pub containers: Mutex<ContainerCache>,
    /// External tables whose location no container on the server has (logged at
    /// debug level: most locations are not ingested as containers).
    pub unlinked_locations: AtomicU64,
    /// Kinds whose bulk endpoint the server does not have.
    pub no_bulk: Mutex<HashSet<EntityKind>>,
    pub deletions: DeletionLog,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub async fn run(&self, work: Work) -> Outcome {
        match work {
            Work::Service { kind, fqn, request } => self.service(kind, fqn, request).await,
            Work::Entity { kind, fqn, request } => self.entity(kind, fqn, request).await,
            Work::Batch { kind, items } => self.batch(kind, items).await,
            Work::Status { pipeline, status } => self.status(pipeline, status).await,
            Work::Lineage { from, to, details } => self.lineage(from, to, details).await,
            Work::Scope { kind, parent, seen } => self.scope(kind, parent, seen).await,
        }
    }

    fn remember_id(&self, kind: EntityKind, fqn: &str, id: Option<&str>) {
        if let Some(id) = id {
            lock(&self.ids).insert(kind, fqn, id);
        }
    }

    /// Counts a successful create-or-update: every write is a record; one that
    /// changed an entity which already existed is also an update. An existing
    /// entity written unchanged is a record only.
    fn count_write(&self, w: &Written) {
        let mut s = lock(&self.summary);
        s.records += 1;
        if w.changed {
            s.updated_records += 1;
        }
    }

    /// A failed call: fatal errors stop the sink, others fail this entity.
    fn failed(&self, key: String, name: String, e: ClientError) -> Outcome {
        if e.is_fatal() {
            return Outcome::fatal(e);
        }
        let reason = e.to_string();
        lock(&self.summary).fail(name, reason.clone());
        Outcome::one(key, Err(reason))
    }

    async fn service(&self, kind: EntityKind, fqn: String, mut request: Value) -> Outcome {
        match self
            .client
            .get_by_name(kind, &fqn, None, Include::NonDeleted)
            .await
        {
            Ok(Some(existing))
                if !self.client.config().force_entity_overwriting || self.dry_run =>
            {
                // The service exists: use it as it is. Its connection may have been
                // set (or its secrets rotated) in the UI; only an explicit
                // `forceEntityOverwriting: true` writes over it. Nothing is
                // written, so nothing is counted.
                self.remember_id(kind, &fqn, existing.get("id").and_then(Value::as_str));
                Outcome::one(fqn, Ok(()))
            }
            Ok(None) if self.dry_run => {
                tracing::info!("dry run: would create {kind} {fqn}");
                lock(&self.summary).records += 1;
                Outcome::one(fqn, Ok(()))
            }
            Ok(_) => {
                let ours = self
                    .service_name
                    .as_deref()
                    .is_none_or(|n| n == fqn || fqn::unquote_name(&fqn) == n);
                if let (true, Some(conn), Some(obj)) = (
                    ours && self.client.config().store_service_connection,
                    &self.service_connection,
                    request.as_object_mut(),
                ) {
                    obj.insert("connection".to_string(), conn.clone());
                }
                match self.client.put_entity(kind, &fqn, &request).await {
                    Ok(w) => {
                        self.remember_id(kind, &fqn, w.id.as_deref());
                        self.count_write(&w);
                        Outcome::one(fqn, Ok(()))
                    }
                    Err(e) => self.failed(fqn.clone(), fqn, e),
                }
            }
            Err(e) => self.failed(fqn.clone(), fqn, e),
        }
    }

    async fn entity(&self, kind: EntityKind, fqn: String, request: Value) -> Outcome {
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::one(fqn, Ok(()));
        }
        match self.client.put_entity(kind, &fqn, &request).await {
            Ok(w) => {
                self.remember_id(kind, &fqn, w.id.as_deref());
                self.count_write(&w);
                Outcome::one(fqn, Ok(()))
            }
            Err(e) => self.failed(fqn.clone(), fqn, e),
        }
    }

    async fn batch(&self, kind: EntityKind, items: Vec<(String, Value)>) -> Outcome {
        let singles = |items: Vec<(String, Value)>| Outcome {
            requeue: items
                .into_iter()
                .map(|(fqn, request)| Work::Entity { kind, fqn, request })
                .collect(),
            ..Outcome::default()
        };
        // Batches formed before the server refused bulk for this kind go one by one.
        if lock(&self.no_bulk).contains(&kind) {
            return singles(items);
        }
        if self.dry_run {
            lock(&self.summary).records += items.len() as u64;
            return Outcome {
                settled: items.into_iter().map(|(f, _)| (f, Ok(()))).collect(),
                ..Outcome::default()
            };
        }
        let requests: Vec<Value> = items.iter().map(|(_, r)| r.clone()).collect();
        let result = match self.client.put_bulk(kind, &requests).await {
            Ok(r) => r,
            Err(e) if matches!(e.status(), Some(404 | 405)) => {
                tracing::info!(
                    "the server has no bulk endpoint for {kind}s (HTTP {}); writing them one by one",
                    e.status().unwrap_or_default()
                );
                lock(&self.no_bulk).insert(kind);
                return singles(items);
            }
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => {
                let reason = e.to_string();
                let mut s = lock(&self.summary);
                for (f, _) in &items {
                    s.fail(f.clone(), reason.clone());
                }
                return Outcome {
                    settled: items
                        .into_iter()
                        .map(|(f, _)| (f, Err(reason.clone())))
                        .collect(),
                    ..Outcome::default()
                };
            }
        };
        // Per-entity outcomes are matched by name: siblings of one parent have
        // distinct names.
        let by_name = |list: &str| -> HashMap<String, Value> {
            result
                .get(list)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|r| {
                            let name = r.get("request")?.get("name")?.as_str()?.to_string();
                            Some((name, r.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let failed = by_name("failedRequest");
        let mut settled = Vec::with_capacity(items.len());
        let mut s = lock(&self.summary);
        for (fqn, request) in items {
            let name = request
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(f) = failed.get(name) {
                let message = f
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message");
                let status = f.get("status").and_then(Value::as_u64);
                let reason = match status {
                    Some(st) => format!(
                        "PUT /v1/{}/bulk refused {kind} {fqn} (HTTP {st}): {message}",
                        crate::routes::collection(kind)
                    ),
                    None => format!(
                        "PUT /v1/{}/bulk refused {kind} {fqn}: {message}",
                        crate::routes::collection(kind)
                    ),
                };
                s.fail(fqn.clone(), reason.clone());
                settled.push((fqn, Err(reason)));
            } else {
                // The bulk answer says created (201) or existing (200), not whether
                // an existing entity changed: such writes count as records only.
                s.records += 1;
                settled.push((fqn, Ok(())));
            }
        }
        Outcome {
            settled,
            ..Outcome::default()
        }
    }

    async fn status(&self, pipeline: String, status: Value) -> Outcome {
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        match self.client.put_pipeline_status(&pipeline, &status).await {
            Ok(()) => {
                lock(&self.summary).records += 1;
                Outcome::default()
            }
            Err(e) if e.is_fatal() => Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(format!("status of pipeline {pipeline}"), e.to_string());
                Outcome::default()
            }
        }
    }

    /// The id of an entity by kind and FQN: from the cache, else `GET .../name/`.
    async fn resolve(&self, r: &EntityRef) -> Result<Option<String>, ClientError> {
        if let Some(id) = lock(&self.ids).get(r.kind, &r.fqn) {
            return Ok(Some(id));
        }
        let found = self
            .client
            .get_by_name(r.kind, &r.fqn, None, Include::NonDeleted)
            .await?;
        Ok(found.and_then(|e| {
            let id = e.get("id")?.as_str()?.to_string();
            lock(&self.ids).insert(r.kind, &r.fqn, &id);
            Some(id)
        }))
    }

    /// `{id, type}` for an entity a lineage edge names. When there is none, the
    /// outcome of the edge: a warning naming `what` when the entity is not on the
    /// server, a failure when the lookup failed.
    async fn lineage_reference(
        &self,
        r: &EntityRef,
        subject: &str,
        what: &str,
    ) -> Result<Value, Outcome> {
        match self.resolve(r).await {
            Ok(Some(id)) => Ok(entity_reference(r.kind.as_str(), &id)),
            Ok(None) => {
                lock(&self.summary).warn(
                    subject,
                    format!("{subject} skipped: {what} is not on the server"),
                );
                Err(Outcome::default())
            }
            Err(e) if e.is_fatal() => Err(Outcome::fatal(e)),
            Err(e) => {
                lock(&self.summary).fail(subject, e.to_string());
                Err(Outcome::default())
            }
        }
    }

    /// The container whose `fullPath` is one of the lookup paths of `location`,
    /// cached per location.
    async fn container_at(&self, location: &str) -> Result<Option<FoundContainer>, ClientError> {
        if let Some(found) = lock(&self.containers).get(location) {
            return Ok(found);
        }
        let mut found = None;
        for path in container_lookup_paths(location) {
            let Some(hit) = self
                .client
                .search_containers_by_path(&path)
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            let (Some(id), Some(fqn)) = (
                hit.get("id").and_then(Value::as_str),
                hit.get("fullyQualifiedName").and_then(Value::as_str),
            ) else {
                continue;
            };
            // Search documents may leave the data model out: read it then.
            let columns = if hit.get("dataModel").is_some() {
                data_model_columns(&hit)
            } else {
                self.client
                    .get_by_name(
                        EntityKind::Container,
                        fqn,
                        Some("dataModel"),
                        Include::NonDeleted,
                    )
                    .await?
                    .map(|c| data_model_columns(&c))
                    .unwrap_or_default()
            };
            found = Some(FoundContainer {
                id: id.to_string(),
                columns,
            });
            break;
        }
        lock(&self.containers).insert(location, found.clone());
        Ok(found)
    }

    /// Lineage from the storage container at a table's location (`from.fqn` is the
    /// location, not an FQN). No container there: skipped quietly, as most
    /// locations were never ingested as containers.
    async fn external_table_lineage(
        &self,
        location: &str,
        table: &EntityRef,
        details: Option<Value>,
        subject: &str,
    ) -> Outcome {
        // Reads only: under dry run too, an edge counts only with its container.
        let container = match self.container_at(location).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                tracing::debug!("{subject} skipped: no container has the fullPath {location}");
                self.unlinked_locations.fetch_add(1, Ordering::Relaxed);
                return Outcome::default();
            }
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(subject, e.to_string());
                return Outcome::default();
            }
        };
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        let what = format!("{} {}", table.kind, table.fqn);
        let (table_ref, column_lineage) = if container.columns.is_empty() {
            match self.lineage_reference(table, subject, &what).await {
                Ok(r) => (r, Vec::new()),
                Err(outcome) => return outcome,
            }
        } else {
            // The columns are needed to pair them with the container's.
            match self
                .client
                .get_by_name(table.kind, &table.fqn, Some("columns"), Include::NonDeleted)
                .await
            {
                Ok(Some(t)) => {
                    let Some(id) = t.get("id").and_then(Value::as_str) else {
                        lock(&self.summary).fail(subject, format!("{what} has no id"));
                        return Outcome::default();
                    };
                    let columns = t["columns"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    (
                        entity_reference(table.kind.as_str(), id),
                        external_column_lineage(&container, columns),
                    )
                }
                Ok(None) => {
                    lock(&self.summary).warn(
                        subject,
                        format!("{subject} skipped: {what} is not on the server"),
                    );
                    return Outcome::default();
                }
                Err(e) if e.is_fatal() => return Outcome::fatal(e),
                Err(e) => {
                    lock(&self.summary).fail(subject, e.to_string());
                    return Outcome::default();
                }
            }
        };
        let mut lineage_details = match details {
            Some(Value::Object(d)) => d,
            _ => serde_json::Map::new(),
        };
        lineage_details.insert("source".into(), json!("ExternalTableLineage"));
        if !column_lineage.is_empty() {
            lineage_details.insert("columnsLineage".into(), Value::Array(column_lineage));
        }
        let edge = json!({
            "fromEntity": entity_reference(EntityKind::Container.as_str(), &container.id),
            "toEntity": table_ref,
            "lineageDetails": lineage_details,
        });
        self.send_lineage(edge, subject).await
    }

    async fn lineage(&self, from: EntityRef, to: EntityRef, details: Option<Value>) -> Outcome {
        let subject = format!("lineage {} -> {}", from.fqn, to.fqn);
        if from.kind == EntityKind::Container && from.fqn.contains("://") {
            return self
                .external_table_lineage(&from.fqn, &to, details, &subject)
                .await;
        }
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        let mut ends = Vec::new();
        for end in [&from, &to] {
            let what = format!("{} {}", end.kind, end.fqn);
            match self.lineage_reference(end, &subject, &what).await {
                Ok(r) => ends.push(r),
                Err(outcome) => return outcome,
            }
        }
        let mut details = details;
        if let Some(Value::Object(d)) = details.as_mut() {
            // References in the details (the pipeline of a pipeline edge) arrive as
            // {type, fqn}; the server wants {id, type}.
            for (field, v) in d.iter_mut() {
                let Some(r) = entity_ref_by_name(v) else {
                    continue;
                };
                let what = format!("its {field} {}", r.fqn);
                match self.lineage_reference(&r, &subject, &what).await {
                    Ok(resolved) => *v = resolved,
                    Err(outcome) => return outcome,
                }
            }
        }
        let mut edge = json!({"fromEntity": ends[0], "toEntity": ends[1]});
        if let Some(d) = details {
            edge["lineageDetails"] = d;
        }
        self.send_lineage(edge, &subject).await
    }

    /// `PUT /lineage` of one edge with resolved ends.
    async fn send_lineage(&self, edge: Value, subject: &str) -> Outcome {
        match self
            .client
            .add_lineage(&json!({"edge": edge}), subject)
            .await
        {
            Ok(()) => lock(&self.summary).records += 1,
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) if e.status() == Some(404) => lock(&self.summary).warn(
                subject,
                format!("{subject} skipped: {}", e.server_message()),
            ),
            Err(e) => lock(&self.summary).fail(subject, e.to_string()),
        }
        Outcome::default()
    }

    async fn scope(&self, kind: EntityKind, parent: String, seen: HashSet<String>) -> Outcome {
        let scope_name = format!("mark-deleted {kind}s of {parent}");
        let Some(filter) = scope_filter(kind) else {
            return Outcome::default();
        };
        // Services are selected by name, the others by FQN.
        let value = if filter == "service" {
            fqn::unquote_name(&parent).to_string()
        } else {
            parent.clone()
        };
        let mut total = 0u64;
        let mut unseen: Vec<(String, String)> = Vec::new();
        let mut after: Option<String> = None;
        #[derive(serde::Deserialize)]
        struct Listed {
            id: String,
            #[serde(rename = "fullyQualifiedName")]
            fqn: String,
        }
        loop {
            let page = match self
                .client
                .list_page::<Listed>(
                    kind,
                    &[(filter, &value)],
                    self.settings.list_page_size,
                    after.as_deref(),
                )
                .await
            {
                Ok(p) => p,
                Err(e) if e.is_fatal() => return Outcome::fatal(e),
                // The scope's parent is not on the server (a dry run before the
                // first real one): it has nothing to delete.
                Err(e) if e.status() == Some(404) => return Outcome::default(),
                Err(e) => {
                    lock(&self.summary).fail(
                        scope_name,
                        format!("nothing was marked deleted in {parent}: listing its {kind}s on the server failed: {e}"),
                    );
                    return Outcome::default();
                }
            };
            let empty = page.data.is_empty();
            for e in page.data {
                total += 1;
                if !seen.contains(&deletion_key(&e.fqn)) {
                    unseen.push((e.id, e.fqn));
                }
            }
            match page.after {
                Some(a) if Some(&a) != after.as_ref() && !empty => after = Some(a),
                _ => break,
            }
        }
        drop(seen);
        let names: Vec<String> = unseen.iter().map(|(_, f)| f.clone()).collect();
        if let Verdict::Refuse(reason) = judge(
            kind,
            &parent,
            total,
            &names,
            self.settings.mark_deleted_max_percent,
            self.settings.mark_deleted_min_scope_size,
        ) {
            let mut s = lock(&self.summary);
            s.fail(scope_name, reason);
            s.safety_stops += 1;
            return Outcome::default();
        }
        for (id, f) in unseen {
            if self.dry_run {
                tracing::info!("dry run: would mark {kind} {f} deleted (not seen in this run)");
                self.deletions.push(Deletion {
                    kind,
                    fqn: f,
                    executed: false,
                });
                lock(&self.summary).deleted += 1;
                continue;
            }
            match self.client.delete(kind, &id, &f, true, false).await {
                Ok(()) => {
                    tracing::info!("marked {kind} {f} deleted (not seen in this run)");
                    self.deletions.push(Deletion {
                        kind,
                        fqn: f,
                        executed: true,
                    });
                    lock(&self.summary).deleted += 1;
                }
                // Gone in the meantime: nothing left to do.
                Err(e) if e.status() == Some(404) => {}
                Err(e) if e.is_fatal() => return Outcome::fatal(e),
                Err(e) => lock(&self.summary).fail(f, format!("could not mark it deleted: {e}")),
            }
        }
        Outcome::default()
    }
}

/// `{"type": "pipeline", "fqn": "svc.p"}` as an entity named by FQN.
fn entity_ref_by_name(v: &Value) -> Option<EntityRef> {
    let obj = v.as_object()?;
    if obj.contains_key("id") {
        return None;
    }
    let fqn = obj.get("fqn")?.as_str()?;
    let kind: EntityKind = serde_json::from_value(obj.get("type")?.clone()).ok()?;
    Some(EntityRef::new(kind, fqn))
}

/// The FQN a lineage record's details wait for (its pipeline).
pub(crate) fn detail_dependencies(details: Option<&Value>) -> Vec<String> {
    details
        .and_then(Value::as_object)
        .map(|d| {
            d.values()
                .filter_map(entity_ref_by_name)
                .map(|r| r.fqn)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_are_canonical_then_slashed_then_raw() {
        assert_eq!(
            container_lookup_paths("S3A://b/p/"),
            ["s3://b/p", "s3://b/p/", "S3A://b/p/"]
        );
        assert_eq!(
            container_lookup_paths("s3://b/p"),
            ["s3://b/p", "s3://b/p/"]
        );
        assert!(container_lookup_paths("s3://").is_empty());
        assert!(container_lookup_paths("/local/path").is_empty());
    }
}

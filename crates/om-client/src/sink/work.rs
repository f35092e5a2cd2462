//! The writes themselves: each unit of work runs as one task and reports which
//! FQNs it settled (written or failed).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use om_spec::fqn;
use omctl_record::status::StepSummary;
use omctl_record::{EntityKind, EntityRef, EntityUpdate};
use serde_json::Value;

use super::lineage::ContainerCache;
use super::scope::{Deletion, DeletionLog, Verdict, deletion_key, judge};
use super::settings::SinkSettings;
use crate::client::{Include, OmClient, Written};
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
    /// Changes to an existing entity (see [`super::update`]).
    Update {
        kind: EntityKind,
        fqn: String,
        update: EntityUpdate,
    },
    /// One result of a test case, after the test case (see [`super::quality`]).
    TestCaseResult {
        test_case: String,
        result: Value,
    },
    /// Removal of the earlier lineage from `source` into `to` (see [`super::lineage`]).
    LineageReset {
        to: EntityRef,
        source: String,
    },
}

impl Work {
    /// The FQNs this work creates, which others may wait for.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Work::Service { fqn, .. } | Work::Entity { fqn, .. } => vec![fqn.clone()],
            Work::Batch { items, .. } => items.iter().map(|(f, _)| f.clone()).collect(),
            Work::Status { .. } | Work::Lineage { .. } | Work::Scope { .. } => Vec::new(),
            // Nothing waits for an update: test cases and lineage find the table
            // themselves.
            Work::Update { .. } | Work::TestCaseResult { .. } => Vec::new(),
            // Lineage into the target waits for its reset.
            Work::LineageReset { to, .. } => vec![super::lineage::reset_key(to)],
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
            Work::Update { .. } | Work::TestCaseResult { .. } => false,
            Work::LineageReset { .. } => true,
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
            // An update waits for nothing, so no dependency can fail it.
            Work::Update { .. } => Vec::new(),
            Work::TestCaseResult { test_case, .. } => {
                s.warn(
                    format!("result of test case {test_case}"),
                    format!("the result of test case {test_case} was skipped: the test case was not written ({reason})"),
                );
                Vec::new()
            }
            // Its target, written in this run, failed: the edges into it fail too.
            Work::LineageReset { to, .. } => vec![super::lineage::reset_key(&to)],
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
    pub(crate) fn fatal(e: ClientError) -> Outcome {
        Outcome {
            fatal: Some(e),
            ..Outcome::default()
        }
    }

    pub(crate) fn one(key: String, result: Result<(), String>) -> Outcome {
        Outcome {
            settled: vec![(key, result)],
            ..Outcome::default()
        }
    }

    /// Adds what another part of the same task did.
    pub(crate) fn absorb(&mut self, other: Outcome) {
        self.settled.extend(other.settled);
        self.requeue.extend(other.requeue);
        if self.fatal.is_none() {
            self.fatal = other.fatal;
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
    /// Existing tables found by FQN (see [`super::resolve`]).
    pub resolver: super::resolve::TableResolver,
    pub quality: super::quality::QualityState,
    pub lineage_state: super::lineage::LineageState,
    /// Owners of updated entities, by the name a record gives.
    pub owners: super::resolve::ReadOnce<super::update::FoundOwner>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub async fn run(&self, work: Work) -> Outcome {
        match work {
            Work::Service { kind, fqn, request } => self.service(kind, fqn, request).await,
            Work::Entity { kind, fqn, request } => self.entity(kind, fqn, request).await,
            Work::Batch {
                kind: EntityKind::TestCase,
                items,
            } => self.test_case_batch(items).await,
            Work::Batch { kind, items } => self.batch(kind, items).await,
            Work::Status { pipeline, status } => self.status(pipeline, status).await,
            Work::Lineage { from, to, details } => self.lineage(from, to, details).await,
            Work::Scope { kind, parent, seen } => self.scope(kind, parent, seen).await,
            Work::Update { kind, fqn, update } => self.update(kind, fqn, update).await,
            Work::TestCaseResult { test_case, result } => {
                self.test_case_result(test_case, result).await
            }
            Work::LineageReset { to, source } => self.lineage_reset(to, source).await,
        }
    }

    pub(crate) fn remember_id(&self, kind: EntityKind, fqn: &str, id: Option<&str>) {
        if let Some(id) = id {
            lock(&self.ids).insert(kind, fqn, id);
        }
    }

    /// Counts a successful create-or-update: every write is a record; one that
    /// changed an entity which already existed is also an update. An existing
    /// entity written unchanged is a record only.
    pub(crate) fn count_write(&self, w: &Written) {
        let mut s = lock(&self.summary);
        s.records += 1;
        if w.changed {
            s.updated_records += 1;
        }
    }

    /// A failed call: fatal errors stop the sink, others fail this entity.
    pub(crate) fn failed(&self, key: String, name: String, e: ClientError) -> Outcome {
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
        if kind == EntityKind::TestCase {
            return self.test_case(fqn, request).await;
        }
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
        #[derive(serde::Deserialize)]
        struct Listed {
            id: String,
            #[serde(rename = "fullyQualifiedName")]
            fqn: String,
        }
        // A scope whose parent is not on the server (a dry run before the first
        // real one) lists nothing, so nothing is deleted.
        let listed = self
            .for_each_listed(kind, &[(filter, &value)], |e: Listed| {
                total += 1;
                if !seen.contains(&deletion_key(&e.fqn)) {
                    unseen.push((e.id, e.fqn));
                }
            })
            .await;
        match listed {
            Ok(()) => {}
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(
                    scope_name,
                    format!("nothing was marked deleted in {parent}: listing its {kind}s on the server failed: {e}"),
                );
                return Outcome::default();
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

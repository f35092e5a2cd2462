//! The `metadata-rest` sink: records in, REST calls out, parents before children.
//!
//! Ordering: every record that creates an entity registers its FQN as *unsettled*
//! until its write completes. A record that needs other entities (a table its
//! schema, a status its pipeline, a lineage edge both ends and a reset of its
//! target, a test result its test case) waits while any of them is unsettled, and
//! is dispatched when the last one settles. A settled FQN is forgotten at once (an
//! FQN not unsettled was written earlier in this run or already exists), so memory
//! follows the window, not the catalog. When a needed entity failed, the waiting
//! records fail at once, naming it.
//!
//! Concurrency: at most `concurrency` tasks run; `write` returns once the record is
//! queued and fewer than `4 × concurrency` records wait (for a parent or for a free
//! slot; a bulk batch counts its members): awaiting it is the back-pressure. Memory
//! is thus bounded by `concurrency × bulkSize` records in flight plus that queue.
//!
//! Bulk: consecutive siblings of a bulk-capable kind (databases, schemas, tables)
//! are gathered into one `PUT {collection}/bulk` of up to `bulkSize`. The batch is
//! sent when it is full or when any record other than a further sibling (or an
//! event) arrives. A 404/405 on bulk switches that kind to single writes for the
//! rest of the run and re-sends the batch one by one. Consecutive test cases are
//! gathered the same way across tables, up to 100 (`createMany`, see
//! [`quality`]).

mod lineage;
mod quality;
mod resolve;
mod scope;
mod settings;
mod update;
mod work;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use omctl_record::sink::{BoxFuture, Sink, SinkError};
use omctl_record::status::StepSummary;
use omctl_record::{EntityKind, Record};
use serde_json::Value;
use tokio::task::{Id, JoinSet};

pub use scope::{Deletion, DeletionLog};
pub use settings::{SinkOptions, SinkSettings};

use crate::client::OmClient;
use crate::config::ServerConfig;
use crate::error::ClientError;
use crate::routes::bulk_capable;
use lineage::{ContainerCache, LineageState, detail_dependencies, reset_key};
use quality::{CREATE_MANY_LIMIT, QualityState};
use resolve::TableResolver;
use scope::ScopeTracker;
use work::{IdCache, Outcome, Shared, Work, lock};

/// The step name in summaries and reports.
pub const SINK_NAME: &str = "metadata-rest";

/// Failed FQNs kept so that their children fail fast; past this, children are
/// sent and the server refuses them instead.
const KEPT_FAILED_KEYS: usize = 100_000;

#[derive(Default)]
struct Unsettled {
    /// Writes of this FQN queued or in flight.
    writers: u32,
    /// Waiting records (ids into `pending`).
    waiters: Vec<u64>,
}

struct Pending {
    work: Work,
    waiting: usize,
    failed_dep: Option<(String, String)>,
}

struct OpenBatch {
    kind: EntityKind,
    /// The parents its members wait for: one, except for test cases, whose
    /// batches span tables.
    parents: Vec<String>,
    items: Vec<(String, Value)>,
}

/// The `metadata-rest` sink. Build it with [`MetadataRestSink::connect`], then use
/// it through [`Sink`].
pub struct MetadataRestSink {
    shared: Arc<Shared>,
    window: usize,
    /// Records (a batch counts its members) queued or waiting, and their limit.
    queued_records: usize,
    max_backlog: usize,
    tasks: JoinSet<Outcome>,
    task_keys: HashMap<Id, Vec<String>>,
    unsettled: HashMap<String, Unsettled>,
    failed: HashMap<String, String>,
    pending: HashMap<u64, Pending>,
    next_pending: u64,
    ready: VecDeque<Work>,
    batch: Option<OpenBatch>,
    scopes: ScopeTracker,
    fatal: Option<String>,
    started: Instant,
}

impl MetadataRestSink {
    /// Checks the server (reachable, credentials, version unless disabled) and
    /// reads the sink settings. "Server down" and "token refused" come out here as
    /// [`ClientError::Connect`] / [`ClientError::Auth`], before the source runs.
    pub async fn connect(
        mut server: ServerConfig,
        options: SinkOptions,
    ) -> Result<MetadataRestSink, ClientError> {
        let settings = SinkSettings::from_json(&options.sink_config)?;
        let kinds = settings::mark_deleted_kinds(&options.source_config)?;
        let resolver =
            TableResolver::new(settings::search_across_databases(&options.source_config)?);
        server.connect_timeout = settings.connect_timeout;
        server.read_timeout = settings.read_timeout;
        server.retry.max_retries = settings.max_retries;
        let (client, version) = OmClient::connect(server).await?;
        tracing::debug!("OpenMetadata server version {version}");
        if settings::is_dbt(&options.source_config) {
            resolve::require_database_service(&client, options.service_name.as_deref()).await?;
        }
        Ok(MetadataRestSink::with_client(
            client, options, settings, kinds, resolver,
        ))
    }

    fn with_client(
        client: OmClient,
        options: SinkOptions,
        settings: SinkSettings,
        kinds: HashSet<EntityKind>,
        resolver: TableResolver,
    ) -> MetadataRestSink {
        let window = settings.concurrency;
        MetadataRestSink {
            shared: Arc::new(Shared {
                client,
                dry_run: options.dry_run,
                settings,
                service_name: options.service_name,
                service_connection: options.service_connection,
                summary: Mutex::new(StepSummary::new(SINK_NAME)),
                ids: Mutex::new(IdCache::default()),
                containers: Mutex::new(ContainerCache::default()),
                unlinked_locations: AtomicU64::new(0),
                no_bulk: Mutex::new(HashSet::new()),
                deletions: DeletionLog::default(),
                resolver,
                owners: resolve::ReadOnce::default(),
                quality: QualityState::default(),
                lineage_state: LineageState::new(settings::is_dbt(&options.source_config)),
            }),
            window,
            queued_records: 0,
            max_backlog: window * 4,
            tasks: JoinSet::new(),
            task_keys: HashMap::new(),
            unsettled: HashMap::new(),
            failed: HashMap::new(),
            pending: HashMap::new(),
            next_pending: 0,
            ready: VecDeque::new(),
            batch: None,
            scopes: ScopeTracker::new(kinds),
            fatal: None,
            started: Instant::now(),
        }
    }

    /// The client, for the run-status reporter ([`crate::PipelineRunReporter`]).
    pub fn client(&self) -> &OmClient {
        &self.shared.client
    }

    /// A handle on the deletions done (or planned, under dry run), readable after
    /// the sink was boxed or closed.
    pub fn deletion_log(&self) -> DeletionLog {
        self.shared.deletions.clone()
    }

    /// Takes one record: queues it, and waits only when the queue is full.
    pub async fn write_record(&mut self, record: Record) -> Result<(), SinkError> {
        if let Some(f) = &self.fatal {
            return Err(SinkError::Connection(f.clone()));
        }
        match record {
            Record::Entity {
                kind,
                fqn,
                parent,
                request,
            } => {
                self.scopes.saw(kind, parent.as_deref(), &fqn);
                if kind.is_service() {
                    self.flush_batch();
                    self.admit(Work::Service { kind, fqn, request }, Vec::new());
                } else if let (Some(parent), true) = (&parent, self.batches(kind)) {
                    self.add_to_batch(kind, parent.clone(), fqn, request);
                } else {
                    self.flush_batch();
                    self.admit(
                        Work::Entity { kind, fqn, request },
                        parent.into_iter().collect(),
                    );
                }
            }
            Record::PipelineStatus { pipeline, status } => {
                self.flush_batch();
                self.admit(
                    Work::Status {
                        pipeline: pipeline.clone(),
                        status,
                    },
                    vec![pipeline],
                );
            }
            Record::Lineage { from, to, details } => {
                self.flush_batch();
                let mut deps = vec![from.fqn.clone(), to.fqn.clone(), reset_key(&to)];
                deps.extend(detail_dependencies(details.as_ref()));
                self.admit(Work::Lineage { from, to, details }, deps);
            }
            Record::ScopeComplete { kind, parent } => {
                self.flush_batch();
                if self.scopes.covers(kind) {
                    // After the scope's parent: a parent that could not be written
                    // has nothing to compare (its failure is already reported).
                    let seen = self.scopes.take(kind, &parent);
                    self.admit(
                        Work::Scope {
                            kind,
                            parent: parent.clone(),
                            seen,
                        },
                        vec![parent],
                    );
                }
            }
            // Events are counted by the source step; the sink only needs to know
            // which entities were seen (filtered or failed ones are not deleted).
            Record::Event(event) => self.scopes.saw_event(&event),
            Record::Update { kind, fqn, update } => {
                self.flush_batch();
                self.admit(Work::Update { kind, fqn, update }, Vec::new());
            }
            Record::TestCaseResult { test_case, result } => {
                self.flush_batch();
                let deps = vec![test_case.clone()];
                self.admit(Work::TestCaseResult { test_case, result }, deps);
            }
            Record::LineageReset { to, source } => {
                self.flush_batch();
                let deps = vec![to.fqn.clone()];
                self.admit(Work::LineageReset { to, source }, deps);
            }
        }
        loop {
            self.pump();
            if self.queued_records < self.max_backlog {
                return Ok(());
            }
            self.complete_one().await?;
        }
    }

    /// Sends what is queued, waits for everything in flight and returns the summary.
    pub async fn finish(&mut self) -> Result<StepSummary, SinkError> {
        if let Some(f) = &self.fatal {
            return Err(SinkError::Connection(f.clone()));
        }
        self.flush_batch();
        loop {
            self.pump();
            if self.tasks.is_empty() {
                break;
            }
            self.complete_one().await?;
        }
        // Everything waits on something in flight, so nothing can be left; should a
        // record still wait, it is reported rather than lost silently.
        for (_, p) in self.pending.drain() {
            let keys = p.work.keys();
            lock(&self.shared.summary).fail(
                keys.first()
                    .cloned()
                    .unwrap_or_else(|| "record".to_string()),
                "internal error: the record was still waiting for its parent when the sink closed",
            );
        }
        for (kind, seen) in self.scopes.incomplete() {
            tracing::info!(
                "{seen} {kind}s were seen in a scope the source did not report complete: nothing is marked deleted there"
            );
        }
        let unlinked = self.shared.unlinked_locations.load(Ordering::Relaxed);
        if unlinked > 0 {
            tracing::debug!(
                "{unlinked} external tables were not linked to a container: no container on the server has their location as fullPath"
            );
        }
        let mut summary = lock(&self.shared.summary).clone();
        summary.duration_ms = self.started.elapsed().as_millis() as u64;
        Ok(summary)
    }

    fn batches(&self, kind: EntityKind) -> bool {
        self.shared.settings.bulk
            && self.batch_size(kind) > 1
            && (bulk_capable(kind) || kind == EntityKind::TestCase)
            && !lock(&self.shared.no_bulk).contains(&kind)
    }

    fn batch_size(&self, kind: EntityKind) -> usize {
        match kind {
            EntityKind::TestCase => self.shared.settings.bulk_size.min(CREATE_MANY_LIMIT),
            _ => self.shared.settings.bulk_size,
        }
    }

    fn add_to_batch(&mut self, kind: EntityKind, parent: String, fqn: String, request: Value) {
        // Test cases of different tables go out together (`createMany`); other
        // kinds batch the siblings of one parent.
        let same_group = self.batch.as_ref().is_some_and(|b| {
            b.kind == kind && (kind == EntityKind::TestCase || b.parents.contains(&parent))
        });
        if !same_group {
            self.flush_batch();
        }
        let limit = self.batch_size(kind);
        let batch = self.batch.get_or_insert_with(|| OpenBatch {
            kind,
            parents: Vec::new(),
            items: Vec::new(),
        });
        if !batch.parents.contains(&parent) {
            batch.parents.push(parent);
        }
        batch.items.push((fqn, request));
        if batch.items.len() >= limit {
            self.flush_batch();
        }
    }

    fn flush_batch(&mut self) {
        let Some(mut b) = self.batch.take() else {
            return;
        };
        let work = if b.items.len() == 1 {
            let (fqn, request) = b.items.pop().expect("one item");
            Work::Entity {
                kind: b.kind,
                fqn,
                request,
            }
        } else {
            Work::Batch {
                kind: b.kind,
                items: b.items,
            }
        };
        self.admit(work, b.parents);
    }

    /// Queues work that needs the entities `deps`: ready at once when none is
    /// unsettled, waiting otherwise, failed at once when one has failed.
    fn admit(&mut self, work: Work, deps: Vec<String>) {
        let id = self.next_pending;
        self.next_pending += 1;
        let own = work.keys();
        // A second write of an FQN still in flight waits for the first, to keep
        // their order.
        let mut waits = deps;
        waits.extend(
            own.iter()
                .filter(|k| self.unsettled.contains_key(*k))
                .cloned(),
        );
        let mut waiting = 0;
        let mut failed_dep = None;
        for dep in &waits {
            if let Some(u) = self.unsettled.get_mut(dep) {
                if !u.waiters.contains(&id) {
                    u.waiters.push(id);
                    waiting += 1;
                }
            } else if let Some(reason) = self.failed.get(dep)
                && failed_dep.is_none()
                && !own.contains(dep)
            {
                failed_dep = Some((dep.clone(), reason.clone()));
            }
        }
        for k in &own {
            self.unsettled.entry(k.clone()).or_default().writers += 1;
        }
        if waiting > 0 {
            self.queued_records += work.records();
            self.pending.insert(
                id,
                Pending {
                    work,
                    waiting,
                    failed_dep,
                },
            );
        } else if let Some((dep, reason)) = failed_dep {
            let keys = work.fail_for_dependency(&dep, &reason, &self.shared.summary);
            for k in keys {
                self.settle(k, Err(format!("its parent {dep} could not be written")));
            }
        } else {
            self.enqueue(work);
        }
    }

    /// Marks `key` written or failed and releases what waited for it.
    fn settle(&mut self, key: String, result: Result<(), String>) {
        let mut worklist = vec![(key, result)];
        while let Some((key, result)) = worklist.pop() {
            match &result {
                Ok(()) => {
                    self.failed.remove(&key);
                }
                Err(reason) => {
                    if self.failed.len() < KEPT_FAILED_KEYS {
                        self.failed.insert(key.clone(), reason.clone());
                    }
                }
            }
            let waiters = match self.unsettled.get_mut(&key) {
                Some(u) => {
                    u.writers = u.writers.saturating_sub(1);
                    let w = std::mem::take(&mut u.waiters);
                    if u.writers == 0 {
                        self.unsettled.remove(&key);
                    }
                    w
                }
                None => Vec::new(),
            };
            for id in waiters {
                let Some(p) = self.pending.get_mut(&id) else {
                    continue;
                };
                p.waiting -= 1;
                // A second write of the same FQN waits for the first only to keep
                // their order; the first one failing does not fail it.
                let own = p.work.keys().contains(&key);
                if let (Err(reason), None, false) = (&result, &p.failed_dep, own) {
                    p.failed_dep = Some((key.clone(), reason.clone()));
                }
                if p.waiting > 0 {
                    continue;
                }
                let p = self.pending.remove(&id).expect("present");
                self.queued_records -= p.work.records();
                match p.failed_dep {
                    Some((dep, reason)) => {
                        let keys = p
                            .work
                            .fail_for_dependency(&dep, &reason, &self.shared.summary);
                        for k in keys {
                            worklist
                                .push((k, Err(format!("its parent {dep} could not be written"))));
                        }
                    }
                    None => self.enqueue(p.work),
                }
            }
        }
    }

    /// Puts work whose dependencies are written in the ready queue. Entities that
    /// others wait for (services, databases, schemas, pipelines) go first, so that
    /// their children do not sit idle behind a queue of siblings.
    fn enqueue(&mut self, work: Work) {
        self.queued_records += work.records();
        if work.is_parent() {
            self.ready.push_front(work);
        } else {
            self.ready.push_back(work);
        }
    }

    /// Starts ready work while there is a free slot.
    fn pump(&mut self) {
        while self.tasks.len() < self.window {
            let Some(work) = self.ready.pop_front() else {
                break;
            };
            self.queued_records -= work.records();
            let keys = work.keys();
            let shared = Arc::clone(&self.shared);
            let handle = self.tasks.spawn(async move { shared.run(work).await });
            if !keys.is_empty() {
                self.task_keys.insert(handle.id(), keys);
            }
        }
    }

    /// Waits for one task and applies what it did.
    async fn complete_one(&mut self) -> Result<(), SinkError> {
        let Some(joined) = self.tasks.join_next_with_id().await else {
            return Ok(());
        };
        match joined {
            Ok((id, outcome)) => {
                self.task_keys.remove(&id);
                if let Some(e) = outcome.fatal {
                    let message = e.to_string();
                    self.fatal = Some(message.clone());
                    self.tasks.abort_all();
                    return Err(SinkError::Connection(message));
                }
                for (key, result) in outcome.settled {
                    self.settle(key, result);
                }
                // Re-sent work (bulk fallback) keeps the keys it registered.
                for work in outcome.requeue {
                    self.queued_records += work.records();
                    self.ready.push_back(work);
                }
            }
            Err(join_error) => {
                let keys = self.task_keys.remove(&join_error.id()).unwrap_or_default();
                let reason = format!("internal error: a write task stopped: {join_error}");
                for k in keys {
                    lock(&self.shared.summary).fail(k.clone(), reason.clone());
                    self.settle(k, Err(reason.clone()));
                }
            }
        }
        Ok(())
    }
}

impl Sink for MetadataRestSink {
    fn name(&self) -> &str {
        SINK_NAME
    }

    fn write<'a>(&'a mut self, record: Record) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(self.write_record(record))
    }

    fn close<'a>(&'a mut self) -> BoxFuture<'a, Result<StepSummary, SinkError>> {
        Box::pin(self.finish())
    }
}

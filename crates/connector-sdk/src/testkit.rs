//! Run a connector in-process, without building or loading a plugin, and look at
//! what it produced.
//!
//! The kit goes through the same code as a loaded plugin (runtime, channel, NDJSON
//! encoding, panic capture, log bridge), so what passes here behaves the same in
//! omctl. It needs nothing from the omctl workspace: a connector in its own
//! repository uses it as a dev-dependency.
//!
//! ```no_run
//! # use connector_sdk::{Connector, testkit};
//! # fn check<C: Connector>(connector: impl Fn() -> C) {
//! use connector_sdk::serde_json::json;
//!
//! let run = testkit::run(connector(), json!({
//!     "type": "localcatalog",
//!     "serviceName": "local",
//!     "serviceConnection": {"config": {"type": "CustomDatabase"}},
//! }));
//! run.assert_ok();
//! assert_eq!(run.fqns(connector_sdk::EntityKind::Table), ["local.db.sch.orders"]);
//! # }
//! ```
//!
//! The functions block; they are safe to call from `#[test]` and from
//! `#[tokio::test]` alike (the work runs on its own thread).

use std::sync::{Arc, Mutex, PoisonError};

use connector_abi::LogLevel;
use connector_abi::wire::{
    BoundaryError, Manifest, PluginConfig, Progress, RunOptions, TestConnectionReport,
};
use omctl_record::{EntityKind, Event, EventLevel, Record, decode_batch};
use serde_json::Value;

use crate::Connector;
use crate::context::HostSink;
use crate::session::{self, Session};

/// One log line the connector sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub target: String,
    pub message: String,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default)]
pub struct TestRun {
    /// The records, in the order the host received them.
    pub records: Vec<Record>,
    /// How the run ended: `None` when it finished (or was cancelled) cleanly.
    pub error: Option<BoundaryError>,
    pub logs: Vec<LogLine>,
    pub progress: Vec<Progress>,
    /// The size of each batch the host received.
    pub batches: Vec<usize>,
}

impl TestRun {
    /// Panics with the run's error, if it has one.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        if let Some(e) = &self.error {
            panic!("the run failed: {} ({:?}): {e}", e.kind, e.location);
        }
        self
    }

    /// The FQNs of the entity records of `kind`, in order.
    pub fn fqns(&self, kind: EntityKind) -> Vec<&str> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Entity { kind: k, fqn, .. } if *k == kind => Some(fqn.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The create request of the entity `fqn` (any kind).
    pub fn request(&self, fqn: &str) -> Option<&Value> {
        self.records.iter().find_map(|r| match r {
            Record::Entity {
                fqn: f, request, ..
            } if f == fqn => Some(request),
            _ => None,
        })
    }

    /// The events of one level.
    pub fn events(&self, level: EventLevel) -> Vec<&Event> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Event(e) if e.level == level => Some(e),
                _ => None,
            })
            .collect()
    }

    /// The `(kind, parent)` of every scope-complete marker.
    pub fn completed_scopes(&self) -> Vec<(EntityKind, &str)> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::ScopeComplete { kind, parent } => Some((*kind, parent.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// A host that records what it is told, and cancels after a number of records
/// when asked to.
#[derive(Default)]
struct Recorder {
    logs: Mutex<Vec<LogLine>>,
    progress: Mutex<Vec<Progress>>,
    cancelled: std::sync::atomic::AtomicBool,
}

impl HostSink for Recorder {
    fn log(&self, level: LogLevel, target: &str, message: &str) {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(LogLine {
                level,
                target: target.to_owned(),
                message: message.to_owned(),
            });
    }

    fn progress(&self, progress_json: &str) {
        // The SDK wrote it; a connector cannot make it unreadable.
        if let Ok(p) = serde_json::from_str(progress_json) {
            self.progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(p);
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Recorder {
    fn take_into(&self, run: &mut TestRun) {
        run.logs = std::mem::take(&mut *self.logs.lock().unwrap_or_else(PoisonError::into_inner));
        run.progress =
            std::mem::take(&mut *self.progress.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Runs a connector with chosen run options. [`run`] and [`test_connection`] are
/// shorthands for the defaults.
pub struct Harness<C> {
    connector: Arc<C>,
    run: RunOptions,
    batch_size: u32,
    cancel_after: Option<usize>,
    host_cancels_after: Option<usize>,
}

impl<C: Connector> Harness<C> {
    pub fn new(connector: C) -> Self {
        Harness {
            connector: Arc::new(connector),
            run: RunOptions {
                log_level: Some("debug".into()),
                ..RunOptions::default()
            },
            batch_size: 100,
            cancel_after: None,
            host_cancels_after: None,
        }
    }

    /// Sets `run.dryRun`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.run.dry_run = dry_run;
        self
    }

    /// Sets `run.logLevel` (the kit's default is `debug`).
    pub fn log_level(mut self, level: &str) -> Self {
        self.run.log_level = Some(level.to_owned());
        self
    }

    /// How many records the host asks for at a time (default 100).
    pub fn batch_size(mut self, max: u32) -> Self {
        self.batch_size = max;
        self
    }

    /// Makes the host stop once it has received at least `records` records, as
    /// omctl does on Ctrl-C: it sets its cancelled flag and cancels the source.
    pub fn cancel_after(mut self, records: usize) -> Self {
        self.cancel_after = Some(records);
        self
    }

    /// Makes the host only set its cancelled flag after `records` records and go
    /// on pulling: the source notices by polling the host (within about 100 ms).
    pub fn host_cancels_after(mut self, records: usize) -> Self {
        self.host_cancels_after = Some(records);
        self
    }

    /// The manifest as omctl would read it.
    pub fn manifest(&self) -> Result<Manifest, BoundaryError> {
        session::manifest(&*self.connector)
    }

    fn config_json(&self, source: Value) -> String {
        PluginConfig::new(source, self.run.clone()).to_json()
    }

    /// Runs the connection test with the workflow's `source` section.
    pub fn test_connection(&self, source: Value) -> Result<TestConnectionReport, BoundaryError> {
        let config = self.config_json(source);
        let connector = self.connector.clone();
        on_own_thread(move || {
            session::test_connection(connector, &config, Arc::new(Recorder::default()))
        })
    }

    /// Runs the source with the workflow's `source` section and collects what it
    /// produced.
    pub fn run(&self, source: Value) -> TestRun {
        let config = self.config_json(source);
        let connector = self.connector.clone();
        let (batch_size, cancel_after, host_cancels_after) =
            (self.batch_size, self.cancel_after, self.host_cancels_after);
        on_own_thread(move || {
            let recorder = Arc::new(Recorder::default());
            let mut out = TestRun::default();
            let mut session = match Session::open(connector, &config, recorder.clone()) {
                Ok(s) => s,
                Err(e) => {
                    out.error = Some(e);
                    recorder.take_into(&mut out);
                    return out;
                }
            };
            loop {
                match session.pull(batch_size) {
                    Ok(Some(batch)) => {
                        let before = out.records.len();
                        for record in decode_batch(&batch) {
                            out.records
                                .push(record.expect("the SDK encodes every record it sends"));
                        }
                        out.batches.push(out.records.len() - before);
                        let received = out.records.len();
                        if cancel_after.is_some_and(|n| received >= n) {
                            recorder
                                .cancelled
                                .store(true, std::sync::atomic::Ordering::SeqCst);
                            session.cancel();
                        }
                        if host_cancels_after.is_some_and(|n| received >= n) {
                            recorder
                                .cancelled
                                .store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        out.error = Some(e);
                        break;
                    }
                }
            }
            drop(session);
            recorder.take_into(&mut out);
            out
        })
    }
}

/// Runs the connector's source with default options; see [`Harness::run`].
pub fn run<C: Connector>(connector: C, source: Value) -> TestRun {
    Harness::new(connector).run(source)
}

/// Runs the connector's connection test with default options.
pub fn test_connection<C: Connector>(
    connector: C,
    source: Value,
) -> Result<TestConnectionReport, BoundaryError> {
    Harness::new(connector).test_connection(source)
}

/// The SDK blocks on its own runtime, which tokio refuses inside another runtime
/// of the same tokio copy (as in `#[tokio::test]`): run on a fresh thread.
fn on_own_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    })
}

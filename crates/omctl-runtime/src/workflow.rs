//! Runs a source into a sink.
//!
//! A source is pulled on its own blocking thread (plugins block on their own
//! runtime inside each call), its batches are decoded there and sent through a
//! bounded channel to the async side, which counts them for the source step and
//! hands every record, in order, to the sink. Awaiting `Sink::write` is the
//! back-pressure: a slow sink fills the channel and the puller waits.
//!
//! Failures of single records are counters; a source error mid-stream, a sink
//! that cannot go on, or an interruption stop the run, but the sink is still
//! closed, so what was produced lands and is counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use omctl_record::sink::{Sink, SinkError};
use omctl_record::status::StepSummary;
use omctl_record::{DecodeError, EventLevel, Record, decode_batch};
use tokio::sync::mpsc;

use crate::config::WorkflowFile;
use crate::host::RuntimeHost;
use crate::plugin::{
    ErrorKind, Plugin, PluginConfig, PluginError, RunOptions as PluginRunOptions, SourceSession,
};
use crate::report::{PluginInfo, RunReport, RunStop, StopKind, SuccessPolicy};

/// A flag shared between whoever may stop a run (Ctrl-C) and the run.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a source could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceFailure {
    pub kind: StopKind,
    pub message: String,
}

/// A source of record batches, pulled from a blocking thread.
///
/// Implemented by the plugin adapter and by in-memory sources in tests.
pub trait BatchSource: Send {
    /// Up to `max` records as newline-separated JSON, `None` at the end.
    fn next_batch(&mut self, max: usize) -> Result<Option<String>, SourceFailure>;

    /// Asks the source to stop; called on the pulling thread when the run is
    /// stopped before the end.
    fn cancel(&mut self);
}

/// What kind of stop a plugin error is.
pub fn stop_kind(error: &PluginError) -> StopKind {
    match error.call_kind() {
        Some(ErrorKind::Config) => StopKind::Config,
        Some(ErrorKind::Connection) => StopKind::Connection,
        Some(ErrorKind::Panic | ErrorKind::Internal) | None => StopKind::Plugin,
    }
}

impl From<PluginError> for SourceFailure {
    fn from(error: PluginError) -> Self {
        SourceFailure {
            kind: stop_kind(&error),
            message: error.to_string(),
        }
    }
}

impl BatchSource for SourceSession {
    fn next_batch(&mut self, max: usize) -> Result<Option<String>, SourceFailure> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        SourceSession::next_batch(self, max).map_err(SourceFailure::from)
    }

    fn cancel(&mut self) {
        SourceSession::cancel(self);
    }
}

/// A source that could not be opened: its first pull reports why, so the run
/// closes the sink and reports like any other stopped run.
struct Unopened(Option<SourceFailure>);

impl BatchSource for Unopened {
    fn next_batch(&mut self, _: usize) -> Result<Option<String>, SourceFailure> {
        match self.0.take() {
            Some(failure) => Err(failure),
            None => Ok(None),
        }
    }

    fn cancel(&mut self) {}
}

/// The config JSON a plugin is opened with: the workflow's `source` section and
/// this run's settings. It holds secrets: never log it.
pub fn plugin_config(workflow: &WorkflowFile, dry_run: bool, log_level: &str) -> serde_json::Value {
    let config = PluginConfig::new(
        workflow.plugin_source_json(),
        PluginRunOptions {
            dry_run,
            log_level: Some(log_level.to_string()),
            host_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        },
    );
    serde_json::to_value(&config).expect("a JSON document serializes")
}

/// Opens `plugin`'s source with `config` (see [`plugin_config`]) and runs it into
/// `sink`. An error while opening is reported like a stop at the first pull.
pub async fn run_plugin(
    plugin: &Plugin,
    config: serde_json::Value,
    sink: Box<dyn Sink>,
    labels: RunLabels,
    options: RunOptions,
) -> RunReport {
    let stop = StopSignal::new(options.cancel.clone());
    let host = Arc::new(RuntimeHost::new(stop.clone(), options.progress.clone()));
    let to_open = plugin.clone();
    let opened = tokio::task::spawn_blocking(move || to_open.open(&config, host)).await;
    let source: Box<dyn BatchSource> = match opened {
        Ok(Ok(session)) => Box::new(session),
        Ok(Err(error)) => Box::new(Unopened(Some(SourceFailure::from(error)))),
        Err(join) => Box::new(Unopened(Some(SourceFailure {
            kind: StopKind::Plugin,
            message: format!("opening the source failed: {join}"),
        }))),
    };
    run_source(source, sink, labels, options, stop).await
}

/// Observes a run's progress (a progress bar).
pub trait Progress: Send + Sync {
    /// The source said how far it is (plugin progress callback).
    fn source_progress(&self, message: &str, done: u64, total: Option<u64>);
    /// Records handed to the sink so far.
    fn records(&self, written: u64);
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn source_progress(&self, _: &str, _: u64, _: Option<u64>) {}
    fn records(&self, _: u64) {}
}

/// Settings of one run.
#[derive(Clone)]
pub struct RunOptions {
    /// Records asked for per `next_batch` call.
    pub batch_size: usize,
    /// Batches buffered between the puller and the sink.
    pub channel_batches: usize,
    /// Set by the caller to interrupt the run.
    pub cancel: CancelToken,
    pub progress: Arc<dyn Progress>,
    pub policy: SuccessPolicy,
    pub dry_run: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            batch_size: 500,
            channel_batches: 4,
            cancel: CancelToken::new(),
            progress: Arc::new(NoProgress),
            policy: SuccessPolicy::default(),
            dry_run: false,
        }
    }
}

/// The names a report carries.
#[derive(Debug, Clone)]
pub struct RunLabels {
    /// `source.type`, also the source step's name.
    pub source_type: String,
    pub sink_type: String,
    pub plugin: Option<PluginInfo>,
}

/// Whether a run must stop pulling: the user interrupted it, or the sink gave up.
#[derive(Debug, Clone)]
pub struct StopSignal {
    user: CancelToken,
    internal: CancelToken,
}

impl StopSignal {
    pub fn new(user: CancelToken) -> Self {
        StopSignal {
            user,
            internal: CancelToken::new(),
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.user.is_cancelled() || self.internal.is_cancelled()
    }
}

enum Pulled {
    Records(Vec<Result<Record, DecodeError>>),
    Failed(SourceFailure),
    Finished { duration_ms: u64 },
}

/// Counts what the source produced, as its step summary.
pub fn count_source_record(summary: &mut StepSummary, record: &Record) {
    match record {
        Record::Entity { .. }
        | Record::PipelineStatus { .. }
        | Record::Lineage { .. }
        | Record::Update { .. }
        | Record::TestCaseResult { .. }
        // A reset is work for the sink (it removes edges), counted as the sink counts it.
        | Record::LineageReset { .. } => summary.records += 1,
        Record::ScopeComplete { .. } => {}
        Record::Event(event) => match event.level {
            EventLevel::Warning => summary.warn(event.name.clone(), event.reason.clone()),
            EventLevel::Failure => {
                let kept = summary.failures.len();
                summary.fail(event.name.clone(), event.reason.clone());
                if summary.failures.len() > kept
                    && let Some(f) = summary.failures.last_mut()
                {
                    f.stack_trace = event.detail.clone();
                }
            }
            EventLevel::Filtered => summary.filtered += 1,
        },
    }
}

fn millis_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Pulls `source` until its end, an error, or a stop; runs on a blocking thread.
fn pull(
    mut source: Box<dyn BatchSource>,
    tx: mpsc::Sender<Pulled>,
    stop: StopSignal,
    batch_size: usize,
) {
    let started = Instant::now();
    let (mut batches, mut lines) = (0u64, 0usize);
    loop {
        if stop.is_stopped() {
            tracing::debug!("stopping the source after {batches} batches");
            source.cancel();
            break;
        }
        match source.next_batch(batch_size) {
            Ok(Some(batch)) => {
                let records: Vec<_> = decode_batch(&batch).collect();
                batches += 1;
                lines += records.len();
                if tx.blocking_send(Pulled::Records(records)).is_err() {
                    // The sink side is gone: it gave up.
                    source.cancel();
                    break;
                }
            }
            Ok(None) => {
                tracing::debug!("the source finished: {lines} records in {batches} batches");
                break;
            }
            Err(failure) => {
                tracing::debug!("the source failed after {lines} records in {batches} batches");
                let _ = tx.blocking_send(Pulled::Failed(failure));
                break;
            }
        }
    }
    let _ = tx.blocking_send(Pulled::Finished {
        duration_ms: millis_since(started),
    });
    // The source is dropped here, on this thread: a plugin may block while it
    // shuts its own runtime down.
    drop(source);
}

fn sink_stop(step: &str, err: SinkError) -> RunStop {
    let kind = match err {
        SinkError::Connection(_) => StopKind::Connection,
        SinkError::Fatal(_) => StopKind::Other,
    };
    RunStop {
        step: step.to_string(),
        kind,
        message: err.to_string(),
    }
}

/// Runs `source` into `sink` and reports. `stop` is the signal the source's host
/// callbacks also watch (see [`StopSignal`]).
pub async fn run_source(
    source: Box<dyn BatchSource>,
    mut sink: Box<dyn Sink>,
    labels: RunLabels,
    options: RunOptions,
    stop: StopSignal,
) -> RunReport {
    let started_at = SystemTime::now();
    let sink_started = Instant::now();
    let mut source_summary = StepSummary::new(labels.source_type.clone());
    let sink_name = sink.name().to_string();
    let mut stopped: Option<RunStop> = None;

    let (tx, mut rx) = mpsc::channel::<Pulled>(options.channel_batches.max(1));
    let puller = {
        let stop = stop.clone();
        let batch_size = options.batch_size.max(1);
        tokio::task::spawn_blocking(move || pull(source, tx, stop, batch_size))
    };

    let mut written = 0u64;
    'receive: while let Some(pulled) = rx.recv().await {
        match pulled {
            Pulled::Records(records) => {
                for record in records {
                    match record {
                        Ok(record) => {
                            count_source_record(&mut source_summary, &record);
                            if let Err(e) = sink.write(record).await {
                                stopped = Some(sink_stop(&sink_name, e));
                                stop.internal.cancel();
                                break 'receive;
                            }
                            written += 1;
                            options.progress.records(written);
                        }
                        Err(e) => source_summary.fail(labels.source_type.clone(), e.to_string()),
                    }
                }
            }
            Pulled::Failed(failure) => {
                source_summary.fail(labels.source_type.clone(), failure.message.clone());
                stopped = Some(RunStop {
                    step: labels.source_type.clone(),
                    kind: failure.kind,
                    message: failure.message,
                });
            }
            Pulled::Finished { duration_ms } => source_summary.duration_ms = duration_ms,
        }
    }
    // Unblocks a puller waiting to send after the sink gave up.
    drop(rx);
    if let Err(join) = puller.await {
        let message = if join.is_panic() {
            "the source thread panicked".to_string()
        } else {
            join.to_string()
        };
        source_summary.fail(labels.source_type.clone(), message.clone());
        stopped.get_or_insert(RunStop {
            step: labels.source_type.clone(),
            kind: StopKind::Plugin,
            message,
        });
    }
    if source_summary.duration_ms == 0 {
        source_summary.duration_ms = millis_since(sink_started);
    }

    let mut sink_summary = match sink.close().await {
        Ok(summary) => summary,
        Err(e) => {
            let mut s = StepSummary::new(sink_name.clone());
            s.fail(sink_name.clone(), e.to_string());
            stopped.get_or_insert(sink_stop(&sink_name, e));
            s
        }
    };
    sink_summary.duration_ms = millis_since(sink_started);

    if options.cancel.is_cancelled() && stopped.is_none() {
        stopped = Some(RunStop {
            step: labels.source_type.clone(),
            kind: StopKind::Interrupted,
            message: "interrupted; what was read before was written".to_string(),
        });
    }

    RunReport::new(
        labels.source_type,
        labels.sink_type,
        labels.plugin,
        options.dry_run,
        options.policy,
        started_at,
        SystemTime::now(),
        vec![source_summary, sink_summary],
        stopped,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RunStatus;
    use omctl_record::sink::BoxFuture;
    use omctl_record::{EntityKind, Event, encode_batch};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// A source that replays scripted batches, then ends or fails.
    struct Scripted {
        batches: VecDeque<Result<String, SourceFailure>>,
        cancelled: Arc<AtomicBool>,
        asked: Arc<Mutex<Vec<usize>>>,
        /// Cancel this token when the batch with this index is served.
        cancel_at: Option<(usize, CancelToken)>,
        served: usize,
    }

    impl Scripted {
        fn new(batches: Vec<Result<String, SourceFailure>>) -> Self {
            Scripted {
                batches: batches.into(),
                cancelled: Arc::default(),
                asked: Arc::default(),
                cancel_at: None,
                served: 0,
            }
        }
    }

    impl BatchSource for Scripted {
        fn next_batch(&mut self, max: usize) -> Result<Option<String>, SourceFailure> {
            self.asked.lock().unwrap().push(max);
            if let Some((at, token)) = &self.cancel_at
                && *at == self.served
            {
                token.cancel();
            }
            self.served += 1;
            match self.batches.pop_front() {
                Some(Ok(b)) => Ok(Some(b)),
                Some(Err(e)) => Err(e),
                None => Ok(None),
            }
        }

        fn cancel(&mut self) {
            self.cancelled.store(true, Ordering::SeqCst);
        }
    }

    /// A sink that keeps what it gets and can fail after n writes.
    struct Collect {
        got: Arc<Mutex<Vec<Record>>>,
        fail_after: Option<usize>,
        closed: Arc<AtomicBool>,
    }

    impl Sink for Collect {
        fn name(&self) -> &str {
            "collect"
        }

        fn write<'a>(&'a mut self, record: Record) -> BoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                let mut got = self.got.lock().unwrap();
                if self.fail_after == Some(got.len()) {
                    return Err(SinkError::Connection("server refused the token".into()));
                }
                got.push(record);
                Ok(())
            })
        }

        fn close<'a>(&'a mut self) -> BoxFuture<'a, Result<StepSummary, SinkError>> {
            Box::pin(async move {
                self.closed.store(true, Ordering::SeqCst);
                let mut s = StepSummary::new("collect");
                s.records = self.got.lock().unwrap().len() as u64;
                Ok(s)
            })
        }
    }

    type Collected = (Box<dyn Sink>, Arc<Mutex<Vec<Record>>>, Arc<AtomicBool>);

    fn collect(fail_after: Option<usize>) -> Collected {
        let got = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(AtomicBool::new(false));
        let sink = Collect {
            got: got.clone(),
            fail_after,
            closed: closed.clone(),
        };
        (Box::new(sink), got, closed)
    }

    fn table(name: &str) -> Record {
        Record::Entity {
            kind: EntityKind::Table,
            fqn: format!("svc.db.sch.{name}"),
            parent: Some("svc.db.sch".into()),
            request: serde_json::json!({ "name": name }),
        }
    }

    fn labels() -> RunLabels {
        RunLabels {
            source_type: "glue".into(),
            sink_type: "collect".into(),
            plugin: None,
        }
    }

    async fn run(source: Scripted, sink: Box<dyn Sink>, options: RunOptions) -> RunReport {
        let stop = StopSignal::new(options.cancel.clone());
        run_source(Box::new(source), sink, labels(), options, stop).await
    }

    #[test]
    fn the_dbt_record_kinds_count_as_records_of_the_source() {
        use omctl_record::{EntityRef, EntityUpdate};
        let to = EntityRef::new(EntityKind::Table, "svc.db.sch.t");
        let mut summary = StepSummary::new("dbt");
        for record in [
            Record::Update {
                kind: EntityKind::Table,
                fqn: to.fqn.clone(),
                update: EntityUpdate::default(),
            },
            Record::TestCaseResult {
                test_case: "svc.db.sch.t.not_null_t_c".into(),
                result: serde_json::json!({"timestamp": 1}),
            },
            Record::LineageReset {
                to,
                source: "DbtLineage".into(),
            },
            Record::ScopeComplete {
                kind: EntityKind::Table,
                parent: "svc.db.sch".into(),
            },
        ] {
            count_source_record(&mut summary, &record);
        }
        // Three pieces of work for the sink; a scope marker is none.
        assert_eq!((summary.records, summary.warnings), (3, 0));
    }

    #[tokio::test]
    async fn records_flow_in_order_and_are_counted() {
        let batch1 = encode_batch(&[
            table("a"),
            Record::Event(Event::warning(
                Some(EntityKind::Table),
                "svc.db.sch.a",
                "no columns",
            )),
            table("b"),
        ]);
        let batch2 = encode_batch(&[
            Record::Event(Event::filtered(
                EntityKind::Table,
                "svc.db.sch.tmp",
                "excluded",
            )),
            Record::Event(
                Event::failure(Some(EntityKind::Table), "svc.db.sch.bad", "GetTable failed")
                    .with_detail("trace"),
            ),
            Record::ScopeComplete {
                kind: EntityKind::Table,
                parent: "svc.db.sch".into(),
            },
            table("c"),
        ]);
        let source = Scripted::new(vec![Ok(batch1), Ok(batch2)]);
        let asked = source.asked.clone();
        let (sink, got, closed) = collect(None);
        let options = RunOptions {
            batch_size: 7,
            ..RunOptions::default()
        };
        let report = run(source, sink, options).await;

        let got = got.lock().unwrap();
        assert_eq!(
            got.len(),
            7,
            "every record reaches the sink, events included"
        );
        let fqns: Vec<_> = got
            .iter()
            .filter_map(|r| match r {
                Record::Entity { fqn, .. } => Some(fqn.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(fqns, ["svc.db.sch.a", "svc.db.sch.b", "svc.db.sch.c"]);
        assert!(closed.load(Ordering::SeqCst));
        assert!(asked.lock().unwrap().iter().all(|&n| n == 7));

        let src = &report.steps[0];
        assert_eq!(src.name, "glue");
        assert_eq!(
            (src.records, src.warnings, src.errors, src.filtered),
            (3, 1, 1, 1)
        );
        assert_eq!(src.failures[0].stack_trace.as_deref(), Some("trace"));
        assert_eq!(report.steps[1].records, 7);
        assert!(report.stopped.is_none());
        // 3 ok, 1 error: 75 % and 100 %.
        assert_eq!(report.success_pct, 87.5);
        assert_eq!(report.status, RunStatus::Failed);
    }

    #[tokio::test]
    async fn a_bad_line_is_a_failure_and_the_rest_goes_on() {
        let batch = format!(
            "{}\n{{\"record\":\"hologram\"}}\nnot json\n{}\n",
            table("a").to_line(),
            table("b").to_line()
        );
        let (sink, got, _) = collect(None);
        let report = run(Scripted::new(vec![Ok(batch)]), sink, RunOptions::default()).await;
        assert_eq!(got.lock().unwrap().len(), 2);
        assert_eq!(report.steps[0].records, 2);
        assert_eq!(report.steps[0].errors, 2);
        assert!(report.steps[0].failures[0].error.contains("hologram"));
        assert!(report.stopped.is_none());
    }

    #[tokio::test]
    async fn a_source_error_mid_stream_stops_the_run_but_the_sink_closes() {
        let source = Scripted::new(vec![
            Ok(encode_batch(&[table("a"), table("b")])),
            Err(SourceFailure {
                kind: StopKind::Connection,
                message: "GetTables: throttled too long".into(),
            }),
            Ok(encode_batch(&[table("never")])),
        ]);
        let (sink, got, closed) = collect(None);
        let report = run(source, sink, RunOptions::default()).await;
        assert_eq!(got.lock().unwrap().len(), 2, "what was produced lands");
        assert!(closed.load(Ordering::SeqCst));
        let stop = report.stopped.as_ref().expect("stopped");
        assert_eq!(
            (stop.step.as_str(), stop.kind),
            ("glue", StopKind::Connection)
        );
        assert_eq!(report.status, RunStatus::Failed);
        assert_eq!(report.steps[0].errors, 1);
    }

    #[tokio::test]
    async fn a_failing_sink_stops_the_source() {
        let batches = (0..50)
            .map(|i| Ok(encode_batch(&[table(&format!("t{i}"))])))
            .collect();
        let source = Scripted::new(batches);
        let cancelled = source.cancelled.clone();
        let (sink, got, _) = collect(Some(3));
        let options = RunOptions {
            channel_batches: 1,
            ..RunOptions::default()
        };
        let report = run(source, sink, options).await;
        assert_eq!(got.lock().unwrap().len(), 3);
        assert!(
            cancelled.load(Ordering::SeqCst),
            "the source was told to stop"
        );
        let stop = report.stopped.unwrap();
        assert_eq!(
            (stop.step.as_str(), stop.kind),
            ("collect", StopKind::Connection)
        );
        assert!(stop.message.contains("refused"));
    }

    #[tokio::test]
    async fn interruption_cancels_the_source_and_reports() {
        let cancel = CancelToken::new();
        let batches = (0..20)
            .map(|i| Ok(encode_batch(&[table(&format!("t{i}"))])))
            .collect();
        let mut source = Scripted::new(batches);
        source.cancel_at = Some((2, cancel.clone()));
        let cancelled = source.cancelled.clone();
        let (sink, got, closed) = collect(None);
        let options = RunOptions {
            cancel,
            ..RunOptions::default()
        };
        let report = run(source, sink, options).await;
        assert!(cancelled.load(Ordering::SeqCst));
        assert!(closed.load(Ordering::SeqCst));
        assert_eq!(
            got.lock().unwrap().len(),
            3,
            "batches pulled before the stop are written"
        );
        assert_eq!(report.stopped.unwrap().kind, StopKind::Interrupted);
    }

    #[tokio::test]
    async fn progress_sees_every_written_record() {
        struct Count(std::sync::atomic::AtomicU64);
        impl Progress for Count {
            fn source_progress(&self, _: &str, _: u64, _: Option<u64>) {}
            fn records(&self, n: u64) {
                self.0.store(n, Ordering::SeqCst);
            }
        }
        let progress = Arc::new(Count(std::sync::atomic::AtomicU64::new(0)));
        let (sink, _, _) = collect(None);
        let options = RunOptions {
            progress: progress.clone(),
            ..RunOptions::default()
        };
        run(
            Scripted::new(vec![Ok(encode_batch(&[table("a"), table("b")]))]),
            sink,
            options,
        )
        .await;
        assert_eq!(progress.0.load(Ordering::SeqCst), 2);
    }
}

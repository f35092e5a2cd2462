//! Running a connector: the plugin's runtime, connection tests and sources.
//!
//! Both the exported plugin functions and the test kit go through here, so a
//! connector tested with the kit runs the same code as when loaded by omctl.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use connector_abi::INTERFACE_VERSION;
use connector_abi::wire::{BoundaryError, ErrorKind, Manifest, RunOptions, TestConnectionReport};
use omctl_record::{Record, encode_batch};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Dispatch;
use tracing::instrument::WithSubscriber;

use crate::context::{CancelToken, HostSink};
use crate::log_bridge::{dispatch_for, level_filter};
use crate::panic::CatchPanic;
use crate::{Connector, ConnectorError, Context, Emitter, SourceConfig};

/// Records the connector may have sent that the host has not taken yet.
const BUFFERED_RECORDS: usize = 1024;
/// How often a session asks the host whether it wants to stop.
const CANCEL_POLL: Duration = Duration::from_millis(100);
/// Worker threads of the plugin's runtime: a connector mostly waits on I/O.
const WORKER_THREADS: usize = 2;
/// Stack of each worker. Tokio's default (2 MiB) is too small for some generated
/// deserializers in debug builds (the AWS SDK's Glue job parser needs ~2.7 MiB);
/// unused stack costs only address space.
const WORKER_STACK: usize = 16 * 1024 * 1024;

/// The runtime of this copy of the SDK (one per plugin library), made on first use.
pub(crate) fn runtime() -> Result<&'static Runtime, BoundaryError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_stack_size(WORKER_STACK)
                .thread_name("omctl-connector")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| {
            BoundaryError::new(
                ErrorKind::Internal,
                format!("cannot start the connector's runtime: {e}"),
            )
        })
}

/// The connector's manifest, stamped with the interface version it is built with.
pub(crate) fn manifest<C: Connector>(connector: &C) -> Result<Manifest, BoundaryError> {
    let mut manifest = crate::panic::catch("manifest", || connector.manifest())?;
    manifest.abi_version = INTERFACE_VERSION.to_owned();
    Ok(manifest)
}

fn boundary(error: ConnectorError) -> BoundaryError {
    error
        .into_boundary()
        .unwrap_or_else(|| BoundaryError::new(ErrorKind::Internal, "cancelled by the host"))
}

/// Sets the session's cancel token when the host says it wants to stop, until
/// `done` is set.
async fn watch_host(host: Arc<dyn HostSink>, cancel: CancelToken, done: CancelToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(CANCEL_POLL) => {
                if host.is_cancelled() {
                    cancel.cancel();
                    return;
                }
            }
            () = done.cancelled() => return,
            () = cancel.cancelled() => return,
        }
    }
}

/// What each call from the host sets up: a cancel token that follows the host's
/// cancelled flag (until `done` is set), the connector's context, and the
/// dispatcher that sends its log events to the host.
struct Call {
    cancel: CancelToken,
    done: CancelToken,
    ctx: Context,
    dispatch: Dispatch,
}

impl Call {
    fn start(rt: &Runtime, host: Arc<dyn HostSink>, run: &RunOptions) -> Call {
        let cancel = CancelToken::default();
        let done = CancelToken::default();
        let ctx = Context::new(host.clone(), cancel.clone(), run.clone());
        let filter = level_filter(run.log_level.as_deref());
        crate::log_bridge::set_fallback_level(filter);
        let dispatch = dispatch_for(host.clone(), filter);
        rt.spawn(watch_host(host, cancel.clone(), done.clone()));
        Call {
            cancel,
            done,
            ctx,
            dispatch,
        }
    }
}

pub(crate) fn test_connection<C: Connector>(
    connector: Arc<C>,
    config_json: &str,
    host: Arc<dyn HostSink>,
) -> Result<TestConnectionReport, BoundaryError> {
    let rt = runtime()?;
    let config = SourceConfig::from_boundary_json(config_json).map_err(boundary)?;
    let call = Call::start(rt, host, config.run_options());
    let checks = async { connector.test_connection(&config, &call.ctx).await }
        .with_subscriber(call.dispatch.clone());
    let result = rt.block_on(CatchPanic::new("test_connection", checks));
    call.done.cancel();
    result?.map_err(boundary)
}

/// A running source: the connector's `run` as a task feeding a bounded channel.
pub(crate) struct Session {
    state: Mutex<State>,
    cancel: CancelToken,
    /// Set when the session is dropped; stops the host watcher.
    done: CancelToken,
}

struct State {
    rx: mpsc::Receiver<Record>,
    task: Option<JoinHandle<Result<(), BoundaryError>>>,
    /// How the run ended, once known; reported after the buffer is drained.
    end: Option<Result<(), BoundaryError>>,
    finished: bool,
}

/// What woke a waiting `pull`.
enum Wake {
    Record(Record),
    Closed,
    Ended(Result<(), BoundaryError>),
    Cancelled,
}

fn task_result(
    joined: Result<Result<(), BoundaryError>, tokio::task::JoinError>,
) -> Result<(), BoundaryError> {
    match joined {
        Ok(result) => result,
        // Aborted by us after a cancel.
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => Err(BoundaryError::new(
            ErrorKind::Internal,
            format!("the connector's task failed: {e}"),
        )),
    }
}

async fn join(
    task: &mut Option<JoinHandle<Result<(), BoundaryError>>>,
) -> Result<(), BoundaryError> {
    match task.as_mut() {
        Some(handle) => task_result(handle.await),
        None => Ok(()),
    }
}

impl Session {
    pub(crate) fn open<C: Connector>(
        connector: Arc<C>,
        config_json: &str,
        host: Arc<dyn HostSink>,
    ) -> Result<Session, BoundaryError> {
        let rt = runtime()?;
        let config = SourceConfig::from_boundary_json(config_json).map_err(boundary)?;
        crate::panic::catch("open", || connector.validate(&config))?.map_err(boundary)?;

        let Call {
            cancel,
            done,
            ctx,
            dispatch,
        } = Call::start(rt, host, config.run_options());
        let (tx, rx) = mpsc::channel(BUFFERED_RECORDS);
        let emitter = Emitter::new(tx, ctx);

        let run = async move { connector.run(config, emitter).await }.with_subscriber(dispatch);
        let task = rt.spawn(async move {
            match CatchPanic::new("run", run).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => e.into_boundary().map_or(Ok(()), Err),
                Err(panic) => Err(panic),
            }
        });
        Ok(Session {
            state: Mutex::new(State {
                rx,
                task: Some(task),
                end: None,
                finished: false,
            }),
            cancel,
            done,
        })
    }

    /// Up to `max` records as NDJSON; blocks until one is ready. `None` at the end.
    pub(crate) fn pull(&mut self, max: u32) -> Result<Option<String>, BoundaryError> {
        let rt = runtime()?;
        let cancel = self.cancel.clone();
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if state.finished {
            return Ok(None);
        }
        let max = max.max(1) as usize;
        let mut batch = Vec::with_capacity(max.min(BUFFERED_RECORDS));

        if state.end.is_none() {
            let State { rx, task, .. } = &mut *state;
            let wake = rt.block_on(async {
                tokio::select! {
                    biased;
                    r = rx.recv() => r.map_or(Wake::Closed, Wake::Record),
                    end = join(task) => Wake::Ended(end),
                    () = cancel.cancelled() => Wake::Cancelled,
                }
            });
            match wake {
                Wake::Record(r) => batch.push(r),
                Wake::Ended(end) => {
                    state.task = None;
                    state.end = Some(end);
                }
                Wake::Closed => {
                    // Every emitter is gone; the run is about to return.
                    let end = rt.block_on(async {
                        tokio::select! {
                            end = join(&mut state.task) => end,
                            () = cancel.cancelled() => Ok(()),
                        }
                    });
                    state.end = Some(end);
                }
                Wake::Cancelled => state.end = Some(Ok(())),
            }
        }
        if state.end.is_some()
            && let Some(task) = state.task.take()
        {
            task.abort();
        }

        while batch.len() < max {
            match state.rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            return Ok(Some(encode_batch(&batch)));
        }
        state.finished = true;
        state.end.take().unwrap_or(Ok(())).map(|()| None)
    }

    /// Asks the run to stop: emitters return `Stopped`, `pull` returns what is
    /// buffered and then `None`.
    pub(crate) fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.done.cancel();
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = state.task.take() {
            task.abort();
        }
    }
}

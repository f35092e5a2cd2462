//! What a connector can ask of the host while it works: cancellation and progress.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use connector_abi::LogLevel;
use connector_abi::wire::{Progress, RunOptions};
use tokio::sync::Notify;

/// The host side as the SDK sees it: the real host behind the ABI, or the test
/// kit's recorder.
pub(crate) trait HostSink: Send + Sync {
    fn log(&self, level: LogLevel, target: &str, message: &str);
    fn progress(&self, progress_json: &str);
    fn is_cancelled(&self) -> bool;
}

impl HostSink for connector_abi::HostBox {
    fn log(&self, level: LogLevel, target: &str, message: &str) {
        connector_abi::Host::log(self, level, target.into(), message.into());
    }

    fn progress(&self, progress_json: &str) {
        connector_abi::Host::progress(self, progress_json.into());
    }

    fn is_cancelled(&self) -> bool {
        connector_abi::Host::is_cancelled(self)
    }
}

/// A flag that is set once and can be awaited.
#[derive(Clone, Default)]
pub(crate) struct CancelToken(Arc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    set: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    pub(crate) fn cancel(&self) {
        if !self.0.set.swap(true, Ordering::SeqCst) {
            self.0.notify.notify_waiters();
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Register before checking the flag, or a cancel between the two is lost.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// The connector's view of the run: cancellation, progress, run options.
/// Cheap to clone.
#[derive(Clone)]
pub struct Context {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    host: Arc<dyn HostSink>,
    cancel: CancelToken,
    run: RunOptions,
}

impl Context {
    pub(crate) fn new(host: Arc<dyn HostSink>, cancel: CancelToken, run: RunOptions) -> Self {
        Context {
            inner: Arc::new(ContextInner { host, cancel, run }),
        }
    }

    /// Whether the host asked the source to stop. Long loops that emit nothing
    /// should check it; [`crate::Emitter::emit`] checks it already.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when the host asks the source to stop; use it in `select!` around
    /// long calls.
    pub async fn cancelled(&self) {
        self.inner.cancel.cancelled().await
    }

    /// Tells the host how far the source is.
    pub fn progress(&self, progress: &Progress) {
        let json = serde_json::to_string(progress).expect("progress always serializes");
        self.inner.host.progress(&json);
    }

    /// Shorthand for [`Context::progress`] with a message and counters.
    pub fn report_progress(&self, message: impl Into<String>, done: u64, total: Option<u64>) {
        self.progress(&Progress {
            message: Some(message.into()),
            done: Some(done),
            total,
        });
    }

    /// What the host decided for this run.
    pub fn run_options(&self) -> &RunOptions {
        &self.inner.run
    }

    pub(crate) fn cancel_token(&self) -> &CancelToken {
        &self.inner.cancel
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("cancelled", &self.is_cancelled())
            .field("run", &self.inner.run)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn cancelled_wakes_a_waiter_and_returns_at_once_afterwards() {
        let token = CancelToken::default();
        let waiter = tokio::spawn({
            let token = token.clone();
            async move { token.cancelled().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished());
        token.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter woke")
            .unwrap();
        token.cancelled().await;
        assert!(token.is_cancelled());
    }
}

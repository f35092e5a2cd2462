//! Turning panics into errors.
//!
//! A panic must never unwind out of a plugin: through `extern "C"` it aborts the
//! host. Every entry point runs the connector's code under [`catch`] (or
//! [`CatchPanic`] for futures) and sends a `panic` error instead.
//!
//! The panic payload carries the message but not the location, so a panic hook
//! records the location of panics that happen inside such a guard, on the thread
//! that panicked. In a loaded plugin (see [`set_plugin_mode`]) the hook prints
//! nothing for those: the host reports the error. Anywhere else (the test kit in a
//! test binary) it passes every panic on to the previous hook as well.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::pin::Pin;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use connector_abi::wire::{BoundaryError, ErrorKind};

static HOOK: Once = Once::new();
static PLUGIN_MODE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// How many guards are active on this thread.
    static GUARDS: Cell<u32> = const { Cell::new(0) };
    /// Location of the last guarded panic on this thread.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks this copy of the SDK as living in a loaded plugin: guarded panics are not
/// printed, since the host reports them.
pub(crate) fn set_plugin_mode() {
    PLUGIN_MODE.store(true, Ordering::SeqCst);
}

fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let guarded = GUARDS.with(Cell::get) > 0;
            if guarded {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                LOCATION.with(|slot| *slot.borrow_mut() = location);
            }
            if !(guarded && PLUGIN_MODE.load(Ordering::SeqCst)) {
                previous(info);
            }
        }));
    });
}

struct Guard;

impl Guard {
    fn enter() -> Guard {
        install_hook();
        GUARDS.with(|g| g.set(g.get() + 1));
        Guard
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        GUARDS.with(|g| g.set(g.get() - 1));
    }
}

/// Runs `f`, turning a panic into a `panic` error with message and location.
pub(crate) fn catch<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, BoundaryError> {
    let guard = Guard::enter();
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    drop(guard);
    result.map_err(|payload| panic_error(what, payload))
}

fn panic_error(what: &str, payload: Box<dyn Any + Send>) -> BoundaryError {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    };
    let mut error = BoundaryError::new(
        ErrorKind::Panic,
        format!("the connector panicked in {what}: {message}"),
    );
    error.location = LOCATION.with(|slot| slot.borrow_mut().take());
    error
}

/// A future that turns a panic while polling `F` into an error.
pub(crate) struct CatchPanic<F> {
    inner: Pin<Box<F>>,
    what: &'static str,
}

impl<F: Future> CatchPanic<F> {
    pub(crate) fn new(what: &'static str, inner: F) -> Self {
        CatchPanic {
            inner: Box::pin(inner),
            what,
        }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, BoundaryError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let what = self.what;
        let inner = self.inner.as_mut();
        // After a panic the future is Ready and never polled again.
        match catch(what, move || inner.poll(cx)) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_error_with_message_and_location() {
        let err = catch("open", || -> u32 { panic!("bad {}", 42) }).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Panic);
        assert_eq!(err.message, "the connector panicked in open: bad 42");
        let location = err.location.expect("location recorded");
        assert!(location.starts_with(file!()), "{location}");
    }

    #[test]
    fn no_panic_passes_the_value() {
        assert_eq!(catch("x", || 7).unwrap(), 7);
    }

    #[tokio::test]
    async fn future_panic_becomes_error() {
        let err = CatchPanic::new("run", async {
            tokio::task::yield_now().await;
            let v: Vec<u8> = Vec::new();
            v[3]
        })
        .await
        .unwrap_err();
        assert!(
            err.message.contains("index out of bounds"),
            "{}",
            err.message
        );
        assert!(err.location.is_some());
    }
}

//! Sends the connector's `tracing` events to the host's log callback.
//!
//! A plugin has its own copy of tracing's globals, so a subscriber installed by
//! the host never sees the plugin's events. Each call into the plugin runs its
//! futures under a dispatcher that forwards to that call's host. Tasks the
//! connector spawns itself fall back to the global dispatcher, which a loaded
//! plugin sets once and which forwards to the host of the latest call.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Once, RwLock};

use connector_abi::LogLevel;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};

use crate::context::HostSink;

/// The host of the latest call, for events outside a call's dispatcher.
static LATEST_HOST: RwLock<Option<Arc<dyn HostSink>>> = RwLock::new(None);
static GLOBAL: Once = Once::new();
/// The most verbose level the global dispatcher forwards: the `logLevel` of the
/// latest run (`LogLevel` numbering; INFO until a run says otherwise). Without it,
/// every trace event of the libraries a connector uses (the AWS SDK's, say) would be
/// built and formatted in the connector's own tasks, only to be dropped by the host.
static FALLBACK_LEVEL: AtomicU8 = AtomicU8::new(LogLevel::INFO.0);

/// Sets the level of events outside a call's dispatcher to `filter`.
pub(crate) fn set_fallback_level(filter: LevelFilter) {
    // `LevelFilter::OFF` has no level: 0 is below every `LogLevel`.
    let level = filter.into_level().map_or(0, |l| log_level(&l).0);
    // No interest-cache rebuild: the fallback layer answers `Interest::sometimes()`
    // for every callsite, so `enabled` reads this level at each event.
    FALLBACK_LEVEL.store(level, Ordering::Relaxed);
}

fn log_level(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::ERROR,
        Level::WARN => LogLevel::WARN,
        Level::INFO => LogLevel::INFO,
        Level::DEBUG => LogLevel::DEBUG,
        Level::TRACE => LogLevel::TRACE,
    }
}

/// The level filter for a run's `logLevel` (`info` when absent or unknown).
pub(crate) fn level_filter(log_level: Option<&str>) -> LevelFilter {
    match log_level.and_then(LogLevel::parse) {
        Some(LogLevel::ERROR) => LevelFilter::ERROR,
        Some(LogLevel::WARN) => LevelFilter::WARN,
        Some(LogLevel::DEBUG) => LevelFilter::DEBUG,
        Some(LogLevel::TRACE) => LevelFilter::TRACE,
        _ => LevelFilter::INFO,
    }
}

/// A dispatcher that forwards events at or below `filter` to `host`.
pub(crate) fn dispatch_for(host: Arc<dyn HostSink>, filter: LevelFilter) -> Dispatch {
    let subscriber =
        tracing_subscriber::registry().with(ToHost { host: Some(host) }.with_filter(filter));
    Dispatch::new(subscriber)
}

/// Makes `host` the target of events outside any call's dispatcher and, the first
/// time, installs the global dispatcher that forwards there. Only for a loaded
/// plugin: in a test binary the global dispatcher belongs to the test.
pub(crate) fn set_latest_host(host: Arc<dyn HostSink>) {
    *LATEST_HOST.write().unwrap_or_else(|e| e.into_inner()) = Some(host);
    GLOBAL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(ToHost { host: None });
        // Fails only when the connector installed its own; then it keeps it.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// The layer: `host: None` means "the latest host".
struct ToHost {
    host: Option<Arc<dyn HostSink>>,
}

impl<S: Subscriber> Layer<S> for ToHost {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        match self.host {
            // The fallback's level changes from run to run: ask per event.
            None => Interest::sometimes(),
            // A call's dispatcher filters by its own level (see `dispatch_for`).
            Some(_) => Interest::always(),
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: LayerContext<'_, S>) -> bool {
        self.host.is_some()
            || log_level(metadata.level()).0 <= FALLBACK_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let meta = event.metadata();
        let level = log_level(meta.level());
        let mut text = Text::default();
        event.record(&mut text);
        let message = text.finish();
        match &self.host {
            Some(host) => host.log(level, meta.target(), &message),
            None => {
                let latest = LATEST_HOST
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                if let Some(host) = latest {
                    host.log(level, meta.target(), &message);
                }
            }
        }
    }
}

/// The event's message followed by its other fields as `key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else if self.message.is_empty() {
            self.fields.trim_start().to_owned()
        } else {
            self.message + &self.fields
        }
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Lines(Mutex<Vec<(LogLevel, String, String)>>);

    impl HostSink for Lines {
        fn log(&self, level: LogLevel, target: &str, message: &str) {
            self.0
                .lock()
                .unwrap()
                .push((level, target.into(), message.into()));
        }
        fn progress(&self, _: &str) {}
        fn is_cancelled(&self) -> bool {
            false
        }
    }

    #[test]
    fn events_reach_the_host_with_fields_and_respect_the_level() {
        let lines = Arc::new(Lines::default());
        let dispatch = dispatch_for(lines.clone(), level_filter(Some("info")));
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(table = "orders", rows = 3, "read table");
            tracing::debug!("too verbose");
            tracing::warn!(path = "x.json");
        });
        let got = lines.0.lock().unwrap().clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, LogLevel::INFO);
        assert_eq!(got[0].1, module_path!());
        assert_eq!(got[0].2, r#"read table table="orders" rows=3"#);
        assert_eq!(
            got[1],
            (
                LogLevel::WARN,
                module_path!().to_owned(),
                r#"path="x.json""#.to_owned()
            )
        );
    }

    #[test]
    fn the_fallback_forwards_up_to_the_latest_runs_level() {
        // The fallback serves tasks a connector spawns itself, outside any call.
        let lines = Arc::new(Lines::default());
        *LATEST_HOST.write().unwrap() = Some(lines.clone());
        let fallback = Dispatch::new(tracing_subscriber::registry().with(ToHost { host: None }));
        tracing::dispatcher::with_default(&fallback, || {
            set_fallback_level(LevelFilter::WARN);
            tracing::info!("dropped: the run logs at WARN");
            tracing::warn!("kept");
            set_fallback_level(LevelFilter::DEBUG);
            tracing::debug!("kept: the next run logs at DEBUG");
            tracing::trace!("dropped");
        });
        set_fallback_level(LevelFilter::INFO);
        *LATEST_HOST.write().unwrap() = None;
        let got: Vec<String> = lines
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.2.clone())
            .collect();
        assert_eq!(got, ["kept", "kept: the next run logs at DEBUG"]);
    }

    #[test]
    fn unknown_level_means_info() {
        assert_eq!(level_filter(Some("loud")), LevelFilter::INFO);
        assert_eq!(level_filter(None), LevelFilter::INFO);
        assert_eq!(level_filter(Some("DEBUG")), LevelFilter::DEBUG);
    }
}

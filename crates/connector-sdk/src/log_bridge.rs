//! Sends the connector's `tracing` events to the host's log callback.
//!
//! A plugin has its own copy of tracing's globals, so a subscriber installed by
//! the host never sees the plugin's events. Each call into the plugin runs its
//! futures under a dispatcher that forwards to that call's host. Tasks the
//! connector spawns itself fall back to the global dispatcher, which a loaded
//! plugin sets once and which forwards to the host of the latest call.

use std::fmt::Write as _;
use std::sync::{Arc, Once, RwLock};

use connector_abi::LogLevel;
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};

use crate::context::HostSink;

/// The host of the latest call, for events outside a call's dispatcher.
static LATEST_HOST: RwLock<Option<Arc<dyn HostSink>>> = RwLock::new(None);
static GLOBAL: Once = Once::new();

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
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let meta = event.metadata();
        let level = match *meta.level() {
            Level::ERROR => LogLevel::ERROR,
            Level::WARN => LogLevel::WARN,
            Level::INFO => LogLevel::INFO,
            Level::DEBUG => LogLevel::DEBUG,
            Level::TRACE => LogLevel::TRACE,
        };
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
    fn unknown_level_means_info() {
        assert_eq!(level_filter(Some("loud")), LevelFilter::INFO);
        assert_eq!(level_filter(None), LevelFilter::INFO);
        assert_eq!(level_filter(Some("DEBUG")), LevelFilter::DEBUG);
    }
}

//! What the host offers a running plugin ([`crate::plugin::HostCallbacks`]): its log
//! lines go to the host's `tracing` subscriber under the target `plugin::<name>`
//! (so `RUST_LOG=plugin::glue-database=debug` selects them), its progress to the
//! run's [`Progress`], and it can ask whether the run was stopped.
//!
//! A plugin's own `tracing` globals are a separate copy that prints nothing, which
//! is why its logs come back through here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::callsite::{Callsite, Identifier};
use tracing::field::FieldSet;
use tracing::metadata::Kind;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};

use crate::plugin::{HostCallbacks, LogLevel, Progress as PluginProgress};
use crate::workflow::{Progress, StopSignal};

/// The runtime's answer to a plugin's host calls.
pub struct RuntimeHost {
    stop: StopSignal,
    progress: Arc<dyn Progress>,
}

impl RuntimeHost {
    pub fn new(stop: StopSignal, progress: Arc<dyn Progress>) -> Self {
        RuntimeHost { stop, progress }
    }
}

impl HostCallbacks for RuntimeHost {
    fn log(&self, plugin: &str, level: LogLevel, _target: &str, message: &str) {
        emit_plugin_log(plugin, tracing_level(level), message);
    }

    fn progress(&self, _plugin: &str, progress: &PluginProgress) {
        self.progress.source_progress(
            progress.message.as_deref().unwrap_or(""),
            progress.done.unwrap_or(0),
            progress.total,
        );
    }

    fn is_cancelled(&self) -> bool {
        self.stop.is_stopped()
    }
}

/// The plugin level as a `tracing` level; levels a newer interface adds read as
/// trace.
pub fn tracing_level(level: LogLevel) -> Level {
    match level {
        LogLevel::ERROR => Level::ERROR,
        LogLevel::WARN => Level::WARN,
        LogLevel::INFO => Level::INFO,
        LogLevel::DEBUG => Level::DEBUG,
        _ => Level::TRACE,
    }
}

/// A callsite made at run time, one per (plugin, level): `tracing`'s macros need
/// a target known at compile time, and plugin names are not.
struct PluginCallsite {
    metadata: OnceLock<Metadata<'static>>,
}

impl Callsite for PluginCallsite {
    fn set_interest(&self, _: Interest) {
        // Interest is asked for on every event (see `emit_plugin_log`).
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.metadata
            .get()
            .expect("metadata is set when the callsite is made")
    }
}

type CallsiteKey = (String, Level);

/// The metadata of plugin `plugin` at `level`, made once and kept for the life of
/// the process (a handful per plugin).
fn plugin_metadata(plugin: &str, level: Level) -> &'static Metadata<'static> {
    static CALLSITES: OnceLock<Mutex<HashMap<CallsiteKey, &'static Metadata<'static>>>> =
        OnceLock::new();
    let mut callsites = CALLSITES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(meta) = callsites.get(&(plugin.to_string(), level)) {
        return meta;
    }
    let target: &'static str = Box::leak(format!("plugin::{plugin}").into_boxed_str());
    let callsite: &'static PluginCallsite = Box::leak(Box::new(PluginCallsite {
        metadata: OnceLock::new(),
    }));
    let fields = FieldSet::new(&["message"], Identifier(callsite));
    let _ = callsite.metadata.set(Metadata::new(
        "plugin log",
        target,
        level,
        None,
        None,
        None,
        fields,
        Kind::EVENT,
    ));
    tracing::callsite::register(callsite);
    let meta = callsite.metadata.get().expect("just set");
    callsites.insert((plugin.to_string(), level), meta);
    meta
}

/// Sends one plugin log line to the current subscriber.
pub fn emit_plugin_log(plugin: &str, level: Level, message: &str) {
    let meta = plugin_metadata(plugin, level);
    tracing::dispatcher::get_default(|dispatch| {
        if !dispatch.enabled(meta) {
            return;
        }
        let Some(field) = meta.fields().field("message") else {
            return;
        };
        let message = format_args!("{message}");
        let values = [(&field, Some(&message as &dyn tracing::field::Value))];
        dispatch.event(&tracing::Event::new(
            meta,
            &meta.fields().value_set(&values),
        ));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use tracing::field::{Field, Visit};
    use tracing::span;

    /// A subscriber that keeps `target level message` lines, enabled from INFO.
    #[derive(Clone, Default)]
    struct Keep(Arc<Mutex<Vec<String>>>);

    struct MessageOf<'a>(&'a mut String);
    impl Visit for MessageOf<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                let _ = write!(self.0, "{value:?}");
            }
        }
    }

    impl tracing::Subscriber for Keep {
        fn enabled(&self, meta: &Metadata<'_>) -> bool {
            *meta.level() <= Level::INFO
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut message = String::new();
            event.record(&mut MessageOf(&mut message));
            let meta = event.metadata();
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {} {message}", meta.target(), meta.level()));
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    #[test]
    fn plugin_logs_reach_the_host_subscriber_under_the_plugin_target() {
        let keep = Keep::default();
        tracing::subscriber::with_default(keep.clone(), || {
            let host = RuntimeHost::new(
                StopSignal::new(crate::workflow::CancelToken::new()),
                Arc::new(crate::workflow::NoProgress),
            );
            host.log(
                "glue-database",
                LogLevel::INFO,
                "glue_database::tables",
                "read 3 tables",
            );
            host.log(
                "glue-database",
                LogLevel::DEBUG,
                "glue_database::tables",
                "hidden at info",
            );
            host.log("catalog", LogLevel::WARN, "catalog", "odd column");
            host.log(
                "glue-database",
                LogLevel::INFO,
                "glue_database::tables",
                "again",
            );
        });
        assert_eq!(
            *keep.0.lock().unwrap(),
            [
                "plugin::glue-database INFO read 3 tables",
                "plugin::catalog WARN odd column",
                "plugin::glue-database INFO again",
            ]
        );
    }

    #[test]
    fn cancellation_and_progress_are_passed_on() {
        struct Last(Mutex<Option<(String, u64, Option<u64>)>>);
        impl Progress for Last {
            fn source_progress(&self, message: &str, done: u64, total: Option<u64>) {
                *self.0.lock().unwrap() = Some((message.to_string(), done, total));
            }
            fn records(&self, _: u64) {}
        }
        let cancel = crate::workflow::CancelToken::new();
        let last = Arc::new(Last(Mutex::new(None)));
        let host = RuntimeHost::new(StopSignal::new(cancel.clone()), last.clone());
        assert!(!host.is_cancelled());
        cancel.cancel();
        assert!(host.is_cancelled());
        host.progress(
            "glue",
            &PluginProgress {
                message: Some("schemas".into()),
                done: Some(2),
                total: Some(5),
            },
        );
        assert_eq!(
            *last.0.lock().unwrap(),
            Some(("schemas".to_string(), 2, Some(5)))
        );
    }
}

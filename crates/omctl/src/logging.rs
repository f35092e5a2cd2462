//! Logs go to stderr through `tracing`, plugin logs included (target
//! `plugin::<name>`). The level, first setting wins:
//!
//! 1. `RUST_LOG` (full filter syntax, e.g. `info,plugin::glue-database=debug`);
//! 2. `--debug`;
//! 3. the workflow's `workflowConfig.loggerLevel` (`DEBUG`, `INFO`, `WARN`, `ERROR`);
//! 4. `info`.
//!
//! The level is only known once the workflow file is read, so the filter is
//! reloadable. While a progress bar is drawn, log lines are printed above it.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use om_spec::generated::metadata_ingestion::workflow::LogLevels;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt;

/// The progress bar being drawn, if any; log lines suspend it while they print.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Shows `bar` until [`clear_bar`].
pub fn set_bar(bar: ProgressBar) {
    *ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
}

/// Removes the bar from the screen.
pub fn clear_bar() {
    if let Some(bar) = ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()).take() {
        bar.finish_and_clear();
    }
}

/// Runs `f` with the bar hidden, for anything printed to stderr while it is drawn.
pub fn above_bar<R>(f: impl FnOnce() -> R) -> R {
    let bar = ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// stderr, printing above the progress bar.
#[derive(Clone, Copy)]
struct StderrAboveBar;

impl Write for StderrAboveBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The fmt layer writes one whole line per call.
        above_bar(|| std::io::stderr().lock().write_all(buf)).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrAboveBar {
    type Writer = StderrAboveBar;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// The installed logger and how its level was chosen.
pub struct Logging {
    handle: reload::Handle<EnvFilter, tracing_subscriber::Registry>,
    /// `RUST_LOG` or `--debug` chose the level; the workflow file does not change it.
    fixed: bool,
}

/// Third-party crates stay at `info` even in debug runs: their debug output is
/// about sockets and TLS records.
const QUIET_DEPENDENCIES: &str =
    "hyper=info,hyper_util=info,h2=info,rustls=info,reqwest=info,tower=info,abi_stable=info";

fn filter_for(level: &str) -> EnvFilter {
    EnvFilter::new(format!("{level},{QUIET_DEPENDENCIES}"))
}

impl Logging {
    /// Installs the global subscriber.
    pub fn init(debug: bool) -> Logging {
        let rust_log = std::env::var("RUST_LOG")
            .ok()
            .filter(|v| !v.trim().is_empty());
        let (filter, fixed) = match rust_log {
            Some(directives) => (EnvFilter::new(directives), true),
            None if debug => (filter_for("debug"), true),
            None => (filter_for("info"), false),
        };
        let (filter, handle) = reload::Layer::new(filter);
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(StderrAboveBar)
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(true);
        // Ignore a second init (tests that call the CLI code twice in one process).
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt)
            .try_init();
        Logging { handle, fixed }
    }

    /// Applies `workflowConfig.loggerLevel` unless `RUST_LOG` or `--debug` decided.
    pub fn apply_workflow_level(&self, level: LogLevels) {
        if self.fixed {
            return;
        }
        let name = match level {
            LogLevels::Debug => "debug",
            LogLevels::Info => "info",
            LogLevels::Warn => "warn",
            LogLevels::Error => "error",
        };
        let _ = self.handle.reload(filter_for(name));
    }

    /// The most verbose level anything is logged at, for plugins (they need not
    /// send lines above it).
    pub fn max_level(&self) -> String {
        match LevelFilter::current().into_level() {
            Some(level) => level.as_str().to_ascii_lowercase(),
            None => "error".to_string(),
        }
    }
}

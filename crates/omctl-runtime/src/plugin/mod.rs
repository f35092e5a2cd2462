//! Connector plugins: finding, loading and calling them.
//!
//! [`PluginSet::discover`] finds plugin libraries (see [`Discovery`] for where it
//! looks), loads each one with its own header and version check, and reads its
//! manifest. [`PluginSet::for_source_type`] picks the plugin for a workflow;
//! [`Plugin::test_connection`] and [`Plugin::open`] call it with the config JSON
//! (`connector_abi::wire::PluginConfig`), and [`SourceSession::next_batch`] pulls
//! its records.
//!
//! Every call into a plugin blocks (the plugin runs its own async runtime inside
//! the call): call them from a blocking thread (`spawn_blocking`, a dedicated
//! thread), never from an async task. Libraries stay loaded until the process
//! ends.

mod discovery;
mod error;
mod set;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr};
use connector_abi::{Host, Host_TO, HostBox, PluginMod_Ref, SourceBox};
use serde_json::Value;

pub use connector_abi::LogLevel;
pub use connector_abi::wire::{
    BoundaryError, ErrorKind, Manifest, PluginConfig, Progress, RunOptions, TestConnectionReport,
    TestStep,
};
pub use discovery::{Discovery, PLUGIN_PATH_ENV, is_library_file};
pub use error::PluginError;
pub use set::{Diagnostic, DiagnosticLevel, PluginSet};

/// What the host offers a plugin during a call: implemented by the runtime.
/// Called from the plugin's threads; must not block for long and must not panic.
pub trait HostCallbacks: Send + Sync {
    /// A log line of plugin `plugin` (its manifest name); `target` is the module
    /// path inside the plugin.
    fn log(&self, plugin: &str, level: LogLevel, target: &str, message: &str);

    /// The plugin's progress.
    fn progress(&self, plugin: &str, progress: &Progress);

    /// Whether the plugin should stop (polled by the plugin about every 100 ms).
    fn is_cancelled(&self) -> bool;
}

/// Passes the ABI's host calls to the runtime's [`HostCallbacks`].
struct HostAdapter {
    plugin: String,
    callbacks: Arc<dyn HostCallbacks>,
}

impl Host for HostAdapter {
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
        // A panic here would cross back into the plugin and abort.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.callbacks
                .log(&self.plugin, level, target.as_str(), message.as_str())
        }));
    }

    fn progress(&self, progress: RStr<'_>) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || match serde_json::from_str::<Progress>(progress.as_str()) {
                Ok(p) => self.callbacks.progress(&self.plugin, &p),
                Err(e) => {
                    tracing::debug!(plugin = %self.plugin, "unreadable progress from the plugin: {e}")
                }
            },
        ));
    }

    fn is_cancelled(&self) -> bool {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.callbacks.is_cancelled()
        }))
        .unwrap_or(true)
    }
}

/// A loaded plugin library and its manifest.
#[derive(Clone)]
pub struct Plugin {
    path: PathBuf,
    manifest: Manifest,
    module: PluginMod_Ref,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("source_types", &self.manifest.source_types)
            .finish()
    }
}

impl Plugin {
    /// Loads one library: abi_stable's header, interface-version and layout
    /// checks, then the manifest.
    pub fn load(path: &Path) -> Result<Plugin, PluginError> {
        let header = abi_stable::library::lib_header_from_path(path)
            .map_err(|e| PluginError::from_library(path.to_owned(), e))?;
        let module = header
            .init_root_module::<PluginMod_Ref>()
            .map_err(|e| PluginError::from_library(path.to_owned(), e))?;
        let manifest = read_manifest(path, module)?;
        Ok(Plugin {
            path: path.to_owned(),
            manifest,
            module,
        })
    }

    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    fn host(&self, callbacks: Arc<dyn HostCallbacks>) -> HostBox {
        Host_TO::from_value(
            HostAdapter {
                plugin: self.manifest.name.clone(),
                callbacks,
            },
            TD_Opaque,
        )
    }

    fn call_error(&self, call: &'static str, error: &str) -> PluginError {
        PluginError::Call {
            plugin: self.manifest.name.clone(),
            call,
            error: BoundaryError::from_json(error),
        }
    }

    /// Runs the plugin's connection test. `config` is the config JSON
    /// ([`PluginConfig`]). Failed steps are in the report; `Err` means the test
    /// could not run. Blocks.
    pub fn test_connection(
        &self,
        config: &Value,
        callbacks: Arc<dyn HostCallbacks>,
    ) -> Result<TestConnectionReport, PluginError> {
        let config = config.to_string();
        match (self.module.test_connection())(config.as_str().into(), self.host(callbacks)) {
            RResult::ROk(json) => {
                serde_json::from_str(json.as_str()).map_err(|e| PluginError::BadAnswer {
                    plugin: self.manifest.name.clone(),
                    call: "test_connection",
                    reason: e.to_string(),
                })
            }
            RResult::RErr(e) => Err(self.call_error("test_connection", e.as_str())),
        }
    }

    /// Starts the plugin's source. `config` is the config JSON ([`PluginConfig`]).
    /// A configuration the connector rejects up front is an `Err` of kind
    /// `config`. Blocks briefly.
    pub fn open(
        &self,
        config: &Value,
        callbacks: Arc<dyn HostCallbacks>,
    ) -> Result<SourceSession, PluginError> {
        let config = config.to_string();
        match (self.module.open())(config.as_str().into(), self.host(callbacks)) {
            RResult::ROk(source) => Ok(SourceSession {
                plugin: self.manifest.name.clone(),
                source,
                finished: false,
            }),
            RResult::RErr(e) => Err(self.call_error("open", e.as_str())),
        }
    }
}

fn read_manifest(path: &Path, module: PluginMod_Ref) -> Result<Manifest, PluginError> {
    let bad = |reason: String| PluginError::BadManifest {
        path: path.to_owned(),
        reason,
    };
    let json = match (module.manifest())() {
        RResult::ROk(json) => json,
        RResult::RErr(e) => {
            let error = BoundaryError::from_json(e.as_str());
            return Err(if error.kind == ErrorKind::Panic {
                PluginError::LoadFailed {
                    path: path.to_owned(),
                    reason: error.to_string(),
                }
            } else {
                bad(error.to_string())
            });
        }
    };
    let manifest: Manifest =
        serde_json::from_str(json.as_str()).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    if manifest.name.trim().is_empty() {
        return Err(bad("the name is empty".into()));
    }
    if manifest.source_types.is_empty() || manifest.source_types.iter().any(|t| t.trim().is_empty())
    {
        return Err(bad(
            "it must name at least one source type, none empty".into()
        ));
    }
    Ok(manifest)
}

/// A running source of one plugin. Dropping it stops the source.
pub struct SourceSession {
    plugin: String,
    source: SourceBox,
    finished: bool,
}

impl std::fmt::Debug for SourceSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSession")
            .field("plugin", &self.plugin)
            .field("finished", &self.finished)
            .finish()
    }
}

impl SourceSession {
    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Up to `max` records as NDJSON (`omctl_record::decode_batch` reads it).
    /// Blocks until at least one record is ready. `Ok(None)` at the end, and on
    /// every call after the end or after an error.
    pub fn next_batch(&mut self, max: u32) -> Result<Option<String>, PluginError> {
        if self.finished {
            return Ok(None);
        }
        match self.source.next_batch(max) {
            RResult::ROk(batch) => {
                let batch = batch.into_option().map(|b| b.into_string());
                self.finished = batch.is_none();
                Ok(batch)
            }
            RResult::RErr(e) => {
                self.finished = true;
                Err(PluginError::Call {
                    plugin: self.plugin.clone(),
                    call: "next_batch",
                    error: BoundaryError::from_json(e.as_str()),
                })
            }
        }
    }

    /// Asks the source to stop: the next `next_batch` calls return what is
    /// buffered, then `None`.
    pub fn cancel(&self) {
        self.source.cancel();
    }
}

//! What can go wrong with a plugin, from finding it to reading its records.

use std::path::PathBuf;

use abi_stable::library::{LibraryError, RootModuleError};
use connector_abi::wire::{BoundaryError, ErrorKind};

/// A plugin could not be found, loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// A path given with `--plugin` does not exist.
    #[error("plugin path {} does not exist", path.display())]
    NotFound { path: PathBuf },

    /// A plugin directory (given with `--plugin`) cannot be listed.
    #[error("cannot list plugin directory {}: {source}", dir.display())]
    ListDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not a shared library this system can load (wrong format or
    /// architecture, a missing dependency).
    #[error("cannot load {} as a shared library: {reason}", path.display())]
    Unloadable { path: PathBuf, reason: String },

    /// The file is a shared library without an omctl root module.
    #[error(
        "{} is not an omctl plugin: it exports no abi_stable root module (build it with connector_sdk::export_connector!)",
        path.display()
    )]
    NotAPlugin { path: PathBuf },

    /// The plugin was built with an abi_stable that cannot talk to this one.
    #[error("{} was built with an incompatible abi_stable: {detail}", path.display())]
    AbiStableMismatch { path: PathBuf, detail: String },

    /// The plugin was built against another major version of the connector
    /// interface.
    #[error(
        "{} was built against connector interface {found}, but this omctl speaks {expected}: rebuild the plugin against connector-abi {expected_major}.x",
        path.display()
    )]
    VersionMismatch {
        path: PathBuf,
        expected: String,
        found: String,
        expected_major: u32,
    },

    /// The plugin's root module does not have the layout this omctl expects
    /// (same interface version, different types: a broken build).
    #[error("{} does not match this omctl's connector interface layout: {detail}", path.display())]
    LayoutMismatch { path: PathBuf, detail: String },

    /// The plugin's initialisation failed or panicked.
    #[error("plugin {} failed while loading: {reason}", path.display())]
    LoadFailed { path: PathBuf, reason: String },

    /// The plugin's manifest could not be read or says nothing usable.
    #[error("plugin {} has an unusable manifest: {reason}", path.display())]
    BadManifest { path: PathBuf, reason: String },

    /// No loaded plugin serves the workflow's `source.type`.
    #[error("{}", no_plugin_message(source_type, available, skipped))]
    NoPluginForSourceType {
        source_type: String,
        /// `type (plugin name)` of every loaded plugin.
        available: Vec<String>,
        /// Libraries that were found but could not be loaded, with the reason.
        skipped: Vec<String>,
    },

    /// Two plugins claim the same `source.type`.
    #[error(
        "source type `{source_type}` is served by two plugins: {} and {}; remove one or pass the one to use with --plugin",
        first.display(),
        second.display()
    )]
    DuplicateSourceType {
        source_type: String,
        first: PathBuf,
        second: PathBuf,
    },

    /// A call into the plugin returned an error (config, connection, panic...).
    #[error("plugin {plugin}: {call} failed: {error}")]
    Call {
        plugin: String,
        call: &'static str,
        error: BoundaryError,
    },

    /// A call into the plugin returned something that is not what the interface
    /// says.
    #[error("plugin {plugin}: {call} returned an unreadable answer: {reason}")]
    BadAnswer {
        plugin: String,
        call: &'static str,
        reason: String,
    },
}

fn no_plugin_message(source_type: &str, available: &[String], skipped: &[String]) -> String {
    let mut msg = format!("no plugin serves source type `{source_type}`");
    if available.is_empty() {
        msg.push_str(
            "; no plugin was found (see `omctl plugins list`, --plugin, OMCTL_PLUGIN_PATH)",
        );
    } else {
        msg.push_str(&format!("; available: {}", available.join(", ")));
    }
    if !skipped.is_empty() {
        msg.push_str(&format!("; not loaded: {}", skipped.join("; ")));
    }
    msg
}

impl PluginError {
    /// The error kind a plugin reported, for [`PluginError::Call`].
    pub fn call_kind(&self) -> Option<ErrorKind> {
        match self {
            PluginError::Call { error, .. } => Some(error.kind),
            _ => None,
        }
    }

    /// Whether the plugin library itself is at fault (cannot be loaded, breaks
    /// the interface, panicked), rather than the configuration or the source.
    pub fn is_plugin_fault(&self) -> bool {
        match self {
            PluginError::Call { error, .. } => {
                matches!(error.kind, ErrorKind::Panic | ErrorKind::Internal)
            }
            PluginError::NotFound { .. }
            | PluginError::ListDir { .. }
            | PluginError::NoPluginForSourceType { .. }
            | PluginError::DuplicateSourceType { .. } => false,
            _ => true,
        }
    }

    /// Maps abi_stable's load errors to ours.
    pub(crate) fn from_library(path: PathBuf, error: LibraryError) -> PluginError {
        match error {
            LibraryError::OpenError { err, .. } => PluginError::Unloadable {
                path,
                reason: err.to_string(),
            },
            LibraryError::GetSymbolError { .. } => PluginError::NotAPlugin { path },
            LibraryError::IncompatibleVersionNumber {
                expected_version,
                actual_version,
                ..
            } => PluginError::VersionMismatch {
                path,
                expected: expected_version.to_string(),
                found: actual_version.to_string(),
                expected_major: expected_version.major,
            },
            LibraryError::ParseVersionError(e) => PluginError::AbiStableMismatch {
                path,
                detail: format!("unreadable interface version: {e}"),
            },
            LibraryError::InvalidAbiHeader(header) => PluginError::AbiStableMismatch {
                path,
                detail: format!(
                    "its abi_stable header is {}.{}, this omctl's is {}.{}",
                    header.abi_major,
                    header.abi_minor,
                    abi_stable::library::AbiHeader::VALUE.abi_major,
                    abi_stable::library::AbiHeader::VALUE.abi_minor
                ),
            },
            LibraryError::InvalidCAbi { expected, found } => PluginError::AbiStableMismatch {
                path,
                detail: format!("C ABI differs: expected {expected}, found {found}"),
            },
            LibraryError::AbiInstability(e) => PluginError::LayoutMismatch {
                path,
                detail: first_lines(&e.to_string(), 12),
            },
            LibraryError::RootModule { err, .. } => PluginError::LoadFailed {
                path,
                reason: match err {
                    RootModuleError::Unwound => "it panicked".to_owned(),
                    RootModuleError::Returned(e) => e.to_string().trim().to_owned(),
                },
            },
            LibraryError::Many(errors) => match errors.into_iter().next() {
                Some(first) => PluginError::from_library(path, first),
                None => PluginError::LoadFailed {
                    path,
                    reason: "abi_stable reported an empty list of errors".to_owned(),
                },
            },
        }
    }
}

/// abi_stable's layout reports run to hundreds of lines; the start says what
/// differs.
fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = lines.iter().take(n).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > n {
        out.push_str(&format!("\n... ({} more lines)", lines.len() - n));
    }
    out
}

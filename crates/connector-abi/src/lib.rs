//! The boundary between omctl and its connector plugins.
//!
//! A plugin is a shared library (`cdylib`) that exports one abi_stable root module,
//! [`PluginMod`]. The surface is three functions and two trait objects; everything
//! with meaning travels as JSON text, described by the serde types in [`wire`]:
//!
//! | call | in | out |
//! |---|---|---|
//! | [`PluginMod::manifest`] | – | [`wire::Manifest`] as JSON |
//! | [`PluginMod::test_connection`] | config JSON, [`HostBox`] | [`wire::TestConnectionReport`] as JSON |
//! | [`PluginMod::open`] | config JSON, [`HostBox`] | a [`SourceBox`] the host pulls batches from |
//! | [`Source::next_batch`] | `max` records | NDJSON of `omctl_record::Record`s, or `None` at the end |
//!
//! Every `Err` that crosses is a [`wire::BoundaryError`] as JSON: a kind (`config`,
//! `connection`, `panic`, `internal`) and a message.
//!
//! # The config JSON
//!
//! `test_connection` and `open` receive one JSON object ([`wire::PluginConfig`]):
//!
//! ```json
//! {
//!   "source": {
//!     "type": "glue",
//!     "serviceName": "aws_glue",
//!     "serviceConnection": { "config": { "type": "Glue", "awsConfig": { "...": "..." } } },
//!     "sourceConfig": { "config": { "type": "DatabaseMetadata" } }
//!   },
//!   "run": { "dryRun": false, "logLevel": "info", "hostVersion": "0.1.0" }
//! }
//! ```
//!
//! `source` is the workflow file's `source` section as written (after `$VAR`
//! expansion). `run` carries what the host decided for this run. The OpenMetadata
//! server section (`workflowConfig.openMetadataServerConfig`, its JWT) is never
//! passed to a plugin: a connector only produces records.
//!
//! # Threads and ownership
//!
//! The host calls a plugin from blocking threads, never from inside its own async
//! runtime: `next_batch` blocks until records are ready. A plugin owns its own async
//! runtime (each `cdylib` has its own copy of tokio, tracing and std globals).
//! Strings cross as abi_stable's `RString`, which is freed by the library that
//! allocated it. Libraries are never unloaded.
//!
//! # Versioning: what is compatible
//!
//! The interface version is this crate's version. abi_stable refuses, at load, a
//! plugin built against a different *major* version, and checks the layout of
//! every type reachable from the root module.
//!
//! Compatible (minor version):
//! * appending a function to [`PluginMod`] after its `last_prefix_field` (the host
//!   reads it as `Option`, `None` for older plugins); appending a method to a
//!   `#[sabi_trait]` after its `last_prefix_field`;
//! * new JSON fields in any [`wire`] type (readers ignore fields they do not know,
//!   and every added field must have a default);
//! * new record kinds and new fields in records (the host reports a record it cannot
//!   read as a failure of that record and goes on);
//! * new [`LogLevel`] values and new error kinds (readers map unknown ones to a
//!   nearby known one).
//!
//! Incompatible (major version, and every plugin must be rebuilt):
//! * removing, reordering, renaming or retyping a field of [`PluginMod`], or moving
//!   its `last_prefix_field` marker; the same for trait methods;
//! * adding or removing a marker supertrait (`Send`, `Sync`) of [`Source`] or
//!   [`Host`];
//! * changing the meaning of an existing JSON field or record kind;
//! * upgrading abi_stable to a new major version (its own header check refuses
//!   the plugin).

//!
//! # History
//!
//! * 1.1.0: record kinds `update` (changes to an entity another workflow wrote,
//!   found case-insensitively by FQN), `testCaseResult` and `lineageReset`, for the
//!   dbt connector. No layout change: 1.0 plugins load and run unchanged, and a 1.0
//!   host reports each record of a new kind as a failed record.
//! * 1.0.0: first version.

// abi_stable's derives trip these lints on recent rustc; the generated names
// (`PluginMod_Ref`, `Source_TO`) are part of its contract.
#![allow(non_local_definitions, non_camel_case_types)]

use abi_stable::StableAbi;
use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, ROption, RResult, RStr, RString};

pub mod wire;

/// The abi_stable this interface is built with, so that the SDK and the host use
/// exactly the same one.
pub use abi_stable;

/// The interface version this crate defines (`major.minor.patch`).
pub const INTERFACE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The root module every plugin exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref)))]
pub struct PluginMod {
    /// Describes the plugin: `Ok(JSON of` [`wire::Manifest`]`)`.
    pub manifest: extern "C" fn() -> RResult<RString, RString>,

    /// Runs the connector's connection checks with the config JSON
    /// ([`wire::PluginConfig`]): `Ok(JSON of` [`wire::TestConnectionReport`]`)`.
    /// Failed steps are part of the report; `Err` means the checks could not run.
    pub test_connection:
        extern "C" fn(config: RStr<'_>, host: HostBox) -> RResult<RString, RString>,

    /// Starts reading the source described by the config JSON.
    #[sabi(last_prefix_field)]
    pub open: extern "C" fn(config: RStr<'_>, host: HostBox) -> RResult<SourceBox, RString>,
}

impl RootModule for PluginMod_Ref {
    abi_stable::declare_root_module_statics! {PluginMod_Ref}
    const BASE_NAME: &'static str = "omctl_plugin";
    const NAME: &'static str = "omctl connector plugin";
    const VERSION_STRINGS: VersionStrings = abi_stable::package_version_strings!();
}

/// A running source, owned by the host.
///
/// `Sync` as well as `Send` although the host drives it from one thread at a time:
/// marker traits cannot be added to a trait object later without breaking the ABI.
/// Dropping the object stops the source.
#[abi_stable::sabi_trait]
pub trait Source: Send + Sync {
    /// Up to `max` records as NDJSON (one `omctl_record::Record` per line).
    /// Blocks until at least one record is ready. `Ok(None)`: the source has
    /// finished and every later call returns `Ok(None)` too. `Err`: the source
    /// stopped with a [`wire::BoundaryError`] (as JSON).
    fn next_batch(&mut self, max: u32) -> RResult<ROption<RString>, RString>;

    /// Asks the source to stop soon; `next_batch` then returns what is already
    /// buffered and `None`.
    #[sabi(last_prefix_field)]
    fn cancel(&self);
}

/// The source object as it crosses the boundary.
pub type SourceBox = Source_TO<'static, RBox<()>>;

/// How loud a log line is. An integer rather than an enum so that a later version
/// may add levels: a reader maps an unknown value to [`LogLevel::TRACE`].
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogLevel(pub u8);

impl LogLevel {
    pub const ERROR: LogLevel = LogLevel(1);
    pub const WARN: LogLevel = LogLevel(2);
    pub const INFO: LogLevel = LogLevel(3);
    pub const DEBUG: LogLevel = LogLevel(4);
    pub const TRACE: LogLevel = LogLevel(5);

    /// The level's lower-case name (`"info"`); unknown values read as `"trace"`.
    pub fn as_str(self) -> &'static str {
        match self.0 {
            1 => "error",
            2 => "warn",
            3 => "info",
            4 => "debug",
            _ => "trace",
        }
    }

    /// Parses `error`, `warn`/`warning`, `info`, `debug` or `trace` (any case).
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::ERROR),
            "warn" | "warning" => Some(LogLevel::WARN),
            "info" => Some(LogLevel::INFO),
            "debug" => Some(LogLevel::DEBUG),
            "trace" => Some(LogLevel::TRACE),
            _ => None,
        }
    }
}

/// What the host offers a plugin while it works. Implemented by the host; a
/// plugin may call it from any of its threads.
#[abi_stable::sabi_trait]
pub trait Host: Send + Sync {
    /// One log line: `target` is the plugin's module path, `message` the event's
    /// message with its fields appended as `key=value`.
    fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);

    /// Progress as JSON ([`wire::Progress`]).
    fn progress(&self, progress: RStr<'_>);

    /// Whether the host wants the plugin to stop (Ctrl-C, a fatal sink error).
    #[sabi(last_prefix_field)]
    fn is_cancelled(&self) -> bool;
}

/// The host callbacks as they cross the boundary.
pub type HostBox = Host_TO<'static, RBox<()>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_names_round_trip() {
        for level in [
            LogLevel::ERROR,
            LogLevel::WARN,
            LogLevel::INFO,
            LogLevel::DEBUG,
            LogLevel::TRACE,
        ] {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(LogLevel::parse("WARNING"), Some(LogLevel::WARN));
        assert_eq!(LogLevel(42).as_str(), "trace");
        assert!(LogLevel::ERROR < LogLevel::DEBUG);
    }

    #[test]
    fn interface_version_is_this_crates_version() {
        assert_eq!(
            PluginMod_Ref::VERSION_STRINGS.version.as_str(),
            INTERFACE_VERSION
        );
        assert_eq!(INTERFACE_VERSION.split('.').next(), Some("1"));
    }
}

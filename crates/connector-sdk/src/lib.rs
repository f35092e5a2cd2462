//! Write an omctl connector plugin.
//!
//! A connector implements [`Connector`]: a [`Manifest`] that says what it serves,
//! a connection test, and `run`, which reads the source and sends
//! [`Record`]s through an [`Emitter`]. [`export_connector!`] turns it into a
//! plugin library that omctl loads; [`testkit`] runs it in-process in tests.
//!
//! ```no_run
//! use connector_sdk::{
//!     Connector, ConnectorError, Context, Emitter, EntityKind, Manifest, SourceConfig,
//!     TestConnectionReport, TestStep, export_connector, serde_json::json,
//! };
//!
//! #[derive(Default)]
//! pub struct Hello;
//!
//! impl Connector for Hello {
//!     fn manifest(&self) -> Manifest {
//!         Manifest::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")).with_source_type("hello")
//!     }
//!
//!     async fn test_connection(
//!         &self,
//!         _config: &SourceConfig,
//!         _ctx: &Context,
//!     ) -> Result<TestConnectionReport, ConnectorError> {
//!         Ok(TestConnectionReport { steps: vec![TestStep::passed("Hello", true, "hi")] })
//!     }
//!
//!     async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
//!         let service = config.require_service_name()?;
//!         let request = json!({"name": service, "serviceType": "CustomDatabase"});
//!         out.entity(EntityKind::DatabaseService, service, None, &request).await
//!     }
//! }
//!
//! export_connector!(Hello);
//! ```
//!
//! # How it runs
//!
//! The SDK owns a tokio runtime per plugin library (two worker threads, started on
//! first use). `run` is spawned on it; the host pulls records in batches and
//! [`Emitter::emit`] waits while the host's buffer (1024 records) is full. A panic
//! anywhere in the connector becomes an error with message and location, never a
//! crash of omctl. `tracing` events of the connector go to omctl's log. When the
//! host cancels, [`Emitter::emit`] returns [`Stopped`]; pass it on with `?`.

mod config;
mod context;
mod emitter;
mod error;
mod log_bridge;
mod panic;
mod session;
pub mod testkit;

#[doc(hidden)]
pub mod export;

use std::future::Future;

pub use config::SourceConfig;
pub use connector_abi::LogLevel;
pub use connector_abi::wire::{
    BoundaryError, ErrorKind, Manifest, Progress, RunOptions, TestConnectionReport, TestStep,
};
pub use context::Context;
pub use emitter::Emitter;
pub use error::{ConnectorError, Stopped, error_chain};
pub use omctl_record::{EntityKind, EntityRef, Event, EventLevel, Record};
/// The JSON library the SDK uses, so that connectors need not pick a version.
pub use serde_json;
/// The async runtime the SDK runs connectors on. Use this one (or the same
/// tokio 1.x): a second tokio copy in the plugin would not see the SDK's runtime.
pub use tokio;
/// The logging library whose events reach omctl's log.
pub use tracing;

/// A source of metadata. One value serves every call of the plugin, possibly
/// several at once, so it holds no per-run state: keep that in `run`.
///
/// Implement the async methods with `async fn`; their futures must be `Send`.
pub trait Connector: Send + Sync + 'static {
    /// What the plugin serves. Called once when omctl loads the plugin; the SDK
    /// fills in `abi_version`.
    fn manifest(&self) -> Manifest;

    /// Cheap checks of the config, run before the source starts: return
    /// [`ConnectorError::Config`] for a setting that cannot work, so that omctl
    /// reports it before anything is read. The default accepts everything.
    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        let _ = config;
        Ok(())
    }

    /// Checks that the source can be reached and read, one [`TestStep`] per
    /// check. A failed check is a failed step, not an `Err`; `Err` means the
    /// checks could not run at all (bad config).
    fn test_connection(
        &self,
        config: &SourceConfig,
        ctx: &Context,
    ) -> impl Future<Output = Result<TestConnectionReport, ConnectorError>> + Send;

    /// Reads the source and sends what it finds. Send parents before children
    /// (service, database, schema, table). A problem with one entity is an event
    /// ([`Emitter::fail`], [`Emitter::warn`]) and the run goes on; `Err` stops
    /// the whole source.
    fn run(
        &self,
        config: SourceConfig,
        out: Emitter,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send;
}

/// Exports a [`Connector`] as an omctl plugin. Use it once, in the crate built as
/// the `cdylib`.
///
/// `export_connector!(MyConnector)` makes the connector with `Default`;
/// `export_connector!(MyConnector, MyConnector::new)` with a function
/// `fn() -> MyConnector`.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        $crate::export_connector!(
            $connector,
            <$connector as ::core::default::Default>::default
        );
    };
    ($connector:ty, $make:expr) => {
        const _: () = {
            use $crate::export as __omctl;

            static CONNECTOR: __omctl::ConnectorCell<$connector> =
                __omctl::ConnectorCell::new($make);

            extern "C" fn manifest() -> __omctl::Result<__omctl::String, __omctl::String> {
                __omctl::manifest(&CONNECTOR)
            }

            extern "C" fn test_connection(
                config: __omctl::Str<'_>,
                host: __omctl::Host,
            ) -> __omctl::Result<__omctl::String, __omctl::String> {
                __omctl::test_connection(&CONNECTOR, config, host)
            }

            extern "C" fn open(
                config: __omctl::Str<'_>,
                host: __omctl::Host,
            ) -> __omctl::Result<__omctl::SourceObject, __omctl::String> {
                __omctl::open(&CONNECTOR, config, host)
            }

            fn root_module() -> __omctl::RootModule {
                __omctl::root_module(manifest, test_connection, open)
            }

            extern "C" fn erased_root_module() -> __omctl::RootModuleResult {
                __omctl::__call_root_module_loader(root_module)
            }

            // What abi_stable's `#[export_root_module]` writes: the header the
            // loader reads, under the name it looks up.
            #[unsafe(export_name = $crate::__root_module_symbol!())]
            pub static LIB_HEADER: __omctl::LibHeader = unsafe {
                __omctl::LibHeader::from_constructor::<__omctl::RootModule>(
                    erased_root_module,
                    __omctl::CheckTypeLayout::Yes,
                )
            };
        };
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn exported_symbol_is_the_one_abi_stable_loads() {
        assert_eq!(
            crate::__root_module_symbol!(),
            connector_abi::abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}

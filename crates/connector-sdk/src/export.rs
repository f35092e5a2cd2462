//! What [`crate::export_connector!`] expands to calls: the plugin's exported
//! functions, each with every panic caught. Not part of the public API.

use std::sync::{Arc, OnceLock};

use connector_abi::abi_stable::prefix_type::PrefixTypeTrait;
use connector_abi::abi_stable::sabi_trait::TD_Opaque;
use connector_abi::abi_stable::std_types::{RErr, ROk, ROption, RResult, RStr, RString};
use connector_abi::wire::{BoundaryError, ErrorKind};
use connector_abi::{HostBox, PluginMod, PluginMod_Ref, Source, Source_TO, SourceBox};

pub use connector_abi::abi_stable::library::{
    __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
};
pub use connector_abi::abi_stable::std_types::{RResult as Result, RStr as Str, RString as String};
pub use connector_abi::{HostBox as Host, PluginMod_Ref as RootModule, SourceBox as SourceObject};

use crate::Connector;
use crate::context::HostSink;
use crate::panic::catch;
use crate::session::{self, Session};

/// The symbol abi_stable's loader looks for. `#[export_root_module]` cannot be
/// used from a `macro_rules!` in a crate that does not name abi_stable itself,
/// so the macro writes the same static under this name; a test checks it
/// against `abi_stable::library::ROOT_MODULE_LOADER_NAME`.
#[macro_export]
#[doc(hidden)]
macro_rules! __root_module_symbol {
    () => {
        "_1as_0lib_1header_0root_bmodule_bloader"
    };
}

/// The plugin's one connector, made on first use.
pub struct ConnectorCell<C> {
    cell: OnceLock<Arc<C>>,
    make: fn() -> C,
}

impl<C: Connector> ConnectorCell<C> {
    pub const fn new(make: fn() -> C) -> Self {
        ConnectorCell {
            cell: OnceLock::new(),
            make,
        }
    }

    fn get(&self) -> std::result::Result<Arc<C>, BoundaryError> {
        catch("creating the connector", || {
            self.cell.get_or_init(|| Arc::new((self.make)())).clone()
        })
    }
}

fn to_rresult<T>(result: std::result::Result<T, BoundaryError>) -> RResult<T, RString> {
    match result {
        Ok(v) => ROk(v),
        Err(e) => RErr(e.to_json().into()),
    }
}

/// Runs an entry point; a panic in the SDK itself becomes an error too.
fn guarded<T>(
    what: &str,
    f: impl FnOnce() -> std::result::Result<T, BoundaryError>,
) -> RResult<T, RString> {
    to_rresult(catch(what, f).and_then(|r| r))
}

pub fn manifest<C: Connector>(cell: &ConnectorCell<C>) -> RResult<RString, RString> {
    guarded("manifest", || {
        let manifest = session::manifest(&*cell.get()?)?;
        serde_json::to_string(&manifest)
            .map(RString::from)
            .map_err(|e| {
                BoundaryError::new(
                    ErrorKind::Internal,
                    format!("cannot encode the manifest: {e}"),
                )
            })
    })
}

fn host_of(host: HostBox) -> Arc<dyn HostSink> {
    let host: Arc<dyn HostSink> = Arc::new(host);
    crate::log_bridge::set_latest_host(host.clone());
    host
}

pub fn test_connection<C: Connector>(
    cell: &ConnectorCell<C>,
    config: RStr<'_>,
    host: HostBox,
) -> RResult<RString, RString> {
    guarded("test_connection", || {
        let report = session::test_connection(cell.get()?, config.as_str(), host_of(host))?;
        serde_json::to_string(&report)
            .map(RString::from)
            .map_err(|e| {
                BoundaryError::new(
                    ErrorKind::Internal,
                    format!("cannot encode the report: {e}"),
                )
            })
    })
}

pub fn open<C: Connector>(
    cell: &ConnectorCell<C>,
    config: RStr<'_>,
    host: HostBox,
) -> RResult<SourceBox, RString> {
    guarded("open", || {
        let session = Session::open(cell.get()?, config.as_str(), host_of(host))?;
        Ok(Source_TO::from_value(session, TD_Opaque))
    })
}

impl Source for Session {
    fn next_batch(&mut self, max: u32) -> RResult<ROption<RString>, RString> {
        let batch = guarded("next_batch", || self.pull(max));
        batch.map(|b| b.map(RString::from).into())
    }

    fn cancel(&self) {
        Session::cancel(self);
    }
}

/// Builds the root module from the macro's three functions.
pub fn root_module(
    manifest: extern "C" fn() -> RResult<RString, RString>,
    test_connection: extern "C" fn(RStr<'_>, HostBox) -> RResult<RString, RString>,
    open: extern "C" fn(RStr<'_>, HostBox) -> RResult<SourceBox, RString>,
) -> PluginMod_Ref {
    crate::panic::set_plugin_mode();
    PluginMod {
        manifest,
        test_connection,
        open,
    }
    .leak_into_prefix()
}

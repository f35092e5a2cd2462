//! One module per command; here what they share: reading the workflow file and
//! finding the plugins.

pub mod airflow;
pub mod plugins;
pub mod run;
pub mod schema;
pub mod test_connection;
pub mod validate;

use std::path::PathBuf;

use omctl_runtime::config::{ConfigInput, WorkflowFile};
use omctl_runtime::plugin::{DiagnosticLevel, Discovery, Plugin, PluginSet};

use crate::exit::{CliError, INTERNAL};
use crate::logging::Logging;

/// Reads and checks the workflow file, applies its log level and reports its
/// deprecated keys.
pub fn load_workflow(config: &str, logging: &Logging) -> Result<WorkflowFile, CliError> {
    let workflow = WorkflowFile::load(&ConfigInput::from_arg(config))?;
    logging.apply_workflow_level(workflow.logger_level());
    tracing::debug!(
        "read workflow {}: source.type `{}`, sink `{}`",
        workflow.document.origin(),
        workflow.source_type(),
        workflow
            .config
            .sink
            .as_ref()
            .map_or("(none)", |s| s.r#type.as_str())
    );
    for deprecation in &workflow.deprecations {
        tracing::warn!("{deprecation}");
    }
    Ok(workflow)
}

/// Finds the plugins (`--plugin`, `OMCTL_PLUGIN_PATH`, next to the binary) and
/// logs what was skipped.
pub fn discover(plugin_paths: &[PathBuf]) -> Result<PluginSet, CliError> {
    let set = PluginSet::discover(&Discovery::from_env(plugin_paths.to_vec()))?;
    for p in set.plugins() {
        tracing::debug!(
            "plugin {} {} serves {} ({})",
            p.name(),
            p.manifest().version,
            p.manifest().source_types.join(", "),
            p.path().display()
        );
    }
    for d in set.diagnostics() {
        match d.level {
            DiagnosticLevel::Warning => tracing::warn!("{}", d.message),
            DiagnosticLevel::Info => tracing::debug!("{}", d.message),
        }
    }
    Ok(set)
}

/// The plugin serving the workflow's `source.type`, checked against the
/// connection type the workflow names.
pub fn plugin_for(workflow: &WorkflowFile, plugins: &PluginSet) -> Result<Plugin, CliError> {
    let plugin = plugins.for_source_type(&workflow.source_type())?;
    workflow.check_connection_type(plugin.name(), plugin.manifest().connection_type.as_deref())?;
    Ok(plugin.clone())
}

/// The async runtime for commands that talk to a plugin or a server.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::other(INTERNAL, format!("cannot start the async runtime: {e}")))
}

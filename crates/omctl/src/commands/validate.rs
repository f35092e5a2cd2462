//! `omctl validate`: the workflow file, its plugin and its sink settings, with no
//! network call.

use std::path::PathBuf;

use super::{discover, load_workflow, plugin_for};
use crate::exit::{self, CliError};
use crate::logging::Logging;
use crate::sinks::SinkPlan;

pub fn run(config: &str, plugin_paths: &[PathBuf], logging: &Logging) -> Result<u8, CliError> {
    let workflow = load_workflow(config, logging)?;
    let sink = SinkPlan::from_workflow(&workflow)?;
    let plugins = discover(plugin_paths)?;
    let plugin = plugin_for(&workflow, &plugins)?;
    println!(
        "{}: valid. Source `{}` read by plugin {} {} ({}); {}.",
        workflow.document.origin(),
        workflow.source_type(),
        plugin.name(),
        plugin.manifest().version,
        plugin.path().display(),
        sink.describe()
    );
    if !workflow.deprecations.is_empty() {
        println!(
            "{} deprecated key(s) accepted; see the warnings above.",
            workflow.deprecations.len()
        );
    }
    Ok(exit::SUCCESS)
}

//! `omctl run`: the workflow, end to end.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use om_client::{OmClient, PipelineRunReporter, RunState};
use omctl_runtime::config::WorkflowFile;
use omctl_runtime::plugin::Plugin;
use omctl_runtime::report::{DeletedEntity, PluginInfo, RunReport, RunStatus};
use omctl_runtime::workflow::{
    CancelToken, NoProgress, Progress, RunLabels, RunOptions, plugin_config, run_plugin,
};

use super::{discover, load_workflow, plugin_for, runtime};
use crate::exit::{self, CliError};
use crate::logging::Logging;
use crate::progress::TerminalProgress;
use crate::sinks::{SinkPlan, ingestion_pipeline_spec};

/// How many failures (and deletions) the summary table shows.
const SHOWN_FAILURES: usize = 10;

pub fn run(
    config: &str,
    dry_run: bool,
    report_path: Option<&Path>,
    plugin_paths: &[PathBuf],
    logging: &Logging,
) -> Result<u8, CliError> {
    let workflow = load_workflow(config, logging)?;
    let sink_plan = SinkPlan::from_workflow(&workflow)?;
    let plugins = discover(plugin_paths)?;
    let plugin = plugin_for(&workflow, &plugins)?;
    tracing::info!(
        "source `{}`: plugin {} {} ({})",
        workflow.source_type(),
        plugin.name(),
        plugin.manifest().version,
        plugin.path().display()
    );
    if dry_run {
        tracing::info!("dry run: {}; nothing will be written", sink_plan.describe());
    }
    let plugin_json = plugin_config(&workflow, dry_run, &logging.max_level());

    let report = runtime()?.block_on(async {
        let stdout: Box<dyn Write + Send> = Box::new(BufWriter::new(std::io::stdout()));
        let open = sink_plan.open(dry_run, stdout).await?;
        // The run status goes to the server when the workflow names its ingestion
        // pipeline, and never in a dry run.
        let status_client = open.client.clone().filter(|_| !dry_run);
        let reporter = match &status_client {
            Some(client) => start_run_status(client, &workflow, &plugin, false).await,
            None => None,
        };
        let deletions = open.deletions.clone();

        let cancel = CancelToken::new();
        watch_interrupts(cancel.clone());
        let terminal = TerminalProgress::start().map(Arc::new);
        let progress: Arc<dyn Progress> = match &terminal {
            Some(t) => t.clone(),
            None => Arc::new(NoProgress),
        };
        let options = RunOptions {
            cancel,
            progress,
            policy: workflow.policy(),
            dry_run,
            ..RunOptions::default()
        };
        let labels = RunLabels {
            source_type: workflow.source_type(),
            sink_type: open.sink.name().to_string(),
            plugin: Some(PluginInfo {
                name: plugin.name().to_string(),
                version: plugin.manifest().version.clone(),
                file: plugin.path().display().to_string(),
            }),
        };
        let mut report = run_plugin(&plugin, plugin_json, open.sink, labels, options).await;
        if let Some(t) = &terminal {
            t.finish();
        }
        if let Some(log) = deletions {
            report.deletions = log
                .entries()
                .into_iter()
                .map(|d| DeletedEntity {
                    kind: d.kind.to_string(),
                    fqn: d.fqn,
                    executed: d.executed,
                })
                .collect();
        }
        // A pipeline that could not be created before the run (its service did
        // not exist yet) can be now that the sink wrote the service.
        let reporter = match (reporter, &status_client) {
            (Some(reporter), _) => Some(reporter),
            (None, Some(client)) => start_run_status(client, &workflow, &plugin, true).await,
            (None, None) => None,
        };
        if let Some(reporter) = reporter {
            let state = match report.status {
                RunStatus::Success => RunState::Success,
                RunStatus::PartialSuccess => RunState::PartialSuccess,
                RunStatus::Failed => RunState::Failed,
            };
            if let Err(e) = reporter.finish(&report.steps, state).await {
                tracing::warn!("could not write the run status to the server: {e}");
            }
        }
        Ok::<RunReport, CliError>(report)
    })?;

    eprint!("\n{}", report.render_table(SHOWN_FAILURES));
    let written = report_path.map(|path| write_report(path, &report));
    println!("{}", report.summary_line());
    if let Some(Err(e)) = written {
        return Err(e);
    }
    Ok(exit::verdict_code(&report.verdict()))
}

/// Marks the run `running` on the server when the workflow names its ingestion
/// pipeline (`ingestionPipelineFQN`). Failures are logged: a run does not depend
/// on its status report.
async fn start_run_status(
    client: &OmClient,
    workflow: &WorkflowFile,
    plugin: &Plugin,
    last_try: bool,
) -> Option<PipelineRunReporter> {
    let fqn = workflow.config.ingestion_pipeline_fqn.as_deref()?;
    let spec = ingestion_pipeline_spec(workflow, plugin.manifest().service_kind.as_deref());
    let run_id = workflow.config.pipeline_run_id.clone();
    match PipelineRunReporter::start(client, fqn, run_id, spec.as_ref()).await {
        Ok(reporter) => Some(reporter),
        Err(e) if last_try => {
            tracing::warn!("cannot report the run status of ingestion pipeline {fqn}: {e}");
            None
        }
        Err(e) => {
            tracing::debug!(
                "ingestion pipeline {fqn} not ready before the run ({e}); trying again after it"
            );
            None
        }
    }
}

/// Ctrl-C once: stop the source, close the sink, report. Twice: leave now.
fn watch_interrupts(cancel: CancelToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        crate::logging::above_bar(|| {
            eprintln!(
                "interrupted: stopping the source and closing the sink (Ctrl-C again to quit at once)"
            );
        });
        cancel.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            crate::logging::clear_bar();
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    });
}

fn write_report(path: &Path, report: &RunReport) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| CliError::other(exit::INTERNAL, e.to_string()))?;
    std::fs::write(path, json + "\n").map_err(|e| {
        CliError::other(
            exit::INTERNAL,
            format!("cannot write the report to {}: {e}", path.display()),
        )
    })
}

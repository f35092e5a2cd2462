//! The run: fetch the artifact sets, then one pass per set.

use connector_sdk::{ConnectorError, Emitter, Stopped};
use dbt_artifacts::Artifacts;
use dbt_fetch::{ArtifactSet, FetchError, FetchOptions, Fetched};
use omctl_record::Record;

use crate::config::DbtConfig;
use crate::pass::{Out, run_pass, warning_events};

/// A fetch failure as the connector error it is: the user's settings, or the
/// place the artifacts live.
pub fn fetch_error(e: FetchError) -> ConnectorError {
    match &e {
        FetchError::Config { .. }
        | FetchError::Unsupported { .. }
        | FetchError::AwsConfig { .. }
        | FetchError::NoManifest { .. } => ConnectorError::config(e),
        FetchError::Aws(aws) if aws.is_config() => ConnectorError::config(e),
        FetchError::Write { .. } => ConnectorError::internal(e),
        _ => ConnectorError::connection(e),
    }
}

/// Fetches the artifact sets of the configured `dbtConfigSource`.
pub async fn fetch(cfg: &DbtConfig) -> Result<Fetched, ConnectorError> {
    dbt_fetch::fetch(&cfg.pipeline.dbt_config_source, &FetchOptions::default())
        .await
        .map_err(fetch_error)
}

/// Reads one set's artifacts off the async workers (a large manifest takes a
/// while). An error names the file (or the URL it was downloaded from).
pub async fn load(set: &ArtifactSet) -> Result<Artifacts, String> {
    let location = set.location.clone();
    let loaded = tokio::task::spawn_blocking(move || Artifacts::load(location))
        .await
        .map_err(|e| format!("reading the dbt artifacts of {} stopped: {e}", set.label))?;
    loaded.map_err(|e| set.describe(&e.to_string()))
}

/// Sends records from a blocking thread through the emitter.
struct EmitOut {
    handle: tokio::runtime::Handle,
    out: Emitter,
}

impl Out for EmitOut {
    fn push(&mut self, record: Record) -> Result<(), Stopped> {
        self.handle.block_on(self.out.emit(record))
    }
}

/// Runs the whole source.
pub async fn run(cfg: DbtConfig, out: Emitter) -> Result<(), ConnectorError> {
    let fetched = fetch(&cfg).await?;
    for warning in &fetched.warnings {
        out.warn(None, "dbtConfigSource", warning.clone()).await?;
    }
    let several = fetched.sets.len() > 1;
    let cfg = std::sync::Arc::new(cfg);
    for set in &fetched.sets {
        let artifacts = match load(set).await {
            Ok(a) => a,
            // With several projects, one bad manifest costs only its own pass.
            Err(message) if several => {
                out.fail(None, set.label.clone(), message).await?;
                continue;
            }
            Err(message) => return Err(ConnectorError::config(message)),
        };
        let events = warning_events(
            &artifacts.warnings,
            &|text| set.describe(text),
            &set.reported_absent,
        );
        let mut sink = EmitOut {
            handle: tokio::runtime::Handle::current(),
            out: out.clone(),
        };
        let pass_cfg = cfg.clone();
        let label = set.label.clone();
        // Mapping and SQL parsing are CPU work: off the async workers.
        let summary =
            tokio::task::spawn_blocking(move || run_pass(&pass_cfg, &artifacts, events, &mut sink))
                .await
                .map_err(|e| {
                    ConnectorError::internal(format!("the dbt pass of {label} stopped: {e}"))
                })??;
        tracing::info!(
            "dbt artifacts of {}: {} tables ({} filtered), {} lineage edges ({} columns not fully \
             resolved), {} test cases, {} results, {} warnings",
            set.label,
            summary.tables,
            summary.filtered,
            summary.lineage_edges,
            summary.unresolved_columns,
            summary.test_cases,
            summary.test_results,
            summary.warnings
        );
    }
    Ok(())
}

//! Benchmark: `omctl run` of a dbt workflow (the real binary loading the real
//! `dbt` plugin) on a synthetic project — 1,000 models, 100 sources, 3,000 tests
//! by default ([`DbtSynth`]) — against the OpenMetadata emulator holding the
//! matching Glue-made tables and answering every request after 5 ms. Then the
//! same run again on the same server (a rerun should write almost nothing).
//!
//! ```text
//! cargo build --release -p omctl -p dbt
//! cargo run --release -p om-mock --example dbt_bench
//! dbt_bench [--models N] [--tests N] [--latency-ms N] [--keep DIR]
//! ```
//!
//! It prints, per run: the requests the emulator received (total, by method and
//! by kind of call), requests per data model and per dbt node, omctl's wall time
//! and peak resident memory (`VmHWM` of the omctl process, plugin included,
//! sampled every 5 ms; the emulator runs in this process and is not counted),
//! what landed on the server, and the comparison with a model of the reference
//! implementation (not a run of it): it was seen to send 610 requests for 23 data
//! models and their 56 tests on a real project, one after another (reference-dbt.md
//! §10, loss 12). The model scales that to this project: 610 / 23, rounded down
//! to 26, requests per data model, each waiting for the emulator's latency and
//! taking no other time, so 26 × data models × latency of wall time — a lower
//! bound of the reference's real time.
//!
//! `--keep DIR` writes the artifacts, the seed and the workflow into DIR and
//! leaves them there; otherwise a temporary directory is used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use om_mock::dbt_synth::{DbtSynth, SynthProject};
use om_mock::{MockSettings, OmMock};
use serde_json::Value;

/// What the reference was seen to send on a real project (reference-dbt.md §10,
/// loss 12): 610 requests for 23 data models (and their 56 tests).
const REFERENCE_OBSERVED_REQUESTS: u64 = 610;
const REFERENCE_OBSERVED_DATA_MODELS: u64 = 23;
/// The model's requests per data model: the observation's ratio rounded down
/// (26), so that rounding never flatters omctl.
const REFERENCE_REQUESTS_PER_MODEL: u64 =
    REFERENCE_OBSERVED_REQUESTS / REFERENCE_OBSERVED_DATA_MODELS;

/// Kinds of call that write one item each and have no bulk form in
/// OpenMetadata 2.0.6's REST API.
const ONE_ITEM_PER_REQUEST: &[&str] = &[
    "POST /api/v1/dataQuality/testCases/testCaseResults/{}",
    "PUT /api/v1/lineage",
    "PUT /api/v1/tables/{}/dataModel",
    "PATCH /api/v1/tables/{}",
];

struct Args {
    models: usize,
    tests: usize,
    latency_ms: u64,
    keep: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        models: 1000,
        tests: 3000,
        latency_ms: 5,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} expects a number, got {value}"))
        };
        match flag.as_str() {
            "--models" => a.models = number()? as usize,
            "--tests" => a.tests = number()? as usize,
            "--latency-ms" => a.latency_ms = number()?,
            "--keep" => a.keep = Some(PathBuf::from(&value)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// `target/<profile>/`, where cargo put this example's `examples/` directory.
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not in target/<profile>/examples", exe.display()))
}

fn built(path: PathBuf, package: &str) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it first with `cargo build --release -p {package}` \
             (the profile of this example), or run `cargo xtask bench dbt`",
            path.display()
        ))
    }
}

fn workflow_yaml(service: &str, artifacts: &Path, host_port: &str) -> String {
    let dir = artifacts.display();
    format!(
        "source:
  type: dbt
  serviceName: {service}
  sourceConfig:
    config:
      type: DBT
      dbtConfigSource:
        dbtConfigType: local
        dbtManifestFilePath: {dir}/manifest.json
        dbtCatalogFilePath: {dir}/catalog.json
        dbtRunResultsFilePath: {dir}/run_results.json
      dbtUpdateDescriptions: false
      dbtUpdateOwners: false
      includeTags: true
sink:
  type: metadata-rest
  config: {{}}
workflowConfig:
  loggerLevel: INFO
  openMetadataServerConfig:
    hostPort: {host_port}
    authProvider: openmetadata
    securityConfig:
      jwtToken: bench-token
"
    )
}

/// A line of `/proc/<pid>/status` in KiB (`VmHWM:`).
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct RunFigures {
    code: Option<i32>,
    wall: Duration,
    peak_rss_kib: u64,
    /// The one-line JSON summary omctl ends its output with.
    summary: Option<Value>,
    report: Option<Value>,
    stderr_tail: String,
}

/// Runs omctl to its end, sampling its peak memory.
fn run_omctl(
    omctl: &Path,
    plugin: &Path,
    workflow: &Path,
    dir: &Path,
    name: &str,
) -> Result<RunFigures, String> {
    let report = dir.join(format!("{name}-report.json"));
    let stdout_path = dir.join(format!("{name}-stdout.txt"));
    let stderr_path = dir.join(format!("{name}-stderr.txt"));
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let started = Instant::now();
    let mut child = Command::new(omctl)
        .arg("run")
        .arg("-c")
        .arg(workflow)
        .arg("--report")
        .arg(&report)
        .arg("--plugin")
        .arg(plugin)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file(&stdout_path)?)
        .stderr(file(&stderr_path)?)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", omctl.display()))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = status_kib(pid, "VmHWM:") {
            peak = peak.max(kib);
        }
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let wall = started.elapsed();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    Ok(RunFigures {
        code: status.code(),
        wall,
        peak_rss_kib: peak,
        summary: stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok()),
        report: std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok()),
        stderr_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

fn difference(
    after: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// What the server holds that the dbt workflow puts there.
fn landed(mock: &OmMock) -> String {
    let tables = mock.entities("tables");
    let with_model = tables
        .iter()
        .filter(|t| t.get("dataModel").is_some())
        .count();
    let described = tables
        .iter()
        .filter(|t| t["description"].as_str().is_some_and(|d| !d.is_empty()))
        .count();
    let owned = tables
        .iter()
        .filter(|t| t["owners"].as_array().is_some_and(|o| !o.is_empty()))
        .count();
    let state = mock.snapshot();
    let results: usize = state["testCaseResults"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_array).map(Vec::len).sum())
        .unwrap_or(0);
    let lineage = state["lineage"].as_array().map_or(0, Vec::len);
    let column_edges = state["lineage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e["details"]["columnsLineage"]
                .as_array()
                .is_some_and(|c| !c.is_empty())
        })
        .count();
    format!(
        "{with_model}/{} tables with a data model, {described} described, {owned} owned; \
         {} test definitions, {} test cases, {results} results; \
         {lineage} lineage edges ({column_edges} with columns)",
        tables.len(),
        mock.entities("dataQuality/testDefinitions").len(),
        mock.entities("dataQuality/testCases").len(),
    )
}

fn print_run(
    title: &str,
    figures: &RunFigures,
    requests: &BTreeMap<String, u64>,
    project: &SynthProject,
    latency_ms: u64,
) {
    let counts = project.counts;
    let total: u64 = requests.values().sum();
    let mut by_method: BTreeMap<&str, u64> = BTreeMap::new();
    for (family, n) in requests {
        let method = family.split(' ').next().unwrap_or_default();
        *by_method.entry(method).or_default() += n;
    }
    let writes: u64 = by_method
        .iter()
        .filter(|(m, _)| **m != "GET")
        .map(|(_, n)| n)
        .sum();
    let nodes = counts.models + counts.sources + counts.tests;
    let data_models = counts.relations as f64;
    let reference = REFERENCE_REQUESTS_PER_MODEL as f64 * data_models;
    let latency = latency_ms as f64 / 1000.0;
    let wall = figures.wall.as_secs_f64();
    println!("\n--- {title}");
    println!(
        "exit code {:?}; wall time {wall:.2} s; peak RSS of omctl {:.1} MiB",
        figures.code,
        figures.peak_rss_kib as f64 / 1024.0
    );
    if let Some(summary) = &figures.summary {
        println!("omctl summary: {summary}");
    }
    if let Some(steps) = figures.report.as_ref().and_then(|r| r["steps"].as_array()) {
        for step in steps {
            let counters: Vec<String> = step
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| v.is_u64())
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            println!(
                "  step {}: {}",
                step["name"].as_str().unwrap_or("?"),
                counters.join(", ")
            );
        }
    }
    println!("requests: {total} ({writes} writes) by method {by_method:?}");
    let mut families: Vec<(&String, &u64)> = requests.iter().collect();
    families.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (family, n) in families {
        println!("  {n:>7}  {family}");
    }
    println!(
        "per data model ({}): {:.2} requests; per dbt node ({nodes} = models + sources + tests): {:.2}",
        counts.relations,
        total as f64 / data_models,
        total as f64 / nodes as f64
    );
    println!(
        "reference model (estimated, not run): {reference:.0} requests \
         ({REFERENCE_OBSERVED_REQUESTS} / {REFERENCE_OBSERVED_DATA_MODELS} observed, \
         {REFERENCE_REQUESTS_PER_MODEL} per data model), one after another at {latency_ms} ms: \
         at least {:.1} s",
        reference * latency
    );
    if total > 0 {
        println!(
            "vs the reference model: {:.1}x fewer requests (target >= 4x), {:.1}x less wall time (target >= 20x); \
             this run's own requests one after another would take {:.1} s ({:.1}x its wall time)",
            reference / total as f64,
            reference * latency / wall,
            total as f64 * latency,
            total as f64 * latency / wall
        );
    }
    // What the target cannot be met without: writes of which the server's API
    // takes one item per request.
    let one_per_request: u64 = ONE_ITEM_PER_REQUEST
        .iter()
        .filter_map(|family| requests.get(*family))
        .sum();
    let budget = reference / 4.0;
    println!(
        "of these, {one_per_request} are writes the server takes one at a time (no bulk form: \
         test results, lineage edges, data models, table patches): {:.0}% of the 4x budget ({budget:.0})",
        one_per_request as f64 * 100.0 / budget
    );
    if figures.code != Some(0) {
        println!("omctl's last log lines:\n{}", figures.stderr_tail);
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let a = args()?;
    let profile = profile_dir()?;
    let omctl = built(profile.join("omctl"), "omctl")?;
    let plugin = built(
        profile.join(format!(
            "{}dbt{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        )),
        "dbt",
    )?;
    let temp;
    let dir = match &a.keep {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            d.clone()
        }
        None => {
            temp = tempfile::tempdir().map_err(|e| e.to_string())?;
            temp.path().to_path_buf()
        }
    };

    let synth = DbtSynth::new(a.models, a.tests);
    let started = Instant::now();
    let project = synth.generate();
    let artifacts = dir.join("artifacts");
    project
        .write_artifacts(&artifacts)
        .map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let size = |f: &str| {
        std::fs::metadata(artifacts.join(f)).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
    };
    let c = project.counts;
    println!(
        "project: {} models ({} ephemeral, {} views, {} tables), {} sources, {} tests \
         ({} fail, {} warn); {} data models, {} lineage edges between them",
        c.models,
        c.ephemeral,
        c.views,
        c.tables,
        c.sources,
        c.tests,
        c.tests_failed,
        c.tests_warned,
        c.relations,
        c.lineage_edges
    );
    println!(
        "artifacts in {}: manifest {:.1} MB, catalog {:.1} MB, run_results {:.1} MB (generated in {:.2} s)",
        artifacts.display(),
        size("manifest.json"),
        size("catalog.json"),
        size("run_results.json"),
        started.elapsed().as_secs_f64()
    );

    let mock = OmMock::start_with(MockSettings {
        latency: Duration::from_millis(a.latency_ms),
        record_requests: false,
        ..MockSettings::default()
    })
    .await;
    let seeded = mock
        .seed_json(&project.om_seed)
        .map_err(|e| e.to_string())?;
    let seed_path = dir.join("om_seed.json");
    std::fs::write(
        &seed_path,
        serde_json::to_vec_pretty(&project.om_seed).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", seed_path.display()))?;
    println!(
        "server: {seeded} entities seeded (service {}, {} tables); {} ms per request",
        synth.service, c.relations, a.latency_ms
    );
    let workflow = dir.join("dbt.yaml");
    std::fs::write(
        &workflow,
        workflow_yaml(&synth.service, &artifacts, mock.url()),
    )
    .map_err(|e| format!("{}: {e}", workflow.display()))?;

    let mut failed = false;
    for (name, title) in [("first", "first run"), ("rerun", "rerun (same artifacts)")] {
        let before = mock.request_counts();
        let figures = run_omctl(&omctl, &plugin, &workflow, &dir, name)?;
        let requests = difference(&mock.request_counts(), &before);
        print_run(title, &figures, &requests, &project, a.latency_ms);
        println!("server holds: {}", landed(&mock));
        failed |= figures.code != Some(0);
    }
    if failed {
        Err("omctl did not exit 0 (see above)".to_string())
    } else {
        Ok(())
    }
}

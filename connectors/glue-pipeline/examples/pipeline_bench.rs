//! Benchmark: the `gluepipeline` plugin, loaded as omctl loads it, against a Glue
//! emulator with a generated account (2,000 workflows with 10 runs each, 5,000
//! standalone jobs with 3 runs each) answering every request after 20 ms.
//!
//! ```text
//! cargo build -p glue-pipeline && cargo run -p glue-pipeline --example pipeline_bench
//! cargo build --release -p glue-pipeline && cargo run --release -p glue-pipeline --example pipeline_bench
//! pipeline_bench [--workflows N] [--runs N] [--jobs N] [--latency-ms N] [--concurrency N]
//! ```
//!
//! It prints the requests per operation, the wall time against the bound the
//! request count sets at the configured concurrency (requests × latency ÷
//! concurrency, or the longest chain of calls that must follow each other), and
//! the resident memory of the process that runs the plugin (host and plugin; the
//! emulator runs in a child process) as the run goes. Records are counted and
//! dropped, as a sink does once it has written them.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glue_mock::pipelines::SyntheticPipelines;
use glue_mock::{Catalog, GlueMock, Pipelines};
use omctl_record::{Record, decode_batch};
use omctl_runtime::plugin::{HostCallbacks, LogLevel, Plugin, PluginConfig, Progress, RunOptions};
use serde_json::json;

struct Args {
    workflows: usize,
    runs: usize,
    jobs: usize,
    latency_ms: u64,
    concurrency: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        workflows: 2000,
        runs: 10,
        jobs: 5000,
        latency_ms: 20,
        concurrency: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--serve-mock" {
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{flag} expects a number, got {value}"))?;
        match flag.as_str() {
            "--workflows" => a.workflows = n as usize,
            "--runs" => a.runs = n as usize,
            "--jobs" => a.jobs = n as usize,
            "--latency-ms" => a.latency_ms = n,
            "--concurrency" => a.concurrency = n as usize,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// `VmRSS` or `VmHWM` of this process, in MiB.
fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The plugin next to this example's directory (`target/<profile>/`).
fn plugin_path() -> PathBuf {
    let exe = std::env::current_exe().expect("the example knows its path");
    let profile_dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target/<profile>/examples");
    profile_dir.join("libglue_pipeline.so")
}

struct QuietHost;

impl HostCallbacks for QuietHost {
    fn log(&self, _plugin: &str, level: LogLevel, _target: &str, message: &str) {
        if level == LogLevel::ERROR {
            eprintln!("plugin error: {message}");
        }
    }
    fn progress(&self, _plugin: &str, _progress: &Progress) {}
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// The emulator, in a child process so that its memory is not counted: prints its
/// URL, serves until its standard input closes.
fn serve_mock(a: &Args) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut recipe = SyntheticPipelines::new(a.workflows, a.runs, a.jobs);
    recipe.runs_per_job = 3;
    let catalog = Catalog {
        pipelines: Pipelines::synthetic(recipe),
        ..Catalog::sample()
    };
    let mock = rt.block_on(
        GlueMock::builder(catalog)
            .latency(Duration::from_millis(a.latency_ms))
            .log_requests(false)
            .start(),
    );
    println!("{}", mock.url());
    // Blocks until the parent closes the pipe; then report the request counts.
    let mut sink = String::new();
    let _ = std::io::stdin().read_line(&mut sink);
    println!(
        "{}",
        serde_json::to_string(&mock.request_counts()).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let a = args()?;
    if std::env::args().any(|x| x == "--serve-mock") {
        return serve_mock(&a);
    }
    let path = plugin_path();
    if !path.exists() {
        return Err(format!(
            "{} is missing: build it first with `cargo build -p glue-pipeline` (same profile)",
            path.display()
        ));
    }
    let plugin = Plugin::load(&path).map_err(|e| e.to_string())?;

    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .arg("--serve-mock")
        .args(std::env::args().skip(1))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the emulator process: {e}"))?;
    let mut child_out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut url = String::new();
    child_out.read_line(&mut url).map_err(|e| e.to_string())?;
    let url = url.trim().to_string();
    let source = json!({
        "type": "gluepipeline",
        "serviceName": "bench_pipelines",
        "serviceConnection": {"config": {
            "type": "GluePipeline",
            "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": "AKIDBENCH", "awsSecretAccessKey": "bench-secret",
                          "endPointURL": url},
            "connectionArguments": {"concurrency": a.concurrency}
        }},
        "sourceConfig": {"config": {"type": "PipelineMetadata",
                                    "lineageInformation": {"dbServiceNames": ["demo_glue"]}}}
    });
    let config = serde_json::to_value(PluginConfig::new(
        source,
        RunOptions {
            dry_run: false,
            log_level: Some("warn".into()),
            host_version: None,
        },
    ))
    .map_err(|e| e.to_string())?;

    println!(
        "{} workflows x {} runs, {} standalone jobs x 3 runs; {} ms per request; concurrency {}",
        a.workflows, a.runs, a.jobs, a.latency_ms, a.concurrency
    );
    let rss_start = memory_mib("VmRSS");
    let started = Instant::now();
    let mut session = plugin
        .open(&config, Arc::new(QuietHost))
        .map_err(|e| e.to_string())?;
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut samples: Vec<(u64, f64)> = Vec::new();
    let mut total = 0u64;
    while let Some(batch) = session.next_batch(500).map_err(|e| e.to_string())? {
        for record in decode_batch(&batch) {
            let kind = match record.map_err(|e| e.to_string())? {
                Record::Entity { .. } => "entities",
                Record::PipelineStatus { .. } => "statuses",
                Record::Lineage { .. } => "lineage",
                Record::ScopeComplete { .. } => "scopes",
                Record::Update { .. } => "updates",
                Record::TestCaseResult { .. } => "test results",
                Record::LineageReset { .. } => "lineage resets",
                Record::Event(e) => match e.level {
                    omctl_record::EventLevel::Warning => "warnings",
                    omctl_record::EventLevel::Failure => "failures",
                    omctl_record::EventLevel::Filtered => "filtered",
                },
            };
            *counts.entry(kind).or_default() += 1;
            total += 1;
        }
        if samples.last().is_none_or(|(n, _)| total >= n + 5000) {
            samples.push((total, memory_mib("VmRSS")));
        }
    }
    let wall = started.elapsed();
    drop(session);

    drop(child.stdin.take());
    let mut counts_line = String::new();
    child_out
        .read_line(&mut counts_line)
        .map_err(|e| e.to_string())?;
    let _ = child.wait();
    let requests: BTreeMap<String, u64> =
        serde_json::from_str(counts_line.trim()).map_err(|e| e.to_string())?;
    let total_requests: u64 = requests.values().sum();
    // Calls that wait for each other: listing pages, each workflow page with its
    // batch read.
    let chain: u64 = [
        "ListWorkflows",
        "BatchGetWorkflows",
        "GetTriggers",
        "GetJobs",
        "GetCrawlers",
    ]
    .iter()
    .map(|op| requests.get(*op).copied().unwrap_or(0))
    .sum();
    let latency = a.latency_ms as f64 / 1000.0;
    let parallel_bound = (total_requests - chain) as f64 * latency / a.concurrency as f64;
    let chain_bound = chain as f64 * latency;
    let bound = parallel_bound.max(chain_bound);

    println!("\nrecords: {total} {counts:?}");
    println!("requests: {total_requests} {requests:?}");
    println!(
        "wall time: {:.2} s; bound {:.2} s (max of {:.2} s for {} parallel requests / {} and {:.2} s for {} chained listing calls); ratio {:.2}",
        wall.as_secs_f64(),
        bound,
        parallel_bound,
        total_requests - chain,
        a.concurrency,
        chain_bound,
        chain,
        wall.as_secs_f64() / bound
    );
    println!(
        "memory: RSS {:.1} MiB at start, peak (VmHWM) {:.1} MiB; RSS by records received: {}",
        rss_start,
        memory_mib("VmHWM"),
        samples
            .iter()
            .step_by((samples.len() / 8).max(1))
            .map(|(n, m)| format!("{n}:{m:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

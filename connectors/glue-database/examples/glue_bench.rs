//! Throughput and memory of the `glue` plugin against a slow, large Glue.
//!
//! ```text
//! cargo build --release -p glue-database --lib --example glue_bench
//! target/release/examples/glue_bench \
//!     [--databases 500] [--tables 200] [--latency-ms 20] [--threads 8] [--endpoint URL]
//! ```
//!
//! With `--endpoint`, the catalog is served by a `glue-mock` process started
//! separately with the same sizes (`glue-mock --synthetic 500:200 --latency-ms 20`),
//! so that the memory figures are omctl's alone.
//!
//! Serves a generated catalog (`databases` × `tables`, realistic column mixes) from
//! glue-mock with a fixed delay per request, loads the real plugin library
//! (`libglue_database.so` next to the example's directory) as omctl does, pulls
//! every record and throws it away, and prints: wall time, the page-fetch bound
//! (Glue pages × latency ÷ threads, plus the sequential database listing), tables
//! per second, and peak resident memory (VmHWM) as the table count grows.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glue_mock::{GlueMock, Synthetic};
use omctl_runtime::plugin::{HostCallbacks, LogLevel, Plugin, PluginConfig, Progress, RunOptions};
use serde_json::json;

struct Quiet;

impl HostCallbacks for Quiet {
    fn log(&self, _plugin: &str, level: LogLevel, _target: &str, message: &str) {
        if level <= LogLevel::WARN {
            eprintln!("plugin: {message}");
        }
    }
    fn progress(&self, _plugin: &str, _progress: &Progress) {}
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// A line of `/proc/self/status` in MiB (`VmHWM`, `VmRSS`).
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn arg_text(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg(name: &str, default: u64) -> u64 {
    arg_text(name)
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} expects a number, got {v}"))
        })
        .unwrap_or(default)
}

fn plugin_path() -> PathBuf {
    // target/<profile>/examples/glue_bench -> target/<profile>/libglue_database.so
    let exe = std::env::current_exe().expect("own path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    dir.join(format!(
        "{}glue_database{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

fn main() {
    let databases = arg("--databases", 500) as usize;
    let tables = arg("--tables", 200) as usize;
    let latency = Duration::from_millis(arg("--latency-ms", 20));
    let threads = arg("--threads", 8);

    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let external = arg_text("--endpoint");
    let mock = match &external {
        Some(_) => None,
        None => Some(
            rt.block_on(
                GlueMock::builder(Synthetic::new(databases, tables))
                    .latency(latency)
                    .log_requests(false)
                    .start(),
            ),
        ),
    };
    let endpoint = external.unwrap_or_else(|| mock.as_ref().expect("started").url());
    let path = plugin_path();
    let plugin = Plugin::load(&path).unwrap_or_else(|e| {
        panic!("{e}\nbuild the plugin first: cargo build --release -p glue-database")
    });
    let source = json!({
        "type": "glue",
        "serviceName": "bench",
        "serviceConnection": {"config": {
            "type": "Glue",
            "awsConfig": {"awsAccessKeyId": "AKIDBENCH", "awsSecretAccessKey": "bench",
                          "awsRegion": "us-east-1", "endPointURL": endpoint}
        }},
        "sourceConfig": {"config": {"type": "DatabaseMetadata", "threads": threads}}
    });
    let config = serde_json::to_value(PluginConfig::new(source, RunOptions::default())).unwrap();

    let total = databases * tables;
    println!(
        "catalog: {databases} databases x {tables} tables = {total} tables; latency {} ms; threads {threads}",
        latency.as_millis()
    );
    println!("before run: VmHWM {:.1} MiB", status_mib("VmHWM:"));
    let start = Instant::now();
    let mut session = plugin.open(&config, Arc::new(Quiet)).expect("open");
    let (mut records, mut seen_tables, mut next_mark) = (0u64, 0usize, 10_000usize);
    while let Some(batch) = session.next_batch(1000).expect("next_batch") {
        for line in batch.lines() {
            records += 1;
            if line.starts_with(r#"{"record":"entity","kind":"table""#) {
                seen_tables += 1;
                if seen_tables == next_mark {
                    println!(
                        "{seen_tables:>7} tables after {:>6.2} s: VmHWM {:.1} MiB, VmRSS {:.1} MiB",
                        start.elapsed().as_secs_f64(),
                        status_mib("VmHWM:"),
                        status_mib("VmRSS:")
                    );
                    next_mark += if next_mark < 10_000 { 1_000 } else { 10_000 };
                }
            }
        }
    }
    let wall = start.elapsed();
    // Counted by the in-process mock; for an external one, what its paging implies.
    let (db_pages, table_pages) = match &mock {
        Some(m) => {
            let counts = m.request_counts();
            (
                counts.get("GetDatabases").copied().unwrap_or(0),
                counts.get("GetTables").copied().unwrap_or(0),
            )
        }
        None => (
            databases.div_ceil(100) as u64,
            (databases * tables.div_ceil(100).max(1)) as u64,
        ),
    };
    let bound = latency.as_secs_f64() * (db_pages as f64 + table_pages as f64 / threads as f64);
    println!("records: {records} ({seen_tables} tables)");
    println!("Glue pages: GetDatabases {db_pages}, GetTables {table_pages}");
    println!(
        "wall {:.2} s; page-fetch bound {:.2} s (database pages in sequence + table pages / {threads}); ratio {:.2}",
        wall.as_secs_f64(),
        bound,
        wall.as_secs_f64() / bound
    );
    println!("{:.0} tables/s", seen_tables as f64 / wall.as_secs_f64());
    println!("peak memory (VmHWM) {:.1} MiB", status_mib("VmHWM:"));
    assert_eq!(seen_tables, total, "every table arrived");
}

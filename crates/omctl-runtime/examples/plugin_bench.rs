//! Measures the plugin boundary: how long loading and checking a plugin takes, and
//! what each record costs to cross it.
//!
//! ```sh
//! cargo build --release -p catalog-connector
//! cargo build --release --manifest-path crates/connector-abi/tests/fixtures/Cargo.toml \
//!     --target-dir target/plugin-fixtures
//! cargo run --release -p omctl-runtime --example plugin_bench -- [--records N] [--batch N]
//! ```
//!
//! Libraries default to the ones built by the commands above for the profile this
//! example runs with (`--example PATH` and `--scripted PATH` override). Figures:
//!
//! * load: `Plugin::load` of a fresh copy of the example plugin (dlopen, abi_stable
//!   header, version and layout checks, manifest), median of several copies;
//! * discover: `PluginSet::discover` over a directory with two plugins;
//! * per record: the fixture plugin's `count` source emitting N small table
//!   records, pulled in batches and decoded into `Record`s by the host, divided
//!   by N. It includes building the records in the plugin, the channel, NDJSON
//!   encoding, the boundary call and decoding.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use omctl_record::decode_batch;
use omctl_runtime::plugin::{
    Discovery, HostCallbacks, LogLevel, Plugin, PluginConfig, PluginSet, Progress, RunOptions,
};
use serde_json::json;

struct QuietHost;

impl HostCallbacks for QuietHost {
    fn log(&self, _: &str, _: LogLevel, _: &str, _: &str) {}
    fn progress(&self, _: &str, _: &Progress) {}
    fn is_cancelled(&self) -> bool {
        false
    }
}

fn library(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// `target/<profile>` of this example binary (`target/release/examples/plugin_bench`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().expect("a directory").to_owned();
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("examples" | "deps") => dir.parent().expect("a parent").to_owned(),
        _ => dir,
    }
}

fn require(path: PathBuf, how: &str) -> PathBuf {
    if !path.is_file() {
        eprintln!("{} is missing; build it with:\n  {how}", path.display());
        std::process::exit(2);
    }
    path
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut records: u64 = 100_000;
    let mut batch: u32 = 500;
    let profile = profile_dir();
    let profile_name = profile
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let mut example = profile.join(library("catalog_connector"));
    let mut scripted = profile
        .parent()
        .expect("a target directory")
        .join("plugin-fixtures")
        .join(&profile_name)
        .join(library("fixture_scripted"));

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--records" => records = value().parse().expect("--records N"),
            "--batch" => batch = value().parse().expect("--batch N"),
            "--example" => example = value().into(),
            "--scripted" => scripted = value().into(),
            other => panic!("unknown argument {other}"),
        }
    }
    let release = if profile_name == "release" {
        " --release"
    } else {
        ""
    };
    let example = require(
        example,
        &format!("cargo build{release} -p catalog-connector"),
    );
    let scripted = require(
        scripted,
        &format!(
            "cargo build{release} --manifest-path crates/connector-abi/tests/fixtures/Cargo.toml --target-dir target/plugin-fixtures"
        ),
    );
    println!("profile: {profile_name}");

    // Load + check: each copy is a different file, so each is a real dlopen.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut loads = Vec::new();
    for i in 0..7 {
        let copy = dir.path().join(library(&format!("copy{i}")));
        std::fs::copy(&example, &copy).expect("copy the plugin");
        let start = Instant::now();
        let plugin = Plugin::load(&copy).expect("the example plugin loads");
        loads.push(start.elapsed());
        assert_eq!(plugin.name(), "catalog-connector");
    }
    println!(
        "load + check one plugin: median {:.2} ms (min {:.2}, max {:.2}; {} loads; target < 10 ms)",
        ms(median(loads.clone())),
        ms(*loads.iter().min().unwrap()),
        ms(*loads.iter().max().unwrap()),
        loads.len()
    );

    let two = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(&example, two.path().join(library("catalog_two"))).expect("copy");
    std::fs::copy(&scripted, two.path().join(library("scripted_two"))).expect("copy");
    let start = Instant::now();
    let set = PluginSet::discover(&Discovery::only([two.path().to_owned()])).expect("discover");
    let discover = start.elapsed();
    assert_eq!(set.plugins().len(), 2);
    println!(
        "discover a directory with two plugins: {:.2} ms",
        ms(discover)
    );

    let plugin = Plugin::load(&scripted).expect("the fixture plugin loads");
    let config = serde_json::to_value(PluginConfig::new(
        json!({"type": "count", "serviceName": "svc", "serviceConnection": {"config": {"count": records}}}),
        RunOptions::default(),
    ))
    .expect("config");
    for round in 0..3 {
        let start = Instant::now();
        let mut session = plugin.open(&config, Arc::new(QuietHost)).expect("open");
        let mut received = 0u64;
        let mut batches = 0u64;
        while let Some(text) = session.next_batch(batch).expect("a batch") {
            batches += 1;
            for record in decode_batch(&text) {
                record.expect("a valid record");
                received += 1;
            }
        }
        let elapsed = start.elapsed();
        assert_eq!(received, records);
        println!(
            "round {round}: {received} records in {batches} batches of <= {batch}: {:.1} ms, {:.2} µs/record (target < 10 µs)",
            ms(elapsed),
            elapsed.as_secs_f64() * 1e6 / received as f64
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

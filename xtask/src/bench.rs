//! `cargo xtask bench [NAME...]`: the performance figures the issues ask for.
//!
//! Each benchmark is an example program of the crate it measures (so it can be run
//! on its own too); this task builds what they load in release mode and runs them
//! one after another, printing their figures. Nothing here asserts a time: the
//! figures are read, compared with the targets below, and written in closing notes.

use std::path::Path;
use std::process::Command;

struct Bench {
    name: &'static str,
    target: &'static str,
    /// Packages whose libraries the example loads at run time.
    prebuild: &'static [&'static str],
    package: &'static str,
    example: &'static str,
    args: &'static [&'static str],
}

const BENCHES: &[Bench] = &[
    Bench {
        name: "types",
        target: "> 1,000,000 column types parsed and mapped per second",
        prebuild: &[],
        package: "hive-types",
        example: "bench",
        args: &[],
    },
    Bench {
        name: "plugin",
        target: "load + check < 10 ms; < 10 µs per record at 100k records",
        prebuild: &["catalog-connector"],
        package: "omctl-runtime",
        example: "plugin_bench",
        args: &[],
    },
    Bench {
        name: "sink",
        target: "10k tables at 5 ms/request within 1.5x of writes / window x 5 ms; memory flat 10k -> 100k",
        prebuild: &[],
        package: "om-client",
        example: "sink_bench",
        args: &[],
    },
    Bench {
        name: "glue",
        target: "100k tables / 500 databases at 20 ms/request, threads 8: near the page bound; < 100 MB, flat",
        prebuild: &["glue-database"],
        package: "glue-database",
        example: "glue_bench",
        args: &[],
    },
    Bench {
        name: "pipeline",
        target: "2,000 workflows x 10 runs + 5,000 jobs at 20 ms/request: near the request bound; memory flat",
        prebuild: &["glue-pipeline"],
        package: "glue-pipeline",
        example: "pipeline_bench",
        args: &[],
    },
    Bench {
        name: "manifest",
        target: "a 100 MB dbt manifest parsed in < 1 s with peak memory < 2x the file's size",
        prebuild: &[],
        package: "dbt-artifacts",
        example: "manifest_bench",
        args: &[],
    },
    Bench {
        name: "dbt",
        target: "1,000 models + 3,000 tests at 5 ms/request: <= 1/4 of the reference model's requests (26 per data model, from 610 seen for 23), >= 20x less wall time than that model's sequential run; a rerun writes ~0",
        prebuild: &["omctl", "dbt"],
        package: "om-mock",
        example: "dbt_bench",
        args: &[],
    },
];

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let unknown: Vec<&String> = args
        .iter()
        .filter(|a| !BENCHES.iter().any(|b| b.name == a.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
        return Err(format!(
            "unknown benchmark {unknown:?}; known: {}",
            names.join(", ")
        ));
    }
    let selected: Vec<&Bench> = BENCHES
        .iter()
        .filter(|b| args.is_empty() || args.iter().any(|a| a == b.name))
        .collect();

    let mut prebuild: Vec<&str> = selected.iter().flat_map(|b| b.prebuild).copied().collect();
    prebuild.sort_unstable();
    prebuild.dedup();
    if !prebuild.is_empty() {
        let mut a = vec!["build", "--release"];
        for p in &prebuild {
            a.extend(["-p", p]);
        }
        cargo(root, &a)?;
    }
    if selected.iter().any(|b| b.name == "plugin") {
        // The per-record figure uses the scripted test plugin, a workspace of its own.
        cargo(
            root,
            &[
                "build",
                "--release",
                "--manifest-path",
                "crates/connector-abi/tests/fixtures/Cargo.toml",
                "--target-dir",
                "target/plugin-fixtures",
            ],
        )?;
    }

    let mut failed = Vec::new();
    for b in selected {
        println!("\n=== bench {} (target: {})", b.name, b.target);
        let mut a = vec!["run", "--release", "-p", b.package, "--example", b.example];
        if !b.args.is_empty() {
            a.push("--");
            a.extend(b.args);
        }
        if let Err(e) = cargo(root, &a) {
            failed.push(format!("{}: {e}", b.name));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

//! Parse time and peak memory of a large manifest.
//!
//! ```text
//! cargo run --release -p dbt-artifacts --example manifest_bench             # ~100 MB, 5 runs
//! cargo run --release -p dbt-artifacts --example manifest_bench -- --mb 250 --runs 3
//! cargo run --release -p dbt-artifacts --example manifest_bench -- --parse path/to/manifest.json
//! cargo run --release -p dbt-artifacts --example manifest_bench -- --generate /tmp/m.json --mb 100
//! ```
//!
//! A synthetic manifest v12 is written to a temporary file: models shaped like
//! dbt-core 1.11's (full config block, a dozen documented columns, raw and
//! compiled SQL of a few KB), three generic tests per model, sources, macros,
//! parent and child maps. Each parse then runs in a fresh process (peak memory,
//! `VmHWM`, is per process) that reports the wall time of `Manifest::from_path`
//! — reading the file included — and its peak resident memory.

// The node literals are large json! invocations.
#![recursion_limit = "512"]

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

/// A line of `/proc/self/status` in KiB (`VmHWM:`, `VmRSS:`).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) used by this process so far, from
/// `/proc/self/stat` (clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are
            // the 14th and 15th of the line.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// The child: parse once, print one line of figures.
fn parse_once(path: &Path) {
    let size = std::fs::metadata(path).expect("manifest").len();
    let before = status_kib("VmHWM:");
    let cpu_before = cpu_secs();
    let start = Instant::now();
    let parsed = dbt_artifacts::Manifest::from_path(path).expect("the manifest parses");
    let elapsed = start.elapsed();
    let cpu = cpu_secs() - cpu_before;
    let peak = status_kib("VmHWM:");
    let m = &parsed.artifact;
    if std::env::var_os("BENCH_DEBUG").is_some() {
        // What the result holds, to see where memory goes.
        let text: usize = m
            .nodes()
            .iter()
            .map(|n| {
                n.raw_code.as_ref().map_or(0, String::len)
                    + n.compiled_code.as_ref().map_or(0, String::len)
                    + n.description.len()
                    + n.columns
                        .iter()
                        .map(|c| c.description.len() + c.name.len())
                        .sum::<usize>()
            })
            .sum();
        eprintln!(
            "rss after={} kib, node size={} column size={} text={} bytes",
            status_kib("VmRSS:"),
            std::mem::size_of::<dbt_artifacts::Node>(),
            std::mem::size_of::<dbt_artifacts::Column>(),
            text
        );
    }
    let columns: usize = m.nodes().iter().map(|n| n.columns.len()).sum();
    println!(
        "RESULT bytes={size} secs={:.4} cpu={cpu:.2} hwm_kib={peak} start_kib={before} nodes={} sources={} columns={columns} warnings={}",
        elapsed.as_secs_f64(),
        m.nodes().len(),
        m.sources().len(),
        parsed.warnings.len()
    );
    // Keep the result alive until the figures are taken.
    std::hint::black_box(&parsed);
}

/// xorshift64*: varied but reproducible lengths and words.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn words(&mut self, count: u64) -> String {
        const WORDS: &[&str] = &[
            "order", "customer", "amount", "the", "of", "per", "row", "\"net\"", "value", "status",
            "loyalty", "date", "key", "is", "null", "when", "updated", "daily", "revenue", "café",
            "region", "store", "ledger", "line",
        ];
        let mut out = String::new();
        for i in 0..count {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
        }
        out
    }
    /// `base` words and up to `extra` more.
    fn words_about(&mut self, base: u64, extra: u64) -> String {
        let n = base + self.below(extra);
        self.words(n)
    }
    fn sql_about(&mut self, base: u64, extra: u64) -> String {
        let n = base + self.below(extra);
        self.sql(n)
    }
    fn sql(&mut self, lines: u64) -> String {
        let mut out = String::from("with source as (\n    select * from {{ ref('upstream') }}\n)");
        for i in 0..lines {
            out.push_str(&format!(
                ",\nstep_{i} as (\n    select {}, sum(amount_{i}) as total_{i}\n    from source\n    where status <> 'void' -- {}\n    group by 1\n)",
                self.words(3).replace(' ', "_").replace('"', ""),
                self.words(6)
            ));
        }
        out.push_str("\nselect * from step_0");
        out
    }
}

fn model(rng: &mut Rng, i: usize) -> (String, Value) {
    let id = format!("model.bench.model_{i:06}");
    let parents: Vec<String> = (1..=rng.below(3) as usize + 1)
        .filter_map(|k| i.checked_sub(k * 7 + 1))
        .map(|p| format!("model.bench.model_{p:06}"))
        .chain(
            i.is_multiple_of(10)
                .then(|| format!("source.bench.raw.table_{:05}", i / 10)),
        )
        .collect();
    let mut columns = serde_json::Map::new();
    for c in 0..(8 + rng.below(9)) {
        let name = format!("column_{c:02}_{}", rng.words(1).replace(['"', 'é'], "x"));
        columns.insert(
            name.clone(),
            json!({
                "name": name,
                "description": rng.words_about(6, 14),
                "meta": {},
                "data_type": if c.is_multiple_of(3) { json!("varchar") } else { Value::Null },
                "constraints": [],
                "quote": null,
                "config": {"meta": {}, "tags": if c.is_multiple_of(5) { json!(["pii"]) } else { json!([]) }},
                "tags": if c.is_multiple_of(5) { json!(["pii"]) } else { json!([]) },
                "granularity": null,
                "doc_blocks": []
            }),
        );
    }
    let materialized = ["view", "table", "incremental", "ephemeral"][i % 4];
    let node = json!({
        "database": "awsdatacatalog",
        "schema": format!("schema_{}", i % 40),
        "name": format!("model_{i:06}"),
        "resource_type": "model",
        "package_name": "bench",
        "path": format!("marts/model_{i:06}.sql"),
        "original_file_path": format!("models/marts/model_{i:06}.sql"),
        "unique_id": id,
        "fqn": ["bench", "marts", format!("model_{i:06}")],
        "alias": format!("model_{i:06}"),
        "checksum": {"name": "sha256", "checksum": format!("{:064x}", rng.next())},
        "config": {
            "enabled": true, "alias": null, "schema": null, "database": null,
            "tags": ["mart"], "meta": {"owner": format!("team-{}", i % 12)},
            "group": null, "static_analysis": null, "materialized": materialized,
            "incremental_strategy": null, "batch_size": null, "lookback": 1, "begin": null,
            "persist_docs": {"relation": true, "columns": true}, "post-hook": [], "pre-hook": [],
            "quoting": {}, "column_types": {}, "full_refresh": null, "unique_key": null,
            "on_schema_change": "ignore", "on_configuration_change": "apply", "grants": {},
            "packages": [], "docs": {"show": true, "node_color": null},
            "contract": {"enforced": false, "alias_types": true}, "event_time": null,
            "concurrent_batches": null, "access": "protected", "freshness": null
        },
        "tags": ["mart"],
        "description": rng.words_about(20, 40),
        "columns": columns,
        "meta": {"owner": format!("team-{}", i % 12)},
        "group": null,
        "docs": {"show": true, "node_color": null},
        "patch_path": "bench://models/marts/_marts.yml",
        "build_path": null,
        "unrendered_config": {"materialized": materialized, "tags": ["mart"]},
        "created_at": 1_795_446_470.5 + i as f64,
        "relation_name": format!("\"awsdatacatalog\".\"schema_{}\".\"model_{i:06}\"", i % 40),
        "raw_code": rng.sql_about(4, 8),
        "doc_blocks": [],
        "language": "sql",
        "refs": parents.iter().filter(|p| p.starts_with("model.")).map(|p| json!({"name": &p[12..], "package": null, "version": null})).collect::<Vec<_>>(),
        "sources": if i.is_multiple_of(10) { json!([["raw", format!("table_{:05}", i / 10)]]) } else { json!([]) },
        "metrics": [],
        "functions": [],
        "depends_on": {"macros": ["macro.dbt.is_incremental"], "nodes": parents},
        "compiled_path": format!("target/compiled/bench/models/marts/model_{i:06}.sql"),
        "compiled": true,
        "compiled_code": rng.sql_about(6, 10),
        "extra_ctes_injected": true,
        "extra_ctes": [],
        "contract": {"enforced": false, "alias_types": true, "checksum": null},
        "access": "protected",
        "constraints": [],
        "version": null,
        "latest_version": null,
        "deprecation_date": null,
        "primary_key": ["column_00"],
        "time_spine": null
    });
    (id_of(&node), node)
}

fn id_of(node: &Value) -> String {
    node["unique_id"].as_str().unwrap_or_default().to_string()
}

fn test(rng: &mut Rng, model_index: usize, k: usize) -> (String, Value) {
    let kind = ["not_null", "unique", "accepted_values"][k % 3];
    let model = format!("model_{model_index:06}");
    let name = format!("{kind}_{model}_column_00");
    let id = format!("test.bench.{name}.{:010x}", rng.next() & 0xff_ffff_ffff);
    let mut kwargs = json!({"column_name": "column_00", "model": format!("{{{{ get_where_subquery(ref('{model}')) }}}}")});
    if kind == "accepted_values" {
        kwargs["values"] = json!(["a", "b", "c"]);
    }
    let node = json!({
        "database": "awsdatacatalog",
        "schema": "dbt_test__audit",
        "name": name,
        "resource_type": "test",
        "package_name": "bench",
        "path": format!("{name}.sql"),
        "original_file_path": "models/marts/_marts.yml",
        "unique_id": id,
        "fqn": ["bench", "marts", name],
        "alias": name,
        "checksum": {"name": "none", "checksum": ""},
        "config": {
            "enabled": true, "alias": null, "schema": "dbt_test__audit", "database": null,
            "tags": [], "meta": {}, "group": null, "static_analysis": null,
            "materialized": "test", "severity": "ERROR", "store_failures": null,
            "store_failures_as": null, "where": null, "limit": null,
            "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0"
        },
        "tags": [],
        "description": "",
        "columns": {},
        "meta": {},
        "group": null,
        "docs": {"show": true, "node_color": null},
        "patch_path": null,
        "build_path": null,
        "unrendered_config": {},
        "created_at": 1_795_446_470.8,
        "relation_name": null,
        "raw_code": format!("{{{{ test_{kind}(**_dbt_generic_test_kwargs) }}}}"),
        "doc_blocks": [],
        "language": "sql",
        "refs": [{"name": model, "package": null, "version": null}],
        "sources": [],
        "metrics": [],
        "functions": [],
        "depends_on": {"macros": [format!("macro.dbt.test_{kind}"), "macro.dbt.get_where_subquery"], "nodes": [format!("model.bench.{model}")]},
        "compiled_path": format!("target/compiled/bench/models/marts/_marts.yml/{name}.sql"),
        "compiled": true,
        "compiled_code": format!("\n\n\nselect column_00\nfrom \"awsdatacatalog\".\"schema_{}\".\"{model}\"\nwhere column_00 is null\n\n\n", model_index % 40),
        "extra_ctes_injected": true,
        "extra_ctes": [],
        "contract": {"enforced": false, "alias_types": true, "checksum": null},
        "column_name": "column_00",
        "file_key_name": "models.marts",
        "attached_node": format!("model.bench.{model}"),
        "test_metadata": {"name": kind, "kwargs": kwargs, "namespace": null}
    });
    (id, node)
}

fn source(rng: &mut Rng, i: usize) -> (String, Value) {
    let id = format!("source.bench.raw.table_{i:05}");
    let node = json!({
        "database": "awsdatacatalog", "schema": "raw", "name": format!("table_{i:05}"),
        "resource_type": "source", "package_name": "bench",
        "path": "models/staging/_sources.yml", "original_file_path": "models/staging/_sources.yml",
        "unique_id": id, "fqn": ["bench", "staging", "raw", format!("table_{i:05}")],
        "source_name": "raw", "source_description": rng.words(10), "loader": "",
        "identifier": format!("table_{i:05}_v1"),
        "quoting": {"database": null, "schema": null, "identifier": null, "column": null},
        "loaded_at_field": "_loaded_at", "loaded_at_query": null,
        "freshness": {"warn_after": {"count": 6, "period": "hour"}, "error_after": {"count": 24, "period": "hour"}, "filter": null},
        "external": null, "description": rng.words(15),
        "columns": {"id": {"name": "id", "description": rng.words(5), "meta": {}, "data_type": null, "constraints": [], "quote": null, "config": {"meta": {}, "tags": []}, "tags": [], "granularity": null, "doc_blocks": []}},
        "meta": {}, "source_meta": {}, "tags": ["raw"],
        "config": {"enabled": true, "event_time": null, "meta": {}, "tags": ["raw"]},
        "patch_path": null, "unrendered_config": {}, "relation_name": format!("\"awsdatacatalog\".\"raw\".\"table_{i:05}_v1\""),
        "created_at": 1_795_446_471.3, "unrendered_database": null, "unrendered_schema": "raw", "doc_blocks": []
    });
    (id, node)
}

fn macro_entry(rng: &mut Rng, i: usize) -> (String, Value) {
    let id = format!("macro.bench.macro_{i:05}");
    let node = json!({
        "name": format!("macro_{i:05}"), "resource_type": "macro", "package_name": "bench",
        "path": format!("macros/macro_{i:05}.sql"), "original_file_path": format!("macros/macro_{i:05}.sql"),
        "unique_id": id,
        "macro_sql": format!("{{% macro macro_{i:05}(relation) %}}\n{}\n{{% endmacro %}}", rng.sql(3)),
        "depends_on": {"macros": []}, "description": "", "meta": {},
        "docs": {"show": true, "node_color": null}, "patch_path": null, "arguments": [],
        "created_at": 1_795_446_469.0, "supported_languages": null
    });
    (id, node)
}

/// Writes `"key": {entries…}` with each entry serialised on its own.
fn write_section(
    out: &mut impl Write,
    key: &str,
    entries: impl Iterator<Item = (String, Value)>,
) -> std::io::Result<()> {
    write!(out, ",\"{key}\":{{")?;
    for (n, (id, value)) in entries.enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &id)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, &value)?;
    }
    out.write_all(b"}")
}

fn generate(path: &Path, target_bytes: u64) -> std::io::Result<(usize, usize)> {
    // Size one model with its tests to pick the model count.
    let mut probe = Rng(7);
    let sample: usize = (0..50)
        .map(|i| {
            let (_, m) = model(&mut probe, i + 100);
            let tests: usize = (0..3)
                .map(|k| {
                    serde_json::to_string(&test(&mut probe, i, k).1)
                        .unwrap()
                        .len()
                })
                .sum();
            serde_json::to_string(&m).unwrap().len() + tests
        })
        .sum::<usize>()
        / 50;
    let models = (target_bytes as usize * 96 / 100) / sample;
    let sources = models / 10 + 1;
    let macros = 1500;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"{\"metadata\":")?;
    serde_json::to_writer(
        &mut out,
        &json!({
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.16", "generated_at": "2026-11-23T15:08:20.158859Z",
            "invocation_id": "00000000-0000-4000-8000-000000000000",
            "invocation_started_at": "2026-11-23T15:07:47.909435+00:00", "env": {},
            "project_name": "bench", "project_id": "0123456789abcdef0123456789abcdef",
            "user_id": null, "send_anonymous_usage_stats": false, "adapter_type": "athena",
            "quoting": {"database": true, "schema": true, "identifier": true, "column": null},
            "run_started_at": "2026-11-23T15:07:47.910175+00:00"
        }),
    )?;
    let mut rng_tests = Rng(0xD1B5_4A32_D192_ED03);
    write_section(
        &mut out,
        "nodes",
        (0..models).flat_map(|i| {
            let m = model(&mut rng, i);
            let tests: Vec<_> = (0..3).map(|k| test(&mut rng_tests, i, k)).collect();
            std::iter::once(m).chain(tests)
        }),
    )?;
    let mut rng_sources = Rng(42);
    write_section(
        &mut out,
        "sources",
        (0..sources).map(|i| source(&mut rng_sources, i)),
    )?;
    let mut rng_macros = Rng(43);
    write_section(
        &mut out,
        "macros",
        (0..macros).map(|i| macro_entry(&mut rng_macros, i)),
    )?;
    out.write_all(
        b",\"docs\":{},\"exposures\":{},\"metrics\":{},\"groups\":{},\"selectors\":{},\"disabled\":{}",
    )?;
    // dbt's parent and child maps: one list per node.
    let map = |child: bool| {
        (0..models).map(move |i| {
            let id = format!("model.bench.model_{i:06}");
            let other = if child { i + 7 } else { i.saturating_sub(7) };
            (id, json!([format!("model.bench.model_{other:06}")]))
        })
    };
    write_section(&mut out, "parent_map", map(false))?;
    write_section(&mut out, "child_map", map(true))?;
    out.write_all(
        b",\"group_map\":{},\"saved_queries\":{},\"semantic_models\":{},\"unit_tests\":{}}",
    )?;
    out.flush()?;
    Ok((models, sources))
}

struct Args {
    mb: u64,
    runs: usize,
    parse: Option<PathBuf>,
    /// Only write the manifest there (and keep it).
    generate: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut a = Args {
        mb: 100,
        runs: 5,
        parse: None,
        generate: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match arg.as_str() {
            "--mb" => a.mb = value("--mb").parse().expect("megabytes"),
            "--runs" => a.runs = value("--runs").parse().expect("a number"),
            "--parse" => a.parse = Some(PathBuf::from(value("--parse"))),
            "--generate" => a.generate = Some(PathBuf::from(value("--generate"))),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    if let Some(path) = &args.parse {
        parse_once(path);
        return;
    }
    if let Some(path) = &args.generate {
        let (models, _) = generate(path, args.mb * 1_000_000).expect("writing the manifest");
        println!("{}: {models} models", path.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("dbt-artifacts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("manifest.json");
    let start = Instant::now();
    let (models, sources) = generate(&path, args.mb * 1_000_000).expect("writing the manifest");
    let size = std::fs::metadata(&path).expect("manifest").len();
    println!(
        "generated {} ({:.1} MB: {models} models, {} tests, {sources} sources, 1500 macros) in {:.1} s",
        path.display(),
        size as f64 / 1e6,
        models * 3,
        start.elapsed().as_secs_f64()
    );

    let exe = std::env::current_exe().expect("own path");
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut peaks = Vec::new();
    for run in 1..=args.runs {
        let child = Command::new(&exe)
            .arg("--parse")
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the parse");
        let output = child.wait_with_output().expect("the parse ran");
        assert!(output.status.success(), "the parse failed");
        let line = BufReader::new(&output.stdout[..])
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("RESULT "))
            .expect("a RESULT line");
        let field = |key: &str| -> String {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                .unwrap_or_default()
                .to_string()
        };
        let secs: f64 = field("secs").parse().unwrap_or(f64::NAN);
        let cpu: f64 = field("cpu").parse().unwrap_or(f64::NAN);
        let hwm: f64 = field("hwm_kib").parse::<f64>().unwrap_or(f64::NAN) * 1024.0;
        println!(
            "run {run}: {:.3} s wall, {cpu:.2} s CPU, peak RSS {:.1} MB ({:.2}× the file), {} nodes, {} columns, {} warnings",
            secs,
            hwm / 1e6,
            hwm / size as f64,
            field("nodes"),
            field("columns"),
            field("warnings"),
        );
        times.push(secs);
        cpus.push(cpu);
        peaks.push(hwm);
    }
    times.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    peaks.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "median of {}: {:.3} s wall ({:.0} MB/s), {:.2} s CPU, peak RSS {:.1} MB = {:.2}× the {:.1} MB file",
        args.runs,
        median(&times),
        size as f64 / 1e6 / median(&times),
        median(&cpus),
        median(&peaks) / 1e6,
        median(&peaks) / size as f64,
        size as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}

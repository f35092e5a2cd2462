//! Analyses per second on the jaffle fixture's six models (compiled SQL and
//! catalog columns, as the dbt connector passes them).
//!
//! `cargo run --release -p sql-lineage --example jaffle_bench [rounds]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use dbt_artifacts::{Artifacts, ResourceType};
use sql_lineage::{Dialect, RelationName, analyze};

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dbt/jaffle/artifacts");
    let artifacts = Artifacts::load(dir.as_path()).expect("the jaffle fixture loads");
    let catalog = artifacts
        .catalog
        .as_ref()
        .expect("the fixture has a catalog");
    let columns: BTreeMap<String, Vec<String>> = catalog
        .nodes()
        .iter()
        .chain(catalog.sources())
        .map(|t| {
            let name = [&t.database, &t.schema, &t.name]
                .into_iter()
                .flatten()
                .map(|p| p.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(".");
            (name, t.columns.iter().map(|c| c.name.clone()).collect())
        })
        .collect();
    let lookup = |r: &RelationName| columns.get(&r.to_string().to_ascii_lowercase()).cloned();
    let models: Vec<&str> = artifacts
        .manifest
        .nodes_of(&ResourceType::Model)
        .filter_map(|n| n.compiled_code.as_deref())
        .collect();
    let bytes: usize = models.iter().map(|m| m.len()).sum();

    let start = Instant::now();
    let mut output_columns = 0usize;
    for _ in 0..rounds {
        for sql in &models {
            let analysis =
                analyze(sql, Dialect::DuckDb, &lookup).expect("the fixture's SQL analyses");
            output_columns += analysis.columns.len();
        }
    }
    let elapsed = start.elapsed();
    let analyses = rounds * models.len();
    println!(
        "{analyses} analyses of {} models ({bytes} bytes of SQL) in {:.3} s: {:.0} analyses/s, {:.1} µs each, {output_columns} output columns",
        models.len(),
        elapsed.as_secs_f64(),
        analyses as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / analyses as f64,
    );
}

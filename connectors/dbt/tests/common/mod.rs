//! Helpers shared by the connector's integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};

use connector_sdk::testkit::{self, TestRun};
use connector_sdk::{EventLevel, Record};
use dbt::DbtConnector;
use omctl_record::EntityUpdate;
use serde_json::{Value, json};

pub const SERVICE: &str = "glue_svc";

/// The jaffle fixture's artifacts (real dbt-core 1.11 output).
pub fn jaffle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/dbt/jaffle/artifacts")
}

/// A `local` dbtConfigSource for the artifacts of `dir` (every file dbt writes).
pub fn local_source(dir: &Path) -> Value {
    let file = |name: &str| dir.join(name).display().to_string();
    json!({
        "dbtConfigType": "local",
        "dbtManifestFilePath": file("manifest.json"),
        "dbtCatalogFilePath": file("catalog.json"),
        "dbtRunResultsFilePath": file("run_results.json"),
        "dbtSourcesFilePath": file("sources.json"),
    })
}

/// A workflow `source` section for the dbt connector; the keys of `extra` are
/// set in `sourceConfig.config`.
pub fn source(config_source: Value, extra: Value) -> Value {
    let config = with(
        json!({"type": "DBT", "dbtConfigSource": config_source}),
        extra,
    );
    json!({
        "type": "dbt",
        "serviceName": SERVICE,
        "sourceConfig": {"config": config},
    })
}

/// `base` with the top-level keys of `extra` set (replacing what was there).
pub fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

pub fn run(source: Value) -> TestRun {
    testkit::run(DbtConnector, source)
}

/// The jaffle fixture run with `extra` settings.
pub fn run_jaffle(extra: Value) -> TestRun {
    let run = run(source(local_source(&jaffle_dir()), extra));
    run.assert_ok();
    run
}

/// The update record of a table.
pub fn update<'a>(run: &'a TestRun, fqn: &str) -> Option<&'a EntityUpdate> {
    run.records.iter().find_map(|r| match r {
        Record::Update { fqn: f, update, .. } if f == fqn => Some(update),
        _ => None,
    })
}

/// The FQNs of the table updates, in order.
pub fn updated_tables(run: &TestRun) -> Vec<&str> {
    run.records
        .iter()
        .filter_map(|r| match r {
            Record::Update { fqn, .. } => Some(fqn.as_str()),
            _ => None,
        })
        .collect()
}

/// `(from, to)` of every lineage record, in order.
pub fn edges(run: &TestRun) -> Vec<(String, String)> {
    run.records
        .iter()
        .filter_map(|r| match r {
            Record::Lineage { from, to, .. } => Some((from.fqn.clone(), to.fqn.clone())),
            _ => None,
        })
        .collect()
}

/// The lineage record from `from` to `to`.
pub fn edge<'a>(run: &'a TestRun, from: &str, to: &str) -> Option<&'a Record> {
    run.records.iter().find(
        |r| matches!(r, Record::Lineage { from: f, to: t, .. } if f.fqn == from && t.fqn == to),
    )
}

/// The reasons of the events of one level, each prefixed by the event's name.
pub fn event_texts(run: &TestRun, level: EventLevel) -> Vec<String> {
    run.events(level)
        .iter()
        .map(|e| format!("{}: {}", e.name, e.reason))
        .collect()
}

/// The result record of a test case.
pub fn result_of<'a>(run: &'a TestRun, test_case: &str) -> Option<&'a Value> {
    run.records.iter().find_map(|r| match r {
        Record::TestCaseResult {
            test_case: t,
            result,
        } if t == test_case => Some(result),
        _ => None,
    })
}

/// A temporary dbt `target/` directory with the given artifacts.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, content: &Value) -> &Self {
        self.write_text(name, &serde_json::to_string_pretty(content).unwrap())
    }

    pub fn write_text(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.dir.path().join(name), text).expect("write artifact");
        self
    }

    /// A `local` source naming only the files that exist.
    pub fn local_source(&self) -> Value {
        let mut out = json!({"dbtConfigType": "local"});
        for (key, name) in [
            ("dbtManifestFilePath", "manifest.json"),
            ("dbtCatalogFilePath", "catalog.json"),
            ("dbtRunResultsFilePath", "run_results.json"),
            ("dbtSourcesFilePath", "sources.json"),
        ] {
            let path = self.dir.path().join(name);
            if path.exists() || key == "dbtManifestFilePath" {
                out[key] = json!(path.display().to_string());
            }
        }
        out
    }

    pub fn run(&self, extra: Value) -> TestRun {
        run(source(self.local_source(), extra))
    }
}

/// `https://schemas.getdbt.com/dbt/<kind>/v<n>.json`.
pub fn schema(kind: &str, version: u32) -> String {
    format!("https://schemas.getdbt.com/dbt/{kind}/v{version}.json")
}

//! Shared setup: a Glue emulator serving the sample (or a given) catalog with
//! pipelines, a `source` section pointing at it, and a stable view of a run's
//! records for snapshots.

#![allow(dead_code)]

use connector_sdk::testkit::{self, TestRun};
use connector_sdk::{EventLevel, Record};
use glue_mock::{Catalog, GlueMock, Pipelines};
use glue_pipeline::GluePipelineConnector;
use serde_json::{Map, Value, json};

pub const SERVICE: &str = "glue_jobs";

/// Whole seconds, so that offsets from it are exact in milliseconds.
pub fn anchor() -> f64 {
    glue_mock::pipelines::now_secs().floor()
}

/// The sample catalog with the sample pipelines' runs placed before `anchor`.
pub fn sample_catalog(anchor: f64) -> Catalog {
    let mut c = Catalog::sample();
    c.pipelines = Pipelines::sample_at(anchor);
    c
}

pub fn catalog_with(pipelines: Pipelines) -> Catalog {
    let mut c = Catalog::sample();
    c.pipelines = pipelines;
    c
}

/// A `source` section for the mock. `args` are merged into `connectionArguments`
/// (fast retries are always on), `config` into `sourceConfig.config`.
pub fn source(mock: &GlueMock, args: Value, config: Value) -> Value {
    let mut arguments = json!({"retryInitialBackoffMs": 1});
    merge(&mut arguments, args);
    let mut source_config = json!({"type": "PipelineMetadata"});
    merge(&mut source_config, config);
    json!({
        "type": "gluepipeline",
        "serviceName": SERVICE,
        "serviceConnection": {"config": {
            "type": "GluePipeline",
            "awsConfig": {
                "awsRegion": "us-east-2",
                "awsAccessKeyId": "AKIDPIPELINETEST",
                "awsSecretAccessKey": "pipeline-secret-value",
                "endPointURL": mock.url()
            },
            "connectionArguments": arguments
        }},
        "sourceConfig": {"config": source_config}
    })
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        for (k, v) in b {
            a.insert(k, v);
        }
    }
}

pub fn run(source: Value) -> TestRun {
    testkit::run(GluePipelineConnector, source)
}

/// `timestamp`, `startTime`, `endTime` as offsets from the anchor (`now-300s`).
fn relative_times(v: &mut Value, anchor_ms: i64) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if matches!(k.as_str(), "timestamp" | "startTime" | "endTime")
                    && let Some(t) = child.as_i64()
                {
                    *child = json!(format!("now{:+}s", (t - anchor_ms) / 1000));
                } else if k == "startDate" {
                    *child = json!("[startDate]");
                } else {
                    relative_times(child, anchor_ms);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| relative_times(i, anchor_ms)),
        _ => {}
    }
}

/// A run's records in an order that does not depend on task scheduling: entities
/// as sent (the listing order), statuses by pipeline and time, lineage and events
/// sorted, scope markers last.
pub fn stable_view(run: &TestRun, anchor: f64) -> Value {
    let anchor_ms = (anchor * 1000.0) as i64;
    let mut entities = Vec::new();
    let mut statuses = Vec::new();
    let mut lineage = Vec::new();
    let mut events = Vec::new();
    let mut scopes = Vec::new();
    for r in &run.records {
        let mut v = serde_json::to_value(r).unwrap();
        relative_times(&mut v, anchor_ms);
        match r {
            Record::Entity { .. } => entities.push(v),
            Record::PipelineStatus { pipeline, status } => statuses.push((
                pipeline.clone(),
                -status["timestamp"].as_i64().unwrap_or(0),
                v,
            )),
            Record::Lineage { .. } => lineage.push(v),
            Record::Event(_) => events.push(v),
            Record::ScopeComplete { .. } => scopes.push(v),
            other => panic!("the pipeline connector does not send {}", other.subject()),
        }
    }
    statuses.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let key = |v: &Value| v.to_string();
    lineage.sort_by_key(key);
    events.sort_by_key(key);
    let mut out = Map::new();
    out.insert("entities".into(), Value::Array(entities));
    out.insert(
        "statuses".into(),
        Value::Array(statuses.into_iter().map(|s| s.2).collect()),
    );
    out.insert("lineage".into(), Value::Array(lineage));
    out.insert("events".into(), Value::Array(events));
    out.insert("scopes".into(), Value::Array(scopes));
    Value::Object(out)
}

/// The statuses of one pipeline as (executionStatus, timestamp), newest first.
pub fn statuses_of<'a>(run: &'a TestRun, pipeline: &str) -> Vec<&'a Value> {
    let mut v: Vec<&Value> = run
        .records
        .iter()
        .filter_map(|r| match r {
            Record::PipelineStatus {
                pipeline: p,
                status,
            } if p == pipeline => Some(status),
            _ => None,
        })
        .collect();
    v.sort_by_key(|s| -s["timestamp"].as_i64().unwrap_or(0));
    v
}

/// Every lineage edge as `from -> to (pipeline)`, sorted.
pub fn edges(run: &TestRun) -> Vec<String> {
    let mut v: Vec<String> = run
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Lineage { from, to, details } => Some(format!(
                "{} -> {} ({})",
                from.fqn,
                to.fqn,
                details
                    .as_ref()
                    .and_then(|d| d["pipeline"]["fqn"].as_str())
                    .unwrap_or("-")
            )),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

pub fn messages(run: &TestRun, level: EventLevel) -> Vec<String> {
    let mut v: Vec<String> = run
        .events(level)
        .iter()
        .map(|e| format!("{}: {}", e.name, e.reason))
        .collect();
    v.sort();
    v
}

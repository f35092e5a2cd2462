//! Helpers shared by the connector's integration tests.
#![allow(dead_code)] // each test file uses a different subset

use connector_sdk::testkit::{self, TestRun};
use connector_sdk::{EntityKind, EventLevel, Record};
use glue_database::GlueDatabaseConnector;
use serde_json::{Value, json};

pub const SERVICE: &str = "glue_prod";

/// A workflow `source` section pointing at `endpoint` with test keys.
pub fn source(endpoint: &str, connection_extra: Value, source_config: Value) -> Value {
    let mut conn = json!({
        "type": "Glue",
        "awsConfig": {
            "awsAccessKeyId": "AKIDTEST",
            "awsSecretAccessKey": "test-secret",
            "awsRegion": "us-east-2",
            "endPointURL": endpoint
        },
        "connectionArguments": {"retryInitialBackoffMs": 1}
    });
    merge(&mut conn, connection_extra);
    let mut sc = json!({"type": "DatabaseMetadata"});
    merge(&mut sc, source_config);
    json!({
        "type": "glue",
        "serviceName": SERVICE,
        "serviceConnection": {"config": conn},
        "sourceConfig": {"config": sc}
    })
}

/// Deep-merges `extra` into `base` (objects merge, anything else replaces).
pub fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

pub fn run(source: Value) -> TestRun {
    testkit::run(GlueDatabaseConnector, source)
}

/// The FQN minus its last name.
fn parent_of(fqn: &str) -> String {
    let parts = om_spec::fqn::split(fqn).unwrap_or_default();
    parts[..parts.len().saturating_sub(1)].join(".")
}

/// The schema a table-phase record belongs to; `None` for records of the first
/// phase (service, databases, schemas), which come in a fixed order.
fn table_phase_schema(r: &Record) -> Option<String> {
    match r {
        Record::Entity {
            kind: EntityKind::Table,
            parent,
            ..
        } => parent.clone(),
        Record::Lineage { to, .. } => Some(parent_of(&to.fqn)),
        Record::ScopeComplete {
            kind: EntityKind::Table,
            parent,
        } => Some(parent.clone()),
        Record::Event(e) if e.kind == Some(EntityKind::Table) => Some(parent_of(&e.name)),
        Record::Event(e)
            if e.kind == Some(EntityKind::DatabaseSchema) && e.level == EventLevel::Failure =>
        {
            Some(e.name.clone())
        }
        _ => None,
    }
}

/// The records in an order that does not depend on how schemas listed at the
/// same time interleaved: first-phase records as sent, then each schema's
/// records (in the order the connector sent them) by schema FQN.
pub fn normalized(records: &[Record]) -> Vec<Record> {
    let mut keyed: Vec<(Option<String>, &Record)> =
        records.iter().map(|r| (table_phase_schema(r), r)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, r)| r.clone()).collect()
}

/// The records of one kind of event, as `(name, reason)`.
pub fn events(run: &TestRun, level: EventLevel) -> Vec<(String, String)> {
    run.events(level)
        .into_iter()
        .map(|e| (e.name.clone(), e.reason.clone()))
        .collect()
}

/// The table FQNs whose listing completed.
pub fn completed(run: &TestRun, kind: EntityKind) -> Vec<String> {
    let mut v: Vec<String> = run
        .completed_scopes()
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, p)| p.to_string())
        .collect();
    v.sort();
    v
}

/// Table names (last FQN part) in the order sent.
pub fn table_names(run: &TestRun) -> Vec<String> {
    run.fqns(EntityKind::Table)
        .into_iter()
        .map(|f| om_spec::fqn::split(f).unwrap().pop().unwrap())
        .collect()
}

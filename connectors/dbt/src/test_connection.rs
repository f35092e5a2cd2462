//! `omctl test-connection` for dbt: the artifacts can be fetched and read.
//!
//! Steps: `Fetch artifacts` and `Read manifest` are mandatory; `Read catalog`,
//! `Read run_results` and `Read sources` are not (a run goes on without them,
//! with less to send). With several artifact sets (an S3 prefix holding several
//! projects) each message covers every set.

use connector_sdk::{TestConnectionReport, TestStep};
use dbt_artifacts::{ArtifactKind, Artifacts, ResourceType, Warning};

use crate::config::DbtConfig;
use crate::source::{fetch, load};

/// What the manifest holds, in one line.
pub fn manifest_summary(artifacts: &Artifacts) -> String {
    let m = &artifacts.manifest;
    let count = |kind: ResourceType| m.nodes_of(&kind).count();
    let version = m
        .metadata
        .schema_version
        .map_or_else(|| "of unknown version".to_string(), |v| format!("v{v}"));
    let dbt = m
        .metadata
        .dbt_version
        .as_deref()
        .map_or(String::new(), |v| format!(", dbt {v}"));
    let project = m
        .metadata
        .project_name
        .as_deref()
        .map_or(String::new(), |p| format!(", project {p}"));
    format!(
        "manifest {version}{dbt}{project}: {} models, {} sources, {} seeds, {} snapshots, {} tests, \
         {} exposures",
        count(ResourceType::Model),
        count(ResourceType::Source),
        count(ResourceType::Seed),
        count(ResourceType::Snapshot),
        count(ResourceType::Test),
        m.exposures().len()
    )
}

/// The problem reading an optional artifact, if any.
fn optional_problem(artifacts: &Artifacts, kind: ArtifactKind) -> Option<&Warning> {
    artifacts.warnings.iter().find(|w| match w {
        Warning::ArtifactMissing { kind: k, .. } | Warning::ArtifactUnusable { kind: k, .. } => {
            *k == kind
        }
        _ => false,
    })
}

fn optional_step(
    name: &str,
    kind: ArtifactKind,
    loaded: &[(String, Artifacts, Vec<String>)],
    describe_ok: impl Fn(&Artifacts) -> String,
) -> TestStep {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for (label, artifacts, _) in loaded {
        let prefix = if loaded.len() > 1 {
            format!("{label}: ")
        } else {
            String::new()
        };
        match optional_problem(artifacts, kind) {
            Some(w) => problems.push(format!("{prefix}{w}")),
            None => ok.push(format!("{prefix}{}", describe_ok(artifacts))),
        }
    }
    if problems.is_empty() {
        TestStep::passed(name, false, ok.join("; "))
    } else {
        let message = problems.join("; ");
        TestStep::failed(name, false, message.clone(), message)
    }
}

pub async fn run(cfg: &DbtConfig) -> TestConnectionReport {
    let mut steps = Vec::new();
    let fetched = match fetch(cfg).await {
        Ok(f) => f,
        Err(e) => {
            let message = e.to_string();
            steps.push(TestStep::failed(
                "Fetch artifacts",
                true,
                message.clone(),
                message,
            ));
            steps.push(TestStep::failed(
                "Read manifest",
                true,
                "not run: the artifacts could not be fetched",
                "",
            ));
            return TestConnectionReport { steps };
        }
    };
    let labels: Vec<&str> = fetched.sets.iter().map(|s| s.label.as_str()).collect();
    let mut fetch_message = format!(
        "{} dbt project{}: {}",
        labels.len(),
        if labels.len() == 1 { "" } else { "s" },
        labels.join(", ")
    );
    for w in &fetched.warnings {
        fetch_message.push_str("; ");
        fetch_message.push_str(w);
    }
    steps.push(TestStep::passed("Fetch artifacts", true, fetch_message));

    let mut loaded = Vec::new();
    let mut manifest_errors = Vec::new();
    for set in &fetched.sets {
        match load(set).await {
            Ok(artifacts) => {
                let notes: Vec<String> = artifacts
                    .warnings
                    .iter()
                    .filter(|w| {
                        matches!(
                            w,
                            Warning::UnknownSchemaVersion { .. }
                                | Warning::UnrecognisedSchemaVersion { .. }
                                | Warning::NodeSkipped { .. }
                        )
                    })
                    .map(|w| set.describe(&w.to_string()))
                    .collect();
                loaded.push((set.label.clone(), artifacts, notes));
            }
            Err(message) => manifest_errors.push(message),
        }
    }
    if manifest_errors.is_empty() {
        let lines: Vec<String> = loaded
            .iter()
            .map(|(label, artifacts, notes)| {
                let mut line = manifest_summary(artifacts);
                if loaded.len() > 1 {
                    line = format!("{label}: {line}");
                }
                for note in notes {
                    line.push_str(" (");
                    line.push_str(note);
                    line.push(')');
                }
                line
            })
            .collect();
        steps.push(TestStep::passed("Read manifest", true, lines.join("; ")));
    } else {
        let message = manifest_errors.join("; ");
        steps.push(TestStep::failed(
            "Read manifest",
            true,
            message.clone(),
            message,
        ));
    }
    if loaded.is_empty() {
        return TestConnectionReport { steps };
    }
    steps.push(optional_step(
        "Read catalog",
        ArtifactKind::Catalog,
        &loaded,
        |a| {
            let c = a.catalog.as_ref();
            format!(
                "catalog: {} tables and {} sources described",
                c.map_or(0, |c| c.nodes().len()),
                c.map_or(0, |c| c.sources().len())
            )
        },
    ));
    steps.push(optional_step(
        "Read run_results",
        ArtifactKind::RunResults,
        &loaded,
        |a| {
            let results: usize = a.run_results.iter().map(|r| r.results.len()).sum();
            format!(
                "run_results: {results} results in {} file{}",
                a.run_results.len(),
                if a.run_results.len() == 1 { "" } else { "s" }
            )
        },
    ));
    steps.push(optional_step(
        "Read sources",
        ArtifactKind::Sources,
        &loaded,
        |a| {
            format!(
                "sources.json: {} freshness results",
                a.sources.as_ref().map_or(0, |s| s.results.len())
            )
        },
    ));
    TestConnectionReport { steps }
}

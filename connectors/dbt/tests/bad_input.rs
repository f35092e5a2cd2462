//! Each bad-input case of issue 10 gives its message, and what can go on goes on.

mod common;

use common::*;
use connector_sdk::{ErrorKind, EventLevel};
use serde_json::json;

fn minimal_manifest(version: &str) -> serde_json::Value {
    json!({
        "metadata": {"dbt_schema_version": version, "generated_at": "2026-01-01T00:00:00Z"},
        "nodes": {
            "model.p.a": {"resource_type": "model", "name": "a", "database": "db", "schema": "s",
                          "description": "A.", "config": {"materialized": "table"}}
        },
        "sources": {}
    })
}

#[test]
fn missing_manifest_is_an_error_naming_the_file() {
    let project = Project::new();
    let run = project.run(json!({}));
    let error = run.error.as_ref().expect("the run fails");
    assert_eq!(error.kind, ErrorKind::Config);
    let path = project.path().join("manifest.json").display().to_string();
    assert!(error.message.contains(&path), "{}", error.message);
    assert!(
        error.message.starts_with("cannot read dbt manifest"),
        "{}",
        error.message
    );
    assert!(run.records.is_empty());
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let project = Project::new();
    project.write_text(
        "manifest.json",
        "{\n  \"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/manifest/v12.json\"},\n  \"nodes\": {\"model.p.a\": {\"name\": \"a\",}}\n}\n",
    );
    let run = project.run(json!({}));
    let error = run.error.as_ref().expect("the run fails");
    assert_eq!(error.kind, ErrorKind::Config);
    let path = project.path().join("manifest.json").display().to_string();
    assert!(
        error
            .message
            .starts_with(&format!("malformed dbt manifest {path} at line 3, column ")),
        "{}",
        error.message
    );
}

#[test]
fn node_missing_required_fields_is_a_warning_naming_it() {
    let project = Project::new();
    let mut manifest = minimal_manifest(&schema("manifest", 12));
    manifest["nodes"]["model.p.no_name"] = json!({"resource_type": "model", "schema": "s"});
    manifest["nodes"]["model.p.no_schema"] = json!({"resource_type": "model", "name": "x"});
    manifest["nodes"]["model.p.no_type"] = json!({"name": "y", "schema": "s"});
    project.write("manifest.json", &manifest);
    let run = project.run(json!({}));
    run.assert_ok();
    // The rest goes on.
    assert_eq!(updated_tables(&run), ["glue_svc.db.s.a"]);
    let warnings = event_texts(&run, EventLevel::Warning);
    for (id, field) in [
        ("model.p.no_name", "name"),
        ("model.p.no_schema", "schema"),
        ("model.p.no_type", "resource_type"),
    ] {
        assert!(
            warnings.iter().any(|w| w.starts_with(&format!("{id}: "))
                && w.contains(&format!("dbt node `{id}` has no `{field}`"))),
            "{id}: {warnings:#?}"
        );
    }
}

#[test]
fn newer_schema_version_is_read_with_a_warning() {
    let project = Project::new();
    project.write("manifest.json", &minimal_manifest(&schema("manifest", 13)));
    let run = project.run(json!({}));
    run.assert_ok();
    assert_eq!(updated_tables(&run), ["glue_svc.db.s.a"]);
    let warnings = event_texts(&run, EventLevel::Warning);
    assert!(
        warnings.iter().any(
            |w| w.contains("dbt manifest schema v13 is not a known version")
                && w.contains("read with the v20 layout")
        ),
        "{warnings:#?}"
    );
}

#[test]
fn missing_optional_artifacts_say_what_will_be_absent() {
    let project = Project::new();
    project.write("manifest.json", &minimal_manifest(&schema("manifest", 12)));
    // Configured but absent, and not configured at all.
    let mut config = project.local_source();
    config["dbtCatalogFilePath"] = json!(project.path().join("catalog.json").display().to_string());
    let run = run(source(config, json!({})));
    run.assert_ok();
    let warnings = event_texts(&run, EventLevel::Warning);
    let catalog = project.path().join("catalog.json").display().to_string();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("no dbt catalog at {catalog}"))
                && w.contains("column types and positions will come from the manifest only")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(
            |w| w.contains("no dbt run_results") && w.contains("there will be no test results")
        ),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("no dbt sources") && w.contains("no source freshness results")),
        "{warnings:#?}"
    );
    // The table is still updated.
    assert_eq!(updated_tables(&run), ["glue_svc.db.s.a"]);
}

#[test]
fn unusable_optional_artifact_is_a_warning_and_the_run_goes_on() {
    let project = Project::new();
    project.write("manifest.json", &minimal_manifest(&schema("manifest", 12)));
    project.write_text("run_results.json", "{\"results\": [");
    let run = project.run(json!({}));
    run.assert_ok();
    let warnings = event_texts(&run, EventLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("malformed dbt run_results")
                && w.contains("there will be no test results")),
        "{warnings:#?}"
    );
    assert_eq!(updated_tables(&run), ["glue_svc.db.s.a"]);
}

#[test]
fn unsupported_config_sources_say_what_to_use_instead() {
    let run = run(source(
        json!({"dbtConfigType": "gcs", "dbtSecurityConfig": {"gcpConfig": {"type": "service_account"}},
               "dbtPrefixConfig": {"dbtBucketName": "b"}}),
        json!({}),
    ));
    let error = run.error.as_ref().expect("the run fails");
    assert_eq!(error.kind, ErrorKind::Config, "{}", error.message);
    assert!(error.message.contains("local"), "{}", error.message);
}

#[test]
fn test_connection_names_a_missing_manifest() {
    let project = Project::new();
    let report = connector_sdk::testkit::test_connection(
        dbt::DbtConnector,
        source(project.local_source(), json!({})),
    )
    .unwrap();
    assert!(!report.passed());
    let manifest = &report.steps[1];
    assert_eq!(manifest.name, "Read manifest");
    assert!(!manifest.passed);
    let path = project.path().join("manifest.json").display().to_string();
    assert!(
        manifest
            .message
            .as_deref()
            .unwrap_or_default()
            .contains(&path),
        "{manifest:?}"
    );
}

//! Bad input: each case gives a message that says what and where.

use std::fs;
use std::path::Path;

use dbt_artifacts::{
    ArtifactKind, ArtifactPaths, Artifacts, Catalog, Error, Manifest, RunResults, Warning,
};

const V12: &str = "https://schemas.getdbt.com/dbt/manifest/v12.json";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn manifest_with_nodes(nodes: &str) -> String {
    format!(
        "{{\n  \"metadata\": {{\"dbt_schema_version\": \"{V12}\"}},\n  \"nodes\": {{\n{nodes}\n  }}\n}}\n"
    )
}

#[test]
fn missing_manifest_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    let err = Manifest::from_path(&path).unwrap_err();
    assert!(matches!(
        err,
        Error::Read {
            kind: ArtifactKind::Manifest,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read dbt manifest {}: No such file or directory (os error 2)",
            path.display()
        )
    );
    // Through the loader: a directory without a manifest, and no directory at all.
    let err = Artifacts::load(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let gone = dir.path().join("target");
    let err = Artifacts::load(gone.as_path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read dbt manifest {}: No such file or directory (os error 2)",
            gone.join("manifest.json").display()
        )
    );
}

#[test]
fn unreadable_manifest_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    fs::create_dir(&path).unwrap();
    let err = Manifest::from_path(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot read dbt manifest {}: ", path.display())),
        "{text}"
    );
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // Line 4 ends in a trailing comma before `}`.
    let text = manifest_with_nodes(
        "    \"model.p.a\": {\"name\": \"a\", \"schema\": \"s\", \"resource_type\": \"model\",}",
    );
    let path = write(dir.path(), "manifest.json", &text);
    let err = Manifest::from_path(&path).unwrap_err();
    let Error::Json { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*line, *column), (4, 72));
    assert_eq!(
        err.to_string(),
        format!("malformed dbt manifest {path} at line 4, column 72: trailing comma")
    );

    // Cut short.
    let err =
        Manifest::from_slice(&text.as_bytes()[..60], "http://host/manifest.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed dbt manifest http://host/manifest.json at line 2, column 58: \
         EOF while parsing a string"
    );

    // Valid JSON of the wrong shape inside a node.
    let text = manifest_with_nodes(
        "    \"model.p.a\": {\"name\": \"a\", \"schema\": \"s\", \"resource_type\": \"model\",\n      \"columns\": 5}",
    );
    let err = Manifest::from_slice(text.as_bytes(), "m.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed dbt manifest m.json at line 5, column 18: \
         invalid type: integer `5`, expected an object of columns"
    );

    // Not an object at all.
    let err = Catalog::from_slice(b"[1, 2]", "catalog.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed dbt catalog catalog.json at line 1, column 1: \
         invalid type: sequence, expected a JSON object"
    );
    let err = RunResults::from_slice(b"", "run_results.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed dbt run_results run_results.json at line 1, column 0: \
         EOF while parsing a value"
    );
    // A node's config that is not an object: the message says what was expected.
    let text = manifest_with_nodes(
        "    \"model.p.a\": {\"name\": \"a\", \"schema\": \"s\", \"config\": true}",
    );
    let err = Manifest::from_slice(text.as_bytes(), "m.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed dbt manifest m.json at line 4, column 60: \
         invalid type: boolean `true`, expected a node config (an object)"
    );
}

#[test]
fn nodes_missing_required_fields_are_skipped_with_a_warning() {
    let text = manifest_with_nodes(
        r#"    "model.p.no_name": {"schema": "s", "resource_type": "model"},
    "model.p.no_schema": {"name": "no_schema", "schema": null, "resource_type": "model"},
    "model.p.no_type": {"name": "no_type", "schema": "s"},
    "model.p.fine": {"name": "fine", "schema": "s", "resource_type": "model"}"#,
    );
    let text = text.replacen(
        "\"nodes\"",
        r#""sources": {"source.p.x.y": {"name": "y", "resource_type": "source", "source_name": "x"}},
  "exposures": {"exposure.p.e": {"type": "dashboard"}},
  "nodes""#,
        1,
    );
    let parsed = Manifest::from_slice(text.as_bytes(), "target/manifest.json").unwrap();
    let nodes: Vec<&str> = parsed
        .artifact
        .nodes()
        .iter()
        .map(|n| n.unique_id.as_str())
        .collect();
    assert_eq!(nodes, ["model.p.fine"]);
    assert!(parsed.artifact.sources().is_empty());
    assert!(parsed.artifact.exposures().is_empty());
    let messages: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "target/manifest.json: dbt node `model.p.no_name` has no `name`; it is skipped",
            "target/manifest.json: dbt node `model.p.no_schema` has no `schema`; it is skipped",
            "target/manifest.json: dbt node `model.p.no_type` has no `resource_type`; it is skipped",
            "target/manifest.json: dbt node `source.p.x.y` has no `schema`; it is skipped",
            "target/manifest.json: dbt node `exposure.p.e` has no `name`; it is skipped",
        ]
    );
}

#[test]
fn another_artifact_is_refused() {
    let text = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"}, "nodes": {}}"#;
    let err = Manifest::from_slice(text.as_bytes(), "target/manifest.json").unwrap_err();
    assert!(matches!(
        err,
        Error::WrongArtifact {
            expected: ArtifactKind::Manifest,
            ..
        }
    ));
    assert!(err.to_string().starts_with(
        "target/manifest.json is not a dbt manifest: its metadata.dbt_schema_version is \
         `https://schemas.getdbt.com/dbt/catalog/v1.json`"
    ));
}

#[test]
fn versionless_manifest_is_read_with_a_warning() {
    let text =
        r#"{"nodes": {"model.p.a": {"name": "a", "schema": "s", "resource_type": "model"}}}"#;
    let parsed = Manifest::from_slice(text.as_bytes(), "m.json").unwrap();
    assert_eq!(parsed.artifact.nodes().len(), 1);
    assert_eq!(
        parsed.warnings[0].to_string(),
        "m.json: metadata.dbt_schema_version is missing; it was read with the dbt manifest \
         v20 layout, so fields that changed may be missing"
    );
}

#[test]
fn results_without_id_or_status_are_skipped() {
    let text = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
      "results": [{"status": "pass"}, {"unique_id": "test.p.t"}, {"unique_id": "test.p.u", "status": "pass"}]}"#;
    let parsed = RunResults::from_slice(text.as_bytes(), "rr.json").unwrap();
    assert_eq!(parsed.artifact.results.len(), 1);
    let messages: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "rr.json: dbt node `results[0]` has no `unique_id`; it is skipped",
            "rr.json: dbt node `test.p.t` has no `status`; it is skipped",
        ]
    );
}

fn manifest_only(dir: &Path) {
    write(
        dir,
        "manifest.json",
        &manifest_with_nodes(
            r#"    "model.p.a": {"name": "a", "schema": "s", "resource_type": "model"}"#,
        ),
    );
}

#[test]
fn missing_optional_artifacts_say_what_will_be_absent() {
    let dir = tempfile::tempdir().unwrap();
    manifest_only(dir.path());
    let a = Artifacts::load(dir.path()).unwrap();
    assert_eq!(a.manifest.nodes().len(), 1);
    assert!(a.catalog.is_none() && a.run_results.is_empty() && a.sources.is_none());
    let d = dir.path().display();
    let messages: Vec<String> = a.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            format!(
                "no dbt catalog at {d}/catalog.json: column types and positions will come \
                 from the manifest only (`dbt docs generate` writes catalog.json)"
            ),
            format!("no dbt run_results at {d}/run_results.json: there will be no test results"),
            format!(
                "no dbt sources at {d}/sources.json: there will be no source freshness \
                 results (`dbt source freshness` writes sources.json)"
            ),
        ]
    );
    assert!(
        a.warnings
            .iter()
            .all(|w| matches!(w, Warning::ArtifactMissing { .. }))
    );
}

#[test]
fn unusable_optional_artifacts_are_warnings_and_the_load_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    manifest_only(dir.path());
    let catalog = write(dir.path(), "catalog.json", "{\"nodes\": {\n  oops\n}}");
    // Several run_results files: each read, run_results.json first.
    let rr = |v: u32| {
        format!(
            r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v{v}.json"}}, "results": []}}"#
        )
    };
    write(dir.path(), "run_results.json", &rr(6));
    write(dir.path(), "2024-01-01_run_results.json", &rr(5));
    write(dir.path(), "run_results.txt", "not read");
    write(dir.path(), "sources.json", &rr(6));
    let a = Artifacts::load(dir.path()).unwrap();
    assert!(a.catalog.is_none());
    let versions: Vec<Option<u32>> = a
        .run_results
        .iter()
        .map(|r| r.metadata.schema_version)
        .collect();
    assert_eq!(versions, [Some(6), Some(5)]);
    assert!(a.sources.is_none());
    let messages: Vec<String> = a.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(
        messages[0],
        format!(
            "malformed dbt catalog {catalog} at line 2, column 3: key must be a string; it is \
             ignored: column types and positions will come from the manifest only \
             (`dbt docs generate` writes catalog.json)"
        )
    );
    assert!(
        messages[1].contains("is not a dbt sources: its metadata.dbt_schema_version is"),
        "{}",
        messages[1]
    );
}

#[test]
fn explicit_paths_without_optional_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    manifest_only(dir.path());
    let paths = ArtifactPaths {
        manifest: dir.path().join("manifest.json"),
        ..ArtifactPaths::default()
    };
    let a = Artifacts::load(paths).unwrap();
    assert_eq!(a.warnings.len(), 3);
    assert!(
        a.warnings[1]
            .to_string()
            .contains("there will be no test results")
    );
}

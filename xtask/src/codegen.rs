//! `cargo xtask codegen [--check]`: the Rust types of crate `om-spec` from the JSON Schemas
//! in spec/.
//!
//! The pipeline: load every schema file ([`schema`]), build named types from the root files
//! below and everything they reference ([`ir`]), decide strictness, names and boxing on the
//! whole graph ([`plan`]), print one module per schema file ([`emit`]). Output is a pure
//! function of spec/: maps are ordered and nothing depends on the file system's order.
//!
//! With `--check` nothing is written; the run fails, listing the files, when
//! crates/om-spec/src/generated differs from what would be generated (content, missing or
//! extra files).

mod emit;
mod ir;
mod names;
mod plan;
mod schema;

use schema::{NodeId, Spec};
use std::collections::BTreeMap;
use std::path::Path;

/// The workflow file: everything reachable from it is strict.
const STRICT_ROOT: &str = "metadataIngestion/workflow.json";

/// The other files omctl reads or writes. Each file's root type and all of its definitions
/// are generated, plus whatever they reference; nothing else in spec/ is.
const ROOTS: &[&str] = &[
    // what the sink sends
    "api/services/createDatabaseService.json",
    "api/services/createPipelineService.json",
    "api/data/createDatabase.json",
    "api/data/createDatabaseSchema.json",
    "api/data/createTable.json",
    "api/data/createPipeline.json",
    "api/lineage/addLineage.json",
    // dbt: classifications, tags, tests
    "api/classification/createClassification.json",
    "api/classification/createTag.json",
    "api/tests/createTestCase.json",
    "api/tests/createTestCaseResult.json",
    "api/tests/createTestDefinition.json",
    "tests/basic.json",
    "tests/testCase.json",
    "tests/testDefinition.json",
    // what the sink reads back
    "entity/data/table.json",
    "entity/data/database.json",
    "entity/data/databaseSchema.json",
    "entity/data/pipeline.json",
    "entity/services/databaseService.json",
    "entity/services/pipelineService.json",
    "entity/services/ingestionPipelines/ingestionPipeline.json",
    "entity/services/ingestionPipelines/status.json",
    "entity/services/connections/testConnectionResult.json",
    "type/entityReference.json",
    "type/entityReferenceList.json",
    "type/entityLineage.json",
    "type/tagLabel.json",
    "type/bulkOperationResult.json",
    "type/paging.json",
    // workflow parts that connectors name directly
    "metadataIngestion/databaseServiceMetadataPipeline.json",
    "metadataIngestion/pipelineServiceMetadataPipeline.json",
    "metadataIngestion/dbtPipeline.json",
    "entity/services/connections/database/glueConnection.json",
    "entity/services/connections/pipeline/gluePipelineConnection.json",
    "security/credentials/awsCredentials.json",
    "entity/services/connections/metadata/openMetadataConnection.json",
    "type/filterPattern.json",
];

const OUT_DIR: &str = "crates/om-spec/src/generated";

pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let (files, notes) = generate(&root.join("spec"))?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    let out_dir = root.join(OUT_DIR);
    let on_disk = read_tree(&out_dir)?;
    let stale = stale_files(&files, &on_disk);
    if check {
        if stale.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = stale
            .iter()
            .map(|(p, why)| format!("  {OUT_DIR}/{p} ({why})"))
            .collect();
        return Err(format!(
            "generated code is stale; run `cargo xtask codegen` and commit the result:\n{}",
            list.join("\n")
        ));
    }
    for (rel, why) in &stale {
        let path = out_dir.join(rel);
        if *why == "extra" {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &files[rel]).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    remove_empty_dirs(&out_dir);
    eprintln!("codegen: {} files, {} updated", files.len(), stale.len());
    Ok(())
}

/// All generated files (path relative to the output directory -> content) and notes on
/// what in the spec was adjusted or skipped.
pub fn generate(spec_dir: &Path) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let spec = Spec::load(spec_dir)?;
    generate_from(&spec)
}

fn seeds_of(spec: &Spec, file: &str) -> Vec<NodeId> {
    let Some(doc) = spec.files.get(file) else {
        return Vec::new();
    };
    let mut seeds = Vec::new();
    if ir::root_is_type(doc) {
        seeds.push(NodeId::new(file, ""));
    }
    if let Some(defs) = doc.get("definitions").and_then(|d| d.as_object()) {
        for key in defs.keys() {
            seeds.push(NodeId::new(file, "").child(&["definitions", key]));
        }
    }
    seeds
}

fn generate_from(spec: &Spec) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let mut notes = Vec::new();
    for f in std::iter::once(&STRICT_ROOT).chain(ROOTS) {
        if !spec.files.contains_key(*f) {
            notes.push(format!("root spec/{f} does not exist; skipped"));
        }
    }
    let strict = seeds_of(spec, STRICT_ROOT);
    let lenient: Vec<NodeId> = ROOTS.iter().flat_map(|f| seeds_of(spec, f)).collect();
    let all: Vec<NodeId> = strict.iter().chain(&lenient).cloned().collect();
    let ir = ir::build(spec, &all)?;
    notes.extend(ir.notes.iter().cloned());
    let plan = plan::plan(&ir, &strict, &lenient);
    notes.extend(plan.notes.iter().cloned());
    let files = emit::emit(&ir, &plan)?;
    Ok((files, notes))
}

fn read_tree(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("walked below dir")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                // Unreadable (e.g. not UTF-8) counts as different.
                out.insert(rel, std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    Ok(out)
}

/// Files that differ: `changed`, `missing` (to be written) or `extra` (to be deleted).
fn stale_files(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for (p, text) in want {
        match have.get(p) {
            None => out.push((p.clone(), "missing")),
            Some(old) if old.replace("\r\n", "\n") != *text => out.push((p.clone(), "changed")),
            Some(_) => {}
        }
    }
    for p in have.keys() {
        if !want.contains_key(p) {
            out.push((p.clone(), "extra"));
        }
    }
    out
}

fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                remove_empty_dirs(&e.path());
                // Fails (and is meant to) when the directory still has files.
                let _ = std::fs::remove_dir(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The committed generated code is what the generator makes from spec/ now.
    #[test]
    fn generated_code_is_fresh() {
        let root = crate::project_root();
        if let Err(e) = run(&root, true) {
            panic!("{e}");
        }
    }

    fn spec(files: Vec<(&str, serde_json::Value)>) -> Spec {
        Spec {
            files: files.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    fn mini_spec() -> Spec {
        spec(vec![
            (
                "metadataIngestion/workflow.json",
                json!({
                    "title": "MetadataWorkflow", "type": "object",
                    "definitions": {
                        "logLevels": {"type": "string", "enum": ["DEBUG", "INFO"], "default": "INFO"},
                        "openMetadataWorkflowConfig": {
                            "type": "object", "additionalProperties": false,
                            "properties": {
                                "loggerLevel": {"$ref": "#/definitions/logLevels", "default": "INFO"},
                                "limit": {"type": "integer", "default": "1000"},
                                "connection": {"$ref": "../entity/glueConnection.json"},
                                "extra": {"type": "object", "additionalProperties": {".{1,}": {"type": "string"}}}
                            },
                            "required": ["connection"]
                        }
                    },
                    "properties": {"openMetadataWorkflowConfig": {"$ref": "#/definitions/openMetadataWorkflowConfig"}},
                    "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
                }),
            ),
            (
                "entity/glueConnection.json",
                json!({
                    "title": "GlueConnection", "type": "object", "additionalProperties": false,
                    "definitions": {"glueType": {"type": "string", "enum": ["Glue"], "default": "Glue"}},
                    "properties": {
                        "type": {"$ref": "#/definitions/glueType", "default": "Glue"},
                        "secret": {"type": "string", "format": "password"}
                    }
                }),
            ),
            (
                "entity/data/table.json",
                json!({
                    "title": "Table", "type": "object",
                    "definitions": {
                        "column": {"type": "object", "properties": {
                            "name": {"type": "string"},
                            "children": {"type": "array", "items": {"$ref": "#/definitions/column"}},
                            "parent": {"$ref": "#/definitions/column"}
                        }, "required": ["name"]},
                        "fileFormat": {"type": "string", "enum": ["csv", "csv.gz", "MEASURE HIDDEN", "", "1"]}
                    },
                    "properties": {
                        "columns": {"type": "array", "items": {"$ref": "#/definitions/column"}},
                        "connection": {"$ref": "../glueConnection.json"},
                        "format": {"$ref": "#/definitions/fileFormat"}
                    }
                }),
            ),
        ])
    }

    fn gen_mini() -> BTreeMap<String, String> {
        generate_from(&mini_spec()).unwrap().0
    }

    #[test]
    fn one_module_per_schema_file_with_folders() {
        let files = gen_mini();
        let paths: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "entity/data/mod.rs",
                "entity/data/table.rs",
                "entity/glue_connection.rs",
                "entity/mod.rs",
                "metadata_ingestion/mod.rs",
                "metadata_ingestion/workflow.rs",
                "mod.rs"
            ]
        );
        assert!(
            files["entity/data/table.rs"].starts_with("// @generated by `cargo xtask codegen`")
        );
    }

    #[test]
    fn strict_and_lenient_copies_of_shared_types() {
        let files = gen_mini();
        let glue = &files["entity/glue_connection.rs"];
        // strict copy: closed, defaults filled in
        assert!(
            glue.contains("#[serde(deny_unknown_fields)]\npub struct GlueConnection"),
            "{glue}"
        );
        assert!(
            glue.contains("default = \"default_glue_connection_type\""),
            "{glue}"
        );
        assert!(glue.contains("pub secret: Option<crate::Secret>"), "{glue}");
        // lenient copy for the entity side
        assert!(glue.contains("pub mod lenient"), "{glue}");
        assert!(glue.contains("Unrecognized(String)"), "{glue}");
        let table = &files["entity/data/table.rs"];
        assert!(
            table.contains("crate::generated::entity::glue_connection::lenient::GlueConnection"),
            "{table}"
        );
    }

    #[test]
    fn recursion_boxes_only_direct_edges() {
        let files = gen_mini();
        let table = &files["entity/data/table.rs"];
        assert!(
            table.contains("pub children: Option<Vec<Column>>"),
            "{table}"
        );
        assert!(table.contains("pub parent: Option<Box<Column>>"), "{table}");
    }

    #[test]
    fn defaults_are_coerced_and_enum_values_kept() {
        let files = gen_mini();
        let wf = &files["metadata_ingestion/workflow.rs"];
        assert!(
            wf.contains("fn default_open_metadata_workflow_config_limit() -> i64 {\n    1000\n}"),
            "{wf}"
        );
        assert!(wf.contains("LogLevels::Info"), "{wf}");
        assert!(
            wf.contains("std::collections::BTreeMap<String, serde_json::Value>"),
            "{wf}"
        );
        let table = &files["entity/data/table.rs"];
        for (value, variant) in [
            ("csv.gz", "CsvGz"),
            ("MEASURE HIDDEN", "MeasureHidden"),
            ("", "Empty"),
            ("1", "V1"),
        ] {
            assert!(
                table.contains(&format!("{value:?} => Self::{variant}")),
                "{value}: {table}"
            );
        }
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(gen_mini(), gen_mini());
    }

    #[test]
    fn stale_detection_lists_changed_missing_and_extra() {
        let want: BTreeMap<String, String> =
            [("a.rs".into(), "x".into()), ("b.rs".into(), "y".into())].into();
        let have: BTreeMap<String, String> =
            [("a.rs".into(), "x".into()), ("c.rs".into(), "z".into())].into();
        assert_eq!(
            stale_files(&want, &have),
            [("b.rs".into(), "missing"), ("c.rs".into(), "extra")]
        );
        let edited: BTreeMap<String, String> =
            [("a.rs".into(), "x2".into()), ("b.rs".into(), "y".into())].into();
        assert_eq!(stale_files(&want, &edited), [("a.rs".into(), "changed")]);
    }
}

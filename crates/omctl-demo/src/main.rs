//! The demo behind `cargo xtask demo` (which builds omctl and the plugins first).
//!
//! Starts the Glue emulator with the bundled sample catalog, a second one with the
//! Glue catalog of the jaffle dbt project (`fixtures/dbt/jaffle`), and the
//! OpenMetadata emulator seeded with what that project's server already holds
//! (users, teams, a dashboard) — the same code the tests use, on 127.0.0.1, stopped
//! when the demo ends — runs the workflow files of `examples/workflows/` through
//! `omctl run`, and shows what the server now holds.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitCode, Stdio};

use serde_json::Value;

/// Demo credentials: the emulators accept any key, and these show that omctl never
/// prints a secret.
const DEMO_ACCESS_KEY: &str = "AKIADEMOOMCTL0000001";
const DEMO_SECRET_KEY: &str = "demo-secret-never-printed";
const DEMO_JWT: &str = "demo-jwt-never-printed";

/// A workflow the demo runs.
struct Step {
    file: &'static str,
    what: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        file: "glue-database.yaml",
        what: "Glue Data Catalog -> OpenMetadata (metadata-rest sink)",
    },
    Step {
        file: "glue-pipeline.yaml",
        what: "Glue workflows, jobs, crawlers -> OpenMetadata pipelines",
    },
    Step {
        file: "glue-database-file.yaml",
        what: "the same catalog into the file sink (NDJSON)",
    },
    Step {
        file: "jaffle-glue.yaml",
        what: "the Glue catalog a dbt project builds its tables in",
    },
    Step {
        file: "dbt-glue.yaml",
        what: "dbt artifacts -> models, docs, owners, tags, lineage, test results on those tables",
    },
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // A development tool of this workspace: it finds the workspace from its own
    // manifest directory.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/omctl-demo lives two levels below the workspace root");
    let steps: Vec<&Step> = STEPS
        .iter()
        .filter(|s| root.join("examples/workflows").join(s.file).exists())
        .collect();
    let out = root.join("target/demo");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let omctl = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("omctl")))
        .filter(|p| p.exists())
        .ok_or("omctl is not built next to omctl-demo: run `cargo xtask demo`")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the emulators' runtime: {e}"))?;
    rt.block_on(async {
        let glue = glue_mock::GlueMock::start(glue_mock::Catalog::sample()).await;
        let jaffle = root.join("fixtures/dbt/jaffle");
        let jaffle_catalog = glue_mock::Catalog::from_file(jaffle.join("glue_catalog.json"))
            .map_err(|e| e.to_string())?;
        let jaffle_glue = glue_mock::GlueMock::start(jaffle_catalog).await;
        let om = om_mock::OmMock::start().await;
        om.seed_file(jaffle.join("om_seed.json"))
            .map_err(|e| e.to_string())?;
        println!("Glue emulator:         {}", glue.url());
        println!("Glue emulator (jaffle): {}", jaffle_glue.url());
        println!("OpenMetadata emulator: {}", om.url());

        let env: BTreeMap<&str, String> = BTreeMap::from([
            ("GLUE_ENDPOINT", glue.url()),
            ("JAFFLE_GLUE_ENDPOINT", jaffle_glue.url()),
            (
                "DBT_TARGET_DIR",
                jaffle.join("artifacts").to_string_lossy().into_owned(),
            ),
            ("OM_HOST_PORT", om.url().to_string()),
            ("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", DEMO_SECRET_KEY.to_string()),
            ("OM_JWT_TOKEN", DEMO_JWT.to_string()),
            ("OMCTL_DEMO_OUT", out.to_string_lossy().into_owned()),
            // The demo never needs instance metadata; without this the AWS SDK may
            // probe it when a credential is missing.
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]);

        let mut failed = Vec::new();
        for step in &steps {
            let file = root.join("examples/workflows").join(step.file);
            let stem = step.file.trim_end_matches(".yaml");
            let report = out.join(format!("{stem}-report.json"));
            println!(
                "\n=== omctl run -c examples/workflows/{}   ({})",
                step.file, step.what
            );
            let status = tokio::process::Command::new(&omctl)
                .arg("run")
                .arg("-c")
                .arg(&file)
                .arg("--report")
                .arg(&report)
                .envs(&env)
                .stdin(Stdio::null())
                .status()
                .await
                .map_err(|e| format!("cannot run {}: {e}", omctl.display()))?;
            if !status.success() {
                failed.push(format!("{} ({status})", step.file));
            }
        }

        println!("\n=== What the OpenMetadata emulator now holds");
        print_server(&om);
        println!("\nReports: {}", out.join("*-report.json").display());
        let ndjson = out.join("glue-records.ndjson");
        if ndjson.exists() {
            let lines = std::fs::read_to_string(&ndjson)
                .map(|s| s.lines().count())
                .unwrap_or(0);
            println!("File sink output: {} ({lines} records)", ndjson.display());
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("workflows that failed: {}", failed.join(", ")))
        }
    })
}

/// Prints services, databases, schemas and tables as a tree, then pipelines and
/// lineage, from the emulator's state.
fn print_server(om: &om_mock::OmMock) {
    let fqn = |e: &Value| e["fullyQualifiedName"].as_str().unwrap_or("?").to_string();
    let children = |collection: &str, field: &str, parent: &str| -> Vec<Value> {
        let mut v: Vec<Value> = om
            .entities(collection)
            .into_iter()
            .filter(|e| e[field]["fullyQualifiedName"].as_str() == Some(parent))
            .collect();
        v.sort_by_key(|e| fqn(e));
        v
    };
    let deleted = |e: &Value| {
        if e["deleted"].as_bool() == Some(true) {
            " (deleted)"
        } else {
            ""
        }
    };

    for service in om.entities("services/databaseServices") {
        let s = fqn(&service);
        println!("database service {s}");
        for db in children("databases", "service", &s) {
            let d = fqn(&db);
            println!(
                "└─ database {}{}",
                db["name"].as_str().unwrap_or("?"),
                deleted(&db)
            );
            for schema in children("databaseSchemas", "database", &d) {
                let sc = fqn(&schema);
                let tables = children("tables", "databaseSchema", &sc);
                println!(
                    "   └─ schema {} ({} tables){}",
                    schema["name"].as_str().unwrap_or("?"),
                    tables.len(),
                    deleted(&schema)
                );
                for t in tables {
                    let columns = t["columns"].as_array().map(Vec::len).unwrap_or(0);
                    println!(
                        "      └─ {:<40} {:<10} {:>3} columns{}",
                        t["name"].as_str().unwrap_or("?"),
                        t["tableType"].as_str().unwrap_or("-"),
                        columns,
                        deleted(&t)
                    );
                }
            }
        }
    }
    for service in om.entities("services/pipelineServices") {
        let s = fqn(&service);
        println!("pipeline service {s}");
        for p in children("pipelines", "service", &s) {
            let tasks = p["tasks"].as_array().map(Vec::len).unwrap_or(0);
            let runs = om.pipeline_statuses(&fqn(&p)).len();
            println!(
                "└─ pipeline {:<38} {tasks:>3} tasks {runs:>3} runs{}",
                p["name"].as_str().unwrap_or("?"),
                deleted(&p)
            );
        }
    }
    let modelled = om
        .entities("tables")
        .iter()
        .filter(|t| t.get("dataModel").is_some())
        .count();
    if modelled > 0 {
        let snapshot = om.snapshot();
        let results: usize = snapshot["testCaseResults"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_array).map(Vec::len).sum())
            .unwrap_or(0);
        println!(
            "dbt: {modelled} tables with a data model, {} test cases, {results} test results",
            om.entities("dataQuality/testCases").len()
        );
    }
    let snapshot = om.snapshot();
    if let Some(edges) = snapshot["lineage"].as_array().filter(|e| !e.is_empty()) {
        println!("lineage edges: {}", edges.len());
        for e in edges.iter().take(20) {
            println!(
                "   {} {} -> {} {}",
                e["from"]["type"].as_str().unwrap_or("?"),
                e["from"]["fqn"].as_str().unwrap_or("?"),
                e["to"]["type"].as_str().unwrap_or("?"),
                e["to"]["fqn"].as_str().unwrap_or("?"),
            );
        }
    }
}

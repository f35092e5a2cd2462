//! The harness of omctl's end-to-end tests: the real `omctl` binary loading the real
//! connector plugins (`libglue_database.so`, `libglue_pipeline.so`, `libdbt.so`), run against the
//! Glue emulator (`glue-mock`) and the stateful OpenMetadata emulator (`om-mock`),
//! both started by the test on 127.0.0.1.
//!
//! The binary and the plugins are not built by `cargo test`: `cargo xtask test`
//! builds them first (`cargo build --workspace --lib --bins`). When one is missing
//! the tests fail and say so; they never skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use glue_mock::GlueMock;
use om_mock::{OmMock, Redactions};
use serde_json::{Map, Value, json};

/// The access key the tests sign Glue requests with.
pub const ACCESS_KEY: &str = "AKIAE2ETESTKEY000001";
/// The secret key: it must never appear in anything omctl prints or writes.
pub const SECRET_KEY: &str = "e2e-Secret-Access-Key-never-printed";
/// The OpenMetadata token; the emulator requires it on every call.
pub const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.e2e-jwt-never-printed.sig";

/// How long one omctl invocation may take before the test gives up on it: far
/// above what any of these runs needs, there only so that a hang fails the test.
const RUN_LIMIT: Duration = Duration::from_secs(120);

const BUILD_HINT: &str = "run `cargo xtask test` (or `cargo build --workspace --lib --bins`) \
     before `cargo test -p omctl-e2e`: cargo test does not build the binary and the plugin \
     libraries these tests run";

// Where the libraries are: shared with the runtime's and the CLI's tests.
#[path = "../../crates/omctl-runtime/tests/support/mod.rs"]
mod support;

pub use support::{profile_dir, workspace_root};

/// The `omctl` binary under test.
pub fn omctl_binary() -> PathBuf {
    let path = profile_dir().join(format!("omctl{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: {BUILD_HINT}",
        path.display()
    );
    path
}

/// A connector plugin of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plugin {
    GlueDatabase,
    GluePipeline,
    Dbt,
}

impl Plugin {
    fn crate_name(self) -> &'static str {
        match self {
            Plugin::GlueDatabase => "glue-database",
            Plugin::GluePipeline => "glue-pipeline",
            Plugin::Dbt => "dbt",
        }
    }

    pub fn source_type(self) -> &'static str {
        match self {
            Plugin::GlueDatabase => "glue",
            Plugin::GluePipeline => "gluepipeline",
            Plugin::Dbt => "dbt",
        }
    }

    /// The library file; panics with how to build it when it is missing.
    pub fn path(self) -> PathBuf {
        let path = profile_dir().join(support::library_name(self.crate_name()));
        assert!(
            path.is_file(),
            "{} is missing: {BUILD_HINT}",
            path.display()
        );
        path
    }
}

/// A workflow file of `examples/workflows/`.
pub fn example_workflow(name: &str) -> PathBuf {
    let path = workspace_root().join("examples/workflows").join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// The Glue pipeline example workflow, checked to be served by the
/// `gluepipeline` plugin library (a missing or wrong library fails the test).
pub fn glue_pipeline_example() -> PathBuf {
    example_for("glue-pipeline.yaml", Plugin::GluePipeline)
}

/// The example workflow `name` for `plugin`, after checking that `plugin`'s
/// library is built and serves the plugin's source type.
pub fn example_for(name: &str, plugin: Plugin) -> PathBuf {
    let path = example_workflow(name);
    let library = plugin.path();
    let out = std::process::Command::new(omctl_binary())
        .args(["plugins", "list", "--json", "--plugin"])
        .arg(&library)
        .env_remove("OMCTL_PLUGIN_PATH")
        .output()
        .expect("omctl starts");
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`omctl plugins list --json` printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let serves = listed.as_array().into_iter().flatten().any(|p| {
        p["file"].as_str() == library.to_str()
            && p["sourceTypes"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == plugin.source_type()))
    });
    assert!(
        serves,
        "{} exists but {} does not serve source type `{}`:\n{listed:#}",
        path.display(),
        library.display(),
        plugin.source_type()
    );
    path
}

/// A workflow template of `tests/workflows/`, editable before it is written.
#[derive(Debug, Clone)]
pub struct Workflow(serde_yaml::Value);

impl Workflow {
    pub fn template(name: &str) -> Workflow {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("workflows")
            .join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Workflow(
            serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display())),
        )
    }

    /// A workflow file anywhere (an example of `examples/workflows/`, say).
    pub fn from_file(path: &Path) -> Workflow {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Workflow(
            serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display())),
        )
    }

    /// Sets the value at a dotted path (`sink.config.markDeletedMaxPercent`),
    /// creating maps on the way.
    pub fn set(mut self, path: &str, value: impl Into<serde_yaml::Value>) -> Workflow {
        let mut node = &mut self.0;
        for key in path.split('.') {
            if !node.is_mapping() {
                *node = serde_yaml::Value::Mapping(Default::default());
            }
            let map = node.as_mapping_mut().expect("made a mapping above");
            node = map
                .entry(serde_yaml::Value::from(key))
                .or_insert(serde_yaml::Value::Null);
        }
        *node = value.into();
        self
    }
}

/// What one omctl invocation did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The `--report` file, when the command wrote one.
    pub report: Option<Value>,
}

impl Run {
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics with the output when the exit code is not `code`.
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "omctl exited {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// The one-line JSON summary that ends stdout.
    pub fn summary(&self) -> Value {
        let line = self.stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "the last stdout line is not JSON ({e}): {line:?}\n--- stderr\n{}",
                self.stderr
            )
        })
    }

    /// The `--report` JSON.
    pub fn report(&self) -> &Value {
        self.report
            .as_ref()
            .unwrap_or_else(|| panic!("omctl wrote no report\n--- stderr\n{}", self.stderr))
    }

    /// One step of the report (`glue`, `metadata-rest`, `file`).
    pub fn step(&self, name: &str) -> &Value {
        self.report()["steps"]
            .as_array()
            .and_then(|steps| steps.iter().find(|s| s["name"] == name))
            .unwrap_or_else(|| panic!("no step {name} in the report:\n{:#}", self.report()))
    }

    /// A counter of a report step (`records`, `warnings`, `errors`, `deleted`...).
    pub fn count(&self, step: &str, counter: &str) -> u64 {
        self.step(step)[counter]
            .as_u64()
            .unwrap_or_else(|| panic!("step {step} has no counter {counter}"))
    }

    /// A step's failures as `name: error` lines.
    pub fn failures(&self, step: &str) -> Vec<String> {
        let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
        self.step(step)["failures"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| format!("{}: {}", text(&f["name"]), text(&f["error"])))
            .collect()
    }

    /// Panics when a test secret appears in the output or the report.
    pub fn assert_no_secret(&self) {
        let report = self
            .report
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        assert_no_secret_in("omctl's output", &self.all());
        assert_no_secret_in("the report", &report);
    }
}

/// Panics when `text` holds the test secret key or token.
pub fn assert_no_secret_in(what: &str, text: &str) {
    for secret in [SECRET_KEY, JWT] {
        assert!(!text.contains(secret), "{what} holds a secret:\n{text}");
    }
}

/// A place to run omctl from: a private directory (also its `HOME`, so no user
/// configuration is read) and the environment the workflow files read.
pub struct Omctl {
    dir: tempfile::TempDir,
    env: BTreeMap<&'static str, String>,
}

impl Omctl {
    /// omctl against these emulators, with the test credentials.
    pub fn new(glue: &GlueMock, om: &OmMock) -> Omctl {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().to_string_lossy().into_owned();
        let env = BTreeMap::from([
            ("GLUE_ENDPOINT", glue.url()),
            ("OM_HOST_PORT", om.url().to_string()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
            ("OM_JWT_TOKEN", JWT.to_string()),
            ("OMCTL_OUT", out.clone()),
            // What the example workflows read for their output directory.
            ("OMCTL_DEMO_OUT", out.clone()),
            ("HOME", out),
            // No instance-metadata probes: they wait for seconds off EC2.
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]);
        Omctl { dir, env }
    }

    /// Later runs read another Glue emulator (a changed catalog, faults).
    pub fn use_glue(&mut self, glue: &GlueMock) {
        self.env.insert("GLUE_ENDPOINT", glue.url());
    }

    /// Sets an environment variable of later runs.
    pub fn set_env(&mut self, key: &'static str, value: &str) {
        self.env.insert(key, value.to_string());
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `workflow` into the directory as `name`.
    pub fn write(&self, name: &str, workflow: &Workflow) -> PathBuf {
        let path = self.dir().join(name);
        let text = serde_yaml::to_string(&workflow.0).expect("a workflow serializes");
        std::fs::write(&path, text).expect("the workflow file is written");
        path
    }

    /// `omctl run -c WORKFLOW --report FILE --plugin LIB EXTRA...`.
    pub async fn run(&self, workflow: &Path, plugin: Plugin, extra: &[&str]) -> Run {
        let report = self.dir().join("report.json");
        // A report left by an earlier run must not pass for this run's.
        let _ = std::fs::remove_file(&report);
        let mut args = vec![
            "run".into(),
            "-c".into(),
            workflow.to_string_lossy().into_owned(),
            "--report".into(),
            report.to_string_lossy().into_owned(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut run = self.omctl(&args, plugin).await;
        run.report = std::fs::read_to_string(&report).ok().map(|text| {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{text}"))
        });
        run
    }

    /// `omctl test-connection -c WORKFLOW --plugin LIB EXTRA...`.
    pub async fn test_connection(&self, workflow: &Path, plugin: Plugin, extra: &[&str]) -> Run {
        let mut args = vec![
            "test-connection".to_string(),
            "-c".into(),
            workflow.to_string_lossy().into_owned(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        self.omctl(&args, plugin).await
    }

    /// Runs omctl with `args` and the plugin given explicitly, so that no other
    /// library in the target directory can serve the source type instead.
    async fn omctl(&self, args: &[String], plugin: Plugin) -> Run {
        let mut cmd = tokio::process::Command::new(omctl_binary());
        cmd.args(args)
            .arg("--plugin")
            .arg(plugin.path())
            .current_dir(self.dir())
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let out = tokio::time::timeout(RUN_LIMIT, cmd.output())
            .await
            .unwrap_or_else(|_| panic!("omctl {args:?} did not finish in {RUN_LIMIT:?}"))
            .expect("omctl starts");
        Run {
            code: out
                .status
                .code()
                .unwrap_or_else(|| panic!("omctl was killed: {}", out.status)),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report: None,
        }
    }
}

/// Now as the Glue emulator's relative times count from: whole seconds, so that
/// offsets from it are exact.
pub fn anchor() -> f64 {
    glue_mock::pipelines::now_secs().floor()
}

/// The sample catalog with the sample pipelines' runs placed before `anchor`.
pub fn sample_catalog_at(anchor: f64) -> glue_mock::Catalog {
    let mut catalog = glue_mock::Catalog::sample();
    catalog.pipelines = glue_mock::Pipelines::sample_at(anchor);
    catalog
}

/// An OpenMetadata emulator that requires the test token, as a real server does.
pub async fn openmetadata() -> OmMock {
    OmMock::start_with(om_mock::MockSettings {
        require_token: Some(JWT.to_string()),
        ..Default::default()
    })
    .await
}

/// `catalog` without these tables of `database` (of the caller's own catalog).
pub fn without_tables(
    mut catalog: glue_mock::Catalog,
    database: &str,
    tables: &[&str],
) -> glue_mock::Catalog {
    let account = catalog.account_id.clone();
    let db = catalog
        .catalog_mut(&account)
        .databases
        .iter_mut()
        .find(|d| d.name == database)
        .unwrap_or_else(|| panic!("no database {database} in the catalog"));
    for table in tables {
        let before = db.tables.len();
        db.tables.retain(|t| t.name != *table);
        assert_eq!(db.tables.len() + 1, before, "no table {database}.{table}");
    }
    catalog
}

/// The server's whole state, exactly: ids, versions and `deleted` flags kept, only
/// the wall-clock `updatedAt` left out. For comparing states between runs.
pub fn exact_state(om: &OmMock) -> Value {
    om.snapshot_with(&Redactions::keys(&["updatedAt"]))
}

/// The entities that differ between two [`exact_state`]s, as
/// `collection fqn: before -> after` lines (`absent` for a missing side), plus
/// lineage edges and pipeline statuses that were added or removed.
pub fn state_changes(before: &Value, after: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    let by_fqn = |state: &Value| -> BTreeMap<(String, String), Value> {
        let mut m = BTreeMap::new();
        for (collection, list) in state["entities"].as_object().into_iter().flatten() {
            for e in list.as_array().into_iter().flatten() {
                let fqn = e["fullyQualifiedName"].as_str().unwrap_or("?").to_string();
                m.insert((collection.clone(), fqn), e.clone());
            }
        }
        m
    };
    let (b, a) = (by_fqn(before), by_fqn(after));
    let describe = |e: Option<&Value>| match e {
        None => "absent".to_string(),
        Some(e) => format!(
            "version {} deleted {}",
            e["version"],
            e["deleted"].as_bool().unwrap_or(false)
        ),
    };
    let keys: std::collections::BTreeSet<_> = b.keys().chain(a.keys()).collect();
    for key in keys {
        let (eb, ea) = (b.get(key), a.get(key));
        if eb != ea {
            changes.push(format!(
                "{} {}: {} -> {}",
                key.0,
                key.1,
                describe(eb),
                describe(ea)
            ));
        }
    }
    for part in ["lineage", "pipelineStatuses", "ingestionPipelineStatuses"] {
        if before[part] != after[part] {
            changes.push(format!("{part} changed"));
        }
    }
    changes
}

/// The server's state for a snapshot: entities keyed by collection and FQN, lineage
/// and statuses, with what differs from run to run replaced: ids, versions, hrefs,
/// `updatedAt`, the emulator's address and the secret the sink stored with the
/// service's connection, and times. Times of pipeline runs are shown relative to `anchor` (the epoch second
/// the Glue emulator's relative times count from) as `now-300s`.
pub fn snapshot_state(om: &OmMock, anchor: Option<f64>) -> Value {
    let mut state = om.snapshot_with(&Redactions::keys(&[
        "id",
        "version",
        "href",
        "updatedAt",
        "awsSecretAccessKey",
        "endPointURL",
        "startDate",
    ]));
    if let Some(entities) = state.get_mut("entities").and_then(Value::as_object_mut) {
        for list in entities.values_mut() {
            let keyed: Map<String, Value> = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    let fqn = e["fullyQualifiedName"].as_str().unwrap_or("?").to_string();
                    (fqn, e.clone())
                })
                .collect();
            *list = Value::Object(keyed);
        }
    }
    if let Some(anchor) = anchor {
        relative_times(&mut state, (anchor * 1000.0) as i64);
    }
    state
}

/// Replaces run times (epoch milliseconds) by their offset from `anchor_ms`.
fn relative_times(v: &mut Value, anchor_ms: i64) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match (k.as_str(), child.as_i64()) {
                    ("timestamp" | "startTime" | "endTime", Some(t)) => {
                        *child = json!(format!("now{:+}s", (t - anchor_ms) / 1000));
                    }
                    _ => relative_times(child, anchor_ms),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| relative_times(i, anchor_ms)),
        _ => {}
    }
}

/// Reads an NDJSON file: one JSON value per line.
pub fn read_ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert_no_secret_in(&path.display().to_string(), &text);
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "{} line {} is not JSON ({e}): {line}",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// The jaffle dbt project of `fixtures/dbt/jaffle` (its README says what it holds).
pub mod jaffle {
    use super::*;

    /// The fixture's directory in the repository.
    pub fn dir() -> PathBuf {
        workspace_root().join("fixtures/dbt/jaffle")
    }

    /// The dbt artifacts (manifest, catalog, run_results, sources).
    pub fn artifacts() -> PathBuf {
        dir().join("artifacts")
    }

    /// The Glue catalog the project's tables live in.
    pub fn glue_catalog() -> glue_mock::Catalog {
        glue_mock::Catalog::from_file(dir().join("glue_catalog.json"))
            .expect("the fixture's Glue catalog loads")
    }

    /// Seeds what the server holds before any ingestion (`om_seed.json`: users,
    /// teams, the Tier classification, a dashboard for the exposure).
    pub fn seed(om: &OmMock) {
        let path = dir().join("om_seed.json");
        om.seed_file(&path)
            .unwrap_or_else(|e| panic!("cannot seed {}: {e}", path.display()));
    }
}

//! Runs against a server that already holds the sample catalog: a rerun changes
//! nothing, mark-deleted removes exactly what left Glue and nothing when it cannot
//! be sure, and a dry run writes nothing.

use std::path::PathBuf;

use glue_mock::{Catalog, Fault, GlueMock};
use om_mock::OmMock;
use omctl_e2e::*;
use serde_json::{Value, json};

const SALES: &str = "e2e_glue.123456789012.sales";
const ANALYTICS: &str = "e2e_glue.123456789012.analytics";

/// A server that one run of the test workflow filled from the sample catalog.
struct Filled {
    om: OmMock,
    omctl: Omctl,
    workflow: PathBuf,
    /// The server's state after that run.
    state: Value,
    first: Run,
    _glue: GlueMock,
}

async fn filled(workflow: Workflow) -> Filled {
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("glue.yaml", &workflow);
    let first = omctl.run(&workflow, Plugin::GlueDatabase, &[]).await;
    first.assert_code(0);
    assert_eq!(first.count("metadata-rest", "errors"), 0);
    let state = exact_state(&om);
    om.clear_requests();
    Filled {
        om,
        omctl,
        workflow,
        state,
        first,
        _glue: glue,
    }
}

impl Filled {
    /// Points later runs at a Glue emulator serving `catalog` with `faults`.
    async fn glue_now_serves(&mut self, catalog: Catalog, faults: Vec<Fault>) -> GlueMock {
        let mut builder = GlueMock::builder(catalog);
        for f in faults {
            builder = builder.fault(f);
        }
        let glue = builder.start().await;
        self.omctl.use_glue(&glue);
        glue
    }

    async fn run(&self, extra: &[&str]) -> Run {
        let run = self
            .omctl
            .run(&self.workflow, Plugin::GlueDatabase, extra)
            .await;
        run.assert_no_secret();
        run
    }

    fn changes(&self) -> Vec<String> {
        state_changes(&self.state, &exact_state(&self.om))
    }

    /// Requests since the first run, as `METHOD status path`.
    fn requests(&self, method: &str) -> Vec<String> {
        self.om
            .requests()
            .into_iter()
            .filter(|r| r.method == method)
            .map(|r| format!("{} {} {}", r.method, r.status, r.path))
            .collect()
    }
}

fn template() -> Workflow {
    Workflow::template("glue-database.yaml")
}

#[tokio::test]
async fn a_rerun_against_an_unchanged_catalog_changes_nothing() {
    let f = filled(template()).await;
    let run = f.run(&[]).await;
    run.assert_code(0);
    assert_eq!(run.report()["status"], "success");

    // Every entity keeps its version, nothing is created, deleted or restored, and
    // no lineage or status appears.
    assert_eq!(f.changes(), Vec::<String>::new());
    assert_eq!(exact_state(&f.om), f.state);
    let creates: Vec<String> =
        f.om.requests()
            .iter()
            .filter(|r| r.status == 201)
            .map(|r| r.path.clone())
            .collect();
    assert_eq!(creates, Vec::<String>::new(), "entities created again");
    assert_eq!(f.requests("DELETE"), Vec::<String>::new());
    assert_eq!(f.requests("PATCH"), Vec::<String>::new());

    // The source saw the same catalog; the sink deleted nothing.
    assert_eq!(
        run.count("glue", "records"),
        f.first.count("glue", "records")
    );
    assert_eq!(run.count("metadata-rest", "deleted"), 0);
    assert_eq!(run.count("metadata-rest", "errors"), 0);
}

#[tokio::test]
async fn a_table_removed_from_glue_is_soft_deleted_and_nothing_else() {
    let mut f = filled(template()).await;
    let _glue = f
        .glue_now_serves(
            without_tables(Catalog::sample(), "sales", &["customers"]),
            vec![],
        )
        .await;
    let run = f.run(&[]).await;
    run.assert_code(0);

    let gone = format!("{SALES}.customers");
    assert_eq!(
        f.changes(),
        [format!(
            "tables {gone}: version 0.1 deleted false -> version 0.2 deleted true"
        )]
    );
    let deletes = f.requests("DELETE");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].contains("hardDelete=false"), "{deletes:?}");

    assert_eq!(run.count("metadata-rest", "deleted"), 1);
    assert_eq!(run.count("metadata-rest", "errors"), 0);
    assert_eq!(
        run.report()["deletions"],
        json!([{"kind": "table", "fqn": gone, "executed": true}])
    );
    assert_eq!(run.summary()["steps"]["metadata-rest"]["deleted"], 1);
}

#[tokio::test]
async fn a_database_whose_tables_cannot_be_listed_loses_none_of_them() {
    // Without the fail-safe share, only the source's scope markers stand between
    // a failed listing and deleting every table of that database.
    let mut f = filled(template().set("sink.config.markDeletedMaxPercent", 100)).await;
    let catalog = without_tables(Catalog::sample(), "sales", &["customers"]);
    let catalog = without_tables(catalog, "analytics", &["clickstream_raw"]);
    let glue = f
        .glue_now_serves(
            catalog,
            vec![Fault::access_denied("GetTables", "analytics")],
        )
        .await;
    let run = f.run(&[]).await;
    assert!(
        glue.requests()
            .iter()
            .any(|r| r.op == "GetTables" && r.error.as_deref() == Some("AccessDeniedException")),
        "the fault was never hit"
    );

    // The other databases are handled as usual: the table that left `sales` goes.
    assert_eq!(
        f.changes(),
        [format!(
            "tables {SALES}.customers: version 0.1 deleted false -> version 0.2 deleted true"
        )]
    );
    assert_eq!(run.count("metadata-rest", "deleted"), 1);

    // The failure is reported, naming the schema and the permission; one failed
    // schema is a partial success, not a failed run.
    let failures = run.failures("glue");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with(&format!("{ANALYTICS}:"))
            && failures[0].contains("glue:GetTables")
            && failures[0].contains("marked deleted"),
        "{failures:?}"
    );
    run.assert_code(0);
    assert_eq!(run.report()["status"], "partialSuccess");
    assert!(
        run.stderr.contains("Failures (showing 1 of 1)"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn deleting_more_than_the_fail_safe_share_deletes_nothing_and_fails() {
    let mut f = filled(template()).await;
    // 4 of the 5 tables of `sales` are gone: 80% is above the default 50%.
    let catalog = without_tables(
        Catalog::sample(),
        "sales",
        &["customers", "daily_revenue", "legacy_report", "open_orders"],
    );
    let _glue = f.glue_now_serves(catalog, vec![]).await;
    let run = f.run(&[]).await;

    assert_eq!(f.changes(), Vec::<String>::new());
    assert_eq!(f.requests("DELETE"), Vec::<String>::new());
    assert_eq!(run.count("metadata-rest", "deleted"), 0);
    let failures = run.failures("metadata-rest");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains(SALES)
            && failures[0].contains("4 of 5")
            && failures[0].contains("markDeletedMaxPercent"),
        "{failures:?}"
    );
    // A refused deletion means the source suddenly misses most of a scope: the run
    // fails (exit 1), so that a scheduler notices, rather than passing as a
    // partial success.
    assert_eq!(run.report()["status"], "failed", "{}", run.stderr);
    run.assert_code(1);
}

#[tokio::test]
async fn dry_run_writes_nothing_and_lists_the_planned_deletions() {
    // Against an empty server: nothing at all is written.
    let glue = GlueMock::start(Catalog::sample()).await;
    let om = openmetadata().await;
    let omctl = Omctl::new(&glue, &om);
    let workflow = omctl.write("glue.yaml", &template());
    let run = omctl
        .run(&workflow, Plugin::GlueDatabase, &["--dry-run"])
        .await;
    run.assert_code(0).assert_no_secret();
    assert_eq!(om.writes(), 0);
    assert_eq!(run.report()["dryRun"], true);
    assert_eq!(run.summary()["dryRun"], true);
    assert_eq!(run.count("metadata-rest", "errors"), 0);

    // Against a filled server with a table gone from Glue: the deletion is planned,
    // listed, counted and not executed.
    let mut f = filled(template()).await;
    let writes = f.om.writes();
    let _glue = f
        .glue_now_serves(
            without_tables(Catalog::sample(), "sales", &["orders"]),
            vec![],
        )
        .await;
    let run = f.run(&["--dry-run"]).await;
    run.assert_code(0);
    assert_eq!(f.om.writes(), writes, "{:?}", f.om.requests());
    assert_eq!(exact_state(&f.om), f.state);

    let planned = format!("{SALES}.orders");
    assert_eq!(
        run.report()["deletions"],
        json!([{"kind": "table", "fqn": planned, "executed": false}])
    );
    assert_eq!(run.count("metadata-rest", "deleted"), 1);
    assert_eq!(run.summary()["steps"]["metadata-rest"]["deleted"], 1);
    assert!(
        run.stderr.contains("Would delete (dry run)") && run.stderr.contains(&planned),
        "{}",
        run.stderr
    );
}

//! dbt on Glue, end to end: the Glue workflow ingests the jaffle project's Glue
//! catalog, then the dbt workflow puts the project's models, docs, owners, tags,
//! lineage and test results on those tables. What the server then holds is
//! snapshotted; a rerun must change nothing.

use glue_mock::GlueMock;
use om_mock::OmMock;
use omctl_e2e::*;
use serde_json::{Map, Value, json};

/// The emulators with the jaffle catalog and the server's seed, and omctl set up
/// to read the fixture's artifacts.
async fn setup() -> (GlueMock, OmMock, Omctl) {
    let glue = GlueMock::start(jaffle::glue_catalog()).await;
    let om = openmetadata().await;
    jaffle::seed(&om);
    let mut omctl = Omctl::new(&glue, &om);
    omctl.set_env("DBT_ARTIFACTS", &jaffle::artifacts().to_string_lossy());
    (glue, om, omctl)
}

/// Runs the Glue workflow; `database_name` sets the connection's `databaseName`.
async fn ingest_glue(omctl: &Omctl, database_name: Option<&str>) {
    let mut workflow = Workflow::template("glue-database.yaml");
    if let Some(name) = database_name {
        workflow = workflow.set("source.serviceConnection.config.databaseName", name);
    }
    let path = omctl.write("glue.yaml", &workflow);
    omctl
        .run(&path, Plugin::GlueDatabase, &[])
        .await
        .assert_code(0);
}

/// Tables the sink could not find (the report leaves the counter out when zero).
fn not_found(run: &Run) -> u64 {
    run.step("metadata-rest")["notFound"].as_u64().unwrap_or(0)
}

async fn run_dbt(omctl: &Omctl, workflow: Workflow, extra: &[&str]) -> Run {
    let path = omctl.write("dbt.yaml", &workflow);
    omctl.run(&path, Plugin::Dbt, extra).await
}

fn names(list: &Value, key: &str) -> Value {
    let mut out: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v[key].as_str().map(str::to_string))
        .collect();
    out.sort();
    json!(out)
}

/// What dbt put on the server, in a form that reads well in a snapshot: per table
/// its description, owners, tags, columns and data model; the lineage edges with
/// their columns; the test cases with their results.
fn dbt_view(om: &OmMock) -> Value {
    let mut tables = Map::new();
    let mut all = om.entities("tables");
    all.sort_by_key(|t| t["fullyQualifiedName"].as_str().unwrap_or("").to_string());
    for t in all {
        let fqn = t["fullyQualifiedName"].as_str().unwrap_or("?").to_string();
        let columns: Map<String, Value> = t["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("?").to_string(),
                    json!({
                        "description": c.get("description"),
                        "tags": names(&c["tags"], "tagFQN"),
                    }),
                )
            })
            .collect();
        let mut data_model = t.get("dataModel").cloned().unwrap_or(Value::Null);
        if let Some(m) = data_model.as_object_mut()
            && let Some(owners) = m.get("owners").cloned()
        {
            m.insert("owners".into(), names(&owners, "name"));
        }
        tables.insert(
            fqn,
            json!({
                "description": t.get("description"),
                "owners": names(&t["owners"], "name"),
                "tags": names(&t["tags"], "tagFQN"),
                "columns": columns,
                "dataModel": data_model,
            }),
        );
    }
    let state = om.snapshot();
    let lineage: Vec<Value> = state["lineage"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let mut columns: Vec<String> = e["details"]["columnsLineage"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let from: Vec<&str> = c["fromColumns"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    format!(
                        "{} <- {}",
                        c["toColumn"].as_str().unwrap_or("?"),
                        from.join(", ")
                    )
                })
                .collect();
            columns.sort();
            json!({
                "from": e["from"]["fqn"],
                "to": e["to"]["fqn"],
                "source": e["details"]["source"],
                "hasSql": e["details"]["sqlQuery"].is_string(),
                "columns": columns,
            })
        })
        .collect();
    let results = &state["testCaseResults"];
    let mut cases: Vec<Value> = om
        .entities("dataQuality/testCases")
        .into_iter()
        .map(|c| {
            let fqn = c["fullyQualifiedName"].as_str().unwrap_or("?").to_string();
            let runs: Vec<Value> = results[&fqn]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    json!({
                        "status": r["testCaseStatus"],
                        "result": r.get("result"),
                        "values": r.get("testResultValue"),
                    })
                })
                .collect();
            json!({
                "fqn": fqn,
                "entityLink": c["entityLink"],
                // A name in the create request; a reference in a real server's answer.
                "testDefinition": c["testDefinition"]
                    .as_str()
                    .or_else(|| c["testDefinition"]["fullyQualifiedName"].as_str()),
                "parameterValues": c.get("parameterValues"),
                "results": runs,
            })
        })
        .collect();
    cases.sort_by_key(|c| c["fqn"].as_str().unwrap_or("").to_string());
    json!({
        "tables": tables,
        "lineage": lineage,
        "testCases": cases,
        "tags": names(&json!(om.entities("tags")), "fullyQualifiedName"),
        "testDefinitions": names(&json!(om.entities("dataQuality/testDefinitions")), "fullyQualifiedName"),
    })
}

#[tokio::test]
async fn jaffle_models_docs_owners_tags_lineage_and_tests_land_on_the_glue_tables() {
    let (_glue, om, omctl) = setup().await;
    ingest_glue(&omctl, Some("awsdatacatalog")).await;

    let run = run_dbt(&omctl, Workflow::template("dbt.yaml"), &[]).await;
    run.assert_code(0);
    run.assert_no_secret();
    assert_eq!(not_found(&run), 0, "{}", run.stderr);
    insta::assert_json_snapshot!("jaffle_after_dbt", dbt_view(&om));

    // A rerun of the same artifacts finds everything in place: nothing changes on
    // the server, in particular no second copy of any test result. The only
    // writes are the idempotent create-or-update PUTs of definitions, tags and
    // test cases; no patch, no data model, no lineage, no result is sent again.
    let before = exact_state(&om);
    om.clear_requests();
    let again = run_dbt(&omctl, Workflow::template("dbt.yaml"), &[]).await;
    again.assert_code(0);
    assert_eq!(
        state_changes(&before, &exact_state(&om)),
        Vec::<String>::new(),
        "{}",
        again.stderr
    );
    let writes: Vec<String> = om
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|w| {
            ![
                "PUT /api/v1/classifications",
                "PUT /api/v1/tags",
                "PUT /api/v1/dataQuality/testDefinitions",
                "PUT /api/v1/dataQuality/testCases",
            ]
            .contains(&w.as_str())
        })
        .collect();
    assert_eq!(writes, Vec::<String>::new(), "{}", again.stderr);
}

#[tokio::test]
async fn a_dry_run_lists_the_planned_updates_and_writes_nothing() {
    let (_glue, om, omctl) = setup().await;
    ingest_glue(&omctl, Some("awsdatacatalog")).await;
    let writes = om.writes();
    let run = run_dbt(&omctl, Workflow::template("dbt.yaml"), &["--dry-run"]).await;
    run.assert_code(0);
    assert_eq!(om.writes(), writes, "{}", run.stderr);
    let planned = run.all().lines().any(|l| {
        l.contains("would set dataModel") && l.contains("e2e_glue.awsdatacatalog.cafe.orders")
    });
    assert!(
        planned,
        "the planned updates name the tables:\n{}",
        run.all()
    );
}

#[tokio::test]
async fn tables_named_after_the_catalog_id_get_the_exact_catalog_mapping_hint() {
    let (_glue, om, omctl) = setup().await;
    // Without databaseName the Glue connector names the database after the
    // catalog id; dbt-athena names it `awsdatacatalog`.
    ingest_glue(&omctl, None).await;
    let run = run_dbt(&omctl, Workflow::template("dbt.yaml"), &[]).await;
    assert!(not_found(&run) > 0, "{}", run.stderr);
    // The report keeps each warning in full (the console shortens them).
    let all: String = run.step("metadata-rest")["warningMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["error"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("e2e_glue.awsdatacatalog.cafe.orders"),
        "the warning names the FQN tried:\n{all}"
    );
    assert!(
        all.contains(r#"catalogMapping: {awsdatacatalog: "123456789012"}"#)
            || all.contains(r#"catalogMapping: {"awsdatacatalog": "123456789012"}"#),
        "the warning gives the catalogMapping that fixes it:\n{all}"
    );
    assert!(
        all.contains("databaseName: awsdatacatalog"),
        "the warning gives the databaseName alternative:\n{all}"
    );
    // Nothing was written onto the tables.
    assert!(
        om.entities("tables")
            .iter()
            .all(|t| t.get("dataModel").is_none()),
        "{all}"
    );

    // With the mapping the hint suggests, the same Glue service matches.
    let mapped = Workflow::template("dbt.yaml").set(
        "source.sourceConfig.config.catalogMapping.awsdatacatalog",
        "123456789012",
    );
    let run = run_dbt(&omctl, mapped, &[]).await;
    run.assert_code(0);
    assert_eq!(not_found(&run), 0, "{}", run.stderr);
    let orders = om
        .entity("tables", "e2e_glue.123456789012.cafe.orders")
        .expect("the Glue table");
    assert_eq!(orders["dataModel"]["modelType"], "DBT", "{}", run.stderr);
}

#[tokio::test]
async fn a_service_that_does_not_exist_fails_before_anything_is_read() {
    let (_glue, om, omctl) = setup().await;
    // The artifacts path is broken too: the service check must come first.
    let workflow = Workflow::template("dbt.yaml")
        .set("source.serviceName", "no_such_service")
        .set(
            "source.sourceConfig.config.dbtConfigSource.dbtManifestFilePath",
            "/nonexistent/manifest.json",
        );
    let run = run_dbt(&omctl, workflow, &[]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    let all = run.all();
    assert!(all.contains("no_such_service"), "{all}");
    assert!(!all.contains("/nonexistent/manifest.json"), "{all}");
    assert_eq!(om.writes(), 0);
}

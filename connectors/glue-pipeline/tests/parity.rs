//! OpenMetadata's own unit-test expectations for its Glue pipeline connector
//! (`test_gluepipeline.py`, `test_glue_script_parser.py`), checked against this
//! connector. Where omctl differs on purpose, the test asserts omctl's behaviour
//! and says what upstream does; the README lists the differences.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel};
use glue_mock::{GlueMock, Pipelines};
use glue_pipeline::lineage::script::script_lineage;
use glue_pipeline::lineage::{DataRef, jdbc_url_database};
use serde_json::{Value, json};

const TRIGGER_ID: &str = "wnode_98c85bc1e19d969e35e0687b2ec586822271463c72dd556f90cfe6421a2517ee";
const JOB_ID: &str = "wnode_0cbf9f52c41002015ebc46fe70a9b0ea64ff7dba891cf141d6dcbf5580fe7123";

/// Upstream's `redshift workflow` fixture: an on-demand trigger starting one job,
/// and a completed run whose job failed (started 2024-09-30 17:07:59.185 UTC).
fn redshift_workflow() -> Pipelines {
    serde_json::from_value(json!({
        "Workflows": [{
            "Name": "redshift workflow",
            "Description": "redshift workflow description",
            "Graph": {
                "Nodes": [
                    {"Type": "TRIGGER", "Name": "redshift_event", "UniqueId": TRIGGER_ID,
                     "TriggerDetails": {"Trigger": {"Name": "redshift_event", "WorkflowName": "redshift workflow",
                        "Type": "ON_DEMAND", "State": "CREATED", "Actions": [{"JobName": "Redshift DBT Job"}]}}},
                    {"Type": "JOB", "Name": "Redshift DBT Job", "UniqueId": JOB_ID, "JobDetails": {}}
                ],
                "Edges": [{"SourceId": TRIGGER_ID, "DestinationId": JOB_ID}]
            },
            "Runs": [{
                "WorkflowRunId": "wr_1", "Status": "COMPLETED",
                "StartedOn": 1727716079.185, "CompletedOn": 1727716083.003,
                "JobRuns": [{"Id": "jr_1", "Attempt": 0, "JobName": "Redshift DBT Job", "JobMode": "VISUAL",
                             "StartedOn": 1727716079.185, "CompletedOn": 1727716083.003, "JobRunState": "FAILED"}]
            }]
        }],
        "Jobs": [{"Name": "Redshift DBT Job", "JobMode": "VISUAL"}]
    }))
    .unwrap()
}

/// Statuses back to 2024.
fn all_runs() -> Value {
    json!({"statusLookbackDays": 36500})
}

#[tokio::test]
async fn pipeline_name_and_request() {
    let mock = GlueMock::start(catalog_with(redshift_workflow())).await;
    let run = run(source(&mock, json!({}), all_runs()));
    run.assert_ok();
    assert_eq!(
        run.fqns(EntityKind::Pipeline),
        ["glue_jobs.redshift workflow"]
    );
    let request = run.request("glue_jobs.redshift workflow").unwrap();
    assert_eq!(
        request,
        &json!({
            "name": "redshift workflow",
            "displayName": "redshift workflow",
            // Upstream leaves the workflow description out; omctl keeps it.
            "description": "redshift workflow description",
            "service": "glue_jobs",
            // Upstream: `…/workflows/view/redshift workflow`, a literal space.
            "sourceUrl": "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/etl-configuration/workflows/view/redshift%20workflow",
            "tasks": [
                {
                    "name": "redshift_event",
                    "displayName": "redshift_event",
                    // omctl adds a description and a link to each task; upstream sends `tags: []`.
                    "description": "On-demand trigger",
                    "downstreamTasks": ["Redshift DBT Job"],
                    "sourceUrl": "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/etl-configuration/triggers/view/redshift_event",
                    "taskType": "TRIGGER"
                },
                {
                    "name": "Redshift DBT Job",
                    "displayName": "Redshift DBT Job",
                    "downstreamTasks": [],
                    "sourceUrl": "https://us-east-2.console.aws.amazon.com/gluestudio/home?region=us-east-2#/editor/job/Redshift%20DBT%20Job/details",
                    "taskType": "JOB"
                }
            ]
        })
    );
}

#[tokio::test]
async fn status_timestamp_in_milliseconds() {
    let mock = GlueMock::start(catalog_with(redshift_workflow())).await;
    let run = run(source(&mock, json!({}), all_runs()));
    run.assert_ok();
    let statuses = statuses_of(&run, "glue_jobs.redshift workflow");
    // Upstream: one status per job run; omctl: one per workflow run with every task.
    assert_eq!(statuses.len(), 1);
    let s = statuses[0];
    assert_eq!(s["timestamp"], 1_727_716_079_185i64);
    assert_eq!(s["executionStatus"], "Failed");
    assert_eq!(s["taskStatus"][1]["name"], "Redshift DBT Job");
    assert_eq!(s["taskStatus"][1]["startTime"], 1_727_716_079_185i64);
    assert_eq!(s["taskStatus"][1]["endTime"], 1_727_716_083_003i64);
}

#[tokio::test]
async fn downstream_tasks_drop_edges_to_unknown_nodes() {
    let p: Pipelines = serde_json::from_value(json!({"Workflows": [{
        "Name": "w",
        "Graph": {
            "Nodes": [
                {"Type": "TRIGGER", "Name": "redshift_event", "UniqueId": "t1"},
                {"Type": "JOB", "Name": "Redshift DBT Job", "UniqueId": "j1"},
                {"Type": "CRAWLER", "Name": "my crawler", "UniqueId": "c1"},
                {"Type": "JOB", "Name": "second job", "UniqueId": "j2"}
            ],
            "Edges": [
                {"SourceId": "t1", "DestinationId": "j1"}, {"SourceId": "t1", "DestinationId": "c1"},
                {"SourceId": "j1", "DestinationId": "j2"}, {"SourceId": "j1", "DestinationId": "MISSING"}
            ]
        }
    }]}))
    .unwrap();
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let tasks: Vec<String> = run.request("glue_jobs.w").unwrap()["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t["name"].as_str().unwrap(),
                t["taskType"].as_str().unwrap(),
                t["downstreamTasks"]
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            r#"redshift_event TRIGGER ["Redshift DBT Job","my crawler"]"#,
            r#"Redshift DBT Job JOB ["second job"]"#,
            "my crawler CRAWLER []",
            "second job JOB []",
        ]
    );
}

fn s3_job(path: &str) -> Value {
    json!({"Name": format!("job for {path}"), "JobMode": "VISUAL", "CodeGenConfigurationNodes": {
        "n1": {"S3ParquetSource": {"Name": "in", "Paths": [path]}},
        "n2": {"CatalogTarget": {"Name": "out", "Inputs": ["n1"], "Database": "sales", "Table": "orders"}}
    }})
}

#[tokio::test]
async fn s3_paths_with_and_without_trailing_slash_name_one_container() {
    // Upstream searches the path without the slash, then with it; omctl names the
    // container by its canonical URL once and the sink finds it.
    let p: Pipelines = serde_json::from_value(json!({"Jobs": [
        s3_job("s3://collate-glue-connector-test/glue-sample-data/parquet/"),
        s3_job("s3://collate-glue-connector-test/glue-sample-data/parquet"),
    ]}))
    .unwrap();
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(
        &mock,
        json!({}),
        json!({"lineageInformation": {"dbServiceNames": ["glue"]}}),
    ));
    run.assert_ok();
    let from: std::collections::BTreeSet<String> = run
        .records
        .iter()
        .filter_map(|r| match r {
            connector_sdk::Record::Lineage { from, .. } => {
                Some(format!("{} {}", from.kind, from.fqn))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        from.into_iter().collect::<Vec<_>>(),
        ["container s3://collate-glue-connector-test/glue-sample-data/parquet"]
    );
}

#[tokio::test]
async fn catalog_refs_resolve_with_the_glue_database_as_schema() {
    // Upstream builds `<svc>.my_database.*.my_table` (an ES wildcard), which misses
    // the tables the Glue connector made; omctl builds `<svc>.<catalog>.my_database.my_table`.
    let p: Pipelines = serde_json::from_value(json!({"Jobs": [{"Name": "j", "JobMode": "VISUAL",
        "CodeGenConfigurationNodes": {
            "n1": {"CatalogSource": {"Name": "in", "Database": "sales", "Table": "orders"}},
            "n2": {"CatalogTarget": {"Name": "out", "Database": "analytics", "Table": "user_profiles", "Inputs": ["n1"]}}
        }}]}))
    .unwrap();
    let mock = GlueMock::start(catalog_with(p)).await;
    let with = run(source(
        &mock,
        json!({}),
        json!({"lineageInformation": {"dbServiceNames": ["glue"]}}),
    ));
    with.assert_ok();
    assert_eq!(
        edges(&with),
        [
            "glue.123456789012.sales.orders -> glue.123456789012.analytics.user_profiles (glue_jobs.j)"
        ]
    );
    // Upstream's wildcard fallback with no services is not possible without a
    // search: omctl says so once and sends no table lineage.
    let without = run(source(&mock, json!({}), json!({})));
    without.assert_ok();
    assert!(edges(&without).is_empty());
    let warnings = messages(&without, EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains("dbServiceNames"));
}

#[tokio::test]
async fn jdbc_refs_need_a_schema() {
    // Upstream resolves `customer_sample` in database `dev` by a wildcard search
    // over schemas; omctl needs the schema (from the node or `schema.table`).
    let script = r#"
glueContext.write_dynamic_frame.from_jdbc_conf(
    frame=out,
    catalog_connection="Redshift - Jdbc connection",
    connection_options={"dbtable": "customer_sample", "database": "dev"},
    redshift_tmp_dir=args["TempDir"],
)
glueContext.write_dynamic_frame.from_jdbc_conf(
    frame=out,
    catalog_connection="Redshift - Jdbc connection",
    connection_options={"dbtable": "public.customer_copy", "database": "dev"},
)
src = glueContext.create_dynamic_frame.from_catalog(database="sales", table_name="customers")
"#;
    let p: Pipelines = serde_json::from_value(json!({
        "Jobs": [{"Name": "to_redshift", "JobMode": "SCRIPT", "Command": {"ScriptLocation": "s3://scripts/to_redshift.py"}}],
        "Scripts": {"s3://scripts/to_redshift.py": script}
    }))
    .unwrap();
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(
        &mock,
        json!({}),
        json!({"lineageInformation": {"dbServiceNames": ["redshift"]}}),
    ));
    run.assert_ok();
    assert_eq!(
        edges(&run),
        [
            "redshift.123456789012.sales.customers -> redshift.dev.public.customer_copy (glue_jobs.to_redshift)"
        ]
    );
    let warnings = messages(&run, EventLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("JDBC table dev.customer_sample") && w.contains("schema")),
        "{warnings:#?}"
    );
}

// ---- test_glue_script_parser.py ----

fn catalog(d: &str, t: &str) -> DataRef {
    DataRef::catalog(d, t).unwrap()
}

fn s3(p: &str) -> DataRef {
    DataRef::s3(p).unwrap()
}

fn jdbc(
    connection: Option<&str>,
    url: Option<&str>,
    database: Option<&str>,
    table: &str,
) -> DataRef {
    DataRef::jdbc(connection, url, database, None, table).unwrap()
}

const S3_SOURCE: &str = r#"
datasource = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://collate-glue-connector-test/glue-sample-data/parquet/"], "recurse": True},
    format="parquet",
    transformation_ctx="datasource",
)
"#;

const JDBC_TARGET: &str = r#"
glueContext.write_dynamic_frame.from_jdbc_conf(
    frame=datasource,
    catalog_connection="Redshift - Jdbc connection",
    connection_options={"dbtable": "customer_sample", "database": "dev"},
    redshift_tmp_dir=args["TempDir"],
    transformation_ctx="sink",
)
"#;

#[test]
fn script_parser_parity() {
    assert!(script_lineage("").is_empty());
    assert!(script_lineage("import sys\nprint('no data here')\n").is_empty());

    let l = script_lineage(S3_SOURCE);
    assert_eq!(
        l.sources,
        [s3(
            "s3://collate-glue-connector-test/glue-sample-data/parquet/"
        )]
    );

    let l = script_lineage(JDBC_TARGET);
    assert_eq!(
        l.targets,
        [jdbc(
            Some("Redshift - Jdbc connection"),
            None,
            Some("dev"),
            "customer_sample"
        )]
    );

    let full = format!(
        "import sys\nfrom awsglue.context import GlueContext\n{S3_SOURCE}\nmapped = ApplyMapping.apply(frame=datasource, mappings=[])\n{JDBC_TARGET}"
    );
    let l = script_lineage(&full);
    assert_eq!(l.sources.len(), 1);
    assert_eq!(l.targets.len(), 1);

    let l = script_lineage(
        r#"df = glueContext.create_dynamic_frame.from_catalog(database="my_database", table_name="my_table")"#,
    );
    assert_eq!(l.sources, [catalog("my_database", "my_table")]);

    let l = script_lineage(
        r#"glueContext.write_dynamic_frame.from_catalog(frame=df, database="output_db", table_name="output_table")"#,
    );
    assert_eq!(l.targets, [catalog("output_db", "output_table")]);

    let l = script_lineage(
        r#"glueContext.write_dynamic_frame.from_options(frame=df, connection_type="s3", connection_options={"path": "s3://my-bucket/output/data/"}, format="json")"#,
    );
    assert_eq!(l.targets, [s3("s3://my-bucket/output/data/")]);

    let l = script_lineage("df = spark.read.parquet(\"s3://my-bucket/input/data/\")");
    assert_eq!(l.sources, [s3("s3://my-bucket/input/data/")]);
    let l =
        script_lineage("df = spark.read.format(\"parquet\").load(\"s3://my-bucket/input/data/\")");
    assert_eq!(l.sources, [s3("s3://my-bucket/input/data/")]);

    let l = script_lineage(
        r#"users = spark.read.jdbc("jdbc:postgresql://myhost:5432/mydb", "public.users", properties=props)"#,
    );
    assert_eq!(
        l.sources,
        [jdbc(
            None,
            Some("jdbc:postgresql://myhost:5432/mydb"),
            None,
            "public.users"
        )]
    );

    let l = script_lineage(r#"df = spark.read.table("my_database.my_table")"#);
    assert_eq!(l.sources, [catalog("my_database", "my_table")]);
    let l = script_lineage(r#"df = spark.read.table("my_table")"#);
    assert_eq!(l.sources, [catalog("default", "my_table")]);

    let l = script_lineage(r#"df.write.mode("overwrite").parquet("s3://my-bucket/output/")"#);
    assert_eq!(l.targets, [s3("s3://my-bucket/output/")]);
    let l = script_lineage(r#"df.write.format("csv").save("s3://my-bucket/output/csv/")"#);
    assert_eq!(l.targets, [s3("s3://my-bucket/output/csv/")]);
    let l =
        script_lineage(r#"df.write.jdbc("jdbc:mysql://host:3306/mydb", "orders", mode="append")"#);
    assert_eq!(
        l.targets,
        [jdbc(
            None,
            Some("jdbc:mysql://host:3306/mydb"),
            None,
            "orders"
        )]
    );

    let l = script_lineage(
        "df.write.saveAsTable(\"analytics.user_summary\")\ndf.write.insertInto(\"warehouse.events\")",
    );
    assert_eq!(
        l.targets,
        [
            catalog("analytics", "user_summary"),
            catalog("warehouse", "events")
        ]
    );

    let l = script_lineage(
        r#"glueContext.purge_table("temp_db", "staging_data", {"retentionPeriod": 1})"#,
    );
    assert_eq!(l.targets, [catalog("temp_db", "staging_data")]);

    let l = script_lineage(
        "a = spark.read.csv(\"s3a://bucket/a/\")\nb = spark.read.json(\"s3n://bucket/b/\")",
    );
    assert_eq!(l.sources, [s3("s3a://bucket/a/"), s3("s3n://bucket/b/")]);

    let multi = r#"
orders = glueContext.create_dynamic_frame.from_catalog(database="sales", table_name="orders")
events = spark.read.parquet("s3://lake/events/")
orders.toDF().write.saveAsTable("analytics.orders_copy")
events.write.parquet("s3://lake/events_clean/")
"#;
    let l = script_lineage(multi);
    assert_eq!(
        l.sources,
        [catalog("sales", "orders"), s3("s3://lake/events/")]
    );
    assert_eq!(
        l.targets,
        [
            catalog("analytics", "orders_copy"),
            s3("s3://lake/events_clean/")
        ]
    );
}

#[test]
fn jdbc_url_parity() {
    assert_eq!(
        jdbc_url_database(
            "jdbc:redshift://cluster.example.us-east-1.redshift.amazonaws.com:5439/dev"
        )
        .as_deref(),
        Some("dev")
    );
    assert_eq!(
        jdbc_url_database("jdbc:postgresql://localhost:5432/mydb").as_deref(),
        Some("mydb")
    );
    assert_eq!(
        jdbc_url_database("jdbc:mysql://localhost:3306/salesdb").as_deref(),
        Some("salesdb")
    );
    assert_eq!(jdbc_url_database(""), None);
    assert_eq!(jdbc_url_database("not-a-jdbc-url"), None);
}

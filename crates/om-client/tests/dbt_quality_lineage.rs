//! The sink's data quality and lineage for a dbt workflow, against the emulator:
//! test cases and results on tables the Glue workflow wrote (spelled differently),
//! lineage resets, lineage ends found case-insensitively, column lineage in the
//! server's spelling, edges not re-sent, and dry run.

mod common;

use std::time::Duration;

use common::{assert_clean, count_requests, run_with, server_config};
use om_client::{MetadataRestSink, SinkOptions};
use om_mock::{MockSettings, OmMock, Redactions};
use omctl_record::sink::Sink;
use omctl_record::status::StepSummary;
use omctl_record::{EntityKind, EntityRef, Record};
use serde_json::{Value, json};

const SERVICE: &str = "glue_prod";
/// How dbt spells the schema: the Glue workflow stored `glue_prod.AwsDataCatalog.Cafe`.
const DBT_SCHEMA: &str = "glue_prod.awsdatacatalog.cafe";
const SERVER_SCHEMA: &str = "glue_prod.AwsDataCatalog.Cafe";

/// What the Glue workflow left on the server: tables with mixed-case names.
fn seed_glue(mock: &OmMock, extra_tables: &[&str]) {
    mock.seed(
        "services/databaseServices",
        json!({"name": SERVICE, "serviceType": "Glue"}),
    )
    .unwrap();
    mock.seed(
        "databases",
        json!({"name": "AwsDataCatalog", "service": SERVICE}),
    )
    .unwrap();
    mock.seed(
        "databaseSchemas",
        json!({"name": "Cafe", "database": "glue_prod.AwsDataCatalog"}),
    )
    .unwrap();
    let column = |name: &str, t: &str| json!({"name": name, "dataType": t});
    let tables = [
        (
            "Orders",
            vec![
                column("Order_Id", "BIGINT"),
                column("Amount", "DECIMAL"),
                column("Customer_Id", "BIGINT"),
            ],
        ),
        (
            "Customers",
            vec![column("Customer_Id", "BIGINT"), column("Name", "STRING")],
        ),
        (
            "Order_Summary",
            vec![column("Customer_Id", "BIGINT"), column("Total", "DECIMAL")],
        ),
    ];
    for (name, columns) in tables {
        mock.seed(
            "tables",
            json!({"name": name, "databaseSchema": SERVER_SCHEMA, "columns": columns}),
        )
        .unwrap();
    }
    for name in extra_tables {
        mock.seed(
            "tables",
            json!({"name": name, "databaseSchema": SERVER_SCHEMA, "columns": [column("Id", "BIGINT")]}),
        )
        .unwrap();
    }
}

fn dbt_options(dry_run: bool) -> SinkOptions {
    SinkOptions {
        dry_run,
        sink_config: json!({}),
        source_config: json!({"type": "DBT"}),
        service_name: Some(SERVICE.to_string()),
        service_connection: None,
    }
}

async fn run_dbt(mock: &OmMock, records: Vec<Record>) -> StepSummary {
    run_with(mock.url(), dbt_options(false), records)
        .await
        .expect("the run completes")
}

fn dbt_table(name: &str) -> String {
    format!("{DBT_SCHEMA}.{name}")
}

fn table_ref(name: &str) -> EntityRef {
    EntityRef::new(EntityKind::Table, dbt_table(name))
}

fn not_null_definition() -> Record {
    Record::Entity {
        kind: EntityKind::TestDefinition,
        fqn: "not_null".into(),
        parent: None,
        request: json!({"name": "not_null", "entityType": "COLUMN", "testPlatforms": ["dbt"]}),
    }
}

/// A test case as the dbt plugin spells it, on `table` (and `column`).
fn test_case(table: &str, column: Option<&str>, name: &str) -> (String, Record) {
    let table_fqn = dbt_table(table);
    let (fqn, link) = match column {
        Some(c) => (
            format!("{table_fqn}.{c}.{name}"),
            format!("<#E::table::{table_fqn}::columns::{c}>"),
        ),
        None => (
            format!("{table_fqn}.{name}"),
            format!("<#E::table::{table_fqn}>"),
        ),
    };
    let record = Record::Entity {
        kind: EntityKind::TestCase,
        fqn: fqn.clone(),
        parent: Some(table_fqn),
        request: json!({
            "name": name,
            "testDefinition": "not_null",
            "entityLink": link,
            "parameterValues": []
        }),
    };
    (fqn, record)
}

fn result(test_case: &str, timestamp: i64, status: &str) -> Record {
    Record::TestCaseResult {
        test_case: test_case.to_string(),
        result: json!({
            "timestamp": timestamp,
            "testCaseStatus": status,
            "testResultValue": [{"name": "failures", "value": "0"}]
        }),
    }
}

/// A column-level and a table-level test with one result each.
fn quality_stream() -> Vec<Record> {
    let (column_case, column_record) = test_case("orders", Some("order_id"), "not_null_orders_id");
    let (table_case, table_record) = test_case("orders", None, "orders_row_count");
    vec![
        not_null_definition(),
        column_record,
        result(&column_case, 1_718_000_000_000, "Success"),
        table_record,
        result(&table_case, 1_718_000_000_000, "Failed"),
    ]
}

#[tokio::test]
async fn test_cases_land_on_the_server_spelling_of_their_table() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let summary = run_dbt(&mock, quality_stream()).await;
    assert_clean(&summary);
    // The definition, two test cases, two results.
    assert_eq!(summary.records, 5);
    let column_case = mock
        .entity(
            "dataQuality/testCases",
            "glue_prod.AwsDataCatalog.Cafe.Orders.Order_Id.not_null_orders_id",
        )
        .expect("the column test is under the server's table and column");
    assert_eq!(
        column_case["entityLink"],
        json!("<#E::table::glue_prod.AwsDataCatalog.Cafe.Orders::columns::Order_Id>")
    );
    let mut state = mock.snapshot_with(&Redactions::keys(&["updatedAt"]));
    let quality = json!({
        "testCases": state["entities"]["dataQuality/testCases"].take(),
        "testCaseResults": state["testCaseResults"].take(),
    });
    insta::assert_json_snapshot!("dbt_test_cases", quality);
}

#[tokio::test]
async fn a_test_on_an_unknown_column_fails_naming_table_and_column() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let (case, record) = test_case("orders", Some("order_ref"), "not_null_orders_ref");
    let summary = run_dbt(
        &mock,
        vec![
            not_null_definition(),
            record,
            result(&case, 1_718_000_000_000, "Success"),
        ],
    )
    .await;
    assert_eq!(summary.errors, 1, "{:?}", summary.failures);
    let failure = &summary.failures[0];
    assert_eq!(failure.name, case);
    assert!(
        failure
            .error
            .contains("table glue_prod.AwsDataCatalog.Cafe.Orders has no column order_ref"),
        "{}",
        failure.error
    );
    // Its result is skipped with a warning naming the test case.
    assert_eq!(summary.warnings, 1, "{:?}", summary.warning_messages);
    let warning = &summary.warning_messages[0].error;
    assert!(
        warning.contains(&format!("result of test case {case} was skipped")),
        "{warning}"
    );
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        0
    );
    assert_eq!(
        count_requests(
            &mock,
            "POST",
            "/api/v1/dataQuality/testCases/testCaseResults"
        ),
        0
    );
}

#[tokio::test]
async fn a_result_is_posted_once_and_not_again_on_a_rerun() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let first = run_dbt(&mock, quality_stream()).await;
    assert_eq!(first.errors, 0, "{:?}", first.failures);
    let results_path = "/api/v1/dataQuality/testCases/testCaseResults";
    assert_eq!(count_requests(&mock, "POST", results_path), 2);
    mock.clear_requests();
    let again = run_dbt(&mock, quality_stream()).await;
    assert_eq!(again.errors, 0, "{:?}", again.failures);
    assert_eq!(
        again.records, 5,
        "results the server has count as unchanged"
    );
    assert_eq!(count_requests(&mock, "POST", results_path), 0);
    // One listing of the table's test cases with their latest results tells all:
    // no test case is written again and no result looked up.
    assert_eq!(count_requests(&mock, "GET", results_path), 0);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        0
    );
    let listings = mock
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/dataQuality/testCases?"))
        .count();
    assert_eq!(listings, 1);
    let results = mock.snapshot()["testCaseResults"].clone();
    for (fqn, series) in results.as_object().unwrap() {
        assert_eq!(series.as_array().unwrap().len(), 1, "{fqn}: {series}");
    }
    // A new run of the tests adds its result next to the first.
    let (case, _) = test_case("orders", Some("order_id"), "not_null_orders_id");
    let mut stream = quality_stream();
    stream.push(result(&case, 1_718_000_060_000, "Failed"));
    mock.clear_requests();
    run_dbt(&mock, stream).await;
    let stored = "glue_prod.AwsDataCatalog.Cafe.Orders.Order_Id.not_null_orders_id";
    let series = |mock: &OmMock| {
        mock.snapshot()["testCaseResults"][stored]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(series(&mock), 2);
    // Later than the latest stored: posted without a look-up.
    assert_eq!(count_requests(&mock, "GET", results_path), 0);

    // An older result than the latest stored is looked up by its timestamp: the
    // one the server has is not sent again, a missing one is.
    mock.clear_requests();
    let mut stream = quality_stream();
    stream.push(result(&case, 1_717_000_000_000, "Failed"));
    run_dbt(&mock, stream).await;
    assert_eq!(count_requests(&mock, "GET", results_path), 2);
    assert_eq!(count_requests(&mock, "POST", results_path), 1);
    assert_eq!(series(&mock), 3);
}

#[tokio::test]
async fn a_changed_test_case_is_written_again_and_keeps_its_results() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    run_dbt(&mock, quality_stream()).await;
    mock.clear_requests();
    let mut stream = quality_stream();
    if let Record::Entity { request, .. } = &mut stream[1] {
        request["description"] = json!("order ids are never null");
    }
    let summary = run_dbt(&mock, stream).await;
    assert_clean(&summary);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        1
    );
    let stored = mock
        .entity(
            "dataQuality/testCases",
            "glue_prod.AwsDataCatalog.Cafe.Orders.Order_Id.not_null_orders_id",
        )
        .unwrap();
    assert_eq!(stored["description"], json!("order ids are never null"));
    let results = mock.snapshot()["testCaseResults"].clone();
    for (fqn, series) in results.as_object().unwrap() {
        assert_eq!(series.as_array().unwrap().len(), 1, "{fqn}: {series}");
    }
}

#[tokio::test]
async fn the_result_of_a_test_on_a_missing_table_is_skipped_with_a_warning() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let (case, record) = test_case("nowhere", Some("id"), "not_null_nowhere_id");
    let summary = run_dbt(
        &mock,
        vec![record, result(&case, 1_718_000_000_000, "Success")],
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.not_found, 1);
    assert_eq!(summary.warnings, 2, "{:?}", summary.warning_messages);
    let messages: Vec<&str> = summary
        .warning_messages
        .iter()
        .map(|w| w.error.as_str())
        .collect();
    assert!(
        messages[0].contains("table glue_prod.awsdatacatalog.cafe.nowhere was not found"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains(&format!("the result of test case {case} was skipped"))
            && messages[1].contains("glue_prod.awsdatacatalog.cafe.nowhere is not on the server"),
        "{messages:?}"
    );
    assert_eq!(
        count_requests(
            &mock,
            "POST",
            "/api/v1/dataQuality/testCases/testCaseResults"
        ),
        0
    );
}

fn dbt_edge(from: &str, to: &str, columns: Value) -> Record {
    let mut details = json!({"source": "DbtLineage", "sqlQuery": format!("select * from {from}")});
    if !columns.is_null() {
        details["columnsLineage"] = columns;
    }
    Record::Lineage {
        from: table_ref(from),
        to: table_ref(to),
        details: Some(details),
    }
}

fn edges_into(mock: &OmMock, to_fqn: &str) -> Vec<Value> {
    mock.snapshot()["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"]["fqn"] == to_fqn)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_reset_never_removes_edges_the_run_writes() {
    let sources: Vec<String> = (0..24).map(|i| format!("Src_{i:02}")).collect();
    let source_names: Vec<&str> = sources.iter().map(String::as_str).collect();
    let mock = OmMock::start_with(MockSettings {
        latency: Duration::from_millis(15),
        ..MockSettings::default()
    })
    .await;
    let mut seeded = source_names.clone();
    seeded.push("Legacy");
    seed_glue(&mock, &seeded);
    // An earlier run left a dbt edge that is gone from the project, and someone
    // drew an edge by hand.
    let stale = dbt_edge("legacy", "order_summary", Value::Null);
    let mut manual = dbt_edge("orders", "order_summary", Value::Null);
    if let Record::Lineage { details, .. } = &mut manual {
        *details = Some(json!({"source": "Manual"}));
    }
    let first = run_dbt(&mock, vec![stale, manual]).await;
    assert_eq!(first.errors, 0, "{:?}", first.failures);
    let target = format!("{SERVER_SCHEMA}.Order_Summary");
    assert_eq!(edges_into(&mock, &target).len(), 2);
    mock.clear_requests();
    // The removal is the next write; the server makes it wait a second
    // (429 with Retry-After). Edges sent meanwhile would be removed with it.
    assert_eq!(mock.writes(), 2);
    mock.update(|s| s.throttle_every_nth_write = Some((3, 1)));

    // overrideLineage: the reset, then many edges into the same target at once; a
    // second pass resets the same target again before one more edge.
    let reset = Record::LineageReset {
        to: table_ref("order_summary"),
        source: "DbtLineage".into(),
    };
    let mut stream = vec![reset.clone()];
    for s in &sources {
        stream.push(dbt_edge(&s.to_lowercase(), "order_summary", Value::Null));
    }
    stream.push(reset);
    stream.push(dbt_edge("customers", "order_summary", Value::Null));
    let mut options = dbt_options(false);
    options.sink_config = json!({"concurrency": 16});
    let summary = run_with(mock.url(), options, stream).await.unwrap();
    assert_clean(&summary);
    let edges = edges_into(&mock, &target);
    let mut froms: Vec<String> = edges
        .iter()
        .map(|e| e["from"]["fqn"].as_str().unwrap().to_string())
        .collect();
    froms.sort();
    let mut expected: Vec<String> = sources
        .iter()
        .map(|s| format!("{SERVER_SCHEMA}.{s}"))
        .collect();
    expected.push(format!("{SERVER_SCHEMA}.Customers"));
    expected.push(format!("{SERVER_SCHEMA}.Orders"));
    expected.sort();
    assert_eq!(
        froms, expected,
        "every edge of this run and the manual one; not the stale one"
    );
    let manual = edges
        .iter()
        .find(|e| e["from"]["fqn"] == format!("{SERVER_SCHEMA}.Orders"))
        .unwrap();
    assert_eq!(manual["details"]["source"], "Manual");
    let removals: Vec<u16> = mock
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.status)
        .collect();
    assert_eq!(removals, [429, 200], "one removal, retried once");
    // Edges into a target reset in this run are written without reading the
    // stored edge first.
    assert_eq!(
        count_requests(&mock, "GET", "/api/v1/lineage/getLineageEdge/"),
        0
    );
}

fn column_edge() -> Record {
    let col = |t: &str, c: &str| format!("{}.{c}", dbt_table(t));
    dbt_edge(
        "orders",
        "order_summary",
        json!([
            {"fromColumns": [col("orders", "customer_id")], "toColumn": col("order_summary", "customer_id")},
            {"fromColumns": [col("orders", "amount"), col("orders", "no_such")], "toColumn": col("order_summary", "total")},
            {"fromColumns": [col("orders", "amount")], "toColumn": col("order_summary", "gone")}
        ]),
    )
}

#[tokio::test]
async fn lineage_ends_and_columns_take_the_server_spelling() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let summary = run_dbt(&mock, vec![column_edge()]).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.records, 1);
    assert_eq!(summary.warnings, 1, "{:?}", summary.warning_messages);
    let warning = &summary.warning_messages[0].error;
    assert!(
        warning.contains("2 column(s) not found on the server")
            && warning.contains("glue_prod.awsdatacatalog.cafe.orders.no_such")
            && warning.contains("glue_prod.awsdatacatalog.cafe.order_summary.gone"),
        "{warning}"
    );
    insta::assert_json_snapshot!("dbt_column_lineage", mock.snapshot()["lineage"]);
}

#[tokio::test]
async fn an_edge_the_server_has_is_not_sent_again_and_new_columns_are_merged() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    run_dbt(&mock, vec![column_edge()]).await;
    let before = mock.snapshot();
    mock.clear_requests();
    let again = run_dbt(&mock, vec![column_edge()]).await;
    assert_eq!(again.errors, 0, "{:?}", again.failures);
    assert_eq!(again.records, 1);
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 0);
    // One read of the edges into the target.
    assert_eq!(count_requests(&mock, "GET", "/api/v1/lineage/table/"), 1);
    assert_eq!(
        count_requests(&mock, "GET", "/api/v1/lineage/getLineageEdge/"),
        0
    );
    assert_eq!(mock.snapshot(), before);

    // The project now maps one more column: the stored columns stay, the new one
    // joins them.
    let col = |t: &str, c: &str| format!("{}.{c}", dbt_table(t));
    let more = dbt_edge(
        "orders",
        "order_summary",
        json!([
            {"fromColumns": [col("orders", "order_id")], "toColumn": col("order_summary", "total")}
        ]),
    );
    let third = run_dbt(&mock, vec![more]).await;
    assert_eq!(third.errors, 0, "{:?}", third.failures);
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 1);
    let columns = &mock.snapshot()["lineage"][0]["details"]["columnsLineage"];
    assert_eq!(
        *columns,
        json!([
            {"fromColumns": ["glue_prod.AwsDataCatalog.Cafe.Orders.Customer_Id"],
             "toColumn": "glue_prod.AwsDataCatalog.Cafe.Order_Summary.Customer_Id"},
            {"fromColumns": ["glue_prod.AwsDataCatalog.Cafe.Orders.Amount",
                             "glue_prod.AwsDataCatalog.Cafe.Orders.Order_Id"],
             "toColumn": "glue_prod.AwsDataCatalog.Cafe.Order_Summary.Total"}
        ])
    );
}

#[tokio::test]
async fn a_lineage_end_missing_on_the_server_is_a_not_found_warning() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let summary = run_dbt(&mock, vec![dbt_edge("nowhere", "orders", Value::Null)]).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.not_found, 1);
    assert!(
        summary.warning_messages[0]
            .error
            .contains("table glue_prod.awsdatacatalog.cafe.nowhere was not found"),
        "{:?}",
        summary.warning_messages
    );
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 0);
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let before = mock.snapshot();
    let mut stream = quality_stream();
    stream.push(Record::LineageReset {
        to: table_ref("order_summary"),
        source: "DbtLineage".into(),
    });
    stream.push(column_edge());
    let mut sink = MetadataRestSink::connect(server_config(mock.url()), dbt_options(true))
        .await
        .unwrap();
    for r in stream {
        sink.write(r).await.unwrap();
    }
    let summary = sink.close().await.unwrap();
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    // Definition, two test cases, two results, the reset, the edge.
    assert_eq!(summary.records, 7);
    assert!(
        mock.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        mock.requests()
    );
    assert_eq!(mock.snapshot(), before);
}

#[tokio::test]
async fn the_edges_into_a_target_are_read_once_for_all_its_parents() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &["Raw_Orders", "Orders_Daily"]);
    // Into each table before into its parents, as the dbt plugin sends them:
    // raw_orders -> orders -> order_summary <- customers <- orders, and
    // order_summary -> orders_daily.
    let stream = || {
        vec![
            dbt_edge("order_summary", "orders_daily", Value::Null),
            dbt_edge("orders", "order_summary", Value::Null),
            dbt_edge("customers", "order_summary", Value::Null),
            dbt_edge("orders", "customers", Value::Null),
            dbt_edge("raw_orders", "orders", Value::Null),
        ]
    };
    // One write at a time, so that each read is answered before the next record.
    let options = || SinkOptions {
        sink_config: json!({"concurrency": 1}),
        ..dbt_options(false)
    };
    let lineage_reads = |mock: &OmMock| {
        mock.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/lineage/table/"))
            .map(|r| {
                r.path
                    .split_once('?')
                    .map(|(_, q)| q.to_string())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
    };
    let first = run_with(mock.url(), options(), stream()).await.unwrap();
    assert_clean(&first);
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 5);
    // One read per target, not one per edge: the server had no edges to tell
    // about the parents yet.
    let reads = lineage_reads(&mock);
    assert_eq!(reads.len(), 4, "{reads:?}");
    assert!(
        reads
            .iter()
            .all(|q| q == "upstreamDepth=3&downstreamDepth=0"),
        "{reads:?}"
    );
    assert_eq!(
        count_requests(&mock, "GET", "/api/v1/lineage/getLineageEdge/"),
        0
    );
    let before = mock.snapshot();
    mock.clear_requests();
    let again = run_with(mock.url(), options(), stream()).await.unwrap();
    assert_clean(&again);
    assert_eq!(again.records, 5);
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 0);
    // The read of orders_daily, three levels up, tells the edges into
    // order_summary and, two levels up, into orders and customers.
    assert_eq!(lineage_reads(&mock).len(), 1, "{:?}", lineage_reads(&mock));
    assert_eq!(mock.snapshot(), before);

    // An edge that changed is still seen as changed when its target was learnt
    // from a descendant's read.
    mock.clear_requests();
    let mut changed = stream();
    changed[3] = dbt_edge(
        "orders",
        "customers",
        json!([{"fromColumns": [format!("{}.customer_id", dbt_table("orders"))],
                "toColumn": format!("{}.customer_id", dbt_table("customers"))}]),
    );
    let third = run_with(mock.url(), options(), changed).await.unwrap();
    assert_clean(&third);
    assert_eq!(count_requests(&mock, "PUT", "/api/v1/lineage"), 1);
}

/// `n` table-level test cases spread over the three tables, then a result of each.
fn many_test_cases(n: usize) -> (Vec<String>, Vec<Record>) {
    let tables = ["orders", "customers", "order_summary"];
    let mut fqns = Vec::new();
    let mut records = vec![not_null_definition()];
    for i in 0..n {
        let (fqn, record) = test_case(tables[i % tables.len()], None, &format!("rows_{i}"));
        fqns.push(fqn);
        records.push(record);
    }
    for fqn in &fqns {
        records.push(result(fqn, 1_718_000_000_000, "Success"));
    }
    (fqns, records)
}

const CREATE_MANY: &str = "/api/v1/dataQuality/testCases/createMany";
const RESULTS: &str = "/api/v1/dataQuality/testCases/testCaseResults";

fn test_case_listings(mock: &OmMock) -> usize {
    count_requests(mock, "GET", "/api/v1/dataQuality/testCases?")
}

#[tokio::test]
async fn test_cases_in_a_row_are_created_a_hundred_at_a_time() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    let (_, records) = many_test_cases(150);
    let summary = run_dbt(&mock, records.clone()).await;
    assert_clean(&summary);
    assert_eq!(summary.records, 1 + 150 + 150);
    assert_eq!(mock.entities("dataQuality/testCases").len(), 150);
    assert_eq!(count_requests(&mock, "POST", CREATE_MANY), 2);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        0
    );
    assert_eq!(count_requests(&mock, "POST", RESULTS), 150);
    // No table had a test suite: there was nothing to list.
    assert_eq!(test_case_listings(&mock), 0);

    // A rerun lists each table's test cases once and writes nothing.
    mock.clear_requests();
    let again = run_dbt(&mock, records).await;
    assert_clean(&again);
    assert_eq!(again.updated_records, 0);
    assert_eq!(test_case_listings(&mock), 3);
    assert_eq!(count_requests(&mock, "POST", CREATE_MANY), 0);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        0
    );
    assert_eq!(count_requests(&mock, "POST", RESULTS), 0);
}

#[tokio::test]
async fn a_refused_create_many_fails_only_the_test_case_the_server_refuses() {
    let mock = OmMock::start().await;
    seed_glue(&mock, &[]);
    mock.update(|s| {
        s.reject_names.insert(
            "rows_1".into(),
            "test definition not_null is not for tables".into(),
        );
    });
    let (fqns, records) = many_test_cases(3);
    let summary = run_dbt(&mock, records).await;
    assert_eq!(summary.errors, 1, "{:?}", summary.failures);
    assert_eq!(summary.failures[0].name, fqns[1]);
    assert!(
        summary.failures[0]
            .error
            .contains("test definition not_null is not for tables"),
        "{}",
        summary.failures[0].error
    );
    // Its result is skipped; the others land with theirs.
    assert_eq!(summary.warnings, 1, "{:?}", summary.warning_messages);
    assert_eq!(count_requests(&mock, "POST", CREATE_MANY), 1);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        3
    );
    assert_eq!(mock.entities("dataQuality/testCases").len(), 2);
    assert_eq!(count_requests(&mock, "POST", RESULTS), 2);
}

#[tokio::test]
async fn a_server_without_create_many_gets_single_writes_for_the_rest_of_the_run() {
    let mock = OmMock::start_with(MockSettings {
        bulk: om_mock::BulkSupport::MethodNotAllowed,
        ..MockSettings::default()
    })
    .await;
    seed_glue(&mock, &[]);
    let (_, records) = many_test_cases(150);
    // One write at a time, so that the second batch starts after the refusal.
    let options = SinkOptions {
        sink_config: json!({"concurrency": 1}),
        ..dbt_options(false)
    };
    let summary = run_with(mock.url(), options, records).await.unwrap();
    assert_clean(&summary);
    assert_eq!(mock.entities("dataQuality/testCases").len(), 150);
    // Asked once; the second batch went one by one straight away.
    assert_eq!(count_requests(&mock, "POST", CREATE_MANY), 1);
    assert_eq!(
        count_requests(&mock, "PUT", "/api/v1/dataQuality/testCases"),
        150
    );
    assert_eq!(count_requests(&mock, "POST", RESULTS), 150);
}

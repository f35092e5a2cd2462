//! A catalog that exercises every path at once (pagination everywhere, every table
//! type, a denied database, throttling, filters, several catalogs), snapshotted;
//! plus pagination at Glue's real page sizes, errors and CatalogId handling.

mod common;

use common::*;
use connector_sdk::{EntityKind, ErrorKind, EventLevel, Record};
use glue_mock::{Catalog, Database, Fault, GlueMock, Synthetic, Table};
use serde_json::{Value, json};

fn table(name: &str, fields: Value) -> Table {
    Table {
        name: name.to_string(),
        fields: fields.as_object().cloned().unwrap(),
    }
}

fn coverage_catalog() -> Catalog {
    let mut c = Catalog::sample();
    let own = c.catalog_mut("123456789012");
    let mut big = Database::new("big_db");
    for i in 0..230 {
        big.tables.push(table(
            &format!("t_{i:03}"),
            json!({"TableType": "EXTERNAL_TABLE", "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}], "Location": format!("s3://big/t_{i:03}/")}}),
        ));
    }
    big.tables.push(table(
        "mv_daily",
        json!({"TableType": "VIRTUAL_VIEW", "IsMaterializedView": true,
               "ViewOriginalText": "SELECT dt, count(*) AS n FROM big_db.t_000 GROUP BY dt",
               "StorageDescriptor": {"Columns": [{"Name": "dt", "Type": "string"}, {"Name": "n", "Type": "bigint"}]}}),
    ));
    own.databases.push(big);
    let mut restricted = Database::new("restricted");
    restricted
        .tables
        .push(table("secret", json!({"TableType": "EXTERNAL_TABLE"})));
    own.databases.push(restricted);
    c
}

fn render(r: &Record) -> String {
    match r {
        Record::Entity {
            kind: EntityKind::Table,
            fqn,
            request,
            ..
        } => format!(
            "table {fqn} type={} columns={} hash={}",
            request["tableType"].as_str().unwrap_or("-"),
            request["columns"].as_array().map_or(0, Vec::len),
            request["sourceHash"].as_str().unwrap_or("-")
        ),
        other => other.to_line(),
    }
}

#[tokio::test]
async fn coverage_catalog_records() {
    let mock = GlueMock::builder(coverage_catalog())
        .default_page_size(2)
        .fault(Fault::access_denied("GetTables", "restricted"))
        .fault(Fault::throttle("GetTables", 2).for_database("analytics"))
        .start()
        .await;
    let run = run(source(
        &mock.url(),
        json!({"connectionArguments": {"resourceShareType": "ALL"}}),
        json!({
            "threads": 3,
            "schemaFilterPattern": {"excludes": ["lake\\..*"]},
            "tableFilterPattern": {"excludes": ["legacy_.*"]}
        }),
    ));
    run.assert_ok();
    let text: Vec<String> = normalized(&run.records).iter().map(render).collect();
    insta::assert_snapshot!("coverage_catalog", text.join("\n"));

    // Paged at every level: databases, and tables (big_db: 231 tables, 2 a page).
    let big_pages = mock
        .requests()
        .iter()
        .filter(|r| r.op == "GetTables" && r.body["DatabaseName"] == "big_db")
        .count();
    assert_eq!(big_pages, 116);
    assert_eq!(
        mock.request_count("GetDatabases"),
        4,
        "8 databases, 2 a page"
    );
    assert_eq!(
        run.fqns(EntityKind::Table)
            .iter()
            .filter(|f| f.contains(".big_db."))
            .count(),
        231
    );

    // The denied database: a failure, its schema record, no scope marker.
    let failures = events(&run, EventLevel::Failure);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "glue_prod.123456789012.restricted");
    assert!(failures[0].1.contains("glue:GetTables"), "{failures:?}");
    let done = completed(&run, EntityKind::Table);
    assert!(!done.contains(&"glue_prod.123456789012.restricted".to_string()));
    assert!(
        done.contains(&"glue_prod.123456789012.analytics".to_string()),
        "throttled, then read"
    );
    assert_eq!(done.len(), 5);

    // Throttled twice, then every table of analytics arrived.
    let analytics_errors: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| {
            r.op == "GetTables" && r.body["DatabaseName"] == "analytics" && r.error.is_some()
        })
        .collect();
    assert_eq!(analytics_errors.len(), 2);
    assert_eq!(
        run.fqns(EntityKind::Table)
            .iter()
            .filter(|f| f.contains(".analytics."))
            .count(),
        6
    );

    let filtered = events(&run, EventLevel::Filtered);
    assert!(filtered.contains(&(
        "glue_prod.123456789012.\"lake.raw\"".into(),
        "Schema Filtered Out".into()
    )));
    assert!(filtered.contains(&(
        "glue_prod.123456789012.sales.legacy_report".into(),
        "Table Filtered Out".into()
    )));
    let mv = run
        .request("glue_prod.123456789012.big_db.mv_daily")
        .unwrap();
    assert_eq!(mv["tableType"], "MaterializedView");
}

#[tokio::test]
async fn pagination_at_glue_page_sizes() {
    let mock = GlueMock::start(Synthetic::new(105, 3)).await;
    let r = run(source(&mock.url(), json!({}), json!({"threads": 8})));
    r.assert_ok();
    assert_eq!(mock.request_count("GetDatabases"), 2);
    assert_eq!(r.fqns(EntityKind::DatabaseSchema).len(), 105);
    assert_eq!(r.fqns(EntityKind::Table).len(), 315);
    assert_eq!(completed(&r, EntityKind::Table).len(), 105);

    let mock = GlueMock::start(Synthetic::new(1, 250)).await;
    let r = run(source(&mock.url(), json!({}), json!({})));
    r.assert_ok();
    assert_eq!(mock.request_count("GetTables"), 3);
    let names = table_names(&r);
    assert_eq!(names.len(), 250);
    assert_eq!(names[249], "table_000249", "Glue's order within a schema");
}

#[tokio::test]
async fn configured_catalog_id_goes_on_every_call() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let r = run(source(
        &mock.url(),
        json!({"connectionArguments": {"catalogId": "123456789012"}}),
        json!({}),
    ));
    r.assert_ok();
    let requests = mock.requests();
    assert!(requests.len() > 4);
    for req in requests {
        assert_eq!(
            req.body["CatalogId"], "123456789012",
            "{} {}",
            req.op, req.body
        );
    }
}

#[tokio::test]
async fn errors_stop_the_run_with_the_right_kind_and_message() {
    let mock = GlueMock::builder(Catalog::sample())
        .bad_access_key("AKIDBAD")
        .start()
        .await;
    let bad = run(source(
        &mock.url(),
        json!({"awsConfig": {"awsAccessKeyId": "AKIDBAD"}}),
        json!({}),
    ));
    let e = bad.error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("awsAccessKeyId"), "{}", e.message);
    assert!(!e.message.contains("test-secret"));

    let denied = GlueMock::builder(Catalog::sample())
        .fault(Fault::error("GetDatabases", "AccessDeniedException"))
        .start()
        .await;
    let e = run(source(&denied.url(), json!({}), json!({})))
        .error
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("`glue:GetDatabases`"), "{}", e.message);

    let e = run(source(
        &mock.url(),
        json!({"awsConfig": {"awsRegion": "us-east-2b"}}),
        json!({}),
    ))
    .error
    .unwrap();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("availability zone"), "{}", e.message);

    let e = run(source(
        &mock.url(),
        json!({}),
        json!({"tableFilterPattern": {"includes": ["(bad"]}}),
    ))
    .error
    .unwrap();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("tableFilterPattern"), "{}", e.message);

    // Credentials refused while listing tables stop the run instead of failing
    // every schema in turn.
    let expired = GlueMock::builder(Catalog::sample())
        .fault(Fault::error("GetTables", "ExpiredTokenException").for_database("sales"))
        .start()
        .await;
    let e = run(source(&expired.url(), json!({}), json!({})))
        .error
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("expired"), "{}", e.message);

    // An unknown connectionArguments key is named in a warning.
    let r = run(source(
        &mock.url(),
        json!({"connectionArguments": {"tableLineage": true}}),
        json!({}),
    ));
    r.assert_ok();
    let warnings = events(&r, EventLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|(_, w)| w.contains("connectionArguments.tableLineage")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn lineage_can_be_turned_off_and_names_canonical_paths() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let r = run(source(&mock.url(), json!({}), json!({})));
    let lineage: Vec<(String, String)> = r
        .records
        .iter()
        .filter_map(|x| match x {
            Record::Lineage { from, to, .. } => Some((from.fqn.clone(), to.fqn.clone())),
            _ => None,
        })
        .collect();
    assert!(lineage.contains(&(
        "s3://acme-lake/analytics/clickstream".into(),
        "glue_prod.123456789012.analytics.clickstream_raw".into()
    )));
    // Views (no location) get none.
    assert!(!lineage.iter().any(|(_, t)| t.ends_with("daily_revenue")));
    let r = run(source(
        &mock.url(),
        json!({"connectionArguments": {"externalTableLineage": false}}),
        json!({}),
    ));
    assert!(
        !r.records
            .iter()
            .any(|x| matches!(x, Record::Lineage { .. }))
    );
}

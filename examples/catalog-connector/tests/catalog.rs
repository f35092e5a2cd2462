//! The example connector, run in-process with the SDK's test kit.

use std::path::Path;

use catalog_connector::CatalogConnector;
use connector_sdk::serde_json::{Value, json};
use connector_sdk::testkit::{self, Harness};
use connector_sdk::{EntityKind, ErrorKind, EventLevel, Record};

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-catalog.json")
        .display()
        .to_string()
}

fn source(path: &str, source_config: Value) -> Value {
    json!({
        "type": "localcatalog",
        "serviceName": "local",
        "serviceConnection": {"config": {"type": "CustomDatabase", "connectionOptions": {"catalogPath": path}}},
        "sourceConfig": {"config": source_config},
    })
}

fn catalog_file(dir: &tempfile::TempDir, catalog: Value) -> String {
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path.display().to_string()
}

#[test]
fn sample_catalog_parents_first_with_complete_scopes() {
    let run = testkit::run(
        CatalogConnector,
        source(
            &sample(),
            json!({"type": "DatabaseMetadata", "tableFilterPattern": {"excludes": ["tmp_.*"]}}),
        ),
    );
    run.assert_ok();

    assert_eq!(run.fqns(EntityKind::DatabaseService), ["local"]);
    assert_eq!(
        run.fqns(EntityKind::Database),
        ["local.shop", "local.analytics"]
    );
    assert_eq!(
        run.fqns(EntityKind::DatabaseSchema),
        [
            "local.shop.sales",
            "local.shop.inventory",
            "local.analytics.marts"
        ]
    );
    assert_eq!(
        run.fqns(EntityKind::Table),
        [
            "local.shop.sales.customers",
            "local.shop.sales.orders",
            "local.shop.sales.daily_revenue",
            "local.shop.inventory.\"stock.levels\"",
            "local.analytics.marts.customer_lifetime_value",
        ]
    );

    // Every entity comes after its parent.
    let mut seen = std::collections::HashSet::new();
    for record in &run.records {
        if let Record::Entity { fqn, parent, .. } = record {
            if let Some(parent) = parent {
                assert!(
                    seen.contains(parent),
                    "{fqn} came before its parent {parent}"
                );
            }
            seen.insert(fqn.clone());
        }
    }

    let filtered = run.events(EventLevel::Filtered);
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].name, "local.shop.sales.tmp_orders_backfill");
    assert!(
        filtered[0].reason.contains("tmp_.*"),
        "{}",
        filtered[0].reason
    );

    let warnings = run.events(EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].reason.contains("citext"),
        "{}",
        warnings[0].reason
    );

    assert_eq!(
        run.completed_scopes(),
        [
            (EntityKind::Table, "local.shop.sales"),
            (EntityKind::Table, "local.shop.inventory"),
            (EntityKind::DatabaseSchema, "local.shop"),
            (EntityKind::Table, "local.analytics.marts"),
            (EntityKind::DatabaseSchema, "local.analytics"),
            (EntityKind::Database, "local"),
        ]
    );
    assert!(
        run.logs
            .iter()
            .any(|l| l.message.starts_with("read catalog")),
        "{:?}",
        run.logs
    );
}

#[test]
fn table_request_shape() {
    let run = testkit::run(CatalogConnector, source(&sample(), json!({})));
    run.assert_ok();
    assert_eq!(
        run.request("local.shop.sales.orders").unwrap(),
        &json!({
            "name": "orders",
            "databaseSchema": "local.shop.sales",
            "tableType": "Regular",
            "columns": [
                {"name": "id", "dataType": "BIGINT", "dataTypeDisplay": "bigint", "constraint": "PRIMARY_KEY"},
                {"name": "customer_id", "dataType": "BIGINT", "dataTypeDisplay": "bigint", "constraint": "NOT_NULL"},
                {"name": "total", "dataType": "DECIMAL", "dataTypeDisplay": "decimal"},
                {"name": "status", "dataType": "VARCHAR", "dataTypeDisplay": "varchar", "dataLength": 1},
                {"name": "ordered_at", "dataType": "TIMESTAMP", "dataTypeDisplay": "timestamp"}
            ],
            "description": "One row per order."
        })
    );
    assert_eq!(
        run.request("local").unwrap(),
        &json!({"name": "local", "serviceType": "CustomDatabase"})
    );
    // No filter: the tmp table is there.
    assert!(
        run.request("local.shop.sales.tmp_orders_backfill")
            .is_some()
    );
}

#[test]
fn bad_table_fails_alone_and_leaves_its_schema_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let path = catalog_file(
        &dir,
        json!({"databases": [{"name": "db", "schemas": [
            {"name": "good", "tables": [{"name": "a", "columns": []}]},
            {"name": "bad", "tables": [
                {"name": "b", "columns": [{"name": "c"}]},
                {"name": "d", "columns": [{"name": "x", "dataType": "INT"}]}
            ]}
        ]}]}),
    );
    let run = testkit::run(CatalogConnector, source(&path, json!({})));
    run.assert_ok();
    assert_eq!(
        run.fqns(EntityKind::Table),
        ["local.db.good.a", "local.db.bad.d"]
    );
    let failures = run.events(EventLevel::Failure);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].name, "local.db.bad.b");
    assert!(
        failures[0].reason.contains("dataType"),
        "{}",
        failures[0].reason
    );
    let scopes = run.completed_scopes();
    assert!(scopes.contains(&(EntityKind::Table, "local.db.good")));
    assert!(
        !scopes.contains(&(EntityKind::Table, "local.db.bad")),
        "{scopes:?}"
    );
}

#[test]
fn include_views_false_filters_views() {
    let run = testkit::run(
        CatalogConnector,
        source(&sample(), json!({"includeViews": false})),
    );
    run.assert_ok();
    let filtered: Vec<&str> = run
        .events(EventLevel::Filtered)
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        filtered,
        [
            "local.shop.sales.daily_revenue",
            "local.analytics.marts.customer_lifetime_value"
        ]
    );
}

#[test]
fn config_mistakes_are_config_errors_before_reading() {
    let missing_path = json!({
        "type": "localcatalog", "serviceName": "local",
        "serviceConnection": {"config": {"type": "CustomDatabase", "connectionOptions": {}}},
    });
    let error = testkit::run(CatalogConnector, missing_path).error.unwrap();
    assert_eq!(error.kind, ErrorKind::Config);
    assert!(
        error.message.contains("catalogPath is missing"),
        "{}",
        error.message
    );

    let bad_regex = source(
        &sample(),
        json!({"schemaFilterPattern": {"includes": ["("]}}),
    );
    let error = testkit::run(CatalogConnector, bad_regex).error.unwrap();
    assert_eq!(error.kind, ErrorKind::Config);
    assert!(
        error
            .message
            .starts_with("source.sourceConfig.config.schemaFilterPattern"),
        "{}",
        error.message
    );

    let mut wrong_type = source(&sample(), json!({}));
    wrong_type["serviceConnection"]["config"]["type"] = json!("Glue");
    let error = testkit::run(CatalogConnector, wrong_type).error.unwrap();
    assert_eq!(error.kind, ErrorKind::Config);
}

#[test]
fn missing_file_is_a_connection_error() {
    let error = testkit::run(
        CatalogConnector,
        source("/nonexistent/catalog.json", json!({})),
    )
    .error
    .unwrap();
    assert_eq!(error.kind, ErrorKind::Connection);
    assert!(
        error.message.contains("/nonexistent/catalog.json"),
        "{}",
        error.message
    );
}

#[test]
fn test_connection_steps() {
    let report = testkit::test_connection(CatalogConnector, source(&sample(), json!({}))).unwrap();
    let names: Vec<_> = report
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.passed))
        .collect();
    assert_eq!(
        names,
        [
            ("ReadCatalogFile", true),
            ("ParseCatalog", true),
            ("ListTables", true)
        ]
    );

    let report =
        testkit::test_connection(CatalogConnector, source("/nonexistent.json", json!({}))).unwrap();
    assert!(!report.passed());
    assert_eq!(
        report.failed_mandatory().next().unwrap().name,
        "ReadCatalogFile"
    );
}

#[test]
fn manifest_describes_the_connection() {
    let manifest = Harness::new(CatalogConnector).manifest().unwrap();
    assert_eq!(manifest.name, "catalog-connector");
    assert_eq!(manifest.source_types, ["localcatalog"]);
    assert_eq!(manifest.connection_type.as_deref(), Some("CustomDatabase"));
    assert_eq!(
        manifest.config_schema["properties"]["connectionOptions"]["required"],
        json!(["catalogPath"])
    );
}

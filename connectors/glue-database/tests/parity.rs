//! OpenMetadata's own unit-test expectations for its Glue connector
//! (`ingestion/tests/unit/topology/database/test_glue.py`, 2.0.6 outputs), run
//! against our connector. Where we differ on purpose the test says so and the
//! README's table of differences explains why.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use glue_mock::{Catalog, GlueMock};
use serde_json::{Value, json};

const ACCOUNT: &str = "118146679784";

fn parity_source(endpoint: &str, conn: Value, sc: Value) -> Value {
    let mut s = source(endpoint, conn, sc);
    s["serviceName"] = json!("glue_source");
    s
}

fn col(name: &str, ty: &str) -> Value {
    json!({"Name": name, "Type": ty})
}

fn col_c(name: &str, ty: &str, comment: &str) -> Value {
    json!({"Name": name, "Type": ty, "Comment": comment})
}

/// The dataset of upstream's `glue_db_dataset.json` (with the Parquet SerDe on
/// `map_table` that upstream's tests expect).
fn dataset() -> Catalog {
    let cloudfront_cols: Vec<Value> = [
        ("date", "date"),
        ("time", "string"),
        ("location", "string"),
        ("bytes", "int"),
        ("requestip", "string"),
        ("method", "string"),
        ("host1", "string"),
        ("uri1", "string"),
        ("status", "int"),
        ("referrer", "string"),
        ("os", "string"),
        ("browser", "string"),
        ("browserversion", "string"),
    ]
    .iter()
    .map(|(n, t)| col(n, t))
    .collect();
    let mut logs2_cols = vec![
        col_c("date", "date", "TEST COMMENT 1"),
        col("time", "string"),
        col_c("location", "string", "NEW LOC"),
        col_c("bytes", "bigint", "TEST BYTES"),
    ];
    for (n, t) in [
        ("request_ip", "string"),
        ("method", "string"),
        ("host", "string"),
        ("uri", "string"),
        ("status", "int"),
        ("referrer", "string"),
        ("user_agent", "string"),
        ("query_string", "string"),
        ("cookie", "string"),
        ("result_type", "string"),
        ("request_id", "string"),
        ("host_header", "string"),
        ("request_protocol", "string"),
        ("request_bytes", "bigint"),
        ("time_taken", "float"),
        ("xforwarded_for", "string"),
        ("ssl_protocol", "string"),
        ("ssl_cipher", "string"),
        ("response_result_type", "string"),
        ("http_version", "string"),
        ("fle_status", "string"),
        ("fle_encrypted_fields", "int"),
        ("c_port", "int"),
        ("time_to_first_byte", "float"),
        ("x_edge_detailed_result_type", "string"),
        ("sc_content_type", "string"),
        ("sc_content_len", "bigint"),
        ("sc_range_start", "bigint"),
        ("sc_range_end", "bigint"),
    ] {
        logs2_cols.push(col(n, t));
    }
    assert_eq!(logs2_cols.len(), 33);
    let sd = |cols: Vec<Value>, loc: &str, serde: Value| json!({"Columns": cols, "Location": loc, "SerdeInfo": serde, "Compressed": false, "NumberOfBuckets": -1});
    let tables = json!([
        {"Name": "cloudfront_logs", "TableType": "EXTERNAL_TABLE", "PartitionKeys": [],
         "StorageDescriptor": sd(cloudfront_cols, "s3://athena-examples-MyRegion/cloudfront/plaintext",
             json!({"SerializationLibrary": "org.apache.hadoop.hive.serde2.RegexSerDe", "Parameters": {"input.regex": "^(?!#)([^ ]+)\\s+.*$"}}))},
        {"Name": "cloudfront_logs2", "Description": "TEST DESCRIPTION", "TableType": "EXTERNAL_TABLE", "PartitionKeys": [],
         "StorageDescriptor": sd(logs2_cols, "s3://athena-postgres/",
             json!({"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", "Parameters": {"serialization.format": "\t", "field.delim": "\t"}}))},
        {"Name": "map_table", "TableType": "EXTERNAL_TABLE", "PartitionKeys": [],
         "StorageDescriptor": sd(vec![col("c1", "map<string,int>")], "s3://athena-postgres/map-test",
             json!({"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}}))}
    ]);
    serde_json::from_value(json!({
        "AccountId": ACCOUNT,
        "Catalogs": [{"CatalogId": ACCOUNT, "Databases": [
            {"Name": "default", "Tables": tables},
            {"Name": "mydatabase"},
            {"Name": "testdatalake_db", "LocationUri": "s3://awsdatalake-testing/data"},
            {"Name": "zipcode-db", "LocationUri": "s3://datalake-openmetadata-ohio/zipcode"}
        ]}]
    }))
    .unwrap()
}

fn schema_names(run: &connector_sdk::testkit::TestRun) -> Vec<String> {
    run.fqns(EntityKind::DatabaseSchema)
        .into_iter()
        .map(|f| om_spec::fqn::unquote_name(&om_spec::fqn::split(f).unwrap()[2]).to_string())
        .collect()
}

/// The request without the fields upstream does not send (our additions are
/// checked separately).
fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

#[tokio::test]
async fn database_schema_and_table_names_types_formats_locations() {
    let mock = GlueMock::start(dataset()).await;
    let run = run(parity_source(&mock.url(), json!({}), json!({})));
    run.assert_ok();
    assert_eq!(run.fqns(EntityKind::Database), ["glue_source.118146679784"]);
    assert_eq!(
        schema_names(&run),
        ["default", "mydatabase", "testdatalake_db", "zipcode-db"]
    );
    assert_eq!(
        table_names(&run),
        ["cloudfront_logs", "cloudfront_logs2", "map_table"]
    );

    let t = |n: &str| {
        run.request(&format!("glue_source.118146679784.default.{n}"))
            .unwrap()
            .clone()
    };
    let tables = [t("cloudfront_logs"), t("cloudfront_logs2"), t("map_table")];
    let types: Vec<&Value> = tables.iter().map(|r| &r["tableType"]).collect();
    assert_eq!(
        types,
        [&json!("External"), &json!("External"), &json!("External")]
    );
    let formats: Vec<Option<&str>> = tables
        .iter()
        .map(|r| r.get("fileFormat").and_then(Value::as_str))
        .collect();
    assert_eq!(formats, [None, Some("tsv"), Some("parquet")]);
    let locations: Vec<&str> = tables
        .iter()
        .map(|r| r["locationPath"].as_str().unwrap())
        .collect();
    assert_eq!(
        locations,
        [
            "s3://athena-examples-MyRegion/cloudfront/plaintext",
            "s3://athena-postgres/",
            "s3://athena-postgres/map-test"
        ]
    );
    assert!(
        run.events(EventLevel::Failure).is_empty() && run.events(EventLevel::Filtered).is_empty()
    );
}

/// Appendix B: the full requests. Differences: `sourceHash` (we hash our own
/// request), `ordinalPosition` on columns, and map columns carry `key`/`value`
/// children (hive-types D5).
#[tokio::test]
async fn full_requests_match_upstream_output() {
    let mock = GlueMock::start(dataset()).await;
    let run = run(parity_source(&mock.url(), json!({}), json!({})));
    let schema = run.request("glue_source.118146679784.default").unwrap();
    assert_eq!(
        without(schema, &["sourceHash"]),
        json!({"name":"default","database":"glue_source.118146679784","sourceUrl":"https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/data-catalog/databases/view/default?catalogId=118146679784"})
    );
    assert_eq!(schema["sourceHash"].as_str().unwrap().len(), 32);

    let logs = run
        .request("glue_source.118146679784.default.cloudfront_logs")
        .unwrap();
    assert_eq!(logs["databaseSchema"], "glue_source.118146679784.default");
    assert_eq!(
        logs["sourceUrl"],
        "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/data-catalog/tables/view/cloudfront_logs?database=default&catalogId=118146679784&versionId=latest"
    );
    assert!(logs.get("description").is_none() && logs.get("fileFormat").is_none());
    let cols = logs["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 13);
    for (i, c) in cols.iter().enumerate() {
        assert_eq!(
            c["ordinalPosition"],
            i + 1,
            "ours: 1-based ordinal positions"
        );
        let upstream = without(c, &["ordinalPosition"]);
        let name = c["name"].as_str().unwrap();
        let (dt, display) = match name {
            "date" => ("DATE", "date"),
            "bytes" | "status" => ("INT", "int"),
            _ => ("STRING", "string"),
        };
        assert_eq!(
            upstream,
            json!({"name": name, "displayName": name, "dataType": dt, "dataLength": 1, "dataTypeDisplay": display})
        );
    }

    let logs2 = run
        .request("glue_source.118146679784.default.cloudfront_logs2")
        .unwrap();
    assert_eq!(logs2["description"], "TEST DESCRIPTION");
    let cols = logs2["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 33);
    let by_name = |n: &str| cols.iter().find(|c| c["name"] == n).unwrap();
    assert_eq!(by_name("date")["description"], "TEST COMMENT 1");
    assert_eq!(by_name("location")["description"], "NEW LOC");
    assert_eq!(by_name("bytes")["dataType"], "BIGINT");
    assert_eq!(by_name("bytes")["description"], "TEST BYTES");
    for c in cols {
        let float = c["dataType"] == "FLOAT";
        assert_eq!(c.get("dataLength").is_none(), float, "{c}");
    }
    assert_eq!(cols.iter().filter(|c| c["dataType"] == "FLOAT").count(), 2);

    let map = run
        .request("glue_source.118146679784.default.map_table")
        .unwrap();
    let c1 = &map["columns"][0];
    assert_eq!(
        without(c1, &["ordinalPosition", "children"]),
        json!({"name":"c1","displayName":"c1","dataType":"MAP","dataLength":1,"dataTypeDisplay":"map<string,int>"})
    );
    let children: Vec<&str> = c1["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        ["key", "value"],
        "ours: map keys and values stay visible"
    );
}

#[tokio::test]
async fn custom_database_name_names_the_one_database() {
    let mock = GlueMock::start(dataset()).await;
    let run = run(parity_source(
        &mock.url(),
        json!({"databaseName": "NEW_DB"}),
        json!({}),
    ));
    run.assert_ok();
    assert_eq!(run.fqns(EntityKind::Database), ["glue_source.NEW_DB"]);
    // test_custom_db_name_still_discovers_schemas: all four, no failures, no warnings.
    assert_eq!(
        schema_names(&run),
        ["default", "mydatabase", "testdatalake_db", "zipcode-db"]
    );
    assert!(run.events(EventLevel::Failure).is_empty());
    assert!(run.events(EventLevel::Warning).is_empty());
}

fn two_catalogs() -> Catalog {
    serde_json::from_value(json!({
        "AccountId": ACCOUNT,
        "Catalogs": [
            {"CatalogId": ACCOUNT, "Databases": [{"Name": "default"}]},
            {"CatalogId": "different-catalog", "SharedWithAccount": true, "Databases": [
                {"Name": "default"},
                {"Name": "foreign_schema", "Tables": [{"Name": "iceberg_table", "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"table_type": "ICEBERG"}, "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}]}}]}
            ]}
        ]
    }))
    .unwrap()
}

#[tokio::test]
async fn merged_catalogs_warn_once_and_tables_come_from_their_own_catalog() {
    let mock = GlueMock::start(two_catalogs()).await;
    let run = run(parity_source(
        &mock.url(),
        json!({"databaseName": "NEW_DB", "connectionArguments": {"resourceShareType": "ALL"}}),
        json!({}),
    ));
    run.assert_ok();
    // Upstream ingests both `default`s into one schema (one overwrites the other);
    // we keep the first and report the second as a failure.
    assert_eq!(schema_names(&run), ["default", "foreign_schema"]);
    let warnings = events(&run, EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "glue_source.NEW_DB", "ours: named by FQN");
    assert!(warnings[0].1.contains("more than one catalog"));
    let failures = events(&run, EventLevel::Failure);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].1.contains("different-catalog"), "{failures:?}");

    let calls: Vec<Value> = mock
        .requests()
        .into_iter()
        .filter(|r| r.op == "GetTables" && r.body["DatabaseName"] == "foreign_schema")
        .map(|r| r.body)
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["CatalogId"], "different-catalog");
}

#[tokio::test]
async fn schemas_are_grouped_by_catalog_before_the_schema_filter() {
    let mock = GlueMock::start(two_catalogs()).await;
    let run = run(parity_source(
        &mock.url(),
        json!({"connectionArguments": {"resourceShareType": "ALL"}}),
        json!({"schemaFilterPattern": {"includes": ["default"]}}),
    ));
    run.assert_ok();
    let own: Vec<&str> = run
        .fqns(EntityKind::DatabaseSchema)
        .into_iter()
        .filter(|f| f.starts_with("glue_source.118146679784."))
        .collect();
    assert_eq!(own, ["glue_source.118146679784.default"]);
    assert_eq!(
        run.fqns(EntityKind::Database),
        ["glue_source.118146679784", "glue_source.different-catalog"]
    );
}

fn views_catalog() -> Catalog {
    use base64::Engine;
    let presto = base64::engine::general_purpose::STANDARD
        .encode(r#"{"originalSql":"SELECT id FROM events"}"#);
    let view = |name: &str, extra: Value| {
        let mut v = json!({"Name": name, "TableType": "VIRTUAL_VIEW", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}], "Location": ""}});
        merge(&mut v, extra);
        v
    };
    serde_json::from_value(json!({
        "AccountId": ACCOUNT,
        "Catalogs": [{"CatalogId": ACCOUNT, "Databases": [{"Name": "default", "Tables": [
            view("a_view", json!({"ViewOriginalText": "SELECT id FROM events"})),
            view("iceberg_view", json!({"Parameters": {"table_type": "ICEBERG"}, "ViewOriginalText": "SELECT id FROM events"})),
            {"Name": "iceberg_table", "TableType": "EXTERNAL_TABLE", "Parameters": {"table_type": "ICEBERG"},
             "ViewOriginalText": "SELECT 1", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}]}},
            view("no_definition", json!({})),
            {"Name": "no_storage", "TableType": "EXTERNAL_TABLE", "StorageDescriptor": null},
            {"Name": "no_serde", "TableType": "EXTERNAL_TABLE", "StorageDescriptor": {"Columns": [], "Location": "s3://b/x", "SerdeInfo": null}},
            {"Name": "ordinary_table", "TableType": "EXTERNAL_TABLE", "ViewOriginalText": "SELECT 2",
             "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}]}},
            view("presto_view", json!({"ViewOriginalText": format!("/* Presto View: {presto} */"), "ViewExpandedText": "/* Presto View */"})),
            view("unreadable_view", json!({"ViewOriginalText": "/* Presto View: bm90IGpzb24= */"})),
            view(&"v".repeat(200), json!({"ViewOriginalText": "SELECT 1"})),
        ]}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn views_definitions_and_edges() {
    let mock = GlueMock::start(views_catalog()).await;
    let run = run(parity_source(&mock.url(), json!({}), json!({})));
    run.assert_ok();
    let req = |n: &str| {
        run.request(&format!("glue_source.118146679784.default.{n}"))
            .unwrap()
            .clone()
    };
    assert_eq!(
        req("presto_view")["schemaDefinition"],
        "CREATE VIEW default.presto_view AS SELECT id FROM events"
    );
    assert_eq!(req("presto_view")["tableType"], "View");
    assert!(req("no_definition").get("schemaDefinition").is_none());
    // No storage descriptor: still a table, without location.
    assert!(req("no_storage").get("locationPath").is_none());
    assert!(req("no_serde").get("fileFormat").is_none());
    // Non-views never get a definition, whatever text they carry.
    assert!(req("ordinary_table").get("schemaDefinition").is_none());
    assert!(req("iceberg_table").get("schemaDefinition").is_none());
    // An Iceberg view is typed Iceberg (as upstream) and keeps its SQL.
    assert_eq!(req("iceberg_view")["tableType"], "Iceberg");
    assert_eq!(
        req("iceberg_view")["schemaDefinition"],
        "CREATE VIEW default.iceberg_view AS SELECT id FROM events"
    );
    // A 200-character name is stored cut to 128, and the SQL uses the cut name.
    let long = "v".repeat(128);
    assert_eq!(
        req(&long)["schemaDefinition"],
        format!("CREATE VIEW default.{long} AS SELECT 1")
    );
    // An unreadable Presto payload: no definition, exactly one warning, still ingested.
    assert!(req("unreadable_view").get("schemaDefinition").is_none());
    let warnings = events(&run, EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0].0,
        "glue_source.118146679784.default.unreadable_view"
    );
    assert!(run.events(EventLevel::Failure).is_empty());
}

fn include_catalog() -> Catalog {
    serde_json::from_value(json!({
        "AccountId": ACCOUNT,
        "Catalogs": [{"CatalogId": ACCOUNT, "Databases": [{"Name": "default", "Tables": [
            {"Name": "ordinary_table", "TableType": "EXTERNAL_TABLE"},
            {"Name": "a_view", "TableType": "VIRTUAL_VIEW"},
            {"Name": "iceberg_view", "TableType": "VIRTUAL_VIEW", "Parameters": {"table_type": "ICEBERG"}}
        ]}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn include_flags() {
    let mock = GlueMock::start(include_catalog()).await;
    let names = |sc: Value| {
        let r = run(parity_source(&mock.url(), json!({}), sc));
        r.assert_ok();
        (table_names(&r), r.events(EventLevel::Filtered).len())
    };
    assert_eq!(
        names(json!({})).0,
        ["ordinary_table", "a_view", "iceberg_view"]
    );
    assert_eq!(
        names(json!({"includeViews": false})),
        (vec!["ordinary_table".to_string()], 2)
    );
    assert_eq!(
        names(json!({"includeTables": false})).0,
        ["a_view", "iceberg_view"]
    );
    // Ours: left-out tables are reported as filtered (upstream only logs at debug),
    // so that mark-deleted never deletes them.
    assert_eq!(
        names(json!({"includeTables": false, "includeViews": false})),
        (vec![], 3)
    );
}

#[tokio::test]
async fn table_filters_by_name_and_by_fqn() {
    let mock = GlueMock::start(include_catalog()).await;
    let r = run(parity_source(
        &mock.url(),
        json!({}),
        json!({"tableFilterPattern": {"includes": ["ORD.*"], "excludes": ["a_"]}}),
    ));
    assert_eq!(table_names(&r), ["ordinary_table"]);
    let filtered = events(&r, EventLevel::Filtered);
    assert!(filtered.contains(&(
        "glue_source.118146679784.default.a_view".into(),
        "Table Filtered Out".into()
    )));
    assert_eq!(filtered.len(), 2);
    let r = run(parity_source(
        &mock.url(),
        json!({}),
        json!({"useFqnForFiltering": true, "tableFilterPattern": {"includes": ["glue_source\\.118146679784\\.default\\.a_.*"]}}),
    ));
    assert_eq!(table_names(&r), ["a_view"]);
    // Filtered tables never block the scope: the listing still completed.
    assert!(r.records.iter().any(|x| matches!(
        x,
        Record::ScopeComplete {
            kind: EntityKind::Table,
            ..
        }
    )));
}

//! End to end against moto's Glue server: a Glue implementation we did not write,
//! so that mistakes our own mock shares with the connector show up. Databases and
//! tables are created through moto's Glue API, then the connector reads them back.
//!
//! Needs `moto_server` (see `glue_mock::moto`): skipped with a note when it is
//! missing, a failure when `CI` is set.

mod common;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use common::*;
use connector_sdk::{EntityKind, EventLevel};
use glue_mock::moto::MotoServer;
use serde_json::json;

const REGION: &str = "us-east-2";

fn col(name: &str, ty: &str) -> Column {
    Column::builder().name(name).r#type(ty).build().unwrap()
}

async fn seed(glue: &aws_sdk_glue::Client) {
    for (name, description) in [
        ("sales", Some("Orders and customers")),
        ("analytics", None),
        ("empty_db", None),
    ] {
        let input = DatabaseInput::builder()
            .name(name)
            .set_description(description.map(str::to_string))
            .build()
            .unwrap();
        glue.create_database()
            .database_input(input)
            .send()
            .await
            .unwrap();
    }
    let orders = TableInput::builder()
        .name("orders")
        .description("One row per order")
        .table_type("EXTERNAL_TABLE")
        .parameters("classification", "parquet")
        .storage_descriptor(
            StorageDescriptor::builder()
                .columns(col("order_id", "bigint"))
                .columns(col("total", "decimal(12,2)"))
                .columns(col("items", "array<struct<sku:string,qty:int>>"))
                .columns(
                    Column::builder()
                        .name("status")
                        .r#type("string")
                        .comment("order status")
                        .build()
                        .unwrap(),
                )
                .location("s3://acme/sales/orders/")
                .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
                .serde_info(
                    SerDeInfo::builder()
                        .serialization_library(
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                        )
                        .build(),
                )
                .build(),
        )
        .partition_keys(col("dt", "string"))
        .build()
        .unwrap();
    glue.create_table()
        .database_name("sales")
        .table_input(orders)
        .send()
        .await
        .unwrap();
    let view = TableInput::builder()
        .name("open_orders")
        .table_type("VIRTUAL_VIEW")
        .view_original_text("SELECT order_id FROM orders WHERE status = 'OPEN'")
        .storage_descriptor(
            StorageDescriptor::builder()
                .columns(col("order_id", "bigint"))
                .build(),
        )
        .build()
        .unwrap();
    glue.create_table()
        .database_name("sales")
        .table_input(view)
        .send()
        .await
        .unwrap();
    let retired = Column::builder()
        .name("old_score")
        .r#type("double")
        .parameters("iceberg.field.current", "false")
        .build()
        .unwrap();
    let iceberg = TableInput::builder()
        .name("events")
        .table_type("EXTERNAL_TABLE")
        .parameters("table_type", "ICEBERG")
        .storage_descriptor(
            StorageDescriptor::builder()
                .columns(col("event_id", "string"))
                .columns(retired)
                .columns(col("payload", "map<string,string>"))
                .location("s3://acme/analytics/events")
                .build(),
        )
        .build()
        .unwrap();
    glue.create_table()
        .database_name("analytics")
        .table_input(iceberg)
        .send()
        .await
        .unwrap();
    for i in 0..120 {
        let t = TableInput::builder()
            .name(format!("bulk_{i:03}"))
            .table_type("EXTERNAL_TABLE")
            .storage_descriptor(
                StorageDescriptor::builder()
                    .columns(col("id", "int"))
                    .build(),
            )
            .build()
            .unwrap();
        glue.create_table()
            .database_name("analytics")
            .table_input(t)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn tables_created_in_moto_come_out_as_openmetadata_entities() {
    let Some(moto) = MotoServer::start_or_skip("moto end-to-end test") else {
        return;
    };
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .region(REGION)
        .endpoint_url(moto.url())
        .credentials_provider(Credentials::new(
            "AKIDTEST",
            "test-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let glue = aws_sdk_glue::Client::new(&conf);
    seed(&glue).await;

    let r = run(source(&moto.url(), json!({}), json!({"threads": 2})));
    r.assert_ok();
    assert!(
        r.events(EventLevel::Failure).is_empty(),
        "{:?}",
        r.events(EventLevel::Failure)
    );

    // moto's default account is the catalog.
    let dbs = r.fqns(EntityKind::Database);
    assert_eq!(dbs.len(), 1, "{dbs:?}");
    let db = dbs[0].to_string();
    let mut schemas = r.fqns(EntityKind::DatabaseSchema);
    schemas.sort();
    assert_eq!(
        schemas,
        [
            format!("{db}.analytics"),
            format!("{db}.empty_db"),
            format!("{db}.sales")
        ]
    );
    assert_eq!(
        r.request(&format!("{db}.sales")).unwrap()["description"],
        "Orders and customers"
    );

    let orders = r.request(&format!("{db}.sales.orders")).unwrap();
    assert_eq!(orders["tableType"], "External");
    assert_eq!(orders["description"], "One row per order");
    assert_eq!(orders["fileFormat"], "parquet");
    assert_eq!(orders["locationPath"], "s3://acme/sales/orders/");
    let cols: Vec<(&str, &str)> = orders["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["dataType"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cols,
        [
            ("order_id", "BIGINT"),
            ("total", "DECIMAL"),
            ("items", "ARRAY"),
            ("status", "STRING"),
            ("dt", "STRING")
        ]
    );
    assert_eq!(orders["columns"][3]["description"], "order status");
    assert_eq!(orders["columns"][2]["arrayDataType"], "STRUCT");
    assert_eq!(orders["tablePartition"]["columns"][0]["columnName"], "dt");

    let view = r.request(&format!("{db}.sales.open_orders")).unwrap();
    assert_eq!(view["tableType"], "View");
    assert_eq!(
        view["schemaDefinition"],
        "CREATE VIEW sales.open_orders AS SELECT order_id FROM orders WHERE status = 'OPEN'"
    );

    let events = r.request(&format!("{db}.analytics.events")).unwrap();
    assert_eq!(events["tableType"], "Iceberg");
    let names: Vec<&str> = events["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["event_id", "payload"]);

    // All 121 tables of analytics, however moto pages them, and every listing completed.
    let analytics = r
        .fqns(EntityKind::Table)
        .into_iter()
        .filter(|f| f.contains(".analytics."))
        .count();
    assert_eq!(analytics, 121);
    assert_eq!(completed(&r, EntityKind::Table).len(), 3);
}

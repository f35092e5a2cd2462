//! The bundled sample catalog, end to end through the SDK's test kit.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use glue_mock::{Catalog, GlueMock};
use serde_json::json;

#[tokio::test]
async fn sample_catalog_records() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let run = run(source(
        &mock.url(),
        json!({"connectionArguments": {"resourceShareType": "ALL"}}),
        json!({"threads": 4, "includeCustomProperties": true}),
    ));
    run.assert_ok();
    insta::assert_json_snapshot!("sample_catalog", normalized(&run.records));

    // Two catalogs: the account's and the shared one.
    assert_eq!(
        run.fqns(EntityKind::Database),
        ["glue_prod.123456789012", "glue_prod.999988887777"]
    );
    // Every schema's listing completed, the empty one included.
    assert_eq!(
        completed(&run, EntityKind::Table),
        [
            "glue_prod.123456789012.\"lake.raw\"",
            "glue_prod.123456789012.analytics",
            "glue_prod.123456789012.empty_db",
            "glue_prod.123456789012.sales",
            "glue_prod.999988887777.partner_share",
        ]
    );
    assert_eq!(
        completed(&run, EntityKind::DatabaseSchema),
        ["glue_prod.123456789012", "glue_prod.999988887777"]
    );
    assert_eq!(completed(&run, EntityKind::Database), ["glue_prod"]);

    // The shared database's tables are read from its own catalog.
    let shared = mock
        .requests()
        .into_iter()
        .find(|r| r.op == "GetTables" && r.body["DatabaseName"] == "partner_share")
        .unwrap();
    assert_eq!(shared.body["CatalogId"], "999988887777");

    // The unparseable column is kept as UNKNOWN and named in a warning.
    let profiles = run
        .request("glue_prod.123456789012.analytics.user_profiles")
        .unwrap();
    let home = profiles["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "home_location")
        .unwrap();
    assert_eq!(home["dataType"], "UNKNOWN");
    let warnings = events(&run, EventLevel::Warning);
    assert!(
        warnings.iter().any(
            |(n, r)| n == "glue_prod.123456789012.analytics.user_profiles"
                && r.contains("`home_location`")
        ),
        "{warnings:?}"
    );

    // The Presto view's SQL is decoded; the retired Iceberg field is gone.
    let revenue = run
        .request("glue_prod.123456789012.sales.daily_revenue")
        .unwrap();
    assert!(
        revenue["schemaDefinition"]
            .as_str()
            .unwrap()
            .starts_with("CREATE VIEW sales.daily_revenue AS SELECT dt, sum(total)")
    );
    let events_iceberg = run
        .request("glue_prod.123456789012.analytics.events_iceberg")
        .unwrap();
    assert_eq!(events_iceberg["tableType"], "Iceberg");
    assert!(!events_iceberg.to_string().contains("old_score"));

    // Every schema record comes before any of its tables.
    let pos = |fqn: &str| {
        run.records
            .iter()
            .position(|r| matches!(r, Record::Entity { fqn: f, .. } if f == fqn))
            .unwrap()
    };
    for t in run.fqns(EntityKind::Table) {
        let parent = run.records.iter().find_map(|r| match r {
            Record::Entity { fqn, parent, .. } if fqn == t => parent.clone(),
            _ => None,
        });
        assert!(pos(&parent.unwrap()) < pos(t));
    }
}

//! The jaffle fixture (real dbt-core 1.11 / dbt-duckdb artifacts), end to end
//! through the SDK's test kit.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use serde_json::{Value, json};

const ORDERS: &str = "glue_svc.awsdatacatalog.cafe.orders";
const CUSTOMERS: &str = "glue_svc.awsdatacatalog.cafe.customers";
const STG_ORDERS: &str = "glue_svc.awsdatacatalog.cafe_staging.stg_pos__orders";
const STG_ITEMS: &str = "glue_svc.awsdatacatalog.cafe_staging.stg_pos__order_items";
const STG_CUSTOMERS: &str = "glue_svc.awsdatacatalog.cafe_staging.stg_pos__customers";
const RAW_CUSTOMERS: &str = "glue_svc.awsdatacatalog.raw_pos.customers";

/// The stage of a record in a pass (see `dbt::pass`).
fn stage(record: &Record) -> u8 {
    match record {
        Record::Entity {
            kind: EntityKind::Classification | EntityKind::Tag,
            ..
        } => 1,
        Record::Entity {
            kind: EntityKind::TestDefinition,
            ..
        } => 2,
        Record::Update { .. } => 3,
        Record::LineageReset { .. } | Record::Lineage { .. } => 4,
        Record::Entity {
            kind: EntityKind::TestCase,
            ..
        }
        | Record::TestCaseResult { .. } => 5,
        _ => 6,
    }
}

#[test]
fn jaffle_records() {
    let run = run_jaffle(json!({}));
    insta::assert_json_snapshot!("jaffle", run.records);

    // Stages come in order.
    let stages: Vec<u8> = run.records.iter().map(stage).collect();
    assert!(stages.is_sorted(), "{stages:?}");

    // Every relation but the ephemeral model; sources first.
    assert_eq!(
        updated_tables(&run),
        [
            RAW_CUSTOMERS,
            "glue_svc.awsdatacatalog.raw_pos.order_items",
            "glue_svc.awsdatacatalog.raw_pos.orders",
            "glue_svc.awsdatacatalog.raw_pos.products",
            CUSTOMERS,
            ORDERS,
            STG_CUSTOMERS,
            STG_ITEMS,
            STG_ORDERS,
        ]
    );
    // The tags, once each, under the classification.
    assert_eq!(run.fqns(EntityKind::Classification), ["dbtTags"]);
    assert_eq!(
        run.fqns(EntityKind::Tag),
        ["dbtTags.kpi", "dbtTags.mart", "dbtTags.pii", "dbtTags.raw"]
    );
    // Nothing is wrong with this project.
    assert_eq!(event_texts(&run, EventLevel::Warning), Vec::<String>::new());
    assert!(run.events(EventLevel::Failure).is_empty());
}

#[test]
fn data_model_of_a_model_with_an_ephemeral_parent() {
    let run = run_jaffle(json!({}));
    let update = update(&run, ORDERS).unwrap();
    let model = update.data_model.as_ref().unwrap();
    assert_eq!(model["modelType"], "DBT");
    assert_eq!(model["resourceType"], "model");
    // Relative to the project, not the machine that ran dbt.
    assert_eq!(model["path"], "models/marts/orders.sql");
    // int_order_values is ephemeral: its parent takes its place.
    assert_eq!(model["upstream"], json!([STG_ORDERS, STG_ITEMS]));
    assert_eq!(model["generatedAt"], "2026-11-23T15:08:20.158859Z");
    assert_eq!(model["dbtSourceProject"], "jaffle");
    assert!(
        model["rawSql"]
            .as_str()
            .unwrap()
            .contains("{{ ref('stg_pos__orders') }}")
    );
    assert!(
        model["sql"]
            .as_str()
            .unwrap()
            .contains("\"awsdatacatalog\".\"cafe_staging\".\"stg_pos__orders\"")
    );
    // Column types parsed in full: DuckDB's DECIMAL(38,2) keeps its precision.
    let columns = model["columns"].as_array().unwrap();
    let value = columns.iter().find(|c| c["name"] == "order_value").unwrap();
    assert_eq!(value["dataType"], "DECIMAL");
    assert_eq!(
        (value["precision"].as_i64(), value["scale"].as_i64()),
        (Some(38), Some(2))
    );
    assert_eq!(value["dataTypeDisplay"], "DECIMAL(38,2)");
    assert_eq!(columns[0]["ordinalPosition"], 1);

    assert_eq!(update.owners.as_ref().unwrap().names, ["ops-team"]);
    assert!(!update.owners.as_ref().unwrap().overwrite);
    let description = update.description.as_ref().unwrap();
    assert_eq!(description.text, "One row per order with its value.");
    assert!(!description.overwrite);
    assert_eq!(
        update.tags,
        [json!({"tagFQN": "dbtTags.mart", "source": "Classification",
                "labelType": "Automated", "state": "Suggested"})]
    );
}

#[test]
fn no_empty_description_anywhere() {
    let run = run_jaffle(json!({}));
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "description" || k == "text" {
                        assert!(
                            v.as_str().is_none_or(|s| !s.trim().is_empty()),
                            "empty {k} at {path}"
                        );
                    }
                    walk(v, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }
    for (i, record) in run.records.iter().enumerate() {
        walk(
            &serde_json::to_value(record).unwrap(),
            &format!("record {i}"),
        );
    }
}

#[test]
fn lineage_edges_resolve_ephemeral_models_and_reach_the_dashboard() {
    let run = run_jaffle(json!({}));
    let edges = edges(&run);
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert!(edges.contains(&pair(STG_ORDERS, ORDERS)));
    assert!(edges.contains(&pair(STG_ITEMS, ORDERS)));
    assert!(edges.contains(&pair(ORDERS, CUSTOMERS)));
    assert!(edges.contains(&pair(RAW_CUSTOMERS, STG_CUSTOMERS)));
    assert!(edges.iter().all(|(a, b)| a != b), "no self-edge");
    let Some(Record::Lineage { to, details, .. }) = edge(&run, ORDERS, "jaffle_metabase.cafe_ops")
    else {
        panic!("no edge to the dashboard");
    };
    assert_eq!(to.kind, EntityKind::Dashboard);
    assert_eq!(details.as_ref().unwrap()["source"], "DbtLineage");
    let Some(Record::Lineage { details, .. }) = edge(&run, STG_ORDERS, ORDERS) else {
        unreachable!()
    };
    let details = details.as_ref().unwrap();
    assert_eq!(details["source"], "DbtLineage");
    assert!(
        details["sqlQuery"]
            .as_str()
            .unwrap()
            .starts_with("with __dbt__cte__int_order_values")
    );
    // Column lineage from the compiled SQL, in select-list order.
    assert_eq!(
        details["columnsLineage"][0],
        json!({"fromColumns": [format!("{STG_ORDERS}.order_id")],
               "toColumn": format!("{ORDERS}.order_id")})
    );
    // Through the ephemeral model's CTE down to its parent's columns.
    let Some(Record::Lineage { details, .. }) = edge(&run, STG_ITEMS, ORDERS) else {
        panic!("no edge from the ephemeral model's parent");
    };
    assert_eq!(
        details.as_ref().unwrap()["columnsLineage"],
        json!([
            {"fromColumns": [format!("{STG_ITEMS}.line_amount")],
             "toColumn": format!("{ORDERS}.order_value")},
            {"fromColumns": [format!("{STG_ITEMS}.category")],
             "toColumn": format!("{ORDERS}.has_coffee")},
        ])
    );
    // Without overrideLineage nothing is reset.
    assert!(
        !run.records
            .iter()
            .any(|r| matches!(r, Record::LineageReset { .. }))
    );
}

#[test]
fn test_cases_sit_where_dbt_means_them() {
    let run = run_jaffle(json!({}));
    let cases = run.fqns(EntityKind::TestCase);
    // relationships: on the model under test (orders), not on the `to:` table.
    let rel = format!(
        "{ORDERS}.customer_id.relationships_orders_customer_id__customer_id__ref_customers_"
    );
    assert!(cases.contains(&rel.as_str()), "{cases:#?}");
    let request = run.request(&rel).unwrap();
    assert_eq!(
        request["entityLink"],
        format!("<#E::table::{ORDERS}::columns::customer_id>")
    );
    assert_eq!(request["testDefinition"], "relationships");
    // Its parameters are kept.
    assert_eq!(
        request["parameterValues"],
        json!([{"name": "to", "value": "ref('customers')"},
               {"name": "field", "value": "customer_id"}])
    );
    // accepted_values keeps its list.
    let accepted = run
        .request(&format!(
            "{CUSTOMERS}.loyalty_tier.accepted_values_customers_loyalty_tier__bronze__silver__gold"
        ))
        .unwrap();
    assert_eq!(
        accepted["parameterValues"],
        json!([{"name": "values", "value": "[\"bronze\",\"silver\",\"gold\"]"}])
    );
    // Source tests land on the source table.
    assert!(cases.contains(&format!("{RAW_CUSTOMERS}.id.source_unique_pos_customers_id").as_str()));
    // The singular test is table-level on orders.
    let singular = run
        .request(&format!("{ORDERS}.assert_order_value_positive"))
        .unwrap();
    assert_eq!(singular["entityLink"], format!("<#E::table::{ORDERS}>"));

    // Definitions: column and table level told apart, one shared freshness one.
    let definitions = run.fqns(EntityKind::TestDefinition);
    assert_eq!(
        definitions,
        [
            "accepted_values",
            "assert_order_value_positive",
            "not_null",
            "relationships",
            "source_freshness",
            "unique",
        ]
    );
    let relationships = run.request("relationships").unwrap();
    assert_eq!(relationships["entityType"], "COLUMN");
    assert_eq!(relationships["testPlatforms"], json!(["dbt"]));
    assert_eq!(
        relationships["parameterDefinition"],
        json!([{"name": "to", "displayName": "to", "required": false},
               {"name": "field", "displayName": "field", "required": false}])
    );
}

#[test]
fn results_say_what_dbt_said() {
    let run = run_jaffle(json!({}));
    // warn → Failed, the text saying it is a warning.
    let warned = result_of(
        &run,
        &format!("{STG_CUSTOMERS}.email.not_null_stg_pos__customers_email"),
    )
    .unwrap();
    assert_eq!(warned["testCaseStatus"], "Failed");
    assert!(
        warned["result"]
            .as_str()
            .unwrap()
            .starts_with("dbt warning"),
        "{warned}"
    );
    assert!(
        warned["testResultValue"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "dbtStatus", "value": "warn"}))
    );
    // fail → Failed with the failing rows.
    let failed = result_of(
        &run,
        &format!(
            "{CUSTOMERS}.loyalty_tier.accepted_values_customers_loyalty_tier__bronze__silver__gold"
        ),
    )
    .unwrap();
    assert_eq!(failed["testCaseStatus"], "Failed");
    assert_eq!(failed["failedRows"], 1);
    // pass → Success, at the time the test ran (ms).
    let passed = result_of(
        &run,
        &format!("{RAW_CUSTOMERS}.id.source_not_null_pos_customers_id"),
    )
    .unwrap();
    assert_eq!(passed["testCaseStatus"], "Success");
    assert_eq!(passed["timestamp"], 1_795_446_489_399_i64);
    // Every test of the project ran, so every test case has a result.
    let results = run
        .records
        .iter()
        .filter(|r| matches!(r, Record::TestCaseResult { .. }))
        .count();
    assert_eq!(results, run.fqns(EntityKind::TestCase).len());
}

#[test]
fn source_freshness_from_sources_json() {
    let run = run_jaffle(json!({}));
    let freshness: Vec<&str> = run
        .fqns(EntityKind::TestCase)
        .into_iter()
        .filter(|f| f.ends_with("_freshness"))
        .collect();
    // products has `freshness: null`.
    assert_eq!(
        freshness,
        [
            "glue_svc.awsdatacatalog.raw_pos.customers.customers_freshness",
            "glue_svc.awsdatacatalog.raw_pos.order_items.order_items_freshness",
            "glue_svc.awsdatacatalog.raw_pos.orders.orders_freshness",
        ]
    );
    let request = run.request(freshness[0]).unwrap();
    assert_eq!(request["testDefinition"], "source_freshness");
    assert_eq!(
        request["parameterValues"],
        json!([{"name": "warn_after", "value": "6 hour"},
               {"name": "error_after", "value": "24 hour"},
               {"name": "loaded_at_field", "value": "_loaded_at"}])
    );
    let result = result_of(&run, freshness[0]).unwrap();
    assert_eq!(result["testCaseStatus"], "Failed");
    assert!(
        result["result"].as_str().unwrap().contains("warning"),
        "{result}"
    );
    let result = result_of(&run, freshness[2]).unwrap();
    assert_eq!(result["testCaseStatus"], "Success");
}

#[test]
fn test_connection_reports_what_the_artifacts_hold() {
    let report = connector_sdk::testkit::test_connection(
        dbt::DbtConnector,
        source(local_source(&jaffle_dir()), json!({})),
    )
    .unwrap();
    assert!(report.passed(), "{report:#?}");
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Fetch artifacts",
            "Read manifest",
            "Read catalog",
            "Read run_results",
            "Read sources"
        ]
    );
    let manifest = report.steps[1].message.as_deref().unwrap_or_default();
    assert!(
        manifest.starts_with(
            "manifest v12, dbt 1.11.16, project jaffle: 6 models, 4 sources, 0 seeds, 0 snapshots, 18 tests, 1 exposures"
        ),
        "{manifest}"
    );
}

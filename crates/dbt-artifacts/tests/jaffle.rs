//! The jaffle fixture: real dbt-core 1.11 artifacts (manifest v12, catalog v1,
//! run_results v6, sources v3) of a small project, read end to end.

use std::path::PathBuf;

use dbt_artifacts::{
    Artifacts, Node, ResourceType, TestCaseStatus, latest_test_results, parse_timestamp_millis,
};

/// `fixtures/dbt/jaffle/artifacts` in the repository (a copy of the project's
/// artifacts; see its README).
fn artifacts_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dbt/jaffle/artifacts");
    assert!(
        dir.join("manifest.json").is_file(),
        "the jaffle fixture is missing at {}",
        dir.display()
    );
    Some(dir)
}

fn load() -> Option<Artifacts> {
    let dir = artifacts_dir()?;
    Some(Artifacts::load(dir.as_path()).expect("the fixture loads"))
}

fn ids(nodes: &[&Node]) -> Vec<String> {
    nodes.iter().map(|n| n.unique_id.clone()).collect()
}

#[test]
fn loads_every_artifact_without_warnings() {
    let Some(a) = load() else { return };
    let warnings: Vec<String> = a.warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(a.manifest.metadata.schema_version, Some(12));
    assert_eq!(a.catalog.as_ref().unwrap().metadata.schema_version, Some(1));
    assert_eq!(a.run_results.len(), 1);
    assert_eq!(a.run_results[0].metadata.schema_version, Some(6));
    assert_eq!(a.sources.as_ref().unwrap().metadata.schema_version, Some(3));
}

#[test]
fn counts_match_the_fixture_readme() {
    let Some(a) = load() else { return };
    let m = &a.manifest;
    let count = |t: ResourceType| m.nodes_of(&t).count();
    assert_eq!(count(ResourceType::Model), 6);
    assert_eq!(count(ResourceType::Seed), 0);
    assert_eq!(count(ResourceType::Snapshot), 0);
    assert_eq!(count(ResourceType::Test), 18);
    assert_eq!(count(ResourceType::Source), 4);
    assert_eq!(m.sources().len(), 4);
    assert_eq!(m.exposures().len(), 1);
    assert_eq!(m.unit_tests().len(), 0);
    assert_eq!(m.nodes().len(), 24);
    let tests: Vec<&Node> = m.nodes_of(&ResourceType::Test).collect();
    let generic = tests
        .iter()
        .filter(|t| t.test.as_ref().unwrap().test_name.is_some())
        .count();
    assert_eq!((generic, tests.len() - generic), (17, 1));
    // The ephemeral model has no table; the other five and the four sources do.
    let with_table = m
        .nodes()
        .iter()
        .chain(m.sources())
        .filter(|n| n.has_relation())
        .count();
    assert_eq!(with_table, 9);
}

#[test]
fn manifest_metadata_and_a_model() {
    let Some(a) = load() else { return };
    let m = &a.manifest;
    assert_eq!(m.metadata.project_name.as_deref(), Some("jaffle"));
    assert_eq!(m.metadata.adapter_type.as_deref(), Some("duckdb"));
    assert_eq!(m.metadata.dbt_version.as_deref(), Some("1.11.16"));
    assert_eq!(
        m.metadata.generated_at.as_deref(),
        Some("2026-11-23T15:08:20.158859Z")
    );

    let orders = m.get("model.jaffle.orders").unwrap();
    assert_eq!(orders.resource_type, ResourceType::Model);
    assert_eq!(orders.config.materialized.as_deref(), Some("table"));
    let rel = orders.relation();
    assert_eq!(
        (rel.database, rel.schema, rel.identifier),
        (Some("awsdatacatalog"), Some("cafe"), "orders")
    );
    assert_eq!(orders.description, "One row per order with its value.");
    assert_eq!(orders.tags, ["mart"]);
    assert_eq!(orders.openmetadata().owners, ["ops-team"]);
    assert_eq!(
        m.get("model.jaffle.customers")
            .unwrap()
            .openmetadata()
            .owners,
        ["kai"]
    );
    assert_eq!(
        orders.original_file_path.as_deref(),
        Some("models/marts/orders.sql")
    );
    assert_eq!(orders.package_name.as_deref(), Some("jaffle"));
    assert!(
        orders
            .raw_code
            .as_deref()
            .unwrap()
            .contains("{{ ref('int_order_values') }}")
    );
    assert!(
        orders
            .compiled_code
            .as_deref()
            .unwrap()
            .contains("__dbt__cte__int_order_values")
    );
    let columns: Vec<&str> = orders.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["order_id", "customer_id", "order_value"]);
    assert_eq!(orders.column("order_value").unwrap().tags, ["kpi"]);
    assert_eq!(
        orders.column("ORDER_ID").unwrap().description,
        "Primary key."
    );
    assert_eq!(orders.primary_key, ["order_id"]);
    let refs: Vec<&str> = orders.refs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(refs, ["stg_pos__orders", "int_order_values"]);
}

#[test]
fn sources_keep_identifier_and_freshness() {
    let Some(a) = load() else { return };
    let m = &a.manifest;
    let customers = m.get("source.jaffle.pos.customers").unwrap();
    let details = customers.source.as_ref().unwrap();
    assert_eq!(details.source_name, "pos");
    assert_eq!(details.loaded_at_field.as_deref(), Some("_loaded_at"));
    let freshness = details.freshness.as_ref().unwrap();
    assert_eq!(
        freshness.warn_after.as_ref().unwrap().describe().as_deref(),
        Some("6 hour")
    );
    assert_eq!(
        freshness
            .error_after
            .as_ref()
            .unwrap()
            .describe()
            .as_deref(),
        Some("24 hour")
    );
    assert_eq!(customers.relation().identifier, "customers");
    assert_eq!(customers.tags, ["raw"]);
    assert_eq!(customers.column("email").unwrap().tags, ["pii"]);
    let products = m.get("source.jaffle.pos.products").unwrap();
    assert!(
        products
            .source
            .as_ref()
            .unwrap()
            .freshness
            .as_ref()
            .is_none_or(|f| !f.is_set())
    );
}

#[test]
fn upstream_resolves_the_ephemeral_model() {
    let Some(a) = load() else { return };
    let m = &a.manifest;
    let orders = m.get("model.jaffle.orders").unwrap();
    let up = m.upstream(orders);
    // int_order_values is ephemeral: its parent stands in for it.
    assert_eq!(
        ids(&up.nodes),
        [
            "model.jaffle.stg_pos__orders",
            "model.jaffle.stg_pos__order_items"
        ]
    );
    assert!(up.missing.is_empty());
    let items = m.get("model.jaffle.stg_pos__order_items").unwrap();
    assert_eq!(
        ids(&m.upstream(items).nodes),
        [
            "source.jaffle.pos.order_items",
            "source.jaffle.pos.products"
        ]
    );
    // Tables named in compiled SQL lead back to their nodes.
    let index = m.relation_index();
    let named = index.find(Some("awsdatacatalog"), "cafe_staging", "stg_pos__orders");
    assert_eq!(named.unwrap().unique_id, "model.jaffle.stg_pos__orders");
    let source = index.find(Some("awsdatacatalog"), "raw_pos", "order_items");
    assert_eq!(source.unwrap().unique_id, "source.jaffle.pos.order_items");
    let exposure = m.exposure("exposure.jaffle.cafe_ops_dashboard").unwrap();
    assert_eq!(
        exposure.open_metadata_fqn(),
        Some("jaffle_metabase.cafe_ops")
    );
    assert_eq!(exposure.exposure_type.as_deref(), Some("dashboard"));
    assert_eq!(
        exposure.depends_on,
        ["model.jaffle.orders", "model.jaffle.customers"]
    );
}

#[test]
fn tests_attach_to_the_node_under_test() {
    let Some(a) = load() else { return };
    let m = &a.manifest;
    let target = |id: &str| {
        let t = m.tested_node(m.get(id).unwrap()).unwrap();
        (t.node.unique_id.clone(), t.column.map(str::to_string))
    };
    // relationships: on orders (the model under test), not on the `to:` customers.
    assert_eq!(
        target(
            "test.jaffle.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2"
        ),
        ("model.jaffle.orders".into(), Some("customer_id".into()))
    );
    // Source tests carry no attached_node in dbt 1.11: found through `model`.
    assert_eq!(
        target("test.jaffle.source_unique_pos_customers_id.60cf6b92b2"),
        ("source.jaffle.pos.customers".into(), Some("id".into()))
    );
    // The singular test: its only parent, table level.
    assert_eq!(
        target("test.jaffle.assert_order_value_positive"),
        ("model.jaffle.orders".into(), None)
    );
    let accepted = m
        .get("test.jaffle.accepted_values_customers_loyalty_tier__bronze__silver__gold.040010af43")
        .unwrap();
    let details = accepted.test.as_ref().unwrap();
    assert_eq!(details.test_name.as_deref(), Some("accepted_values"));
    assert_eq!(
        details.kwargs["values"],
        serde_json::json!(["bronze", "silver", "gold"])
    );
    // Every test in the fixture has a target.
    for t in m.nodes_of(&ResourceType::Test) {
        m.tested_node(t).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn run_results_map_to_test_case_statuses() {
    let Some(a) = load() else { return };
    let latest = latest_test_results(&a.run_results);
    assert_eq!(latest.len(), 18, "one result per test, models left out");
    let count = |s| latest.values().filter(|r| r.outcome.status == s).count();
    assert_eq!(count(TestCaseStatus::Success), 16);
    assert_eq!(count(TestCaseStatus::Failed), 2);
    assert_eq!(count(TestCaseStatus::Aborted), 0);

    let warn = &latest["test.jaffle.not_null_stg_pos__customers_email.15dc233318"];
    assert_eq!(warn.outcome.status, TestCaseStatus::Failed);
    assert_eq!(
        warn.outcome.result.as_deref(),
        Some("dbt warning (test severity: warn): Got 4 results, configured to warn if != 0")
    );
    assert_eq!(warn.outcome.failures, Some(4));
    let fail = &latest["test.jaffle.accepted_values_customers_loyalty_tier__bronze__silver__gold.040010af43"];
    assert_eq!(
        fail.outcome.result.as_deref(),
        Some("Got 1 result, configured to fail if != 0")
    );
    let pass = &latest["test.jaffle.source_not_null_pos_customers_id.6ac6a0a1cd"];
    assert_eq!(pass.outcome.result, None);
    assert_eq!(
        pass.timestamp_millis,
        parse_timestamp_millis("2026-11-23T15:08:09.399755Z")
    );
    let model = a.run_results[0]
        .results
        .iter()
        .find(|r| r.unique_id == "model.jaffle.orders")
        .unwrap();
    assert_eq!(model.adapter_response["_message"], "OK");
}

#[test]
fn freshness_results() {
    let Some(a) = load() else { return };
    let sources = a.sources.as_ref().unwrap();
    assert_eq!(sources.results.len(), 3);
    let by_id = |id: &str| sources.results.iter().find(|r| r.unique_id == id).unwrap();
    let customers = by_id("source.jaffle.pos.customers").outcome();
    assert_eq!(customers.status, TestCaseStatus::Failed);
    let text = customers.result.unwrap();
    assert!(
        text.starts_with("dbt warning (source freshness warn_after exceeded (limit 6 hour)): "),
        "{text}"
    );
    assert!(text.contains("10h 0m before the check"), "{text}");
    assert_eq!(
        by_id("source.jaffle.pos.orders").outcome().status,
        TestCaseStatus::Success
    );
    assert_eq!(
        by_id("source.jaffle.pos.orders").timestamp_millis(None),
        parse_timestamp_millis("2026-11-23T15:08:16.451992Z")
    );
}

#[test]
fn catalog_columns_and_stats() {
    let Some(a) = load() else { return };
    let catalog = a.catalog.as_ref().unwrap();
    assert_eq!(catalog.nodes().len(), 5);
    assert_eq!(catalog.sources().len(), 4);
    let customers = catalog.get("model.jaffle.customers").unwrap();
    assert_eq!(customers.table_type.as_deref(), Some("BASE TABLE"));
    assert_eq!(
        customers.comment.as_deref(),
        Some("One row per loyalty customer with lifetime value.")
    );
    assert_eq!(customers.columns.len(), 7);
    let value = customers.column("lifetime_value").unwrap();
    assert_eq!(
        (value.data_type.as_str(), value.index),
        ("DECIMAL(38,2)", Some(6))
    );
    assert_eq!(customers.column("customer_name").unwrap().comment, None);
    assert_eq!(customers.stat("has_stats"), Some(&serde_json::json!(false)));
    let indexes: Vec<u64> = customers.columns.iter().filter_map(|c| c.index).collect();
    assert_eq!(indexes, [1, 2, 3, 4, 5, 6, 7]);
    assert!(catalog.get("source.jaffle.pos.products").is_some());
    assert!(catalog.get("model.jaffle.int_order_values").is_none());
}

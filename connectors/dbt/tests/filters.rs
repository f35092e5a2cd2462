//! Filter patterns, catalogMapping and the flags that change what is sent, on
//! the jaffle fixture.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use serde_json::json;

const RAW: &str = "glue_svc.awsdatacatalog.raw_pos";

#[test]
fn schema_filter_drops_tables_edges_and_tests_and_says_so() {
    let run = run_jaffle(json!({"schemaFilterPattern": {"excludes": ["raw_.*"]}}));
    let filtered: Vec<String> = run
        .events(EventLevel::Filtered)
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(
        filtered,
        [
            format!("{RAW}.customers"),
            format!("{RAW}.order_items"),
            format!("{RAW}.orders"),
            format!("{RAW}.products"),
        ]
    );
    assert!(
        run.events(EventLevel::Filtered)[0]
            .reason
            .contains("schemaFilterPattern")
    );
    assert!(updated_tables(&run).iter().all(|t| !t.starts_with(RAW)));
    assert!(edges(&run).iter().all(|(from, _)| !from.starts_with(RAW)));
    assert!(
        run.fqns(EntityKind::TestCase)
            .iter()
            .all(|t| !t.starts_with(RAW))
    );
    // The staging models lose their (filtered) upstream, nothing else.
    let stg = update(&run, "glue_svc.awsdatacatalog.cafe_staging.stg_pos__orders").unwrap();
    assert!(stg.data_model.as_ref().unwrap().get("upstream").is_none());
    // A filtered table is not a warning.
    assert!(event_texts(&run, EventLevel::Warning).is_empty());
}

#[test]
fn table_filter_is_anchored_at_the_start_and_ignores_case() {
    let run = run_jaffle(json!({"tableFilterPattern": {"includes": ["ORDER"]}}));
    assert_eq!(
        updated_tables(&run),
        [
            format!("{RAW}.order_items"),
            format!("{RAW}.orders"),
            "glue_svc.awsdatacatalog.cafe.orders".to_string(),
        ]
    );
}

#[test]
fn database_filter_applies_to_the_manifest_database() {
    let run = run_jaffle(json!({
        "databaseFilterPattern": {"excludes": ["awsdatacatalog"]},
        // The filter sees dbt's name, not the mapped one.
        "catalogMapping": {"awsdatacatalog": "123456789012"},
    }));
    assert!(updated_tables(&run).is_empty());
    assert_eq!(run.events(EventLevel::Filtered).len(), 9);
    assert!(run.fqns(EntityKind::TestCase).is_empty());
    assert!(edges(&run).is_empty());
}

#[test]
fn tag_filter_and_include_tags() {
    let run = run_jaffle(json!({"tagFilterPattern": {"excludes": ["pii"]}}));
    assert_eq!(
        run.fqns(EntityKind::Tag),
        ["dbtTags.kpi", "dbtTags.mart", "dbtTags.raw"]
    );
    let text = serde_json::to_string(&run.records).unwrap();
    assert!(!text.contains("dbtTags.pii"));

    let run = run_jaffle(json!({"includeTags": false, "dbtClassificationName": "dbt"}));
    assert!(run.fqns(EntityKind::Classification).is_empty());
    assert!(run.fqns(EntityKind::Tag).is_empty());
    let text = serde_json::to_string(&run.records).unwrap();
    assert!(!text.contains("dbtTags."), "no dbt tag labels");

    let run = run_jaffle(json!({"dbtClassificationName": "dbt_jaffle"}));
    assert_eq!(run.fqns(EntityKind::Classification), ["dbt_jaffle"]);
    assert!(run.fqns(EntityKind::Tag).contains(&"dbt_jaffle.mart"));
}

#[test]
fn catalog_mapping_renames_every_fqn_and_keeps_column_lineage() {
    let run = run_jaffle(json!({"catalogMapping": {"AwsDataCatalog": "123456789012"}}));
    let text = serde_json::to_string(&run.records).unwrap();
    // Only the SQL text still names dbt's database.
    for record in &run.records {
        match record {
            Record::Update { fqn, .. } => {
                assert!(fqn.starts_with("glue_svc.123456789012."), "{fqn}")
            }
            Record::Entity {
                kind: EntityKind::TestCase,
                fqn,
                request,
                ..
            } => {
                assert!(fqn.starts_with("glue_svc.123456789012."), "{fqn}");
                assert!(
                    request["entityLink"]
                        .as_str()
                        .unwrap()
                        .contains("glue_svc.123456789012.")
                );
            }
            Record::TestCaseResult { test_case, .. } => {
                assert!(test_case.starts_with("glue_svc.123456789012."))
            }
            _ => {}
        }
    }
    assert!(!text.contains("glue_svc.awsdatacatalog"));
    let orders = "glue_svc.123456789012.cafe.orders";
    let stg = "glue_svc.123456789012.cafe_staging.stg_pos__orders";
    let Some(Record::Lineage { details, .. }) = edge(&run, stg, orders) else {
        panic!("no edge into orders");
    };
    // The SQL names "awsdatacatalog"; the mapping still resolves its relations.
    assert_eq!(
        details.as_ref().unwrap()["columnsLineage"][0],
        json!({"fromColumns": [format!("{stg}.order_id")], "toColumn": format!("{orders}.order_id")})
    );
    assert_eq!(
        update(&run, orders).unwrap().data_model.as_ref().unwrap()["upstream"],
        json!([
            stg,
            "glue_svc.123456789012.cafe_staging.stg_pos__order_items"
        ])
    );
}

#[test]
fn override_lineage_resets_each_table_before_its_edges() {
    let run = run_jaffle(json!({"overrideLineage": true}));
    let mut reset_seen: Vec<String> = Vec::new();
    let mut resets = 0;
    for record in &run.records {
        match record {
            Record::LineageReset { to, source } => {
                assert_eq!(source, "DbtLineage");
                reset_seen.push(to.fqn.clone());
                resets += 1;
            }
            Record::Lineage { to, .. } if to.kind == EntityKind::Table => {
                assert!(
                    reset_seen.contains(&to.fqn),
                    "edge into {} before its reset",
                    to.fqn
                );
            }
            _ => {}
        }
    }
    // Every table, even those without parents: stale edges into them go too.
    assert_eq!(resets, 9);
}

#[test]
fn update_flags_never_overwrite_sources() {
    let run = run_jaffle(json!({"dbtUpdateDescriptions": true, "dbtUpdateOwners": true}));
    let model = update(&run, "glue_svc.awsdatacatalog.cafe.customers").unwrap();
    assert!(model.description.as_ref().unwrap().overwrite);
    assert!(
        model
            .columns
            .iter()
            .all(|c| c.description.as_ref().is_none_or(|d| d.overwrite))
    );
    assert!(model.owners.as_ref().unwrap().overwrite);
    assert_eq!(model.owners.as_ref().unwrap().names, ["kai"]);
    let source = update(&run, &format!("{RAW}.customers")).unwrap();
    assert!(!source.description.as_ref().unwrap().overwrite);
    assert!(
        source
            .columns
            .iter()
            .all(|c| c.description.as_ref().is_none_or(|d| !d.overwrite))
    );
}

#[test]
fn bad_patterns_are_config_errors_naming_the_field() {
    let run = run(source(
        local_source(&jaffle_dir()),
        json!({"tableFilterPattern": {"includes": ["(orders"]}}),
    ));
    let error = run.error.as_ref().expect("the run fails");
    assert_eq!(error.kind, connector_sdk::ErrorKind::Config);
    assert!(
        error.message.contains("tableFilterPattern"),
        "{}",
        error.message
    );
    assert!(run.records.is_empty());
}

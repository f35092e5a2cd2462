//! The jaffle fixture's real compiled SQL (dbt-core 1.11, dbt-duckdb), with the
//! columns of its `catalog.json`: the lineage of every model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dbt_artifacts::{Artifacts, ResourceType};
use sql_lineage::{Analysis, Dialect, RelationName, analyze};

fn artifacts() -> Artifacts {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dbt/jaffle/artifacts");
    Artifacts::load(dir.as_path()).expect("the jaffle fixture loads")
}

/// `db.schema.name` (lower-cased) → the catalog's columns in table order.
fn catalog_columns(artifacts: &Artifacts) -> BTreeMap<String, Vec<String>> {
    let catalog = artifacts
        .catalog
        .as_ref()
        .expect("the fixture has a catalog");
    catalog
        .nodes()
        .iter()
        .chain(catalog.sources())
        .map(|table| {
            let name = [&table.database, &table.schema, &table.name]
                .into_iter()
                .flatten()
                .map(|p| p.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(".");
            (name, table.columns.iter().map(|c| c.name.clone()).collect())
        })
        .collect()
}

fn render(analysis: &Analysis) -> String {
    let mut out = String::from("relations:\n");
    for relation in &analysis.relations {
        out.push_str(&format!("  {relation}\n"));
    }
    out.push_str("columns:\n");
    for column in &analysis.columns {
        out.push_str(&format!("  {}\n", column.column));
        for source in &column.sources {
            out.push_str(&format!("    <- {source}\n"));
        }
    }
    out.push_str(&format!("unresolved: {:?}\n", analysis.unresolved));
    out
}

#[test]
fn every_model_has_full_column_lineage() {
    let artifacts = artifacts();
    let manifest = &artifacts.manifest;
    let columns = catalog_columns(&artifacts);
    let lookup = |relation: &RelationName| {
        columns
            .get(&relation.to_string().to_ascii_lowercase())
            .cloned()
    };
    let dialect =
        Dialect::from_dbt_adapter_type(manifest.metadata.adapter_type.as_deref().unwrap_or(""));
    assert_eq!(dialect, Dialect::DuckDb);

    let mut seen = Vec::new();
    for node in manifest.nodes_of(&ResourceType::Model) {
        let sql = node.compiled_code.as_deref().expect("models are compiled");
        let analysis =
            analyze(sql, dialect, &lookup).unwrap_or_else(|e| panic!("{}: {e}", node.unique_id));
        assert!(
            analysis.unresolved.is_empty(),
            "{}: {:?}",
            node.unique_id,
            analysis.unresolved
        );

        // The output columns are the model's relation's columns, in order.
        if node.has_relation() {
            let relation = format!(
                "{}.{}.{}",
                node.database.as_deref().unwrap_or(""),
                node.schema,
                node.alias.as_deref().unwrap_or(&node.name)
            );
            let names: Vec<&str> = analysis.columns.iter().map(|c| c.column.as_str()).collect();
            assert_eq!(names, columns[&relation], "{}", node.unique_id);
        }
        insta::assert_snapshot!(node.name.clone(), render(&analysis));
        seen.push(node.name.clone());
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "customers",
            "int_order_values",
            "orders",
            "stg_pos__customers",
            "stg_pos__order_items",
            "stg_pos__orders"
        ]
    );
}

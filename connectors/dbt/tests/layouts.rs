//! Hand-made projects in the manifest v1 shape (dbt 0.19: `raw_sql`,
//! `compiled_sql`, list `refs`, run_results v1) and the v12 shape (dbt 1.9+),
//! built to reach what the jaffle project does not: renamed sources, aliases,
//! snapshots with `target_schema`, incremental self-references, tests on
//! ephemeral models, `meta.openmetadata`, types hive-types cannot read.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use serde_json::{Value, json};

/// dbt 0.19 on Athena: a renamed source, an aliased incremental model that
/// reads itself, a seed, an analysis, one test with a v1 result.
fn v1_project() -> Project {
    let project = Project::new();
    project.write(
        "manifest.json",
        &json!({
            "metadata": {
                "dbt_schema_version": schema("manifest", 1),
                "dbt_version": "0.19.2",
                "generated_at": "2021-05-04T10:00:00.000000Z",
                "adapter_type": "athena",
            },
            "nodes": {
                "model.shop.stg_payments": {
                    "resource_type": "model", "name": "stg_payments", "unique_id": "model.shop.stg_payments",
                    "database": "awsdatacatalog", "schema": "staging", "alias": "stg_payments",
                    "root_path": "/home/ci/shop", "original_file_path": "models/staging/stg_payments.sql",
                    "path": "staging/stg_payments.sql",
                    "raw_sql": "select id, amount from {{ source('billing', 'payments') }}",
                    "compiled_sql": "select id, amount from \"awsdatacatalog\".\"billing_raw\".\"payments_v2\"",
                    "config": {"materialized": "view"},
                    "depends_on": {"nodes": ["source.shop.billing.payments"], "macros": []},
                    "refs": [], "sources": [["billing", "payments"]],
                    "description": "", "tags": [], "meta": {},
                    "columns": {"id": {"name": "id", "description": "", "data_type": "bigint"}}
                },
                "model.shop.fct_orders": {
                    "resource_type": "model", "name": "fct_orders", "unique_id": "model.shop.fct_orders",
                    "database": "awsdatacatalog", "schema": "marts", "alias": "orders_fact",
                    "root_path": "/home/ci/shop", "original_file_path": "models/marts/fct_orders.sql",
                    "raw_sql": "select id, amount from {{ ref('stg_payments') }} {% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}",
                    "compiled_sql": "select id, amount from \"awsdatacatalog\".\"staging\".\"stg_payments\" where id > (select max(id) from \"awsdatacatalog\".\"marts\".\"orders_fact\")",
                    "config": {"materialized": "incremental"},
                    "depends_on": {"nodes": ["model.shop.stg_payments", "model.shop.fct_orders"]},
                    "refs": [["shop", "stg_payments"], ["fct_orders"]], "sources": [],
                    "description": "Orders, appended daily.", "tags": ["finance"],
                    "meta": {"owner": ["finance-team", "dana"]},
                    "columns": {
                        "id": {"name": "id", "description": "Order id.", "data_type": "bigint", "tags": ["key"]},
                        "amount": {"name": "amount", "description": "   ", "data_type": "decimal(12,2)"}
                    }
                },
                "seed.shop.fx_rates": {
                    "resource_type": "seed", "name": "fx_rates", "unique_id": "seed.shop.fx_rates",
                    "database": "awsdatacatalog", "schema": "seeds", "root_path": "/home/ci/shop",
                    "original_file_path": "data/fx_rates.csv", "raw_sql": "",
                    "config": {"materialized": "seed"}, "depends_on": {"nodes": []},
                    "description": "", "columns": {}
                },
                "analysis.shop.revenue": {
                    "resource_type": "analysis", "name": "revenue", "unique_id": "analysis.shop.revenue",
                    "database": "awsdatacatalog", "schema": "marts",
                    "raw_sql": "select 1", "depends_on": {"nodes": ["model.shop.fct_orders"]}
                },
                "test.shop.not_null_fct_orders_id.5a1b2c3d4e": {
                    "resource_type": "test", "name": "not_null_fct_orders_id",
                    "unique_id": "test.shop.not_null_fct_orders_id.5a1b2c3d4e",
                    "database": "awsdatacatalog", "schema": "marts",
                    "raw_sql": "{{ config(severity='ERROR') }}{{ test_not_null(**_dbt_schema_test_kwargs) }}",
                    "test_metadata": {"name": "not_null", "kwargs": {"column_name": "id", "model": "{{ ref('fct_orders') }}"}},
                    "column_name": "id",
                    "config": {"severity": "ERROR"},
                    "depends_on": {"nodes": ["model.shop.fct_orders"]},
                    "refs": [["fct_orders"]], "description": ""
                }
            },
            "sources": {
                "source.shop.billing.payments": {
                    "resource_type": "source", "name": "payments", "identifier": "payments_v2",
                    "unique_id": "source.shop.billing.payments", "source_name": "billing",
                    "database": "awsdatacatalog", "schema": "billing_raw",
                    "description": "Card payments.", "source_description": "The billing system.",
                    "original_file_path": "models/sources.yml",
                    "columns": {}, "tags": [], "meta": {}
                }
            },
            "exposures": {},
            "macros": {"macro.shop.x": {"name": "x"}},
            "parent_map": {}, "child_map": {}
        }),
    );
    project.write(
        "run_results.json",
        &json!({
            "metadata": {"dbt_schema_version": schema("run-results", 1), "generated_at": "2021-05-04T10:20:00.000000Z"},
            "results": [
                {"status": "fail", "unique_id": "test.shop.not_null_fct_orders_id.5a1b2c3d4e",
                 "timing": [{"name": "execute", "started_at": "2021-05-04T10:19:03.000000Z",
                             "completed_at": "2021-05-04T10:19:03.500000Z"}],
                 "message": 3, "thread_id": "Thread-1", "execution_time": 0.5, "adapter_response": {}}
            ],
            "elapsed_time": 1.0
        }),
    );
    project
}

#[test]
fn v1_manifest_shape() {
    let project = v1_project();
    let run = project.run(json!({}));
    run.assert_ok();

    let fct = "glue_svc.awsdatacatalog.marts.orders_fact";
    // Aliased model and renamed source named as the warehouse names them; the
    // analysis has no table.
    assert_eq!(
        updated_tables(&run),
        [
            "glue_svc.awsdatacatalog.billing_raw.payments_v2",
            fct,
            "glue_svc.awsdatacatalog.staging.stg_payments",
            "glue_svc.awsdatacatalog.seeds.fx_rates",
        ]
    );
    let update = update(&run, fct).unwrap();
    let model = update.data_model.as_ref().unwrap();
    // raw_sql / compiled_sql of the v1 layout.
    assert!(model["rawSql"].as_str().unwrap().contains("{{ this }}"));
    assert!(
        model["sql"]
            .as_str()
            .unwrap()
            .starts_with("select id, amount from")
    );
    // The project-relative path, not root_path + path.
    assert_eq!(model["path"], "models/marts/fct_orders.sql");
    // The self-reference is not an upstream.
    assert_eq!(
        model["upstream"],
        json!(["glue_svc.awsdatacatalog.staging.stg_payments"])
    );
    assert_eq!(model["generatedAt"], "2021-05-04T10:00:00.000000Z");
    // No project name before manifest v10.
    assert!(model.get("dbtSourceProject").is_none());
    // No catalog: types from the manifest's data_type.
    assert_eq!(model["columns"][1]["dataType"], "DECIMAL");
    assert_eq!(model["columns"][1]["precision"], 12);
    // A blank description is never sent.
    assert!(model["columns"][1].get("description").is_none());
    assert_eq!(update.columns.len(), 1, "{:?}", update.columns);
    assert_eq!(
        update.owners.as_ref().unwrap().names,
        ["finance-team", "dana"]
    );
    // The seed's data model has no SQL (its raw_sql is empty).
    let seed = update_model(&run, "glue_svc.awsdatacatalog.seeds.fx_rates");
    assert!(seed.get("rawSql").is_none());
    assert_eq!(seed["path"], "data/fx_rates.csv");
    assert_eq!(seed["resourceType"], "seed");

    // `{{ this }}` is never an edge; the renamed source's edge is there.
    let edges = edges(&run);
    assert_eq!(
        edges,
        [
            (
                "glue_svc.awsdatacatalog.staging.stg_payments".to_string(),
                fct.to_string()
            ),
            (
                "glue_svc.awsdatacatalog.billing_raw.payments_v2".to_string(),
                "glue_svc.awsdatacatalog.staging.stg_payments".to_string()
            ),
        ]
    );
    // Column lineage from the renamed source, matched by identifier in the SQL.
    let Some(Record::Lineage { details, .. }) = edge(
        &run,
        "glue_svc.awsdatacatalog.billing_raw.payments_v2",
        "glue_svc.awsdatacatalog.staging.stg_payments",
    ) else {
        unreachable!()
    };
    assert_eq!(
        details.as_ref().unwrap()["columnsLineage"][0],
        json!({"fromColumns": ["glue_svc.awsdatacatalog.billing_raw.payments_v2.id"],
               "toColumn": "glue_svc.awsdatacatalog.staging.stg_payments.id"})
    );

    // The v1 test and its result (v1 put the failing rows in `message`).
    let case = format!("{fct}.id.not_null_fct_orders_id");
    assert_eq!(run.fqns(EntityKind::TestCase), [case.as_str()]);
    let result = result_of(&run, &case).unwrap();
    assert_eq!(result["testCaseStatus"], "Failed");
    assert_eq!(result["failedRows"], 3);
    assert_eq!(result["timestamp"], 1_620_123_543_500_i64);
    // No catalog and no sources.json: said once each, with what is lost.
    let warnings = event_texts(&run, EventLevel::Warning);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings[0].contains("column types and positions will come from the manifest only"));
    assert!(warnings[1].contains("there will be no source freshness results"));
}

fn update_model<'a>(run: &'a connector_sdk::testkit::TestRun, fqn: &str) -> &'a Value {
    update(run, fqn).unwrap().data_model.as_ref().unwrap()
}

/// dbt 1.9 (manifest v12) shape: snapshot with target_schema, an ephemeral model
/// with a test, a dbt-glue-style model without database, meta.openmetadata,
/// unit tests, exposures of several kinds, a catalog with unreadable types.
fn v12_project() -> Project {
    let project = Project::new();
    let node = |id: &str, extra: Value| {
        let defaults = json!({
            "unique_id": id, "resource_type": "model", "package_name": "lake",
            "database": "awsdatacatalog", "schema": "lake", "description": "",
            "columns": {}, "tags": [], "meta": {}, "config": {"materialized": "table"},
            "depends_on": {"nodes": [], "macros": []}, "refs": [], "sources": [],
            "raw_code": "", "language": "sql"
        });
        with(defaults, extra)
    };
    project.write(
        "manifest.json",
        &json!({
            "metadata": {
                "dbt_schema_version": schema("manifest", 12),
                "dbt_version": "1.9.4",
                "generated_at": "2025-03-01T08:00:00.000000Z",
                "project_name": "lake",
                "adapter_type": "glue",
            },
            "nodes": {
                "snapshot.lake.customers_snap": node("snapshot.lake.customers_snap", json!({
                    "resource_type": "snapshot", "name": "customers_snap", "schema": "lake",
                    "original_file_path": "snapshots/customers_snap.sql",
                    "config": {"materialized": "snapshot", "target_schema": "history", "target_database": "awsdatacatalog"},
                    "compiled_code": "select * from awsdatacatalog.lake.customers",
                    "depends_on": {"nodes": ["model.lake.customers"]}
                })),
                "model.lake.customers": node("model.lake.customers", json!({
                    "name": "customers", "description": "Customers.",
                    "original_file_path": "models/customers.sql",
                    "compiled_code": "select id, profile from awsdatacatalog.lake.raw_customers",
                    "tags": ["pii", "internal"],
                    "meta": {"openmetadata": {"owner": "crm-team", "tier": "Tier.Tier1",
                                              "glossary": ["Business.Customer"], "tags": ["PII.Sensitive"]}},
                    "constraints": [{"type": "primary_key", "columns": ["id"]}],
                    "columns": {"id": {"name": "id", "description": "Key.", "tags": ["internal"]},
                                "profile": {"name": "profile", "description": "Nested profile.",
                                            "constraints": [{"type": "not_null"}],
                                            "meta": {"openmetadata": {"glossary": ["Business.Profile"]}}}}
                })),
                "model.lake.cleaned": node("model.lake.cleaned", json!({
                    "name": "cleaned", "config": {"materialized": "ephemeral"},
                    "original_file_path": "models/cleaned.sql",
                    "depends_on": {"nodes": ["model.lake.customers"]}
                })),
                "model.lake.report": node("model.lake.report", json!({
                    "name": "report", "database": null, "schema": "reports",
                    "original_file_path": "models/report.sql",
                    "compiled_code": "with __dbt__cte__cleaned as (select id from awsdatacatalog.lake.customers) select id from __dbt__cte__cleaned",
                    "depends_on": {"nodes": ["model.lake.cleaned"]}
                })),
                "model.lake.broken_sql": node("model.lake.broken_sql", json!({
                    "name": "broken_sql", "original_file_path": "models/broken_sql.sql",
                    "compiled_code": "select from where ((",
                    "depends_on": {"nodes": ["model.lake.customers"]}
                })),
                "test.lake.not_null_cleaned_id.1": node("test.lake.not_null_cleaned_id.1", json!({
                    "resource_type": "test", "name": "not_null_cleaned_id",
                    "config": {"materialized": "test", "severity": "WARN"},
                    "test_metadata": {"name": "not_null", "kwargs": {"column_name": "id", "model": "{{ get_where_subquery(ref('cleaned')) }}"}},
                    "column_name": "id", "attached_node": "model.lake.cleaned",
                    "depends_on": {"nodes": ["model.lake.cleaned"]}
                })),
                "test.lake.expression_is_true_customers.2": node("test.lake.expression_is_true_customers.2", json!({
                    "resource_type": "test", "name": "expression_is_true_customers",
                    "description": "No negative ids.",
                    "config": {"materialized": "test"},
                    "test_metadata": {"name": "expression_is_true", "namespace": "dbt_utils",
                                      "kwargs": {"expression": "id >= 0", "model": "{{ get_where_subquery(ref('customers')) }}"}},
                    "attached_node": "model.lake.customers",
                    "depends_on": {"nodes": ["model.lake.customers"]}
                }))
            },
            "sources": {
                "source.lake.crm.raw_customers": node("source.lake.crm.raw_customers", json!({
                    "resource_type": "source", "name": "raw_customers", "source_name": "crm",
                    "identifier": "raw_customers", "original_file_path": "models/sources.yml",
                    "loaded_at_field": "updated_at",
                    "freshness": {"warn_after": {"count": 1, "period": "day"}, "error_after": {"count": null, "period": null}}
                }))
            },
            "exposures": {
                "exposure.lake.churn_model": {
                    "name": "churn_model", "type": "ml", "unique_id": "exposure.lake.churn_model",
                    "meta": {"open_metadata_fqn": "mlflow.churn"},
                    "owner": {"email": ["ds@lake.example"]},
                    "depends_on": {"nodes": ["model.lake.cleaned"]}
                },
                "exposure.lake.notebook": {
                    "name": "notebook", "type": "notebook", "unique_id": "exposure.lake.notebook",
                    "owner": {"email": "x@lake.example"},
                    "depends_on": {"nodes": ["model.lake.customers"]}
                }
            },
            "unit_tests": {
                "unit_test.lake.customers.keeps_ids": {
                    "name": "keeps_ids", "model": "customers", "unique_id": "unit_test.lake.customers.keeps_ids",
                    "description": "Ids pass through.",
                    "depends_on": {"nodes": ["model.lake.customers"]}
                }
            }
        }),
    );
    project.write(
        "catalog.json",
        &json!({
            "metadata": {"dbt_schema_version": schema("catalog", 1), "generated_at": "2025-03-01T08:01:00Z"},
            "nodes": {
                "model.lake.customers": {
                    "metadata": {"type": "EXTERNAL_TABLE", "schema": "lake", "name": "customers", "owner": "hadoop"},
                    "columns": {
                        "ID": {"name": "ID", "type": "HUGEINT", "index": 1, "comment": null},
                        "profile": {"name": "profile", "type": "struct<city:string,zip:int", "index": 2, "comment": ""},
                        "tags": {"name": "tags", "type": "array<string>", "index": 3, "comment": "Labels."}
                    },
                    "stats": {}
                }
            },
            "sources": {}
        }),
    );
    project.write(
        "run_results.json",
        &json!({
            "metadata": {"dbt_schema_version": schema("run-results", 6), "generated_at": "2025-03-01T08:05:00Z"},
            "results": [
                {"unique_id": "unit_test.lake.customers.keeps_ids", "status": "pass", "message": null,
                 "timing": [{"name": "execute", "completed_at": "2025-03-01T08:04:00Z"}], "failures": 0},
                {"unique_id": "test.lake.expression_is_true_customers.2", "status": "skipped", "message": null,
                 "timing": []}
            ]
        }),
    );
    project.write(
        "sources.json",
        &json!({
            "metadata": {"dbt_schema_version": schema("sources", 3), "generated_at": "2025-03-01T08:06:00Z"},
            "results": [
                {"unique_id": "source.lake.crm.raw_customers", "status": "runtime error",
                 "error": "column updated_at not found", "timing": []}
            ]
        }),
    );
    project
}

#[test]
fn v12_manifest_shape() {
    let project = v12_project();
    let run = project.run(json!({}));
    run.assert_ok();
    insta::assert_json_snapshot!("v12", run.records);

    let customers = "glue_svc.awsdatacatalog.lake.customers";
    // The snapshot is where target_schema puts it; the model without database
    // is looked for in any database of the service; the ephemeral model has no
    // table.
    assert_eq!(
        updated_tables(&run),
        [
            "glue_svc.awsdatacatalog.lake.raw_customers",
            "glue_svc.awsdatacatalog.lake.broken_sql",
            customers,
            "glue_svc.*.reports.report",
            "glue_svc.awsdatacatalog.history.customers_snap",
        ]
    );
    let update = update(&run, customers).unwrap();
    let model = update.data_model.as_ref().unwrap();
    // Catalog types through hive-types: HUGEINT has no OpenMetadata type, the
    // broken struct is kept as written; both UNKNOWN, neither lost.
    let columns = model["columns"].as_array().unwrap();
    assert_eq!(
        (
            &columns[0]["name"],
            &columns[0]["dataType"],
            &columns[0]["dataTypeDisplay"]
        ),
        (&json!("ID"), &json!("UNKNOWN"), &json!("HUGEINT"))
    );
    assert_eq!(columns[0]["description"], "Key.");
    // Contract constraints are kept.
    assert_eq!(columns[0]["constraint"], "PRIMARY_KEY");
    assert_eq!(columns[1]["constraint"], "NOT_NULL");
    assert!(columns[2].get("constraint").is_none());
    assert_eq!(
        (&columns[1]["dataType"], &columns[1]["dataTypeDisplay"]),
        (&json!("UNKNOWN"), &json!("struct<city:string,zip:int"))
    );
    assert_eq!(columns[2]["dataType"], "ARRAY");
    assert_eq!(columns[2]["arrayDataType"], "STRING");
    assert_eq!(columns[2]["description"], "Labels.");
    // Column updates use the catalog's spelling.
    assert_eq!(update.columns[0].name, "ID");
    // meta.openmetadata: owner, tier, glossary, tags; dbt tags under dbtTags.
    assert_eq!(update.owners.as_ref().unwrap().names, ["crm-team"]);
    let fqns: Vec<&str> = update
        .tags
        .iter()
        .map(|t| t["tagFQN"].as_str().unwrap())
        .collect();
    assert_eq!(
        fqns,
        [
            "dbtTags.pii",
            "dbtTags.internal",
            "Tier.Tier1",
            "Business.Customer",
            "PII.Sensitive"
        ]
    );
    assert_eq!(update.tags[3]["source"], "Glossary");
    let raw = update_model(&run, "glue_svc.awsdatacatalog.lake.raw_customers");
    assert_eq!(raw["resourceType"], "source");

    // The report reads the ephemeral model: its edge comes from the customers table.
    assert!(edges(&run).contains(&(
        customers.to_string(),
        "glue_svc.*.reports.report".to_string()
    )));
    assert_eq!(
        edges(&run)
            .iter()
            .filter(|(_, to)| to == "mlflow.churn")
            .collect::<Vec<_>>(),
        [&(customers.to_string(), "mlflow.churn".to_string())]
    );

    let warnings = event_texts(&run, EventLevel::Warning);
    let has = |needle: &str| warnings.iter().any(|w| w.contains(needle));
    // The type hive-types cannot parse is named.
    assert!(
        has("profile (`struct<city:string,zip:int`)"),
        "{warnings:#?}"
    );
    // A test on the ephemeral model is reported, not put on its parent.
    assert!(
        has(
            "test.lake.not_null_cleaned_id.1: test `test.lake.not_null_cleaned_id.1` is on the ephemeral model `model.lake.cleaned`"
        ),
        "{warnings:#?}"
    );
    // The model whose SQL does not parse keeps its table edge; one warning says so.
    assert!(
        has("column lineage: the compiled SQL of 1 model could not be analysed (parsed as Spark)"),
        "{warnings:#?}"
    );
    assert!(edges(&run).contains(&(
        customers.to_string(),
        "glue_svc.awsdatacatalog.lake.broken_sql".to_string()
    )));
    // Exposures that cannot be linked say why.
    assert!(
        has("exposure.lake.notebook: the exposure has no meta.open_metadata_fqn"),
        "{warnings:#?}"
    );

    // Unit test, the dbt_utils test (table level, parameters kept, skipped =
    // Aborted) and the freshness check whose run failed.
    let cases = run.fqns(EntityKind::TestCase);
    assert_eq!(
        cases,
        [
            "glue_svc.awsdatacatalog.lake.customers.expression_is_true_customers",
            "glue_svc.awsdatacatalog.lake.customers.keeps_ids",
            "glue_svc.awsdatacatalog.lake.raw_customers.raw_customers_freshness",
        ]
    );
    let expression = run.request(cases[0]).unwrap();
    assert_eq!(expression["testDefinition"], "expression_is_true_table");
    assert_eq!(expression["description"], "No negative ids.");
    assert_eq!(
        expression["parameterValues"],
        json!([{"name": "expression", "value": "id >= 0"}])
    );
    let skipped = result_of(&run, cases[0]);
    // A skipped test has no time of its own: the file's generated_at.
    assert_eq!(skipped.unwrap()["testCaseStatus"], "Aborted");
    assert_eq!(
        result_of(&run, cases[1]).unwrap()["testCaseStatus"],
        "Success"
    );
    let freshness = result_of(&run, cases[2]).unwrap();
    assert_eq!(freshness["testCaseStatus"], "Aborted");
    assert!(
        freshness["result"]
            .as_str()
            .unwrap()
            .contains("updated_at not found")
    );
    assert_eq!(
        run.request(cases[2]).unwrap()["parameterValues"],
        json!([{"name": "warn_after", "value": "1 day"},
               {"name": "loaded_at_field", "value": "updated_at"}])
    );
}

#[test]
fn every_known_schema_version_is_accepted_without_warning() {
    for version in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20] {
        let project = Project::new();
        project.write(
            "manifest.json",
            &json!({"metadata": {"dbt_schema_version": schema("manifest", version)}, "nodes": {}, "sources": {}}),
        );
        let run = project.run(json!({}));
        run.assert_ok();
        let about_versions: Vec<String> = event_texts(&run, EventLevel::Warning)
            .into_iter()
            .filter(|w| w.contains("schema"))
            .collect();
        assert!(about_versions.is_empty(), "v{version}: {about_versions:?}");
    }
}

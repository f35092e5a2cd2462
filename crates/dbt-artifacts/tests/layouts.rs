//! Older and newer layouts read into the same model: hand-written manifests of the
//! v1 (dbt 0.19), v12 (dbt 1.9) and v20 (dbt Fusion) shapes, run_results v1,
//! sources v1, every known `dbt_schema_version`, and a newer one.

use dbt_artifacts::{
    ArtifactKind, Catalog, Manifest, Node, ResourceType, RunResults, RunStatus, SourceFreshness,
    TestCaseStatus, UnattachedTest, Warning, latest_test_results, parse_timestamp_millis,
    schema_version_url,
};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn manifest(name: &str) -> Manifest {
    let parsed = Manifest::from_path(data(name)).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed.artifact
}

fn ids(nodes: &[&Node]) -> Vec<String> {
    nodes.iter().map(|n| n.unique_id.clone()).collect()
}

#[test]
fn v1_sql_fields_refs_and_paths() {
    let m = manifest("manifest_v1.json");
    assert_eq!(m.metadata.schema_version, Some(1));
    assert_eq!(m.metadata.project_name, None);
    assert_eq!(m.metadata.adapter_type.as_deref(), Some("athena"));
    assert_eq!(m.nodes().len(), 10);
    assert_eq!(m.sources().len(), 1);

    let fct = m.get("model.shop.fct_orders").unwrap();
    assert_eq!(
        fct.raw_code.as_deref().unwrap().split(' ').next(),
        Some("select")
    );
    assert!(
        fct.raw_code
            .as_deref()
            .unwrap()
            .contains("{{ ref('stg_payments') }}")
    );
    assert!(
        fct.compiled_code
            .as_deref()
            .unwrap()
            .starts_with("with __dbt__cte__")
    );
    // alias wins over name for the relation.
    assert_eq!(fct.relation().identifier, "orders_fact");
    assert_eq!(fct.tags, ["finance", "daily"]);
    assert_eq!(fct.openmetadata().owners, ["finance-team", "dana"]);
    // `refs` as lists: [package, name] and [name].
    assert_eq!(fct.refs[0].package.as_deref(), Some("shop"));
    assert_eq!(fct.refs[0].name, "stg_orders");
    assert_eq!(
        (fct.refs[1].package.as_deref(), fct.refs[1].name.as_str()),
        (None, "stg_payments")
    );
    assert_eq!(fct.columns[0].data_type.as_deref(), Some("bigint"));
    assert_eq!(fct.columns[0].tags, ["key"]);
    assert_eq!(fct.columns[1].meta["unit"], "EUR");
    assert_eq!(fct.path.as_deref(), Some("marts/fct_orders.sql"));

    // A node without compiled SQL has none.
    assert_eq!(m.get("model.shop.stg_orders").unwrap().compiled_code, None);
    let stg_payments = m.get("model.shop.stg_payments").unwrap();
    assert_eq!(stg_payments.source_refs[0].source_name, "billing");
    assert_eq!(stg_payments.source_refs[0].table_name, "payments");
    assert!(!stg_payments.has_relation());
    assert!(
        !m.get("analysis.shop.revenue_by_month")
            .unwrap()
            .has_relation()
    );
    assert!(m.get("seed.shop.raw_orders").unwrap().has_relation());
}

#[test]
fn v1_upstream_and_renamed_source() {
    let m = manifest("manifest_v1.json");
    let fct = m.get("model.shop.fct_orders").unwrap();
    // stg_payments is ephemeral: the source behind it takes its place.
    assert_eq!(
        ids(&m.upstream(fct).nodes),
        ["model.shop.stg_orders", "source.shop.billing.payments"]
    );
    let source = m.get("source.shop.billing.payments").unwrap();
    // Matched by identifier, not name.
    let rel = source.relation();
    assert_eq!(
        (rel.database, rel.schema, rel.identifier),
        (Some("awsdatacatalog"), Some("billing_raw"), "payments_v2")
    );
    assert_eq!(source.name, "payments");
    assert_eq!(source.openmetadata().owners, ["billing-team"]);
    let freshness = source.source.as_ref().unwrap().freshness.as_ref().unwrap();
    assert!(freshness.is_set());
    assert_eq!(
        freshness.warn_after.as_ref().unwrap().describe().as_deref(),
        Some("12 hour")
    );
    assert_eq!(freshness.error_after.as_ref().unwrap().describe(), None);
    // Found back from the warehouse name, never from the dbt name.
    let index = m.relation_index();
    let found = index.find(Some("AwsDataCatalog"), "BILLING_RAW", "payments_v2");
    assert_eq!(
        found.map(|n| n.unique_id.as_str()),
        Some("source.shop.billing.payments")
    );
    assert!(index.find(None, "billing_raw", "payments").is_none());
    assert!(
        index
            .find(Some("other_catalog"), "billing_raw", "payments_v2")
            .is_none()
    );
    let fct = index.find(None, "shop", "orders_fact").unwrap();
    assert_eq!(fct.unique_id, "model.shop.fct_orders");
    // Ephemeral models have no relation to find.
    assert!(index.find(None, "shop_staging", "stg_payments").is_none());
    // The snapshot's target_schema.
    let snap = m.get("snapshot.shop.orders_history").unwrap();
    assert_eq!(snap.relation().schema, Some("shop_snapshots"));
    assert_eq!(snap.relation().database, Some("awsdatacatalog"));
}

#[test]
fn v1_tests_without_attached_node() {
    let m = manifest("manifest_v1.json");
    let target = |id: &str| m.tested_node(m.get(id).unwrap());
    // relationships: depends on stg_orders (the `to:`) and fct_orders; the model
    // argument says fct_orders.
    let rel =
        target("test.shop.relationships_fct_orders_order_id__order_id__ref_stg_orders_.6b7c8d9e0f")
            .unwrap();
    assert_eq!(rel.node.unique_id, "model.shop.fct_orders");
    assert_eq!(rel.column, Some("order_id"));
    let src = target("test.shop.source_unique_billing_payments_id.7c8d9e0f1a").unwrap();
    assert_eq!(src.node.unique_id, "source.shop.billing.payments");
    assert_eq!(src.column, Some("id"));
    // A test on an ephemeral model stays on it; the caller sees it has no table.
    let eph = target("test.shop.unique_stg_payments_payment_id.8d9e0f1a2b").unwrap();
    assert_eq!(eph.node.unique_id, "model.shop.stg_payments");
    assert!(!eph.node.has_relation());
    // Not a test.
    assert_eq!(
        target("model.shop.fct_orders").unwrap_err(),
        UnattachedTest::NotATest {
            test: "model.shop.fct_orders".into()
        }
    );
}

#[test]
fn relationships_without_model_argument_drop_the_to_target() {
    // Only `to:` to go by: the other parent is the model under test.
    let text = std::fs::read_to_string(data("manifest_v1.json")).unwrap();
    let text = text.replace(
        r#""model": "{{ ref('fct_orders') }}"}}"#,
        r#""model": "{{ not_a_call }}"}}"#,
    );
    let m = Manifest::from_slice(text.as_bytes(), "edited.json")
        .unwrap()
        .artifact;
    let test = m
        .get("test.shop.relationships_fct_orders_order_id__order_id__ref_stg_orders_.6b7c8d9e0f")
        .unwrap();
    assert_eq!(
        m.tested_node(test).unwrap().node.unique_id,
        "model.shop.fct_orders"
    );
}

#[test]
fn v1_run_results_and_freshness() {
    let rr = RunResults::from_path(data("run_results_v1.json")).unwrap();
    assert!(rr.warnings.is_empty());
    let rr = rr.artifact;
    assert_eq!(rr.metadata.schema_version, Some(1));
    assert_eq!(rr.results.len(), 5);
    let latest = latest_test_results(std::slice::from_ref(&rr));
    assert_eq!(latest.len(), 4);
    let get = |id: &str| &latest[id].outcome;

    // v1: the failing-row count was the message.
    let fail = get("test.shop.not_null_fct_orders_order_id.5a1b2c3d4e");
    assert_eq!(
        (fail.status, fail.failures),
        (TestCaseStatus::Failed, Some(3))
    );
    assert_eq!(fail.result.as_deref(), Some("3"));
    let warn =
        get("test.shop.relationships_fct_orders_order_id__order_id__ref_stg_orders_.6b7c8d9e0f");
    assert_eq!(warn.status, TestCaseStatus::Failed);
    assert_eq!(
        warn.result.as_deref(),
        Some("dbt warning (test severity: warn): 2")
    );
    let error = get("test.shop.source_unique_billing_payments_id.7c8d9e0f1a");
    assert_eq!(error.status, TestCaseStatus::Aborted);
    assert_eq!(
        error.result.as_deref(),
        Some("dbt error: Database Error: column \"id\" does not exist")
    );
    let skipped = get("test.shop.unique_stg_payments_payment_id.8d9e0f1a2b");
    assert_eq!(skipped.status, TestCaseStatus::Aborted);
    assert!(
        skipped
            .result
            .as_deref()
            .unwrap()
            .starts_with("skipped by dbt")
    );

    // No execute time: the file's generated_at.
    assert_eq!(
        latest["test.shop.unique_stg_payments_payment_id.8d9e0f1a2b"].timestamp_millis,
        parse_timestamp_millis("2021-05-04T10:20:00Z")
    );
    assert_eq!(
        latest["test.shop.not_null_fct_orders_order_id.5a1b2c3d4e"].timestamp_millis,
        parse_timestamp_millis("2021-05-04T10:19:03.5Z")
    );

    let fresh = SourceFreshness::from_path(data("sources_v1.json"))
        .unwrap()
        .artifact;
    assert_eq!(fresh.metadata.schema_version, Some(1));
    assert_eq!(fresh.results.len(), 2);
    assert_eq!(fresh.results[0].outcome().status, TestCaseStatus::Success);
    let broken = &fresh.results[1];
    assert_eq!(broken.status, RunStatus::RuntimeError);
    let outcome = broken.outcome();
    assert_eq!(outcome.status, TestCaseStatus::Aborted);
    assert_eq!(
        outcome.result.as_deref(),
        Some("dbt runtime error: Database Error: table refunds not found")
    );
}

#[test]
fn v12_meta_config_constraints_exposures_unit_tests() {
    let m = manifest("manifest_v12.json");
    assert_eq!(m.metadata.schema_version, Some(12));
    assert_eq!(m.metadata.project_name.as_deref(), Some("fleet"));
    assert_eq!(m.nodes().len(), 4);

    let trips = m.get("model.fleet.trips").unwrap();
    assert_eq!(trips.tags, ["core", "hourly"]);
    // meta only under config (dbt ≥1.10 style) still reaches the node.
    let om = trips.openmetadata();
    assert_eq!(om.owners, ["mobility"]);
    assert_eq!(om.tier, Some("Tier.Tier1"));
    assert_eq!(om.glossary_terms, ["Fleet.Trip"]);
    assert_eq!(om.tags, ["PII.None"]);
    assert_eq!(om.domain, Some("Mobility"));
    assert_eq!(om.custom_properties.unwrap()["sla"], "24h");
    assert_eq!(trips.config.materialized.as_deref(), Some("incremental"));
    assert_eq!(trips.primary_key, ["trip_id"]);
    assert_eq!(trips.constraints[0].kind, "primary_key");
    assert_eq!(trips.constraints[0].columns, ["trip_id"]);
    let email = trips.column("rider_email").unwrap();
    assert_eq!(email.tags, ["pii"]);
    assert_eq!(email.meta["masking"], "hash");
    let distance = trips.column("distance_km").unwrap();
    assert_eq!(distance.data_type.as_deref(), Some("decimal(9,3)"));
    assert_eq!(
        distance.constraints[0].expression.as_deref(),
        Some("distance_km >= 0")
    );
    // `{{ this }}` is not a dependency: no self-loop.
    assert_eq!(ids(&m.upstream(trips).nodes), ["model.fleet.stg_trips"]);
    assert_eq!(
        trips.compiled_code.as_deref().map(|c| c.lines().count()),
        Some(2)
    );

    let stg = m.get("model.fleet.stg_trips").unwrap();
    assert_eq!(stg.openmetadata().owners, ["ingest"]);
    assert_eq!(stg.meta["contains_pii"], true);
    assert_eq!(stg.compiled_code, None);

    let source = m.get("source.fleet.telematics.trips").unwrap();
    assert_eq!(source.relation().identifier, "trip_events");
    assert_eq!(source.tags, ["raw"]);
    assert_eq!(source.openmetadata().owners, ["ingest", "mobility"]);
    assert_eq!(
        source.source.as_ref().unwrap().loader.as_deref(),
        Some("firehose")
    );
    assert_eq!(
        source
            .source
            .as_ref()
            .unwrap()
            .freshness
            .as_ref()
            .unwrap()
            .filter
            .as_deref(),
        Some("received_at > current_date - 7")
    );

    // Versioned ref in the test, attached_node set.
    let test = m
        .get("test.fleet.not_null_trips_v2_trip_id.1a2b3c4d5e")
        .unwrap();
    assert_eq!(test.refs[0].version.as_deref(), Some("2"));
    let target = m.tested_node(test).unwrap();
    assert_eq!(
        (target.node.unique_id.as_str(), target.column),
        ("model.fleet.trips", Some("trip_id"))
    );
    // An expression as column_name: table level.
    let expr = m
        .get("test.fleet.dbt_utils_expression_is_true_trips_distance_km_0.2b3c4d5e6f")
        .unwrap();
    assert_eq!(m.tested_node(expr).unwrap().column, None);
    assert_eq!(
        expr.test.as_ref().unwrap().namespace.as_deref(),
        Some("dbt_utils")
    );
    assert_eq!(expr.config.severity.as_deref(), Some("WARN"));

    let board = m.exposure("exposure.fleet.ops_board").unwrap();
    assert_eq!(board.open_metadata_fqn(), Some("superset_prod.12"));
    assert_eq!(
        board.owner_emails,
        ["ops@fleet.example", "lead@fleet.example"]
    );
    assert_eq!(board.tags, ["board"]);
    let eta = m.exposure("exposure.fleet.eta_model").unwrap();
    assert_eq!(eta.open_metadata_fqn(), None);
    assert_eq!(eta.owner_emails, ["ml@fleet.example"]);

    assert_eq!(m.unit_tests().len(), 1);
    let unit = &m.unit_tests()[0];
    assert_eq!(
        (unit.name.as_str(), unit.model.as_str()),
        ("keeps_finished_trips", "trips")
    );
    assert_eq!(unit.tags, ["unit"]);
}

#[test]
fn v20_fusion_layout() {
    let m = manifest("manifest_v20.json");
    assert_eq!(m.metadata.schema_version, Some(20));
    let drivers = m.get("model.fleet.drivers").unwrap();
    // config.tags as one string; meta only under config.
    assert_eq!(drivers.tags, ["nightly"]);
    assert_eq!(drivers.openmetadata().owners, ["ana"]);
    assert_eq!(drivers.openmetadata().tier, Some("Tier.Tier2"));
    let id = drivers.column("driver_id").unwrap();
    assert_eq!(id.tags, ["id"]);
    assert_eq!(id.meta["key"], true);
    assert!(drivers.column("licence_no").unwrap().tags.is_empty());
    let test = m
        .get("test.fleet.unique_drivers_driver_id.9f8e7d6c5b")
        .unwrap();
    assert!(test.tags.is_empty());
    assert_eq!(test.test.as_ref().unwrap().namespace, None);
    assert_eq!(
        m.tested_node(test).unwrap().node.unique_id,
        "model.fleet.drivers"
    );
}

#[test]
fn fusion_capitalised_statuses() {
    let text = r#"{
      "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
      "results": [
        {"unique_id": "test.p.a", "status": "Pass", "timing": [{"name": "execute"}]},
        {"unique_id": "test.p.b", "status": "Warn", "failures": 2.0, "message": null},
        {"unique_id": "test.p.c", "status": "RuntimeError", "message": "boom"}
      ]
    }"#;
    let rr = RunResults::from_slice(text.as_bytes(), "rr.json")
        .unwrap()
        .artifact;
    let statuses: Vec<RunStatus> = rr.results.iter().map(|r| r.status.clone()).collect();
    assert_eq!(
        statuses,
        [RunStatus::Pass, RunStatus::Warn, RunStatus::RuntimeError]
    );
    let warn = rr.results[1].test_outcome().unwrap();
    assert_eq!(
        warn.result.as_deref(),
        Some("dbt warning (test severity: warn): 2 failing rows")
    );
}

#[test]
fn compile_only_entries_do_not_hide_results() {
    let run = |generated: &str, status: &str, message: &str, at: &str| {
        let text = format!(
            r#"{{"metadata": {{"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v5.json", "generated_at": "{generated}"}},
               "results": [{{"unique_id": "test.p.t", "status": "{status}", "message": {message},
                            "timing": [{{"name": "execute", "completed_at": "{at}"}}]}}]}}"#
        );
        RunResults::from_slice(text.as_bytes(), "rr.json")
            .unwrap()
            .artifact
    };
    let files = [
        run(
            "2024-01-02T00:00:00Z",
            "fail",
            "\"1 row\"",
            "2024-01-02T00:00:00Z",
        ),
        // A later `dbt compile`: no message, nothing ran.
        run(
            "2024-01-03T00:00:00Z",
            "success",
            "null",
            "2024-01-03T00:00:00Z",
        ),
        // An older `dbt test` listed later.
        run(
            "2024-01-01T00:00:00Z",
            "pass",
            "null",
            "2024-01-01T00:00:00Z",
        ),
    ];
    let latest = latest_test_results(&files);
    assert_eq!(latest["test.p.t"].outcome.status, TestCaseStatus::Failed);
    assert_eq!(
        latest["test.p.t"].timestamp_millis,
        parse_timestamp_millis("2024-01-02T00:00:00Z")
    );
}

/// The smallest document of each kind with `version` as its schema version.
fn minimal(kind: ArtifactKind, version: &str) -> String {
    let body = match kind {
        ArtifactKind::Manifest => r#""nodes": {}, "sources": {}, "exposures": {}"#,
        ArtifactKind::Catalog => r#""nodes": {}, "sources": {}, "errors": null"#,
        ArtifactKind::RunResults | ArtifactKind::Sources => r#""results": [], "elapsed_time": 0"#,
    };
    format!(r#"{{"metadata": {{"dbt_schema_version": "{version}"}}, {body}}}"#)
}

/// Parses `text` as `kind`; the schema version read and the warnings.
fn parse(kind: ArtifactKind, text: &str) -> (Option<u32>, Vec<Warning>) {
    let b = text.as_bytes();
    match kind {
        ArtifactKind::Manifest => {
            let p = Manifest::from_slice(b, "x.json").unwrap();
            (p.artifact.metadata.schema_version, p.warnings)
        }
        ArtifactKind::Catalog => {
            let p = Catalog::from_slice(b, "x.json").unwrap();
            (p.artifact.metadata.schema_version, p.warnings)
        }
        ArtifactKind::RunResults => {
            let p = RunResults::from_slice(b, "x.json").unwrap();
            (p.artifact.metadata.schema_version, p.warnings)
        }
        ArtifactKind::Sources => {
            let p = SourceFreshness::from_slice(b, "x.json").unwrap();
            (p.artifact.metadata.schema_version, p.warnings)
        }
    }
}

const KINDS: [ArtifactKind; 4] = [
    ArtifactKind::Manifest,
    ArtifactKind::Catalog,
    ArtifactKind::RunResults,
    ArtifactKind::Sources,
];

#[test]
fn every_known_schema_version_is_accepted() {
    let mut accepted = Vec::new();
    for kind in KINDS {
        for &v in kind.known_versions() {
            let url = schema_version_url(kind, v);
            let (read, warnings) = parse(kind, &minimal(kind, &url));
            assert_eq!(read, Some(v), "{url}");
            assert!(warnings.is_empty(), "{url}: {warnings:?}");
            accepted.push(url);
        }
    }
    // 13 manifest + 1 catalog + 6 run-results + 3 sources.
    assert_eq!(accepted.len(), 23);
    assert!(accepted.contains(&"https://schemas.getdbt.com/dbt/manifest/v20.json".to_string()));
    assert!(accepted.contains(&"https://schemas.getdbt.com/dbt/run-results/v6.json".to_string()));
}

#[test]
fn a_newer_version_is_read_with_a_warning() {
    // A v13 manifest that moved nothing we read: all of it comes through.
    let text = std::fs::read_to_string(data("manifest_v12.json"))
        .unwrap()
        .replace("manifest/v12.json", "manifest/v13.json");
    let parsed = Manifest::from_slice(text.as_bytes(), "target/manifest.json").unwrap();
    assert_eq!(parsed.artifact.metadata.schema_version, Some(13));
    assert_eq!(parsed.artifact.nodes().len(), 4);
    let [warning] = parsed.warnings.as_slice() else {
        panic!("one warning expected: {:?}", parsed.warnings)
    };
    assert!(matches!(
        warning,
        Warning::UnknownSchemaVersion {
            found: 13,
            read_as: 20,
            ..
        }
    ));
    assert_eq!(
        warning.to_string(),
        "target/manifest.json: dbt manifest schema v13 is not a known version \
         (v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v20); it was read with the \
         v20 layout, so fields that changed may be missing"
    );
    for kind in [
        ArtifactKind::Catalog,
        ArtifactKind::RunResults,
        ArtifactKind::Sources,
    ] {
        let v = kind.newest_version() + 1;
        let (read, warnings) = parse(kind, &minimal(kind, &schema_version_url(kind, v)));
        assert_eq!(read, Some(v));
        assert_eq!(warnings.len(), 1, "{kind}");
    }
}

#[test]
fn other_resource_types_are_kept() {
    let text = r#"{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
      "nodes": {"operation.p.p-on-run-end-0": {"name": "p-on-run-end-0", "schema": "s",
                 "resource_type": "operation"},
                "function.p.f": {"name": "f", "schema": "s", "resource_type": "function"}}}"#;
    let m = Manifest::from_slice(text.as_bytes(), "m.json")
        .unwrap()
        .artifact;
    assert_eq!(
        m.get("operation.p.p-on-run-end-0").unwrap().resource_type,
        ResourceType::Operation
    );
    let f = m.get("function.p.f").unwrap();
    assert_eq!(f.resource_type, ResourceType::Other("function".into()));
    assert!(!f.has_relation());
}

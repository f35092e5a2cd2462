//! The `metadata-rest` sink against the OpenMetadata emulator: requests, ordering,
//! faults, bulk fallback, services, lineage and statuses.

mod common;

use std::time::Duration;

use common::*;
use om_client::MetadataRestSink;
use om_mock::{BulkSupport, MockSettings, OmMock, Redactions};
use omctl_record::sink::Sink;
use omctl_record::{EntityKind, EntityRef, Record};
use serde_json::{Value, json};

#[tokio::test]
async fn requests_for_a_glue_stream() {
    let mock = OmMock::start().await;
    // One write at a time, so that the order of the requests is fixed.
    let summary = run(mock.url(), json!({"concurrency": 1}), glue_stream()).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.warnings, 0, "{:?}", summary.warning_messages);
    // 2 services, 1 database, 2 schemas, 4 tables, 1 pipeline, 1 status, 1 lineage.
    assert_eq!(summary.records, 12);
    assert_eq!(summary.updated_records, 0);
    let redact = Redactions::keys(&["updatedAt"]);
    insta::assert_json_snapshot!("glue_stream_requests", mock.requests_snapshot(&redact));
    insta::assert_json_snapshot!("glue_stream_state", mock.snapshot());
}

#[tokio::test]
async fn rerun_updates_without_version_bumps() {
    let mock = OmMock::start().await;
    run(mock.url(), json!({}), glue_stream()).await;
    let before = mock.snapshot();
    let again = run(mock.url(), json!({}), glue_stream()).await;
    assert_eq!(again.errors, 0, "{:?}", again.failures);
    // Services are found and not written; the 8 other entities are written
    // unchanged, the status and the lineage edge written again: 10 records,
    // nothing updated.
    assert_eq!(again.records, 8 + 2);
    assert_eq!(again.updated_records, 0);
    assert_eq!(
        mock.snapshot(),
        before,
        "an unchanged catalog changes nothing on the server"
    );
}

#[tokio::test]
async fn a_changed_entity_counts_as_updated() {
    let mock = OmMock::start().await;
    let single = json!({"bulk": false});
    run(mock.url(), single.clone(), glue_stream()).await;
    let mut stream = glue_stream();
    let mut changed = 0;
    for r in &mut stream {
        if let Record::Entity {
            kind: EntityKind::Table,
            request,
            ..
        } = r
            && changed == 0
        {
            request["description"] = json!("now described");
            changed += 1;
        }
    }
    let again = run(mock.url(), single, stream).await;
    assert_eq!(again.errors, 0, "{:?}", again.failures);
    assert_eq!(again.records, 8 + 2);
    assert_eq!(again.updated_records, 1);
}

#[tokio::test]
async fn every_fifth_write_failing_loses_nothing() {
    let clean = OmMock::start().await;
    let stream = || {
        let mut s = catalog(3, 40);
        s.extend(glue_stream());
        s
    };
    let reference = run(clean.url(), json!({}), stream()).await;
    assert_eq!(reference.errors, 0, "{:?}", reference.failures);

    let faulty = OmMock::start_with(MockSettings {
        fail_every_nth_write: Some(5),
        ..MockSettings::default()
    })
    .await;
    let summary = run(faulty.url(), json!({"bulkSize": 7}), stream()).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert!(
        faulty.requests().iter().any(|r| r.status == 503),
        "faults were injected"
    );
    assert_eq!(faulty.snapshot(), clean.snapshot());
}

#[tokio::test]
async fn throttling_is_retried_after_retry_after() {
    let mock = OmMock::start_with(MockSettings {
        throttle_every_nth_write: Some((6, 1)),
        ..MockSettings::default()
    })
    .await;
    let summary = run(mock.url(), json!({}), glue_stream()).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let log = mock.requests();
    let throttled: Vec<_> = log.iter().filter(|r| r.status == 429).collect();
    assert!(!throttled.is_empty());
    for t in throttled {
        let retry = log
            .iter()
            .find(|r| r.at > t.at && r.method == t.method && r.path == t.path && r.body == t.body)
            .expect("the throttled request is sent again");
        assert!(
            retry.at - t.at >= Duration::from_secs(1),
            "{} {} was retried after {:?}, before its Retry-After of 1 s",
            t.method,
            t.path,
            retry.at - t.at
        );
    }
    let clean = OmMock::start().await;
    run(clean.url(), json!({}), glue_stream()).await;
    assert_eq!(mock.snapshot(), clean.snapshot());
}

async fn one_rejected_table(sink_config: Value) {
    let mut settings = MockSettings::default();
    settings.reject_names.insert(
        "customers".to_string(),
        "Invalid column type decimal(10,2x)".to_string(),
    );
    let mock = OmMock::start_with(settings).await;
    let summary = run(mock.url(), sink_config, glue_stream()).await;
    assert_eq!(summary.errors, 1, "{:?}", summary.failures);
    let failure = &summary.failures[0];
    assert_eq!(failure.name, "glue_prod.default.sales.customers");
    assert!(
        failure.error.contains("Invalid column type decimal(10,2x)"),
        "{}",
        failure.error
    );
    assert!(failure.error.contains("400"), "{}", failure.error);
    let tables = fqns(&mock, "tables");
    assert_eq!(
        tables,
        [
            "glue_prod.default.mart.orders_agg",
            "glue_prod.default.sales.\"orders.v2\"",
            "glue_prod.default.sales.orders"
        ]
    );
    // The failed table was seen: mark-deleted leaves it alone, and the rest of the
    // run (pipeline, status, lineage) landed.
    assert_eq!(summary.deleted, 0);
    assert_eq!(mock.pipeline_statuses("glue_jobs.etl_orders").len(), 1);
    assert_eq!(mock.snapshot()["lineage"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_table_is_one_failure_in_single_writes() {
    one_rejected_table(json!({"bulk": false})).await;
}

#[tokio::test]
async fn a_refused_table_is_one_failure_inside_a_bulk_write() {
    one_rejected_table(json!({"bulk": true})).await;
}

#[tokio::test]
async fn children_of_a_failed_parent_fail_fast_naming_it() {
    let mut settings = MockSettings::default();
    settings
        .reject_names
        .insert("sales".to_string(), "schema refused".to_string());
    let mock = OmMock::start_with(settings).await;
    let summary = run(mock.url(), json!({"bulk": false}), glue_stream()).await;
    // The schema, its three tables; the lineage from one of them is a warning.
    assert_eq!(summary.errors, 4, "{:?}", summary.failures);
    for f in summary
        .failures
        .iter()
        .filter(|f| f.name.contains(".sales."))
    {
        assert!(
            f.error
                .contains("its parent glue_prod.default.sales could not be written"),
            "{}",
            f.error
        );
    }
    assert!(
        !mock.requests().iter().any(|r| r.path.ends_with("/tables")
            && r.body.as_ref().unwrap()["databaseSchema"] == json!("glue_prod.default.sales")),
        "no table of the failed schema was sent"
    );
    assert_eq!(summary.warnings, 1);
    assert!(
        summary.warning_messages[0]
            .error
            .contains("glue_prod.default.sales.\"orders.v2\""),
        "{:?}",
        summary.warning_messages
    );
    // Mark-deleted did not run for the schema the run could not write.
    assert_eq!(summary.deleted, 0);
}

#[tokio::test]
async fn bulk_404_falls_back_to_single_writes() {
    let mock = OmMock::start_with(MockSettings {
        bulk: BulkSupport::NotFound,
        ..MockSettings::default()
    })
    .await;
    let summary = run(
        mock.url(),
        json!({"concurrency": 1, "bulkSize": 5}),
        catalog(2, 12),
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.records, 1 + 1 + 2 + 24);
    let bulk_calls: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/bulk"))
        .collect();
    // One probe for tables (schemas never come in runs of siblings here), then
    // single writes only.
    assert_eq!(bulk_calls.len(), 1, "{bulk_calls:?}");
    assert!(bulk_calls.iter().all(|r| r.status == 404));
    assert_eq!(fqns(&mock, "tables").len(), 24);

    let refusing = OmMock::start_with(MockSettings {
        bulk: BulkSupport::MethodNotAllowed,
        ..MockSettings::default()
    })
    .await;
    let summary = run(refusing.url(), json!({"bulkSize": 5}), catalog(2, 12)).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let clean = OmMock::start().await;
    run(clean.url(), json!({}), catalog(2, 12)).await;
    assert_eq!(refusing.snapshot(), clean.snapshot());
}

#[tokio::test]
async fn bulk_writes_batch_siblings() {
    let mock = OmMock::start().await;
    let summary = run(mock.url(), json!({"bulkSize": 10}), catalog(2, 25)).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let table_bulks = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/tables/bulk"))
        .count();
    // 25 tables per schema in batches of 10: 3 calls per schema.
    assert_eq!(table_bulks, 6);
    assert_eq!(fqns(&mock, "tables").len(), 50);
    let again = run(mock.url(), json!({"bulkSize": 10}), catalog(2, 25)).await;
    // The service is found (not written); the database, schemas and tables are
    // written again: records, and unchanged, so not updates.
    assert_eq!(again.records, 1 + 2 + 50);
    assert_eq!(again.updated_records, 0);
}

#[tokio::test]
async fn an_existing_service_keeps_its_connection() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/databaseServices",
        json!({"name": SERVICE, "serviceType": "Glue", "connection": {"config": {"type": "Glue", "awsConfig": {"awsRegion": "eu-west-1"}}}}),
    )
    .unwrap();
    let summary = run(mock.url(), json!({}), glue_stream()).await;
    assert_eq!(summary.errors, 0);
    let svc = mock.entity("services/databaseServices", SERVICE).unwrap();
    assert_eq!(
        svc["connection"]["config"]["awsConfig"]["awsRegion"],
        json!("eu-west-1")
    );
    assert_eq!(svc["version"], json!(0.1));
    assert!(
        !mock
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path == "/api/v1/services/databaseServices"),
        "the existing service was not written"
    );
}

#[tokio::test]
async fn a_new_service_gets_the_workflow_connection_unless_told_not_to() {
    let mock = OmMock::start().await;
    run(mock.url(), json!({}), glue_stream()).await;
    let svc = mock.entity("services/databaseServices", SERVICE).unwrap();
    assert_eq!(
        svc["connection"]["config"]["awsConfig"]["awsAccessKeyId"],
        json!("AKIATEST")
    );
    // Only the workflow's own service gets the workflow's connection.
    let pipeline_svc = mock
        .entity("services/pipelineServices", PIPELINE_SERVICE)
        .unwrap();
    assert!(pipeline_svc.get("connection").is_none());

    let mock = OmMock::start().await;
    let server = om_client::ServerConfig::from_json(&json!({
        "hostPort": mock.url(),
        "storeServiceConnection": false,
    }))
    .unwrap();
    let mut sink = MetadataRestSink::connect(server, options(json!({})))
        .await
        .unwrap();
    for r in glue_stream() {
        sink.write(r).await.unwrap();
    }
    sink.close().await.unwrap();
    let svc = mock.entity("services/databaseServices", SERVICE).unwrap();
    assert!(svc.get("connection").is_none(), "{svc}");
}

#[tokio::test]
async fn lineage_to_a_missing_end_is_a_warning_naming_it() {
    let mock = OmMock::start().await;
    let mut stream = glue_stream();
    stream.push(Record::Lineage {
        from: EntityRef::new(EntityKind::Table, "glue_prod.default.sales.orders"),
        to: EntityRef::new(EntityKind::Table, "glue_prod.default.mart.nowhere"),
        details: None,
    });
    let summary = run(mock.url(), json!({}), stream).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.warnings, 1);
    let w = &summary.warning_messages[0];
    assert!(
        w.error
            .contains("table glue_prod.default.mart.nowhere is not on the server"),
        "{}",
        w.error
    );
    assert_eq!(mock.snapshot()["lineage"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn external_tables_link_to_the_container_at_their_location() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/storageServices",
        json!({"name": "lake", "serviceType": "S3"}),
    )
    .unwrap();
    mock.seed(
        "containers",
        json!({"name": "orders", "service": "lake", "fullPath": "s3://bucket/orders/",
            "dataModel": {"isPartitioned": false, "columns": [
                {"name": "ID", "dataType": "BIGINT"},
                {"name": "c2", "displayName": "Amount", "dataType": "DECIMAL"},
                {"name": "other", "dataType": "STRING"}]}}),
    )
    .unwrap();
    let orders = "glue_prod.default.sales.orders";
    let mut stream = glue_stream();
    for (location, table) in [
        ("s3://bucket/orders", orders),
        ("s3://bucket/nothing/here", orders),
    ] {
        stream.push(Record::Lineage {
            from: EntityRef::new(EntityKind::Container, location),
            to: EntityRef::new(EntityKind::Table, table),
            details: Some(json!({"source": "ExternalTableLineage"})),
        });
    }
    let summary = run(mock.url(), json!({}), stream).await;
    // The location without a container is skipped quietly.
    assert_clean(&summary);
    let searches: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/search/query"))
        .map(|r| r.path)
        .collect();
    // Canonical path, then with a trailing `/` (found); the other location tries
    // both and gives up.
    assert_eq!(searches.len(), 4, "{searches:?}");
    let edge = mock.snapshot()["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"]["type"] == "container")
        .cloned()
        .expect("a container edge");
    assert_eq!(edge["from"]["fqn"], "lake.orders");
    assert_eq!(edge["to"]["fqn"], orders);
    assert_eq!(edge["details"]["source"], "ExternalTableLineage");
    assert_eq!(
        edge["details"]["columnsLineage"],
        json!([
            {"fromColumns": ["lake.orders.ID"], "toColumn": format!("{orders}.id")},
            {"fromColumns": ["lake.orders.c2"], "toColumn": format!("{orders}.amount")},
        ])
    );
}

#[tokio::test]
async fn lineage_waits_for_ends_written_in_the_same_run() {
    // High latency and a wide window: without waiting, the edge would be sent
    // before its ends exist and the server would refuse it.
    let mock = OmMock::start_with(MockSettings {
        latency: Duration::from_millis(30),
        ..MockSettings::default()
    })
    .await;
    let summary = run(mock.url(), json!({"concurrency": 32}), glue_stream()).await;
    assert_clean(&summary);
    let lineage = &mock.snapshot()["lineage"];
    assert_eq!(
        lineage[0]["details"]["pipeline"]["fqn"],
        json!("glue_jobs.etl_orders"),
        "{lineage}"
    );
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let mock = OmMock::start().await;
    let mut opts = options(json!({}));
    opts.dry_run = true;
    let summary = run_with(mock.url(), opts, glue_stream()).await.unwrap();
    assert_eq!(summary.errors, 0);
    assert_eq!(summary.records, 12);
    assert!(
        mock.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        mock.requests()
    );
    assert!(mock.entities("tables").is_empty());
}

#[tokio::test]
async fn force_entity_overwriting_rewrites_an_existing_service() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/databaseServices",
        json!({"name": SERVICE, "serviceType": "Glue", "connection": {"config": {"type": "Glue", "awsConfig": {"awsRegion": "eu-west-1"}}}}),
    )
    .unwrap();
    let server = om_client::ServerConfig::from_json(&json!({
        "hostPort": mock.url(),
        "forceEntityOverwriting": true,
    }))
    .unwrap();
    let mut sink = MetadataRestSink::connect(server, options(json!({})))
        .await
        .unwrap();
    for r in glue_stream() {
        sink.write(r).await.unwrap();
    }
    let summary = sink.close().await.unwrap();
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let svc = mock.entity("services/databaseServices", SERVICE).unwrap();
    assert_eq!(
        svc["connection"]["config"]["awsConfig"]["awsRegion"],
        json!("us-east-1")
    );
}

#[tokio::test]
async fn a_repeated_entity_is_written_in_order() {
    let mock = OmMock::start_with(MockSettings {
        latency: Duration::from_millis(20),
        ..MockSettings::default()
    })
    .await;
    let sales = "glue_prod.default.sales";
    let described = |d: &str| {
        let mut r = table(sales, "orders");
        if let Record::Entity { request, .. } = &mut r {
            request["description"] = json!(d);
        }
        r
    };
    let mut stream = glue_stream()[..4].to_vec();
    stream.extend([described("first"), described("second"), described("third")]);
    let summary = run(mock.url(), json!({"bulk": false}), stream).await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let t = mock
        .entity("tables", "glue_prod.default.sales.orders")
        .unwrap();
    assert_eq!(t["description"], json!("third"));
    assert_eq!(t["version"], json!(0.3));
}

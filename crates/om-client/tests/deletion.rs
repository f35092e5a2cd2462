//! Mark-deleted: only what is safe to delete is deleted.

mod common;

use common::*;
use om_client::{Deletion, MetadataRestSink};
use om_mock::{MockSettings, OmMock};
use omctl_record::sink::Sink;
use omctl_record::{EntityKind, Record};
use serde_json::json;

const DB: &str = "glue_prod.default";
const SALES: &str = "glue_prod.default.sales";

/// A server that already has the service, database, schema `sales` and these tables.
async fn server_with_tables(names: &[&str], settings: MockSettings) -> OmMock {
    let mock = OmMock::start_with(settings).await;
    mock.seed(
        "services/databaseServices",
        json!({"name": SERVICE, "serviceType": "Glue"}),
    )
    .unwrap();
    mock.seed("databases", json!({"name": "default", "service": SERVICE}))
        .unwrap();
    mock.seed("databaseSchemas", json!({"name": "sales", "database": DB}))
        .unwrap();
    for n in names {
        mock.seed(
            "tables",
            json!({"name": n, "databaseSchema": SALES, "columns": []}),
        )
        .unwrap();
    }
    mock
}

fn stream_seeing(tables: &[&str], complete: bool) -> Vec<Record> {
    let mut s = vec![
        service(SERVICE),
        database(SERVICE, "default"),
        schema(DB, "sales"),
    ];
    s.extend(tables.iter().map(|t| table(SALES, t)));
    if complete {
        s.push(tables_complete(SALES));
    }
    s
}

fn t(name: &str) -> String {
    format!("{SALES}.{name}")
}

#[tokio::test]
async fn unseen_tables_of_a_complete_scope_are_soft_deleted() {
    let mock = server_with_tables(&["a", "b", "c", "gone"], MockSettings::default()).await;
    let summary = run(
        mock.url(),
        json!({}),
        stream_seeing(&["a", "b", "c", "new"], true),
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.deleted, 1);
    assert_eq!(deleted_fqns(&mock, "tables"), [t("gone")]);
    assert_eq!(fqns(&mock, "tables"), [t("a"), t("b"), t("c"), t("new")]);
    let delete = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("a DELETE was sent");
    assert!(
        delete.path.contains("hardDelete=false") && delete.path.contains("recursive=true"),
        "{}",
        delete.path
    );
}

#[tokio::test]
async fn a_scope_without_scope_complete_deletes_nothing() {
    let mock = server_with_tables(&["a", "b", "c", "gone"], MockSettings::default()).await;
    let summary = run(mock.url(), json!({}), stream_seeing(&["a"], false)).await;
    assert_eq!(summary.deleted, 0);
    assert!(deleted_fqns(&mock, "tables").is_empty());
    assert!(mock.requests().iter().all(|r| r.method != "DELETE"));
}

#[tokio::test]
async fn deleting_more_than_the_threshold_deletes_nothing_and_fails() {
    let names: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    let mock = server_with_tables(&all, MockSettings::default()).await;
    let summary = run(mock.url(), json!({}), stream_seeing(&all[..3], true)).await;
    assert_eq!(summary.deleted, 0);
    assert!(deleted_fqns(&mock, "tables").is_empty());
    assert_eq!(summary.errors, 1, "{:?}", summary.failures);
    let f = &summary.failures[0];
    assert!(
        f.error.contains("7 of 10 (70%)") && f.error.contains("markDeletedMaxPercent"),
        "{}",
        f.error
    );
    assert!(f.name.contains(SALES), "{}", f.name);
    // A safety stop, which fails the run whatever the success share.
    assert_eq!(summary.safety_stops, 1);

    // The same run with the threshold raised deletes them.
    let summary = run(
        mock.url(),
        json!({"markDeletedMaxPercent": 80}),
        stream_seeing(&all[..3], true),
    )
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.deleted, 7);
    assert_eq!(summary.safety_stops, 0);
}

#[tokio::test]
async fn an_emptied_scope_is_refused_even_when_small() {
    let mock = server_with_tables(&["only"], MockSettings::default()).await;
    let summary = run(mock.url(), json!({}), stream_seeing(&[], true)).await;
    assert_eq!(summary.deleted, 0);
    assert_eq!(summary.errors, 1);
    assert!(deleted_fqns(&mock, "tables").is_empty());
}

#[tokio::test]
async fn filtered_and_failed_tables_are_not_deleted() {
    let mock = server_with_tables(
        &["a", "b", "filtered", "broken", "gone"],
        MockSettings::default(),
    )
    .await;
    let mut stream = stream_seeing(&["a", "b"], false);
    stream.push(filtered_table(SALES, "filtered"));
    stream.push(Record::Event(omctl_record::Event::failure(
        Some(EntityKind::Table),
        t("broken"),
        "unsupported column type",
    )));
    stream.push(tables_complete(SALES));
    let summary = run(mock.url(), json!({}), stream).await;
    assert_eq!(summary.deleted, 1);
    assert_eq!(deleted_fqns(&mock, "tables"), [t("gone")]);
}

#[tokio::test]
async fn names_differing_in_case_are_kept() {
    let mock = server_with_tables(&["Orders", "gone", "x", "y"], MockSettings::default()).await;
    let mut stream = stream_seeing(&["x", "y"], false);
    // The source reports the table with another case (as some catalogs do).
    stream.push(filtered_table(SALES, "orders"));
    stream.push(tables_complete(SALES));
    let summary = run(mock.url(), json!({}), stream).await;
    assert_eq!(deleted_fqns(&mock, "tables"), [t("gone")]);
    assert_eq!(summary.deleted, 1);
}

#[tokio::test]
async fn a_rerun_after_a_clean_run_deletes_nothing() {
    let mock = OmMock::start().await;
    let first = run(mock.url(), json!({}), glue_stream()).await;
    assert_eq!(first.deleted, 0);
    let second = run(mock.url(), json!({}), glue_stream()).await;
    assert_eq!(second.deleted, 0);
    assert_eq!(second.errors, 0, "{:?}", second.failures);
    assert!(deleted_fqns(&mock, "tables").is_empty());
    assert!(mock.requests().iter().all(|r| r.method != "DELETE"));
}

#[tokio::test]
async fn a_failed_listing_deletes_nothing_and_is_reported() {
    let mock = server_with_tables(
        &["a", "gone"],
        MockSettings {
            fail_lists_containing: vec!["databaseSchema=glue_prod.default.sales".to_string()],
            ..MockSettings::default()
        },
    )
    .await;
    let summary = run(mock.url(), json!({}), stream_seeing(&["a"], true)).await;
    assert_eq!(summary.deleted, 0);
    assert!(deleted_fqns(&mock, "tables").is_empty());
    assert_eq!(summary.errors, 1);
    assert!(
        summary.failures[0]
            .error
            .contains("listing its tables on the server failed"),
        "{:?}",
        summary.failures
    );
}

#[tokio::test]
async fn listings_are_followed_across_pages() {
    let names: Vec<String> = (0..25).map(|i| format!("t{i:02}")).collect();
    let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
    let mock = server_with_tables(&all, MockSettings::default()).await;
    all.retain(|n| *n != "t24" && *n != "t03");
    let summary = run(
        mock.url(),
        json!({"listPageSize": 10}),
        stream_seeing(&all, true),
    )
    .await;
    assert_eq!(summary.deleted, 2);
    assert_eq!(deleted_fqns(&mock, "tables"), [t("t03"), t("t24")]);
    let pages = mock
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/tables?"))
        .count();
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn dry_run_lists_planned_deletions_without_deleting() {
    let mock = server_with_tables(&["a", "b", "c", "gone"], MockSettings::default()).await;
    let mut opts = options(json!({}));
    opts.dry_run = true;
    let mut sink = MetadataRestSink::connect(server_config(mock.url()), opts)
        .await
        .unwrap();
    let log = sink.deletion_log();
    for r in stream_seeing(&["a", "b", "c"], true) {
        sink.write(r).await.unwrap();
    }
    let summary = sink.close().await.unwrap();
    assert_eq!(summary.deleted, 1);
    assert_eq!(
        log.entries(),
        [Deletion {
            kind: EntityKind::Table,
            fqn: t("gone"),
            executed: false
        }]
    );
    assert!(deleted_fqns(&mock, "tables").is_empty());
    assert!(mock.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn mark_deleted_tables_false_deletes_nothing() {
    let mock = server_with_tables(&["a", "gone"], MockSettings::default()).await;
    let mut opts = options(json!({}));
    opts.source_config = json!({"type": "DatabaseMetadata", "markDeletedTables": false});
    let summary = run_with(mock.url(), opts, stream_seeing(&["a"], true))
        .await
        .unwrap();
    assert_eq!(summary.deleted, 0);
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.method != "DELETE" && !r.path.starts_with("/api/v1/tables?"))
    );
}

#[tokio::test]
async fn schemas_are_marked_deleted_when_asked_with_their_tables() {
    let mock = server_with_tables(&["a", "b"], MockSettings::default()).await;
    for s in ["s1", "s2", "s3", "s4"] {
        mock.seed("databaseSchemas", json!({"name": s, "database": DB}))
            .unwrap();
    }
    let mut opts = options(json!({}));
    opts.source_config =
        json!({"type": "DatabaseMetadata", "markDeletedSchemas": true, "markDeletedTables": false});
    let stream = vec![
        service(SERVICE),
        database(SERVICE, "default"),
        schema(DB, "s1"),
        schema(DB, "s2"),
        schema(DB, "s3"),
        schema(DB, "s4"),
        Record::ScopeComplete {
            kind: EntityKind::DatabaseSchema,
            parent: DB.to_string(),
        },
    ];
    let summary = run_with(mock.url(), opts, stream).await.unwrap();
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    assert_eq!(summary.deleted, 1);
    assert_eq!(deleted_fqns(&mock, "databaseSchemas"), [SALES]);
    // Recursive: its tables went with it.
    assert_eq!(deleted_fqns(&mock, "tables"), [t("a"), t("b")]);
}

//! `test-connection` steps and their messages (upstream's step names:
//! `GetDatabases`, `GetTables`).

mod common;

use common::*;
use connector_sdk::testkit;
use glue_database::GlueDatabaseConnector;
use glue_mock::{Catalog, Fault, GlueMock, Synthetic};
use serde_json::json;

fn steps(report: &connector_sdk::TestConnectionReport) -> Vec<(String, bool, String)> {
    report
        .steps
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.passed,
                s.message.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn happy_path_counts_databases_and_tables() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(&mock.url(), json!({}), json!({})),
    )
    .unwrap();
    assert!(report.passed());
    let s = steps(&report);
    assert_eq!(s[0].0, "GetDatabases");
    assert_eq!(s[0].2, "4 databases enumerated (glue:GetDatabases)");
    assert_eq!(s[1].0, "GetTables");
    assert_eq!(
        s[1].2,
        "6 tables in database 'analytics' (glue:GetTables (DatabaseName=analytics))"
    );
    assert!(report.steps.iter().all(|s| s.mandatory));
}

#[tokio::test]
async fn more_than_a_page_and_empty_catalogs() {
    let mock = GlueMock::start(Synthetic::new(101, 0)).await;
    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(&mock.url(), json!({}), json!({})),
    )
    .unwrap();
    let s = steps(&report);
    assert_eq!(
        s[0].2,
        "100 databases enumerated (glue:GetDatabases) (showing first 100; more exist)"
    );
    assert!(
        s[1].1
            && s[1]
                .2
                .starts_with("No tables visible in the first 10 databases"),
        "{s:?}"
    );
    assert!(s[1].2.contains("Lake Formation"));
    assert_eq!(mock.request_count("GetTables"), 10);

    let empty = GlueMock::start(Synthetic::new(0, 0)).await;
    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(&empty.url(), json!({}), json!({})),
    )
    .unwrap();
    let s = steps(&report);
    assert!(s[0].1, "an empty catalog is not a failure");
    assert!(
        s[0].2.starts_with("0 databases enumerated") && s[0].2.contains("No databases visible"),
        "{s:?}"
    );
}

#[tokio::test]
async fn failures_say_what_to_fix() {
    let mock = GlueMock::builder(Catalog::sample())
        .bad_access_key("AKIDBAD")
        .fault(Fault::access_denied("GetTables", "analytics"))
        .start()
        .await;
    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(
            &mock.url(),
            json!({"awsConfig": {"awsAccessKeyId": "AKIDBAD"}}),
            json!({}),
        ),
    )
    .unwrap();
    assert!(!report.passed());
    let s = steps(&report);
    assert!(!s[0].1 && s[0].2.contains("awsAccessKeyId"), "{s:?}");
    assert!(!s[1].1 && s[1].2.contains("GetDatabases failed"));
    assert!(
        report.steps[0]
            .error_log
            .as_deref()
            .unwrap()
            .contains("UnrecognizedClientException")
    );

    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(&mock.url(), json!({}), json!({})),
    )
    .unwrap();
    let s = steps(&report);
    assert!(s[0].1);
    assert!(
        !s[1].1 && s[1].2.contains("`glue:GetTables`") && s[1].2.contains("Lake Formation"),
        "{s:?}"
    );

    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = testkit::test_connection(
        GlueDatabaseConnector,
        source(&format!("http://127.0.0.1:{port}"), json!({}), json!({})),
    )
    .unwrap();
    let s = steps(&report);
    assert!(
        !s[0].1 && s[0].2.contains("could not reach") && s[0].2.contains(&port.to_string()),
        "{s:?}"
    );

    // A setting that cannot work is a configuration error, before any call.
    let err = testkit::test_connection(
        GlueDatabaseConnector,
        source(
            &mock.url(),
            json!({"awsConfig": {"awsRegion": "Ohio"}}),
            json!({}),
        ),
    )
    .unwrap_err();
    assert!(err.message.contains("awsRegion"), "{}", err.message);
}

//! The mock as the real AWS SDK sees it.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_glue::error::ProvideErrorMetadata;
use glue_mock::{Catalog, Fault, GlueMock, Synthetic};

async fn client(mock: &GlueMock, access_key: &str, attempts: u32) -> aws_sdk_glue::Client {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .region("us-east-1")
        .endpoint_url(mock.url())
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .load()
        .await;
    aws_sdk_glue::Client::new(&conf)
}

#[tokio::test]
async fn sample_catalog_lists_databases_and_tables() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let glue = client(&mock, "AKIDTEST", 1).await;
    let dbs = glue.get_databases().send().await.unwrap();
    let names: Vec<_> = dbs
        .database_list()
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    assert_eq!(names, ["analytics", "empty_db", "lake.raw", "sales"]);
    assert!(
        dbs.database_list()
            .iter()
            .all(|d| d.catalog_id() == Some("123456789012"))
    );

    let all = glue
        .get_databases()
        .resource_share_type(aws_sdk_glue::types::ResourceShareType::All)
        .send()
        .await
        .unwrap();
    let shared = all.database_list().last().unwrap();
    assert_eq!(
        (shared.name(), shared.catalog_id()),
        ("partner_share", Some("999988887777"))
    );

    let tables = glue
        .get_tables()
        .database_name("sales")
        .send()
        .await
        .unwrap();
    let orders = tables
        .table_list()
        .iter()
        .find(|t| t.name() == "orders")
        .unwrap();
    assert_eq!(orders.partition_keys().len(), 2);
    let sd = orders.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://acme-lake/sales/orders/"));
    assert!(
        orders.create_time().is_some(),
        "epoch-second timestamps parse"
    );
    assert_eq!(orders.database_name(), Some("sales"));

    let shared_tables = glue
        .get_tables()
        .database_name("partner_share")
        .catalog_id("999988887777")
        .send()
        .await
        .unwrap();
    assert_eq!(shared_tables.table_list()[0].name(), "shared_orders");

    let err = glue
        .get_tables()
        .database_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("EntityNotFoundException"));
    let one = glue
        .get_table()
        .database_name("sales")
        .name("ORDERS")
        .send()
        .await
        .unwrap();
    assert_eq!(one.table().unwrap().name(), "orders");
    assert_eq!(mock.request_count("GetTables"), 3);
}

#[tokio::test]
async fn paging_follows_next_token_to_the_end() {
    let mock = GlueMock::start(Synthetic::new(3, 250)).await;
    let glue = client(&mock, "AKIDTEST", 1).await;
    let mut pages = glue
        .get_tables()
        .database_name("db_00001")
        .into_paginator()
        .send();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        names.extend(
            page.unwrap()
                .table_list()
                .iter()
                .map(|t| t.name().to_string()),
        );
    }
    assert_eq!(names.len(), 250);
    assert_eq!(names[249], "table_000249");
    assert_eq!(mock.request_count("GetTables"), 3);
    let bodies: Vec<_> = mock.requests().into_iter().map(|r| r.body).collect();
    assert!(bodies[0].get("NextToken").is_none());
    assert!(bodies[1]["NextToken"].is_string());

    let e = glue
        .get_tables()
        .database_name("db_00001")
        .next_token("50.0000000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInputException"));
    let e = glue
        .get_databases()
        .max_results(1000)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
}

#[tokio::test]
async fn faults_throttle_deny_and_bad_keys() {
    let mock = GlueMock::builder(Catalog::sample())
        .fault(Fault::throttle("GetDatabases", 2))
        .fault(Fault::access_denied("GetTables", "sales"))
        .bad_access_key("AKIDBAD")
        .start()
        .await;
    let glue = client(&mock, "AKIDTEST", 3).await;
    glue.get_databases()
        .send()
        .await
        .expect("third attempt succeeds");
    assert_eq!(mock.request_count("GetDatabases"), 3);

    let e = glue
        .get_tables()
        .database_name("SALES")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    glue.get_tables()
        .database_name("analytics")
        .send()
        .await
        .unwrap();

    let bad = client(&mock, "AKIDBAD", 1).await;
    let e = bad.get_databases().send().await.unwrap_err();
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
    let log = mock.requests();
    assert_eq!(log.last().unwrap().access_key.as_deref(), Some("AKIDBAD"));
    assert_eq!(log[0].error.as_deref(), Some("ThrottlingException"));
}

#[tokio::test]
async fn latency_is_applied_to_responses() {
    let mock = GlueMock::builder(Synthetic::new(1, 1))
        .latency(Duration::from_millis(30))
        .start()
        .await;
    let glue = client(&mock, "AKIDTEST", 1).await;
    let t = std::time::Instant::now();
    glue.get_databases().send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(30));
}

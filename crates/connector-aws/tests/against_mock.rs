//! AwsClient against glue-mock: credentials, endpoint, retries, rate cap, assume
//! role and error messages. Nothing here can reach AWS: every client has explicit
//! keys and the mock's 127.0.0.1 endpoint.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connector_aws::{AwsCall, AwsClient, AwsError, AwsSettings, classify};
use glue_mock::{Catalog, Fault, GlueMock};
use om_spec::generated::security::credentials::aws_credentials::AWSCredentials;
use serde_json::{Value, json};

fn fields(mock: &GlueMock, key: &str) -> AWSCredentials {
    AWSCredentials {
        aws_region: "us-east-2".into(),
        aws_access_key_id: Some(key.into()),
        aws_secret_access_key: Some("test-secret".into()),
        end_point_url: Some(mock.url()),
        ..Default::default()
    }
}

fn args(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).unwrap()
}

async fn connect(f: &AWSCredentials, a: Value) -> AwsClient {
    let settings = AwsSettings::new(f, Some(&args(a)), &[]).unwrap();
    AwsClient::connect(settings).await.unwrap()
}

const FAST: fn() -> Value = || json!({"retryInitialBackoffMs": 1});

#[tokio::test]
async fn static_keys_and_endpoint_are_used() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let aws = connect(&fields(&mock, "AKIDSTATIC"), FAST()).await;
    let out = aws.glue().get_databases().send().await.unwrap();
    assert_eq!(out.database_list().len(), 4);
    assert_eq!(mock.requests()[0].access_key.as_deref(), Some("AKIDSTATIC"));
    assert_eq!(aws.region(), "us-east-2");
}

#[tokio::test]
async fn throttling_is_retried_up_to_max_attempts() {
    let mock = GlueMock::builder(Catalog::sample())
        .fault(Fault::throttle("GetDatabases", 4))
        .start()
        .await;
    // The default (10 attempts) rides out 4 throttles.
    let aws = connect(&fields(&mock, "AKID"), FAST()).await;
    aws.glue().get_databases().send().await.unwrap();
    assert_eq!(mock.request_count("GetDatabases"), 5);

    // With 2 attempts it gives up, and says what to tune.
    mock.add_fault(Fault::throttle("GetDatabases", 5));
    let aws = connect(
        &fields(&mock, "AKID"),
        json!({"maxAttempts": 2, "retryInitialBackoffMs": 1}),
    )
    .await;
    let err = aws.glue().get_databases().send().await.unwrap_err();
    let e = classify(&AwsCall::new("glue", "GetDatabases"), err);
    assert!(matches!(e, AwsError::Throttled { .. }), "{e}");
    assert!(e.to_string().contains("requestsPerSecond"), "{e}");
    assert_eq!(mock.request_count("GetDatabases"), 7);
}

#[tokio::test]
async fn errors_are_classified_with_actionable_messages() {
    let mock = GlueMock::builder(Catalog::sample())
        .fault(Fault::access_denied("GetTables", "sales"))
        .bad_access_key("AKIDBAD")
        .start()
        .await;
    let aws = connect(&fields(&mock, "AKID"), FAST()).await;
    let call = AwsCall::new("glue", "GetTables").on("database 'sales'");
    let err = aws
        .glue()
        .get_tables()
        .database_name("sales")
        .send()
        .await
        .unwrap_err();
    let e = classify(&call, err);
    assert!(matches!(e, AwsError::AccessDenied { .. }));
    assert!(e.to_string().contains("`glue:GetTables`"), "{e}");

    let bad = connect(&fields(&mock, "AKIDBAD"), FAST()).await;
    let err = bad.glue().get_databases().send().await.unwrap_err();
    let e = classify(&AwsCall::new("glue", "GetDatabases"), err);
    assert!(matches!(e, AwsError::BadCredentials { .. }), "{e}");
    assert!(!e.to_string().contains("test-secret"));

    let err = aws
        .glue()
        .get_tables()
        .database_name("missing")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(classify(&call, err), AwsError::NotFound { .. }));
}

#[tokio::test]
async fn unreachable_endpoint_is_reported_as_such() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = AWSCredentials {
        aws_region: "us-east-2".into(),
        aws_access_key_id: Some("AKID".into()),
        aws_secret_access_key: Some("s".into()),
        end_point_url: Some(format!("http://127.0.0.1:{port}")),
        ..Default::default()
    };
    let aws = connect(&f, json!({"maxAttempts": 2, "retryInitialBackoffMs": 1})).await;
    let err = aws.glue().get_databases().send().await.unwrap_err();
    let e = classify(&AwsCall::new("glue", "GetDatabases"), err);
    assert!(matches!(e, AwsError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("endPointURL"), "{e}");
}

#[tokio::test]
async fn assume_role_sends_every_setting_and_signs_with_the_role_keys() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let mut f = fields(&mock, "AKIDBASE");
    f.assume_role_arn = Some("arn:aws:iam::111122223333:role/catalog-reader".into());
    f.assume_role_source_identity = Some("alice".into());
    let aws = connect(
        &f,
        json!({"externalId": "ext-42", "stsEndpointUrl": mock.url(), "retryInitialBackoffMs": 1}),
    )
    .await;
    aws.glue().get_databases().send().await.unwrap();
    aws.glue().get_databases().send().await.unwrap();

    let log = mock.requests();
    let sts: Vec<_> = log.iter().filter(|r| r.op == "sts:AssumeRole").collect();
    assert_eq!(sts.len(), 1, "credentials are cached while valid: {log:#?}");
    let b = &sts[0].body;
    assert_eq!(
        b["RoleArn"],
        "arn:aws:iam::111122223333:role/catalog-reader"
    );
    assert_eq!(b["RoleSessionName"], "OpenMetadataSession");
    assert_eq!(b["SourceIdentity"], "alice");
    assert_eq!(b["ExternalId"], "ext-42");
    assert_eq!(sts[0].access_key.as_deref(), Some("AKIDBASE"));
    let glue_keys: Vec<_> = log
        .iter()
        .filter(|r| r.op == "GetDatabases")
        .map(|r| r.access_key.clone().unwrap())
        .collect();
    assert!(
        glue_keys.iter().all(|k| k.starts_with("ASIAMOCK")),
        "{glue_keys:?}"
    );
}

#[tokio::test]
async fn assumed_credentials_are_renewed_when_they_expire() {
    // Credentials that are already inside the SDK's refresh window are renewed on
    // the next call: two calls, two AssumeRole requests, two different keys.
    let mock = GlueMock::builder(Catalog::sample())
        .sts_credentials_ttl(Duration::from_secs(2))
        .start()
        .await;
    let mut f = fields(&mock, "AKIDBASE");
    f.assume_role_arn = Some("arn:aws:iam::111122223333:role/r".into());
    let aws = connect(
        &f,
        json!({"stsEndpointUrl": mock.url(), "retryInitialBackoffMs": 1}),
    )
    .await;
    aws.glue().get_databases().send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    aws.glue().get_databases().send().await.unwrap();
    let log = mock.requests();
    assert_eq!(
        log.iter().filter(|r| r.op == "sts:AssumeRole").count(),
        2,
        "{log:#?}"
    );
    let keys: std::collections::BTreeSet<_> = log
        .iter()
        .filter(|r| r.op == "GetDatabases")
        .map(|r| r.access_key.clone().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
}

#[tokio::test]
async fn failed_assume_role_explains_the_trust_policy() {
    let mock = GlueMock::builder(Catalog::sample())
        .fault(Fault::error("sts:AssumeRole", "AccessDenied").message("not authorized to assume"))
        .start()
        .await;
    let mut f = fields(&mock, "AKIDBASE");
    f.assume_role_arn = Some("arn:aws:iam::111122223333:role/r".into());
    let aws = connect(&f, json!({"stsEndpointUrl": mock.url(), "maxAttempts": 1})).await;
    let err = aws.glue().get_databases().send().await.unwrap_err();
    let e = classify(&AwsCall::new("glue", "GetDatabases"), err);
    assert!(matches!(e, AwsError::Credentials { .. }), "{e:?}");
    let s = e.to_string();
    assert!(
        s.contains("sts:AssumeRole") && s.contains("trust policy"),
        "{s}"
    );
    assert_eq!(mock.request_count("GetDatabases"), 0);
}

#[tokio::test]
async fn request_rate_cap_spaces_requests() {
    let mock = GlueMock::start(Catalog::sample()).await;
    let aws = connect(&fields(&mock, "AKID"), json!({"requestsPerSecond": 20})).await;
    let glue = aws.glue();
    let start = Instant::now();
    let calls = (0..6).map(|_| glue.get_databases().send());
    for r in futures_join(calls).await {
        r.unwrap();
    }
    // Six requests at 20/s need at least five 50 ms gaps.
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(mock.request_count("GetDatabases"), 6);
}

/// Runs futures concurrently (a tiny join_all, to avoid a dependency).
async fn futures_join<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

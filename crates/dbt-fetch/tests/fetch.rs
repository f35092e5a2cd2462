//! Each `dbtConfigType` against a real server: wiremock for `http` and dbt Cloud,
//! moto's S3 for `s3`. The artifacts are the jaffle project's (real dbt output), and
//! every fetched set is loaded with dbt-artifacts, as the dbt connector does.

use std::path::PathBuf;
use std::time::Duration;

use dbt_artifacts::{ArtifactKind, Artifacts, Warning};
use dbt_fetch::{FetchError, FetchOptions, Fetched, fetch};
use om_spec::generated::metadata_ingestion::dbt_pipeline::DbtConfigSource;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/dbt/jaffle/artifacts")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn source(config: Value) -> DbtConfigSource {
    serde_json::from_value(config).expect("a valid dbtConfigSource")
}

fn load(fetched: &Fetched, index: usize) -> Artifacts {
    let set = &fetched.sets[index];
    Artifacts::load(set.location.clone())
        .unwrap_or_else(|e| panic!("{}: {}", set.label, set.describe(&e.to_string())))
}

/// Warnings of a load that the fetch did not already give.
fn load_warnings(fetched: &Fetched, index: usize, artifacts: &Artifacts) -> Vec<String> {
    let set = &fetched.sets[index];
    artifacts
        .warnings
        .iter()
        .filter(|w| {
            !matches!(w, Warning::ArtifactMissing { kind, .. } if set.reported_absent.contains(kind))
        })
        .map(|w| set.describe(&w.to_string()))
        .collect()
}

fn assert_manifest_not_found(e: &FetchError) {
    assert!(
        matches!(
            e,
            FetchError::Download {
                kind: ArtifactKind::Manifest,
                status: Some(404),
                ..
            }
        ),
        "{e:?}"
    );
}

fn serve(server_path: &str, body: Vec<u8>) -> Mock {
    Mock::given(method("GET"))
        .and(path(server_path.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
}

// ---------------------------------------------------------------- local

#[tokio::test]
async fn local_paths_load_as_given() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dbt/jaffle/artifacts");
    let fetched = fetch(
        &source(json!({
            "dbtConfigType": "local",
            "dbtManifestFilePath": dir.join("manifest.json"),
            "dbtCatalogFilePath": dir.join("catalog.json"),
            "dbtRunResultsFilePath": dir.join("run_results.json"),
        })),
        &FetchOptions::default(),
    )
    .await
    .unwrap();
    let artifacts = load(&fetched, 0);
    assert!(artifacts.catalog.is_some());
    assert_eq!(artifacts.run_results.len(), 1);
    // No sources.json configured: dbt-artifacts says so, naming where it would be.
    let warnings = load_warnings(&fetched, 0, &artifacts);
    assert!(
        warnings.iter().any(|w| w.contains("sources.json")),
        "{warnings:?}"
    );
}

// ---------------------------------------------------------------- http

#[tokio::test]
async fn http_sends_headers_streams_files_and_warns_about_a_missing_optional_artifact() {
    let server = MockServer::start().await;
    for (file, served) in [
        ("manifest.json", "/dbt/manifest.json"),
        ("catalog.json", "/dbt/catalog.json"),
        ("run_results.json", "/dbt/run_results.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(served))
            .and(header("x-api-key", "key-SECRET-1"))
            .and(header("x-team", "data"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture(file)))
            .expect(1)
            .mount(&server)
            .await;
    }
    // sources.json is configured but not there.
    let base = server.uri();
    let fetched = fetch(
        &source(json!({
            "dbtConfigType": "http",
            "dbtManifestHttpPath": format!("{base}/dbt/manifest.json"),
            "dbtCatalogHttpPath": format!("{base}/dbt/catalog.json"),
            "dbtRunResultsHttpPath": format!("{base}/dbt/run_results.json"),
            "dbtSourcesHttpPath": format!("{base}/dbt/sources.json?sig=SIG-SECRET"),
            "dbtHttpHeaders": {"X-Api-Key": "key-SECRET-1", "X-Team": "data"},
        })),
        &FetchOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(fetched.sets.len(), 1);
    let set = &fetched.sets[0];
    assert_eq!(set.label, format!("{base}/dbt/manifest.json"));
    assert_eq!(set.reported_absent, [ArtifactKind::Sources]);
    assert_eq!(fetched.warnings.len(), 1, "{:?}", fetched.warnings);
    let w = &fetched.warnings[0];
    assert!(
        w.contains(&format!("{base}/dbt/sources.json"))
            && w.contains("HTTP 404")
            && w.contains("no source freshness results"),
        "{w}"
    );
    assert!(!w.contains("SIG-SECRET"), "{w}");

    let artifacts = load(&fetched, 0);
    assert!(artifacts.manifest.nodes().len() > 10);
    assert!(artifacts.catalog.is_some());
    assert_eq!(artifacts.run_results.len(), 1);
    // The load's own "no sources.json" is the one the fetch already gave.
    assert_eq!(load_warnings(&fetched, 0, &artifacts), Vec::<String>::new());

    let debug = format!("{fetched:?}");
    assert!(
        !debug.contains("key-SECRET-1") && !debug.contains("SIG-SECRET"),
        "{debug}"
    );
}

#[tokio::test]
async fn http_a_missing_manifest_is_an_error_naming_url_and_status() {
    let server = MockServer::start().await;
    let url = format!("{}/dbt/manifest.json", server.uri());
    let e = fetch(
        &source(json!({
            "dbtConfigType": "http",
            "dbtManifestHttpPath": format!("{url}?token=Q-SECRET"),
            "dbtHttpHeaders": {"Authorization": "Bearer H-SECRET"},
        })),
        &FetchOptions::default(),
    )
    .await
    .unwrap_err();
    assert_manifest_not_found(&e);
    let text = e.to_string();
    assert!(
        text.contains(&url) && text.contains("HTTP 404 Not Found"),
        "{text}"
    );
    let all = format!("{text} {e:?}");
    assert!(
        !all.contains("Q-SECRET") && !all.contains("H-SECRET"),
        "{all}"
    );
}

#[tokio::test]
async fn http_unset_and_unreachable_optional_artifacts_are_warnings() {
    let server = MockServer::start().await;
    serve("/m.json", fixture("manifest.json"))
        .mount(&server)
        .await;
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let fetched = fetch(
        &source(json!({
            "dbtConfigType": "http",
            "dbtManifestHttpPath": format!("{}/m.json", server.uri()),
            "dbtCatalogHttpPath": format!("http://127.0.0.1:{closed}/catalog.json"),
            "dbtRunResultsHttpPath": "",
        })),
        &FetchOptions::default(),
    )
    .await
    .unwrap();
    let w = &fetched.warnings;
    assert_eq!(w.len(), 3, "{w:?}");
    let catalog_url = format!("http://127.0.0.1:{closed}/catalog.json");
    assert!(
        w.iter()
            .any(|w| w.contains(&catalog_url) && w.contains("from the manifest only")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("dbtRunResultsHttpPath is not set")
                && w.contains("no test results")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("dbtSourcesHttpPath is not set")),
        "{w:?}"
    );
    let absent = &fetched.sets[0].reported_absent;
    assert_eq!(absent.len(), 3);
    for kind in [
        ArtifactKind::Catalog,
        ArtifactKind::RunResults,
        ArtifactKind::Sources,
    ] {
        assert!(absent.contains(&kind), "{absent:?}");
    }
    let artifacts = load(&fetched, 0);
    assert!(artifacts.catalog.is_none() && artifacts.run_results.is_empty());
}

#[tokio::test]
async fn http_a_stalled_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let opts = FetchOptions {
        timeout: Duration::from_millis(200),
        ..FetchOptions::default()
    };
    let e = fetch(
        &source(json!({
            "dbtConfigType": "http",
            "dbtManifestHttpPath": format!("{}/m.json", server.uri()),
        })),
        &opts,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no answer within 0.2 s"), "{e}");
}

#[tokio::test]
async fn http_bad_settings_name_the_field() {
    let cases = [
        (
            json!({"dbtManifestHttpPath": "s3://b/manifest.json"}),
            "dbtManifestHttpPath",
        ),
        (
            json!({"dbtManifestHttpPath": "http://h/m.json", "dbtCatalogHttpPath": "catalog.json"}),
            "dbtCatalogHttpPath",
        ),
        (
            json!({"dbtManifestHttpPath": "http://h/m.json", "dbtHttpHeaders": {"bad header": "v"}}),
            "dbtHttpHeaders",
        ),
        (
            json!({"dbtManifestHttpPath": "http://h/m.json", "dbtVerifySSL": "validate",
                   "dbtSSLConfig": {"caCertificate": "/nonexistent/ca.pem"}}),
            "dbtSSLConfig.caCertificate",
        ),
        (
            json!({"dbtManifestHttpPath": "http://h/m.json", "dbtVerifySSL": "validate",
                   "dbtSSLConfig": {"caCertificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"}}),
            "dbtSSLConfig",
        ),
    ];
    for (mut config, field) in cases {
        config["dbtConfigType"] = json!("http");
        let e = fetch(&source(config.clone()), &FetchOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(e, FetchError::Config { .. }), "{config}: {e:?}");
        assert!(
            e.to_string().contains(&format!("dbtConfigSource.{field}")),
            "{config}: {e}"
        );
    }
}

// ---------------------------------------------------------------- dbt Cloud

const TOKEN: &str = "dbtc_TOKEN-SECRET-42";

fn cloud(server: &MockServer, extra: Value) -> DbtConfigSource {
    let mut config = json!({
        "dbtConfigType": "cloud",
        "dbtCloudAuthToken": TOKEN,
        "dbtCloudAccountId": "45",
        "dbtCloudUrl": format!("{}/", server.uri()),
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    source(config)
}

fn runs_mock() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path("/api/v2/accounts/45/runs/"))
}

#[tokio::test]
async fn cloud_reads_the_latest_finished_run_of_the_job() {
    let server = MockServer::start().await;
    runs_mock()
        .and(query_param("order_by", "-finished_at"))
        .and(query_param("limit", "1"))
        .and(query_param("status__in", "[10,20]"))
        .and(query_param("project_id", "7"))
        .and(query_param("job_definition_id", "9"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": {"code": 200},
            "data": [{"id": 70403, "status": 10, "finished_at": "2024-05-01 10:00:00+00:00"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    for file in ["manifest.json", "catalog.json", "run_results.json"] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/api/v2/accounts/45/runs/70403/artifacts/{file}"
            )))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture(file)))
            .expect(1)
            .mount(&server)
            .await;
    }
    // No `dbt source freshness` in the job: sources.json is not an artifact of the run.
    let fetched = fetch(
        &cloud(
            &server,
            json!({"dbtCloudProjectId": "7", "dbtCloudJobId": "9"}),
        ),
        &FetchOptions::default(),
    )
    .await
    .unwrap();
    let set = &fetched.sets[0];
    assert_eq!(
        set.label,
        "dbt Cloud run 70403 (account 45, finished 2024-05-01 10:00:00+00:00)"
    );
    assert_eq!(set.reported_absent, [ArtifactKind::Sources]);
    assert_eq!(fetched.warnings.len(), 1, "{:?}", fetched.warnings);
    assert!(
        fetched.warnings[0].contains("has no sources.json")
            && fetched.warnings[0].contains("source freshness"),
        "{:?}",
        fetched.warnings
    );
    let artifacts = load(&fetched, 0);
    assert!(artifacts.catalog.is_some());
    assert_eq!(artifacts.run_results.len(), 1);
    assert!(!format!("{fetched:?}").contains(TOKEN));
}

#[tokio::test]
async fn cloud_refusals_and_empty_answers_say_what_to_check() {
    let cases: [(ResponseTemplate, &str); 4] = [
        (
            ResponseTemplate::new(401),
            "dbtCloudAuthToken was not accepted",
        ),
        (
            ResponseTemplate::new(403)
                .set_body_json(json!({"status": {"user_message": "Insufficient permissions"}})),
            "may not read the runs of account 45 (HTTP 403 Forbidden: Insufficient permissions)",
        ),
        (
            ResponseTemplate::new(404),
            "account 45 was not found (HTTP 404 Not Found); check dbtCloudAccountId and dbtCloudUrl",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"data": []})),
            "account 45 has no finished run (status success or error) of job 9",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        runs_mock().respond_with(response).mount(&server).await;
        let e = fetch(
            &cloud(&server, json!({"dbtCloudJobId": "9"})),
            &FetchOptions::default(),
        )
        .await
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains(expected), "expected {expected:?} in: {text}");
        assert!(!format!("{text} {e:?}").contains(TOKEN), "{text} {e:?}");
    }
}

#[tokio::test]
async fn cloud_a_run_without_manifest_is_an_error_and_a_failed_run_a_warning() {
    let server = MockServer::start().await;
    runs_mock()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "12", "status": 20}]
        })))
        .mount(&server)
        .await;
    let e = fetch(&cloud(&server, json!({})), &FetchOptions::default())
        .await
        .unwrap_err();
    assert_manifest_not_found(&e);
    assert!(
        e.to_string()
            .contains("dbt Cloud run 12 (account 45) has no manifest.json"),
        "{e}"
    );

    serve(
        "/api/v2/accounts/45/runs/12/artifacts/manifest.json",
        fixture("manifest.json"),
    )
    .mount(&server)
    .await;
    let fetched = fetch(&cloud(&server, json!({})), &FetchOptions::default())
        .await
        .unwrap();
    let w = &fetched.warnings;
    assert!(w[0].contains("ended with an error"), "{w:?}");
    assert_eq!(w.len(), 4, "{w:?}");
    assert_eq!(fetched.sets[0].reported_absent.len(), 3);
    load(&fetched, 0);
}

// ---------------------------------------------------------------- S3 (moto)

mod s3 {
    use super::*;
    use glue_mock::moto::MotoServer;

    const SECRET_KEY: &str = "moto-SECRET-KEY-value";

    /// Writes through moto's S3 API; moto does not check signatures, but needs the
    /// credential scope to tell S3 from its other services.
    struct Bucket {
        http: reqwest::Client,
        base: String,
        name: &'static str,
    }

    impl Bucket {
        async fn create(moto: &MotoServer, name: &'static str) -> Bucket {
            let bucket = Bucket {
                http: reqwest::Client::new(),
                base: moto.url(),
                name,
            };
            bucket
                .put(&format!("{}/{name}", bucket.base), Vec::new())
                .await;
            bucket
        }

        async fn put(&self, url: &str, body: Vec<u8>) {
            let status = self
                .http
                .put(url)
                .header(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/s3/aws4_request, \
                     SignedHeaders=host, Signature=0",
                )
                .header("content-type", "application/octet-stream")
                .body(body)
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "PUT {url}: {status}");
        }

        async fn object(&self, key: &str, body: Vec<u8>) {
            self.put(&format!("{}/{}/{key}", self.base, self.name), body)
                .await;
        }
    }

    fn s3_source(moto: &MotoServer, bucket: Option<&str>, prefix: &str) -> DbtConfigSource {
        let mut prefix_config = json!({"dbtObjectPrefix": prefix});
        if let Some(b) = bucket {
            prefix_config["dbtBucketName"] = json!(b);
        }
        source(json!({
            "dbtConfigType": "s3",
            "dbtSecurityConfig": {
                "awsAccessKeyId": "testing",
                "awsSecretAccessKey": SECRET_KEY,
                "awsRegion": "us-east-1",
                "endPointURL": moto.url(),
            },
            "dbtPrefixConfig": prefix_config,
        }))
    }

    #[tokio::test]
    async fn s3_groups_by_directory_keeps_the_latest_dated_folder_and_pages() {
        let Some(moto) = MotoServer::start_or_skip("dbt-fetch s3") else {
            return;
        };
        let bucket = Bucket::create(&moto, "dbt-artifacts").await;
        let manifest = fixture("manifest.json");
        for (key, body) in [
            ("prod/2024-01-01/manifest.json", manifest.clone()),
            ("prod/2024-01-02/manifest.json", manifest.clone()),
            ("prod/2024-01-02/catalog.json", fixture("catalog.json")),
            (
                "prod/2024-01-02/run_results.json",
                fixture("run_results.json"),
            ),
            ("prod/2024-01-02/graph.gpickle", b"x".to_vec()),
            ("prod/other project/target/manifest.json", manifest.clone()),
            (
                "prod/other project/target/sources.json",
                fixture("sources.json"),
            ),
            ("prod/notes/run_results.json", fixture("run_results.json")),
            ("staging/manifest.json", manifest.clone()),
        ] {
            bucket.object(key, body).await;
        }
        // More than one page of keys (ListObjectsV2 returns at most 1,000).
        let mut puts = tokio::task::JoinSet::new();
        let bucket = std::sync::Arc::new(bucket);
        for i in 0..1005 {
            let bucket = bucket.clone();
            puts.spawn(async move {
                bucket
                    .object(&format!("prod/logs/{i:04}.log"), b"l".to_vec())
                    .await
            });
            if puts.len() >= 16 {
                puts.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(done) = puts.join_next().await {
            done.unwrap();
        }

        let fetched = fetch(
            &s3_source(&moto, Some("dbt-artifacts"), "prod/"),
            &FetchOptions::default(),
        )
        .await
        .unwrap();
        let labels: Vec<&str> = fetched.sets.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "s3://dbt-artifacts/prod/2024-01-02/",
                "s3://dbt-artifacts/prod/other project/target/"
            ]
        );
        assert_eq!(fetched.warnings.len(), 1, "{:?}", fetched.warnings);
        assert!(
            fetched.warnings[0].contains("s3://dbt-artifacts/prod/notes/ holds dbt artifacts (run_results.json) but no manifest.json"),
            "{:?}",
            fetched.warnings
        );

        let latest = load(&fetched, 0);
        assert!(latest.catalog.is_some());
        assert_eq!(latest.run_results.len(), 1);
        assert!(latest.sources.is_none());

        let other = load(&fetched, 1);
        assert!(other.sources.is_some() && other.catalog.is_none());
        let warnings = load_warnings(&fetched, 1, &other);
        assert!(
            warnings.iter().any(|w| w.contains(
                "no dbt catalog at s3://dbt-artifacts/prod/other project/target/catalog.json"
            )),
            "{warnings:?}"
        );
        assert!(!format!("{fetched:?}").contains(SECRET_KEY));
    }

    #[tokio::test]
    async fn s3_without_manifest_or_bucket_is_an_error() {
        let Some(moto) = MotoServer::start_or_skip("dbt-fetch s3") else {
            return;
        };
        let bucket = Bucket::create(&moto, "empty-ish").await;
        bucket.object("dbt/run_results.json", b"{}".to_vec()).await;

        let no_manifest = fetch(
            &s3_source(&moto, Some("empty-ish"), "dbt"),
            &FetchOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(no_manifest, FetchError::NoManifest { scanned: 1, .. }),
            "{no_manifest:?}"
        );
        let text = no_manifest.to_string();
        assert!(
            text.starts_with("no manifest.json under s3://empty-ish/dbt"),
            "{text}"
        );

        let no_such_bucket = fetch(
            &s3_source(&moto, Some("no-such-bucket"), ""),
            &FetchOptions::default(),
        )
        .await
        .unwrap_err();
        let text = no_such_bucket.to_string();
        assert!(
            text.contains("s3://no-such-bucket/") && text.contains("NoSuchBucket"),
            "{text}"
        );

        let no_bucket = fetch(&s3_source(&moto, None, "dbt"), &FetchOptions::default())
            .await
            .unwrap_err();
        let text = no_bucket.to_string();
        assert!(
            text.contains("dbtPrefixConfig.dbtBucketName: is required")
                && text.contains("does not list every bucket"),
            "{text}"
        );
        for e in [no_manifest, no_such_bucket, no_bucket] {
            assert!(!format!("{e} {e:?}").contains(SECRET_KEY));
        }
    }
}

//! Connecting: configuration errors, the version check, authentication, an
//! unreachable server, and run-status reporting. The JWT never shows.

mod common;

use common::*;
use om_client::{
    ClientError, IngestionPipelineSpec, MetadataRestSink, OmClient, PipelineRunReporter, RunState,
    ServerConfig,
};
use om_mock::{MockSettings, OmMock};
use omctl_record::EntityKind;
use omctl_record::sink::Sink;
use omctl_record::status::StepSummary;
use serde_json::{Value, json};

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJlLXNlY3JldA";

fn with_token(url: &str, token: &str) -> Value {
    json!({
        "hostPort": url,
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": token},
    })
}

async fn connect_error(cfg: Value, sink_config: Value) -> ClientError {
    let server = match ServerConfig::from_json(&cfg) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match MetadataRestSink::connect(server, options(sink_config)).await {
        Ok(_) => panic!("the connection should fail"),
        Err(e) => e,
    }
}

fn assert_no_jwt(e: &ClientError) {
    let text = format!("{e} / {e:?}");
    assert!(!text.contains(JWT), "the token leaked: {text}");
    assert!(
        !text.contains("c2lnbmF0dXJlLXNlY3JldA"),
        "part of the token leaked: {text}"
    );
}

#[tokio::test]
async fn version_mismatch_is_a_clear_error_unless_disabled() {
    let mock = OmMock::start_with(MockSettings {
        version: "1.9.3".to_string(),
        ..MockSettings::default()
    })
    .await;
    let e = connect_error(with_token(mock.url(), JWT), json!({})).await;
    assert!(matches!(e, ClientError::VersionMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("1.9.3")
            && text.contains("2.0.6")
            && text.contains("enableVersionValidation"),
        "{text}"
    );
    assert_no_jwt(&e);

    let mut cfg = with_token(mock.url(), JWT);
    cfg["enableVersionValidation"] = json!(false);
    let server = ServerConfig::from_json(&cfg).unwrap();
    assert!(
        MetadataRestSink::connect(server, options(json!({})))
            .await
            .is_ok()
    );

    // A newer patch release of the same minor version is fine.
    mock.update(|s| s.version = "2.0.11".to_string());
    let server = ServerConfig::from_json(&with_token(mock.url(), JWT)).unwrap();
    assert!(
        MetadataRestSink::connect(server, options(json!({})))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn host_port_without_api_is_a_clear_error() {
    let e = connect_error(with_token("http://127.0.0.1:8585", JWT), json!({})).await;
    assert!(matches!(e, ClientError::BadHostPort { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("hostPort")
            && text.contains("/api")
            && text.contains("http://127.0.0.1:8585"),
        "{text}"
    );
    assert_no_jwt(&e);
}

#[tokio::test]
async fn a_server_answering_html_points_to_host_port() {
    let mock = OmMock::start().await;
    // The UI lives outside /api; a hostPort with an extra segment ending in /api
    // still reaches it.
    let ui = mock.url().replace("/api", "/ui/api");
    let e = connect_error(with_token(&ui, JWT), json!({})).await;
    assert!(matches!(e, ClientError::Html { .. }), "{e:?}");
    assert!(e.to_string().contains("/api"));
}

#[tokio::test]
async fn an_unreadable_jwt_file_names_the_path_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-token");
    let e = connect_error(
        with_token("http://127.0.0.1:1/api", missing.to_str().unwrap()),
        json!({}),
    )
    .await;
    assert!(matches!(e, ClientError::TokenFile { .. }), "{e:?}");
    assert!(e.to_string().contains(missing.to_str().unwrap()), "{e}");

    // A directory cannot be read as a file.
    let e = connect_error(
        with_token("http://127.0.0.1:1/api", dir.path().to_str().unwrap()),
        json!({}),
    )
    .await;
    assert!(matches!(e, ClientError::TokenFile { .. }), "{e:?}");

    // A readable file holding the token works, and the token is sent.
    let mock = OmMock::start_with(MockSettings {
        require_token: Some(JWT.to_string()),
        ..MockSettings::default()
    })
    .await;
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{JWT}\n")).unwrap();
    let server = ServerConfig::from_json(&with_token(mock.url(), file.to_str().unwrap())).unwrap();
    assert!(!format!("{server:?}").contains(JWT));
    let sink = MetadataRestSink::connect(server, options(json!({})))
        .await
        .unwrap();
    assert!(!format!("{:?}", sink.client()).contains(JWT));
}

#[tokio::test]
async fn a_refused_token_is_an_auth_error_without_the_token() {
    let mock = OmMock::start_with(MockSettings {
        require_token: Some("aaaa.bbbb.cccc".to_string()),
        ..MockSettings::default()
    })
    .await;
    let e = connect_error(with_token(mock.url(), JWT), json!({})).await;
    assert!(matches!(e, ClientError::Auth { status: 401, .. }), "{e:?}");
    assert!(e.to_string().contains("jwtToken"));
    assert_no_jwt(&e);
}

#[tokio::test]
async fn a_server_down_at_start_is_a_connection_error() {
    let url = OmMock::unreachable_url();
    let e = connect_error(with_token(&url, JWT), json!({"maxRetries": 1})).await;
    assert!(matches!(e, ClientError::Connect { .. }), "{e:?}");
    assert!(e.is_fatal());
    let text = e.to_string();
    assert!(
        text.contains(url.trim_end_matches("/api")) && text.contains("system/version"),
        "{text}"
    );
    assert_no_jwt(&e);
}

#[tokio::test]
async fn a_server_lost_mid_run_stops_the_sink_with_a_connection_error() {
    let mut mock = OmMock::start().await;
    let server = ServerConfig::from_json(&with_token(mock.url(), JWT)).unwrap();
    let mut sink = MetadataRestSink::connect(server, options(json!({"maxRetries": 1})))
        .await
        .unwrap();
    mock.stop().await;
    let mut error = None;
    for r in glue_stream() {
        if let Err(e) = sink.write(r).await {
            error = Some(e);
            break;
        }
    }
    let e = match error {
        Some(e) => e,
        None => sink
            .close()
            .await
            .expect_err("closing reports the lost server"),
    };
    assert!(
        matches!(e, omctl_record::sink::SinkError::Connection(_)),
        "{e:?}"
    );
    assert!(!e.to_string().contains(JWT));
}

#[tokio::test]
async fn run_status_is_reported_running_then_final() {
    let mock = OmMock::start().await;
    mock.seed(
        "services/databaseServices",
        json!({"name": SERVICE, "serviceType": "Glue"}),
    )
    .unwrap();
    let server = ServerConfig::from_json(&with_token(mock.url(), JWT)).unwrap();
    let (client, version) = OmClient::connect(server).await.unwrap();
    assert_eq!(version, "2.0.6");
    let fqn = format!("{SERVICE}.{SERVICE}_metadata");

    // Without a spec, a missing ingestion pipeline is an error (to be logged).
    assert!(
        PipelineRunReporter::start(&client, &fqn, None, None)
            .await
            .is_err()
    );

    let spec = IngestionPipelineSpec {
        pipeline_type: "metadata".to_string(),
        service_kind: EntityKind::DatabaseService,
        source_config: json!({"config": {"type": "DatabaseMetadata"}}),
    };
    let reporter = PipelineRunReporter::start(&client, &fqn, Some("run-1".into()), Some(&spec))
        .await
        .unwrap();
    let statuses = mock.ingestion_statuses(&fqn);
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["pipelineState"], json!("running"));
    assert_eq!(statuses[0]["runId"], json!("run-1"));

    let mut sink_step = StepSummary::new("metadata-rest");
    sink_step.records = 9;
    sink_step.fail("glue_prod.default.sales.bad", "refused");
    sink_step.deleted = 2;
    let source_step = StepSummary {
        records: 10,
        ..StepSummary::new("glue")
    };
    let steps = [source_step, sink_step];
    let state = RunState::from_steps(&steps, 80.0);
    assert_eq!(state, RunState::PartialSuccess);
    reporter.finish(&steps, state).await.unwrap();
    let statuses = mock.ingestion_statuses(&fqn);
    assert_eq!(statuses.len(), 1, "the same run is updated");
    let s = &statuses[0];
    assert_eq!(s["pipelineState"], json!("partialSuccess"));
    assert!(s["endDate"].as_i64().unwrap() >= s["startDate"].as_i64().unwrap());
    assert_eq!(s["status"][1]["name"], json!("metadata-rest"));
    assert_eq!(s["status"][1]["errors"], json!(1));
    assert_eq!(
        s["status"][1]["failures"][0]["name"],
        json!("glue_prod.default.sales.bad")
    );
    assert!(
        s["status"][1].get("deleted").is_none(),
        "only the server's StepSummary fields"
    );
}

#[tokio::test]
async fn tls_settings_that_cannot_work_are_clear_errors() {
    let mut cfg = with_token("https://127.0.0.1:1/api", JWT);
    cfg["verifySSL"] = json!("validate");
    cfg["sslConfig"] = json!({"caCertificate": "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n"});
    let e = connect_error(cfg, json!({})).await;
    assert!(
        matches!(
            e,
            ClientError::Tls {
                field: "caCertificate",
                ..
            }
        ),
        "{e:?}"
    );

    let mut cfg = with_token("https://127.0.0.1:1/api", JWT);
    cfg["verifySSL"] = json!("validate");
    cfg["sslConfig"] = json!({"caCertificate": "/nonexistent/ca.pem"});
    let e = connect_error(cfg, json!({})).await;
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    assert_no_jwt(&e);
}

#[test]
fn options_never_print_the_service_connection() {
    let opts = options(json!({}));
    let debug = format!("{opts:?}");
    assert!(
        !debug.contains("test-secret") && !debug.contains("AKIATEST"),
        "{debug}"
    );
}

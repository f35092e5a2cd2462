//! `omctl run` into the `metadata-rest` sink, against the OpenMetadata emulator
//! (om-mock, on 127.0.0.1): the sink is wired in, the run status is reported,
//! dry runs write nothing, and a refused token or a server that is down is a
//! connection failure.

mod common;

use std::path::Path;

use common::{REST_SINK, Run, catalog_workflow, omctl_with_example, write};
use om_mock::{MockSettings, OmMock};

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.mock-token-payload.sig";

/// Runs omctl on a blocking thread, so the emulator keeps serving.
async fn run_in(dir: &Path, args: &[&str], jwt: &str) -> Run {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let jwt = jwt.to_string();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        omctl_with_example(&dir, &args, &[("OM_JWT", jwt.as_str())])
    })
    .await
    .unwrap()
}

/// A directory with `w.yaml`: the example connector into the server at `host_port`.
fn workflow_dir(host_port: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "w.yaml",
        &catalog_workflow(REST_SINK, host_port, extra),
    );
    dir
}

async fn mock_requiring_the_token() -> OmMock {
    OmMock::start_with(MockSettings {
        require_token: Some(JWT.to_string()),
        ..MockSettings::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn run_writes_to_the_server_and_reports_the_run_status() {
    let mock = mock_requiring_the_token().await;
    let dir = workflow_dir(
        mock.url(),
        "ingestionPipelineFQN: local_catalog.nightly_metadata\n",
    );
    let run = run_in(dir.path(), &["run", "-c", "w.yaml"], JWT).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.last_stdout_line();
    assert_eq!(line["status"], "success", "{line}");
    let sink = &line["steps"]["metadata-rest"];
    let written = sink["records"].as_u64().unwrap() + sink["updated"].as_u64().unwrap();
    assert_eq!(
        written,
        line["steps"]["localcatalog"]["records"].as_u64().unwrap(),
        "{line}"
    );

    let tables: Vec<String> = mock
        .entities("tables")
        .iter()
        .filter_map(|t| t["fullyQualifiedName"].as_str().map(String::from))
        .collect();
    assert!(
        tables.contains(&"local_catalog.shop.sales.customers".to_string()),
        "{tables:?}"
    );

    let statuses = mock.ingestion_statuses("local_catalog.nightly_metadata");
    let last = statuses
        .last()
        .unwrap_or_else(|| panic!("no run status reported:\n{}", run.stderr));
    assert_eq!(last["pipelineState"], "success", "{last}");
    assert!(!run.all().contains(JWT));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing() {
    let mock = mock_requiring_the_token().await;
    let dir = workflow_dir(mock.url(), "");
    let run = run_in(dir.path(), &["run", "--dry-run", "-c", "w.yaml"], JWT).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mock.writes(), 0, "a dry run sends no write");
    assert_eq!(run.last_stdout_line()["dryRun"], true);
    assert!(mock.entities("tables").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_a_connection_failure_that_does_not_echo_it() {
    let mock = mock_requiring_the_token().await;
    let dir = workflow_dir(mock.url(), "");
    let wrong = "eyJhbGciOiJSUzI1NiJ9.wrong-token-payload.sig";
    let run = run_in(dir.path(), &["run", "-c", "w.yaml", "--debug"], wrong).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains("wrong-token-payload"), "{}", run.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_is_down_is_a_connection_failure() {
    let dir = workflow_dir(&OmMock::unreachable_url(), "");
    let run = run_in(dir.path(), &["run", "-c", "w.yaml"], JWT).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the OpenMetadata server"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_the_server_settings_without_calling_it() {
    // A hostPort that is not the API URL is a configuration error, found offline.
    let dir = workflow_dir("localhost:8585", "");
    let run = run_in(dir.path(), &["validate", "-c", "w.yaml"], JWT).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("hostPort"), "{}", run.stderr);
}

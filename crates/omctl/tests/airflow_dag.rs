//! `omctl airflow dag`: the DAG file it writes, its errors, and `--register`
//! against the OpenMetadata emulator (om-mock, on 127.0.0.1) with the example
//! connector.

mod common;

use std::path::Path;

use common::{REST_SINK, Run, catalog_workflow, file_sink, omctl, omctl_with_example, write};
use om_mock::{MockSettings, OmMock};

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.airflow-dag-token.sig";
const NO_SERVER: &str = "http://127.0.0.1:9/api";
const DEFAULT_DAG: &str = "omctl_local_catalog_localcatalog.py";

/// A directory with `w.yaml` (the example connector's workflow) and `dags/`.
fn workspace(sink: &str, host_port: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.yaml", &catalog_workflow(sink, host_port, ""));
    std::fs::create_dir(dir.path().join("dags")).unwrap();
    dir
}

fn dag_text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("dags").join(name)).unwrap()
}

/// `omctl airflow dag -c w.yaml --dags-folder FOLDER EXTRA...` in `dir`, with no
/// variables set and no plugin.
fn dag_command(dir: &Path, folder: &str, extra: &[&str]) -> Run {
    let mut args = vec!["airflow", "dag", "-c", "w.yaml", "--dags-folder", folder];
    args.extend_from_slice(extra);
    omctl(dir, &args, &[], None)
}

#[test]
fn writes_a_dag_that_runs_the_file_on_the_schedule() {
    let dir = workspace(&file_sink("out.ndjson"), NO_SERVER);
    // OM_JWT is not set here: it only has to be set where the tasks run.
    let run = dag_command(
        dir.path(),
        "dags",
        &[
            "--schedule",
            "weekly",
            "--start-date",
            "2026-03-01",
            "--end-date",
            "2026-09-01",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("not set here: OM_JWT"),
        "{}",
        run.stderr
    );
    let line = run.last_stdout_line();
    assert_eq!(line["dagId"], "omctl_local_catalog_localcatalog");
    assert_eq!(line["schedule"], "0 0 * * 0");

    let text = dag_text(dir.path(), DEFAULT_DAG);
    let workflow = std::fs::canonicalize(dir.path().join("w.yaml")).unwrap();
    for expected in [
        format!("workflow_file=\"{}\",", workflow.display()),
        "schedule=\"0 0 * * 0\",".to_string(),
        "start_date=datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc),".to_string(),
        "end_date=datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc),".to_string(),
        "catchup=False,".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    // The path, never the contents: nothing of the workflow's settings is copied.
    assert!(
        !text.contains("catalogPath") && !text.contains("jwtToken"),
        "{text}"
    );
}

#[test]
fn a_missing_dags_folder_is_named() {
    let dir = workspace(&file_sink("out.ndjson"), NO_SERVER);
    let run = dag_command(dir.path(), "no/such/dags", &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the DAGs folder no/such/dags cannot be used"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_schedules_and_dates_are_usage_errors() {
    let dir = workspace(&file_sink("out.ndjson"), NO_SERVER);
    let with = |extra: &[&str]| dag_command(dir.path(), "dags", extra);
    let run = with(&["--schedule", "0 25 * * *"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("hour field \"25\": 25 is outside 0-23"),
        "{}",
        run.stderr
    );
    let run = with(&["--start-date", "2026-05-01", "--end-date", "2026-04-01"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--end-date 2026-04-01 is not after the start date 2026-05-01"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read_dir(dir.path().join("dags"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn a_file_omctl_did_not_write_is_kept_unless_forced() {
    let dir = workspace(&file_sink("out.ndjson"), NO_SERVER);
    let theirs = write(
        &dir.path().join("dags"),
        DEFAULT_DAG,
        "# someone's own DAG\n",
    );
    let run = dag_command(dir.path(), "dags", &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("was not written by omctl"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "# someone's own DAG\n"
    );

    assert_eq!(dag_command(dir.path(), "dags", &["--force"]).code, 0);
    // Its own file it replaces without being asked.
    let again = dag_command(dir.path(), "dags", &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(dag_text(dir.path(), DEFAULT_DAG).contains("OmctlOperator("));
}

/// Runs omctl with the example plugin on a blocking thread, so the emulator keeps
/// serving.
async fn run_with_example(dir: &Path, args: &[&str]) -> Run {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        omctl_with_example(&dir, &args, &[("OM_JWT", JWT)])
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn register_creates_the_ingestion_pipeline_with_its_schedule() {
    let mock = OmMock::start_with(MockSettings {
        require_token: Some(JWT.to_string()),
        ..MockSettings::default()
    })
    .await;
    let dir = workspace(REST_SINK, mock.url());
    let args = [
        "airflow",
        "dag",
        "-c",
        "w.yaml",
        "--dags-folder",
        "dags",
        "--schedule",
        "hourly",
        "--start-date",
        "2026-01-01",
        "--register",
        "--pipeline-name",
        "catalog_hourly",
    ];
    let run = run_with_example(dir.path(), &args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("registered ingestion pipeline local_catalog.catalog_hourly"),
        "{}",
        run.stderr
    );

    let pipeline = mock
        .entity(
            "services/ingestionPipelines",
            "local_catalog.catalog_hourly",
        )
        .expect("the pipeline is registered");
    assert_eq!(pipeline["pipelineType"], "metadata");
    assert_eq!(pipeline["service"]["type"], "databaseService");
    assert_eq!(pipeline["airflowConfig"]["scheduleInterval"], "0 * * * *");
    assert_eq!(
        pipeline["airflowConfig"]["startDate"],
        "2026-01-01T00:00:00Z"
    );
    assert!(
        mock.entity("services/databaseServices", "local_catalog")
            .is_some()
    );

    let text = dag_text(dir.path(), DEFAULT_DAG);
    assert!(
        text.contains("ingestion_pipeline_fqn=\"local_catalog.catalog_hourly\","),
        "{text}"
    );
    // The --plugin given to the command goes into the DAG.
    assert!(text.contains("plugin_paths=["), "{text}");
    assert!(!run.all().contains(JWT));

    // Again with another schedule: the same pipeline, updated.
    let mut daily = args.to_vec();
    daily[7] = "daily";
    let run = run_with_example(dir.path(), &daily).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("updated ingestion pipeline"),
        "{}",
        run.stderr
    );
    let pipeline = mock
        .entity(
            "services/ingestionPipelines",
            "local_catalog.catalog_hourly",
        )
        .unwrap();
    assert_eq!(pipeline["airflowConfig"]["scheduleInterval"], "0 0 * * *");
}

#[tokio::test(flavor = "multi_thread")]
async fn register_needs_the_variables_and_the_metadata_rest_sink() {
    let dir = workspace(&file_sink("out.ndjson"), NO_SERVER);
    let run = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            omctl(
                &dir,
                &[
                    "airflow",
                    "dag",
                    "-c",
                    "w.yaml",
                    "--dags-folder",
                    "dags",
                    "--register",
                ],
                &[],
                None,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`OM_JWT` is not set"), "{}", run.stderr);

    let run = run_with_example(
        dir.path(),
        &[
            "airflow",
            "dag",
            "-c",
            "w.yaml",
            "--dags-folder",
            "dags",
            "--register",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--register needs a workflow with the metadata-rest sink"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("dags").join(DEFAULT_DAG).exists());
}

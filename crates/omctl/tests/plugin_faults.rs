//! Plugins that misbehave, through the real binary: the host reports, prints the
//! summary, exits with the plugin-error code, and never aborts. Uses the fixture
//! plugins of crates/connector-abi/tests/fixtures (built on first use).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Run, command, omctl, support, write};

fn workflow(source_type: &str, count: u64) -> String {
    format!(
        "\
source:
  type: {source_type}
  serviceName: svc
  serviceConnection:
    config:
      type: Scripted
      count: {count}
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: file
  config:
    filename: out.ndjson
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://127.0.0.1:9/api
"
    )
}

/// Runs `omctl <subcommand> -c w.yaml` with the scripted fixture in a new
/// directory.
fn with_scripted(subcommand: &str, source_type: &str, count: u64) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.yaml", &workflow(source_type, count));
    let plugin = support::fixture("fixture-scripted");
    let run = omctl(
        dir.path(),
        &[
            subcommand,
            "-c",
            "w.yaml",
            "--plugin",
            plugin.to_str().unwrap(),
        ],
        &[],
        None,
    );
    (dir, run)
}

#[test]
fn panic_in_open_is_reported_with_the_summary() {
    let (_dir, run) = with_scripted("run", "panic-in-open", 3);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("open refuses to work"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Success %"),
        "the summary table is printed: {}",
        run.stderr
    );
    let summary = run.last_stdout_line();
    assert_eq!(summary["status"], "failed");
    assert_eq!(summary["stopped"]["kind"], "plugin");
}

#[test]
fn panic_mid_stream_keeps_what_came_before() {
    let (dir, run) = with_scripted("run", "panic-mid-stream", 5);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("panicked"), "{}", run.stderr);
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert_eq!(written.lines().count(), 5, "records before the panic land");
    let summary = run.last_stdout_line();
    assert_eq!(summary["steps"]["file"]["records"], 5);
    assert_eq!(summary["steps"]["panic-mid-stream"]["errors"], 1);
    assert_eq!(summary["stopped"]["step"], "panic-mid-stream");
}

#[test]
fn panic_in_test_connection_is_a_plugin_error() {
    let (_dir, run) = with_scripted("test-connection", "panic-in-test-connection", 0);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("test_connection refuses to work"),
        "{}",
        run.stderr
    );
}

#[test]
fn plugin_of_another_interface_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::fixture("fixture-abi-v2");
    let run = omctl(
        dir.path(),
        &["plugins", "list", "--plugin", plugin.to_str().unwrap()],
        &[],
        None,
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("2.0.0") && run.stderr.contains("1.1.0"),
        "{}",
        run.stderr
    );
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn ctrl_c_stops_the_source_closes_the_sink_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.yaml", &workflow("endless", 0));
    let plugin = support::fixture("fixture-scripted");
    let child = command(
        dir.path(),
        &["run", "-c", "w.yaml", "--plugin", plugin.to_str().unwrap()],
        &[],
    )
    .spawn()
    .unwrap();
    // Wait until records are flowing into the file.
    let out_file = dir.path().join("out.ndjson");
    let started = Instant::now();
    while file_len(&out_file) < 100_000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no records after 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert!(run.stderr.contains("Success %"), "{}", run.stderr);
    let summary = run.last_stdout_line();
    assert_eq!(summary["stopped"]["kind"], "interrupted");
    // What was counted as written is in the file, whole lines only.
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(written.ends_with('\n'));
    assert_eq!(
        written.lines().count() as u64,
        summary["steps"]["file"]["records"].as_u64().unwrap()
    );
}

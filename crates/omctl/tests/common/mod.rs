//! What the CLI tests share: running the binary, the example plugin and its
//! workflow file.

#![allow(dead_code)]

#[path = "../../../omctl-runtime/tests/support/mod.rs"]
pub mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const OMCTL: &str = env!("CARGO_BIN_EXE_omctl");

/// What one omctl invocation did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout and stderr together, for looking for what must never be printed.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The JSON summary that ends stdout.
    pub fn last_stdout_line(&self) -> Value {
        let line = self.stdout.lines().last().expect("stdout has a line");
        serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("last stdout line is not JSON ({e}): {line}"))
    }
}

/// The omctl command in `dir`, without the caller's `RUST_LOG` and
/// `OMCTL_PLUGIN_PATH`.
pub fn command(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(OMCTL);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("OMCTL_PLUGIN_PATH")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs omctl to its end, feeding `stdin` when given.
pub fn omctl(dir: &Path, args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = command(dir, args, envs);
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("omctl starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().expect("omctl exited (not killed)"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Runs omctl with `--plugin` pointing at the example connector.
pub fn omctl_with_example(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let plugin = support::example_plugin();
    let mut args = args.to_vec();
    args.extend(["--plugin", plugin.to_str().unwrap()]);
    omctl(dir, &args, envs, None)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `sink:` body of the file sink.
pub fn file_sink(filename: &str) -> String {
    format!("  type: file\n  config:\n    filename: {filename}\n")
}

/// `sink:` body of the metadata-rest sink.
pub const REST_SINK: &str = "  type: metadata-rest\n  config: {}\n";

/// The example connector's workflow (the sample catalog, `tmp_` tables filtered
/// out, debug logs), with `sink` as the sink's body, the server at `host_port`,
/// the JWT from `$OM_JWT` and `extra` appended at the top level.
pub fn catalog_workflow(sink: &str, host_port: &str, extra: &str) -> String {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/catalog-connector/sample-catalog.json");
    format!(
        "\
source:
  type: localcatalog
  serviceName: local_catalog
  serviceConnection:
    config:
      type: CustomDatabase
      connectionOptions:
        catalogPath: {catalog}
  sourceConfig:
    config:
      type: DatabaseMetadata
      tableFilterPattern:
        excludes:
          - \"tmp_.*\"
sink:
{sink}workflowConfig:
  loggerLevel: DEBUG
  openMetadataServerConfig:
    hostPort: {host_port}
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${{OM_JWT}}
{extra}",
        catalog = catalog.display()
    )
}

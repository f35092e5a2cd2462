//! The `omctl` binary as users and schedulers see it: messages, exit codes,
//! stdout/stderr, files.
//!
//! The plugin runs need the example connector built next to the binary
//! (`cargo build -p catalog-connector`; `cargo xtask test` builds every plugin
//! first).

mod common;

use std::path::Path;

use common::{Run, catalog_workflow, file_sink, omctl, omctl_with_example, support, write};
use serde_json::Value;

const SECRET_KEY: &str = "wJalrXUtnFEMI-K7MDENG-secret-key-value";
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-secret-payload.sig";

const SECRET_ENV: &[(&str, &str)] = &[
    ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ("OM_JWT", JWT),
    // Never ask the EC2 metadata service (a plugin may build AWS clients).
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// Where nothing listens: no test here talks to a server.
const NO_SERVER: &str = "http://127.0.0.1:9/api";

/// A Glue workflow with both kinds of secrets from the environment and every
/// endpoint on 127.0.0.1.
fn glue_workflow() -> String {
    "\
source:
  type: glue
  serviceName: local_glue
  serviceConnection:
    config:
      type: Glue
      awsConfig:
        awsAccessKeyId: AKIAEXAMPLE
        awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY}
        awsRegion: us-east-1
        endPointURL: http://127.0.0.1:9/
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
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${OM_JWT}
"
    .to_string()
}

/// The example connector's workflow into the file `out`.
fn catalog_to_file(out: &str) -> String {
    catalog_workflow(&file_sink(out), NO_SERVER, "")
}

/// Runs `args` on a file `name` holding `text`, with the secrets in the
/// environment.
fn on_file(name: &str, text: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    let mut args = args.to_vec();
    args.extend(["-c", path.to_str().unwrap()]);
    omctl(dir.path(), &args, SECRET_ENV, None)
}

fn assert_config_error(run: &Run, wants: &[&str]) {
    assert_eq!(run.code, 2, "config errors exit 2:\n{}", run.stderr);
    for want in wants {
        assert!(
            run.stderr.contains(want),
            "stderr lacks {want:?}:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("error: "), "{}", run.stderr);
}

#[test]
fn unknown_key_is_named_with_file_line_path_and_suggestion() {
    let run = on_file(
        "glue.yaml",
        &glue_workflow().replace("awsRegion:", "awsRegoin:"),
        &["validate"],
    );
    assert_config_error(
        &run,
        &[
            "glue.yaml:10:9: source.serviceConnection.config.awsConfig.awsRegoin: unknown field `awsRegoin`",
            "did you mean `awsRegion`?",
        ],
    );
}

#[test]
fn wrong_type_is_a_config_error() {
    let text = glue_workflow().replace(
        "workflowConfig:\n",
        "workflowConfig:\n  successThreshold: lots\n",
    );
    let run = on_file("glue.yaml", &text, &["run"]);
    assert_config_error(
        &run,
        &["glue.yaml:20:3: workflowConfig.successThreshold: invalid type"],
    );
    assert!(
        run.stdout.is_empty(),
        "no summary line for a run that never started"
    );
}

#[test]
fn missing_required_field_is_a_config_error() {
    let text = glue_workflow().replace("    hostPort: http://127.0.0.1:9/api\n", "");
    let run = on_file("glue.yaml", &text, &["validate"]);
    assert_config_error(
        &run,
        &["workflowConfig.openMetadataServerConfig: missing field `hostPort`"],
    );
}

#[test]
fn unset_environment_variable_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "glue.yaml", &glue_workflow());
    let run = omctl(
        dir.path(),
        &["validate", "-c", path.to_str().unwrap()],
        &[("OM_JWT", JWT)],
        None,
    );
    assert_config_error(
        &run,
        &["glue.yaml: line 9, column 29: environment variable `AWS_SECRET_ACCESS_KEY` is not set"],
    );
}

#[test]
fn unknown_source_type_lists_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let text = catalog_to_file("out.ndjson").replace("type: localcatalog", "type: nosuchsource");
    write(dir.path(), "w.yaml", &text);
    let run = omctl_with_example(dir.path(), &["validate", "-c", "w.yaml"], SECRET_ENV);
    assert_config_error(
        &run,
        &[
            "no plugin serves source type `nosuchsource`",
            "localcatalog (catalog-connector)",
        ],
    );
}

#[test]
fn unknown_sink_type_is_a_config_error() {
    let text = catalog_to_file("out.ndjson").replace("type: file", "type: kafka");
    let run = on_file("w.yaml", &text, &["validate"]);
    assert_config_error(
        &run,
        &[
            "sink.type: unknown sink type `kafka`",
            "metadata-rest, file",
        ],
    );
}

#[test]
fn usage_errors_exit_2_too() {
    let dir = tempfile::tempdir().unwrap();
    let run = omctl(dir.path(), &["run"], &[], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--config"), "{}", run.stderr);
    let run = omctl(dir.path(), &["run", "-c", "does-not-exist.yaml"], &[], None);
    assert_config_error(&run, &["cannot read the workflow file does-not-exist.yaml"]);
}

#[test]
fn help_of_every_command_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["test-connection", "--help"],
        vec!["validate", "--help"],
        vec!["plugins", "list", "--help"],
        vec!["plugins", "describe", "--help"],
        vec!["schema", "--help"],
    ] {
        let run = omctl(dir.path(), &args, &[], None);
        assert_eq!(run.code, 0, "{args:?}");
        assert!(
            run.stdout.contains("Examples:"),
            "{args:?}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn schema_is_one_json_document() {
    let dir = tempfile::tempdir().unwrap();
    let run = omctl(dir.path(), &["schema"], &[], None);
    assert_eq!(run.code, 0);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(schema["definitions"].as_object().unwrap().len() > 10);
    assert!(
        schema["properties"]["source"]["$ref"]
            .as_str()
            .unwrap()
            .starts_with("#/definitions/")
    );
}

#[test]
fn validate_reads_stdin_and_names_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::example_plugin();
    let run = omctl(
        dir.path(),
        &["validate", "-c", "-", "--plugin", plugin.to_str().unwrap()],
        SECRET_ENV,
        Some(&catalog_to_file("out.ndjson")),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("<stdin>: valid"), "{}", run.stdout);
    assert!(
        run.stdout.contains("plugin catalog-connector"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("file sink writing out.ndjson"),
        "{}",
        run.stdout
    );
}

#[test]
fn old_glue_keys_are_accepted_with_a_deprecation_warning() {
    let text = glue_workflow().replace(
        "        endPointURL: http://127.0.0.1:9/\n",
        "        endPointURL: http://127.0.0.1:9/\n      storageServiceName: s3\n      database: my_catalog\n",
    );
    // Validation goes on to look for a glue plugin, which may or may not be built:
    // the file itself must pass and the warnings must be there.
    let run = on_file("old.yaml", &text, &["validate"]);
    for want in [
        "old.yaml:12:7: `source.serviceConnection.config.storageServiceName` is deprecated; remove it",
        "old.yaml:13:7: `source.serviceConnection.config.database` is deprecated; use `databaseName`",
    ] {
        assert!(run.stderr.contains(want), "{want}:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("unknown field"), "{}", run.stderr);
}

#[test]
fn a_connection_type_other_than_the_plugins_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = catalog_to_file("out.ndjson").replace("type: CustomDatabase", "type: CustomDatabse");
    write(dir.path(), "w.yaml", &text);
    let run = omctl_with_example(dir.path(), &["validate", "-c", "w.yaml"], SECRET_ENV);
    assert_config_error(
        &run,
        &[
            "w.yaml:6:7: source.serviceConnection.config.type: plugin catalog-connector reads connections of type `CustomDatabase`, not `CustomDatabse`",
        ],
    );
}

fn read_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect()
}

#[test]
fn run_example_connector_into_the_file_sink() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "catalog.yaml",
        &catalog_to_file("records.ndjson"),
    );
    let args = ["run", "-c", "catalog.yaml", "--report", "report.json"];
    let run = omctl_with_example(dir.path(), &args, SECRET_ENV);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // stdout: only the summary line.
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let summary = run.last_stdout_line();
    assert_eq!(summary["status"], "success");
    assert_eq!(summary["successPct"], 100.0);
    assert_eq!(summary["dryRun"], false);
    let records = read_records(&dir.path().join("records.ndjson"));
    let entities = records.iter().filter(|r| r["record"] == "entity").count() as u64;
    assert_eq!(summary["steps"]["file"]["records"], entities);
    assert_eq!(summary["steps"]["localcatalog"]["records"], entities);
    assert!(
        summary["steps"]["localcatalog"]["filtered"]
            .as_u64()
            .unwrap()
            >= 1,
        "tmp_ tables are filtered"
    );

    // stderr: the table, the warnings, the verdict.
    assert!(
        run.stderr.contains("Step") && run.stderr.contains("Success %"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(": success (100.00% successful, threshold 90%)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Warnings (showing 1 of 1):"),
        "{}",
        run.stderr
    );

    // The report.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["status"], "success");
    assert_eq!(report["plugin"]["name"], "catalog-connector");
    assert_eq!(report["steps"].as_array().unwrap().len(), 2);
    assert_eq!(report["sourceType"], "localcatalog");

    insta::assert_json_snapshot!("catalog_file_sink", records);
}

#[test]
fn dry_run_shows_the_records_and_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "catalog.yaml",
        &catalog_to_file("records.ndjson"),
    );
    let run = omctl_with_example(
        dir.path(),
        &["run", "--dry-run", "-c", "catalog.yaml"],
        SECRET_ENV,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.path().join("records.ndjson").exists());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.len() > 2, "{}", run.stdout);
    for line in &lines[..lines.len() - 1] {
        let record: Value = serde_json::from_str(line).unwrap();
        assert!(record["record"].is_string(), "{line}");
    }
    let summary = run.last_stdout_line();
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["status"], "success");
}

#[test]
fn plugins_list_and_describe() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::example_plugin();
    let run = omctl_with_example(dir.path(), &["plugins", "list"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let header = run.stdout.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("ABI") && header.contains("SOURCE TYPES"),
        "{header}"
    );
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("catalog-connector"))
        .expect("listed");
    assert!(
        row.contains("localcatalog")
            && row.contains("1.1.0")
            && row.contains(plugin.to_str().unwrap()),
        "{row}"
    );

    let run = omctl_with_example(dir.path(), &["plugins", "list", "--json"], &[]);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "catalog-connector")
        .unwrap();
    assert_eq!(entry["sourceTypes"][0], "localcatalog");

    let run = omctl_with_example(
        dir.path(),
        &["plugins", "describe", "localcatalog", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        schema["properties"]["connectionOptions"].is_object(),
        "{schema}"
    );

    let run = omctl_with_example(
        dir.path(),
        &["plugins", "describe", "catalog-connector"],
        &[],
    );
    assert!(
        run.stdout
            .contains("| Field | Type | Required | Default | Description |"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| `connectionOptions.catalogPath` | string | yes |"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("## JSON Schema"), "{}", run.stdout);

    let run = omctl_with_example(dir.path(), &["plugins", "describe", "nope"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no plugin is named `nope`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_plugin_path_is_a_config_error_and_a_non_plugin_a_plugin_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = omctl(
        dir.path(),
        &["plugins", "list", "--plugin", "no/such/lib.so"],
        &[],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let not_a_plugin = write(
        dir.path(),
        "libnotaplugin.so",
        "this is not a shared library",
    );
    let run = omctl(
        dir.path(),
        &[
            "plugins",
            "list",
            "--plugin",
            not_a_plugin.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("libnotaplugin.so"), "{}", run.stderr);
}

#[test]
fn test_connection_prints_each_step_and_a_json_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "catalog.yaml",
        &catalog_to_file("records.ndjson"),
    );
    let run = omctl_with_example(
        dir.path(),
        &["test-connection", "-c", "catalog.yaml"],
        SECRET_ENV,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Connection test of source `localcatalog` with plugin catalog-connector"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Result: passed"), "{}", run.stderr);
    let line = run.last_stdout_line();
    assert_eq!(line["passed"], true);
    assert!(!line["steps"].as_array().unwrap().is_empty());

    // A catalog file that is not there fails the connector's mandatory check.
    let text =
        catalog_to_file("records.ndjson").replace("sample-catalog.json", "no-such-catalog.json");
    write(dir.path(), "missing.yaml", &text);
    let run = omctl_with_example(
        dir.path(),
        &["test-connection", "-c", "missing.yaml"],
        SECRET_ENV,
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("FAIL"), "{}", run.stderr);
    assert_eq!(run.last_stdout_line()["passed"], false);
}

#[test]
fn log_level_comes_from_rust_log_then_debug_then_logger_level() {
    let dir = tempfile::tempdir().unwrap();
    for level in ["INFO", "WARN"] {
        let text = catalog_to_file("records.ndjson")
            .replace("loggerLevel: DEBUG", &format!("loggerLevel: {level}"));
        write(dir.path(), &format!("{level}.yaml"), &text);
    }
    let stderr_of = |args: &[&str], envs: &[(&str, &str)]| {
        let mut all_envs = SECRET_ENV.to_vec();
        all_envs.extend_from_slice(envs);
        let run = omctl_with_example(dir.path(), args, &all_envs);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    };
    let plugin_info = "INFO plugin::catalog-connector";

    let stderr = stderr_of(&["run", "-c", "INFO.yaml"], &[]);
    assert!(
        stderr.contains(plugin_info),
        "plugin logs reach omctl's log:\n{stderr}"
    );
    assert!(!stderr.contains("DEBUG"), "{stderr}");

    let stderr = stderr_of(&["run", "-c", "WARN.yaml"], &[]);
    assert!(
        !stderr.contains(" INFO "),
        "loggerLevel WARN hides info lines:\n{stderr}"
    );

    let stderr = stderr_of(&["run", "-c", "WARN.yaml", "--debug"], &[]);
    assert!(
        stderr.contains(" DEBUG ") && stderr.contains(plugin_info),
        "--debug wins:\n{stderr}"
    );

    let stderr = stderr_of(
        &["run", "-c", "INFO.yaml", "--debug"],
        &[("RUST_LOG", "error")],
    );
    assert!(
        !stderr.contains(" INFO ") && !stderr.contains(" DEBUG "),
        "RUST_LOG wins:\n{stderr}"
    );

    let stderr = stderr_of(
        &["run", "-c", "WARN.yaml"],
        &[("RUST_LOG", "warn,plugin::catalog-connector=info")],
    );
    assert!(
        stderr.contains(plugin_info),
        "plugin targets can be chosen:\n{stderr}"
    );
}

/// Every way output can leave omctl, at every log level: no secret in any of it.
#[test]
fn secrets_never_appear_in_output_report_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::example_plugin();
    let plugin = plugin.to_str().unwrap();
    write(
        dir.path(),
        "catalog.yaml",
        &catalog_to_file("records.ndjson"),
    );
    write(dir.path(), "glue.yaml", &glue_workflow());
    // Errors right at the secrets: a secret where a map is expected, a secret
    // under a misspelt key, a secret of the wrong type, a secret where an enum
    // value is expected.
    let bad = [
        glue_workflow().replace(
            "    securityConfig:\n      jwtToken: ${OM_JWT}\n",
            "    securityConfig: ${OM_JWT}\n",
        ),
        glue_workflow().replace("awsSecretAccessKey: ${AWS", "awsSecretAccesKey: ${AWS"),
        glue_workflow().replace(
            "awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY}",
            "awsSecretAccessKey: [\"${AWS_SECRET_ACCESS_KEY}\"]",
        ),
        glue_workflow().replace("authProvider: openmetadata", "authProvider: ${OM_JWT}"),
    ];
    for (i, text) in bad.iter().enumerate() {
        write(dir.path(), &format!("bad{i}.yaml"), text);
    }

    let mut invocations: Vec<Vec<&str>> = vec![
        vec![
            "run",
            "-c",
            "catalog.yaml",
            "--plugin",
            plugin,
            "--report",
            "report.json",
        ],
        vec!["run", "--dry-run", "-c", "catalog.yaml", "--plugin", plugin],
        vec!["test-connection", "-c", "catalog.yaml", "--plugin", plugin],
        vec!["validate", "-c", "catalog.yaml", "--plugin", plugin],
        vec!["validate", "-c", "glue.yaml"],
        vec!["test-connection", "-c", "glue.yaml"],
    ];
    let bad_names: Vec<String> = (0..bad.len()).map(|i| format!("bad{i}.yaml")).collect();
    for name in &bad_names {
        invocations.push(vec!["validate", "-c", name]);
    }
    for args in &invocations {
        for (debug, rust_log) in [(false, None), (true, None), (false, Some("trace"))] {
            let mut args = args.clone();
            if debug {
                args.push("--debug");
            }
            let mut envs = SECRET_ENV.to_vec();
            if let Some(level) = rust_log {
                envs.push(("RUST_LOG", level));
            }
            let all = omctl(dir.path(), &args, &envs, None).all();
            for secret in [SECRET_KEY, JWT, "jwt-secret-payload", "K7MDENG"] {
                assert!(
                    !all.contains(secret),
                    "{args:?} (RUST_LOG={rust_log:?}) printed a secret:\n{all}"
                );
            }
        }
    }
    for file in ["report.json", "records.ndjson"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            !text.contains(SECRET_KEY) && !text.contains(JWT),
            "{file} holds a secret"
        );
    }
}

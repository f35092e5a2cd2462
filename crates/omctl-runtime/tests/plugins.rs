//! Loading and calling real plugin libraries: the example connector built by
//! `cargo build -p catalog-connector`, and the misbehaving fixtures of
//! `crates/connector-abi/tests/fixtures` (built by the first test that needs them).

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use omctl_record::{EntityKind, Record, decode_batch};
use omctl_runtime::plugin::{
    DiagnosticLevel, Discovery, ErrorKind, HostCallbacks, LogLevel, Plugin, PluginConfig,
    PluginError, PluginSet, Progress, RunOptions, SourceSession,
};
use serde_json::{Value, json};

/// Host callbacks that remember what they were told.
#[derive(Default)]
struct Recorder {
    logs: Mutex<Vec<(String, LogLevel, String, String)>>,
    progress: Mutex<Vec<Progress>>,
    cancelled: AtomicBool,
}

impl HostCallbacks for Recorder {
    fn log(&self, plugin: &str, level: LogLevel, target: &str, message: &str) {
        self.logs
            .lock()
            .unwrap()
            .push((plugin.into(), level, target.into(), message.into()));
    }

    fn progress(&self, _plugin: &str, progress: &Progress) {
        self.progress.lock().unwrap().push(progress.clone());
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

fn config(source: Value, log_level: &str) -> Value {
    serde_json::to_value(PluginConfig::new(
        source,
        RunOptions {
            log_level: Some(log_level.into()),
            ..RunOptions::default()
        },
    ))
    .unwrap()
}

fn catalog_source() -> Value {
    let sample = support::workspace_root().join("examples/catalog-connector/sample-catalog.json");
    json!({
        "type": "localcatalog",
        "serviceName": "local",
        "serviceConnection": {"config": {
            "type": "CustomDatabase",
            "connectionOptions": {"catalogPath": sample.display().to_string()}
        }},
        "sourceConfig": {"config": {"type": "DatabaseMetadata", "tableFilterPattern": {"excludes": ["tmp_.*"]}}},
    })
}

fn scripted(source_type: &str, count: u64) -> Value {
    json!({"type": source_type, "serviceName": "svc", "serviceConnection": {"config": {"count": count}}})
}

/// Pulls a session to its end: the records, and the error that ended it if any.
fn drain(session: &mut SourceSession, max: u32) -> (Vec<Record>, Option<PluginError>) {
    let mut records = Vec::new();
    loop {
        match session.next_batch(max) {
            Ok(Some(batch)) => {
                records.extend(decode_batch(&batch).map(|r| r.expect("a valid record")))
            }
            Ok(None) => return (records, None),
            Err(e) => return (records, Some(e)),
        }
    }
}

fn copy_to(dir: &Path, from: &Path, name: &str) -> PathBuf {
    let to = dir.join(support::library_name(name));
    std::fs::copy(from, &to).unwrap();
    to
}

#[test]
fn example_plugin_manifest() {
    let plugin = Plugin::load(&support::example_plugin()).unwrap();
    let m = plugin.manifest();
    assert_eq!(m.name, "catalog-connector");
    assert_eq!(m.source_types, ["localcatalog"]);
    assert_eq!(m.abi_version, connector_abi::INTERFACE_VERSION);
    assert_eq!(m.service_kind.as_deref(), Some("databaseService"));
    assert_eq!(m.connection_type.as_deref(), Some("CustomDatabase"));
    assert_eq!(m.config_schema["type"], "object");
}

#[test]
fn example_plugin_runs_through_the_boundary() {
    let plugin = Plugin::load(&support::example_plugin()).unwrap();
    let host = Arc::new(Recorder::default());
    let mut session = plugin
        .open(&config(catalog_source(), "info"), host.clone())
        .unwrap();
    let (records, error) = drain(&mut session, 4);
    assert!(error.is_none(), "{error:?}");

    let count = |kind| {
        records
            .iter()
            .filter(|r| matches!(r, Record::Entity { kind: k, .. } if *k == kind))
            .count()
    };
    assert_eq!(count(EntityKind::DatabaseService), 1);
    assert_eq!(count(EntityKind::Database), 2);
    assert_eq!(count(EntityKind::DatabaseSchema), 3);
    assert_eq!(count(EntityKind::Table), 5);
    assert!(matches!(&records[0], Record::Entity { fqn, .. } if fqn == "local"));
    assert!(matches!(
        records.last(),
        Some(Record::ScopeComplete {
            kind: EntityKind::Database,
            ..
        })
    ));
    // After the end, the end again.
    assert!(session.next_batch(10).unwrap().is_none());

    let logs = host.logs.lock().unwrap();
    let line = logs
        .iter()
        .find(|l| l.3.starts_with("read catalog"))
        .expect("the plugin's log line");
    assert_eq!(line.0, "catalog-connector");
    assert_eq!(line.1, LogLevel::INFO);
    assert_eq!(line.2, "catalog_connector");
    assert!(line.3.contains("tables=6"), "{}", line.3);
    assert!(!host.progress.lock().unwrap().is_empty());
}

#[test]
fn example_plugin_test_connection() {
    let plugin = Plugin::load(&support::example_plugin()).unwrap();
    let host = Arc::new(Recorder::default());
    let report = plugin
        .test_connection(&config(catalog_source(), "info"), host.clone())
        .unwrap();
    assert!(report.passed());
    assert_eq!(report.steps.len(), 3);

    let mut missing = catalog_source();
    missing["serviceConnection"]["config"]["connectionOptions"]["catalogPath"] =
        json!("/nonexistent.json");
    let report = plugin
        .test_connection(&config(missing, "info"), host)
        .unwrap();
    assert!(!report.passed());
}

#[test]
fn config_error_at_open_keeps_its_kind() {
    let plugin = Plugin::load(&support::example_plugin()).unwrap();
    let mut source = catalog_source();
    source["serviceConnection"]["config"]["connectionOptions"] = json!({});
    let err = plugin
        .open(&config(source, "info"), Arc::new(Recorder::default()))
        .unwrap_err();
    assert_eq!(err.call_kind(), Some(ErrorKind::Config), "{err}");
    assert!(!err.is_plugin_fault());
    assert!(err.to_string().contains("catalogPath is missing"), "{err}");
}

#[test]
fn directory_scan_skips_non_plugins_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    copy_to(dir.path(), &support::example_plugin(), "catalog-connector");
    let stray = copy_to(
        dir.path(),
        &support::fixture("fixture-not-a-plugin"),
        "stray",
    );
    std::fs::write(dir.path().join("README.txt"), "not a library").unwrap();

    let set = PluginSet::discover(&Discovery::only([dir.path().to_owned()])).unwrap();
    assert_eq!(set.plugins().len(), 1);
    assert_eq!(
        set.for_source_type("LocalCatalog").unwrap().name(),
        "catalog-connector"
    );

    let warnings: Vec<_> = set
        .diagnostics()
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Warning)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].path, stray);
    assert!(matches!(
        warnings[0].error,
        Some(PluginError::NotAPlugin { .. })
    ));

    let err = set.for_source_type("glue").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no plugin serves source type `glue`"),
        "{text}"
    );
    assert!(text.contains("localcatalog (catalog-connector)"), "{text}");
    assert!(text.contains("libstray"), "{text}");
}

#[test]
fn explicit_non_plugin_is_refused() {
    let path = support::fixture("fixture-not-a-plugin");
    let err = PluginSet::discover(&Discovery::only([path.clone()])).unwrap_err();
    assert!(
        matches!(&err, PluginError::NotAPlugin { path: p } if *p == path),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("is not an omctl plugin"), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[test]
fn explicit_missing_path_is_refused() {
    let err =
        PluginSet::discover(&Discovery::only([PathBuf::from("/nonexistent/libx.so")])).unwrap_err();
    assert!(matches!(err, PluginError::NotFound { .. }), "{err:?}");
}

#[test]
fn two_plugins_for_one_source_type_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_to(dir.path(), &support::example_plugin(), "catalog-a");
    let b = copy_to(dir.path(), &support::example_plugin(), "catalog-b");
    let err = PluginSet::discover(&Discovery::only([dir.path().to_owned()])).unwrap_err();
    match &err {
        PluginError::DuplicateSourceType {
            source_type,
            first,
            second,
        } => {
            assert_eq!(source_type, "localcatalog");
            assert_eq!((first, second), (&a, &b));
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("libcatalog_a") && text.contains("libcatalog_b"),
        "{text}"
    );
}

#[test]
fn earlier_place_hides_a_later_one() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = copy_to(first.path(), &support::example_plugin(), "catalog-a");
    copy_to(second.path(), &support::example_plugin(), "catalog-b");
    let discovery = Discovery {
        explicit: vec![a.clone()],
        env_dirs: vec![second.path().to_owned()],
        exe: None,
    };
    let set = PluginSet::discover(&discovery).unwrap();
    assert_eq!(set.plugins().len(), 2);
    assert_eq!(set.for_source_type("localcatalog").unwrap().path(), a);
    assert!(
        set.diagnostics()
            .iter()
            .any(|d| d.level == DiagnosticLevel::Info && d.message.contains("hidden by"))
    );
}

#[test]
fn plugin_of_another_interface_version_is_refused() {
    let path = support::fixture("fixture-abi-v2");
    let err = Plugin::load(&path).unwrap_err();
    match &err {
        PluginError::VersionMismatch {
            expected, found, ..
        } => {
            assert_eq!(expected, connector_abi::INTERFACE_VERSION);
            assert_eq!(found, "2.0.0");
        }
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("built against connector interface 2.0.0"),
        "{text}"
    );
    assert!(text.contains("this omctl speaks 1.1.0"), "{text}");
    assert!(err.is_plugin_fault());
}

#[test]
fn plugin_built_against_interface_1_0_still_loads_and_runs() {
    // Interface 1.1 only added record kinds: a plugin built before it is not
    // refused, and its calls work.
    let plugin = Plugin::load(&support::fixture("fixture-abi-v1-0")).unwrap();
    assert_eq!(plugin.name(), "fixture-abi-v1-0");
    assert_eq!(
        plugin.manifest().source_types,
        vec!["fixture-abi-v1-0".to_string()]
    );
    let report = plugin
        .test_connection(
            &config(json!({"type": "fixture-abi-v1-0"}), "info"),
            Arc::new(Recorder::default()),
        )
        .unwrap();
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.steps[0].name, "Reach the catalog");
}

#[test]
fn plugin_whose_manifest_panics_fails_to_load() {
    let err = Plugin::load(&support::fixture("fixture-manifest-panics")).unwrap_err();
    match &err {
        PluginError::LoadFailed { reason, .. } => {
            assert!(reason.contains("no manifest today"), "{reason}");
            assert!(reason.contains("manifest-panics/src/lib.rs"), "{reason}");
        }
        other => panic!("expected a load failure, got {other:?}"),
    }
}

fn scripted_plugin() -> Plugin {
    Plugin::load(&support::fixture("fixture-scripted")).unwrap()
}

#[test]
fn panic_in_open_is_an_error() {
    let err = scripted_plugin()
        .open(
            &config(scripted("panic-in-open", 0), "info"),
            Arc::new(Recorder::default()),
        )
        .unwrap_err();
    let PluginError::Call { call, error, .. } = &err else {
        panic!("expected a call error, got {err:?}")
    };
    assert_eq!(*call, "open");
    assert_eq!(error.kind, ErrorKind::Panic);
    assert!(
        error.message.contains("open refuses to work"),
        "{}",
        error.message
    );
    assert!(
        error
            .location
            .as_deref()
            .unwrap_or("")
            .contains("scripted/src/lib.rs"),
        "{error:?}"
    );
    assert!(err.is_plugin_fault());
}

#[test]
fn panic_mid_stream_delivers_earlier_records_then_an_error() {
    let host = Arc::new(Recorder::default());
    let mut session = scripted_plugin()
        .open(
            &config(scripted("panic-mid-stream", 5), "info"),
            host.clone(),
        )
        .unwrap();
    let (records, error) = drain(&mut session, 2);
    assert_eq!(records.len(), 5);
    let err = error.expect("the panic ends the stream with an error");
    assert_eq!(err.call_kind(), Some(ErrorKind::Panic));
    let text = err.to_string();
    assert!(
        text.contains("fixture-scripted: next_batch failed"),
        "{text}"
    );
    assert!(text.contains("index out of bounds"), "{text}");
    assert!(text.contains("scripted/src/lib.rs"), "{text}");
    assert!(session.next_batch(10).unwrap().is_none());
    // The log line just before the panic made it to the host.
    assert!(
        host.logs
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.3.starts_with("about to read"))
    );
}

#[test]
fn panic_in_test_connection_is_an_error() {
    let err = scripted_plugin()
        .test_connection(
            &config(scripted("panic-in-test-connection", 0), "info"),
            Arc::new(Recorder::default()),
        )
        .unwrap_err();
    assert_eq!(err.call_kind(), Some(ErrorKind::Panic), "{err}");
    assert!(
        err.to_string().contains("test_connection refuses to work"),
        "{err}"
    );
}

#[test]
fn logs_cross_with_level_target_and_fields() {
    let host = Arc::new(Recorder::default());
    let mut session = scripted_plugin()
        .open(&config(scripted("log", 0), "debug"), host.clone())
        .unwrap();
    let (records, error) = drain(&mut session, 10);
    assert!(error.is_none() && records.len() == 1);
    let logs = host.logs.lock().unwrap();
    let lines: Vec<(LogLevel, &str)> = logs
        .iter()
        .filter(|l| l.2 == "fixture_scripted")
        .map(|l| (l.1, l.3.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (LogLevel::ERROR, "an error line code=7"),
            (LogLevel::WARN, "a warning line"),
            (LogLevel::INFO, "an info line table=\"t0\""),
            (LogLevel::DEBUG, "a debug line"),
        ]
    );
    assert!(logs.iter().all(|l| l.0 == "fixture-scripted"));
    let progress = host.progress.lock().unwrap();
    assert_eq!(progress[0].message.as_deref(), Some("logging"));
    assert_eq!((progress[0].done, progress[0].total), (Some(1), Some(2)));
}

#[test]
fn cancel_ends_an_endless_source() {
    let host = Arc::new(Recorder::default());
    let mut session = scripted_plugin()
        .open(&config(scripted("endless", 0), "info"), host)
        .unwrap();
    assert!(session.next_batch(10).unwrap().is_some());
    session.cancel();
    let (records, error) = drain(&mut session, 500);
    assert!(error.is_none(), "{error:?}");
    // Only what was buffered when the source was cancelled.
    assert!(records.len() <= 1024 + 10, "{}", records.len());
}

#[test]
fn host_cancel_flag_ends_an_endless_source() {
    let host = Arc::new(Recorder::default());
    let mut session = scripted_plugin()
        .open(&config(scripted("endless", 0), "info"), host.clone())
        .unwrap();
    assert!(session.next_batch(10).unwrap().is_some());
    host.cancelled.store(true, Ordering::SeqCst);
    let (_, error) = drain(&mut session, 500);
    assert!(error.is_none(), "{error:?}");
}

#[test]
fn dropping_a_running_session_stops_it() {
    let plugin = scripted_plugin();
    for _ in 0..3 {
        let mut session = plugin
            .open(
                &config(scripted("endless", 0), "info"),
                Arc::new(Recorder::default()),
            )
            .unwrap();
        assert!(session.next_batch(100).unwrap().is_some());
        drop(session);
    }
    // The plugin still works after its sessions were dropped mid-stream.
    let mut session = plugin
        .open(
            &config(scripted("count", 7), "info"),
            Arc::new(Recorder::default()),
        )
        .unwrap();
    assert_eq!(drain(&mut session, 3).0.len(), 7);
}

#[test]
fn each_library_answers_for_itself() {
    // abi_stable's directory loader would hand back the first module for both.
    let example = Plugin::load(&support::example_plugin()).unwrap();
    let scripted = scripted_plugin();
    assert_eq!(example.name(), "catalog-connector");
    assert_eq!(scripted.name(), "fixture-scripted");
    let set = PluginSet::discover(&Discovery::only([
        support::example_plugin(),
        support::fixture("fixture-scripted"),
    ]))
    .unwrap();
    assert_eq!(
        set.for_source_type("count").unwrap().name(),
        "fixture-scripted"
    );
    assert_eq!(
        set.for_source_type("localcatalog").unwrap().name(),
        "catalog-connector"
    );
    assert_eq!(
        set.find("fixture-scripted").unwrap().name(),
        "fixture-scripted"
    );
}

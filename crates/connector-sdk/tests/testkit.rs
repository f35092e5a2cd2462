//! The SDK's behaviour as a connector author sees it, through the test kit (which
//! runs the same session code as a loaded plugin).

use std::time::Duration;

use connector_sdk::serde_json::{Value, json};
use connector_sdk::testkit::{self, Harness};
use connector_sdk::{
    Connector, ConnectorError, Context, Emitter, EntityKind, ErrorKind, EventLevel, LogLevel,
    Manifest, Record, SourceConfig, TestConnectionReport, TestStep, tracing,
};

/// What the test connector does, chosen by `serviceConnection.config.behaviour`.
#[derive(Default)]
struct Scripted;

fn source(behaviour: &str, count: u64) -> Value {
    json!({
        "type": "scripted",
        "serviceName": "svc",
        "serviceConnection": {"config": {"behaviour": behaviour, "count": count, "secret": "s3cr3t"}},
    })
}

fn table(i: u64) -> Record {
    Record::Entity {
        kind: EntityKind::Table,
        fqn: format!("svc.db.sch.t{i}"),
        parent: Some("svc.db.sch".into()),
        request: json!({"name": format!("t{i}")}),
    }
}

impl Connector for Scripted {
    fn manifest(&self) -> Manifest {
        Manifest::new("scripted", "0.0.1").with_source_type("scripted")
    }

    fn validate(&self, config: &SourceConfig) -> Result<(), ConnectorError> {
        match config
            .get::<String>("/serviceConnection/config/behaviour")?
            .as_deref()
        {
            Some("panic-in-validate") => panic!("validate blew up"),
            Some("reject") => Err(ConnectorError::config("behaviour `reject` is not allowed")),
            _ => Ok(()),
        }
    }

    async fn test_connection(
        &self,
        config: &SourceConfig,
        _ctx: &Context,
    ) -> Result<TestConnectionReport, ConnectorError> {
        let behaviour: String = config
            .get("/serviceConnection/config/behaviour")?
            .unwrap_or_default();
        if behaviour == "panic" {
            panic!("test_connection blew up");
        }
        Ok(TestConnectionReport {
            steps: vec![
                TestStep::passed("Reach", true, "reached"),
                TestStep::failed("ListOptional", false, "cannot list", "denied"),
            ],
        })
    }

    async fn run(&self, config: SourceConfig, out: Emitter) -> Result<(), ConnectorError> {
        let behaviour: String = config
            .get("/serviceConnection/config/behaviour")?
            .unwrap_or_default();
        let count: u64 = config.get("/serviceConnection/config/count")?.unwrap_or(0);
        tracing::info!(count, "starting {behaviour}");
        tracing::debug!("a debug line");
        match behaviour.as_str() {
            "emit" => {
                for i in 0..count {
                    out.emit(table(i)).await?;
                }
                out.warn(EntityKind::Table, "svc.db.sch.t0", "a warning")
                    .await?;
                out.filtered(EntityKind::Table, "svc.db.sch.tmp", "excluded")
                    .await?;
                out.fail(None, "listing", "a failure").await?;
                out.scope_complete(EntityKind::Table, "svc.db.sch").await?;
                out.context().report_progress("tables", count, Some(count));
                Ok(())
            }
            "panic-after" => {
                for i in 0..count {
                    out.emit(table(i)).await?;
                }
                tokio::task::yield_now().await;
                let empty: Vec<u8> = Vec::new();
                let _ = empty[count as usize];
                Ok(())
            }
            "fail-after" => {
                for i in 0..count {
                    out.emit(table(i)).await?;
                }
                Err(ConnectorError::connection("lost the connection"))
            }
            "endless" => {
                let mut i = 0;
                loop {
                    out.emit(table(i)).await?;
                    i += 1;
                }
            }
            "stuck" => {
                out.emit(table(0)).await?;
                // Ignores cancellation entirely.
                std::future::pending::<()>().await;
                Ok(())
            }
            "leak-emitter" => {
                out.emit(table(0)).await?;
                let held = out.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    drop(held);
                });
                Ok(())
            }
            other => Err(ConnectorError::config(format!("unknown behaviour {other}"))),
        }
    }
}

#[test]
fn records_arrive_in_order_in_bounded_batches() {
    let run = Harness::new(Scripted).batch_size(7).run(source("emit", 50));
    run.assert_ok();
    let fqns = run.fqns(EntityKind::Table);
    assert_eq!(fqns.len(), 50);
    assert_eq!(fqns[0], "svc.db.sch.t0");
    assert_eq!(fqns[49], "svc.db.sch.t49");
    assert!(
        run.batches.iter().all(|&b| (1..=7).contains(&b)),
        "{:?}",
        run.batches
    );
    assert_eq!(run.batches.iter().sum::<usize>(), run.records.len());
    assert_eq!(run.events(EventLevel::Warning).len(), 1);
    assert_eq!(run.events(EventLevel::Filtered)[0].name, "svc.db.sch.tmp");
    assert_eq!(run.events(EventLevel::Failure)[0].reason, "a failure");
    assert_eq!(run.completed_scopes(), [(EntityKind::Table, "svc.db.sch")]);
    assert_eq!(run.progress.last().and_then(|p| p.done), Some(50));
}

#[test]
fn logs_reach_the_host_filtered_by_level() {
    let run = Harness::new(Scripted)
        .log_level("info")
        .run(source("emit", 1));
    run.assert_ok();
    assert_eq!(run.logs.len(), 1, "{:?}", run.logs);
    assert_eq!(run.logs[0].level, LogLevel::INFO);
    assert_eq!(run.logs[0].target, "testkit");
    assert_eq!(run.logs[0].message, "starting emit count=1");

    let verbose = Harness::new(Scripted)
        .log_level("debug")
        .run(source("emit", 1));
    assert!(
        verbose.logs.iter().any(|l| l.message == "a debug line"),
        "{:?}",
        verbose.logs
    );
}

#[test]
fn panic_mid_stream_keeps_earlier_records_and_says_where() {
    let run = testkit::run(Scripted, source("panic-after", 3));
    assert_eq!(run.fqns(EntityKind::Table).len(), 3);
    let error = run.error.expect("the panic is an error");
    assert_eq!(error.kind, ErrorKind::Panic);
    assert!(
        error.message.contains("panicked in run"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("index out of bounds"),
        "{}",
        error.message
    );
    let location = error.location.expect("a location");
    assert!(location.contains("tests/testkit.rs"), "{location}");
}

#[test]
fn panic_in_validate_is_an_open_error() {
    let run = testkit::run(Scripted, source("panic-in-validate", 0));
    assert!(run.records.is_empty());
    let error = run.error.expect("error");
    assert_eq!(error.kind, ErrorKind::Panic);
    assert!(
        error.message.contains("panicked in open: validate blew up"),
        "{}",
        error.message
    );
}

#[test]
fn config_error_from_validate_keeps_its_kind() {
    let error = testkit::run(Scripted, source("reject", 0))
        .error
        .expect("error");
    assert_eq!(error.kind, ErrorKind::Config);
    assert_eq!(error.message, "behaviour `reject` is not allowed");
}

#[test]
fn error_after_records_comes_after_them() {
    let run = testkit::run(Scripted, source("fail-after", 2));
    assert_eq!(run.records.len(), 2);
    let error = run.error.expect("error");
    assert_eq!(error.kind, ErrorKind::Connection);
    assert_eq!(error.message, "lost the connection");
}

#[test]
fn cancel_stops_an_endless_source() {
    let run = Harness::new(Scripted)
        .batch_size(10)
        .cancel_after(25)
        .run(source("endless", 0));
    run.assert_ok();
    // What was buffered when the host cancelled still arrives; then the end.
    assert!(run.records.len() >= 25, "{}", run.records.len());
    assert!(run.records.len() <= 25 + 10 + 1024, "{}", run.records.len());
}

#[test]
fn cancel_stops_a_source_that_ignores_it() {
    let run = Harness::new(Scripted)
        .cancel_after(1)
        .run(source("stuck", 0));
    run.assert_ok();
    assert_eq!(run.records.len(), 1);
}

#[test]
fn host_flag_alone_stops_the_source() {
    // The host sets its flag and keeps pulling; the SDK polls the flag.
    let run = Harness::new(Scripted)
        .host_cancels_after(1)
        .run(source("stuck", 0));
    run.assert_ok();
    assert_eq!(run.records.len(), 1);
    let endless = Harness::new(Scripted)
        .host_cancels_after(5)
        .run(source("endless", 0));
    endless.assert_ok();
    assert!(endless.records.len() >= 5);
}

#[test]
fn run_that_returns_ends_the_stream_even_if_an_emitter_lives_on() {
    let run = testkit::run(Scripted, source("leak-emitter", 0));
    run.assert_ok();
    assert_eq!(run.records.len(), 1);
}

#[test]
fn test_connection_reports_steps_and_panics_become_errors() {
    let report = testkit::test_connection(Scripted, source("emit", 0)).unwrap();
    assert_eq!(report.steps.len(), 2);
    assert!(report.passed(), "only an optional step failed");

    let error = testkit::test_connection(Scripted, source("panic", 0)).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Panic);
    assert!(
        error.message.contains("test_connection blew up"),
        "{}",
        error.message
    );
}

#[test]
fn manifest_is_stamped_with_the_interface_version() {
    let manifest = Harness::new(Scripted).manifest().unwrap();
    assert_eq!(manifest.abi_version, connector_abi_version());
    assert_eq!(manifest.source_types, ["scripted"]);
}

fn connector_abi_version() -> String {
    // The SDK stamps the version of the connector-abi it is built with.
    let toml = include_str!("../../connector-abi/Cargo.toml");
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("connector-abi has a literal version")
        .to_owned()
}

#[tokio::test]
async fn the_kit_works_inside_a_tokio_test() {
    let run = testkit::run(Scripted, source("emit", 3));
    run.assert_ok();
    assert_eq!(run.fqns(EntityKind::Table).len(), 3);
}

#[test]
fn unknown_behaviour_is_a_config_error_of_run() {
    let error = testkit::run(Scripted, source("nope", 0))
        .error
        .expect("error");
    assert_eq!(error.kind, ErrorKind::Config);
}

//! Errors: throttling is ridden out, refused credentials stop the run with a
//! message that says what to fix, and a listing that fails blocks mark-deleted.

mod common;

use common::*;
use connector_sdk::testkit;
use connector_sdk::{EntityKind, EventLevel};
use glue_mock::{Fault, GlueMock};
use glue_pipeline::GluePipelineConnector;
use serde_json::json;

#[tokio::test]
async fn throttling_is_retried_and_changes_nothing() {
    let a = anchor();
    let calm = GlueMock::start(sample_catalog(a)).await;
    let expected = stable_view(&run(source(&calm, json!({}), json!({}))), a);

    let mock = GlueMock::builder(sample_catalog(a))
        .fault(Fault::throttle("ListWorkflows", 2))
        .fault(Fault::throttle("BatchGetWorkflows", 1))
        .fault(Fault::throttle("GetWorkflowRuns", 3))
        .fault(Fault::throttle("GetJobs", 2))
        .fault(Fault::throttle("GetJobRuns", 2))
        .fault(Fault::throttle("ListCrawls", 1))
        .start()
        .await;
    let throttled = run(source(&mock, json!({}), json!({})));
    throttled.assert_ok();
    assert_eq!(stable_view(&throttled, a), expected);
    let throttles = mock
        .requests()
        .iter()
        .filter(|r| r.error.as_deref() == Some("ThrottlingException"))
        .count();
    assert_eq!(throttles, 11);
    assert_eq!(mock.request_count("ListWorkflows"), 3);
}

#[tokio::test]
async fn throttling_beyond_max_attempts_fails_that_part_only() {
    let a = anchor();
    let mock = GlueMock::builder(sample_catalog(a))
        .fault(Fault::throttle("GetWorkflowRuns", 100))
        .start()
        .await;
    let run = run(source(&mock, json!({"maxAttempts": 2}), json!({})));
    run.assert_ok();
    let failures = messages(&run, EventLevel::Failure);
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures[0].contains("requestsPerSecond"), "{failures:#?}");
    // Pipelines were all listed, so mark-deleted may still act.
    assert_eq!(
        run.completed_scopes(),
        [(EntityKind::Pipeline, "glue_jobs")]
    );
}

#[tokio::test]
async fn refused_credentials_stop_the_run_with_a_fix() {
    let a = anchor();
    let mock = GlueMock::builder(sample_catalog(a))
        .bad_access_key("AKIDPIPELINETEST")
        .start()
        .await;
    let run = run(source(&mock, json!({}), json!({})));
    let err = run.error.clone().expect("the run fails");
    assert_eq!(err.kind.to_string(), "connection");
    assert!(err.message.contains("awsAccessKeyId"), "{}", err.message);
    assert!(!err.message.contains("pipeline-secret-value"));
    assert!(run.completed_scopes().is_empty());
}

#[tokio::test]
async fn a_failed_listing_blocks_mark_deleted() {
    let a = anchor();
    let mock = GlueMock::builder(sample_catalog(a))
        .fault(Fault::error("GetCrawlers", "AccessDeniedException"))
        .start()
        .await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let failures = messages(&run, EventLevel::Failure);
    assert!(
        failures.iter().any(|f| f.contains("glue:GetCrawlers")),
        "{failures:#?}"
    );
    assert!(run.completed_scopes().is_empty());
    let warnings = messages(&run, EventLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("no pipeline is marked deleted") && w.contains("GetCrawlers")),
        "{warnings:#?}"
    );
    // Workflows and jobs are still ingested.
    assert!(
        run.fqns(EntityKind::Pipeline)
            .contains(&"glue_jobs.backfill_customers")
    );
}

#[tokio::test]
async fn a_denied_history_falls_back_to_the_last_crawl() {
    let a = anchor();
    let mock = GlueMock::builder(sample_catalog(a))
        .fault(Fault::error("ListCrawls", "AccessDeniedException"))
        .start()
        .await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let statuses = statuses_of(&run, "glue_jobs.partner_share_crawler");
    // The crawler is running now: its last finished crawl started 4 hours ago.
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["executionStatus"], "Pending");
    assert_eq!(
        statuses[0]["timestamp"].as_i64().unwrap(),
        ((a - 14_400.0) * 1000.0) as i64
    );
}

#[tokio::test]
async fn test_connection_reports_each_permission() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let report =
        testkit::test_connection(GluePipelineConnector, source(&mock, json!({}), json!({})))
            .unwrap();
    let steps: Vec<(&str, bool)> = report
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.passed))
        .collect();
    assert_eq!(
        steps,
        [
            ("ListWorkflows", true),
            ("GetJobs", true),
            ("GetJobRuns", true)
        ]
    );
    assert!(
        report.steps[0]
            .message
            .as_deref()
            .unwrap()
            .contains("3 workflows visible")
    );
    assert!(report.passed());
    // Bounded: one small call each.
    assert_eq!(mock.total_requests(), 3);

    let denied = GlueMock::builder(sample_catalog(a))
        .fault(Fault::error("GetJobs", "AccessDeniedException"))
        .start()
        .await;
    let report =
        testkit::test_connection(GluePipelineConnector, source(&denied, json!({}), json!({})))
            .unwrap();
    assert!(!report.passed());
    let jobs = &report.steps[1];
    assert!(!jobs.passed && jobs.mandatory);
    assert!(
        jobs.message.as_deref().unwrap().contains("`glue:GetJobs`"),
        "{jobs:?}"
    );

    let bad = GlueMock::builder(sample_catalog(a))
        .bad_access_key("AKIDPIPELINETEST")
        .start()
        .await;
    let report =
        testkit::test_connection(GluePipelineConnector, source(&bad, json!({}), json!({})))
            .unwrap();
    assert!(!report.passed());
    assert!(
        report.steps[0]
            .message
            .as_deref()
            .unwrap()
            .contains("awsAccessKeyId")
    );
}

#[tokio::test]
async fn manifest_names_the_source_type_and_service() {
    let m = testkit::Harness::new(GluePipelineConnector)
        .manifest()
        .unwrap();
    assert_eq!(m.source_types, ["gluepipeline"]);
    assert_eq!(m.service_type.as_deref(), Some("GluePipeline"));
    assert_eq!(m.connection_type.as_deref(), Some("GluePipeline"));
    assert!(m.config_schema["properties"]["awsConfig"].is_object());
}

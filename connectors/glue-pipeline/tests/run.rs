//! The connector against the Glue emulator: what a run sends for the sample
//! account, and the behaviours users rely on, one test each.

mod common;

use common::*;
use connector_sdk::{EntityKind, EventLevel, Record};
use glue_mock::pipelines::{Job, SyntheticPipelines};
use glue_mock::{GlueMock, Pipelines};
use serde_json::{Map, Value, json};

fn lineage_config() -> Value {
    json!({"lineageInformation": {"dbServiceNames": ["demo_glue"]}})
}

#[tokio::test]
async fn sample_account_snapshot() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(&mock, json!({}), lineage_config()));
    run.assert_ok();
    insta::assert_json_snapshot!("sample_account", stable_view(&run, a));
}

#[tokio::test]
async fn workflow_graph_triggers_jobs_and_crawler() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let p = run.request("glue_jobs.sales_nightly").unwrap();
    let tasks: Vec<(String, String, Vec<String>)> = p["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["taskType"].as_str().unwrap().to_string(),
                serde_json::from_value(t["downstreamTasks"].clone()).unwrap(),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        tasks,
        [
            (
                "sales_nightly_start".into(),
                "TRIGGER".into(),
                s(&["orders_to_revenue"])
            ),
            (
                "orders_to_revenue".into(),
                "JOB".into(),
                s(&["after_revenue"])
            ),
            (
                "after_revenue".into(),
                "TRIGGER".into(),
                s(&["revenue_report", "sales_crawler"])
            ),
            ("revenue_report".into(), "JOB".into(), s(&[])),
            ("sales_crawler".into(), "CRAWLER".into(), s(&[])),
        ]
    );
    assert_eq!(p["scheduleInterval"], "0 2 * * *");
    let created_ms = ((a - 8_640_000.0) * 1000.0) as i64;
    assert_eq!(p["startDate"], glue_pipeline::time::iso8601(created_ms));
    // The workflow's jobs and crawler are tasks, not pipelines of their own.
    let pipelines = run.fqns(EntityKind::Pipeline);
    for member in [
        "orders_to_revenue",
        "revenue_report",
        "sales_crawler",
        "sessionize_clicks",
    ] {
        assert!(
            !pipelines.contains(&format!("glue_jobs.{member}").as_str()),
            "{member}"
        );
    }
    assert_eq!(
        run.request("glue_jobs.clickstream hourly").unwrap()["sourceUrl"],
        "https://us-east-2.console.aws.amazon.com/glue/home?region=us-east-2#/v2/etl-configuration/workflows/view/clickstream%20hourly"
    );
}

#[tokio::test]
async fn more_than_25_workflows_are_all_read() {
    let mut p = Pipelines::synthetic(SyntheticPipelines::new(60, 1, 0));
    p.synthetic.as_mut().unwrap().runs_per_job = 0;
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let workflows: Vec<&str> = run
        .fqns(EntityKind::Pipeline)
        .into_iter()
        .filter(|f| f.starts_with("glue_jobs.wf_"))
        .collect();
    assert_eq!(workflows.len(), 60);
    assert_eq!(workflows[59], "glue_jobs.wf_00059");
    assert_eq!(mock.request_count("ListWorkflows"), 3);
    assert_eq!(mock.request_count("BatchGetWorkflows"), 3);
    assert_eq!(mock.request_count("GetWorkflowRuns"), 60);
    for req in mock
        .requests()
        .iter()
        .filter(|r| r.op == "BatchGetWorkflows")
    {
        assert_eq!(req.body["IncludeGraph"], true);
        assert!(req.body["Names"].as_array().unwrap().len() <= 25);
    }
    assert_eq!(
        run.completed_scopes(),
        [(EntityKind::Pipeline, "glue_jobs")]
    );
}

#[tokio::test]
async fn standalone_jobs_and_crawlers_become_pipelines_unless_turned_off() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let with = run(source(&mock, json!({}), json!({})));
    with.assert_ok();
    let names = with.fqns(EntityKind::Pipeline);
    for standalone in [
        "backfill_customers",
        "export_orders_to_redshift",
        "partner_share_crawler",
        "raw_events_crawler",
    ] {
        assert!(
            names.contains(&format!("glue_jobs.{standalone}").as_str()),
            "{standalone}: {names:?}"
        );
    }
    let crawler = with.request("glue_jobs.partner_share_crawler").unwrap();
    assert_eq!(crawler["tasks"][0]["taskType"], "CRAWLER");
    assert_eq!(crawler["scheduleInterval"], "30 3 * * *");
    assert_eq!(
        with.request("glue_jobs.backfill_customers").unwrap()["scheduleInterval"],
        "0 6 * * MON"
    );

    mock.reset_requests();
    let without = run(source(
        &mock,
        json!({"includeStandaloneJobs": false}),
        lineage_config(),
    ));
    without.assert_ok();
    assert_eq!(
        without.fqns(EntityKind::Pipeline),
        [
            "glue_jobs.sales_nightly",
            "glue_jobs.clickstream hourly",
            "glue_jobs.archive_cleanup"
        ]
    );
    // Jobs are still read for the workflows' lineage; standalone-only calls are not made.
    assert_eq!(mock.request_count("GetJobs"), 1);
    for op in ["GetTriggers", "GetCrawlers", "ListCrawls", "GetJobRuns"] {
        assert_eq!(mock.request_count(op), 0, "{op}");
    }
    assert!(
        edges(&without)
            .iter()
            .all(|e| e.contains("(glue_jobs.sales_nightly)")
                || e.contains("(glue_jobs.clickstream hourly)"))
    );
}

#[tokio::test]
async fn every_run_state_maps_deliberately_and_running_runs_are_pending() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let states = |p: &str| -> Vec<String> {
        statuses_of(&run, p)
            .iter()
            .map(|s| s["executionStatus"].as_str().unwrap().to_string())
            .collect()
    };
    // STARTING, WAITING, STOPPING, EXPIRED, TIMEOUT, ERROR, SUCCEEDED (newest first).
    assert_eq!(
        states("glue_jobs.export_orders_to_redshift"),
        [
            "Pending",
            "Pending",
            "Pending",
            "Failed",
            "Failed",
            "Failed",
            "Successful"
        ]
    );
    // RUNNING (no CompletedOn), SUCCEEDED, STOPPED; the FAILED run is older than a day.
    assert_eq!(
        states("glue_jobs.backfill_customers"),
        ["Pending", "Successful", "Failed"]
    );
    // Crawls: RUNNING, COMPLETED, FAILED, STOPPED.
    assert_eq!(
        states("glue_jobs.partner_share_crawler"),
        ["Pending", "Successful", "Failed", "Failed"]
    );
    // Workflow runs: RUNNING, COMPLETED after a retry, COMPLETED with a failed job,
    // STOPPED, ERROR.
    assert_eq!(
        states("glue_jobs.sales_nightly"),
        ["Pending", "Successful", "Failed", "Failed", "Failed"]
    );
    assert_eq!(
        states("glue_jobs.clickstream hourly"),
        ["Pending", "Failed", "Successful"]
    );

    let running = statuses_of(&run, "glue_jobs.sales_nightly")[0];
    assert!(running.get("endTime").is_none());
    let tasks: Vec<(&str, &str)> = running["taskStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["executionStatus"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("sales_nightly_start", "Successful"),
            ("orders_to_revenue", "Successful"),
            ("after_revenue", "Successful"),
            ("revenue_report", "Pending"),
            ("sales_crawler", "Pending"),
        ]
    );
    // The retried job reports its last attempt, from the first attempt's start.
    let retried = statuses_of(&run, "glue_jobs.sales_nightly")[1];
    let job = &retried["taskStatus"][1];
    assert_eq!(job["executionStatus"], "Successful");
    assert_eq!(
        job["startTime"].as_i64().unwrap(),
        ((a - 18_000.0) * 1000.0) as i64
    );
    assert!(
        job["logLink"]
            .as_str()
            .unwrap()
            .ends_with("/job/orders_to_revenue/run/jr_o2r_0001b")
    );
    // A stopped run's nodes that never ran are skipped.
    let stopped = statuses_of(&run, "glue_jobs.sales_nightly")[3];
    assert_eq!(stopped["taskStatus"][4]["executionStatus"], "Skipped");
    assert_eq!(run.events(EventLevel::Failure).len(), 0);
}

#[tokio::test]
async fn more_than_200_job_runs_are_all_read() {
    let a = anchor();
    let runs: Vec<Value> = (0..450)
        .map(|i| {
            json!({"Id": format!("jr_{i:04}"), "Attempt": 0, "JobRunState": "SUCCEEDED",
                   "StartedOn": a - 60.0 * (i as f64 + 1.0), "CompletedOn": a - 60.0 * (i as f64 + 1.0) + 30.0})
        })
        .collect();
    let job = Job {
        name: "busy".into(),
        runs: runs
            .into_iter()
            .map(|r| serde_json::from_value::<Map<String, Value>>(r).unwrap())
            .collect(),
        fields: Map::new(),
    };
    let p = Pipelines {
        jobs: vec![job],
        ..Pipelines::default()
    };
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    let statuses = statuses_of(&run, "glue_jobs.busy");
    assert_eq!(statuses.len(), 450);
    assert_eq!(mock.request_count("GetJobRuns"), 3);
    let pages: Vec<Value> = mock
        .requests()
        .iter()
        .filter(|r| r.op == "GetJobRuns")
        .map(|r| r.body["MaxResults"].clone())
        .collect();
    assert_eq!(pages, [json!(200), json!(200), json!(200)]);
}

#[tokio::test]
async fn only_runs_within_the_lookback_are_read() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let count = |days: i64| -> usize {
        let r = run(source(
            &mock,
            json!({}),
            json!({"statusLookbackDays": days}),
        ));
        r.assert_ok();
        r.records
            .iter()
            .filter(|r| matches!(r, Record::PipelineStatus { .. }))
            .count()
    };
    let one = count(1);
    let three = count(3);
    // Older than a day: one workflow run, one job run, one crawl.
    assert_eq!(three - one, 3);
    mock.reset_requests();
    assert_eq!(count(0), 0);
    for op in ["GetWorkflowRuns", "GetJobRuns", "ListCrawls"] {
        assert_eq!(mock.request_count(op), 0, "{op}");
    }
}

#[tokio::test]
async fn visual_etl_lineage_resolves_to_glue_tables_as_schemas() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(
        &mock,
        json!({"readScripts": false}),
        lineage_config(),
    ));
    run.assert_ok();
    let e = edges(&run);
    for want in [
        "demo_glue.123456789012.sales.orders -> demo_glue.123456789012.sales.daily_revenue (glue_jobs.sales_nightly)",
        "demo_glue.123456789012.sales.customers -> demo_glue.123456789012.sales.daily_revenue (glue_jobs.sales_nightly)",
        "demo_glue.123456789012.\"lake.raw\".events -> demo_glue.123456789012.sales.customers (glue_jobs.backfill_customers)",
        "s3://acme-raw/events -> demo_glue.123456789012.analytics.clickstream_raw (glue_jobs.clickstream hourly)",
        "demo_glue.123456789012.sales.orders -> demo_glue.dev.public.orders_export (glue_jobs.export_orders_to_redshift)",
        "demo_glue.crm.crm.accounts -> demo_glue.123456789012.analytics.user_profiles (glue_jobs.crm_accounts_ingest)",
    ] {
        assert!(e.contains(&want.to_string()), "missing {want} in {e:#?}");
    }
    let lineage_details = run
        .records
        .iter()
        .find_map(|r| match r {
            Record::Lineage { details, .. } => details.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(lineage_details["source"], "PipelineLineage");
    assert_eq!(lineage_details["pipeline"]["type"], "pipeline");
    // Unresolvable ends are warnings that name them; their job's other ends still link.
    let warnings = messages(&run, EventLevel::Warning);
    assert!(
        warnings.iter().any(|w| w.contains("legacy_sync")
            && w.contains("Glue table archive.old_orders")
            && w.contains("does not exist")),
        "{warnings:#?}"
    );
    assert!(e.contains(&"s3://acme-legacy/dump -> demo_glue.123456789012.sales.legacy_report (glue_jobs.legacy_sync)".to_string()));
    // One GetDatabase per Glue database, one GetConnection per connection.
    assert_eq!(mock.request_count("GetDatabase"), 4);
    assert_eq!(mock.request_count("GetConnection"), 2);
    assert_eq!(mock.request_count("s3:GetObject"), 0);
}

#[tokio::test]
async fn catalog_database_name_replaces_the_catalog_lookup() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(
        &mock,
        json!({"catalogDatabaseName": "prod", "readScripts": false}),
        json!({"lineageInformation": {"dbServiceNames": ["glue_a", "glue_b"]}}),
    ));
    run.assert_ok();
    let e = edges(&run);
    assert!(e.contains(&"glue_a.prod.sales.orders -> glue_a.prod.sales.daily_revenue (glue_jobs.sales_nightly)".to_string()));
    // One candidate per database service: the sink keeps those that exist.
    assert!(e.contains(&"glue_a.prod.sales.orders -> glue_b.prod.sales.daily_revenue (glue_jobs.sales_nightly)".to_string()));
    assert_eq!(mock.request_count("GetDatabase"), 0);
    // The archive database is not looked up, so the edge is sent for the sink to judge.
    assert!(
        e.iter()
            .any(|x| x.starts_with("glue_a.prod.archive.old_orders ->")),
        "{e:#?}"
    );
}

#[tokio::test]
async fn script_lineage_reads_the_script_from_s3() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(&mock, json!({}), lineage_config()));
    run.assert_ok();
    let e = edges(&run);
    assert!(
        e.contains(&"demo_glue.123456789012.sales.daily_revenue -> s3://acme-lake/reports/revenue (glue_jobs.sales_nightly)".to_string()),
        "{e:#?}"
    );
    let s3: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.op == "s3:GetObject")
        .map(|r| r.body["Url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(s3.len(), 2, "only script jobs' scripts are read: {s3:?}");
    assert!(s3.contains(&"s3://acme-scripts/revenue_report.py".to_string()));
    let warnings = messages(&run, EventLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("adhoc_cleanup") && w.contains("NoSuchKey")),
        "{warnings:#?}"
    );
}

#[tokio::test]
async fn a_denied_script_bucket_stops_script_reading_once() {
    let a = anchor();
    let mock = GlueMock::builder(sample_catalog(a))
        .fault(glue_mock::Fault::error("s3:GetObject", "AccessDenied"))
        .start()
        .await;
    let run = run(source(&mock, json!({}), lineage_config()));
    run.assert_ok();
    let about_scripts: Vec<String> = messages(&run, EventLevel::Warning)
        .into_iter()
        .filter(|w| w.contains("script"))
        .collect();
    assert_eq!(about_scripts.len(), 1, "{about_scripts:#?}");
    assert!(
        about_scripts[0].contains("s3:GetObject"),
        "{about_scripts:#?}"
    );
    assert_eq!(mock.request_count("s3:GetObject"), 1);
    // Visual ETL lineage is unaffected.
    assert!(!edges(&run).is_empty());
}

#[tokio::test]
async fn filtered_pipelines_are_reported_and_do_not_block_mark_deleted() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(
        &mock,
        json!({}),
        json!({"pipelineFilterPattern": {"includes": ["SALES", "backfill", "partner"], "excludes": ["backfill_customers$"]}}),
    ));
    run.assert_ok();
    assert_eq!(
        run.fqns(EntityKind::Pipeline),
        ["glue_jobs.sales_nightly", "glue_jobs.partner_share_crawler"]
    );
    let filtered: Vec<String> = run
        .events(EventLevel::Filtered)
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert!(filtered.contains(&"glue_jobs.clickstream hourly".to_string()));
    assert!(filtered.contains(&"glue_jobs.backfill_customers".to_string()));
    assert_eq!(filtered.len(), 8, "{filtered:?}");
    // No statuses or lineage for filtered pipelines.
    assert!(run.records.iter().all(|r| match r {
        Record::PipelineStatus { pipeline, .. } =>
            pipeline == "glue_jobs.sales_nightly" || pipeline == "glue_jobs.partner_share_crawler",
        _ => true,
    }));
    assert_eq!(
        run.completed_scopes(),
        [(EntityKind::Pipeline, "glue_jobs")]
    );
}

#[tokio::test]
async fn a_rerun_sends_the_same_statuses() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let first = stable_view(&run(source(&mock, json!({}), lineage_config())), a);
    let second = stable_view(&run(source(&mock, json!({}), lineage_config())), a);
    assert_eq!(first, second);
    let keys: Vec<String> = first["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["pipeline"], s["status"]["timestamp"]))
        .collect();
    let unique: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "one status per run");
}

#[tokio::test]
async fn mark_deleted_off_sends_no_scope() {
    let a = anchor();
    let mock = GlueMock::start(sample_catalog(a)).await;
    let run = run(source(
        &mock,
        json!({}),
        json!({"markDeletedPipelines": false}),
    ));
    run.assert_ok();
    assert!(run.completed_scopes().is_empty());
}

#[tokio::test]
async fn names_taken_by_workflows_are_not_reused() {
    let p: Pipelines = serde_json::from_value(json!({
        "Workflows": [{"Name": "etl"}],
        "Triggers": [{"Name": "go", "WorkflowName": "etl", "Type": "ON_DEMAND", "Actions": [{"JobName": "load"}]}],
        "Jobs": [{"Name": "load"}, {"Name": "ETL"}],
        "Crawlers": [{"Name": "etl"}]
    }))
    .unwrap();
    let mock = GlueMock::start(catalog_with(p)).await;
    let run = run(source(&mock, json!({}), json!({})));
    run.assert_ok();
    assert_eq!(
        run.fqns(EntityKind::Pipeline),
        [
            "glue_jobs.etl",
            "glue_jobs.ETL (job)",
            "glue_jobs.etl (crawler)"
        ]
    );
    assert_eq!(
        run.request("glue_jobs.ETL (job)").unwrap()["displayName"],
        "ETL"
    );
}

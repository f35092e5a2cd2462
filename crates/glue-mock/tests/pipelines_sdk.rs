//! The pipeline operations as the real AWS SDK reads them.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_glue::types::{NodeType, WorkflowRunStatus};
use glue_mock::pipelines::{Pipelines, SyntheticPipelines};
use glue_mock::{Catalog, GlueMock};

async fn client(mock: &GlueMock) -> aws_sdk_glue::Client {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .region("us-east-1")
        .endpoint_url(mock.url())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_glue::Client::new(&conf)
}

fn sample() -> Catalog {
    Catalog {
        pipelines: Pipelines::sample_at(2_000_000_000.0),
        ..Catalog::sample()
    }
}

#[tokio::test]
async fn workflows_graphs_and_runs() {
    let mock = GlueMock::start(sample()).await;
    let glue = client(&mock).await;
    let names = glue.list_workflows().send().await.unwrap();
    assert_eq!(
        names.workflows(),
        ["sales_nightly", "clickstream hourly", "archive_cleanup"]
    );

    let got = glue
        .batch_get_workflows()
        .names("sales_nightly")
        .names("gone")
        .include_graph(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.missing_workflows(), ["gone"]);
    let wf = &got.workflows()[0];
    let graph = wf.graph().unwrap();
    let kinds: Vec<(&NodeType, &str)> = graph
        .nodes()
        .iter()
        .map(|n| (n.r#type().unwrap(), n.name().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 5);
    assert_eq!(kinds[4], (&NodeType::Crawler, "sales_crawler"));
    assert_eq!(graph.edges().len(), 4);
    assert_eq!(
        wf.last_run().unwrap().status(),
        Some(&WorkflowRunStatus::Running)
    );
    let trigger = graph.nodes()[0]
        .trigger_details()
        .unwrap()
        .trigger()
        .unwrap();
    assert_eq!(trigger.schedule(), Some("cron(0 2 * * ? *)"));

    let runs = glue
        .get_workflow_runs()
        .name("sales_nightly")
        .include_graph(true)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.runs().len(), 2);
    assert!(runs.next_token().is_some());
    let newest = &runs.runs()[0];
    assert!(newest.completed_on().is_none());
    let job = newest
        .graph()
        .unwrap()
        .nodes()
        .iter()
        .find(|n| n.name() == Some("revenue_report"))
        .unwrap();
    assert_eq!(
        job.job_details().unwrap().job_runs()[0].id(),
        Some("jr_rr_0005")
    );
    let retried = &runs.runs()[1];
    assert_eq!(retried.statistics().unwrap().failed_actions(), 1);
}

/// The SDK's deserializer of Visual ETL nodes needs a 2.7 MB stack frame in
/// unoptimised builds: this test runs on a thread with room for it.
#[test]
fn jobs_runs_triggers_crawlers_connections_and_scripts() {
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(jobs_and_the_rest())
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn jobs_and_the_rest() {
    let mock = GlueMock::start(sample()).await;
    let glue = client(&mock).await;
    let jobs = glue.get_jobs().send().await.unwrap();
    let visual = jobs
        .jobs()
        .iter()
        .find(|j| j.name() == Some("orders_to_revenue"))
        .unwrap();
    let nodes = visual.code_gen_configuration_nodes().unwrap();
    assert_eq!(
        nodes["node-orders"].catalog_source().unwrap().table(),
        "orders"
    );

    let runs = glue
        .get_job_runs()
        .job_name("export_orders_to_redshift")
        .send()
        .await
        .unwrap();
    assert_eq!(runs.job_runs().len(), 7);
    assert_eq!(
        runs.job_runs()[0].job_name(),
        Some("export_orders_to_redshift")
    );
    // A workflow job's runs include those made in workflow runs.
    let in_workflow = glue
        .get_job_runs()
        .job_name("orders_to_revenue")
        .send()
        .await
        .unwrap();
    assert_eq!(in_workflow.job_runs().len(), 6);

    let triggers = glue
        .get_triggers()
        .dependent_job_name("backfill_customers")
        .send()
        .await
        .unwrap();
    assert_eq!(triggers.triggers().len(), 1);
    assert_eq!(triggers.triggers()[0].workflow_name(), None);

    let crawlers = glue.get_crawlers().send().await.unwrap();
    let partner = crawlers
        .crawlers()
        .iter()
        .find(|c| c.name() == Some("partner_share_crawler"))
        .unwrap();
    assert_eq!(partner.state().map(|s| s.as_str()), Some("RUNNING"));
    assert_eq!(
        partner.last_crawl().unwrap().status().map(|s| s.as_str()),
        Some("SUCCEEDED")
    );
    let crawls = glue
        .list_crawls()
        .crawler_name("partner_share_crawler")
        .send()
        .await
        .unwrap();
    assert_eq!(crawls.crawls().len(), 5);

    let conn = glue
        .get_connection()
        .name("redshift-prod")
        .hide_password(true)
        .send()
        .await
        .unwrap();
    let props = conn.connection().unwrap().connection_properties().unwrap();
    assert!(props.keys().all(|k| k.as_str() != "PASSWORD"));

    let http = reqwest_free_get(&format!("{}/acme-scripts/revenue_report.py", mock.url())).await;
    assert!(http.contains("from_catalog"));
    assert_eq!(mock.request_count("s3:GetObject"), 1);
}

/// A plain HTTP GET over a TCP socket (the mock answers S3 objects to GET).
async fn reqwest_free_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(
        format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn synthetic_workflows_page_by_25() {
    let catalog = Catalog {
        pipelines: Pipelines::synthetic(SyntheticPipelines::new(60, 2, 10)),
        ..Catalog::default()
    };
    let mock = GlueMock::start(catalog).await;
    let glue = client(&mock).await;
    let mut names = Vec::new();
    let mut pages = glue.list_workflows().into_paginator().send();
    while let Some(page) = pages.next().await {
        names.extend(page.unwrap().workflows().to_vec());
    }
    assert_eq!(names.len(), 60);
    assert_eq!(mock.request_count("ListWorkflows"), 3);
}

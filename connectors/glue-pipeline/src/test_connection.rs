//! `omctl test-connection` for Glue pipelines: can this identity list workflows
//! (`glue:ListWorkflows`), jobs (`glue:GetJobs`) and job runs (`glue:GetJobRuns`)?
//! One small call each, retried briefly; each failure says what to change.

use connector_aws::{AwsCall, AwsClient, classify};
use connector_sdk::{TestConnectionReport, TestStep};

use crate::config::PipelineConfig;

/// Probes give up sooner than a run: the user is waiting.
const PROBE_ATTEMPTS: u32 = 3;

pub async fn run(cfg: &PipelineConfig) -> TestConnectionReport {
    let mut steps = Vec::new();
    let aws = match AwsClient::connect(cfg.aws.clone()).await {
        Ok(a) => a,
        Err(e) => {
            steps.push(TestStep::failed(
                "ListWorkflows",
                true,
                e.to_string(),
                e.to_string(),
            ));
            for step in ["GetJobs", "GetJobRuns"] {
                steps.push(TestStep::failed(
                    step,
                    false,
                    "not run: the AWS settings are not usable",
                    "",
                ));
            }
            return TestConnectionReport { steps };
        }
    };
    let glue = aws.glue_with_max_attempts(PROBE_ATTEMPTS);
    let where_ = format!(
        "region {}, endpoint {}",
        aws.region(),
        aws.endpoint_description()
    );

    let call = AwsCall::new("glue", "ListWorkflows");
    match Box::pin(glue.list_workflows().max_results(25).send()).await {
        Ok(page) => {
            let n = page.workflows().len();
            let more = if page.next_token().is_some() { "+" } else { "" };
            let mut message = format!("{n}{more} workflows visible (glue:ListWorkflows, {where_})");
            if n == 0 {
                message.push_str(
                    ". None is visible: check awsConfig.awsRegion; jobs and crawlers outside workflows are still read",
                );
            }
            steps.push(TestStep::passed("ListWorkflows", true, message));
        }
        Err(e) => {
            let log = connector_aws::error::chain(&e);
            let err = classify(&call, e);
            steps.push(TestStep::failed(
                "ListWorkflows",
                true,
                format!("{err} ({where_})"),
                log,
            ));
            for step in ["GetJobs", "GetJobRuns"] {
                steps.push(TestStep::failed(
                    step,
                    false,
                    "not run: ListWorkflows failed",
                    "",
                ));
            }
            return TestConnectionReport { steps };
        }
    }

    // Standalone jobs and all lineage need the job list.
    let jobs_needed = cfg.include_standalone || cfg.source.include_lineage;
    let call = AwsCall::new("glue", "GetJobs");
    let page = match crate::source::BigStack::start() {
        Ok(big) => crate::source::jobs_page(&big, glue.get_jobs().max_results(10)).await,
        Err(e) => Err(e),
    };
    let first_job = match page {
        Err(e) => {
            steps.push(TestStep::failed("GetJobs", jobs_needed, e.to_string(), ""));
            None
        }
        Ok(Ok((jobs, next))) => {
            let names: Vec<String> = jobs.into_iter().map(|j| j.name).collect();
            let more = if next.is_some() { "+" } else { "" };
            steps.push(TestStep::passed(
                "GetJobs",
                jobs_needed,
                format!("{}{more} jobs visible (glue:GetJobs)", names.len()),
            ));
            names.into_iter().next()
        }
        Ok(Err(e)) => {
            let log = connector_aws::error::chain(&e);
            let err = classify(&call, e);
            steps.push(TestStep::failed(
                "GetJobs",
                jobs_needed,
                format!(
                    "{err}; without it standalone jobs are not ingested and jobs have no lineage"
                ),
                log,
            ));
            None
        }
    };

    let Some(job) = first_job else {
        steps.push(TestStep::passed(
            "GetJobRuns",
            false,
            "no job to read runs of",
        ));
        return TestConnectionReport { steps };
    };
    let call = AwsCall::new("glue", "GetJobRuns").on(format!("job '{job}'"));
    match Box::pin(glue.get_job_runs().job_name(&job).max_results(1).send()).await {
        Ok(page) => steps.push(TestStep::passed(
            "GetJobRuns",
            false,
            format!(
                "runs of job '{job}' readable (glue:GetJobRuns; {} found in the first page)",
                page.job_runs().len()
            ),
        )),
        Err(e) => {
            let log = connector_aws::error::chain(&e);
            let err = classify(&call, e);
            steps.push(TestStep::failed(
                "GetJobRuns",
                false,
                format!("{err}; without it pipelines have no run status"),
                log,
            ));
        }
    }
    TestConnectionReport { steps }
}

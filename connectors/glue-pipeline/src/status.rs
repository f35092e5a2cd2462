//! Glue run states as OpenMetadata pipeline statuses.
//!
//! Every state Glue defines is mapped on purpose (the README has the table):
//! success is `Successful`; failures, time-outs, errors, stops and expiries are
//! `Failed` (a stopped or expired run did not do its work, and OpenMetadata counts
//! cancelled runs as failed too); anything still in flight is `Pending`; a workflow
//! node that did not run in a finished workflow run is `Skipped`. A state Glue adds
//! later is `Pending` while the run has no end time and `Failed` once it has one.
//!
//! A status's `timestamp` is the run's start, so the same run maps to the same
//! status on every ingestion (OpenMetadata keys statuses by timestamp).

use std::collections::HashSet;

use aws_sdk_glue::types::{
    CrawlerHistory, JobRun, LastCrawlInfo, Node, WorkflowRun, WorkflowRunStatistics,
};
use om_spec::generated::entity::data::pipeline::{PipelineStatus, StatusType, TaskStatus};

use crate::pipeline::TaskNames;
use crate::time::millis;
use crate::urls::Console;

/// `JobRunState`.
pub fn job_state(state: Option<&str>, completed: bool) -> StatusType {
    match state {
        Some("SUCCEEDED") => StatusType::Successful,
        Some("FAILED" | "TIMEOUT" | "ERROR" | "STOPPED" | "EXPIRED") => StatusType::Failed,
        Some("STARTING" | "RUNNING" | "STOPPING" | "WAITING") => StatusType::Pending,
        _ => unknown(completed),
    }
}

/// `CrawlState` (a crawl in a workflow run's graph).
pub fn crawl_state(state: Option<&str>, completed: bool) -> StatusType {
    match state {
        Some("SUCCEEDED") => StatusType::Successful,
        Some("FAILED" | "ERROR" | "CANCELLED") => StatusType::Failed,
        Some("RUNNING" | "CANCELLING") => StatusType::Pending,
        _ => unknown(completed),
    }
}

/// `CrawlerHistoryState` (`ListCrawls`).
pub fn crawler_history_state(state: Option<&str>, completed: bool) -> StatusType {
    match state {
        Some("COMPLETED") => StatusType::Successful,
        Some("FAILED" | "STOPPED") => StatusType::Failed,
        Some("RUNNING") => StatusType::Pending,
        _ => unknown(completed),
    }
}

/// `LastCrawlStatus` (`GetCrawlers`' `LastCrawl`).
pub fn last_crawl_status(status: Option<&str>) -> StatusType {
    match status {
        Some("SUCCEEDED") => StatusType::Successful,
        Some("FAILED" | "CANCELLED") => StatusType::Failed,
        _ => StatusType::Pending,
    }
}

fn unknown(completed: bool) -> StatusType {
    if completed {
        StatusType::Failed
    } else {
        StatusType::Pending
    }
}

fn failed_actions(s: &WorkflowRunStatistics) -> i32 {
    s.failed_actions() + s.timeout_actions() + s.errored_actions() + s.stopped_actions()
}

/// `WorkflowRunStatus`: a completed workflow run failed when any of its tasks
/// did (Glue completes a workflow run whatever its jobs did). A job retried to
/// success counts as its last attempt; the run's action statistics, which count
/// every attempt, decide only when the run came without its graph.
pub fn workflow_state(
    status: Option<&str>,
    completed: bool,
    statistics: Option<&WorkflowRunStatistics>,
    tasks: &[TaskStatus],
) -> StatusType {
    let any_failed = if tasks.is_empty() {
        statistics.is_some_and(|s| failed_actions(s) > 0)
    } else {
        tasks
            .iter()
            .any(|t| t.execution_status == StatusType::Failed)
    };
    match status {
        Some("RUNNING" | "STOPPING") => StatusType::Pending,
        Some("STOPPED" | "ERROR") => StatusType::Failed,
        Some("COMPLETED") if any_failed => StatusType::Failed,
        Some("COMPLETED") => StatusType::Successful,
        _ if !completed => StatusType::Pending,
        _ if any_failed => StatusType::Failed,
        _ => StatusType::Successful,
    }
}

/// The attempt that decides a job node's outcome: the last retry.
fn last_attempt(runs: &[JobRun]) -> Option<&JobRun> {
    runs.iter()
        .max_by_key(|r| (r.attempt(), r.started_on().map(millis)))
}

fn job_task(task: String, job: &str, runs: &[JobRun], console: &Console) -> Option<TaskStatus> {
    let last = last_attempt(runs)?;
    let mut t = TaskStatus::new(
        task,
        job_state(
            last.job_run_state().map(|s| s.as_str()),
            last.completed_on().is_some(),
        ),
    );
    t.start_time = runs.iter().filter_map(|r| r.started_on().map(millis)).min();
    t.end_time = last.completed_on().map(millis);
    t.log_link = last.id().map(|id| console.job_run(job, id));
    Some(t)
}

/// One status per workflow run (`GetWorkflowRuns` with the graph): the run's
/// outcome and one task status per graph node. `None` for a run without a start
/// time, which cannot be keyed.
pub fn workflow_run_status(
    run: &WorkflowRun,
    names: &TaskNames,
    console: &Console,
) -> Option<PipelineStatus> {
    let started = run.started_on().map(millis)?;
    let in_flight = run.completed_on().is_none();
    let graph = run.graph();
    let nodes: &[Node] = graph.map(|g| g.nodes()).unwrap_or_default();
    let edges = graph.map(|g| g.edges()).unwrap_or_default();
    let not_run = if in_flight {
        StatusType::Pending
    } else {
        StatusType::Skipped
    };

    let ran: HashSet<&str> = nodes
        .iter()
        .filter(|n| {
            n.job_details().is_some_and(|d| !d.job_runs().is_empty())
                || n.crawler_details().is_some_and(|d| !d.crawls().is_empty())
        })
        .filter_map(|n| n.unique_id())
        .collect();

    let mut tasks = Vec::with_capacity(nodes.len());
    for node in nodes {
        let kind = node.r#type().map_or("UNKNOWN", |t| t.as_str());
        let name = node.name().unwrap_or_default();
        let task = names.task(kind, name);
        let status = match kind {
            "JOB" => {
                let runs = node.job_details().map(|d| d.job_runs()).unwrap_or_default();
                job_task(task.clone(), name, runs, console)
            }
            "CRAWLER" => {
                let crawls = node
                    .crawler_details()
                    .map(|d| d.crawls())
                    .unwrap_or_default();
                crawls
                    .iter()
                    .max_by_key(|c| c.started_on().map(millis))
                    .map(|c| {
                        let mut t = TaskStatus::new(
                            task.clone(),
                            crawl_state(c.state().map(|s| s.as_str()), c.completed_on().is_some()),
                        );
                        t.start_time = c.started_on().map(millis);
                        t.end_time = c.completed_on().map(millis);
                        t
                    })
            }
            "TRIGGER" => {
                // A trigger fired in this run when something it starts ran.
                let fired = node.unique_id().is_some_and(|id| {
                    edges.iter().any(|e| {
                        e.source_id() == Some(id)
                            && e.destination_id().is_some_and(|d| ran.contains(d))
                    })
                });
                fired.then(|| TaskStatus::new(task.clone(), StatusType::Successful))
            }
            _ => None,
        };
        tasks.push(status.unwrap_or_else(|| TaskStatus::new(task, not_run.clone())));
    }

    let state = workflow_state(
        run.status().map(|s| s.as_str()),
        !in_flight,
        run.statistics(),
        &tasks,
    );
    let mut status = PipelineStatus::new(started, state);
    status.end_time = run.completed_on().map(millis);
    status.execution_id = run.workflow_run_id().map(str::to_string);
    status.task_status = Some(tasks);
    Some(status)
}

/// One status per run of a standalone job (`GetJobRuns`); each attempt is a run.
pub fn job_run_status(
    task: &str,
    job: &str,
    run: &JobRun,
    console: &Console,
) -> Option<PipelineStatus> {
    let started = run.started_on().map(millis)?;
    let t = job_task(task.to_string(), job, std::slice::from_ref(run), console)?;
    let mut status = PipelineStatus::new(started, t.execution_status.clone());
    status.end_time = t.end_time;
    status.execution_id = run.id().map(str::to_string);
    status.task_status = Some(vec![t]);
    Some(status)
}

/// One status per crawl of a standalone crawler (`ListCrawls`).
pub fn crawl_status(task: &str, crawl: &CrawlerHistory) -> Option<PipelineStatus> {
    let started = crawl.start_time().map(millis)?;
    let state = crawler_history_state(
        crawl.state().map(|s| s.as_str()),
        crawl.end_time().is_some(),
    );
    let mut t = TaskStatus::new(task.to_string(), state.clone());
    t.start_time = Some(started);
    t.end_time = crawl.end_time().map(millis);
    let mut status = PipelineStatus::new(started, state);
    status.end_time = t.end_time;
    status.execution_id = crawl.crawl_id().map(str::to_string);
    status.task_status = Some(vec![t]);
    Some(status)
}

/// The status of a crawler's last crawl (`GetCrawlers`), for when its history
/// cannot be read. A crawler running now is a crawl in flight.
pub fn last_crawl_status_of(
    task: &str,
    running: bool,
    last: Option<&LastCrawlInfo>,
) -> Option<PipelineStatus> {
    let last = last?;
    let started = last.start_time().map(millis)?;
    let state = if running {
        StatusType::Pending
    } else {
        last_crawl_status(last.status().map(|s| s.as_str()))
    };
    let mut status = PipelineStatus::new(started, state.clone());
    let mut t = TaskStatus::new(task.to_string(), state);
    t.start_time = Some(started);
    status.task_status = Some(vec![t]);
    Some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_run_state_is_mapped() {
        use StatusType::*;
        let table = [
            ("STARTING", Pending),
            ("RUNNING", Pending),
            ("STOPPING", Pending),
            ("WAITING", Pending),
            ("SUCCEEDED", Successful),
            ("FAILED", Failed),
            ("TIMEOUT", Failed),
            ("ERROR", Failed),
            ("STOPPED", Failed),
            ("EXPIRED", Failed),
        ];
        for (state, want) in table {
            assert_eq!(job_state(Some(state), true), want, "{state}");
        }
        assert_eq!(job_state(Some("PAUSED"), false), Pending);
        assert_eq!(job_state(Some("PAUSED"), true), Failed);
        assert_eq!(job_state(None, false), Pending);
    }

    #[test]
    fn crawl_and_workflow_states() {
        use StatusType::*;
        for (s, want) in [
            ("RUNNING", Pending),
            ("CANCELLING", Pending),
            ("CANCELLED", Failed),
            ("SUCCEEDED", Successful),
            ("FAILED", Failed),
            ("ERROR", Failed),
        ] {
            assert_eq!(crawl_state(Some(s), true), want, "{s}");
        }
        for (s, want) in [
            ("RUNNING", Pending),
            ("COMPLETED", Successful),
            ("FAILED", Failed),
            ("STOPPED", Failed),
        ] {
            assert_eq!(crawler_history_state(Some(s), true), want, "{s}");
        }
        let failed_stats = WorkflowRunStatistics::builder().failed_actions(1).build();
        assert_eq!(
            workflow_state(Some("COMPLETED"), true, Some(&failed_stats), &[]),
            Failed
        );
        assert_eq!(
            workflow_state(Some("COMPLETED"), true, None, &[]),
            Successful
        );
        assert_eq!(workflow_state(Some("STOPPING"), false, None, &[]), Pending);
        assert_eq!(workflow_state(Some("ERROR"), true, None, &[]), Failed);
        assert_eq!(workflow_state(Some("STOPPED"), true, None, &[]), Failed);
        // A job retried to success: its last attempt counts, not the statistics.
        let retried = [TaskStatus::new("t".into(), Successful)];
        assert_eq!(
            workflow_state(Some("COMPLETED"), true, Some(&failed_stats), &retried),
            Successful
        );
        let failed_task = [TaskStatus::new("t".into(), Failed)];
        assert_eq!(
            workflow_state(Some("COMPLETED"), true, None, &failed_task),
            Failed
        );
    }
}

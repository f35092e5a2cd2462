//! The run.
//!
//! 1. The pipeline service.
//! 2. Workflows: `ListWorkflows` (25 a page, every page), `BatchGetWorkflows` with
//!    the graph (25 at once); one pipeline each. Their runs (`GetWorkflowRuns` with
//!    the graph, every page) are read by background tasks.
//! 3. Standalone schedules: `GetTriggers` (read while the workflows are), for
//!    scheduled triggers outside workflows.
//! 4. Jobs: `GetJobs` (every page). A job no workflow contains becomes a pipeline
//!    of its own (`includeStandaloneJobs`); lineage is read for every job of an
//!    ingested pipeline; a standalone job's runs come from `GetJobRuns`.
//! 5. Crawlers: `GetCrawlers`; one that no workflow contains becomes a pipeline,
//!    with its crawls from `ListCrawls`.
//! 6. When every listing finished without error: the scope marker that lets the
//!    sink mark unseen pipelines deleted (`markDeletedPipelines`).
//!
//! Background tasks (runs, lineage) run `concurrency` at a time; every record of a
//! pipeline is sent after the pipeline itself.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_glue::operation::get_jobs::GetJobsError;
use aws_sdk_glue::types::{Crawler, TriggerType, Workflow};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use connector_aws::s3::S3Reader;
use connector_aws::{AwsCall, AwsClient, AwsError, classify};
use connector_sdk::{ConnectorError, Emitter, EntityKind, EntityRef, Record};
use om_spec::fqn;
use om_spec::generated::api::services::create_pipeline_service::CreatePipelineServiceRequest;
use om_spec::generated::entity::data::pipeline::PipelineStatus;
use om_spec::generated::entity::services::pipeline_service::PipelineServiceType;
use serde_json::json;
use tokio::task::JoinSet;
use tracing::instrument::WithSubscriber;

use crate::config::{PipelineConfig, aws_error};
use crate::lineage::resolve::Resolver;
use crate::lineage::script::script_lineage;
use crate::lineage::{DataRef, JobLineage};
use crate::pipeline::{
    JobDef, PipelineNames, TaskNames, crawler_pipeline, job_pipeline, workflow_pipeline,
};
use crate::status::{crawl_status, job_run_status, last_crawl_status_of, workflow_run_status};
use crate::time::{millis, now_millis};
use crate::urls::Console;

/// Page sizes: the largest each operation accepts, except `GetWorkflowRuns`,
/// whose runs carry whole graphs.
const WORKFLOWS_PAGE: i32 = 25;
const WORKFLOW_RUNS_PAGE: i32 = 100;
/// `GetJobs` takes up to 1000, but a page of jobs with Visual ETL nodes is large in
/// the SDK's form (about 57 KB a job).
const JOBS_PAGE: i32 = 200;
const JOB_RUNS_PAGE: i32 = 200;
const TRIGGERS_PAGE: i32 = 200;
const CRAWLERS_PAGE: i32 = 1000;
const CRAWLS_PAGE: i32 = 1000;

/// Scripts larger than this are not read for lineage.
pub const MAX_SCRIPT_BYTES: usize = 2 * 1024 * 1024;

/// What every task shares.
pub struct Shared {
    pub cfg: PipelineConfig,
    pub glue: aws_sdk_glue::Client,
    pub out: Emitter,
    pub console: Console,
    resolver: Resolver,
    /// Where pages of jobs are read (see [`BigStack`]).
    big: BigStack,
    scripts: Option<S3Reader>,
    /// Set when reading scripts cannot work for this run (endpoint, permission).
    scripts_off: AtomicBool,
    /// Script reads wait on this until one read has answered, so that a run whose
    /// scripts cannot be read tries once, not once per concurrent task.
    script_probe: tokio::sync::Mutex<bool>,
    /// Runs that started before this (epoch ms) are not read; `None`: no runs.
    cutoff_ms: Option<i64>,
    /// Listings that failed: nothing may be marked deleted.
    incomplete: Mutex<Vec<String>>,
}

impl Shared {
    fn incomplete(&self, what: String) {
        self.incomplete
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(what);
    }
}

/// Background tasks, at most `limit` at once.
struct Tasks {
    set: JoinSet<Result<(), ConnectorError>>,
    limit: usize,
}

impl Tasks {
    fn new(limit: usize) -> Tasks {
        Tasks {
            set: JoinSet::new(),
            limit: limit.max(1),
        }
    }

    async fn spawn<F>(&mut self, task: F) -> Result<(), ConnectorError>
    where
        F: Future<Output = Result<(), ConnectorError>> + Send + 'static,
    {
        while self.set.len() >= self.limit {
            self.join_one().await?;
        }
        // Tasks keep the call's log dispatcher (and so its level filter).
        self.set.spawn(Box::pin(task).with_current_subscriber());
        Ok(())
    }

    async fn join_one(&mut self) -> Result<(), ConnectorError> {
        let Some(joined) = self.set.join_next().await else {
            return Ok(());
        };
        let result = joined.map_err(|e| {
            if e.is_panic() {
                // Re-raised so that the SDK reports the panic with its message.
                std::panic::resume_unwind(e.into_panic())
            }
            ConnectorError::internal(format!("a background task stopped: {e}"))
        })?;
        if result.is_err() {
            self.set.abort_all();
        }
        result
    }

    async fn finish(&mut self) -> Result<(), ConnectorError> {
        while !self.set.is_empty() {
            self.join_one().await?;
        }
        Ok(())
    }
}

/// Stack for polling calls that return jobs. The SDK's deserializer of a job's
/// Visual ETL nodes (`CodeGenConfigurationNodes`, ~90 node kinds) needs a 2.7 MB
/// frame in unoptimised builds, more than a runtime worker thread has.
const BIG_STACK: usize = 32 << 20;

type Work = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// One thread with a [`BIG_STACK`] stack that polls futures to completion, using
/// the runtime's I/O and timers. One thread for the whole run, so that the memory
/// a page of jobs needs is allocated and freed in one place and reused.
pub(crate) struct BigStack {
    tx: std::sync::mpsc::Sender<Work>,
}

impl BigStack {
    /// Starts the thread; it ends when the `BigStack` is dropped.
    pub(crate) fn start() -> Result<BigStack, ConnectorError> {
        let handle = tokio::runtime::Handle::current();
        let (tx, rx) = std::sync::mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name("glue-pipeline-jobs".into())
            .stack_size(BIG_STACK)
            .spawn(move || {
                while let Ok(work) = rx.recv() {
                    handle.block_on(work);
                }
            })
            .map_err(|e| {
                ConnectorError::internal(format!("cannot start a thread to read jobs: {e}"))
            })?;
        Ok(BigStack { tx })
    }

    /// Runs `fut` on the thread and returns its output.
    pub(crate) async fn run<F>(&self, fut: F) -> Result<F::Output, ConnectorError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let fut = fut.with_current_subscriber();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let work: Work = Box::pin(async move {
            let _ = tx.send(fut.await);
        });
        let stopped =
            || ConnectorError::internal("the thread reading jobs stopped without an answer");
        self.tx.send(work).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }
}

/// A page of `GetJobs`, read on the [`BigStack`] thread and reduced to
/// [`JobDef`]s there.
pub(crate) async fn jobs_page(
    big: &BigStack,
    request: aws_sdk_glue::operation::get_jobs::builders::GetJobsFluentBuilder,
) -> Result<
    Result<(Vec<JobDef>, Option<String>), aws_sdk_glue::error::SdkError<GetJobsError>>,
    ConnectorError,
> {
    big.run(async move {
        let page = request.send().await?;
        let jobs = page.jobs().iter().map(JobDef::from).collect();
        Ok((jobs, page.next_token().map(str::to_string)))
    })
    .await
}

/// An error that ends the run (who we are is not accepted), or one that only
/// loses the thing being read.
fn fatal_or(err: AwsError) -> Result<AwsError, ConnectorError> {
    if err.is_auth() {
        Err(ConnectorError::connection(err))
    } else {
        Ok(err)
    }
}

fn pipeline_fqn(service_fqn: &str, name: &str) -> Result<String, String> {
    fqn::quote_name(name)
        .map(|q| format!("{service_fqn}.{q}"))
        .map_err(|e| format!("the name cannot be part of an OpenMetadata name: {e}"))
}

async fn emit_status(
    out: &Emitter,
    pipeline: &str,
    status: &PipelineStatus,
) -> Result<(), ConnectorError> {
    let status = serde_json::to_value(status).map_err(|e| {
        ConnectorError::internal(format!("cannot encode a status of {pipeline}: {e}"))
    })?;
    out.emit(Record::PipelineStatus {
        pipeline: pipeline.to_string(),
        status,
    })
    .await?;
    Ok(())
}

/// Runs the whole source.
pub async fn run(cfg: PipelineConfig, out: Emitter) -> Result<(), ConnectorError> {
    let aws = AwsClient::connect(cfg.aws.clone())
        .await
        .map_err(aws_error)?;
    for w in &aws.settings().warnings {
        out.warn(None, "serviceConnection.config", w.clone())
            .await?;
    }
    let service =
        CreatePipelineServiceRequest::new(cfg.service.clone(), PipelineServiceType::GluePipeline);
    out.entity(
        EntityKind::PipelineService,
        cfg.service_fqn.clone(),
        None,
        &service,
    )
    .await?;
    if cfg.source.include_lineage && cfg.db_services.is_empty() {
        out.warn(
            None,
            "sourceConfig.config.lineageInformation",
            "lineageInformation.dbServiceNames is empty, so only S3 lineage is sent: list the \
             database service(s) the glue connector (and JDBC sources) wrote to link jobs to tables",
        )
        .await?;
    }

    if cfg.source.include_lineage && cfg.source.override_lineage {
        out.warn(
            None,
            "sourceConfig.config.overrideLineage",
            "overrideLineage is not supported yet: edges are added to the lineage the server has, \
             none is removed",
        )
        .await?;
    }

    let glue = aws.glue();
    let scripts = (cfg.source.include_lineage && cfg.read_scripts)
        .then(|| aws.s3_reader(cfg.script_endpoint()));
    let shared = Arc::new(Shared {
        resolver: Resolver::new(
            glue.clone(),
            aws.catalog_id().map(str::to_string),
            cfg.catalog_database_name.clone(),
            cfg.db_services.clone(),
        ),
        cutoff_ms: cfg.status_cutoff_ms(now_millis()),
        console: Console::new(aws.region()),
        scripts,
        big: BigStack::start()?,
        scripts_off: AtomicBool::new(false),
        script_probe: tokio::sync::Mutex::new(false),
        incomplete: Mutex::new(Vec::new()),
        glue,
        out,
        cfg,
    });

    let mut tasks = Tasks::new(shared.cfg.concurrency);
    let mut names = PipelineNames::default();
    // The phases' futures hold SDK call futures, which are large: boxed, they
    // stay off the worker thread's stack.
    // Standalone schedules do not depend on the workflows: read them meanwhile.
    let schedules = shared.cfg.include_standalone.then(|| {
        let shared = shared.clone();
        tokio::spawn(
            async move { Box::pin(standalone_schedules(&shared)).await }.with_current_subscriber(),
        )
    });
    let members = Box::pin(workflows(&shared, &mut tasks, &mut names)).await?;
    let schedules = match schedules {
        Some(handle) => handle.await.map_err(|e| {
            ConnectorError::internal(format!("reading trigger schedules stopped: {e}"))
        })??,
        None => HashMap::new(),
    };
    let need_jobs = shared.cfg.include_standalone || shared.cfg.source.include_lineage;
    if need_jobs {
        Box::pin(jobs(&shared, &mut tasks, &mut names, &members, &schedules)).await?;
    }
    if shared.cfg.include_standalone {
        Box::pin(crawlers(&shared, &mut tasks, &mut names, &members)).await?;
    }
    tasks.finish().await?;

    if shared.cfg.source.mark_deleted_pipelines {
        let failed = shared
            .incomplete
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if failed.is_empty() {
            shared
                .out
                .scope_complete(EntityKind::Pipeline, shared.cfg.service_fqn.clone())
                .await?;
        } else {
            shared
                .out
                .warn(
                    EntityKind::PipelineService,
                    shared.cfg.service_fqn.clone(),
                    format!(
                        "no pipeline is marked deleted in this run because these listings failed: {}",
                        failed.join("; ")
                    ),
                )
                .await?;
        }
    }
    Ok(())
}

/// The jobs and crawlers that belong to ingested workflows.
#[derive(Debug, Default)]
struct Members {
    /// Job name -> the pipelines (FQNs) whose graphs contain it; a job of a
    /// filtered-out workflow maps to no pipeline but is still not standalone.
    jobs: HashMap<String, Vec<String>>,
    crawlers: HashSet<String>,
}

async fn workflows(
    shared: &Arc<Shared>,
    tasks: &mut Tasks,
    names: &mut PipelineNames,
) -> Result<Members, ConnectorError> {
    let mut members = Members::default();
    let mut listed = 0u64;
    let list = |token: Option<String>| {
        let request = shared
            .glue
            .list_workflows()
            .max_results(WORKFLOWS_PAGE)
            .set_next_token(token);
        tokio::spawn(async move { request.send().await }.with_current_subscriber())
    };
    let mut next = Some((false, list(None)));
    while let Some((continued, listing)) = next.take() {
        let call = AwsCall::new("glue", "ListWorkflows");
        let listed_page = listing
            .await
            .map_err(|e| ConnectorError::internal(format!("listing workflows stopped: {e}")))?;
        let page = match listed_page {
            Ok(p) => p,
            Err(e) => {
                let err = classify(&call, e);
                if !continued {
                    // Nothing at all can be read: the run cannot do its job.
                    return Err(aws_error(err));
                }
                let err = fatal_or(err)?;
                shared
                    .out
                    .fail(
                        None,
                        "ListWorkflows",
                        format!("listing workflows stopped: {err}"),
                    )
                    .await?;
                shared.incomplete(format!("ListWorkflows ({err})"));
                break;
            }
        };
        // The next page is asked for while this one's workflows are read.
        next = page.next_token().map(|t| (true, list(Some(t.to_string()))));
        let batch: Vec<String> = page.workflows().to_vec();
        if !batch.is_empty() {
            let call = AwsCall::new("glue", "BatchGetWorkflows");
            match Box::pin(
                shared
                    .glue
                    .batch_get_workflows()
                    .set_names(Some(batch.clone()))
                    .include_graph(true)
                    .send(),
            )
            .await
            {
                Ok(got) => {
                    for wf in got.workflows() {
                        workflow(shared, tasks, names, &mut members, wf).await?;
                    }
                    // Deleted between the listing and now: nothing to ingest.
                    for missing in got.missing_workflows() {
                        tracing::debug!("workflow {missing} was deleted while the run read it");
                    }
                }
                Err(e) => {
                    let err = fatal_or(classify(&call, e))?;
                    for name in &batch {
                        let subject = pipeline_fqn(&shared.cfg.service_fqn, name)
                            .unwrap_or_else(|_| name.clone());
                        shared
                            .out
                            .fail(
                                EntityKind::Pipeline,
                                subject,
                                format!("the workflow could not be read: {err}"),
                            )
                            .await?;
                    }
                    shared.incomplete(format!("BatchGetWorkflows ({err})"));
                }
            }
        }
        listed += batch.len() as u64;
        shared
            .out
            .context()
            .report_progress("Glue workflows read", listed, None);
    }
    Ok(members)
}

async fn workflow(
    shared: &Arc<Shared>,
    tasks: &mut Tasks,
    names: &mut PipelineNames,
    members: &mut Members,
    wf: &Workflow,
) -> Result<(), ConnectorError> {
    let name = wf.name().unwrap_or_default();
    let p = workflow_pipeline(wf, &shared.cfg.service_fqn, &shared.console);
    let claimed = names.claim(name, "workflow");
    let fqn = match pipeline_fqn(&shared.cfg.service_fqn, &claimed) {
        Ok(f) => f,
        Err(reason) => {
            shared
                .out
                .fail(EntityKind::Pipeline, name.to_string(), reason)
                .await?;
            return Ok(());
        }
    };
    let filtered = shared.cfg.filter.excludes(name);
    for job in &p.jobs {
        let entry = members.jobs.entry(job.clone()).or_default();
        if !filtered {
            entry.push(fqn.clone());
        }
    }
    members.crawlers.extend(p.crawlers.iter().cloned());
    if filtered {
        shared
            .out
            .filtered(EntityKind::Pipeline, fqn, "Pipeline Filtered Out")
            .await?;
        return Ok(());
    }
    if !p.has_graph {
        shared
            .out
            .warn(
                EntityKind::Pipeline,
                fqn.clone(),
                "Glue returned the workflow without its graph, so the pipeline has no tasks and its jobs \
                 count as standalone",
            )
            .await?;
    }
    shared
        .out
        .entity(
            EntityKind::Pipeline,
            fqn.clone(),
            Some(&shared.cfg.service_fqn),
            &p.request,
        )
        .await?;
    if shared.cutoff_ms.is_some() {
        let (shared, name) = (shared.clone(), name.to_string());
        tasks
            .spawn(async move { workflow_runs(shared, name, fqn, p.task_names).await })
            .await?;
    }
    Ok(())
}

/// The tokens of a paged listing: `None` once the last page was read.
#[derive(Debug, Default)]
struct Pages {
    token: Option<String>,
    done: bool,
}

impl Pages {
    /// The token to ask for the next page with (`Some(None)`: the first page).
    fn next(&mut self) -> Option<Option<String>> {
        (!self.done).then(|| self.token.take())
    }

    /// Records a page's next token.
    fn after(&mut self, token: Option<&str>) {
        self.token = token.map(str::to_string);
        self.done = self.token.is_none();
    }
}

/// Sends one page request: the page, or the error that loses only this listing
/// (an error about who we are ends the run).
async fn fetch<T, E>(
    call: &AwsCall,
    send: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Result<T, AwsError>, ConnectorError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match Box::pin(send).await {
        Ok(page) => Ok(Ok(page)),
        Err(e) => fatal_or(classify(call, e)).map(Err),
    }
}

/// The statuses of one workflow's runs within the lookback.
async fn workflow_runs(
    shared: Arc<Shared>,
    name: String,
    fqn: String,
    task_names: TaskNames,
) -> Result<(), ConnectorError> {
    let cutoff = shared.cutoff_ms.unwrap_or(i64::MAX);
    let call = AwsCall::new("glue", "GetWorkflowRuns").on(format!("workflow '{name}'"));
    let mut pages = Pages::default();
    while let Some(token) = pages.next() {
        let request = shared
            .glue
            .get_workflow_runs()
            .name(&name)
            .include_graph(true)
            .max_results(WORKFLOW_RUNS_PAGE)
            .set_next_token(token);
        let page = match fetch(&call, request.send()).await? {
            Ok(p) => p,
            Err(err) => {
                let reason = format!("the runs of this workflow could not be read: {err}");
                shared.out.fail(EntityKind::Pipeline, fqn, reason).await?;
                return Ok(());
            }
        };
        pages.after(page.next_token());
        for run in page.runs() {
            if run.started_on().map(millis).is_none_or(|s| s < cutoff) {
                continue;
            }
            if let Some(status) = workflow_run_status(run, &task_names, &shared.console) {
                emit_status(&shared.out, &fqn, &status).await?;
            }
        }
    }
    Ok(())
}

/// Glue schedules of scheduled triggers outside workflows, by the job they start.
async fn standalone_schedules(
    shared: &Arc<Shared>,
) -> Result<HashMap<String, String>, ConnectorError> {
    let mut schedules = HashMap::new();
    let call = AwsCall::new("glue", "GetTriggers");
    let mut pages = Pages::default();
    while let Some(token) = pages.next() {
        let request = shared
            .glue
            .get_triggers()
            .max_results(TRIGGERS_PAGE)
            .set_next_token(token);
        let page = match fetch(&call, request.send()).await? {
            Ok(p) => p,
            Err(err) => {
                // Schedules are a detail of standalone pipelines, not a reason to stop.
                let reason = format!("standalone jobs get no schedule: {err}");
                shared.out.warn(None, "GetTriggers", reason).await?;
                break;
            }
        };
        pages.after(page.next_token());
        for t in page.triggers() {
            let active = t.state().is_none_or(|s| s.as_str() != "DEACTIVATED");
            if t.workflow_name().is_some() || t.r#type() != Some(&TriggerType::Scheduled) || !active
            {
                continue;
            }
            let Some(schedule) = t.schedule() else {
                continue;
            };
            for job in t.actions().iter().filter_map(|a| a.job_name()) {
                schedules
                    .entry(job.to_string())
                    .or_insert_with(|| schedule.to_string());
            }
        }
    }
    Ok(schedules)
}

async fn jobs(
    shared: &Arc<Shared>,
    tasks: &mut Tasks,
    names: &mut PipelineNames,
    members: &Members,
    schedules: &HashMap<String, String>,
) -> Result<(), ConnectorError> {
    let call = AwsCall::new("glue", "GetJobs");
    let mut read = 0u64;
    let fetch = |token: Option<String>| {
        let shared = shared.clone();
        tokio::spawn(
            async move {
                let request = shared
                    .glue
                    .get_jobs()
                    .max_results(JOBS_PAGE)
                    .set_next_token(token);
                jobs_page(&shared.big, request).await
            }
            .with_current_subscriber(),
        )
    };
    let mut next = Some(fetch(None));
    while let Some(pending) = next.take() {
        let fetched = pending
            .await
            .map_err(|e| ConnectorError::internal(format!("listing jobs stopped: {e}")))??;
        let (page, token) = match fetched {
            Ok(p) => p,
            Err(e) => {
                let err = fatal_or(classify(&call, e))?;
                shared
                    .out
                    .fail(
                        None,
                        "GetJobs",
                        format!(
                            "listing jobs stopped, so some jobs have no pipeline or lineage: {err}"
                        ),
                    )
                    .await?;
                if shared.cfg.include_standalone {
                    shared.incomplete(format!("GetJobs ({err})"));
                }
                return Ok(());
            }
        };
        // The next page is read while this one's jobs are.
        next = token.map(|t| fetch(Some(t)));
        for job in page {
            let job_name = job.name.clone();
            let pipelines: Vec<String> = match members.jobs.get(&job_name) {
                Some(in_workflows) => in_workflows.clone(),
                None if shared.cfg.include_standalone => {
                    match standalone_job(shared, names, &job, schedules.get(&job_name)).await? {
                        Some(fqn) => vec![fqn],
                        None => continue,
                    }
                }
                None => continue,
            };
            if pipelines.is_empty() {
                continue;
            }
            let standalone = !members.jobs.contains_key(&job_name);
            let shared = shared.clone();
            tasks
                .spawn(async move {
                    if shared.cfg.source.include_lineage {
                        job_lineage(&shared, &job, &pipelines).await?;
                    }
                    if standalone && shared.cutoff_ms.is_some() {
                        job_runs(&shared, &job_name, &pipelines[0]).await?;
                    }
                    Ok(())
                })
                .await?;
            read += 1;
        }
        shared
            .out
            .context()
            .report_progress("Glue jobs read", read, None);
    }
    Ok(())
}

/// Sends the pipeline of a standalone job; its FQN, or `None` when filtered out or
/// not nameable.
async fn standalone_job(
    shared: &Arc<Shared>,
    names: &mut PipelineNames,
    job: &JobDef,
    schedule: Option<&String>,
) -> Result<Option<String>, ConnectorError> {
    let job_name = job.name.as_str();
    let claimed = names.claim(job_name, "job");
    let fqn = match pipeline_fqn(&shared.cfg.service_fqn, &claimed) {
        Ok(f) => f,
        Err(reason) => {
            shared
                .out
                .fail(EntityKind::Pipeline, job_name.to_string(), reason)
                .await?;
            return Ok(None);
        }
    };
    if shared.cfg.filter.excludes(&claimed) {
        shared
            .out
            .filtered(EntityKind::Pipeline, fqn, "Pipeline Filtered Out")
            .await?;
        return Ok(None);
    }
    let request = job_pipeline(
        job,
        &claimed,
        schedule.map(String::as_str),
        &shared.cfg.service_fqn,
        &shared.console,
    );
    shared
        .out
        .entity(
            EntityKind::Pipeline,
            fqn.clone(),
            Some(&shared.cfg.service_fqn),
            &request,
        )
        .await?;
    Ok(Some(fqn))
}

/// The statuses of a standalone job's runs within the lookback (`GetJobRuns`).
async fn job_runs(shared: &Arc<Shared>, job: &str, fqn: &str) -> Result<(), ConnectorError> {
    let cutoff = shared.cutoff_ms.unwrap_or(i64::MAX);
    let call = AwsCall::new("glue", "GetJobRuns").on(format!("job '{job}'"));
    let mut pages = Pages::default();
    while let Some(token) = pages.next() {
        let request = shared
            .glue
            .get_job_runs()
            .job_name(job)
            .max_results(JOB_RUNS_PAGE)
            .set_next_token(token);
        let page = match fetch(&call, request.send()).await? {
            Ok(p) => p,
            Err(err) => {
                let reason = format!("the runs of this job could not be read: {err}");
                shared
                    .out
                    .fail(EntityKind::Pipeline, fqn.to_string(), reason)
                    .await?;
                return Ok(());
            }
        };
        pages.after(page.next_token());
        for run in page.job_runs() {
            if run.started_on().map(millis).is_none_or(|s| s < cutoff) {
                continue;
            }
            if let Some(status) = job_run_status(job, job, run, &shared.console) {
                emit_status(&shared.out, fqn, &status).await?;
            }
        }
    }
    Ok(())
}

async fn crawlers(
    shared: &Arc<Shared>,
    tasks: &mut Tasks,
    names: &mut PipelineNames,
    members: &Members,
) -> Result<(), ConnectorError> {
    let call = AwsCall::new("glue", "GetCrawlers");
    let mut pages = Pages::default();
    while let Some(token) = pages.next() {
        let request = shared
            .glue
            .get_crawlers()
            .max_results(CRAWLERS_PAGE)
            .set_next_token(token);
        let page = match fetch(&call, request.send()).await? {
            Ok(p) => p,
            Err(err) => {
                let reason =
                    format!("listing crawlers stopped, so some crawlers have no pipeline: {err}");
                shared.out.fail(None, "GetCrawlers", reason).await?;
                shared.incomplete(format!("GetCrawlers ({err})"));
                return Ok(());
            }
        };
        pages.after(page.next_token());
        for crawler in page.crawlers.unwrap_or_default() {
            standalone_crawler(shared, tasks, names, members, crawler).await?;
        }
    }
    Ok(())
}

/// Sends the pipeline of a crawler outside every workflow, and reads its crawls.
async fn standalone_crawler(
    shared: &Arc<Shared>,
    tasks: &mut Tasks,
    names: &mut PipelineNames,
    members: &Members,
    crawler: Crawler,
) -> Result<(), ConnectorError> {
    let crawler_name = crawler.name().unwrap_or_default().to_string();
    if members.crawlers.contains(&crawler_name) {
        return Ok(());
    }
    let claimed = names.claim(&crawler_name, "crawler");
    let fqn = match pipeline_fqn(&shared.cfg.service_fqn, &claimed) {
        Ok(f) => f,
        Err(reason) => {
            shared
                .out
                .fail(EntityKind::Pipeline, crawler_name, reason)
                .await?;
            return Ok(());
        }
    };
    if shared.cfg.filter.excludes(&claimed) {
        shared
            .out
            .filtered(EntityKind::Pipeline, fqn, "Pipeline Filtered Out")
            .await?;
        return Ok(());
    }
    let request = crawler_pipeline(&crawler, &claimed, &shared.cfg.service_fqn, &shared.console);
    shared
        .out
        .entity(
            EntityKind::Pipeline,
            fqn.clone(),
            Some(&shared.cfg.service_fqn),
            &request,
        )
        .await?;
    if shared.cutoff_ms.is_some() {
        let shared = shared.clone();
        tasks
            .spawn(async move { crawls(&shared, &crawler, &fqn).await })
            .await?;
    }
    Ok(())
}

/// The statuses of a standalone crawler's crawls within the lookback
/// (`ListCrawls`), or of its last crawl when the history cannot be read.
async fn crawls(shared: &Arc<Shared>, crawler: &Crawler, fqn: &str) -> Result<(), ConnectorError> {
    let cutoff = shared.cutoff_ms.unwrap_or(i64::MAX);
    let name = crawler.name().unwrap_or_default();
    let call = AwsCall::new("glue", "ListCrawls").on(format!("crawler '{name}'"));
    let mut pages = Pages::default();
    while let Some(token) = pages.next() {
        let request = shared
            .glue
            .list_crawls()
            .crawler_name(name)
            .max_results(CRAWLS_PAGE)
            .set_next_token(token);
        let page = match fetch(&call, request.send()).await? {
            Ok(p) => p,
            Err(err) => {
                let reason = format!(
                    "the crawl history could not be read, so only the last crawl is reported: {err}"
                );
                shared
                    .out
                    .warn(EntityKind::Pipeline, fqn.to_string(), reason)
                    .await?;
                let running = crawler.state().is_some_and(|s| s.as_str() == "RUNNING");
                if let Some(status) = last_crawl_status_of(name, running, crawler.last_crawl())
                    && status.timestamp >= cutoff
                {
                    emit_status(&shared.out, fqn, &status).await?;
                }
                return Ok(());
            }
        };
        pages.after(page.next_token());
        for crawl in page.crawls() {
            if crawl.start_time().map(millis).is_none_or(|s| s < cutoff) {
                continue;
            }
            if let Some(status) = crawl_status(name, crawl) {
                emit_status(&shared.out, fqn, &status).await?;
            }
        }
    }
    Ok(())
}

/// Reads a script job's script; warnings say why there is none.
async fn script_of(
    shared: &Shared,
    job: &JobDef,
    pipeline: &str,
) -> Result<Option<String>, ConnectorError> {
    let (Some(reader), Some(location)) = (shared.scripts.as_ref(), job.script_location.as_deref())
    else {
        return Ok(None);
    };
    let mut probe = Some(shared.script_probe.lock().await);
    if probe.as_deref() == Some(&true) {
        probe = None;
    }
    if shared.scripts_off.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let job_name = job.name.as_str();
    let read = reader.get_text(location, MAX_SCRIPT_BYTES).await;
    // Held until the outcome is known, so that waiters see `scripts_off`.
    if let Some(answered) = probe.as_mut() {
        **answered = true;
    }
    match read {
        Ok(text) => Ok(Some(text)),
        Err(e @ (AwsError::NotFound { .. } | AwsError::Other { .. })) => {
            shared
                .out
                .warn(
                    EntityKind::Pipeline,
                    pipeline.to_string(),
                    format!("job {job_name}: its script was not read, so it has no lineage: {e}"),
                )
                .await?;
            Ok(None)
        }
        Err(e) => {
            // Endpoint, credentials or permission: every other script fails alike.
            if !shared.scripts_off.swap(true, Ordering::Relaxed) {
                shared
                    .out
                    .warn(
                        None,
                        "script lineage",
                        format!(
                            "scripts are not read in this run, so script jobs have no lineage: {e}. Grant \
                             s3:GetObject on the script buckets, set connectionArguments.s3EndpointUrl, or \
                             set connectionArguments.readScripts to false"
                        ),
                    )
                    .await?;
            }
            Ok(None)
        }
    }
}

/// The candidate entities of datasets; a dataset without any is a warning on the
/// job's (first) pipeline.
async fn resolve_all(
    shared: &Shared,
    refs: Vec<DataRef>,
    job_name: &str,
    pipeline: &str,
) -> Result<Vec<EntityRef>, ConnectorError> {
    // Without database services only S3 ends can be named (warned once per run).
    let tables = !shared.cfg.db_services.is_empty();
    let mut out: Vec<EntityRef> = Vec::new();
    for r in refs {
        if !tables && !matches!(r, DataRef::S3 { .. }) {
            continue;
        }
        match shared.resolver.resolve(&r).await {
            Ok(candidates) => out.extend(candidates),
            Err(reason) => {
                shared
                    .out
                    .warn(
                        EntityKind::Pipeline,
                        pipeline.to_string(),
                        format!("job {job_name}: {r} is left out of lineage: {reason}"),
                    )
                    .await?;
            }
        }
    }
    Ok(out)
}

/// A job's lineage: every source × target pair, once per pipeline it is in.
async fn job_lineage(
    shared: &Shared,
    job: &JobDef,
    pipelines: &[String],
) -> Result<(), ConnectorError> {
    let job_name = job.name.as_str();
    let lineage: JobLineage = match &job.visual {
        Some(l) => l.clone(),
        None => match script_of(shared, job, &pipelines[0]).await? {
            Some(text) => script_lineage(&text),
            None => return Ok(()),
        },
    };
    let sources = resolve_all(shared, lineage.sources, job_name, &pipelines[0]).await?;
    let targets = resolve_all(shared, lineage.targets, job_name, &pipelines[0]).await?;
    for pipeline in pipelines {
        let details = json!({
            "pipeline": {"type": "pipeline", "fqn": pipeline},
            "source": "PipelineLineage",
        });
        let mut sent: HashSet<(&str, &str)> = HashSet::new();
        for from in &sources {
            for to in &targets {
                if from == to || !sent.insert((from.fqn.as_str(), to.fqn.as_str())) {
                    continue;
                }
                shared
                    .out
                    .emit(Record::Lineage {
                        from: from.clone(),
                        to: to.clone(),
                        details: Some(details.clone()),
                    })
                    .await?;
            }
        }
    }
    Ok(())
}

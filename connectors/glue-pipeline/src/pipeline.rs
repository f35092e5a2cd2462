//! Glue workflows, jobs and crawlers as OpenMetadata pipelines.
//!
//! A workflow's graph gives one task per node (trigger, job, crawler), with the
//! node type as `taskType` and `downstreamTasks` from the graph's edges. A job or a
//! crawler that belongs to no workflow is a pipeline with one task.

use std::collections::{HashMap, HashSet};

use aws_sdk_glue::types::{Crawler, Job, Node, Trigger, TriggerType, Workflow};
use om_spec::generated::api::data::create_pipeline::CreatePipelineRequest;
use om_spec::generated::entity::data::pipeline::Task;

use crate::lineage::JobLineage;
use crate::lineage::visual::visual_lineage;
use crate::schedule::cron_expression;
use crate::time::{iso8601, millis};
use crate::urls::Console;

/// The task name of each graph node, by (node type, node name). Names are unique
/// within a pipeline: a second node with a taken name (a trigger and a job may
/// share one) gets its type appended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskNames(HashMap<(String, String), String>);

impl TaskNames {
    /// The task of a node; a node the pipeline does not know (the workflow changed
    /// after the run) keeps its own name.
    pub fn task(&self, node_type: &str, node_name: &str) -> String {
        self.0
            .get(&(node_type.to_string(), node_name.to_string()))
            .cloned()
            .unwrap_or_else(|| node_name.to_string())
    }
}

/// A workflow as a pipeline, with what the rest of the run needs from its graph.
#[derive(Debug, Clone)]
pub struct WorkflowPipeline {
    pub request: CreatePipelineRequest,
    pub task_names: TaskNames,
    /// The jobs and crawlers of its graph: they are not standalone.
    pub jobs: Vec<String>,
    pub crawlers: Vec<String>,
    /// Whether Glue returned the graph (some emulators do not).
    pub has_graph: bool,
}

fn node_type(node: &Node) -> String {
    node.r#type()
        .map_or_else(|| "UNKNOWN".to_string(), |t| t.as_str().to_string())
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// What a trigger does, in one line.
pub fn describe_trigger(t: &Trigger) -> Option<String> {
    let what = match t.r#type()? {
        TriggerType::Scheduled => match t.schedule() {
            Some(s) => format!("Scheduled trigger: {s}"),
            None => "Scheduled trigger".to_string(),
        },
        TriggerType::OnDemand => "On-demand trigger".to_string(),
        TriggerType::Event => "Event trigger".to_string(),
        TriggerType::Conditional => {
            let joiner = match t.predicate().and_then(|p| p.logical()).map(|l| l.as_str()) {
                Some("ANY") => " or ",
                _ => " and ",
            };
            let conditions: Vec<String> = t
                .predicate()
                .map(|p| p.conditions())
                .unwrap_or_default()
                .iter()
                .filter_map(|c| {
                    if let Some(job) = c.job_name() {
                        Some(format!(
                            "job {job} is {}",
                            c.state().map_or("?", |s| s.as_str())
                        ))
                    } else {
                        c.crawler_name().map(|crawler| {
                            format!(
                                "crawler {crawler} is {}",
                                c.crawl_state().map_or("?", |s| s.as_str())
                            )
                        })
                    }
                })
                .collect();
            if conditions.is_empty() {
                "Conditional trigger".to_string()
            } else {
                format!("Conditional trigger: when {}", conditions.join(joiner))
            }
        }
        other => format!("{} trigger", other.as_str()),
    };
    let deactivated = t.state().is_some_and(|s| s.as_str() == "DEACTIVATED");
    Some(if deactivated {
        format!("{what} (deactivated)")
    } else {
        what
    })
}

/// The pipeline of a workflow (`BatchGetWorkflows`/`GetWorkflow` with the graph).
pub fn workflow_pipeline(wf: &Workflow, service_fqn: &str, console: &Console) -> WorkflowPipeline {
    let name = wf.name().unwrap_or_default().to_string();
    let graph = wf.graph();
    let nodes: &[Node] = graph.map(|g| g.nodes()).unwrap_or_default();
    let edges = graph.map(|g| g.edges()).unwrap_or_default();

    let mut names = TaskNames::default();
    let mut by_id: HashMap<&str, String> = HashMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    for node in nodes {
        let kind = node_type(node);
        let node_name = node.name().unwrap_or_default();
        let mut task = node_name.to_string();
        if taken.contains(&task) {
            task = format!("{node_name} ({})", kind.to_lowercase());
            let mut n = 2;
            while taken.contains(&task) {
                task = format!("{node_name} ({} {n})", kind.to_lowercase());
                n += 1;
            }
        }
        taken.insert(task.clone());
        names.0.insert((kind, node_name.to_string()), task.clone());
        if let Some(id) = node.unique_id() {
            by_id.insert(id, task);
        }
    }

    let mut tasks = Vec::with_capacity(nodes.len());
    let mut jobs = Vec::new();
    let mut crawlers = Vec::new();
    let mut schedule = None;
    for node in nodes {
        let kind = node_type(node);
        let node_name = node.name().unwrap_or_default();
        let mut downstream: Vec<String> = Vec::new();
        if let Some(id) = node.unique_id() {
            for e in edges.iter().filter(|e| e.source_id() == Some(id)) {
                // Edges to nodes the graph does not list are dropped.
                if let Some(t) = e.destination_id().and_then(|d| by_id.get(d))
                    && !downstream.contains(t)
                {
                    downstream.push(t.clone());
                }
            }
        }
        let mut task = Task::new(names.task(&kind, node_name));
        task.display_name = Some(node_name.to_string());
        task.task_type = Some(kind.clone());
        task.downstream_tasks = Some(downstream);
        match kind.as_str() {
            "JOB" => {
                task.source_url = Some(console.job(node_name));
                jobs.push(node_name.to_string());
            }
            "CRAWLER" => {
                task.source_url = Some(console.crawler(node_name));
                crawlers.push(node_name.to_string());
            }
            "TRIGGER" => {
                task.source_url = Some(console.trigger(node_name));
                let trigger = node.trigger_details().and_then(|d| d.trigger());
                task.description = trigger.and_then(describe_trigger);
                if schedule.is_none()
                    && let Some(t) = trigger.filter(|t| t.r#type() == Some(&TriggerType::Scheduled))
                {
                    schedule = t.schedule().map(cron_expression);
                }
            }
            _ => {}
        }
        tasks.push(task);
    }

    let mut request = CreatePipelineRequest::new(name.clone(), service_fqn.to_string());
    request.display_name = Some(name.clone());
    request.description = non_empty(wf.description());
    request.source_url = Some(console.workflow(&name));
    request.schedule_interval = schedule;
    request.start_date = wf.created_on().map(|t| iso8601(millis(t)));
    request.tasks = Some(tasks);
    WorkflowPipeline {
        request,
        task_names: names,
        jobs,
        crawlers,
        has_graph: graph.is_some(),
    }
}

/// What the run keeps of a job: the SDK's `Job` holds every Visual ETL node kind
/// inline (tens of kilobytes a node), so a page of jobs is turned into these as soon
/// as it arrives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobDef {
    pub name: String,
    pub description: Option<String>,
    /// `CreatedOn`, epoch ms.
    pub created_on: Option<i64>,
    pub script_location: Option<String>,
    /// The datasets of its Visual ETL graph; `None` for a script or notebook job.
    pub visual: Option<JobLineage>,
}

impl From<&Job> for JobDef {
    fn from(job: &Job) -> JobDef {
        JobDef {
            name: job.name().unwrap_or_default().to_string(),
            description: non_empty(job.description()),
            created_on: job.created_on().map(millis),
            script_location: non_empty(job.command().and_then(|c| c.script_location())),
            visual: visual_lineage(job),
        }
    }
}

/// The pipeline of a job that belongs to no workflow; `schedule` is the Glue
/// schedule of a scheduled trigger that starts it.
pub fn job_pipeline(
    job: &JobDef,
    pipeline_name: &str,
    schedule: Option<&str>,
    service_fqn: &str,
    console: &Console,
) -> CreatePipelineRequest {
    let job_name = job.name.as_str();
    let mut task = Task::new(job_name.to_string());
    task.display_name = Some(job_name.to_string());
    task.task_type = Some("JOB".to_string());
    task.description = job.description.clone();
    task.source_url = Some(console.job(job_name));
    task.downstream_tasks = Some(Vec::new());
    let mut request =
        CreatePipelineRequest::new(pipeline_name.to_string(), service_fqn.to_string());
    request.display_name = Some(job_name.to_string());
    request.description = job.description.clone();
    request.source_url = Some(console.job(job_name));
    request.schedule_interval = schedule.map(cron_expression);
    request.start_date = job.created_on.map(iso8601);
    request.tasks = Some(vec![task]);
    request
}

/// The pipeline of a crawler that belongs to no workflow.
pub fn crawler_pipeline(
    crawler: &Crawler,
    pipeline_name: &str,
    service_fqn: &str,
    console: &Console,
) -> CreatePipelineRequest {
    let crawler_name = crawler.name().unwrap_or_default();
    let mut task = Task::new(crawler_name.to_string());
    task.display_name = Some(crawler_name.to_string());
    task.task_type = Some("CRAWLER".to_string());
    task.description = non_empty(crawler.description());
    task.source_url = Some(console.crawler(crawler_name));
    task.downstream_tasks = Some(Vec::new());
    let mut request =
        CreatePipelineRequest::new(pipeline_name.to_string(), service_fqn.to_string());
    request.display_name = Some(crawler_name.to_string());
    request.description = non_empty(crawler.description());
    request.source_url = Some(console.crawler(crawler_name));
    request.schedule_interval = crawler
        .schedule()
        .and_then(|s| s.schedule_expression())
        .map(cron_expression);
    request.start_date = crawler.creation_time().map(|t| iso8601(millis(t)));
    request.tasks = Some(vec![task]);
    request
}

/// Pipeline names already given in this run. Glue names are unique per resource
/// type only, so a job or crawler may share its name with a workflow (or a crawler
/// with a job): the later one's pipeline gets its type appended.
#[derive(Debug, Default)]
pub struct PipelineNames {
    taken: HashSet<String>,
}

impl PipelineNames {
    /// Claims `name` for a pipeline of `kind` (`job`, `crawler`), or the first free
    /// variant of it.
    pub fn claim(&mut self, name: &str, kind: &str) -> String {
        // OpenMetadata compares names case-insensitively.
        let mut candidate = name.to_string();
        let mut n = 1;
        while self.taken.contains(&candidate.to_lowercase()) {
            candidate = if n == 1 {
                format!("{name} ({kind})")
            } else {
                format!("{name} ({kind} {n})")
            };
            n += 1;
        }
        self.taken.insert(candidate.to_lowercase());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_glue::types::{Edge, NodeType, TriggerNodeDetails, WorkflowGraph};

    fn node(kind: NodeType, name: &str, id: &str) -> Node {
        Node::builder()
            .r#type(kind)
            .name(name)
            .unique_id(id)
            .build()
    }

    #[test]
    fn tasks_downstream_and_name_clashes() {
        let trigger = Trigger::builder()
            .name("start")
            .r#type(TriggerType::Scheduled)
            .schedule("cron(15 12 * * ? *)")
            .build();
        let graph = WorkflowGraph::builder()
            .nodes(
                Node::builder()
                    .r#type(NodeType::Trigger)
                    .name("start")
                    .unique_id("t")
                    .trigger_details(TriggerNodeDetails::builder().trigger(trigger).build())
                    .build(),
            )
            .nodes(node(NodeType::Job, "start", "j"))
            .nodes(node(NodeType::Crawler, "c", "c"))
            .edges(Edge::builder().source_id("t").destination_id("j").build())
            .edges(Edge::builder().source_id("t").destination_id("c").build())
            .edges(
                Edge::builder()
                    .source_id("j")
                    .destination_id("MISSING")
                    .build(),
            )
            .build();
        let wf = Workflow::builder().name("wf").graph(graph).build();
        let p = workflow_pipeline(&wf, "svc", &Console::new("us-east-1"));
        let tasks = p.request.tasks.unwrap();
        let summary: Vec<(String, Vec<String>)> = tasks
            .iter()
            .map(|t| (t.name.clone(), t.downstream_tasks.clone().unwrap()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "start".to_string(),
                    vec!["start (job)".to_string(), "c".to_string()]
                ),
                ("start (job)".to_string(), vec![]),
                ("c".to_string(), vec![]),
            ]
        );
        assert_eq!(p.request.schedule_interval.as_deref(), Some("15 12 * * *"));
        assert_eq!(
            tasks[0].description.as_deref(),
            Some("Scheduled trigger: cron(15 12 * * ? *)")
        );
        assert_eq!(p.task_names.task("JOB", "start"), "start (job)");
        assert_eq!(
            (p.jobs, p.crawlers),
            (vec!["start".to_string()], vec!["c".to_string()])
        );
    }

    #[test]
    fn standalone_names_yield_to_workflows() {
        let mut names = PipelineNames::default();
        assert_eq!(names.claim("etl", "workflow"), "etl");
        assert_eq!(names.claim("ETL", "job"), "ETL (job)");
        assert_eq!(names.claim("etl", "crawler"), "etl (crawler)");
        assert_eq!(names.claim("etl", "crawler"), "etl (crawler 2)");
    }
}

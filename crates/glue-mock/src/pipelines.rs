//! Glue ETL resources the mock serves next to the Data Catalog: workflows, jobs,
//! triggers, crawlers, connections, their runs, and job scripts (answered as S3
//! objects). Loaded from the `Pipelines` member of a catalog description, or from
//! `data/sample-pipelines.json` for the sample catalog:
//!
//! ```json
//! {
//!   "RelativeTimes": true,
//!   "Workflows": [ { "Name": "nightly", "Description": "...", "CreatedOn": -864000,
//!                    "Runs": [ { "WorkflowRunId": "wr_1", "Status": "COMPLETED",
//!                                "StartedOn": -7200, "CompletedOn": -6900,
//!                                "JobRuns": [ { "JobName": "load", "Id": "jr_1", ... } ],
//!                                "Crawls": [ { "CrawlerName": "c", "State": "SUCCEEDED", ... } ] } ] } ],
//!   "Triggers": [ { "Name": "start", "WorkflowName": "nightly", "Type": "SCHEDULED",
//!                   "Schedule": "cron(0 2 * * ? *)", "Actions": [ { "JobName": "load" } ] } ],
//!   "Jobs": [ { "Name": "load", "Command": { "ScriptLocation": "s3://..." }, "Runs": [...] } ],
//!   "Crawlers": [ { "Name": "c", "Crawls": [ { "CrawlId": "..", "State": "COMPLETED", ... } ] } ],
//!   "Connections": [ { "Name": "redshift", "ConnectionProperties": { "JDBC_CONNECTION_URL": "..." } } ],
//!   "Scripts": { "s3://bucket/key.py": "script text" },
//!   "Synthetic": { "Workflows": 2000, "RunsPerWorkflow": 10, "StandaloneJobs": 5000 }
//! }
//! ```
//!
//! A workflow's graph is built the way Glue builds it, from the triggers that name
//! the workflow: each trigger is a node, each job or crawler it starts or watches is
//! a node, edges run from watched nodes to the trigger and from the trigger to what
//! it starts. A workflow may instead carry its own `Graph`, served verbatim (for
//! graphs Glue's own tests use, with edges to unknown nodes). A workflow run's graph
//! is the workflow graph with each node's job runs and crawls of that run.
//!
//! With `RelativeTimes`, every timestamp in the description is an offset in seconds
//! from the moment it is loaded (negative: in the past), so that sample runs are
//! always recent. Members the mock does not interpret are served as given.
//!
//! `Synthetic` adds generated resources for benchmarks, made on demand from their
//! position: see [`SyntheticPipelines`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

/// The bundled sample pipelines' text.
pub const SAMPLE_PIPELINES: &str = include_str!("../data/sample-pipelines.json");

/// Keys whose values are timestamps (epoch seconds), shifted by `RelativeTimes`.
const TIME_KEYS: &[&str] = &[
    "StartedOn",
    "CompletedOn",
    "LastModifiedOn",
    "CreatedOn",
    "StartTime",
    "EndTime",
    "CreationTime",
    "LastUpdated",
];

/// Workflows, jobs, triggers, crawlers, connections and scripts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pipelines {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<Workflow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<Job>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crawlers: Vec<Crawler>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<Named>,
    /// Script texts by S3 URL (`s3://bucket/key`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub scripts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthetic: Option<SyntheticPipelines>,
}

/// The description as written (times possibly relative).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PipelinesFile {
    #[serde(default)]
    relative_times: bool,
    #[serde(default)]
    workflows: Vec<Workflow>,
    #[serde(default)]
    jobs: Vec<Job>,
    #[serde(default)]
    triggers: Vec<Trigger>,
    #[serde(default)]
    crawlers: Vec<Crawler>,
    #[serde(default)]
    connections: Vec<Named>,
    #[serde(default)]
    scripts: BTreeMap<String, String>,
    #[serde(default)]
    synthetic: Option<SyntheticPipelines>,
}

impl<'de> Deserialize<'de> for Pipelines {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pipelines, D::Error> {
        let value = Value::deserialize(d)?;
        Pipelines::from_value(value, now_secs()).map_err(serde::de::Error::custom)
    }
}

/// A workflow (`Workflow` shape) and its runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<WorkflowRun>,
    /// Description, CreatedOn, LastModifiedOn, DefaultRunProperties,
    /// MaxConcurrentRuns, Graph (overrides the built graph)...
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// One run of a workflow, with the job runs and crawls it made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkflowRun {
    pub workflow_run_id: String,
    pub status: String,
    pub started_on: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_on: Option<f64>,
    /// `JobRun` shapes; each names its job (`JobName`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_runs: Vec<Map<String, Value>>,
    /// `Crawl` shapes, each with a `CrawlerName`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crawls: Vec<Map<String, Value>>,
    /// ErrorMessage, Statistics (computed when absent), PreviousRunId...
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A job (`Job` shape) and the runs it made outside any workflow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    pub name: String,
    /// `JobRun` shapes (`JobName` is filled in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Map<String, Value>>,
    /// JobMode, Command, DefaultArguments, CodeGenConfigurationNodes, CreatedOn...
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A trigger (`Trigger` shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Trigger {
    pub name: String,
    /// WorkflowName, Type, State, Schedule, Actions, Predicate...
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A crawler (`Crawler` shape) and its crawl history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Crawler {
    pub name: String,
    /// `CrawlerHistory` shapes (CrawlId, State, StartTime, EndTime...) as
    /// `ListCrawls` returns them. `State` and `LastCrawl` are derived from them
    /// unless given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crawls: Vec<Map<String, Value>>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A resource served as given (`Connection` shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Named {
    pub name: String,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// The recipe of generated pipelines, for benchmarks. Names:
/// workflows `wf_00000`; per workflow the triggers `wf_00000_start` (scheduled) and
/// `wf_00000_after_extract` (conditional), the jobs `wf_00000_extract` (Visual ETL)
/// and `wf_00000_load` (script) and the crawler `wf_00000_crawl`; standalone jobs
/// `job_00000` (every tenth with a scheduled trigger `job_00000_schedule`) and
/// standalone crawlers `crawler_00000`. Runs end before `anchor` and are spread
/// over the hours before it, in every state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SyntheticPipelines {
    #[serde(default)]
    pub workflows: usize,
    #[serde(default)]
    pub runs_per_workflow: usize,
    #[serde(default)]
    pub standalone_jobs: usize,
    #[serde(default)]
    pub runs_per_job: usize,
    #[serde(default)]
    pub standalone_crawlers: usize,
    /// Epoch seconds that generated runs lead up to; 0 when loading: the load time.
    #[serde(default)]
    pub anchor: f64,
}

/// Why a pipelines description was refused.
#[derive(Debug, thiserror::Error)]
pub enum PipelinesError {
    #[error("pipelines description is not valid: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("pipelines description is not consistent: {0}")]
    Invalid(String),
}

/// The current time in epoch seconds (whole milliseconds, as Glue reports them).
pub fn now_secs() -> f64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    ms as f64 / 1000.0
}

fn shift_times(v: &mut Value, anchor: f64) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if TIME_KEYS.contains(&k.as_str())
                    && let Some(offset) = child.as_f64()
                {
                    *child = json!(anchor + offset);
                } else {
                    shift_times(child, anchor);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift_times(i, anchor)),
        _ => {}
    }
}

fn fnv(parts: &[&str], salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A graph node id as Glue writes them: `wnode_` and 64 hex digits.
pub fn node_id(workflow: &str, node_type: &str, name: &str) -> String {
    let mut id = String::from("wnode_");
    for salt in 0..4 {
        id.push_str(&format!("{:016x}", fnv(&[workflow, node_type, name], salt)));
    }
    id
}

fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn time_of(m: &Map<String, Value>, key: &str) -> f64 {
    m.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Newest first, as Glue lists runs.
fn newest_first(runs: &mut [Map<String, Value>], key: &str) {
    runs.sort_by(|a, b| time_of(b, key).total_cmp(&time_of(a, key)));
}

impl Pipelines {
    /// Parses a description; relative times are taken from `anchor` (epoch seconds).
    pub fn from_json_at(text: &str, anchor: f64) -> Result<Pipelines, PipelinesError> {
        Pipelines::from_value(serde_json::from_str(text)?, anchor)
    }

    fn from_value(mut value: Value, anchor: f64) -> Result<Pipelines, PipelinesError> {
        let relative = value.get("RelativeTimes").and_then(Value::as_bool) == Some(true);
        if relative && let Some(m) = value.as_object_mut() {
            for (k, v) in m.iter_mut() {
                if k != "Synthetic" {
                    shift_times(v, anchor);
                }
            }
        }
        let f: PipelinesFile = serde_json::from_value(value)?;
        let _ = f.relative_times;
        let mut synthetic = f.synthetic;
        if let Some(s) = synthetic.as_mut()
            && s.anchor == 0.0
        {
            s.anchor = anchor;
        }
        let p = Pipelines {
            workflows: f.workflows,
            jobs: f.jobs,
            triggers: f.triggers,
            crawlers: f.crawlers,
            connections: f.connections,
            scripts: f.scripts,
            synthetic,
        };
        p.validate()?;
        Ok(p)
    }

    /// The bundled sample (`data/sample-pipelines.json`), its runs placed before
    /// `anchor`.
    pub fn sample_at(anchor: f64) -> Pipelines {
        Pipelines::from_json_at(SAMPLE_PIPELINES, anchor)
            .expect("the bundled sample pipelines are valid")
    }

    /// The bundled sample with runs in the hours before now.
    pub fn sample() -> Pipelines {
        Pipelines::sample_at(now_secs())
    }

    /// Generated pipelines only.
    pub fn synthetic(recipe: SyntheticPipelines) -> Pipelines {
        let mut recipe = recipe;
        if recipe.anchor == 0.0 {
            recipe.anchor = now_secs();
        }
        Pipelines {
            synthetic: Some(recipe),
            ..Pipelines::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Pipelines::default()
    }

    /// Checks that names are unique per kind and that triggers name known
    /// workflows.
    pub fn validate(&self) -> Result<(), PipelinesError> {
        fn unique<'a>(
            what: &str,
            names: impl Iterator<Item = &'a str>,
        ) -> Result<(), PipelinesError> {
            let mut seen = std::collections::HashSet::new();
            for n in names {
                if !seen.insert(n) {
                    return Err(PipelinesError::Invalid(format!("{what} {n} appears twice")));
                }
            }
            Ok(())
        }
        unique("workflow", self.workflows.iter().map(|w| w.name.as_str()))?;
        unique("job", self.jobs.iter().map(|j| j.name.as_str()))?;
        unique("trigger", self.triggers.iter().map(|t| t.name.as_str()))?;
        unique("crawler", self.crawlers.iter().map(|c| c.name.as_str()))?;
        unique(
            "connection",
            self.connections.iter().map(|c| c.name.as_str()),
        )?;
        for t in &self.triggers {
            if let Some(wf) = str_of(&t.fields, "WorkflowName")
                && !self.workflows.iter().any(|w| w.name == wf)
            {
                return Err(PipelinesError::Invalid(format!(
                    "trigger {} names workflow {wf}, which is not described",
                    t.name
                )));
            }
        }
        Ok(())
    }

    fn synth(&self) -> Option<&SyntheticPipelines> {
        self.synthetic.as_ref()
    }

    // ---- workflows ----

    pub fn workflow_count(&self) -> usize {
        self.workflows.len() + self.synth().map_or(0, |s| s.workflows)
    }

    pub fn workflow_name(&self, i: usize) -> String {
        match self.workflows.get(i) {
            Some(w) => w.name.clone(),
            None => SyntheticPipelines::workflow_name(i - self.workflows.len()),
        }
    }

    pub fn workflow(&self, name: &str) -> Option<Cow<'_, Workflow>> {
        named(
            &self.workflows,
            |w| w.name == name,
            || {
                let s = self.synth()?;
                let i = parse_index(name, "wf_", "").filter(|i| *i < s.workflows)?;
                Some(s.workflow(i))
            },
        )
    }

    /// The triggers of a workflow, in description order.
    fn workflow_triggers(&self, workflow: &str) -> Vec<Cow<'_, Trigger>> {
        let mut out: Vec<Cow<'_, Trigger>> = self
            .triggers
            .iter()
            .filter(|t| str_of(&t.fields, "WorkflowName") == Some(workflow))
            .map(Cow::Borrowed)
            .collect();
        if let Some(s) = self.synth()
            && let Some(i) = parse_index(workflow, "wf_", "").filter(|i| *i < s.workflows)
            && !self.workflows.iter().any(|w| w.name == workflow)
        {
            out.extend(s.workflow_triggers(i).into_iter().map(Cow::Owned));
        }
        out
    }

    /// The workflow's graph.
    fn graph(&self, wf: &Workflow) -> Graph {
        if let Some(Value::Object(g)) = wf.fields.get("Graph") {
            let nodes = g
                .get("Nodes")
                .and_then(Value::as_array)
                .map(|n| n.iter().filter_map(|v| v.as_object().cloned()).collect())
                .unwrap_or_default();
            let edges = g
                .get("Edges")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            return Graph { nodes, edges };
        }
        let mut nodes: Vec<Map<String, Value>> = Vec::new();
        let mut edges = Vec::new();
        let add = |nodes: &mut Vec<Map<String, Value>>,
                   kind: &str,
                   name: &str,
                   details: Value|
         -> String {
            let id = node_id(&wf.name, kind, name);
            if !nodes
                .iter()
                .any(|n| str_of(n, "UniqueId") == Some(id.as_str()))
            {
                let mut n = Map::new();
                n.insert("Type".into(), json!(kind));
                n.insert("Name".into(), json!(name));
                n.insert("UniqueId".into(), json!(id));
                let key = match kind {
                    "TRIGGER" => "TriggerDetails",
                    "JOB" => "JobDetails",
                    _ => "CrawlerDetails",
                };
                n.insert(key.into(), details);
                nodes.push(n);
            }
            id
        };
        for t in self.workflow_triggers(&wf.name) {
            let tid = add(
                &mut nodes,
                "TRIGGER",
                &t.name,
                json!({"Trigger": trigger_value(&t)}),
            );
            let conditions = t
                .fields
                .get("Predicate")
                .and_then(|p| p.get("Conditions"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for c in conditions {
                if let Some(job) = c.get("JobName").and_then(Value::as_str) {
                    let id = add(&mut nodes, "JOB", job, json!({}));
                    edges.push(json!({"SourceId": id, "DestinationId": tid}));
                }
                if let Some(crawler) = c.get("CrawlerName").and_then(Value::as_str) {
                    let id = add(&mut nodes, "CRAWLER", crawler, json!({}));
                    edges.push(json!({"SourceId": id, "DestinationId": tid}));
                }
            }
            let actions = t
                .fields
                .get("Actions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for a in actions {
                if let Some(job) = a.get("JobName").and_then(Value::as_str) {
                    let id = add(&mut nodes, "JOB", job, json!({}));
                    edges.push(json!({"SourceId": tid, "DestinationId": id}));
                }
                if let Some(crawler) = a.get("CrawlerName").and_then(Value::as_str) {
                    let id = add(&mut nodes, "CRAWLER", crawler, json!({}));
                    edges.push(json!({"SourceId": tid, "DestinationId": id}));
                }
            }
        }
        Graph { nodes, edges }
    }

    /// The `Workflow` shape. `LastRun` is the newest run.
    pub fn workflow_value(&self, wf: &Workflow, include_graph: bool) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), json!(wf.name));
        for (k, v) in &wf.fields {
            if k != "Graph" {
                m.insert(k.clone(), v.clone());
            }
        }
        let graph = include_graph.then(|| self.graph(wf));
        if let Some(latest) = wf
            .runs
            .iter()
            .max_by(|a, b| a.started_on.total_cmp(&b.started_on))
        {
            m.insert("LastRun".into(), run_value(wf, latest, graph.as_ref()));
        }
        if let Some(Graph { nodes, edges }) = graph {
            m.insert("Graph".into(), json!({"Nodes": nodes, "Edges": edges}));
        }
        Value::Object(m)
    }

    /// The `WorkflowRun` shapes of a workflow, newest first.
    pub fn workflow_runs(&self, wf: &Workflow, include_graph: bool) -> Vec<Value> {
        let graph = include_graph.then(|| self.graph(wf));
        let mut runs: Vec<&WorkflowRun> = wf.runs.iter().collect();
        runs.sort_by(|a, b| b.started_on.total_cmp(&a.started_on));
        runs.into_iter()
            .map(|r| run_value(wf, r, graph.as_ref()))
            .collect()
    }

    // ---- jobs ----

    pub fn job_count(&self) -> usize {
        self.jobs.len() + self.synth().map_or(0, |s| s.job_count())
    }

    pub fn job_at(&self, i: usize) -> Cow<'_, Job> {
        nth(&self.jobs, i, |k| {
            self.synth().expect("index within job_count").job(k)
        })
    }

    pub fn job(&self, name: &str) -> Option<Cow<'_, Job>> {
        named(
            &self.jobs,
            |j| j.name == name,
            || {
                let s = self.synth()?;
                s.job_index(name).map(|i| s.job(i))
            },
        )
    }

    /// The `Job` shape.
    pub fn job_value(job: &Job) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), json!(job.name));
        for (k, v) in &job.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// Every run of a job, its own and those made in workflow runs, newest first.
    pub fn job_runs(&self, name: &str) -> Vec<Map<String, Value>> {
        let mut runs: Vec<Map<String, Value>> = self
            .job(name)
            .map(|j| {
                j.runs
                    .iter()
                    .map(|r| with_name(r, "JobName", name))
                    .collect()
            })
            .unwrap_or_default();
        let mut in_workflows = |wf: &Workflow| {
            for run in &wf.runs {
                for jr in run
                    .job_runs
                    .iter()
                    .filter(|jr| str_of(jr, "JobName") == Some(name))
                {
                    runs.push(jr.clone());
                }
            }
        };
        for wf in &self.workflows {
            in_workflows(wf);
        }
        if let Some(s) = self.synth()
            && let Some(i) = s.workflow_of_job(name)
        {
            in_workflows(&s.workflow(i));
        }
        newest_first(&mut runs, "StartedOn");
        runs
    }

    // ---- triggers ----

    pub fn trigger_count(&self) -> usize {
        self.triggers.len() + self.synth().map_or(0, |s| s.trigger_count())
    }

    pub fn trigger_at(&self, i: usize) -> Cow<'_, Trigger> {
        nth(&self.triggers, i, |k| {
            self.synth().expect("index within trigger_count").trigger(k)
        })
    }

    // ---- crawlers ----

    pub fn crawler_count(&self) -> usize {
        self.crawlers.len() + self.synth().map_or(0, |s| s.crawler_count())
    }

    pub fn crawler_at(&self, i: usize) -> Cow<'_, Crawler> {
        nth(&self.crawlers, i, |k| {
            self.synth().expect("index within crawler_count").crawler(k)
        })
    }

    pub fn crawler(&self, name: &str) -> Option<Cow<'_, Crawler>> {
        named(
            &self.crawlers,
            |c| c.name == name,
            || {
                let s = self.synth()?;
                s.crawler_index(name).map(|i| s.crawler(i))
            },
        )
    }

    /// The crawl history (`CrawlerHistory` shapes) of a crawler, newest first: its
    /// own crawls and those made in workflow runs.
    pub fn crawls(&self, name: &str) -> Vec<Map<String, Value>> {
        let mut crawls: Vec<Map<String, Value>> = self
            .crawler(name)
            .map(|c| c.crawls.clone())
            .unwrap_or_default();
        let mut in_workflows = |wf: &Workflow| {
            for run in &wf.runs {
                for c in run
                    .crawls
                    .iter()
                    .filter(|c| str_of(c, "CrawlerName") == Some(name))
                {
                    crawls.push(history_of_crawl(c, &run.workflow_run_id));
                }
            }
        };
        for wf in &self.workflows {
            in_workflows(wf);
        }
        if let Some(s) = self.synth()
            && let Some(i) = parse_index(name, "wf_", "_crawl").filter(|i| *i < s.workflows)
        {
            in_workflows(&s.workflow(i));
        }
        newest_first(&mut crawls, "StartTime");
        crawls
    }

    /// The `Crawler` shape, with `State` and `LastCrawl` derived from the crawl
    /// history when not given.
    pub fn crawler_value(&self, c: &Crawler) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), json!(c.name));
        for (k, v) in &c.fields {
            m.insert(k.clone(), v.clone());
        }
        let crawls = self.crawls(&c.name);
        let running = crawls
            .first()
            .is_some_and(|h| str_of(h, "State") == Some("RUNNING"));
        m.entry("State")
            .or_insert_with(|| json!(if running { "RUNNING" } else { "READY" }));
        if let Some(last) = crawls
            .iter()
            .find(|h| str_of(h, "State") != Some("RUNNING"))
        {
            let status = match str_of(last, "State") {
                Some("COMPLETED") => "SUCCEEDED",
                Some("STOPPED") => "CANCELLED",
                _ => "FAILED",
            };
            let mut info = Map::new();
            info.insert("Status".into(), json!(status));
            if let Some(t) = last.get("StartTime") {
                info.insert("StartTime".into(), t.clone());
            }
            if let Some(e) = last.get("ErrorMessage") {
                info.insert("ErrorMessage".into(), e.clone());
            }
            m.entry("LastCrawl").or_insert(Value::Object(info));
        }
        Value::Object(m)
    }

    // ---- connections and scripts ----

    pub fn connection(&self, name: &str) -> Option<&Named> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// The text of a script, by S3 URL; generated workflows' script jobs have one.
    pub fn script(&self, url: &str) -> Option<Cow<'_, str>> {
        if let Some(text) = self.scripts.get(url) {
            return Some(Cow::Borrowed(text));
        }
        let s = self.synth()?;
        let name = url
            .strip_prefix("s3://acme-scripts/")?
            .strip_suffix(".py")?;
        let i = parse_index(name, "wf_", "_load").filter(|i| *i < s.workflows)?;
        Some(Cow::Owned(format!(
            "import sys\nfrom awsglue.context import GlueContext\n\n\
             revenue = glueContext.create_dynamic_frame.from_catalog(database=\"sales\", table_name=\"daily_revenue\")\n\
             glueContext.write_dynamic_frame.from_options(frame=revenue, connection_type=\"s3\",\n\
             \x20   connection_options={{\"path\": \"s3://acme-lake/loads/wf_{i:05}/\"}}, format=\"parquet\")\n"
        )))
    }
}

/// A workflow graph: `Node` shapes and `Edge` shapes.
struct Graph {
    nodes: Vec<Map<String, Value>>,
    edges: Vec<Value>,
}

/// The `i`-th item: a described one, else the generated one after them.
fn nth<'a, T: Clone>(
    described: &'a [T],
    i: usize,
    generate: impl FnOnce(usize) -> T,
) -> Cow<'a, T> {
    match described.get(i) {
        Some(x) => Cow::Borrowed(x),
        None => Cow::Owned(generate(i - described.len())),
    }
}

/// A described item by name, else a generated one.
fn named<'a, T: Clone>(
    described: &'a [T],
    is: impl Fn(&T) -> bool,
    generate: impl FnOnce() -> Option<T>,
) -> Option<Cow<'a, T>> {
    match described.iter().find(|x| is(x)) {
        Some(x) => Some(Cow::Borrowed(x)),
        None => generate().map(Cow::Owned),
    }
}

fn with_name(m: &Map<String, Value>, key: &str, name: &str) -> Map<String, Value> {
    let mut out = m.clone();
    out.entry(key).or_insert_with(|| json!(name));
    out
}

/// A crawl of a workflow run (`Crawl` shape) as `ListCrawls` reports it
/// (`CrawlerHistory` shape, whose states differ).
fn history_of_crawl(c: &Map<String, Value>, run_id: &str) -> Map<String, Value> {
    let state = match str_of(c, "State") {
        Some("RUNNING") | Some("CANCELLING") => "RUNNING",
        Some("SUCCEEDED") => "COMPLETED",
        Some("CANCELLED") => "STOPPED",
        _ => "FAILED",
    };
    let mut h = Map::new();
    h.insert("CrawlId".into(), json!(format!("{run_id}-crawl")));
    h.insert("State".into(), json!(state));
    for (from, to) in [
        ("StartedOn", "StartTime"),
        ("CompletedOn", "EndTime"),
        ("ErrorMessage", "ErrorMessage"),
    ] {
        if let Some(v) = c.get(from) {
            h.insert(to.into(), v.clone());
        }
    }
    h
}

fn trigger_value(t: &Trigger) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), json!(t.name));
    for (k, v) in &t.fields {
        m.insert(k.clone(), v.clone());
    }
    m.entry("Id").or_insert_with(|| json!(t.name));
    Value::Object(m)
}

/// The `Trigger` shape as `GetTriggers` returns it.
pub fn trigger_shape(t: &Trigger) -> Value {
    trigger_value(t)
}

/// Counts of a run's actions by outcome (`WorkflowRunStatistics`).
fn statistics(run: &WorkflowRun) -> Value {
    let mut s: BTreeMap<&str, u64> = BTreeMap::new();
    for key in [
        "TotalActions",
        "TimeoutActions",
        "FailedActions",
        "StoppedActions",
        "SucceededActions",
        "RunningActions",
        "ErroredActions",
        "WaitingActions",
    ] {
        s.insert(key, 0);
    }
    let states = run
        .job_runs
        .iter()
        .map(|j| str_of(j, "JobRunState"))
        .chain(run.crawls.iter().map(|c| str_of(c, "State")));
    for state in states {
        *s.get_mut("TotalActions").expect("key") += 1;
        let key = match state.unwrap_or_default() {
            "SUCCEEDED" => "SucceededActions",
            "FAILED" => "FailedActions",
            "TIMEOUT" => "TimeoutActions",
            "STOPPED" | "CANCELLED" => "StoppedActions",
            "ERROR" | "EXPIRED" => "ErroredActions",
            "WAITING" => "WaitingActions",
            _ => "RunningActions",
        };
        *s.get_mut(key).expect("key") += 1;
    }
    json!(s)
}

/// The `WorkflowRun` shape; with a graph, each node carries this run's job runs
/// or crawls.
fn run_value(wf: &Workflow, run: &WorkflowRun, graph: Option<&Graph>) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), json!(wf.name));
    m.insert("WorkflowRunId".into(), json!(run.workflow_run_id));
    m.insert("Status".into(), json!(run.status));
    m.insert("StartedOn".into(), json!(run.started_on));
    if let Some(c) = run.completed_on {
        m.insert("CompletedOn".into(), json!(c));
    }
    for (k, v) in &run.fields {
        m.insert(k.clone(), v.clone());
    }
    m.entry("Statistics").or_insert_with(|| statistics(run));
    if let Some(Graph { nodes, edges }) = graph {
        let nodes: Vec<Value> = nodes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                let name = str_of(&n, "Name").unwrap_or_default().to_string();
                match str_of(&n, "Type") {
                    Some("JOB") => {
                        let runs: Vec<Value> = run
                            .job_runs
                            .iter()
                            .filter(|j| str_of(j, "JobName") == Some(name.as_str()))
                            .map(|j| Value::Object(j.clone()))
                            .collect();
                        let details = if runs.is_empty() {
                            json!({})
                        } else {
                            json!({"JobRuns": runs})
                        };
                        n.insert("JobDetails".into(), details);
                    }
                    Some("CRAWLER") => {
                        let crawls: Vec<Value> = run
                            .crawls
                            .iter()
                            .filter(|c| str_of(c, "CrawlerName") == Some(name.as_str()))
                            .map(|c| {
                                let mut c = c.clone();
                                c.remove("CrawlerName");
                                Value::Object(c)
                            })
                            .collect();
                        let details = if crawls.is_empty() {
                            json!({})
                        } else {
                            json!({"Crawls": crawls})
                        };
                        n.insert("CrawlerDetails".into(), details);
                    }
                    _ => {}
                }
                Value::Object(n)
            })
            .collect();
        m.insert("Graph".into(), json!({"Nodes": nodes, "Edges": edges}));
    }
    Value::Object(m)
}

/// `wf_00042` -> 42 (for `prefix` `wf_`, `suffix` ``).
fn parse_index(name: &str, prefix: &str, suffix: &str) -> Option<usize> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let i: usize = digits.parse().ok()?;
    (format!("{i:05}") == digits).then_some(i)
}

/// Job run states in the order generated runs cycle through them.
const JOB_STATES: &[&str] = &[
    "SUCCEEDED",
    "SUCCEEDED",
    "FAILED",
    "SUCCEEDED",
    "TIMEOUT",
    "STOPPED",
    "SUCCEEDED",
    "ERROR",
    "EXPIRED",
    "SUCCEEDED",
];

impl SyntheticPipelines {
    pub fn new(
        workflows: usize,
        runs_per_workflow: usize,
        standalone_jobs: usize,
    ) -> SyntheticPipelines {
        SyntheticPipelines {
            workflows,
            runs_per_workflow,
            standalone_jobs,
            runs_per_job: 3,
            standalone_crawlers: 0,
            anchor: now_secs(),
        }
    }

    pub fn workflow_name(i: usize) -> String {
        format!("wf_{i:05}")
    }

    fn job_count(&self) -> usize {
        self.standalone_jobs + 2 * self.workflows
    }

    fn trigger_count(&self) -> usize {
        2 * self.workflows + self.standalone_jobs.div_ceil(10)
    }

    fn crawler_count(&self) -> usize {
        self.workflows + self.standalone_crawlers
    }

    fn workflow_of_job(&self, name: &str) -> Option<usize> {
        let i =
            parse_index(name, "wf_", "_extract").or_else(|| parse_index(name, "wf_", "_load"))?;
        (i < self.workflows).then_some(i)
    }

    fn job_index(&self, name: &str) -> Option<usize> {
        if let Some(j) = parse_index(name, "job_", "").filter(|j| *j < self.standalone_jobs) {
            return Some(j);
        }
        if let Some(i) = parse_index(name, "wf_", "_extract").filter(|i| *i < self.workflows) {
            return Some(self.standalone_jobs + 2 * i);
        }
        parse_index(name, "wf_", "_load")
            .filter(|i| *i < self.workflows)
            .map(|i| self.standalone_jobs + 2 * i + 1)
    }

    fn crawler_index(&self, name: &str) -> Option<usize> {
        if let Some(i) = parse_index(name, "wf_", "_crawl").filter(|i| *i < self.workflows) {
            return Some(i);
        }
        parse_index(name, "crawler_", "")
            .filter(|c| *c < self.standalone_crawlers)
            .map(|c| self.workflows + c)
    }

    fn workflow(&self, i: usize) -> Workflow {
        let name = Self::workflow_name(i);
        let runs = (0..self.runs_per_workflow)
            .map(|r| self.workflow_run(i, r))
            .collect();
        let mut fields = Map::new();
        fields.insert(
            "Description".into(),
            json!(format!("generated workflow {i}")),
        );
        fields.insert("CreatedOn".into(), json!(self.anchor - 86_400.0 * 90.0));
        fields.insert("MaxConcurrentRuns".into(), json!(1));
        Workflow { name, runs, fields }
    }

    fn workflow_run(&self, i: usize, r: usize) -> WorkflowRun {
        let wf = Self::workflow_name(i);
        let start = self.anchor - 3600.0 * (r as f64 + 1.0) - (i % 600) as f64;
        let job = |suffix: &str, state: &str, offset: f64, done: bool| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("Id".into(), json!(format!("jr_{wf}_{suffix}_{r:03}")));
            m.insert("Attempt".into(), json!(0));
            m.insert("JobName".into(), json!(format!("{wf}_{suffix}")));
            m.insert("TriggerName".into(), json!(format!("{wf}_start")));
            m.insert("StartedOn".into(), json!(start + offset));
            m.insert("JobRunState".into(), json!(state));
            if done {
                m.insert("CompletedOn".into(), json!(start + offset + 300.0));
            }
            m
        };
        let crawl = |state: &str| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("CrawlerName".into(), json!(format!("{wf}_crawl")));
            m.insert("State".into(), json!(state));
            m.insert("StartedOn".into(), json!(start + 700.0));
            m.insert("CompletedOn".into(), json!(start + 900.0));
            m
        };
        // Every sixth run is unlucky in some way; the newest may still be going.
        let (status, job_runs, crawls, completed) = match (i + r) % 6 {
            3 => (
                "COMPLETED",
                vec![
                    job("extract", "SUCCEEDED", 0.0, true),
                    job("load", "FAILED", 400.0, true),
                ],
                vec![],
                Some(start + 800.0),
            ),
            4 => (
                "STOPPED",
                vec![job("extract", "STOPPED", 0.0, true)],
                vec![],
                Some(start + 200.0),
            ),
            5 if r == 0 => (
                "RUNNING",
                vec![job("extract", "RUNNING", 0.0, false)],
                vec![],
                None,
            ),
            5 => (
                "ERROR",
                vec![job("extract", "ERROR", 0.0, true)],
                vec![],
                Some(start + 60.0),
            ),
            _ => (
                "COMPLETED",
                vec![
                    job("extract", "SUCCEEDED", 0.0, true),
                    job("load", "SUCCEEDED", 400.0, true),
                ],
                vec![crawl("SUCCEEDED")],
                Some(start + 900.0),
            ),
        };
        WorkflowRun {
            workflow_run_id: format!("wr_{wf}_{r:03}"),
            status: status.to_string(),
            started_on: start,
            completed_on: completed,
            job_runs,
            crawls,
            fields: Map::new(),
        }
    }

    fn workflow_triggers(&self, i: usize) -> Vec<Trigger> {
        vec![self.trigger(2 * i), self.trigger(2 * i + 1)]
    }

    fn trigger(&self, k: usize) -> Trigger {
        let fields = |v: Value| match v {
            Value::Object(m) => m,
            _ => unreachable!("json! object"),
        };
        if k < 2 * self.workflows {
            let wf = Self::workflow_name(k / 2);
            if k.is_multiple_of(2) {
                Trigger {
                    name: format!("{wf}_start"),
                    fields: fields(json!({
                        "WorkflowName": wf, "Type": "SCHEDULED", "State": "ACTIVATED",
                        "Schedule": format!("cron({} {} * * ? *)", k % 60, (k / 60) % 24),
                        "Actions": [{"JobName": format!("{wf}_extract")}]
                    })),
                }
            } else {
                Trigger {
                    name: format!("{wf}_after_extract"),
                    fields: fields(json!({
                        "WorkflowName": wf, "Type": "CONDITIONAL", "State": "ACTIVATED",
                        "Predicate": {"Logical": "ANY", "Conditions": [
                            {"LogicalOperator": "EQUALS", "JobName": format!("{wf}_extract"), "State": "SUCCEEDED"}]},
                        "Actions": [{"JobName": format!("{wf}_load")}, {"CrawlerName": format!("{wf}_crawl")}]
                    })),
                }
            }
        } else {
            let j = (k - 2 * self.workflows) * 10;
            Trigger {
                name: format!("job_{j:05}_schedule"),
                fields: fields(json!({
                    "Type": "SCHEDULED", "State": "ACTIVATED", "Schedule": "cron(30 4 ? * MON-FRI *)",
                    "Actions": [{"JobName": format!("job_{j:05}")}]
                })),
            }
        }
    }

    fn job(&self, k: usize) -> Job {
        let created = self.anchor - 86_400.0 * 120.0;
        if k < self.standalone_jobs {
            let name = format!("job_{k:05}");
            let runs = (0..self.runs_per_job)
                .map(|r| {
                    let state = JOB_STATES[(k + r) % JOB_STATES.len()];
                    let start = self.anchor - 1800.0 * (r as f64 + 1.0) - (k % 900) as f64;
                    let mut m = Map::new();
                    m.insert("Id".into(), json!(format!("jr_{name}_{r:03}")));
                    m.insert("Attempt".into(), json!(0));
                    m.insert("StartedOn".into(), json!(start));
                    m.insert("JobRunState".into(), json!(state));
                    m.insert("CompletedOn".into(), json!(start + 120.0));
                    m
                })
                .collect();
            let visual = json!({
                "node-1": {"CatalogSource": {"Name": "source", "Database": "sales", "Table": "orders"}},
                "node-2": {"S3DirectTarget": {"Name": "target", "Inputs": ["node-1"],
                           "Path": format!("s3://acme-lake/exports/{name}/"), "Format": "parquet"}}
            });
            let fields = match json!({
                "JobMode": "VISUAL", "Role": "arn:aws:iam::123456789012:role/glue", "CreatedOn": created,
                "Command": {"Name": "glueetl", "ScriptLocation": format!("s3://acme-scripts/{name}.py")},
                "CodeGenConfigurationNodes": visual
            }) {
                Value::Object(m) => m,
                _ => unreachable!("json! object"),
            };
            return Job { name, runs, fields };
        }
        let i = (k - self.standalone_jobs) / 2;
        let wf = Self::workflow_name(i);
        let fields = if (k - self.standalone_jobs).is_multiple_of(2) {
            json!({
                "JobMode": "VISUAL", "CreatedOn": created,
                "Command": {"Name": "glueetl", "ScriptLocation": format!("s3://acme-scripts/{wf}_extract.py")},
                "CodeGenConfigurationNodes": {
                    "node-1": {"CatalogSource": {"Name": "orders", "Database": "sales", "Table": "orders"}},
                    "node-2": {"CatalogTarget": {"Name": "revenue", "Inputs": ["node-1"],
                               "Database": "sales", "Table": "daily_revenue"}}
                }
            })
        } else {
            json!({
                "JobMode": "SCRIPT", "CreatedOn": created,
                "Command": {"Name": "glueetl", "ScriptLocation": format!("s3://acme-scripts/{wf}_load.py")}
            })
        };
        let name = if (k - self.standalone_jobs).is_multiple_of(2) {
            format!("{wf}_extract")
        } else {
            format!("{wf}_load")
        };
        let Value::Object(fields) = fields else {
            unreachable!("json! object")
        };
        Job {
            name,
            runs: Vec::new(),
            fields,
        }
    }

    fn crawler(&self, k: usize) -> Crawler {
        let (name, crawls) = if k < self.workflows {
            (format!("{}_crawl", Self::workflow_name(k)), Vec::new())
        } else {
            let c = k - self.workflows;
            let start = self.anchor - 5400.0 - (c % 300) as f64;
            let mut h = Map::new();
            h.insert("CrawlId".into(), json!(format!("crawl_{c:05}_000")));
            h.insert(
                "State".into(),
                json!(if c % 4 == 3 { "FAILED" } else { "COMPLETED" }),
            );
            h.insert("StartTime".into(), json!(start));
            h.insert("EndTime".into(), json!(start + 240.0));
            (format!("crawler_{c:05}"), vec![h])
        };
        let Value::Object(fields) = json!({
            "Role": "arn:aws:iam::123456789012:role/glue", "DatabaseName": "analytics",
            "Targets": {"S3Targets": [{"Path": "s3://acme-lake/analytics/"}]},
            "CreationTime": self.anchor - 86_400.0 * 200.0
        }) else {
            unreachable!("json! object")
        };
        Crawler {
            name,
            crawls,
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_loads_with_relative_times() {
        let p = Pipelines::sample_at(1_000_000.0);
        assert!(p.workflow_count() >= 2);
        let wf = p.workflow(&p.workflow_name(0)).unwrap();
        assert!(
            wf.runs
                .iter()
                .all(|r| r.started_on < 1_000_000.0 && r.started_on > 800_000.0)
        );
    }

    #[test]
    fn graph_follows_triggers() {
        let text = r#"{
          "Workflows": [{"Name": "w"}],
          "Triggers": [
            {"Name": "t1", "WorkflowName": "w", "Type": "ON_DEMAND", "Actions": [{"JobName": "a"}]},
            {"Name": "t2", "WorkflowName": "w", "Type": "CONDITIONAL",
             "Predicate": {"Conditions": [{"JobName": "a", "State": "SUCCEEDED"}]},
             "Actions": [{"JobName": "b"}, {"CrawlerName": "c"}]}
          ]
        }"#;
        let p = Pipelines::from_json_at(text, 0.0).unwrap();
        let v = p.workflow_value(&p.workflow("w").unwrap(), true);
        let names: Vec<&str> = v["Graph"]["Nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["t1", "a", "t2", "b", "c"]);
        assert_eq!(v["Graph"]["Edges"].as_array().unwrap().len(), 4);
        let a = node_id("w", "JOB", "a");
        assert!(a.starts_with("wnode_") && a.len() == 70);
    }

    #[test]
    fn synthetic_names_round_trip() {
        let s = SyntheticPipelines::new(3, 4, 25);
        let p = Pipelines::synthetic(s.clone());
        assert_eq!(p.workflow_count(), 3);
        assert_eq!(p.job_count(), 31);
        for k in 0..p.job_count() {
            let j = p.job_at(k);
            assert_eq!(p.job(&j.name).unwrap().name, j.name);
        }
        for k in 0..p.crawler_count() {
            let c = p.crawler_at(k);
            assert_eq!(p.crawler(&c.name).unwrap().name, c.name);
        }
        assert!(p.job("job_00025").is_none() && p.job("wf_00003_load").is_none());
        assert_eq!(p.job_runs("wf_00001_extract").len(), 4);
        assert_eq!(p.job_runs("job_00002").len(), 3);
        assert_eq!(p.trigger_count(), 9);
        let script = p.script("s3://acme-scripts/wf_00001_load.py").unwrap();
        assert!(
            script.contains("from_catalog") && script.contains("s3://acme-lake/loads/wf_00001/")
        );
        assert!(p.script("s3://acme-scripts/wf_00003_load.py").is_none());
        let wf = p.workflow("wf_00002").unwrap();
        let runs = p.workflow_runs(&wf, true);
        assert_eq!(runs.len(), 4);
        assert!(runs[0]["StartedOn"].as_f64() > runs[1]["StartedOn"].as_f64());
    }
}

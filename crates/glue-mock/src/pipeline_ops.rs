//! Handlers for Glue's ETL operations (workflows, jobs, triggers, crawlers,
//! connections) over [`crate::pipelines::Pipelines`], and the S3 `GetObject`
//! answer that serves job scripts. Page sizes and their limits are Glue's.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use crate::State;
use crate::backend::Backend;
use crate::ops::{Handler, OpError, OpResult, page_limited, required, str_field, with_token};
use crate::pipelines::{Pipelines, trigger_shape};

/// ETL operations, looked up after [`crate::ops::CATALOG_OPS`].
pub const PIPELINE_OPS: &[(&str, Handler)] = &[
    ("ListWorkflows", list_workflows),
    ("BatchGetWorkflows", batch_get_workflows),
    ("GetWorkflow", get_workflow),
    ("GetWorkflowRuns", get_workflow_runs),
    ("GetJobs", get_jobs),
    ("GetJob", get_job),
    ("GetJobRuns", get_job_runs),
    ("GetTriggers", get_triggers),
    ("GetCrawlers", get_crawlers),
    ("ListCrawls", list_crawls),
    ("GetConnection", get_connection),
];

/// What a generated catalog serves: no ETL resources.
static NO_PIPELINES: Pipelines = Pipelines {
    workflows: Vec::new(),
    jobs: Vec::new(),
    triggers: Vec::new(),
    crawlers: Vec::new(),
    connections: Vec::new(),
    scripts: BTreeMap::new(),
    synthetic: None,
};

/// The ETL resources behind a backend.
pub fn pipelines_of(backend: &Backend) -> &Pipelines {
    match backend {
        Backend::Static(c) => &c.pipelines,
        Backend::Synthetic(_) => &NO_PIPELINES,
    }
}

fn not_found(what: &str, name: &str) -> OpError {
    OpError::new(
        "EntityNotFoundException",
        format!("{what} with name {name} not found"),
    )
}

fn include_graph(body: &Value) -> bool {
    body.get("IncludeGraph").and_then(Value::as_bool) == Some(true)
}

fn listing(key: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), Value::Array(items));
    with_token(m, next)
}

fn list_workflows(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let (start, end, next) = page_limited(body, "workflows", p.workflow_count(), 25, 25)?;
    let names = (start..end)
        .map(|i| Value::String(p.workflow_name(i)))
        .collect();
    Ok(listing("Workflows", names, next))
}

fn batch_get_workflows(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let names: Vec<&str> = body
        .get("Names")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() || names.len() > 25 {
        return Err(OpError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 25 and greater than or equal to 1 (got {})",
                names.len()
            ),
        ));
    }
    let graph = include_graph(body);
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match p.workflow(name) {
            Some(wf) => found.push(p.workflow_value(&wf, graph)),
            None => missing.push(json!(name)),
        }
    }
    let mut out = json!({"Workflows": found});
    if !missing.is_empty() {
        out["MissingWorkflows"] = Value::Array(missing);
    }
    Ok(out)
}

fn get_workflow(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "Name")?;
    let wf = p
        .workflow(name)
        .ok_or_else(|| not_found("Workflow", name))?;
    Ok(json!({"Workflow": p.workflow_value(&wf, include_graph(body))}))
}

fn get_workflow_runs(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "Name")?;
    let wf = p
        .workflow(name)
        .ok_or_else(|| not_found("Workflow", name))?;
    let runs = p.workflow_runs(&wf, include_graph(body));
    let (start, end, next) = page_limited(
        body,
        &format!("workflow-runs/{name}"),
        runs.len(),
        100,
        1000,
    )?;
    Ok(listing("Runs", runs[start..end].to_vec(), next))
}

fn get_jobs(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let (start, end, next) = page_limited(body, "jobs", p.job_count(), 100, 1000)?;
    let jobs = (start..end)
        .map(|i| Pipelines::job_value(&p.job_at(i)))
        .collect();
    Ok(listing("Jobs", jobs, next))
}

fn get_job(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "JobName")?;
    let job = p.job(name).ok_or_else(|| not_found("Job", name))?;
    Ok(json!({"Job": Pipelines::job_value(&job)}))
}

fn get_job_runs(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "JobName")?;
    if p.job(name).is_none() {
        return Err(not_found("Job", name));
    }
    let runs = p.job_runs(name);
    let (start, end, next) = page_limited(body, &format!("job-runs/{name}"), runs.len(), 100, 200)?;
    let page = runs[start..end]
        .iter()
        .cloned()
        .map(Value::Object)
        .collect();
    Ok(listing("JobRuns", page, next))
}

fn get_triggers(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let dependent = str_field(body, "DependentJobName");
    let starts = |t: &Value| {
        t.get("Actions").and_then(Value::as_array).is_some_and(|a| {
            a.iter()
                .any(|x| x.get("JobName").and_then(Value::as_str) == dependent)
        })
    };
    match dependent {
        // Filtering needs the whole list; the mock's lists with a dependent job are small.
        Some(job) => {
            let all: Vec<Value> = (0..p.trigger_count())
                .map(|i| trigger_shape(&p.trigger_at(i)))
                .filter(starts)
                .collect();
            let (start, end, next) =
                page_limited(body, &format!("triggers/{job}"), all.len(), 100, 200)?;
            Ok(listing("Triggers", all[start..end].to_vec(), next))
        }
        None => {
            let (start, end, next) = page_limited(body, "triggers", p.trigger_count(), 100, 200)?;
            let triggers = (start..end)
                .map(|i| trigger_shape(&p.trigger_at(i)))
                .collect();
            Ok(listing("Triggers", triggers, next))
        }
    }
}

fn get_crawlers(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let (start, end, next) = page_limited(body, "crawlers", p.crawler_count(), 100, 1000)?;
    let crawlers = (start..end)
        .map(|i| p.crawler_value(&p.crawler_at(i)))
        .collect();
    Ok(listing("Crawlers", crawlers, next))
}

fn list_crawls(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "CrawlerName")?;
    if body.get("Filters").is_some_and(|f| !f.is_null()) {
        return Err(OpError::new(
            "ValidationException",
            "glue-mock does not implement ListCrawls Filters",
        ));
    }
    if p.crawler(name).is_none() {
        return Err(not_found("Crawler", name));
    }
    let crawls = p.crawls(name);
    let (start, end, next) =
        page_limited(body, &format!("crawls/{name}"), crawls.len(), 100, 1000)?;
    let page = crawls[start..end]
        .iter()
        .cloned()
        .map(Value::Object)
        .collect();
    Ok(listing("Crawls", page, next))
}

fn get_connection(backend: &Backend, body: &Value) -> OpResult {
    let p = pipelines_of(backend);
    let name = required(body, "Name")?;
    let c = p
        .connection(name)
        .ok_or_else(|| not_found("Connection", name))?;
    let mut m = Map::new();
    m.insert("Name".into(), json!(c.name));
    for (k, v) in &c.fields {
        m.insert(k.clone(), v.clone());
    }
    if body.get("HidePassword").and_then(Value::as_bool) == Some(true)
        && let Some(Value::Object(props)) = m.get_mut("ConnectionProperties")
    {
        props.remove("PASSWORD");
    }
    Ok(json!({"Connection": m}))
}

fn s3_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    ResponseTemplate::new(status).set_body_raw(body, "application/xml")
}

/// `GET /<bucket>/<key>` (path-style S3 `GetObject`): a script from
/// [`Pipelines::scripts`], or `NoSuchKey`. Counted as `s3:GetObject`; faults for
/// that name apply.
pub(crate) fn s3_get_object(state: &State, req: &Request) -> ResponseTemplate {
    const OP: &str = "s3:GetObject";
    let key = crate::access_key(req);
    let path = percent_encoding::percent_decode_str(req.url.path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let url = format!("s3://{path}");
    let logged = json!({"Url": url});
    if key
        .as_ref()
        .is_some_and(|k| state.bad_access_keys.contains(k))
    {
        state.record(OP, logged, key, Some("InvalidAccessKeyId"));
        return s3_error(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        );
    }
    if let Some(f) = state.take_fault(OP, &Value::Null) {
        state.record(OP, logged, key, Some(&f.code));
        let status = match f.code.as_str() {
            "AccessDenied" | "AccessDeniedException" => 403,
            "SlowDown" | "ThrottlingException" => 503,
            _ => 400,
        };
        return s3_error(status, &f.code, &f.message);
    }
    match pipelines_of(&state.backend).script(&url) {
        Some(text) => {
            state.record(OP, logged, key, None);
            ResponseTemplate::new(200).set_body_raw(text.into_owned(), "binary/octet-stream")
        }
        None => {
            state.record(OP, logged, key, Some("NoSuchKey"));
            s3_error(404, "NoSuchKey", "The specified key does not exist.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Catalog;

    fn backend() -> Backend {
        Backend::Static(Catalog {
            pipelines: Pipelines::sample_at(2_000_000_000.0),
            ..Catalog::default()
        })
    }

    #[test]
    fn list_workflows_pages_of_25_at_most() {
        let b = backend();
        let err = list_workflows(&b, &json!({"MaxResults": 26})).unwrap_err();
        assert_eq!(err.code, "ValidationException");
        let first = list_workflows(&b, &json!({"MaxResults": 1})).unwrap();
        assert_eq!(first["Workflows"].as_array().unwrap().len(), 1);
        let second = list_workflows(
            &b,
            &json!({"MaxResults": 1, "NextToken": first["NextToken"]}),
        )
        .unwrap();
        assert_ne!(first["Workflows"][0], second["Workflows"][0]);
    }

    #[test]
    fn unknown_names_are_not_found() {
        let b = backend();
        for (op, body) in [
            (get_workflow as Handler, json!({"Name": "nope"})),
            (get_job, json!({"JobName": "nope"})),
            (get_job_runs, json!({"JobName": "nope"})),
            (list_crawls, json!({"CrawlerName": "nope"})),
            (get_connection, json!({"Name": "nope"})),
        ] {
            assert_eq!(op(&b, &body).unwrap_err().code, "EntityNotFoundException");
        }
        let batch = batch_get_workflows(&b, &json!({"Names": ["nope"]})).unwrap();
        assert_eq!(batch["MissingWorkflows"], json!(["nope"]));
    }

    #[test]
    fn job_runs_limit_is_200() {
        let b = backend();
        let p = pipelines_of(&b);
        let job = p.job_at(0).name.clone();
        let err = get_job_runs(&b, &json!({"JobName": job, "MaxResults": 201})).unwrap_err();
        assert!(
            err.message.contains("less than or equal to 200"),
            "{}",
            err.message
        );
    }
}

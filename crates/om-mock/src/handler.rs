//! Routing of one HTTP request to the store, with the configured faults.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use crate::collections::{self, Collection};
use crate::store::{ApiError, Include, ListQuery, Store, apply_json_patch};
use crate::{BulkSupport, LoggedRequest, MockSettings};

pub(crate) struct MockState {
    pub store: Store,
    pub settings: MockSettings,
    pub log: Vec<LoggedRequest>,
    pub writes: u64,
    pub received: u64,
    pub started: Instant,
    /// Entities that already answered a forced 412 (see
    /// `MockSettings::conflict_next_patches`).
    pub conflicted: HashSet<String>,
    /// Requests by `METHOD /route family`, always kept (cheap), for benchmarks.
    pub counts: BTreeMap<String, u64>,
}

pub(crate) struct Handler {
    pub state: Arc<Mutex<MockState>>,
}

enum Answer {
    Json(u16, Value),
    Empty(u16),
    Error(ApiError),
    Html,
    Throttled(u64),
}

impl Answer {
    fn status(&self) -> u16 {
        match self {
            Answer::Json(s, _) | Answer::Empty(s) => *s,
            Answer::Error(e) => e.status,
            Answer::Html => 200,
            Answer::Throttled(_) => 429,
        }
    }
}

impl From<ApiError> for Answer {
    fn from(e: ApiError) -> Self {
        Answer::Error(e)
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The deepest lineage the server answers (`upstreamDepth`, `downstreamDepth`).
pub const MAX_LINEAGE_DEPTH: usize = 3;

/// Test cases one `createMany` may carry (the server answers 413 above it).
pub const CREATE_MANY_LIMIT: usize = 100;

/// Properties the server returns on reads only when asked for with `fields`
/// (`fields=columns,tags`, or `*` for all); the basic ones always come.
const REQUESTED_FIELDS: &[&str] = &[
    "columns",
    "tags",
    "owners",
    "followers",
    "tableConstraints",
    "tablePartition",
    "dataModel",
    "joins",
    "schemaDefinition",
    "extension",
    "domains",
    "dataProducts",
    "usageSummary",
    "tasks",
    "pipelineStatus",
    "testSuite",
    "testSuites",
    "tests",
    "testCaseResult",
    "customMetrics",
    "lifeCycle",
    "sourceHash",
];

/// `"s3://b/p"` (quotes and backslash escapes removed) or a bare term.
fn unquote_search_term(term: &str) -> String {
    let Some(inner) = term.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return term.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Words of the API's routes; any other path segment is a name, an FQN or an id.
const ROUTE_WORDS: &[&str] = &[
    "api",
    "v1",
    "name",
    "bulk",
    "createMany",
    "restore",
    "async",
    "dataModel",
    "status",
    "pipelineStatus",
    "testCaseResults",
    "lineage",
    "getLineageEdge",
    "type",
    "system",
    "version",
    "search",
    "query",
    "services",
];

/// `PATCH /v1/tables/{}`: the method and the path with names, FQNs and ids
/// replaced by `{}`, to count requests per kind of call.
pub(crate) fn route_family(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = String::from(method);
    out.push(' ');
    for (i, segment) in segments.iter().enumerate() {
        out.push('/');
        let is_collection = collections::COLLECTIONS
            .iter()
            .any(|c| c.path.split('/').any(|part| part == *segment))
            && i <= 3;
        if is_collection || ROUTE_WORDS.contains(segment) {
            out.push_str(segment);
        } else {
            out.push_str("{}");
        }
    }
    out
}

fn keep_fields(entity: &mut Value, fields: Option<&str>) {
    let asked: Vec<&str> = fields
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    if asked.contains(&"*") {
        return;
    }
    if let Some(obj) = entity.as_object_mut() {
        for f in REQUESTED_FIELDS {
            if !asked.contains(f) {
                obj.remove(*f);
            }
        }
    }
}

/// `If-Match: W/"0.3"` (or `"0.3"`) against the entity's version: a mismatch is
/// the server's 412.
fn check_if_match(header: &str, entity: &Value) -> Result<(), ApiError> {
    let tag = header.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    let tag = tag.trim_matches('"');
    let current = entity.get("version").and_then(Value::as_f64).unwrap_or(0.0);
    let given: f64 = tag.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "If-Match must be an entity version such as W/\"0.1\", not {header}"
        ))
    })?;
    if (given - current).abs() < 1e-9 {
        Ok(())
    } else {
        Err(ApiError::new(
            412,
            format!(
                "{} was modified: If-Match names version {given} but the current version is {current}",
                entity["fullyQualifiedName"].as_str().unwrap_or_default()
            ),
        ))
    }
}

fn ok(result: Result<Value, ApiError>) -> Answer {
    match result {
        Ok(v) => Answer::Json(200, v),
        Err(e) => Answer::Error(e),
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let body: Option<Value> = if request.body.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(&request.body).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&request.body).into_owned())
            }))
        };
        let path_and_query = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_string(),
        };
        let latency = state.settings.latency;
        let family = route_family(request.method.as_str(), request.url.path());
        *state.counts.entry(family).or_default() += 1;
        let answer = state.handle(request, &path_and_query, body.as_ref());
        if state.settings.record_requests {
            let at = state.started.elapsed();
            let status = answer.status();
            state.log.push(LoggedRequest {
                method: request.method.to_string(),
                path: path_and_query,
                body,
                status,
                at,
            });
        }
        drop(state);
        let template = match answer {
            Answer::Json(status, v) => ResponseTemplate::new(status).set_body_json(v),
            Answer::Empty(status) => ResponseTemplate::new(status),
            Answer::Error(e) => ResponseTemplate::new(e.status).set_body_json(e.body()),
            Answer::Html => ResponseTemplate::new(200).set_body_raw(
                "<!DOCTYPE html><html><head><title>OpenMetadata</title></head><body></body></html>",
                "text/html",
            ),
            Answer::Throttled(secs) => ResponseTemplate::new(429)
                .insert_header("Retry-After", secs.to_string().as_str())
                .set_body_json(json!({"code": 429, "message": "Too many requests"})),
        };
        if latency.is_zero() {
            template
        } else {
            template.set_delay(latency)
        }
    }
}

impl MockState {
    fn handle(&mut self, request: &Request, path_and_query: &str, body: Option<&Value>) -> Answer {
        let method = request.method.as_str();
        self.received += 1;
        let Some(rest) = request.url.path().strip_prefix("/api/") else {
            // The real server serves its web UI outside /api.
            return Answer::Html;
        };
        if let Some(token) = &self.settings.require_token {
            let expected = format!("Bearer {token}");
            let given = request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(expected.as_str()) {
                return ApiError::new(
                    401,
                    "Not authorized; the JWT token is missing, invalid or expired",
                )
                .into();
            }
        }
        let Some(rest) = rest.strip_prefix("v1/") else {
            return ApiError::new(404, format!("HTTP 404 Not Found: {}", request.url.path()))
                .into();
        };
        if method != "GET" {
            self.writes += 1;
            let n = self.writes;
            if let Some(every) = self.settings.fail_every_nth_write
                && every > 0
                && n.is_multiple_of(every)
            {
                return ApiError::new(503, "Service Unavailable").into();
            }
            if let Some((every, secs)) = self.settings.throttle_every_nth_write
                && every > 0
                && n.is_multiple_of(every)
            {
                return Answer::Throttled(secs);
            }
        } else if !request.url.path().contains("/name/")
            && self
                .settings
                .fail_lists_containing
                .iter()
                .any(|s| decode(path_and_query).contains(s.as_str()))
        {
            return ApiError::new(500, "Internal Server Error: listing failed").into();
        }
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };

        match (method, segments.as_slice()) {
            ("GET", ["system", "version"]) => {
                return Answer::Json(
                    200,
                    json!({"version": self.settings.version, "revision": "om-mock", "timestamp": 0}),
                );
            }
            ("PUT", ["lineage"]) => {
                return match self.store.add_lineage(body.unwrap_or(&Value::Null)) {
                    Ok(()) => Answer::Empty(200),
                    Err(e) => e.into(),
                };
            }
            ("GET", ["search", "query"]) => {
                return match (q("index"), q("q")) {
                    (Some("container_search_index"), Some(query)) => {
                        match query
                            .strip_prefix("fullPath:")
                            .map(unquote_search_term)
                        {
                            Some(path) => {
                                let hits: Vec<Value> = self
                                    .store
                                    .containers_by_full_path(&path)
                                    .into_iter()
                                    .map(|c| {
                                        json!({"_index": "container_search_index", "_id": c["id"], "_source": c})
                                    })
                                    .collect();
                                Answer::Json(
                                    200,
                                    json!({"hits": {"total": {"value": hits.len(), "relation": "eq"}, "hits": hits}}),
                                )
                            }
                            None => ApiError::bad_request(format!(
                                "om-mock searches containers by fullPath:\"...\" only, not {query}"
                            ))
                            .into(),
                        }
                    }
                    _ => ApiError::bad_request(
                        "om-mock's search serves q=fullPath:\"...\" on index=container_search_index only",
                    )
                    .into(),
                };
            }
            ("DELETE", ["lineage", entity_type, id, "type", source]) => {
                return match self
                    .store
                    .delete_lineage_by_source(entity_type, id, &decode(source))
                {
                    Ok(_) => Answer::Empty(200),
                    Err(e) => e.into(),
                };
            }
            ("GET", ["lineage", entity_type, id]) if *id != "name" => {
                // The server's bounds: 0 to 3, 1 when not given.
                let depth = |name: &str| match q(name).unwrap_or("1").parse::<usize>() {
                    Ok(d) if d <= MAX_LINEAGE_DEPTH => Ok(d),
                    _ => Err(ApiError::bad_request(format!(
                        "query param {name} must be an integer from 0 to {MAX_LINEAGE_DEPTH}"
                    ))),
                };
                return match (depth("upstreamDepth"), depth("downstreamDepth")) {
                    (Ok(up), Ok(down)) => match self.store.lineage_of(entity_type, id, up, down) {
                        Ok(lineage) => Answer::Json(200, lineage),
                        Err(e) => e.into(),
                    },
                    (Err(e), _) | (_, Err(e)) => e.into(),
                };
            }
            ("GET", ["lineage", "getLineageEdge", from, to]) => {
                return match self.store.lineage_edge(from, to) {
                    Some(edge) => Answer::Json(200, json!({"edge": edge})),
                    None => ApiError::not_found("edge", &format!("{from} -> {to}")).into(),
                };
            }
            _ => {}
        }

        let Some((coll, used)) = collections::match_collection(&segments) else {
            return ApiError::new(404, format!("HTTP 404 Not Found: {}", request.url.path()))
                .into();
        };
        let tail = &segments[used..];
        let include = match Include::parse(q("include")) {
            Ok(i) => i,
            Err(e) => return e.into(),
        };
        match (method, tail) {
            ("PUT", []) => self.put_entity(coll, body),
            ("POST", []) => {
                let name = body
                    .and_then(|b| b.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let exists = body
                    .and_then(|b| self.store.request_fqn(coll, b).ok())
                    .is_some_and(|fqn| self.store.get_by_fqn(coll, &fqn, Include::All).is_ok());
                if exists {
                    return ApiError::new(409, format!("Entity already exists: {name}")).into();
                }
                self.put_entity(coll, body)
            }
            ("GET", []) => {
                let mut answer = self.list(coll, &query, include);
                if let Answer::Json(_, page) = &mut answer
                    && let Some(items) = page.get_mut("data").and_then(Value::as_array_mut)
                {
                    items.iter_mut().for_each(|e| keep_fields(e, q("fields")));
                }
                answer
            }
            ("PUT", ["bulk"]) => self.put_bulk(coll, body),
            ("POST", ["createMany"]) if coll.path == "dataQuality/testCases" => {
                self.create_many(coll, body)
            }
            ("PUT", ["restore"]) => {
                let id = body
                    .and_then(|b| b.get("id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                ok(self.store.restore(coll, id))
            }
            ("GET", ["name", fqn]) => {
                ok(self.store.get_by_fqn(coll, &decode(fqn), include).map(|e| {
                    let mut e = e.clone();
                    keep_fields(&mut e, q("fields"));
                    e
                }))
            }
            ("DELETE", ["name", fqn]) => {
                let hard = q("hardDelete") == Some("true");
                let recursive = q("recursive") == Some("true");
                ok(self.store.delete(coll, &decode(fqn), hard, recursive))
            }
            ("DELETE", [id]) | ("DELETE", ["async", id]) => {
                let hard = q("hardDelete") == Some("true");
                let recursive = q("recursive") == Some("true");
                let fqn = match self.store.get_by_id(coll, id, Include::All) {
                    Ok(e) => e["fullyQualifiedName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    Err(e) => return e.into(),
                };
                ok(self.store.delete(coll, &fqn, hard, recursive))
            }
            ("GET", [id]) => ok(self.store.get_by_id(coll, id, include).map(|e| {
                let mut e = e.clone();
                keep_fields(&mut e, q("fields"));
                e
            })),
            ("PATCH", [id]) => {
                let mut entity = match self.store.get_by_id(coll, id, Include::NonDeleted) {
                    Ok(e) => e.clone(),
                    Err(e) => return e.into(),
                };
                if self.settings.conflict_next_patches > 0 && self.conflicted.insert(id.to_string())
                {
                    self.settings.conflict_next_patches -= 1;
                    // Someone else changed the entity just before: its version
                    // moved on, so only a client that reads it again gets through.
                    self.store.touch(coll, id);
                    return ApiError::new(
                        412,
                        format!(
                            "{} {id} was modified by another user; read it again and retry",
                            coll.entity_type
                        ),
                    )
                    .into();
                }
                if let Some(header) = request.headers.get("if-match")
                    && let Err(e) = check_if_match(header.to_str().unwrap_or_default(), &entity)
                {
                    return e.into();
                }
                let original_fqn = entity["fullyQualifiedName"].clone();
                let original_id = entity["id"].clone();
                if let Err(e) = apply_json_patch(&mut entity, body.unwrap_or(&Value::Null)) {
                    return e.into();
                }
                if entity["fullyQualifiedName"] != original_fqn || entity["id"] != original_id {
                    return ApiError::bad_request(
                        "a patch may not change id or fullyQualifiedName",
                    )
                    .into();
                }
                Answer::Json(200, self.store.replace(coll, entity))
            }
            ("PUT", [id, "dataModel"]) if coll.path == "tables" => ok(self
                .store
                .add_data_model(id, body.unwrap_or(&Value::Null))
                .map(|mut t| {
                    keep_fields(&mut t, Some("columns,tags,owners,dataModel"));
                    t
                })),
            ("PUT", [fqn, "status"]) if coll.path == "pipelines" => ok(self
                .store
                .add_pipeline_status(&decode(fqn), body.unwrap_or(&Value::Null))),
            ("GET", [fqn, "status"]) if coll.path == "pipelines" => {
                let range = |k: &str| q(k).and_then(|v| v.parse::<i64>().ok());
                let data =
                    self.store
                        .pipeline_statuses(&decode(fqn), range("startTs"), range("endTs"));
                Answer::Json(200, json!({"data": data, "paging": {"total": data.len()}}))
            }
            ("PUT", [fqn, "pipelineStatus"]) if coll.path == "services/ingestionPipelines" => {
                ok(self
                    .store
                    .put_ingestion_status(&decode(fqn), body.unwrap_or(&Value::Null)))
            }
            ("GET", [fqn, "pipelineStatus"]) if coll.path == "services/ingestionPipelines" => {
                let data = self.store.ingestion_statuses(&decode(fqn));
                Answer::Json(200, json!({"data": data, "paging": {"total": data.len()}}))
            }
            ("GET", [fqn, "pipelineStatus", run_id])
                if coll.path == "services/ingestionPipelines" =>
            {
                ok(self.store.ingestion_status(&decode(fqn), &decode(run_id)))
            }
            ("PUT" | "POST", ["testCaseResults", fqn]) if coll.path == "dataQuality/testCases" => {
                ok(self
                    .store
                    .add_test_case_result(&decode(fqn), body.unwrap_or(&Value::Null)))
            }
            ("GET", ["testCaseResults", fqn]) if coll.path == "dataQuality/testCases" => {
                let range = |k: &str| q(k).and_then(|v| v.parse::<i64>().ok());
                let data =
                    self.store
                        .test_case_results(&decode(fqn), range("startTs"), range("endTs"));
                Answer::Json(200, json!({"data": data, "paging": {"total": data.len()}}))
            }
            _ => ApiError::new(404, format!("HTTP 404 Not Found: {}", request.url.path())).into(),
        }
    }

    fn rejection(&self, request: &Value) -> Option<ApiError> {
        let name = request.get("name")?.as_str()?;
        self.settings
            .reject_names
            .get(name)
            .map(|message| ApiError::bad_request(message.clone()))
    }

    fn put_entity(&mut self, coll: &'static Collection, body: Option<&Value>) -> Answer {
        let Some(body) = body else {
            return ApiError::bad_request("Unable to process JSON: no content").into();
        };
        if let Some(e) = self.rejection(body) {
            return e.into();
        }
        match self.store.create_or_update(coll, body) {
            Ok(w) => Answer::Json(if w.created { 201 } else { 200 }, w.entity),
            Err(e) => e.into(),
        }
    }

    /// Whether the bulk endpoints are served, as the server's answer when not.
    fn bulk_refusal(&self) -> Option<Answer> {
        match self.settings.bulk {
            BulkSupport::Supported => None,
            BulkSupport::NotFound => Some(ApiError::new(404, "HTTP 404 Not Found").into()),
            BulkSupport::MethodNotAllowed => {
                Some(ApiError::new(405, "HTTP 405 Method Not Allowed").into())
            }
        }
    }

    /// `POST /v1/dataQuality/testCases/createMany`: at most 100 create requests,
    /// all created or none; answers the created test cases.
    fn create_many(&mut self, coll: &'static Collection, body: Option<&Value>) -> Answer {
        if let Some(refused) = self.bulk_refusal() {
            return refused;
        }
        let Some(items) = body.and_then(Value::as_array) else {
            return ApiError::bad_request("Unable to process JSON: createMany takes an array")
                .into();
        };
        if items.len() > CREATE_MANY_LIMIT {
            return ApiError::new(
                413,
                format!(
                    "Request entity too large: at most {CREATE_MANY_LIMIT} test cases per request, not {}",
                    items.len()
                ),
            )
            .into();
        }
        if let Some(e) = items.iter().find_map(|item| self.rejection(item)) {
            return e.into();
        }
        match self.store.create_many(coll, items) {
            Ok(created) => Answer::Json(200, Value::Array(created)),
            Err(e) => e.into(),
        }
    }

    fn put_bulk(&mut self, coll: &'static Collection, body: Option<&Value>) -> Answer {
        if let Some(refused) = self.bulk_refusal() {
            return refused;
        }
        let Some(items) = body.and_then(Value::as_array) else {
            return ApiError::bad_request("Unable to process JSON: a bulk request is an array")
                .into();
        };
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        for item in items {
            let result = match self.rejection(item) {
                Some(e) => Err(e),
                None => self.store.create_or_update(coll, item),
            };
            match result {
                Ok(w) => passed.push(json!({
                    "request": item,
                    "message": if w.created { "created" } else { "updated" },
                    "status": if w.created { 201 } else { 200 },
                })),
                Err(e) => {
                    failed.push(json!({"request": item, "message": e.message, "status": e.status}))
                }
            }
        }
        let status = match (passed.is_empty(), failed.is_empty()) {
            (_, true) => "success",
            (true, false) => "failure",
            (false, false) => "partialSuccess",
        };
        Answer::Json(
            200,
            json!({
                "dryRun": false,
                "status": status,
                "numberOfRowsProcessed": items.len(),
                "numberOfRowsPassed": passed.len(),
                "numberOfRowsFailed": failed.len(),
                "successRequest": passed,
                "failedRequest": failed,
            }),
        )
    }

    fn list(&self, coll: &Collection, query: &[(String, String)], include: Include) -> Answer {
        let mut filters = Vec::new();
        let mut limit = 10usize;
        let mut after = None;
        let mut include_all_tests = false;
        for (k, v) in query {
            match k.as_str() {
                "includeAllTests" => include_all_tests = v == "true",
                "limit" => match v.parse::<usize>() {
                    Ok(l) if l <= 1_000_000 => limit = l,
                    _ => {
                        return ApiError::bad_request(
                            "query param limit must be between 0 and 1000000",
                        )
                        .into();
                    }
                },
                "after" => match Store::decode_cursor(v) {
                    Ok(c) => after = Some(c),
                    Err(e) => return e.into(),
                },
                "before" | "fields" | "include" => {}
                _ => filters.push((k.as_str(), v.as_str())),
            }
        }
        Answer::Json(
            200,
            self.store.list(
                coll,
                &ListQuery {
                    filters,
                    include,
                    limit,
                    after,
                    include_all_tests,
                },
            ),
        )
    }
}

//! An AWS Glue emulator for tests, the demo and benchmarks.
//!
//! A wiremock server on 127.0.0.1 that speaks AWS JSON 1.1 as Glue does (`POST /`,
//! `X-Amz-Target: AWSGlue.<Op>`, `application/x-amz-json-1.1`, errors as HTTP 400
//! with `{"__type", "message"}`) and serves a [`Catalog`] or a generated
//! [`Synthetic`] catalog. It also answers STS `AssumeRole` (query protocol) so that
//! assume-role configurations can be exercised against it.
//!
//! ```no_run
//! # async fn demo() {
//! let mock = glue_mock::GlueMock::start(glue_mock::Catalog::sample()).await;
//! println!("Glue at {}", mock.url());
//! # }
//! ```
//!
//! Faults for error-path tests: per-request latency, an operation failing for one
//! database, throttling N times, unrecognised access keys. Every request is counted
//! per operation and (unless turned off for benchmarks) logged with its body.

pub mod backend;
pub mod model;
pub mod moto;
pub mod ops;
pub mod pipeline_ops;
pub mod pipelines;
mod sts;
pub mod synthetic;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use backend::{Backend, ShareType};
pub use model::{Catalog, CatalogData, CatalogError, Database, SAMPLE_CATALOG, Table};
pub use ops::OpError;
pub use pipelines::{Pipelines, SyntheticPipelines};
pub use synthetic::Synthetic;

const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// A scripted failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Operation name (`GetTables`) or `sts:AssumeRole`.
    pub op: String,
    /// Only calls about this database (`DatabaseName`, or `Name` for
    /// `GetDatabase`), compared case-insensitively.
    pub database: Option<String>,
    pub code: String,
    pub message: String,
    /// How many matching calls fail before calls succeed again; `None`: all.
    pub times: Option<u32>,
}

impl Fault {
    /// `op` answers `code` on every call.
    pub fn error(op: &str, code: &str) -> Fault {
        Fault {
            op: op.to_string(),
            database: None,
            code: code.to_string(),
            message: format!("{code} (injected by glue-mock)"),
            times: None,
        }
    }

    /// `op` on `database` is refused as an IAM / Lake Formation denial.
    pub fn access_denied(op: &str, database: &str) -> Fault {
        Fault::error(op, "AccessDeniedException")
            .for_database(database)
            .message(format!(
                "User: arn:aws:iam::123456789012:user/omctl is not authorized to perform: glue:{op} on resource: database {database}"
            ))
    }

    /// `op` is throttled `n` times, then succeeds.
    pub fn throttle(op: &str, n: u32) -> Fault {
        Fault::error(op, "ThrottlingException")
            .message("Rate exceeded")
            .times(n)
    }

    pub fn for_database(mut self, database: &str) -> Fault {
        self.database = Some(database.to_string());
        self
    }

    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    pub fn message(mut self, m: impl Into<String>) -> Fault {
        self.message = m.into();
        self
    }
}

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// `GetTables`, `sts:AssumeRole`, or the raw target for unknown operations.
    pub op: String,
    /// The JSON body (for STS: the form fields as an object).
    pub body: Value,
    /// The access key id from the SigV4 `Authorization` header.
    pub access_key: Option<String>,
    /// The error code answered, if any.
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct Counters {
    per_op: BTreeMap<String, u64>,
    log: Vec<LoggedRequest>,
}

#[derive(Debug)]
struct State {
    backend: Backend,
    latency: Duration,
    log_requests: bool,
    /// `MaxResults` for list calls that do not send one.
    default_page_size: Option<u32>,
    bad_access_keys: HashSet<String>,
    faults: Mutex<Vec<Fault>>,
    counters: Mutex<Counters>,
    sts: sts::StsState,
}

/// A running Glue emulator. Dropping it stops the server.
pub struct GlueMock {
    server: MockServer,
    state: Arc<State>,
}

/// Options for [`GlueMock`].
pub struct GlueMockBuilder {
    backend: Backend,
    latency: Duration,
    log_requests: bool,
    bad_access_keys: HashSet<String>,
    faults: Vec<Fault>,
    sts_ttl: Duration,
    default_page_size: Option<u32>,
}

impl GlueMockBuilder {
    /// Delay every response by `d` (the bench uses 20 ms, a realistic Glue latency).
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }

    pub fn fault(mut self, f: Fault) -> Self {
        self.faults.push(f);
        self
    }

    /// Requests signed with this access key id get `UnrecognizedClientException`.
    pub fn bad_access_key(mut self, key: &str) -> Self {
        self.bad_access_keys.insert(key.to_string());
        self
    }

    /// Keep (or not) every request's body; counters are always kept. Benchmarks
    /// turn the log off so that the mock's memory stays flat.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Lifetime of credentials handed out by `AssumeRole` (default one hour).
    pub fn sts_credentials_ttl(mut self, d: Duration) -> Self {
        self.sts_ttl = d;
        self
    }

    /// Pages of at most `n` items when a list call sends no `MaxResults` (Glue
    /// may return short pages), so that small catalogs exercise pagination.
    pub fn default_page_size(mut self, n: u32) -> Self {
        self.default_page_size = Some(n);
        self
    }

    pub async fn start(self) -> GlueMock {
        let state = Arc::new(State {
            backend: self.backend,
            latency: self.latency,
            log_requests: self.log_requests,
            default_page_size: self.default_page_size,
            bad_access_keys: self.bad_access_keys,
            faults: Mutex::new(self.faults),
            counters: Mutex::new(Counters::default()),
            sts: sts::StsState::new(self.sts_ttl),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("glue-mock: cannot bind a port on 127.0.0.1");
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        GlueMock { server, state }
    }
}

impl GlueMock {
    /// Starts a mock serving `catalog` with no faults.
    pub async fn start(catalog: impl Into<Backend>) -> GlueMock {
        GlueMock::builder(catalog).start().await
    }

    pub fn builder(catalog: impl Into<Backend>) -> GlueMockBuilder {
        GlueMockBuilder {
            backend: catalog.into(),
            latency: Duration::ZERO,
            log_requests: true,
            bad_access_keys: HashSet::new(),
            faults: Vec::new(),
            sts_ttl: Duration::from_secs(3600),
            default_page_size: None,
        }
    }

    /// `http://127.0.0.1:<port>`: the `endPointURL` to configure.
    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn backend(&self) -> &Backend {
        &self.state.backend
    }

    /// Adds a fault while running.
    pub fn add_fault(&self, f: Fault) {
        self.state.faults.lock().expect("faults lock").push(f);
    }

    /// Every logged request, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state
            .counters
            .lock()
            .expect("counters lock")
            .log
            .clone()
    }

    /// How many requests named `op` arrived.
    pub fn request_count(&self, op: &str) -> u64 {
        *self
            .state
            .counters
            .lock()
            .expect("counters lock")
            .per_op
            .get(op)
            .unwrap_or(&0)
    }

    /// Requests per operation.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.state
            .counters
            .lock()
            .expect("counters lock")
            .per_op
            .clone()
    }

    pub fn total_requests(&self) -> u64 {
        self.request_counts().values().sum()
    }

    /// Forgets logged requests and counters.
    pub fn reset_requests(&self) {
        *self.state.counters.lock().expect("counters lock") = Counters::default();
    }
}

struct Responder(Arc<State>);

/// The access key id in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/...`.
fn access_key(req: &Request) -> Option<String> {
    let auth = req.headers.get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    Some(cred.split('/').next()?.to_string())
}

fn error_response(code: &str, message: &str) -> ResponseTemplate {
    let body = json!({"__type": code, "message": message});
    ResponseTemplate::new(400)
        .insert_header("x-amzn-errortype", code)
        .set_body_raw(body.to_string(), AMZ_JSON)
}

impl State {
    /// The first matching fault, used up by one if it is counted.
    fn take_fault(&self, op: &str, body: &Value) -> Option<Fault> {
        let db = body
            .get("DatabaseName")
            .or_else(|| (op == "GetDatabase").then(|| body.get("Name")).flatten())
            .and_then(Value::as_str);
        let mut faults = self.faults.lock().expect("faults lock");
        let i = faults.iter().position(|f| {
            f.op == op
                && f.times != Some(0)
                && match (&f.database, db) {
                    (None, _) => true,
                    (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
                    (Some(_), None) => false,
                }
        })?;
        if let Some(n) = faults[i].times.as_mut() {
            *n -= 1;
        }
        Some(faults[i].clone())
    }

    fn record(&self, op: &str, body: Value, access_key: Option<String>, error: Option<&str>) {
        let mut c = self.counters.lock().expect("counters lock");
        *c.per_op.entry(op.to_string()).or_default() += 1;
        if self.log_requests {
            c.log.push(LoggedRequest {
                op: op.to_string(),
                body,
                access_key,
                error: error.map(str::to_string),
            });
        }
    }

    fn glue(&self, req: &Request, target: &str) -> ResponseTemplate {
        let key = access_key(req);
        let Some(op) = target.strip_prefix("AWSGlue.") else {
            self.record(target, Value::Null, key, Some("UnknownOperationException"));
            return error_response(
                "UnknownOperationException",
                &format!("Unknown target {target}"),
            );
        };
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => {
                self.record(op, Value::Null, key, Some("SerializationException"));
                return error_response("SerializationException", &format!("body is not JSON: {e}"));
            }
        };
        if key
            .as_ref()
            .is_some_and(|k| self.bad_access_keys.contains(k))
        {
            self.record(op, body, key, Some("UnrecognizedClientException"));
            return error_response(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            );
        }
        if let Some(f) = self.take_fault(op, &body) {
            self.record(op, body, key, Some(&f.code));
            return error_response(&f.code, &f.message);
        }
        let Some(handler) = ops::handler(op) else {
            self.record(op, body, key, Some("UnknownOperationException"));
            return error_response(
                "UnknownOperationException",
                &format!("glue-mock does not implement {op}"),
            );
        };
        let result = match self.default_page_size {
            Some(n) if body.is_object() && body.get("MaxResults").is_none() => {
                let mut paged = body.clone();
                paged["MaxResults"] = Value::from(n);
                handler(&self.backend, &paged)
            }
            _ => handler(&self.backend, &body),
        };
        match result {
            Ok(out) => {
                self.record(op, body, key, None);
                ResponseTemplate::new(200).set_body_raw(out.to_string(), AMZ_JSON)
            }
            Err(e) => {
                self.record(op, body, key, Some(&e.code));
                error_response(&e.code, &e.message)
            }
        }
    }
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let state = &self.0;
        let target = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let resp = match target {
            Some(t) => state.glue(req, &t),
            // Job scripts, read as S3 objects (path-style GetObject).
            None if req.method == wiremock::http::Method::GET => {
                pipeline_ops::s3_get_object(state, req)
            }
            None => sts::respond(state, req),
        };
        if state.latency.is_zero() {
            resp
        } else {
            resp.set_delay(state.latency)
        }
    }
}

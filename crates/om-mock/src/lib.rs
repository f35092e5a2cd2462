//! A stateful OpenMetadata server emulator for tests, the demo and benchmarks.
//!
//! [`OmMock::start`] serves on `127.0.0.1` (a random port, on wiremock's own thread,
//! so it works from any tokio runtime or a plain `#[tokio::main]` binary) and
//! answers the REST calls omctl's `metadata-rest` sink makes, remembering what it was
//! sent:
//!
//! * `PUT /v1/{collection}` create-or-update: the FQN is the parent's FQN plus the
//!   quoted name; the same FQN updates, and the version goes up by 0.1 only when
//!   something changed; answers 201 on create and 200 on update (or on a write
//!   that changed nothing). The answer to a write that changed an existing entity
//!   carries `changeDescription` and `incrementalChangeDescription` (previous
//!   version, fields added and updated), as the server's does; the stored entity
//!   does not keep them. A child whose
//!   parent does not exist gets OpenMetadata's 404, so ordering mistakes show.
//!   Ids are derived from the entity type and FQN, so they do not depend on the
//!   order of concurrent writes and snapshots stay stable.
//! * `PUT /v1/{collection}/bulk` (BulkOperationResult; can answer 404/405 instead,
//!   see [`BulkSupport`]), `POST /v1/{collection}` (409 when it exists),
//!   `POST /v1/dataQuality/testCases/createMany` (at most 100, all or none: 400 or
//!   409 refuses the whole list; 404/405 with bulk).
//! * `GET /v1/{collection}/name/{fqn}` and `GET /v1/{collection}/{id}` with
//!   `include=all|deleted|non-deleted`; like the server, reads leave out the
//!   properties that must be asked for with `fields` (`columns`, `tags`, `owners`,
//!   `tasks`...; `fields=*` for all), while PUT answers carry the whole entity; `GET /v1/{collection}?service=|database=|databaseSchema=...&limit=&after=`
//!   paged listings with opaque cursors.
//! * `DELETE /v1/{collection}/{id}` and `/name/{fqn}`: soft delete (`deleted: true`,
//!   with `recursive=true` required when live children exist) or `hardDelete=true`;
//!   `PUT /v1/{collection}/restore`; `PATCH /v1/{collection}/{id}` (JSON Patch).
//!   A `PATCH` with `If-Match: W/"<version>"` (or `"<version>"`) whose version
//!   is not the stored one answers 412; see `MockSettings::conflict_next_patches`
//!   to make clients meet one. Every change raises `version` by 0.1.
//! * `users` and `teams` (root entities; teams keep their `teamType`).
//! * `PUT /v1/lineage` (both ends must exist; 200 with an empty body),
//!   `GET /v1/lineage/getLineageEdge/{fromId}/{toId}`,
//!   `GET /v1/lineage/{entityType}/{id}?upstreamDepth=&downstreamDepth=` (0 to 3),
//!   `DELETE /v1/lineage/{entityType}/{id}/type/{source}` (removes the edges into
//!   the entity whose `lineageDetails.source` is `source`).
//! * `PUT|GET /v1/pipelines/{fqn}/status` (one status per timestamp: the same
//!   timestamp replaces).
//! * `PUT /v1/tables/{id}/dataModel` as the server's `addDataModel`: stores the
//!   model, takes its owners only when the table has none, adds its tags to the
//!   table's and each model column's tags to the table column of exactly that name,
//!   and answers the table with columns, tags, owners and the data model.
//! * Test cases (`PUT /v1/dataQuality/testCases`): an entity link naming a column
//!   the table does not have (exact case) answers 400 `Invalid column name <col>`;
//!   each test case joins its table's basic test suite `<table fqn>.testSuite`
//!   (made on first use; the table names it in `testSuite`, read with
//!   `fields=testSuite`). `POST /v1/dataQuality/testCases/testCaseResults/{fqn}`
//!   appends (a timestamp already stored is kept twice, as a naive time series
//!   does) and sets the test case's `testCaseResult` to its latest result; `GET`
//!   of it takes `startTs`/`endTs` (inclusive, ms).
//! * `PUT /v1/services/ingestionPipelines/{fqn}/pipelineStatus` and
//!   `GET .../pipelineStatus/{runId}`.
//! * `GET /v1/search/query?q=fullPath:"<path>"&index=container_search_index`:
//!   live containers whose `fullPath` is exactly `<path>`, answered in the
//!   search API's shape (`hits.hits[]._source` is the container). Other searches
//!   answer 400. Containers (with `fullPath` and `dataModel`) are seeded with
//!   [`OmMock::seed`]`("containers", ..)` under a seeded storage service.
//!   [`OmMock::seed_json`] / [`OmMock::seed_file`] seed a document such as the
//!   dbt fixture's `om_seed.json` (collection -> create requests, in order).
//! * `GET /v1/system/version`.
//!
//! Faults are set with [`OmMock::update`]: latency per request, every Nth write
//! answering 503 or 429 with `Retry-After`, names answering 400 with an
//! OpenMetadata-style body, listings that fail, a required bearer token, patches
//! that meet a concurrent change (412), and
//! [`OmMock::stop`] for a server that went away. Tests read the state with
//! [`OmMock::snapshot`] (sorted JSON) and the requests with [`OmMock::requests`].

mod collections;
pub mod dbt_synth;
mod handler;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use handler::{Handler, MockState};
use store::Store;

/// The server version the emulator reports unless told otherwise.
pub const DEFAULT_SERVER_VERSION: &str = "2.0.6";

/// How the emulator answers `PUT /v1/{collection}/bulk` and
/// `POST /v1/dataQuality/testCases/createMany`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BulkSupport {
    #[default]
    Supported,
    /// An older server without the route: 404.
    NotFound,
    /// A server (or proxy) that refuses the method: 405.
    MethodNotAllowed,
}

/// Behaviour and faults of the emulator. Every field can be changed while it runs
/// with [`OmMock::update`].
#[derive(Debug, Clone)]
pub struct MockSettings {
    /// What `GET /v1/system/version` reports.
    pub version: String,
    /// Added to every answer.
    pub latency: Duration,
    /// Every Nth write (any method but GET, counted from the start) answers 503
    /// without changing anything.
    pub fail_every_nth_write: Option<u64>,
    /// Every Nth write answers 429 with `Retry-After: secs`.
    pub throttle_every_nth_write: Option<(u64, u64)>,
    /// Entity names whose create-or-update answers 400 with this message (also
    /// inside bulk requests, as per-entity failures).
    pub reject_names: HashMap<String, String>,
    /// A listing (GET on a collection, not by name) whose decoded path and query
    /// contains one of these strings answers 500.
    pub fail_lists_containing: Vec<String>,
    pub bulk: BulkSupport,
    /// When set, every `/api` request must carry `Authorization: Bearer <token>`
    /// or gets 401.
    pub require_token: Option<String>,
    /// Keep a log of requests for [`OmMock::requests`]. Benchmarks turn it off.
    pub record_requests: bool,
    /// The next N entities patched answer 412 to their first `PATCH`, as if
    /// another user had changed them just before: the stored version goes up by
    /// 0.1, so a retry must read the entity again and send the new `If-Match`.
    /// Counts down; each entity conflicts at most once per emulator.
    pub conflict_next_patches: u64,
}

impl Default for MockSettings {
    fn default() -> Self {
        MockSettings {
            version: DEFAULT_SERVER_VERSION.to_string(),
            latency: Duration::ZERO,
            fail_every_nth_write: None,
            throttle_every_nth_write: None,
            reject_names: HashMap::new(),
            fail_lists_containing: Vec::new(),
            bulk: BulkSupport::Supported,
            require_token: None,
            record_requests: true,
            conflict_next_patches: 0,
        }
    }
}

/// One request the emulator received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    /// The path as sent (percent-encoding kept) with its query string.
    pub path: String,
    /// The body as JSON (a string when it was not JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The status the emulator answered.
    pub status: u16,
    /// When it arrived, from the emulator's start.
    #[serde(skip)]
    pub at: Duration,
}

/// What [`OmMock::snapshot_with`] replaces by a placeholder.
#[derive(Debug, Clone)]
pub struct Redactions {
    /// Object keys whose values become `"[key]"`, anywhere in the tree.
    pub keys: Vec<String>,
}

impl Default for Redactions {
    /// Only what the emulator itself makes up differently on each run: `updatedAt`.
    /// Ids are derived from FQNs and stay the same from run to run.
    fn default() -> Self {
        Redactions {
            keys: vec!["updatedAt".to_string()],
        }
    }
}

impl Redactions {
    pub fn keys(keys: &[&str]) -> Self {
        Redactions {
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    /// Replaces the values of the redacted keys in `value`, recursively.
    pub fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.keys.iter().any(|r| r == k) {
                        *v = Value::String(format!("[{k}]"));
                    } else {
                        self.apply(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            _ => {}
        }
    }
}

/// Why [`OmMock::seed_json`] / [`OmMock::seed_file`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the seed file {} is not JSON: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("bad seed document: {0}")]
    Shape(String),
    /// Entry `index` (from 0) of `collection` was refused.
    #[error("seed entry {collection}[{index}] (`{name}`) was refused: {message}")]
    Entry {
        collection: String,
        index: usize,
        name: String,
        message: String,
    },
}

/// A running emulator. Dropping it stops the server.
pub struct OmMock {
    server: Option<MockServer>,
    state: Arc<Mutex<MockState>>,
    url: String,
}

impl OmMock {
    /// Starts an emulator with default settings.
    pub async fn start() -> OmMock {
        OmMock::start_with(MockSettings::default()).await
    }

    pub async fn start_with(settings: MockSettings) -> OmMock {
        let state = Arc::new(Mutex::new(MockState {
            store: Store::default(),
            settings,
            log: Vec::new(),
            writes: 0,
            received: 0,
            started: Instant::now(),
            conflicted: Default::default(),
            counts: Default::default(),
        }));
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1 for the OpenMetadata mock");
        // wiremock's own request recording would keep every body forever; the
        // emulator keeps its own (optional) log instead.
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        Mock::given(any())
            .respond_with(Handler {
                state: Arc::clone(&state),
            })
            .mount(&server)
            .await;
        let url = format!("{}/api", server.uri());
        OmMock {
            server: Some(server),
            state,
            url,
        }
    }

    /// The `hostPort` to configure: `http://127.0.0.1:PORT/api`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A `hostPort` on 127.0.0.1 where nothing listens, for "server down" tests.
    pub fn unreachable_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        drop(listener);
        format!("http://127.0.0.1:{port}/api")
    }

    fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes settings and faults while the server runs.
    pub fn update(&self, change: impl FnOnce(&mut MockSettings)) {
        change(&mut self.lock().settings);
    }

    /// Stops answering: the port is closed and clients get connection errors. The
    /// state stays readable.
    pub async fn stop(&mut self) {
        self.server.take();
        // Let the server thread release its listener.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    /// Creates or updates an entity directly (no HTTP, no faults, not logged), to
    /// seed what the server already has. `collection` is the path under `/api/v1/`
    /// such as `tables` or `services/databaseServices`. Returns the stored entity.
    pub fn seed(&self, collection: &str, request: Value) -> Result<Value, String> {
        let coll = collections::by_path(collection)
            .ok_or_else(|| format!("unknown collection {collection}"))?;
        self.lock()
            .store
            .create_or_update(coll, &request)
            .map(|w| w.entity)
            .map_err(|e| format!("{}: {}", e.status, e.message))
    }

    /// Seeds a whole document of the shape of the dbt fixture's `om_seed.json`:
    /// an object of collection path -> list of create requests, applied in the
    /// document's order (collections as the document lists them, entries in list
    /// order), so parents come before their children. Stops at the first entry that
    /// fails and names it. Returns how many entities were written.
    pub fn seed_json(&self, document: &Value) -> Result<usize, SeedError> {
        let Some(collections) = document.as_object() else {
            return Err(SeedError::Shape(
                "the document must be an object of collection -> list of create requests"
                    .to_string(),
            ));
        };
        let mut written = 0;
        for (collection, entries) in collections {
            let Some(entries) = entries.as_array() else {
                return Err(SeedError::Shape(format!(
                    "`{collection}` must be a list of create requests"
                )));
            };
            for (index, request) in entries.iter().enumerate() {
                self.seed(collection, request.clone())
                    .map_err(|message| SeedError::Entry {
                        collection: collection.clone(),
                        index,
                        name: request
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("<no name>")
                            .to_string(),
                        message,
                    })?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// [`OmMock::seed_json`] of a JSON file.
    pub fn seed_file(&self, path: impl AsRef<Path>) -> Result<usize, SeedError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let document: Value = serde_json::from_str(&text).map_err(|source| SeedError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        self.seed_json(&document)
    }

    /// Soft-deletes (or hard-deletes) an entity directly, like a user in the UI.
    pub fn delete(&self, collection: &str, fqn: &str, hard: bool) -> Result<(), String> {
        let coll = collections::by_path(collection)
            .ok_or_else(|| format!("unknown collection {collection}"))?;
        self.lock()
            .store
            .delete(coll, fqn, hard, true)
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// The stored entity of `collection` with this FQN, deleted or not.
    pub fn entity(&self, collection: &str, fqn: &str) -> Option<Value> {
        self.lock().store.entity(collection, fqn)
    }

    /// Every stored entity of `collection` (deleted ones too), in FQN order.
    pub fn entities(&self, collection: &str) -> Vec<Value> {
        self.lock().store.entities(collection)
    }

    /// The stored statuses of a pipeline, in timestamp order.
    pub fn pipeline_statuses(&self, fqn: &str) -> Vec<Value> {
        self.lock().store.pipeline_statuses(fqn, None, None)
    }

    /// The run statuses of an ingestion pipeline, by runId.
    pub fn ingestion_statuses(&self, fqn: &str) -> Vec<Value> {
        self.lock().store.ingestion_statuses(fqn)
    }

    /// The server's state as sorted JSON with the default [`Redactions`].
    pub fn snapshot(&self) -> Value {
        self.snapshot_with(&Redactions::default())
    }

    pub fn snapshot_with(&self, redactions: &Redactions) -> Value {
        let mut v = self.lock().store.snapshot();
        redactions.apply(&mut v);
        v
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    /// The requests as JSON (`[{method, path, body}]`, arrival order) with the
    /// redactions applied to bodies, for `insta` snapshots.
    pub fn requests_snapshot(&self, redactions: &Redactions) -> Value {
        let mut v = serde_json::to_value(self.requests()).expect("requests serialize");
        redactions.apply(&mut v);
        v
    }

    /// Forgets the request log (the state stays).
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Number of requests received, injected failures included.
    pub fn received(&self) -> u64 {
        self.lock().received
    }

    /// Requests received so far by kind of call: `"GET /api/v1/tables"`,
    /// `"PATCH /api/v1/tables/{}"`, `"PUT /api/v1/tables/{}/dataModel"`... (names,
    /// FQNs and ids are `{}`), injected failures included. Kept even when
    /// `record_requests` is off.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }

    /// Number of writes (non-GET requests) received, injected failures included.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }
}

//! The HTTP client: one call with retries, and the typed calls the sink makes.

use std::sync::Arc;
use std::time::Duration;

use om_spec::fqn::encode_path_segment;
use omctl_record::EntityKind;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, IF_MATCH, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::config::{RetryPolicy, ServerConfig, VerifySsl};
use crate::error::ClientError;
use crate::routes::collection;

/// The OpenMetadata version omctl speaks. The server's major.minor must match
/// (`enableVersionValidation`).
pub const TARGET_OM_VERSION: &str = "2.0.6";

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// The JSON body; `Null` when the body was empty.
    pub body: Value,
}

/// One page of a listing, with its items decoded as `T` (a `Value`, or a struct
/// of the few fields the caller needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// The cursor of the next page, if any.
    pub after: Option<String>,
    pub total: Option<u64>,
}

/// What an entity create-or-update did.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The server answered 201: the entity did not exist.
    pub created: bool,
    /// The entity existed (200) and this write changed it. OpenMetadata answers
    /// 200 both for an update and for a write that changed nothing (the version
    /// then stays); the answer to a change carries the change in
    /// `incrementalChangeDescription` (or, on servers without it,
    /// `changeDescription`), see [`write_changed`].
    pub changed: bool,
    /// The entity's id.
    pub id: Option<String>,
}

/// Whether the answer to an update (HTTP 200) describes a change. Servers that
/// send `incrementalChangeDescription` describe in it what this write changed
/// (nothing listed: unchanged); older ones only have `changeDescription`, which is
/// then taken as a change.
pub fn write_changed(incremental: Option<&Value>, change: Option<&Value>) -> bool {
    let lists_fields = |d: &Value| {
        ["fieldsAdded", "fieldsUpdated", "fieldsDeleted"]
            .iter()
            .any(|k| {
                d.get(k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty())
            })
    };
    match (incremental, change) {
        (Some(d), _) if !d.is_null() => lists_fields(d),
        (_, Some(d)) => !d.is_null(),
        _ => false,
    }
}

/// Which entities a read includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    NonDeleted,
    Deleted,
    All,
}

impl Include {
    fn as_str(self) -> &'static str {
        match self {
            Include::NonDeleted => "non-deleted",
            Include::Deleted => "deleted",
            Include::All => "all",
        }
    }
}

/// A client for one OpenMetadata server. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct OmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    config: ServerConfig,
}

impl std::fmt::Debug for OmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmClient")
            .field("base", &self.inner.base)
            .finish()
    }
}

fn tls_error(field: &'static str, e: reqwest::Error) -> ClientError {
    ClientError::Tls {
        field,
        reason: format!("not usable PEM material: {}", error_chain(&e)),
    }
}

/// The error and its causes on one line (`error sending request: connection refused`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Backoff before retry number `attempt` (0-based): doubling from the base, capped,
/// with jitter over its upper half so that concurrent writers spread out.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .base_delay
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let capped = exp.min(policy.max_delay);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

/// `Retry-After` in seconds (the HTTP-date form falls back to the backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn server_message(status: StatusCode, bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes)
        && let Some(m) = v.get("message").and_then(Value::as_str)
    {
        return m.to_string();
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    } else {
        text.chars().take(500).collect()
    }
}

/// `major.minor` of a version string such as `2.0.6` or `2.0.6-SNAPSHOT`.
fn major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

impl OmClient {
    /// Builds the client (TLS, headers, timeouts) without calling the server.
    pub fn new(config: ServerConfig) -> Result<OmClient, ClientError> {
        let mut headers = HeaderMap::new();
        if let Some(token) = &config.token {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                ClientError::Config(
                    "workflowConfig.openMetadataServerConfig.securityConfig.jwtToken: the token has characters a header cannot carry".to_string(),
                )
            })?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        for (name, value) in &config.extra_headers {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ClientError::Config(format!(
                    "workflowConfig.openMetadataServerConfig.extraHeaders: {name:?} is not a valid header name"
                ))
            })?;
            let mut v = HeaderValue::from_str(value).map_err(|_| {
                ClientError::Config(format!(
                    "workflowConfig.openMetadataServerConfig.extraHeaders.{name}: the value has characters a header cannot carry"
                ))
            })?;
            // Extra headers may repeat the token (`%(Authorization)s`).
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("omctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_keepalive(Duration::from_secs(60));
        match config.verify_ssl {
            VerifySsl::Default => {}
            VerifySsl::Ignore => builder = builder.tls_danger_accept_invalid_certs(true),
            VerifySsl::Validate => {
                let ca = config.tls.ca.as_deref().unwrap_or_default();
                let certs = reqwest::Certificate::from_pem_bundle(ca)
                    .map_err(|e| tls_error("caCertificate", e))?;
                if certs.is_empty() {
                    return Err(ClientError::Tls {
                        field: "caCertificate",
                        reason: "holds no PEM certificate".to_string(),
                    });
                }
                builder = builder.tls_certs_only(certs);
            }
        }
        if let (Some(cert), Some(key)) = (&config.tls.cert, &config.tls.key) {
            let mut pem = cert.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key);
            let identity =
                reqwest::Identity::from_pem(&pem).map_err(|e| tls_error("sslCertificate", e))?;
            builder = builder.identity(identity);
        }
        let http = builder.build().map_err(|e| {
            ClientError::Config(format!(
                "cannot set up the HTTP client for workflowConfig.openMetadataServerConfig: {}",
                error_chain(&e)
            ))
        })?;
        Ok(OmClient {
            inner: Arc::new(Inner {
                base: config.base_url(),
                http,
                config,
            }),
        })
    }

    /// Builds the client and checks the server: reachable, credentials accepted,
    /// and (unless `enableVersionValidation: false`) the same major.minor version.
    /// Returns the client and the server's version.
    pub async fn connect(config: ServerConfig) -> Result<(OmClient, String), ClientError> {
        let client = OmClient::new(config)?;
        let version = client.check_server().await?;
        Ok((client, version))
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// `GET /v1/system/version` and the version rule.
    pub async fn check_server(&self) -> Result<String, ClientError> {
        let answer = match self
            .call(Method::GET, "system/version", &[], None, None)
            .await
        {
            Ok(a) => a,
            Err(ClientError::Api {
                status: 404,
                method,
                path,
                entity,
                ..
            }) => {
                return Err(ClientError::Api {
                    status: 404,
                    method,
                    path,
                    entity,
                    message: "no version endpoint there: check hostPort (it must end in /api) and apiVersion".to_string(),
                });
            }
            Err(e) => return Err(e),
        };
        let version = answer
            .body
            .get("version")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientError::Decode {
                method: "GET".into(),
                path: "/v1/system/version".into(),
                reason: "the answer has no version".into(),
            })?
            .to_string();
        if self.inner.config.enable_version_validation {
            let ours = major_minor(TARGET_OM_VERSION).expect("the target version is well formed");
            if major_minor(&version) != Some(ours) {
                return Err(ClientError::VersionMismatch {
                    server: version,
                    client: TARGET_OM_VERSION.to_string(),
                });
            }
        }
        Ok(version)
    }

    /// One call to `{hostPort}/{apiVersion}/{path}`, retried on connection errors,
    /// 429 (after `Retry-After`), 502, 503 and 504. Other errors are not retried.
    /// `entity` names what the call is about, for error messages.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        entity: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let (status, bytes) = self
            .send(method.clone(), path, query, body, entity, None)
            .await?;
        Ok(Answer {
            status,
            body: parse_body(&method, &self.shown_path(path), &bytes)?,
        })
    }

    fn shown_path(&self, path: &str) -> String {
        format!("/{}/{path}", self.inner.config.api_version)
    }

    /// [`OmClient::call`] without decoding: the status and the raw body of a
    /// successful answer. `headers` are added to every attempt (and may override
    /// `Content-Type`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        entity: Option<&str>,
        headers: Option<&HeaderMap>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let url = format!("{}/{path}", self.inner.base);
        let shown_path = self.shown_path(path);
        let payload = body.map(|b| serde_json::to_vec(b).expect("JSON values serialize"));
        let policy = self.inner.config.retry;
        let mut attempt = 0u32;
        loop {
            let mut req = self.inner.http.request(method.clone(), &url);
            if !query.is_empty() {
                req = req.query(query);
            }
            if let Some(p) = &payload {
                req = req.header(CONTENT_TYPE, "application/json").body(p.clone());
            }
            if let Some(h) = headers {
                req = req.headers(h.clone());
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    if matches!(status.as_u16(), 429 | 502 | 503 | 504)
                        && attempt < policy.max_retries
                    {
                        let wait = match (status.as_u16(), retry_after(resp.headers())) {
                            (429, Some(d)) => d.min(policy.max_retry_after),
                            _ => backoff(&policy, attempt),
                        };
                        tracing::debug!(%method, path = %shown_path, status = status.as_u16(), attempt, ?wait, "retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    let html = resp
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.contains("text/html"));
                    resp.bytes().await.map(|bytes| (status, html, bytes))
                }
                Err(e) => Err(e),
            };
            let (status, html, bytes) = match outcome {
                Ok(x) => x,
                Err(e) => {
                    if attempt < policy.max_retries {
                        let wait = backoff(&policy, attempt);
                        tracing::debug!(%method, path = %shown_path, attempt, ?wait, error = %e, "retrying after a transport error");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(ClientError::Connect {
                        url: self.inner.config.host_port.clone(),
                        reason: format!("{method} {shown_path}: {}", transport_reason(&e)),
                    });
                }
            };
            tracing::trace!(%method, path = %shown_path, status = status.as_u16(), "answer");
            if status.is_success() {
                if html {
                    return Err(ClientError::Html { path: shown_path });
                }
                return Ok((status.as_u16(), bytes.to_vec()));
            }
            let message = server_message(status, &bytes);
            return Err(match status.as_u16() {
                401 | 403 => ClientError::Auth {
                    status: status.as_u16(),
                    path: shown_path,
                    message,
                },
                s => ClientError::Api {
                    status: s,
                    method: method.to_string(),
                    path: shown_path,
                    entity: entity.map(str::to_string),
                    message,
                },
            });
        }
    }

    /// `PUT /{collection}`: create or update an entity from its create request.
    /// Only the id of the answer is decoded: the sink writes many entities and
    /// needs nothing else from them.
    pub async fn put_entity(
        &self,
        kind: EntityKind,
        fqn: &str,
        request: &Value,
    ) -> Result<Written, ClientError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entity {
            id: Option<String>,
            change_description: Option<Value>,
            incremental_change_description: Option<Value>,
        }
        let subject = format!("{kind} {fqn}");
        let path = collection(kind);
        let (status, bytes) = self
            .send(Method::PUT, path, &[], Some(request), Some(&subject), None)
            .await?;
        let decode_error = |reason: String| ClientError::Decode {
            method: "PUT".into(),
            path: self.shown_path(path),
            reason,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(decode_error(format!("empty answer for {subject}")));
        }
        let entity: Entity = serde_json::from_slice(&bytes).map_err(|e| {
            decode_error(format!("the answer for {subject} is not an entity ({e})"))
        })?;
        let created = status == 201;
        Ok(Written {
            created,
            changed: !created
                && write_changed(
                    entity.incremental_change_description.as_ref(),
                    entity.change_description.as_ref(),
                ),
            id: entity.id,
        })
    }

    /// `PUT /{collection}/bulk?async=false`: many create requests in one call. The
    /// answer is OpenMetadata's `BulkOperationResult`.
    pub async fn put_bulk(
        &self,
        kind: EntityKind,
        requests: &[Value],
    ) -> Result<Value, ClientError> {
        let path = format!("{}/bulk", collection(kind));
        let body = Value::Array(requests.to_vec());
        let subject = format!("{} {}s", requests.len(), kind);
        let a = self
            .call(
                Method::PUT,
                &path,
                &[("async", "false"), ("overrideMetadata", "false")],
                Some(&body),
                Some(&subject),
            )
            .await?;
        Ok(a.body)
    }

    /// `GET /{collection}/name/{fqn}`; `None` when the server has no such entity.
    pub async fn get_by_name(
        &self,
        kind: EntityKind,
        fqn: &str,
        fields: Option<&str>,
        include: Include,
    ) -> Result<Option<Value>, ClientError> {
        self.get_by_name_in(collection(kind), kind.as_str(), fqn, fields, include)
            .await
    }

    /// [`OmClient::get_by_name`] for a collection given by path, for entities the
    /// sink reads but never writes (`teams`, `users`). `what` names the entity type
    /// in messages.
    pub async fn get_by_name_in(
        &self,
        collection_path: &str,
        what: &str,
        fqn: &str,
        fields: Option<&str>,
        include: Include,
    ) -> Result<Option<Value>, ClientError> {
        let path = format!("{collection_path}/name/{}", encode_path_segment(fqn));
        self.get_entity(&path, include, fields, &format!("{what} {fqn}"))
            .await
    }

    /// `GET /{collection}/{id}` (non-deleted); `None` when the server has no such
    /// entity. `fqn` names it in messages.
    pub async fn get_by_id(
        &self,
        kind: EntityKind,
        id: &str,
        fqn: &str,
        fields: Option<&str>,
    ) -> Result<Option<Value>, ClientError> {
        let path = format!("{}/{}", collection(kind), encode_path_segment(id));
        self.get_entity(&path, Include::NonDeleted, fields, &format!("{kind} {fqn}"))
            .await
    }

    /// `GET` of one entity at `path`; `None` on 404.
    async fn get_entity(
        &self,
        path: &str,
        include: Include,
        fields: Option<&str>,
        subject: &str,
    ) -> Result<Option<Value>, ClientError> {
        let mut query = vec![("include", include.as_str())];
        if let Some(f) = fields {
            query.push(("fields", f));
        }
        match self
            .call(Method::GET, path, &query, None, Some(subject))
            .await
        {
            Ok(a) => Ok(Some(a.body)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PATCH /{collection}/{id}` with a JSON Patch (`application/json-patch+json`)
    /// and, when `version` is given, `If-Match: W/"<version>"`: a server whose
    /// entity has moved on answers 412 ([`ClientError::status`]) instead of
    /// applying a patch computed from an older state. Returns the patched entity.
    pub async fn patch_with_version(
        &self,
        kind: EntityKind,
        id: &str,
        fqn: &str,
        patch: &Value,
        version: Option<&str>,
    ) -> Result<Value, ClientError> {
        let path = format!("{}/{}", collection(kind), encode_path_segment(id));
        let subject = format!("{kind} {fqn}");
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json-patch+json"),
        );
        if let Some(v) = version {
            let tag =
                HeaderValue::from_str(&format!("W/\"{v}\"")).map_err(|_| ClientError::Decode {
                    method: "PATCH".into(),
                    path: self.shown_path(&path),
                    reason: format!("the version {v:?} of {subject} cannot be sent in If-Match"),
                })?;
            headers.insert(IF_MATCH, tag);
        }
        let (_, bytes) = self
            .send(
                Method::PATCH,
                &path,
                &[],
                Some(patch),
                Some(&subject),
                Some(&headers),
            )
            .await?;
        parse_body(&Method::PATCH, &self.shown_path(&path), &bytes)
    }

    /// `PUT /tables/{id}/dataModel`. Returns the table.
    pub async fn put_data_model(
        &self,
        table_id: &str,
        table_fqn: &str,
        data_model: &Value,
    ) -> Result<Value, ClientError> {
        let path = format!(
            "{}/{}/dataModel",
            collection(EntityKind::Table),
            encode_path_segment(table_id)
        );
        let subject = format!("table {table_fqn}");
        self.call(Method::PUT, &path, &[], Some(data_model), Some(&subject))
            .await
            .map(|a| a.body)
    }

    /// One page of `GET /{collection}?{filters}&limit=&after=`.
    pub async fn list_page<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
        filters: &[(&str, &str)],
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<T>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Paging {
            after: Option<String>,
            total: Option<u64>,
        }
        #[derive(serde::Deserialize)]
        struct Listing<T> {
            data: Vec<T>,
            paging: Option<Paging>,
        }
        let limit = limit.to_string();
        let mut query: Vec<(&str, &str)> = filters.to_vec();
        query.push(("limit", &limit));
        if let Some(a) = after {
            query.push(("after", a));
        }
        let path = collection(kind);
        let (_, bytes) = self
            .send(Method::GET, path, &query, None, None, None)
            .await?;
        let listing: Listing<T> =
            serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
                method: "GET".into(),
                path: self.shown_path(path),
                reason: format!("not a listing ({e})"),
            })?;
        let paging = listing.paging;
        Ok(Page {
            data: listing.data,
            after: paging
                .as_ref()
                .and_then(|p| p.after.clone())
                .filter(|s| !s.is_empty()),
            total: paging.and_then(|p| p.total),
        })
    }

    /// `DELETE /{collection}/{id}?recursive=&hardDelete=`.
    pub async fn delete(
        &self,
        kind: EntityKind,
        id: &str,
        fqn: &str,
        recursive: bool,
        hard: bool,
    ) -> Result<(), ClientError> {
        let path = format!("{}/{id}", collection(kind));
        let subject = format!("{kind} {fqn}");
        self.call(
            Method::DELETE,
            &path,
            &[
                ("recursive", if recursive { "true" } else { "false" }),
                ("hardDelete", if hard { "true" } else { "false" }),
            ],
            None,
            Some(&subject),
        )
        .await
        .map(|_| ())
    }

    /// The containers whose `fullPath` is exactly `path`, found with the search
    /// API: `GET /search/query?q=fullPath:"<path>"&index=container_search_index`,
    /// the field query OpenMetadata's own ingestion uses to find the container at
    /// a table's location. The answer is Elasticsearch-shaped; the entities are
    /// the `hits.hits[]._source` documents. (Part B of the REST reference does not
    /// list this route; its shape is taken from the server's search resource.)
    /// Hits whose `fullPath` differs from `path` (an analysed field may match
    /// loosely) are left out.
    pub async fn search_containers_by_path(&self, path: &str) -> Result<Vec<Value>, ClientError> {
        let escaped = path.replace('\\', "\\\\").replace('"', "\\\"");
        let q = format!("fullPath:\"{escaped}\"");
        let answer = self
            .call(
                Method::GET,
                "search/query",
                &[
                    ("q", q.as_str()),
                    ("index", "container_search_index"),
                    ("from", "0"),
                    ("size", "10"),
                    ("deleted", "false"),
                ],
                None,
                Some(&format!("container at {path}")),
            )
            .await?;
        let hits = answer.body["hits"]["hits"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(hits
            .iter()
            .filter_map(|h| h.get("_source"))
            .filter(|c| c.get("fullPath").and_then(Value::as_str) == Some(path))
            .cloned()
            .collect())
    }

    /// `PUT /lineage` with an `AddLineageRequest`.
    pub async fn add_lineage(&self, request: &Value, subject: &str) -> Result<(), ClientError> {
        self.call(Method::PUT, "lineage", &[], Some(request), Some(subject))
            .await
            .map(|_| ())
    }

    /// `PUT /pipelines/{fqn}/status`.
    pub async fn put_pipeline_status(
        &self,
        pipeline_fqn: &str,
        status: &Value,
    ) -> Result<(), ClientError> {
        let path = format!("pipelines/{}/status", encode_path_segment(pipeline_fqn));
        let subject = format!("status of pipeline {pipeline_fqn}");
        self.call(Method::PUT, &path, &[], Some(status), Some(&subject))
            .await
            .map(|_| ())
    }

    /// `GET /services/ingestionPipelines/{fqn}/pipelineStatus/{runId}`.
    pub async fn ingestion_run_status(
        &self,
        pipeline_fqn: &str,
        run_id: &str,
    ) -> Result<Option<Value>, ClientError> {
        let path = format!(
            "services/ingestionPipelines/{}/pipelineStatus/{}",
            encode_path_segment(pipeline_fqn),
            encode_path_segment(run_id)
        );
        match self
            .call(Method::GET, &path, &[], None, Some(pipeline_fqn))
            .await
        {
            Ok(a) if !a.body.is_null() => Ok(Some(a.body)),
            Ok(_) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /services/ingestionPipelines/{fqn}/pipelineStatus`.
    pub async fn put_ingestion_run_status(
        &self,
        pipeline_fqn: &str,
        status: &Value,
    ) -> Result<(), ClientError> {
        let path = format!(
            "services/ingestionPipelines/{}/pipelineStatus",
            encode_path_segment(pipeline_fqn)
        );
        self.call(Method::PUT, &path, &[], Some(status), Some(pipeline_fqn))
            .await
            .map(|_| ())
    }

    /// `PUT /services/ingestionPipelines` with a `CreateIngestionPipelineRequest`.
    pub async fn put_ingestion_pipeline(
        &self,
        request: &Value,
        fqn: &str,
    ) -> Result<Value, ClientError> {
        let subject = format!("ingestionPipeline {fqn}");
        self.call(
            Method::PUT,
            "services/ingestionPipelines",
            &[],
            Some(request),
            Some(&subject),
        )
        .await
        .map(|a| a.body)
    }

    /// `GET /services/ingestionPipelines/name/{fqn}`.
    pub async fn ingestion_pipeline(&self, fqn: &str) -> Result<Option<Value>, ClientError> {
        let path = format!(
            "services/ingestionPipelines/name/{}",
            encode_path_segment(fqn)
        );
        match self.call(Method::GET, &path, &[], None, Some(fqn)).await {
            Ok(a) => Ok(Some(a.body)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The JSON of a successful answer; `Null` for an empty body.
fn parse_body(method: &Method, path: &str, bytes: &[u8]) -> Result<Value, ClientError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        reason: format!("the body is not JSON ({e})"),
    })
}

/// A one-line reason for a transport error, without the URL (already in the
/// message) and never with headers.
fn transport_reason(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    causes.dedup();
    if causes.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({})", causes.join(": "))
    }
}

/// The body `{"id", "type"}` an entity reference carries.
pub(crate) fn entity_reference(kind: &str, id: &str) -> Value {
    json!({"id": id, "type": kind})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("2.0.6"), Some((2, 0)));
        assert_eq!(major_minor("2.0.12-SNAPSHOT"), Some((2, 0)));
        assert_eq!(major_minor("1.9"), Some((1, 9)));
        assert_eq!(major_minor("x"), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(1),
        };
        for attempt in 0..10 {
            let d = backoff(&p, attempt);
            let full = (Duration::from_millis(100) * 2u32.pow(attempt.min(10))).min(p.max_delay);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
}

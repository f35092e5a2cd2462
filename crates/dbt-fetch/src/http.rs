//! Downloads over HTTP(S), shared by `dbtConfigType: http` and dbt Cloud, and the
//! `http` source itself.

use std::path::Path;
use std::time::Duration;

use connector_aws::error::chain;
use dbt_artifacts::{ArtifactKind, ArtifactLocation, ArtifactPaths};
use om_spec::generated::metadata_ingestion::dbtconfig::dbt_http_config::DbtHttpConfig;
use om_spec::generated::security::ssl::verify_ssl_config::{SslConfig, VerifySSL};
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::store::{Downloads, FileSink};
use crate::{ArtifactSet, FetchError, FetchOptions, Fetched, non_empty, trimmed};

/// How much of an error answer is kept (dbt Cloud explains itself in JSON).
const ERROR_BODY_LIMIT: usize = 4096;

/// Why a GET gave nothing usable.
#[derive(Debug)]
pub(crate) enum GetFailure {
    /// The server answered with a status other than 2xx.
    Status { status: u16, body: String },
    /// No answer: connection, TLS, timeout, or the body broke off.
    Transport(String),
    /// The answer could not be stored or understood.
    Local(FetchError),
}

impl GetFailure {
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            GetFailure::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The reason, for a message that names the URL itself.
    pub(crate) fn reason(&self) -> String {
        match self {
            GetFailure::Status { status, .. } => status_text(*status),
            GetFailure::Transport(detail) => detail.clone(),
            GetFailure::Local(error) => error.to_string(),
        }
    }
}

/// `HTTP 404 Not Found`.
pub(crate) fn status_text(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("HTTP {status} {reason}").trim_end().to_string()
}

/// A URL for messages: no user info, and the query string (which may hold a
/// signature or a token) replaced by `?…`.
pub(crate) fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    let had_query = shown.query().is_some();
    shown.set_query(None);
    shown.set_fragment(None);
    let mut text = shown.to_string();
    if had_query {
        text.push_str("?…");
    }
    text
}

/// Reads `value` (setting `field`) as an http(s) URL.
pub(crate) fn parse_url(field: &str, value: &str) -> Result<Url, FetchError> {
    let bad = |reason: String| FetchError::Config {
        field: field.to_string(),
        reason,
    };
    let url = Url::parse(value.trim()).map_err(|e| {
        bad(format!(
            "is not a URL ({e}); expected something like https://host/path/manifest.json"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(format!("`{}` is not an http(s) URL", shown_url(&url))));
    }
    Ok(url)
}

/// What the client sends with every request and how it checks TLS.
#[derive(Default)]
pub(crate) struct ClientSettings {
    pub headers: HeaderMap,
    pub accept_invalid_certs: bool,
    /// PEM certificates to trust besides the system's.
    pub ca: Option<Vec<u8>>,
    /// Client certificate and key, PEM, concatenated.
    pub identity: Option<Vec<u8>>,
}

/// A configured HTTP client.
pub(crate) struct HttpGetter {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpGetter {
    pub(crate) fn new(
        settings: ClientSettings,
        opts: &FetchOptions,
        setting: &str,
    ) -> Result<HttpGetter, FetchError> {
        let tls = |reason: String| FetchError::Config {
            field: setting.to_string(),
            reason,
        };
        let mut builder = reqwest::Client::builder()
            .default_headers(settings.headers)
            .user_agent(concat!("omctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout);
        if settings.accept_invalid_certs {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        if let Some(ca) = &settings.ca {
            let certs = reqwest::Certificate::from_pem_bundle(ca)
                .map_err(|e| tls(format!("caCertificate is not PEM: {}", chain(&e))))?;
            if certs.is_empty() {
                return Err(tls("caCertificate holds no PEM certificate".into()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(pem) = &settings.identity {
            let identity = reqwest::Identity::from_pem(pem).map_err(|e| {
                tls(format!(
                    "sslCertificate / sslKey are not a PEM certificate and key: {}",
                    chain(&e)
                ))
            })?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|e| tls(format!("cannot set up the HTTP client: {}", chain(&e))))?;
        Ok(HttpGetter {
            client,
            timeout: opts.timeout,
        })
    }

    fn transport(&self, error: reqwest::Error) -> GetFailure {
        let timed_out = error.is_timeout();
        let detail = chain(&error.without_url());
        GetFailure::Transport(if timed_out {
            format!(
                "no answer within {} s ({detail})",
                self.timeout.as_secs_f64()
            )
        } else {
            detail
        })
    }

    /// Sends a GET; a 2xx answer is returned unread.
    async fn send(&self, url: &Url) -> Result<reqwest::Response, GetFailure> {
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_LIMIT);
        Err(GetFailure::Status {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Streams the body of `url` into `path`; returns its size.
    pub(crate) async fn download(&self, url: &Url, path: &Path) -> Result<u64, GetFailure> {
        let mut response = self.send(url).await?;
        let mut sink = FileSink::create(path).await.map_err(GetFailure::Local)?;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            sink.write(&chunk).await.map_err(GetFailure::Local)?;
        }
        sink.finish().await.map_err(GetFailure::Local)
    }

    /// The body of `url` as JSON.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<serde_json::Value, GetFailure> {
        let response = self.send(url).await?;
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| GetFailure::Transport(format!("the answer is not JSON ({e})")))
    }
}

/// PEM from a setting that holds either the PEM text or the path of a file.
fn pem(field: &str, value: &str) -> Result<Vec<u8>, FetchError> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value.trim()).map_err(|e| FetchError::Config {
        field: field.to_string(),
        reason: format!(
            "is neither PEM text nor a readable file ({}: {e})",
            value.trim()
        ),
    })
}

/// `dbtHttpHeaders`, values marked sensitive (they often carry a token).
fn headers(config: &DbtHttpConfig) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::new();
    for (name, value) in config.dbt_http_headers.iter().flatten() {
        let header =
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| FetchError::Config {
                field: "dbtHttpHeaders".into(),
                reason: format!("{name:?} is not a valid header name"),
            })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| FetchError::Config {
            field: format!("dbtHttpHeaders.{name}"),
            reason: "the value has characters a header cannot carry".into(),
        })?;
        value.set_sensitive(true);
        map.insert(header, value);
    }
    Ok(map)
}

/// TLS settings from `dbtVerifySSL` and `dbtSSLConfig`.
fn tls(config: &DbtHttpConfig, settings: &mut ClientSettings) -> Result<(), FetchError> {
    match config.dbt_verify_ssl {
        // `no-ssl` (the default) means "no SSL settings of its own": an https URL is
        // still verified against the system's roots, as the OpenMetadata client
        // does. Only `ignore` turns verification off, because the user asked.
        VerifySSL::Ignore => settings.accept_invalid_certs = true,
        VerifySSL::NoSsl | VerifySSL::Validate => {}
    }
    let Some(ssl): Option<&SslConfig> = config.dbt_ssl_config.as_ref() else {
        return Ok(());
    };
    let secret = |s: &Option<om_spec::Secret>| {
        s.as_ref()
            .map(|v| v.expose().to_string())
            .filter(|v| !v.trim().is_empty())
    };
    if config.dbt_verify_ssl == VerifySSL::Validate
        && let Some(ca) = secret(&ssl.ca_certificate)
    {
        settings.ca = Some(pem("dbtSSLConfig.caCertificate", &ca)?);
    }
    match (secret(&ssl.ssl_certificate), secret(&ssl.ssl_key)) {
        (Some(cert), Some(key)) => {
            let mut both = pem("dbtSSLConfig.sslCertificate", &cert)?;
            both.push(b'\n');
            both.extend(pem("dbtSSLConfig.sslKey", &key)?);
            settings.identity = Some(both);
        }
        (None, None) => {}
        _ => {
            return Err(FetchError::Config {
                field: "dbtSSLConfig.sslKey".into(),
                reason: "sslCertificate and sslKey go together: give both or neither".into(),
            });
        }
    }
    Ok(())
}

/// The downloads of a source that gives one set: a manifest and optional artifacts,
/// each from its own URL.
pub(crate) struct SingleSet<'a> {
    pub getter: &'a HttpGetter,
    pub label: String,
    pub manifest: Url,
    pub optional: Vec<(ArtifactKind, Url)>,
    /// Warnings so far, and the optional artifacts they already say are absent.
    pub warnings: Vec<String>,
    pub reported_absent: Vec<ArtifactKind>,
}

impl SingleSet<'_> {
    /// Downloads everything into a new temporary directory. A manifest that cannot be
    /// had is a [`FetchError::Download`] whose reason `manifest_reason` phrases; an
    /// optional artifact that cannot is a warning `explain` phrases (it names the
    /// URL and why, the consequence is added here).
    pub(crate) async fn download(
        self,
        opts: &FetchOptions,
        manifest_reason: impl FnOnce(&GetFailure) -> String,
        explain: impl Fn(ArtifactKind, &Url, &GetFailure) -> String,
    ) -> Result<Fetched, FetchError> {
        let downloads = Downloads::new(opts)?;
        let (dir, _) = downloads.set_dir(0)?;
        let file = |kind: ArtifactKind| dir.join(kind.file_name());
        let mut paths = ArtifactPaths::default();
        let mut set = ArtifactSet::new(self.label, ArtifactLocation::Dir(dir.clone()));
        set.reported_absent = self.reported_absent;
        let mut warnings = self.warnings;

        let manifest = file(ArtifactKind::Manifest);
        match self.getter.download(&self.manifest, &manifest).await {
            Ok(_) => {}
            Err(GetFailure::Local(e)) => return Err(e),
            Err(failure) => {
                return Err(FetchError::Download {
                    kind: ArtifactKind::Manifest,
                    url: shown_url(&self.manifest),
                    status: failure.status(),
                    reason: manifest_reason(&failure),
                });
            }
        }
        set.attach(
            &mut paths,
            ArtifactKind::Manifest,
            manifest,
            shown_url(&self.manifest),
        );
        for (kind, url) in &self.optional {
            let path = file(*kind);
            match self.getter.download(url, &path).await {
                Ok(_) => set.attach(&mut paths, *kind, path, shown_url(url)),
                Err(GetFailure::Local(e)) => return Err(e),
                Err(failure) => {
                    warnings.push(format!(
                        "{}; {}",
                        explain(*kind, url, &failure),
                        kind.consequence_if_absent()
                    ));
                    set.reported_absent.push(*kind);
                }
            }
        }
        set.location = ArtifactLocation::Files(paths);
        Ok(Fetched {
            sets: vec![set],
            warnings,
            _dir: Some(downloads.into_dir()),
        })
    }
}

pub(crate) async fn fetch(
    config: &DbtHttpConfig,
    opts: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let manifest_url = trimmed(&config.dbt_manifest_http_path)
        .ok_or_else(|| FetchError::Config {
            field: "dbtManifestHttpPath".into(),
            reason: "is empty; give the URL of dbt's manifest.json".into(),
        })
        .and_then(|u| parse_url("dbtManifestHttpPath", u))?;
    let optional = [
        (
            ArtifactKind::Catalog,
            "dbtCatalogHttpPath",
            &config.dbt_catalog_http_path,
        ),
        (
            ArtifactKind::RunResults,
            "dbtRunResultsHttpPath",
            &config.dbt_run_results_http_path,
        ),
        (
            ArtifactKind::Sources,
            "dbtSourcesHttpPath",
            &config.dbt_sources_http_path,
        ),
    ];
    // Every URL is checked before anything is downloaded.
    let mut download = Vec::new();
    let mut warnings = Vec::new();
    let mut reported_absent = Vec::new();
    for (kind, field, value) in optional {
        match non_empty(value) {
            Some(u) => download.push((kind, parse_url(field, u)?)),
            None => {
                warnings.push(format!(
                    "{field} is not set: {}",
                    kind.consequence_if_absent()
                ));
                reported_absent.push(kind);
            }
        }
    }
    let mut settings = ClientSettings {
        headers: headers(config)?,
        ..ClientSettings::default()
    };
    tls(config, &mut settings)?;
    let getter = HttpGetter::new(settings, opts, "dbtSSLConfig")?;
    let field_of = |kind: ArtifactKind| {
        optional
            .iter()
            .find(|(k, ..)| *k == kind)
            .map_or("", |(_, field, _)| *field)
    };
    SingleSet {
        getter: &getter,
        label: shown_url(&manifest_url),
        manifest: manifest_url,
        optional: download,
        warnings,
        reported_absent,
    }
    .download(opts, GetFailure::reason, |kind, url, failure| {
        format!(
            "cannot download the dbt {kind} from {} ({}): {}",
            shown_url(url),
            field_of(kind),
            failure.reason()
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_hide_credentials_and_queries() {
        let url = Url::parse("https://user:pw@host/a/manifest.json?sig=SECRET&se=1").unwrap();
        assert_eq!(shown_url(&url), "https://host/a/manifest.json?…");
        let url = Url::parse("http://host:8080/m.json").unwrap();
        assert_eq!(shown_url(&url), "http://host:8080/m.json");
        assert_eq!(status_text(404), "HTTP 404 Not Found");
    }

    #[test]
    fn only_ignore_turns_certificate_checks_off() {
        let accepts_invalid = |verify: &str| {
            let config: DbtHttpConfig = serde_json::from_value(serde_json::json!({
                "dbtConfigType": "http",
                "dbtManifestHttpPath": "https://host/manifest.json",
                "dbtVerifySSL": verify,
            }))
            .unwrap();
            let mut settings = ClientSettings::default();
            tls(&config, &mut settings).unwrap();
            settings.accept_invalid_certs
        };
        assert!(!accepts_invalid("no-ssl"));
        assert!(!accepts_invalid("validate"));
        assert!(accepts_invalid("ignore"));
    }

    #[test]
    fn urls_are_checked_by_field() {
        let e = parse_url("dbtCatalogHttpPath", "ftp://host/c.json").unwrap_err();
        assert!(e.to_string().contains("dbtCatalogHttpPath"), "{e}");
        let e = parse_url("dbtManifestHttpPath", "target/manifest.json").unwrap_err();
        assert!(e.to_string().contains("dbtManifestHttpPath"), "{e}");
    }
}

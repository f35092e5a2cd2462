//! The client's settings, read from `workflowConfig.openMetadataServerConfig`
//! (OpenMetadata's `OpenMetadataConnection`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use om_spec::Secret;
use om_spec::generated::entity::services::connections::metadata::open_metadata_connection::{
    AuthProvider, OpenMetadataConnection,
};
use om_spec::generated::security::ssl::verify_ssl_config::VerifySSL;
use serde_json::Value;

use crate::error::ClientError;

const YAML_PATH: &str = "workflowConfig.openMetadataServerConfig";

/// How the server's TLS certificate is checked (`verifySSL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifySsl {
    /// `no-ssl`: the HTTP library's default verification against the system roots.
    Default,
    /// `ignore`: accept any certificate.
    Ignore,
    /// `validate`: only the CA in `sslConfig.caCertificate`.
    Validate,
}

/// When and how often a failed call is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; it doubles on each retry, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one is capped.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(15),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// PEM material for TLS. Its `Debug` shows only which parts are present.
#[derive(Clone, Default)]
pub(crate) struct TlsMaterial {
    pub ca: Option<Vec<u8>>,
    pub cert: Option<Vec<u8>>,
    pub key: Option<Vec<u8>>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca", &self.ca.is_some())
            .field("cert", &self.cert.is_some())
            .field("key", &self.key.as_ref().map(|_| "**********"))
            .finish()
    }
}

/// Everything the client needs to talk to one server, checked and with files read.
#[derive(Clone)]
pub struct ServerConfig {
    /// `hostPort`, validated, without a trailing `/` (`http://host:8585/api`).
    pub host_port: String,
    /// `apiVersion` (`v1`).
    pub api_version: String,
    pub(crate) token: Option<Secret>,
    pub verify_ssl: VerifySsl,
    pub(crate) tls: TlsMaterial,
    /// `extraHeaders`, with `%(Authorization)s` already replaced.
    pub(crate) extra_headers: Vec<(String, String)>,
    pub enable_version_validation: bool,
    pub store_service_connection: bool,
    pub force_entity_overwriting: bool,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host_port", &self.host_port)
            .field("api_version", &self.api_version)
            .field("token", &self.token)
            .field("verify_ssl", &self.verify_ssl)
            .field("tls", &self.tls)
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("enable_version_validation", &self.enable_version_validation)
            .field("store_service_connection", &self.store_service_connection)
            .field("force_entity_overwriting", &self.force_entity_overwriting)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

fn config_error(field: &str, what: impl fmt::Display) -> ClientError {
    ClientError::Config(format!("{YAML_PATH}.{field}: {what}"))
}

/// Checks `hostPort` and returns it without a trailing `/`.
pub(crate) fn validate_host_port(host_port: &str) -> Result<String, ClientError> {
    let bad = |reason: &str| ClientError::BadHostPort {
        host_port: host_port.to_string(),
        reason: reason.to_string(),
    };
    let url = reqwest::Url::parse(host_port).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    let trimmed = host_port.trim_end_matches('/');
    if !trimmed.ends_with("/api") {
        return Err(bad("does not end in /api"));
    }
    Ok(trimmed.to_string())
}

/// Whether `s` has the shape of a JWT (three base64url parts), so that it is never
/// mistaken for a file name (and never printed as one).
fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts[0].len() > 2
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `securityConfig.jwtToken` is the token itself or the path of a file holding it.
fn resolve_token(value: &str) -> Result<Secret, ClientError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(config_error("securityConfig.jwtToken", "is empty"));
    }
    if looks_like_jwt(value) {
        return Ok(Secret::new(value));
    }
    let path = Path::new(value);
    let looks_like_path = value.contains('/') || value.contains('\\') || value.starts_with('~');
    if path.exists() || looks_like_path {
        let text = std::fs::read_to_string(path).map_err(|e| ClientError::TokenFile {
            path: PathBuf::from(value),
            reason: e.to_string(),
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(ClientError::TokenFile {
                path: PathBuf::from(value),
                reason: "the file is empty".to_string(),
            });
        }
        return Ok(Secret::new(token));
    }
    Ok(Secret::new(value))
}

/// A PEM value of `sslConfig` is either the PEM text itself or a file path.
fn resolve_pem(field: &'static str, value: &str) -> Result<Vec<u8>, ClientError> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|e| ClientError::Tls {
        field,
        reason: format!("cannot read {value}: {e}"),
    })
}

impl ServerConfig {
    /// Reads `openMetadataServerConfig` as JSON: the same strict reading as the
    /// workflow file (unknown keys are errors), then [`ServerConfig::from_connection`].
    pub fn from_json(cfg: &Value) -> Result<ServerConfig, ClientError> {
        let connection: OpenMetadataConnection = serde_json::from_value(cfg.clone())
            .map_err(|e| ClientError::Config(format!("{YAML_PATH}: {e}")))?;
        ServerConfig::from_connection(&connection)
    }

    /// Checks the settings of `workflowConfig.openMetadataServerConfig` and reads the
    /// token file and the TLS files now, so that a missing file is reported before
    /// anything runs.
    pub fn from_connection(cfg: &OpenMetadataConnection) -> Result<ServerConfig, ClientError> {
        let host_port = validate_host_port(&cfg.host_port)?;
        let jwt = cfg.security_config.as_ref().map(|s| s.jwt_token.expose());
        let token = match (&cfg.auth_provider, jwt) {
            (AuthProvider::Openmetadata | AuthProvider::Basic, Some(t)) => Some(resolve_token(t)?),
            (AuthProvider::Openmetadata, None) => {
                return Err(config_error(
                    "securityConfig.jwtToken",
                    "is required with authProvider: openmetadata (a bot's JWT token, or a file holding it)",
                ));
            }
            (AuthProvider::Basic, None) => None,
            (other, _) => {
                return Err(config_error(
                    "authProvider",
                    format!(
                        "{:?} is not supported by omctl; use openmetadata with a bot's JWT token",
                        other.as_str()
                    ),
                ));
            }
        };

        let verify_ssl = match cfg.verify_ssl {
            VerifySSL::NoSsl => VerifySsl::Default,
            VerifySSL::Ignore => VerifySsl::Ignore,
            VerifySSL::Validate => VerifySsl::Validate,
        };
        let mut tls = TlsMaterial::default();
        if let Some(ssl) = &cfg.ssl_config {
            let pem = |value: &Option<Secret>,
                       field: &'static str|
             -> Result<Option<Vec<u8>>, ClientError> {
                match value {
                    Some(v) if !v.expose().trim().is_empty() => {
                        resolve_pem(field, v.expose()).map(Some)
                    }
                    _ => Ok(None),
                }
            };
            tls.ca = pem(&ssl.ca_certificate, "caCertificate")?;
            tls.cert = pem(&ssl.ssl_certificate, "sslCertificate")?;
            tls.key = pem(&ssl.ssl_key, "sslKey")?;
        }
        if verify_ssl == VerifySsl::Validate && tls.ca.is_none() {
            return Err(ClientError::Tls {
                field: "caCertificate",
                reason: "is required with verifySSL: validate".to_string(),
            });
        }
        if tls.cert.is_some() != tls.key.is_some() {
            return Err(ClientError::Tls {
                field: "sslKey",
                reason: "sslCertificate and sslKey go together: give both or neither".to_string(),
            });
        }

        let auth_value = token
            .as_ref()
            .map(|t| format!("Bearer {}", t.expose()))
            .unwrap_or_default();
        let extra_headers = cfg
            .extra_headers
            .iter()
            .flatten()
            .map(|(name, value)| {
                (
                    name.clone(),
                    value.replace("%(Authorization)s", &auth_value),
                )
            })
            .collect();

        Ok(ServerConfig {
            host_port,
            api_version: cfg.api_version.clone(),
            token,
            verify_ssl,
            tls,
            extra_headers,
            enable_version_validation: cfg.enable_version_validation,
            store_service_connection: cfg.store_service_connection,
            force_entity_overwriting: cfg.force_entity_overwriting,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
        })
    }

    /// The base of every call: `hostPort/apiVersion`.
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.host_port, self.api_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_port_must_end_in_api() {
        assert_eq!(
            validate_host_port("http://localhost:8585/api/").unwrap(),
            "http://localhost:8585/api"
        );
        for bad in [
            "http://localhost:8585",
            "localhost:8585/api",
            "ftp://h/api",
            "http://h:1/api?x=1",
        ] {
            let e = validate_host_port(bad).unwrap_err().to_string();
            assert!(e.contains("hostPort") && e.contains("/api"), "{e}");
        }
    }

    #[test]
    fn jwt_shapes_are_never_taken_for_files() {
        assert!(looks_like_jwt("eyJhbGciOiJ.eyJzdWIi.sig-_x"));
        assert!(!looks_like_jwt("/etc/om/token"));
        assert!(!looks_like_jwt("token.txt"));
    }

    #[test]
    fn token_comes_from_a_file_when_the_value_is_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("jwt");
        std::fs::write(&file, "abc.def.ghi\n").unwrap();
        let cfg = ServerConfig::from_json(&json!({
            "hostPort": "http://127.0.0.1:1/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": file.to_str().unwrap()},
        }))
        .unwrap();
        assert_eq!(cfg.token.as_ref().unwrap().expose(), "abc.def.ghi");
        assert!(!format!("{cfg:?}").contains("abc.def.ghi"));
    }

    #[test]
    fn unsupported_auth_provider_and_missing_ca_are_config_errors() {
        let e =
            ServerConfig::from_json(&json!({"hostPort": "http://h:1/api", "authProvider": "okta"}))
                .unwrap_err()
                .to_string();
        assert!(e.contains("authProvider"), "{e}");
        let e = ServerConfig::from_json(
            &json!({"hostPort": "http://h:1/api", "verifySSL": "validate"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("caCertificate"), "{e}");
        let e = ServerConfig::from_json(
            &json!({"hostPort": "http://h:1/api", "authProvider": "openmetadata"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("jwtToken"), "{e}");
    }

    #[test]
    fn extra_headers_may_repeat_the_authorization_header() {
        let cfg = ServerConfig::from_json(&json!({
            "hostPort": "http://h:1/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "aaa.bbb.ccc"},
            "extraHeaders": {"Proxy-Authorization": "%(Authorization)s", "X-Team": "data"},
        }))
        .unwrap();
        assert!(cfg.extra_headers.contains(&(
            "Proxy-Authorization".to_string(),
            "Bearer aaa.bbb.ccc".to_string()
        )));
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("aaa.bbb.ccc") && debug.contains("Proxy-Authorization"),
            "{debug}"
        );
    }
}

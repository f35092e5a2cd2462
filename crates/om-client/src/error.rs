//! Errors of the OpenMetadata client. None of them ever holds the JWT.

use std::path::PathBuf;

/// Why a call to the OpenMetadata server, or setting up the client, failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `openMetadataServerConfig.hostPort` is not an `http(s)://host:port/api` URL.
    #[error(
        "workflowConfig.openMetadataServerConfig.hostPort {host_port:?} {reason}; it must be the server's API URL ending in /api, such as http://localhost:8585/api"
    )]
    BadHostPort { host_port: String, reason: String },

    /// Some other server setting cannot be used (YAML path in the message).
    #[error("{0}")]
    Config(String),

    /// `securityConfig.jwtToken` names a file that cannot be read.
    #[error(
        "cannot read the JWT token file {path} (workflowConfig.openMetadataServerConfig.securityConfig.jwtToken): {reason}"
    )]
    TokenFile { path: PathBuf, reason: String },

    /// TLS material (`sslConfig`) that cannot be read or used.
    #[error("workflowConfig.openMetadataServerConfig.sslConfig.{field}: {reason}")]
    Tls { field: &'static str, reason: String },

    /// The server cannot be reached (connection refused, DNS, TLS handshake,
    /// timeouts), after the retries.
    #[error("cannot reach the OpenMetadata server at {url}: {reason}")]
    Connect { url: String, reason: String },

    /// The server refused the credentials.
    #[error(
        "the OpenMetadata server refused the credentials (HTTP {status}) on {path}: {message}; check workflowConfig.openMetadataServerConfig.securityConfig.jwtToken"
    )]
    Auth {
        status: u16,
        path: String,
        message: String,
    },

    /// The server's major.minor version differs from the one omctl speaks.
    #[error(
        "the OpenMetadata server runs version {server}, omctl speaks {client}: major and minor versions must match (set workflowConfig.openMetadataServerConfig.enableVersionValidation: false to skip this check)"
    )]
    VersionMismatch { server: String, client: String },

    /// The server answered with an error for one call.
    #[error("{method} {path}{} answered HTTP {status}: {message}", entity_suffix(.entity))]
    Api {
        status: u16,
        method: String,
        path: String,
        /// The entity (kind and FQN) the call was about.
        entity: Option<String>,
        message: String,
    },

    /// A workflow that changes entities another workflow wrote (dbt) names a
    /// database service the server does not have: a configuration error, found
    /// before the source runs.
    #[error(
        "database service `{service}` does not exist on the server; run the Glue (or other database) workflow first, or fix source.serviceName"
    )]
    MissingService { service: String },

    /// The server answered a web page instead of JSON: `hostPort` points to the UI.
    #[error(
        "the server answered {path} with an HTML page instead of JSON: workflowConfig.openMetadataServerConfig.hostPort must point to the API and end in /api"
    )]
    Html { path: String },

    /// An answer that is not the JSON the call expects.
    #[error("unexpected answer to {method} {path}: {reason}")]
    Decode {
        method: String,
        path: String,
        reason: String,
    },
}

fn entity_suffix(entity: &Option<String>) -> String {
    entity
        .as_ref()
        .map(|e| format!(" (for {e})"))
        .unwrap_or_default()
}

impl ClientError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Auth { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Errors after which no further call can succeed: the server is unreachable or
    /// refuses our credentials. A sink stops on these instead of failing every record.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ClientError::Connect { .. } | ClientError::Auth { .. } | ClientError::Html { .. }
        )
    }

    /// The server's own message for an API error, else the whole error text.
    pub fn server_message(&self) -> String {
        match self {
            ClientError::Api {
                message, status, ..
            } => format!("{message} (HTTP {status})"),
            other => other.to_string(),
        }
    }
}

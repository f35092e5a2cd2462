//! The error a connector returns.

use connector_abi::wire::{BoundaryError, ErrorKind};

/// Why a connector could not do its job. The kind decides the host's exit code:
/// a configuration error, a connection failure, or anything else.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// A setting is missing or cannot work.
    #[error("configuration error: {0}")]
    Config(String),
    /// The source cannot be reached, or refuses the credentials.
    #[error("connection error: {0}")]
    Connection(String),
    /// Anything else that stops the whole source.
    #[error("{0}")]
    Internal(String),
    /// The host stopped reading (cancelled, or dropped the source). Returning it
    /// from `run` ends the run quietly: it is not an error of the connector.
    #[error("the host stopped reading")]
    Stopped,
}

impl ConnectorError {
    pub fn config(message: impl std::fmt::Display) -> Self {
        ConnectorError::Config(message.to_string())
    }

    pub fn connection(message: impl std::fmt::Display) -> Self {
        ConnectorError::Connection(message.to_string())
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        ConnectorError::Internal(message.to_string())
    }

    /// The error as it crosses the boundary; `None` for [`ConnectorError::Stopped`].
    pub(crate) fn into_boundary(self) -> Option<BoundaryError> {
        let (kind, message) = match self {
            ConnectorError::Config(m) => (ErrorKind::Config, m),
            ConnectorError::Connection(m) => (ErrorKind::Connection, m),
            ConnectorError::Internal(m) => (ErrorKind::Internal, m),
            ConnectorError::Stopped => return None,
        };
        Some(BoundaryError::new(kind, message))
    }
}

/// The host is not reading any more: returned by [`crate::Emitter::emit`]. Pass it
/// on with `?`; the run then ends without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the host stopped reading")]
pub struct Stopped;

impl From<Stopped> for ConnectorError {
    fn from(_: Stopped) -> Self {
        ConnectorError::Stopped
    }
}

/// An error and its sources on one line (`a: b: c`), for messages: most client
/// libraries put the useful part in a source.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        let text = e.to_string();
        // Some libraries repeat their source's text in their own message.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("request failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chain_joins_sources() {
        let e = Outer(std::io::Error::other("connection refused"));
        assert_eq!(error_chain(&e), "request failed: connection refused");
    }

    #[test]
    fn stopped_is_not_a_boundary_error() {
        assert!(ConnectorError::from(Stopped).into_boundary().is_none());
        let e = ConnectorError::config("catalogPath is missing")
            .into_boundary()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::Config);
        assert_eq!(e.message, "catalogPath is missing");
    }
}

//! Exit codes, and the errors that lead to them.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (also a partial success at or above `successThreshold`, and any result with `raiseOnError: false`) |
//! | 1 | the workflow failed: its success % is below `successThreshold` (with `raiseOnError`, OpenMetadata's default), or it stopped on an error that is not one of the kinds below |
//! | 2 | configuration or usage error: command line (clap's own usage errors also exit 2), workflow file (YAML, unknown key, wrong type, missing field, unset variable), no plugin for `source.type`, a setting the connector or sink refuses |
//! | 3 | connection or authentication failure: the source system or the OpenMetadata server cannot be reached or refuses the credentials; a mandatory `test-connection` step failed |
//! | 4 | plugin error: a library that is not an omctl plugin, an incompatible interface version, two plugins for one source type, a plugin that panicked or broke the interface |
//! | 5 | internal error: a bug in omctl, or the report file cannot be written |
//! | 130 | interrupted (Ctrl-C) after closing the sink and printing the summary |
//!
//! A usage error and a configuration error share 2 on purpose: both mean "the
//! invocation is wrong, fix the input", and a scheduler should not retry either.
//! 99 is never used: Airflow's `BashOperator` reads it as "skipped".

use std::fmt;

use om_client::ClientError;
use omctl_record::sink::SinkError;
use omctl_runtime::config::ConfigError;
use omctl_runtime::plugin::{ErrorKind, PluginError};
use omctl_runtime::report::{StopKind, Verdict};

pub const SUCCESS: u8 = 0;
pub const WORKFLOW_FAILED: u8 = 1;
pub const CONFIG: u8 = 2;
pub const CONNECTION: u8 = 3;
pub const PLUGIN: u8 = 4;
pub const INTERNAL: u8 = 5;
pub const INTERRUPTED: u8 = 130;

/// Why a command could not do its job.
#[derive(Debug)]
pub enum CliError {
    Config(ConfigError),
    Plugin(PluginError),
    Server(ClientError),
    Sink(SinkError),
    /// A problem the command describes itself, with its exit code.
    Other {
        code: u8,
        message: String,
    },
}

impl CliError {
    pub fn other(code: u8, message: impl Into<String>) -> Self {
        CliError::Other {
            code,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) => CONFIG,
            CliError::Plugin(e) => plugin_code(e),
            CliError::Server(e) => server_code(e),
            CliError::Sink(SinkError::Connection(_)) => CONNECTION,
            CliError::Sink(SinkError::Fatal(_)) => WORKFLOW_FAILED,
            CliError::Other { code, .. } => *code,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Config(e) => write!(f, "{e}"),
            CliError::Plugin(e) => write!(f, "{e}"),
            CliError::Server(e) => write!(f, "{e}"),
            CliError::Sink(e) => write!(f, "{e}"),
            CliError::Other { message, .. } => f.write_str(message),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::Config(e)
    }
}

impl From<PluginError> for CliError {
    fn from(e: PluginError) -> Self {
        CliError::Plugin(e)
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        CliError::Server(e)
    }
}

/// A plugin error's code: a wrong path or source type is the user's input, a
/// broken library is the plugin's fault, and errors from inside a connector say
/// their own kind.
pub fn plugin_code(e: &PluginError) -> u8 {
    match e {
        PluginError::NotFound { .. }
        | PluginError::ListDir { .. }
        | PluginError::NoPluginForSourceType { .. } => CONFIG,
        PluginError::Call { error, .. } => match error.kind {
            ErrorKind::Config => CONFIG,
            ErrorKind::Connection => CONNECTION,
            ErrorKind::Panic | ErrorKind::Internal => PLUGIN,
        },
        _ => PLUGIN,
    }
}

/// An OpenMetadata client error's code: settings are configuration, the rest is
/// the server's answer (or its absence).
pub fn server_code(e: &ClientError) -> u8 {
    match e {
        ClientError::BadHostPort { .. }
        | ClientError::Config(_)
        | ClientError::TokenFile { .. }
        | ClientError::Tls { .. }
        | ClientError::MissingService { .. } => CONFIG,
        _ => CONNECTION,
    }
}

/// The code of a finished run.
pub fn verdict_code(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Passed => SUCCESS,
        Verdict::BelowThreshold => WORKFLOW_FAILED,
        Verdict::Stopped(kind) => match kind {
            StopKind::Config => CONFIG,
            StopKind::Connection => CONNECTION,
            StopKind::Plugin => PLUGIN,
            StopKind::Interrupted => INTERRUPTED,
            StopKind::Other => WORKFLOW_FAILED,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omctl_runtime::plugin::BoundaryError;
    use std::path::PathBuf;

    #[test]
    fn codes_are_distinct_and_never_99() {
        let codes = [
            SUCCESS,
            WORKFLOW_FAILED,
            CONFIG,
            CONNECTION,
            PLUGIN,
            INTERNAL,
            INTERRUPTED,
        ];
        let mut sorted = codes.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert!(!codes.contains(&99));
    }

    #[test]
    fn run_verdicts() {
        assert_eq!(verdict_code(&Verdict::Passed), 0);
        assert_eq!(verdict_code(&Verdict::BelowThreshold), 1);
        assert_eq!(verdict_code(&Verdict::Stopped(StopKind::Connection)), 3);
        assert_eq!(verdict_code(&Verdict::Stopped(StopKind::Plugin)), 4);
        assert_eq!(verdict_code(&Verdict::Stopped(StopKind::Config)), 2);
        assert_eq!(verdict_code(&Verdict::Stopped(StopKind::Interrupted)), 130);
    }

    #[test]
    fn plugin_errors() {
        let call = |kind| PluginError::Call {
            plugin: "glue".into(),
            call: "open",
            error: BoundaryError::new(kind, "x"),
        };
        assert_eq!(plugin_code(&call(ErrorKind::Config)), CONFIG);
        assert_eq!(plugin_code(&call(ErrorKind::Connection)), CONNECTION);
        assert_eq!(plugin_code(&call(ErrorKind::Panic)), PLUGIN);
        let not_plugin = PluginError::NotAPlugin {
            path: PathBuf::from("libx.so"),
        };
        assert_eq!(plugin_code(&not_plugin), PLUGIN);
        let no_type = PluginError::NoPluginForSourceType {
            source_type: "nope".into(),
            available: vec![],
            skipped: vec![],
        };
        assert_eq!(plugin_code(&no_type), CONFIG);
    }

    #[test]
    fn server_errors() {
        assert_eq!(server_code(&ClientError::Config("x".into())), CONFIG);
        let connect = ClientError::Connect {
            url: "http://127.0.0.1:1/api".into(),
            reason: "refused".into(),
        };
        assert_eq!(server_code(&connect), CONNECTION);
        let missing = ClientError::MissingService {
            service: "glue_svc".into(),
        };
        assert_eq!(server_code(&missing), CONFIG);
    }
}

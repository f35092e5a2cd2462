//! Errors of reading and checking a workflow file. Each says where (file, line,
//! column, YAML path) and what is wrong; none carries a value from the file, since
//! values may be secrets.

use std::fmt;

use super::expand::ExpandIssue;

/// Where in the workflow file something is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file name, or `<stdin>`.
    pub origin: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Why a workflow file was refused (boxed: errors travel far and are rare).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConfigError(Box<ConfigErrorKind>);

/// The kinds of [`ConfigError`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigErrorKind {
    #[error("cannot read the workflow file {origin}: {source}")]
    Read {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {}", list_issues(.issues))]
    Environment {
        origin: String,
        issues: Vec<ExpandIssue>,
    },
    #[error("{place}: the file is not valid YAML or JSON: {message}")]
    Syntax { place: Place, message: String },
    /// The file parses but does not fit the schema, or a setting is out of range.
    #[error("{place}: {path}: {message}{}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Invalid {
        place: Place,
        /// The YAML path, such as `source.serviceConnection.config.awsConfig`.
        path: String,
        message: String,
        hint: Option<String>,
    },
}

fn list_issues(issues: &[ExpandIssue]) -> String {
    match issues {
        [one] => one.to_string(),
        many => {
            let mut s = format!("{} problems with environment variables:", many.len());
            for issue in many {
                s.push_str("\n  ");
                s.push_str(&issue.to_string());
            }
            s
        }
    }
}

impl From<ConfigErrorKind> for ConfigError {
    fn from(kind: ConfigErrorKind) -> Self {
        ConfigError(Box::new(kind))
    }
}

impl ConfigError {
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.0
    }

    /// The YAML path the error is about, when it has one.
    pub fn path(&self) -> Option<&str> {
        match self.kind() {
            ConfigErrorKind::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The line the error is about, when known.
    pub fn line(&self) -> Option<usize> {
        match self.kind() {
            ConfigErrorKind::Invalid { place, .. } | ConfigErrorKind::Syntax { place, .. } => {
                place.line
            }
            ConfigErrorKind::Environment { issues, .. } => issues.first().map(|i| i.line),
            ConfigErrorKind::Read { .. } => None,
        }
    }
}

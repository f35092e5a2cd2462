//! Reading a workflow file: OpenMetadata's `OpenMetadataWorkflowConfig`, unchanged,
//! as YAML or JSON, from a file or stdin.
//!
//! Steps, each with errors that name the file, line and YAML path:
//! 1. read the text ([`read_input`]);
//! 2. expand `$VAR` / `${VAR}` / `${VAR:-default}` ([`expand`]; comments are not
//!    expanded, `$$` is a literal `$`);
//! 3. parse the YAML (JSON is YAML) and rewrite keys that older OpenMetadata
//!    releases accepted, with a warning each ([`deprecated`]);
//! 4. build the typed configuration; unknown keys are errors where the schema says
//!    `additionalProperties: false`;
//! 5. check the settings omctl acts on ([`WorkflowFile`]).
//!
//! Values from the file never appear in errors or `Debug` output.

pub mod deprecated;
mod document;
mod error;
pub mod expand;
pub mod locate;
mod workflow_file;

use std::io::Read;
use std::path::PathBuf;

pub use document::{DeprecationWarning, Document, is_secret_key, path_string, sanitize};
pub use error::{ConfigError, ConfigErrorKind, Place};
pub use workflow_file::WorkflowFile;

/// Where a workflow file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigInput {
    Path(PathBuf),
    Stdin,
}

impl ConfigInput {
    /// `-` is stdin, anything else a path.
    pub fn from_arg(arg: &str) -> ConfigInput {
        if arg == "-" {
            ConfigInput::Stdin
        } else {
            ConfigInput::Path(PathBuf::from(arg))
        }
    }

    /// How messages name the input.
    pub fn origin(&self) -> String {
        match self {
            ConfigInput::Path(p) => p.display().to_string(),
            ConfigInput::Stdin => "<stdin>".to_string(),
        }
    }
}

/// Reads the whole text of the input.
pub fn read_input(input: &ConfigInput) -> Result<String, ConfigError> {
    let origin = input.origin();
    let read = match input {
        ConfigInput::Path(p) => std::fs::read_to_string(p),
        ConfigInput::Stdin => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map(|_| s)
        }
    };
    read.map_err(|source| ConfigErrorKind::Read { origin, source }.into())
}

/// The process environment, the lookup [`Document::parse`] uses in production.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

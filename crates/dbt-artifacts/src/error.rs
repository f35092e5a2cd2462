//! What can go wrong reading artifacts: [`Error`] stops a read, [`Warning`] rides
//! along with a result that is still usable.

use std::fmt;

/// The four dbt artifacts this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// `manifest.json`: the project's nodes, sources and exposures.
    Manifest,
    /// `catalog.json` (`dbt docs generate`): the warehouse's view of each relation.
    Catalog,
    /// `run_results.json`: the outcome of each node of a `dbt run/test/build`.
    RunResults,
    /// `sources.json` (`dbt source freshness`): freshness of each source.
    Sources,
}

impl ArtifactKind {
    /// The file name dbt writes into `target/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest.json",
            ArtifactKind::Catalog => "catalog.json",
            ArtifactKind::RunResults => "run_results.json",
            ArtifactKind::Sources => "sources.json",
        }
    }

    /// The path segment of `metadata.dbt_schema_version`
    /// (`https://schemas.getdbt.com/dbt/<segment>/v12.json`).
    pub fn schema_segment(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest",
            ArtifactKind::Catalog => "catalog",
            ArtifactKind::RunResults => "run-results",
            ArtifactKind::Sources => "sources",
        }
    }

    /// The schema versions whose layout this crate knows, oldest first; the last one
    /// is the layout an unknown version is read with.
    pub fn known_versions(self) -> &'static [u32] {
        match self {
            ArtifactKind::Manifest => &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20],
            ArtifactKind::Catalog => &[1],
            ArtifactKind::RunResults => &[1, 2, 3, 4, 5, 6],
            ArtifactKind::Sources => &[1, 2, 3],
        }
    }

    /// The newest known schema version.
    pub fn newest_version(self) -> u32 {
        let known = self.known_versions();
        known[known.len() - 1]
    }

    /// What a run loses when this (optional) artifact is absent.
    pub fn consequence_if_absent(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "nothing can be ingested",
            ArtifactKind::Catalog => {
                "column types and positions will come from the manifest only \
                 (`dbt docs generate` writes catalog.json)"
            }
            ArtifactKind::RunResults => "there will be no test results",
            ArtifactKind::Sources => {
                "there will be no source freshness results \
                 (`dbt source freshness` writes sources.json)"
            }
        }
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArtifactKind::Manifest => "manifest",
            ArtifactKind::Catalog => "catalog",
            ArtifactKind::RunResults => "run_results",
            ArtifactKind::Sources => "sources",
        })
    }
}

/// A read that could not produce an artifact. `file` is the path or URL the bytes
/// came from, as the caller named it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read dbt {kind} {file}: {source}")]
    Read {
        kind: ArtifactKind,
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot list the dbt artifacts in {dir}: {source}")]
    ListDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    /// Not JSON, or JSON of the wrong shape (a string where an object belongs).
    #[error("malformed dbt {kind} {file} at line {line}, column {column}: {message}")]
    Json {
        kind: ArtifactKind,
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// `metadata.dbt_schema_version` names another artifact (a catalog given as the
    /// manifest).
    #[error(
        "{file} is not a dbt {expected}: its metadata.dbt_schema_version is `{found}` \
         (a {expected} has `https://schemas.getdbt.com/dbt/{segment}/vN.json`)",
        segment = expected.schema_segment()
    )]
    WrongArtifact {
        expected: ArtifactKind,
        file: String,
        found: String,
    },
}

impl Error {
    pub(crate) fn json(kind: ArtifactKind, file: &str, err: &serde_json::Error) -> Error {
        let (line, column) = (err.line(), err.column());
        // serde_json appends " at line L column C"; the position is carried apart.
        let text = err.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        Error::Json {
            kind,
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Something the caller should report; the artifact it came with is still usable.
#[derive(Debug, thiserror::Error)]
pub enum Warning {
    /// A `dbt_schema_version` this crate does not know (newer, or unheard of).
    #[error(
        "{file}: dbt {kind} schema v{found} is not a known version ({known}); \
         it was read with the v{read_as} layout, so fields that changed may be missing"
    )]
    UnknownSchemaVersion {
        kind: ArtifactKind,
        file: String,
        found: u32,
        read_as: u32,
        known: String,
    },
    /// `metadata.dbt_schema_version` absent or not of the `…/vN.json` form.
    #[error(
        "{file}: {detail}; it was read with the dbt {kind} v{read_as} layout, \
         so fields that changed may be missing"
    )]
    UnrecognisedSchemaVersion {
        kind: ArtifactKind,
        file: String,
        detail: String,
        read_as: u32,
    },
    /// A node without a field every node must have; the node is left out.
    #[error("{file}: dbt node `{unique_id}` has no `{field}`; it is skipped")]
    NodeSkipped {
        file: String,
        unique_id: String,
        field: &'static str,
    },
    /// An optional artifact that is not there.
    #[error("no dbt {kind} at {file}: {consequence}", consequence = kind.consequence_if_absent())]
    ArtifactMissing { kind: ArtifactKind, file: String },
    /// An optional artifact that is there but cannot be used.
    #[error("{error}; it is ignored: {consequence}", consequence = kind.consequence_if_absent())]
    ArtifactUnusable { kind: ArtifactKind, error: Error },
}

/// An artifact with the warnings reading it gave.
#[derive(Debug)]
pub struct Parsed<T> {
    pub artifact: T,
    pub warnings: Vec<Warning>,
}

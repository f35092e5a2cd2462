//! Pieces that several artifacts share, and reading one from bytes or a file.

use serde::Deserialize;

use crate::de::loose_count;
use crate::error::{ArtifactKind, Error};

/// One phase of a node's execution (`compile`, `execute`) in run_results and
/// sources.json. Timestamps are as dbt wrote them; see [`crate::parse_timestamp_millis`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(expecting = "a timing entry (an object)")]
pub struct Timing {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
}

/// The `execute` phase's `completed_at`: when a test or freshness check ran.
pub(crate) fn execute_completed_at(timing: &[Timing]) -> Option<&str> {
    timing
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case("execute"))
        .and_then(|t| t.completed_at.as_deref())
}

/// `warn_after` / `error_after` of a source's freshness.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(expecting = "a freshness threshold (an object with count and period)")]
pub struct FreshnessThreshold {
    #[serde(default, deserialize_with = "loose_count")]
    pub count: Option<u64>,
    #[serde(default)]
    pub period: Option<String>,
}

impl FreshnessThreshold {
    /// `"6 hour"`, the form OpenMetadata's freshness test parameters take; `None`
    /// when dbt leaves the threshold unset (both fields `null`).
    pub fn describe(&self) -> Option<String> {
        match (self.count, self.period.as_deref()) {
            (Some(count), Some(period)) => Some(format!("{count} {period}")),
            _ => None,
        }
    }
}

/// A source's freshness settings (manifest) or the criteria a check ran with
/// (sources.json).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(expecting = "freshness criteria (an object)")]
pub struct FreshnessCriteria {
    #[serde(default)]
    pub warn_after: Option<FreshnessThreshold>,
    #[serde(default)]
    pub error_after: Option<FreshnessThreshold>,
    #[serde(default)]
    pub filter: Option<String>,
}

impl FreshnessCriteria {
    /// Whether any threshold is set (dbt writes all-`null` thresholds for sources
    /// without freshness).
    pub fn is_set(&self) -> bool {
        [&self.warn_after, &self.error_after]
            .into_iter()
            .any(|t| t.as_ref().and_then(FreshnessThreshold::describe).is_some())
    }
}

/// The `metadata` block common to all artifacts (only what is used).
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "the artifact metadata (an object)")]
pub(crate) struct RawMetadata {
    #[serde(default)]
    pub dbt_schema_version: Option<String>,
    #[serde(default)]
    pub dbt_version: Option<String>,
    #[serde(default)]
    pub generated_at: Option<String>,
    #[serde(default)]
    pub invocation_id: Option<String>,
    // Manifest only.
    #[serde(default)]
    pub project_name: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub adapter_type: Option<String>,
}

pub(crate) fn read_file(kind: ArtifactKind, path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        kind,
        file: path.display().to_string(),
        source,
    })
}

/// Deserialises a whole artifact; a JSON error names the file, line and column.
pub(crate) fn from_slice<'a, T: Deserialize<'a>>(
    kind: ArtifactKind,
    file: &str,
    bytes: &'a [u8],
) -> Result<T, Error> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(not_an_object(kind, file, bytes));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::json(kind, file, &e))
}

/// The error for a document that is not a JSON object (derived structs would
/// also take an array; this says plainly what is wrong, and where).
pub(crate) fn not_an_object(kind: ArtifactKind, file: &str, bytes: &[u8]) -> Error {
    let err = serde_json::from_slice::<ObjectOnly>(bytes)
        .err()
        .unwrap_or_else(|| serde::de::Error::custom("expected a JSON object"));
    Error::json(kind, file, &err)
}

/// Accepts a JSON object only, ignoring its content.
struct ObjectOnly;

impl<'de> Deserialize<'de> for ObjectOnly {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ObjectOnly;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ObjectOnly, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(ObjectOnly)
            }
        }
        d.deserialize_any(V)
    }
}

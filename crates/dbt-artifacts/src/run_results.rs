//! `run_results.json` (schema v1–v6) and `sources.json` (schema v1–v3): what a dbt
//! invocation did to each node.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::common::{FreshnessCriteria, RawMetadata, Timing, from_slice, read_file};
use crate::de::{Meta, loose_count, loose_f64, loose_string, nullable, via_str};
use crate::error::{ArtifactKind, Error, Parsed, Warning};
use crate::version;

/// The `status` of a result. dbt-core writes lower case (`runtime error`); dbt
/// Fusion capitalises (`Pass`); both read the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// A model/seed/snapshot ran, or (with no message) a test was only compiled.
    Success,
    Pass,
    Fail,
    Warn,
    /// A test's query failed; for freshness, older than `error_after`.
    Error,
    RuntimeError,
    Skipped,
    NoOp,
    PartialSuccess,
    Other(String),
}

impl RunStatus {
    pub fn parse(text: &str) -> RunStatus {
        let folded: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "success" => RunStatus::Success,
            "pass" => RunStatus::Pass,
            "fail" | "failure" => RunStatus::Fail,
            "warn" | "warning" => RunStatus::Warn,
            "error" => RunStatus::Error,
            "runtimeerror" => RunStatus::RuntimeError,
            "skipped" | "skip" => RunStatus::Skipped,
            "noop" => RunStatus::NoOp,
            "partialsuccess" => RunStatus::PartialSuccess,
            _ => RunStatus::Other(text.to_string()),
        }
    }

    /// dbt-core's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Pass => "pass",
            RunStatus::Fail => "fail",
            RunStatus::Warn => "warn",
            RunStatus::Error => "error",
            RunStatus::RuntimeError => "runtime error",
            RunStatus::Skipped => "skipped",
            RunStatus::NoOp => "no-op",
            RunStatus::PartialSuccess => "partial success",
            RunStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        via_str(d, RunStatus::parse, "a status")
    }
}

/// `metadata` of run_results or sources.json.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultsMetadata {
    pub dbt_schema_version: Option<String>,
    pub schema_version: Option<u32>,
    pub dbt_version: Option<String>,
    /// When dbt wrote the file; the fallback time of a result without timing.
    pub generated_at: Option<String>,
    pub invocation_id: Option<String>,
}

impl From<(RawMetadata, Option<u32>)> for ResultsMetadata {
    fn from((m, schema_version): (RawMetadata, Option<u32>)) -> Self {
        ResultsMetadata {
            dbt_schema_version: m.dbt_schema_version,
            schema_version,
            dbt_version: m.dbt_version,
            generated_at: m.generated_at,
            invocation_id: m.invocation_id,
        }
    }
}

/// A results file: run_results (`R` = [`RunResult`]) or sources.json
/// (`R` = [`FreshnessResult`]).
#[derive(Debug, Clone)]
pub struct Results<R> {
    pub file: String,
    pub metadata: ResultsMetadata,
    pub elapsed_time: Option<f64>,
    /// In file order.
    pub results: Vec<R>,
}

/// A run_results file.
pub type RunResults = Results<RunResult>;

/// A sources.json file (`dbt source freshness`).
pub type SourceFreshness = Results<FreshnessResult>;

/// One node's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub unique_id: String,
    pub status: RunStatus,
    /// dbt's message (`Got 1 result, configured to fail if != 0`, `OK`, an error).
    pub message: Option<String>,
    /// Failing rows of a test (v2+; in v1 the message held the count).
    pub failures: Option<u64>,
    pub timing: Vec<Timing>,
    pub execution_time: Option<f64>,
    pub thread_id: Option<String>,
    pub adapter_response: Meta,
}

impl RunResult {
    /// The `execute` phase's `completed_at` — when the node ran.
    pub fn completed_at(&self) -> Option<&str> {
        crate::common::execute_completed_at(&self.timing)
    }
}

/// One source's freshness check.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshnessResult {
    pub unique_id: String,
    /// `pass`, `warn`, `error` (older than `error_after`) or `runtime error`.
    pub status: RunStatus,
    pub max_loaded_at: Option<String>,
    pub snapshotted_at: Option<String>,
    pub max_loaded_at_time_ago_in_s: Option<f64>,
    pub criteria: Option<FreshnessCriteria>,
    /// Set for `runtime error` results.
    pub error: Option<String>,
    pub timing: Vec<Timing>,
    pub execution_time: Option<f64>,
    pub adapter_response: Meta,
}

impl FreshnessResult {
    /// The `execute` phase's `completed_at`, else `snapshotted_at`.
    pub fn completed_at(&self) -> Option<&str> {
        crate::common::execute_completed_at(&self.timing).or(self.snapshotted_at.as_deref())
    }
}

impl RunResults {
    pub fn from_path(path: impl AsRef<Path>) -> Result<Parsed<RunResults>, Error> {
        let (bytes, file) = read(ArtifactKind::RunResults, path.as_ref())?;
        RunResults::from_slice(&bytes, &file)
    }

    pub fn from_slice(bytes: &[u8], file: &str) -> Result<Parsed<RunResults>, Error> {
        parse_results(ArtifactKind::RunResults, bytes, file, run_result)
    }
}

impl SourceFreshness {
    pub fn from_path(path: impl AsRef<Path>) -> Result<Parsed<SourceFreshness>, Error> {
        let (bytes, file) = read(ArtifactKind::Sources, path.as_ref())?;
        SourceFreshness::from_slice(&bytes, &file)
    }

    pub fn from_slice(bytes: &[u8], file: &str) -> Result<Parsed<SourceFreshness>, Error> {
        parse_results(ArtifactKind::Sources, bytes, file, freshness_result)
    }
}

fn read(kind: ArtifactKind, path: &Path) -> Result<(Vec<u8>, String), Error> {
    Ok((read_file(kind, path)?, path.display().to_string()))
}

/// Turns a raw entry into a result, or `None` after a warning.
type Convert<Raw, R> = fn(Raw, &str, usize, &mut Vec<Warning>) -> Option<R>;

fn parse_results<Raw: for<'de> Deserialize<'de>, R>(
    kind: ArtifactKind,
    bytes: &[u8],
    file: &str,
    convert: Convert<Raw, R>,
) -> Result<Parsed<Results<R>>, Error> {
    let raw: RawResults<Raw> = from_slice(kind, file, bytes)?;
    let meta = raw.metadata.unwrap_or_default();
    let (number, warning) = version::check(kind, file, meta.dbt_schema_version.as_deref())?;
    let mut warnings: Vec<Warning> = warning.into_iter().collect();
    let results = raw
        .results
        .0
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| convert(r, file, i, &mut warnings))
        .collect();
    Ok(Parsed {
        artifact: Results {
            file: file.to_string(),
            metadata: ResultsMetadata::from((meta, number)),
            elapsed_time: raw.elapsed_time,
            results,
        },
        warnings,
    })
}

fn run_result(
    r: RawRunResult,
    file: &str,
    index: usize,
    warnings: &mut Vec<Warning>,
) -> Option<RunResult> {
    let (unique_id, status) = required(file, index, r.unique_id, r.status, warnings)?;
    let message = r.message.filter(|m| !m.is_empty());
    // v1 wrote a failing test's row count as its message.
    let failures = r.failures.or_else(|| {
        matches!(status, RunStatus::Fail | RunStatus::Warn)
            .then(|| message.as_deref().and_then(|m| m.parse().ok()))
            .flatten()
    });
    Some(RunResult {
        unique_id,
        status,
        message,
        failures,
        timing: r.timing,
        execution_time: r.execution_time,
        thread_id: r.thread_id,
        adapter_response: r.adapter_response,
    })
}

fn freshness_result(
    r: RawFreshness,
    file: &str,
    index: usize,
    warnings: &mut Vec<Warning>,
) -> Option<FreshnessResult> {
    let (unique_id, status) = required(file, index, r.unique_id, r.status, warnings)?;
    Some(FreshnessResult {
        unique_id,
        status,
        max_loaded_at: r.max_loaded_at,
        snapshotted_at: r.snapshotted_at,
        max_loaded_at_time_ago_in_s: r.max_loaded_at_time_ago_in_s,
        criteria: r.criteria,
        error: r.error.filter(|e| !e.is_empty()),
        timing: r.timing,
        execution_time: r.execution_time,
        adapter_response: r.adapter_response,
    })
}

/// A result without `unique_id` or `status` is left out with a warning.
fn required(
    file: &str,
    index: usize,
    unique_id: Option<String>,
    status: Option<RunStatus>,
    warnings: &mut Vec<Warning>,
) -> Option<(String, RunStatus)> {
    let (unique_id, field) = match (unique_id, status) {
        (Some(u), Some(s)) => return Some((u, s)),
        (None, _) => (format!("results[{index}]"), "unique_id"),
        (Some(u), None) => (u, "status"),
    };
    warnings.push(Warning::NodeSkipped {
        file: file.to_string(),
        unique_id,
        field,
    });
    None
}

#[derive(Deserialize)]
#[serde(bound = "R: Deserialize<'de>")]
#[serde(expecting = "a dbt results file (an object)")]
struct RawResults<R> {
    #[serde(default)]
    metadata: Option<RawMetadata>,
    #[serde(default, deserialize_with = "loose_f64")]
    elapsed_time: Option<f64>,
    #[serde(default)]
    results: Items<R>,
}

/// A list that may be `null`.
struct Items<T>(Vec<T>);

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Items<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Items<T>, E> {
                Ok(Items::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(Items(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(expecting = "a run result (an object)")]
struct RawRunResult {
    #[serde(default)]
    unique_id: Option<String>,
    #[serde(default)]
    status: Option<RunStatus>,
    #[serde(default, deserialize_with = "loose_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "loose_count")]
    failures: Option<u64>,
    #[serde(default, deserialize_with = "nullable")]
    timing: Vec<Timing>,
    #[serde(default, deserialize_with = "loose_f64")]
    execution_time: Option<f64>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    adapter_response: Meta,
}

#[derive(Deserialize)]
#[serde(expecting = "a freshness result (an object)")]
struct RawFreshness {
    #[serde(default)]
    unique_id: Option<String>,
    #[serde(default)]
    status: Option<RunStatus>,
    #[serde(default)]
    max_loaded_at: Option<String>,
    #[serde(default)]
    snapshotted_at: Option<String>,
    #[serde(default, deserialize_with = "loose_f64")]
    max_loaded_at_time_ago_in_s: Option<f64>,
    #[serde(default)]
    criteria: Option<FreshnessCriteria>,
    #[serde(default, deserialize_with = "loose_string")]
    error: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    timing: Vec<Timing>,
    #[serde(default, deserialize_with = "loose_f64")]
    execution_time: Option<f64>,
    #[serde(default, deserialize_with = "nullable")]
    adapter_response: Meta,
}

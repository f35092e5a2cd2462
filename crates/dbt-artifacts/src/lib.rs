//! dbt artifacts read into typed, version-independent structures.
//!
//! | artifact | schema versions | type |
//! |---|---|---|
//! | `manifest.json` | v1–v12, v20 | [`Manifest`] |
//! | `catalog.json` | v1 | [`Catalog`] |
//! | `run_results.json` | v1–v6 | [`RunResults`] |
//! | `sources.json` | v1–v3 | [`SourceFreshness`] |
//!
//! The version comes from `metadata.dbt_schema_version`. Every reader accepts all
//! the known layouts at once (`raw_sql`/`raw_code`, `refs` as lists or objects,
//! `meta` beside or inside `config`, tags as a string or a list), so callers see
//! one model. A version newer than the known ones is read with the newest layout
//! and a [`Warning`]; a file of another artifact kind is an [`Error`].
//!
//! Only what OpenMetadata needs is built; everything else (macros, docs, parent
//! and child maps, configs' other keys) is skipped while parsing, never held.
//!
//! ```no_run
//! let artifacts = dbt_artifacts::Artifacts::load("target")?;
//! for warning in &artifacts.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! let manifest = &artifacts.manifest;
//! for node in manifest.nodes().iter().filter(|n| n.has_relation()) {
//!     let upstream = manifest.upstream(node);
//!     println!("{} <- {:?}", node.unique_id, upstream.nodes.len());
//! }
//! # Ok::<(), dbt_artifacts::Error>(())
//! ```

mod catalog;
mod common;
mod de;
mod error;
mod lineage;
mod load;
mod manifest;
mod quality;
mod run_results;
mod stream;
mod time;
mod version;

pub use catalog::{Catalog, CatalogColumn, CatalogMetadata, CatalogStat, CatalogTable};
pub use common::{FreshnessCriteria, FreshnessThreshold, Timing};
pub use de::Meta;
pub use error::{ArtifactKind, Error, Parsed, Warning};
pub use lineage::{RelationIndex, Upstream};
pub use load::{ArtifactLocation, ArtifactPaths, Artifacts};
pub use manifest::{
    Column, Constraint, Exposure, Manifest, ManifestMetadata, Node, NodeConfig, OpenMetadataMeta,
    Ref, Relation, ResourceType, SourceDetails, SourceRef, TestDetails, UnitTest,
};
pub use quality::{
    TestCaseStatus, TestOutcome, TestRun, TestTarget, UnattachedTest, latest_test_results,
};
pub use run_results::{
    FreshnessResult, Results, ResultsMetadata, RunResult, RunResults, RunStatus, SourceFreshness,
};
pub use time::parse_timestamp_millis;
pub use version::schema_version_url;

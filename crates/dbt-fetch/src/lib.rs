//! Turns OpenMetadata's `dbtConfigSource` into local dbt artifact sets that
//! [`dbt_artifacts::Artifacts::load`] reads.
//!
//! | `dbtConfigType` | what happens |
//! |---|---|
//! | `local` | the configured paths, nothing is read here |
//! | `http` | each configured URL is downloaded (with `dbtHttpHeaders`, `dbtVerifySSL`) |
//! | `s3` | the objects under `dbtPrefixConfig` are listed and grouped by directory; one set per directory holding a `manifest.json`, only the latest of sibling folders named with a date |
//! | `cloud` | the artifacts of the latest finished dbt Cloud run (v2 API) |
//! | `gcs`, `azure` | [`FetchError::Unsupported`], saying how to use `local` or `http` instead |
//!
//! Downloads are streamed into a temporary directory that lives as long as the
//! returned [`Fetched`], so a large manifest is never held in memory here.
//!
//! ```no_run
//! # async fn run(source: &om_spec::generated::metadata_ingestion::dbt_pipeline::DbtConfigSource)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! let fetched = dbt_fetch::fetch(source, &dbt_fetch::FetchOptions::default()).await?;
//! for warning in &fetched.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! for set in &fetched.sets {
//!     let artifacts = dbt_artifacts::Artifacts::load(set.location.clone())
//!         .map_err(|e| set.describe(&e.to_string()))?;
//!     for warning in &artifacts.warnings {
//!         if let dbt_artifacts::Warning::ArtifactMissing { kind, .. } = warning {
//!             if set.reported_absent.contains(kind) {
//!                 continue; // already in fetched.warnings
//!             }
//!         }
//!         eprintln!("warning: {}", set.describe(&warning.to_string()));
//!     }
//! }
//! # Ok(()) }
//! ```

mod cloud;
mod error;
mod http;
mod local;
mod s3;
mod store;

use std::path::PathBuf;
use std::time::Duration;

use dbt_artifacts::{ArtifactKind, ArtifactLocation, ArtifactPaths};
use om_spec::generated::metadata_ingestion::dbt_pipeline::DbtConfigSource;
use tempfile::TempDir;

pub use error::FetchError;

/// How downloads behave.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// For `http` and dbt Cloud: the connect timeout, and the longest a response
    /// may stall between two reads (a slow but moving download of a large manifest
    /// is not cut off, a server that stops answering is). S3 reads follow
    /// connector-aws' own timeouts and retries.
    pub timeout: Duration,
    /// Where the temporary download directory is made; `None`: the system's
    /// temporary directory.
    pub temp_parent: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(30),
            temp_parent: None,
        }
    }
}

/// The artifact sets of a `dbtConfigSource`, ready to load.
#[derive(Debug)]
pub struct Fetched {
    /// One per dbt project to ingest: one for `local`, `http` and `cloud`; one per
    /// S3 directory holding a `manifest.json`, in key order.
    pub sets: Vec<ArtifactSet>,
    /// What the user should know: an optional artifact that could not be fetched
    /// or is not there (naming where it was looked for and what the run will lack),
    /// an S3 folder with artifacts but no manifest, AWS settings that look wrong.
    pub warnings: Vec<String>,
    /// Holds the downloaded files; they are deleted when this is dropped.
    _dir: Option<TempDir>,
}

/// One dbt project's artifacts on the local disk.
#[derive(Debug, Clone)]
pub struct ArtifactSet {
    /// Where the set comes from, for messages: the manifest's path or URL,
    /// `s3://bucket/dir/`, or `dbt Cloud run 123 (account 45)`.
    pub label: String,
    /// What to give [`dbt_artifacts::Artifacts::load`].
    pub location: ArtifactLocation,
    /// Optional artifacts whose absence is already explained in
    /// [`Fetched::warnings`]; loading reports them again as
    /// [`dbt_artifacts::Warning::ArtifactMissing`] under a temporary path, which a
    /// caller should drop.
    pub reported_absent: Vec<ArtifactKind>,
    /// (temporary path or directory prefix, where it was downloaded from), longest first.
    origins: Vec<(String, String)>,
}

impl ArtifactSet {
    fn new(label: String, location: ArtifactLocation) -> Self {
        ArtifactSet {
            label,
            location,
            reported_absent: Vec::new(),
            origins: Vec::new(),
        }
    }

    fn add_origin(&mut self, local: String, remote: String) {
        self.origins.push((local, remote));
        self.origins
            .sort_by_key(|(local, _)| std::cmp::Reverse(local.len()));
    }

    /// Records a downloaded artifact: where `paths` finds it and where it came from.
    fn attach(
        &mut self,
        paths: &mut ArtifactPaths,
        kind: ArtifactKind,
        path: PathBuf,
        origin: String,
    ) {
        self.add_origin(path.display().to_string(), origin);
        match kind {
            ArtifactKind::Manifest => paths.manifest = path,
            ArtifactKind::Catalog => paths.catalog = Some(path),
            ArtifactKind::RunResults => paths.run_results.push(path),
            ArtifactKind::Sources => paths.sources = Some(path),
        }
    }

    /// `message` (an artifact error or warning as text) with the temporary paths of
    /// downloaded files replaced by the URL or `s3://` key they came from. Local
    /// sets are returned unchanged.
    pub fn describe(&self, message: &str) -> String {
        let mut out = message.to_string();
        for (local, remote) in &self.origins {
            if out.contains(local.as_str()) {
                out = out.replace(local.as_str(), remote);
            }
        }
        out
    }
}

/// Fetches the artifacts `source` points at. Errors stop the run (no manifest can
/// be had); everything else is in [`Fetched::warnings`].
pub async fn fetch(source: &DbtConfigSource, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    match source {
        DbtConfigSource::Local(config) => local::fetch(config),
        DbtConfigSource::Http(config) => http::fetch(config, opts).await,
        DbtConfigSource::S3(config) => s3::fetch(config, opts).await,
        DbtConfigSource::Cloud(config) => cloud::fetch(config, opts).await,
        DbtConfigSource::Gcs(_) => Err(FetchError::Unsupported {
            config_type: "gcs",
            copy_hint: "e.g. `gcloud storage cp -r gs://bucket/target .` or `gsutil cp`",
            link_hint: "e.g. signed URLs from `gcloud storage sign-url`",
        }),
        DbtConfigSource::Azure(_) => Err(FetchError::Unsupported {
            config_type: "azure",
            copy_hint: "e.g. `azcopy copy 'https://account.blob.core.windows.net/container/target' . --recursive`",
            link_hint: "e.g. blob URLs with a SAS token",
        }),
    }
}

/// A setting's value, with empty strings (often left by templating) read as unset.
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().and_then(trimmed)
}

/// `value` trimmed, `None` when that leaves nothing.
fn trimmed(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_replaces_the_longest_prefix_first() {
        let mut set = ArtifactSet::new("s3://b/".into(), ArtifactLocation::Dir("/t".into()));
        set.add_origin("/t/set-1/".into(), "s3://b/dbt/".into());
        set.add_origin(
            "/t/set-1/manifest.json".into(),
            "s3://b/dbt/Manifest.json".into(),
        );
        assert_eq!(
            set.describe("/t/set-1/manifest.json: line 3; no dbt catalog at /t/set-1/catalog.json"),
            "s3://b/dbt/Manifest.json: line 3; no dbt catalog at s3://b/dbt/catalog.json"
        );
        assert_eq!(set.describe("/t/set-10/x"), "/t/set-10/x");
    }

    #[tokio::test]
    async fn gcs_and_azure_explain_the_way_around() {
        let gcs: DbtConfigSource = serde_json::from_value(serde_json::json!({
            "dbtConfigType": "gcs",
            "dbtSecurityConfig": {"gcpConfig": {"type": "gcp_credential_path", "path": "/k.json"}},
            "dbtPrefixConfig": {"dbtBucketName": "b"}
        }))
        .unwrap();
        let azure: DbtConfigSource = serde_json::from_value(serde_json::json!({
            "dbtConfigType": "azure", "dbtSecurityConfig": {"accountName": "acct"}
        }))
        .unwrap();
        for (source, kind, tool) in [(gcs, "gcs", "gcloud storage"), (azure, "azure", "azcopy")] {
            let e = fetch(&source, &FetchOptions::default()).await.unwrap_err();
            let text = e.to_string();
            assert!(
                matches!(e, FetchError::Unsupported { config_type, .. } if config_type == kind),
                "{text}"
            );
            assert!(
                text.contains("dbtConfigType: local") && text.contains("dbtConfigType: http"),
                "{text}"
            );
            assert!(text.contains(tool), "{text}");
        }
    }
}

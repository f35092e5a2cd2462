//! Why artifacts could not be fetched. Every message names the setting, URL, file
//! or `s3://` location at fault; none carries a token, a header value or a URL's
//! query string (which may hold a signature).

use connector_aws::AwsError;
use dbt_artifacts::ArtifactKind;

/// A failure that leaves nothing to ingest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A `dbtConfigSource` field is missing or wrong.
    #[error("invalid sourceConfig.config.dbtConfigSource.{field}: {reason}")]
    Config { field: String, reason: String },

    /// `gcs` and `azure`.
    #[error(
        "dbtConfigType: {config_type} is not supported by omctl yet. Copy the artifacts to the \
         machine that runs omctl ({copy_hint}) and use `dbtConfigType: local` with \
         dbtManifestFilePath (and dbtCatalogFilePath, dbtRunResultsFilePath, \
         dbtSourcesFilePath), or give HTTPS links to them ({link_hint}) with \
         `dbtConfigType: http` and dbtManifestHttpPath"
    )]
    Unsupported {
        config_type: &'static str,
        copy_hint: &'static str,
        link_hint: &'static str,
    },

    /// `dbtSecurityConfig` of the `s3` source is not valid AWS configuration.
    #[error("invalid sourceConfig.config.dbtConfigSource.dbtSecurityConfig: {source}")]
    AwsConfig {
        #[source]
        source: AwsError,
    },

    /// An S3 call failed (the message names the call, the `s3://` location and,
    /// for a denial, the IAM permission to grant).
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// The bucket holds no `manifest.json` under the prefix.
    #[error(
        "no manifest.json under {location}{skipped}; check dbtPrefixConfig.dbtBucketName and \
         dbtPrefixConfig.dbtObjectPrefix",
        skipped = skipped_note(*.scanned)
    )]
    NoManifest { location: String, scanned: u64 },

    /// A required artifact could not be downloaded over HTTP(S).
    #[error("cannot download the dbt {kind} from {url}: {reason}")]
    Download {
        kind: ArtifactKind,
        /// Without its query string.
        url: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        reason: String,
    },

    /// dbt Cloud refused a request or answered something unexpected.
    #[error("dbt Cloud: {reason} ({url})")]
    Cloud {
        url: String,
        status: Option<u16>,
        reason: String,
    },

    /// dbt Cloud has no finished run matching the settings.
    #[error(
        "dbt Cloud account {account} has no finished run (status success or error){filters}; \
         run the job once, or check dbtCloudProjectId and dbtCloudJobId"
    )]
    NoFinishedRun { account: String, filters: String },

    /// The temporary directory for downloads could not be made or written.
    #[error("cannot write the downloaded dbt artifact {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn skipped_note(scanned: u64) -> String {
    match scanned {
        0 => " (no objects there)".to_string(),
        1 => " (1 object listed, not named manifest.json)".to_string(),
        n => format!(" ({n} objects listed, none named manifest.json)"),
    }
}

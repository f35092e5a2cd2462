//! Shared AWS access for omctl's AWS connectors (`glue`, `gluepipeline`, dbt's S3
//! source): one way to turn OpenMetadata's `awsConfig` (and omctl's extras in
//! `connectionArguments`) into SDK clients, and one way to explain what went wrong.
//!
//! ```text
//! AwsSettings::new(&fields, connectionArguments, connector_keys)?   // validate
//! AwsClient::connect(settings).await?                               // build
//! client.glue()                                                     // aws_sdk_glue::Client
//! client.sdk_config()                                               // for other services
//! classify(&AwsCall::new("glue", "GetTables"), sdk_error)           // AwsError
//! ```

mod assume_role;
pub mod console;
pub mod error;
pub mod pacing;
pub mod region;
pub mod s3;
pub mod settings;

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

pub use assume_role::AssumeRoleSettings;
pub use error::{AwsCall, AwsError, classify, classify_code};
pub use settings::{AWS_ARGUMENT_KEYS, AwsSettings, RetryMode, StaticKeys};

use assume_role::AssumeRoleCredentials;
use pacing::{PacedHttpClient, Pacer, default_https_client};

/// Configured AWS access: an `SdkConfig` carrying region, credentials (static,
/// profile, default chain or assumed role), endpoint override, retry policy and the
/// optional request-rate cap shared by every client made from it.
#[derive(Debug, Clone)]
pub struct AwsClient {
    settings: Arc<AwsSettings>,
    sdk_config: SdkConfig,
}

fn retry_config(settings: &AwsSettings, max_attempts: u32) -> RetryConfig {
    let base = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    let base = base.with_max_attempts(max_attempts);
    match settings.initial_backoff {
        Some(b) => base.with_initial_backoff(b),
        None => base,
    }
}

impl AwsClient {
    /// Builds the SDK configuration. Nothing is sent to AWS here: credentials are
    /// fetched (and an assumed role's are renewed) when a call needs them.
    pub async fn connect(settings: AwsSettings) -> Result<AwsClient, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .retry_config(retry_config(&settings, settings.max_attempts));
        if let Some(rps) = settings.requests_per_second {
            loader = loader.http_client(PacedHttpClient {
                inner: default_https_client(),
                pacer: Arc::new(Pacer::per_second(rps)),
            });
        }
        if let Some(profile) = &settings.profile_name {
            loader = loader.profile_name(profile);
        }
        if let Some(keys) = &settings.keys {
            loader = loader.credentials_provider(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.expose().to_string(),
                keys.session_token.as_ref().map(|t| t.expose().to_string()),
                None,
                "awsConfig",
            ));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let base = loader.load().await;

        let sdk_config = match &settings.assume_role {
            None => base,
            Some(role) => {
                // STS is called with the base identity. It goes to the regional STS
                // endpoint, not to endPointURL (which names the Glue endpoint), unless
                // connectionArguments.stsEndpointUrl says otherwise.
                let mut sts_conf = aws_sdk_sts::config::Builder::from(&base);
                sts_conf.set_endpoint_url(settings.sts_endpoint_url.clone());
                let sts = aws_sdk_sts::Client::from_conf(sts_conf.build());
                let provider = AssumeRoleCredentials::new(sts, role.clone());
                base.into_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build()
            }
        };
        Ok(AwsClient {
            settings: Arc::new(settings),
            sdk_config,
        })
    }

    /// The SDK configuration, for clients of other services (S3...).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk_config
    }

    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    pub fn region(&self) -> &str {
        &self.settings.region
    }

    /// `connectionArguments.catalogId`, to pass as `CatalogId` on every Glue call.
    pub fn catalog_id(&self) -> Option<&str> {
        self.settings.catalog_id.as_deref()
    }

    /// A Glue client with the configured retry policy.
    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&self.sdk_config)
    }

    /// A Glue client that gives up after `max_attempts`, for probes such as
    /// test-connection that should answer quickly.
    pub fn glue_with_max_attempts(&self, max_attempts: u32) -> aws_sdk_glue::Client {
        let conf = aws_sdk_glue::config::Builder::from(&self.sdk_config)
            .retry_config(retry_config(&self.settings, max_attempts.max(1)))
            .build();
        aws_sdk_glue::Client::from_conf(conf)
    }

    /// Where Glue calls go, for messages.
    pub fn endpoint_description(&self) -> String {
        match &self.settings.endpoint_url {
            Some(url) => url.clone(),
            None => format!("glue.{}.amazonaws.com", self.settings.region),
        }
    }
}

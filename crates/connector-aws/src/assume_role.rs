//! Credentials from STS `AssumeRole` (`awsConfig.assumeRoleArn`).
//!
//! aws-config's own `AssumeRoleProvider` cannot send `SourceIdentity`
//! (`awsConfig.assumeRoleSourceIdentity`), so this small provider calls STS itself.
//! It returns credentials with their expiry; the SDK's identity cache (the lazy
//! cache every `SdkConfig` carries) keeps them until shortly before they expire and
//! then asks this provider again, so long runs keep working.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, future};
use aws_sdk_sts::error::DisplayErrorContext;

/// What to send to STS.
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRoleSettings {
    pub role_arn: String,
    pub session_name: String,
    pub source_identity: Option<String>,
    /// `connectionArguments.externalId`: a secret-like value shared with the role's
    /// owner, so it is redacted from `Debug`.
    pub external_id: Option<String>,
}

impl std::fmt::Debug for AssumeRoleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRoleSettings")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("source_identity", &self.source_identity)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Debug)]
pub(crate) struct AssumeRoleCredentials {
    sts: aws_sdk_sts::Client,
    settings: AssumeRoleSettings,
}

impl AssumeRoleCredentials {
    pub(crate) fn new(sts: aws_sdk_sts::Client, settings: AssumeRoleSettings) -> Self {
        AssumeRoleCredentials { sts, settings }
    }

    async fn fetch(&self) -> provider::Result {
        let s = &self.settings;
        tracing::debug!(role = %s.role_arn, "assuming role");
        let out = self
            .sts
            .assume_role()
            .role_arn(&s.role_arn)
            .role_session_name(&s.session_name)
            .set_source_identity(s.source_identity.clone())
            .set_external_id(s.external_id.clone())
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "sts:AssumeRole for {} failed: {}. The base identity needs the IAM \
                     permission `sts:AssumeRole` on that role (plus `sts:SetSourceIdentity` \
                     when assumeRoleSourceIdentity is set), and the role's trust policy must \
                     allow it (including the external id, if the role requires one)",
                    s.role_arn,
                    DisplayErrorContext(&e)
                ))
            })?;
        let c = out
            .credentials
            .ok_or_else(|| CredentialsError::unhandled("STS AssumeRole returned no credentials"))?;
        let expiry = SystemTime::try_from(c.expiration).map_err(|_| {
            CredentialsError::unhandled("STS returned an expiry that is not a valid time")
        })?;
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            Some(expiry),
            "omctl-assume-role",
        ))
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.fetch())
    }
}

//! The validated AWS settings: `awsConfig` plus the omctl extras read from
//! `serviceConnection.config.connectionArguments`.
//!
//! The extras live in `connectionArguments` because the spec makes that a free-form
//! map: a workflow file that uses them stays valid for OpenMetadata.

use std::time::Duration;

use std::collections::BTreeMap;

use om_spec::Secret;
use om_spec::generated::security::credentials::aws_credentials::AWSCredentials;
use serde_json::Value;

use crate::assume_role::AssumeRoleSettings;
use crate::error::AwsError;
use crate::region::{RegionCheck, check_region};

/// The `connectionArguments` keys connector-aws reads.
pub const AWS_ARGUMENT_KEYS: &[&str] = &[
    "catalogId",
    "externalId",
    "retryMode",
    "maxAttempts",
    "retryInitialBackoffMs",
    "requestsPerSecond",
    "stsEndpointUrl",
];

/// omctl's default for `maxAttempts`: the SDK's 3 is too few for a full-catalog
/// crawl in an account whose Glue quota is shared with crawlers and Athena.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// Session name STS gets when `assumeRoleSessionName` is not set (the spec's default).
pub const DEFAULT_SESSION_NAME: &str = "OpenMetadataSession";

/// Static keys from `awsConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Not `format: password` in the spec, but as sensitive as the secret key.
    pub session_token: Option<Secret>,
}

/// How the SDK retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    /// Standard plus client-side rate adaptation when throttled.
    Adaptive,
}

/// Everything needed to build clients, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsSettings {
    pub region: String,
    /// `None`: the default credential chain (environment, profile, web identity,
    /// container, instance metadata).
    pub keys: Option<StaticKeys>,
    pub profile_name: Option<String>,
    pub endpoint_url: Option<String>,
    pub assume_role: Option<AssumeRoleSettings>,
    /// The Glue catalog (AWS account id) to read; `None`: the caller's own.
    pub catalog_id: Option<String>,
    pub retry_mode: RetryMode,
    pub max_attempts: u32,
    pub initial_backoff: Option<Duration>,
    pub requests_per_second: Option<f64>,
    /// Where STS is called for assume-role; `None`: the regional STS endpoint.
    pub sts_endpoint_url: Option<String>,
    /// Things the user should know about the settings (unknown keys...).
    pub warnings: Vec<String>,
}

/// Empty strings in a workflow file (`awsSessionToken: ""`, often left by
/// templating) mean "not set".
fn non_empty(o: &Option<String>) -> Option<String> {
    o.as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// [`non_empty`] for a secret; the value never leaves a [`Secret`].
fn non_empty_secret(o: &Option<Secret>) -> Option<Secret> {
    o.as_ref()
        .map(|s| s.expose().trim())
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

fn check_url(value: &str, what: impl Fn(String) -> AwsError) -> Result<String, AwsError> {
    let v = value.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(v.to_string()),
        _ => Err(what(format!(
            "'{v}' is not an http(s) URL; expected something like `https://glue.us-east-1.amazonaws.com` or `http://127.0.0.1:5000`"
        ))),
    }
}

/// Reads a number that may be written as a JSON number or a string (OpenMetadata's
/// UI stores connection arguments as strings).
fn number_arg(key: &str, v: &Value) -> Result<f64, AwsError> {
    let bad = || AwsError::InvalidArgument {
        key: key.to_string(),
        reason: format!("expected a number, got {v}"),
    };
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(bad),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn integer_arg(key: &str, v: &Value, min: u64, max: u64) -> Result<u64, AwsError> {
    let n = number_arg(key, v)?;
    if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
        return Err(AwsError::InvalidArgument {
            key: key.to_string(),
            reason: format!("expected a whole number from {min} to {max}, got {v}"),
        });
    }
    Ok(n as u64)
}

fn string_arg(key: &str, v: &Value) -> Result<String, AwsError> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(AwsError::InvalidArgument {
            key: key.to_string(),
            reason: format!("expected a non-empty string, got {v}"),
        }),
    }
}

impl AwsSettings {
    /// Validates `awsConfig` and the AWS extras in `connectionArguments`.
    ///
    /// `connector_keys` are the `connectionArguments` keys the calling connector reads
    /// itself; any key that is neither one of those nor in [`AWS_ARGUMENT_KEYS`] gives
    /// a warning naming it (a typo would otherwise be silently ignored).
    pub fn new(
        aws: &AWSCredentials,
        connection_arguments: Option<&BTreeMap<String, Value>>,
        connector_keys: &[&str],
    ) -> Result<AwsSettings, AwsError> {
        let mut warnings = Vec::new();
        let region = aws.aws_region.clone();
        if check_region(&region)? == RegionCheck::Unlisted {
            warnings.push(format!(
                "awsConfig.awsRegion '{region}' is not a region omctl knows; using it as given"
            ));
        }

        let access = non_empty(&aws.aws_access_key_id);
        let secret = non_empty_secret(&aws.aws_secret_access_key);
        let token = non_empty_secret(&aws.aws_session_token);
        let keys = match (access, secret) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticKeys {
                access_key_id,
                secret_access_key,
                session_token: token,
            }),
            (None, None) => {
                if token.is_some() {
                    return Err(AwsError::InvalidConfig {
                        field: "awsSessionToken",
                        reason: "a session token needs awsAccessKeyId and awsSecretAccessKey \
                                 (the temporary keys it belongs to)"
                            .into(),
                    });
                }
                None
            }
            (Some(_), None) => {
                return Err(AwsError::InvalidConfig {
                    field: "awsSecretAccessKey",
                    reason: "awsAccessKeyId is set but awsSecretAccessKey is not; set both, or \
                             neither to use the default credential chain"
                        .into(),
                });
            }
            (None, Some(_)) => {
                return Err(AwsError::InvalidConfig {
                    field: "awsAccessKeyId",
                    reason: "awsSecretAccessKey is set but awsAccessKeyId is not; set both, or \
                             neither to use the default credential chain"
                        .into(),
                });
            }
        };

        let endpoint_url = match non_empty(&aws.end_point_url) {
            Some(u) => Some(check_url(&u, |reason| AwsError::InvalidConfig {
                field: "endPointURL",
                reason,
            })?),
            None => None,
        };

        let mut settings = AwsSettings {
            region,
            keys,
            profile_name: non_empty(&aws.profile_name),
            endpoint_url,
            assume_role: None,
            catalog_id: None,
            retry_mode: RetryMode::Standard,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: None,
            requests_per_second: None,
            sts_endpoint_url: None,
            warnings: Vec::new(),
        };
        let mut external_id = None;

        let empty = BTreeMap::new();
        let args = connection_arguments.unwrap_or(&empty);
        for (key, value) in args {
            match key.as_str() {
                "catalogId" => settings.catalog_id = Some(string_arg(key, value)?),
                "externalId" => external_id = Some(string_arg(key, value)?),
                "retryMode" => {
                    settings.retry_mode = match string_arg(key, value)?.to_ascii_lowercase().as_str() {
                        "standard" => RetryMode::Standard,
                        "adaptive" => RetryMode::Adaptive,
                        other => {
                            return Err(AwsError::InvalidArgument {
                                key: key.clone(),
                                reason: format!("expected `standard` or `adaptive`, got `{other}`"),
                            });
                        }
                    }
                }
                "maxAttempts" => settings.max_attempts = integer_arg(key, value, 1, 100)? as u32,
                "retryInitialBackoffMs" => {
                    settings.initial_backoff =
                        Some(Duration::from_millis(integer_arg(key, value, 1, 60_000)?))
                }
                "requestsPerSecond" => {
                    let n = number_arg(key, value)?;
                    if !(n.is_finite() && n > 0.0 && n <= 100_000.0) {
                        return Err(AwsError::InvalidArgument {
                            key: key.clone(),
                            reason: format!("expected a positive number of requests per second, got {value}"),
                        });
                    }
                    settings.requests_per_second = Some(n);
                }
                "stsEndpointUrl" => {
                    let url = string_arg(key, value)?;
                    settings.sts_endpoint_url = Some(check_url(&url, |reason| {
                        AwsError::InvalidArgument {
                            key: key.clone(),
                            reason,
                        }
                    })?);
                }
                k if connector_keys.contains(&k) => {}
                k => warnings.push(format!(
                    "connectionArguments.{k} is not an option omctl knows; it is ignored (known: {})",
                    AWS_ARGUMENT_KEYS
                        .iter()
                        .chain(connector_keys)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }

        if let Some(role_arn) = non_empty(&aws.assume_role_arn) {
            if !role_arn.starts_with("arn:") {
                return Err(AwsError::InvalidConfig {
                    field: "assumeRoleArn",
                    reason: format!(
                        "'{role_arn}' is not a role ARN; expected `arn:aws:iam::<account>:role/<name>`"
                    ),
                });
            }
            settings.assume_role = Some(AssumeRoleSettings {
                role_arn,
                session_name: non_empty(&Some(aws.assume_role_session_name.clone()))
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
                source_identity: non_empty(&aws.assume_role_source_identity),
                external_id,
            });
        } else if external_id.is_some() {
            warnings.push(
                "connectionArguments.externalId is only used with awsConfig.assumeRoleArn; it is \
                 ignored"
                    .to_string(),
            );
        }
        settings.warnings = warnings;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> AWSCredentials {
        AWSCredentials {
            aws_region: "us-east-2".into(),
            aws_access_key_id: Some("AKIDEXAMPLE".into()),
            aws_secret_access_key: Some("very-secret-value".into()),
            ..Default::default()
        }
    }

    fn args(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_and_extras() {
        let s = AwsSettings::new(&fields(), None, &[]).unwrap();
        assert_eq!(s.max_attempts, DEFAULT_MAX_ATTEMPTS);
        assert_eq!(s.retry_mode, RetryMode::Standard);
        assert!(s.warnings.is_empty());

        let a = args(json!({
            "catalogId": 123456789012u64, "retryMode": "Adaptive", "maxAttempts": "20",
            "requestsPerSecond": 5.5, "retryInitialBackoffMs": 10, "resourceShareType": "ALL",
            "catalogID": "typo"
        }));
        let s = AwsSettings::new(&fields(), Some(&a), &["resourceShareType"]).unwrap();
        assert_eq!(s.catalog_id.as_deref(), Some("123456789012"));
        assert_eq!(s.retry_mode, RetryMode::Adaptive);
        assert_eq!(s.max_attempts, 20);
        assert_eq!(s.requests_per_second, Some(5.5));
        assert_eq!(s.initial_backoff, Some(Duration::from_millis(10)));
        assert_eq!(s.warnings.len(), 1);
        assert!(
            s.warnings[0].contains("connectionArguments.catalogID"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn bad_arguments_name_the_key() {
        for (a, key) in [
            (json!({"maxAttempts": 0}), "maxAttempts"),
            (json!({"maxAttempts": "many"}), "maxAttempts"),
            (json!({"retryMode": "legacy"}), "retryMode"),
            (json!({"requestsPerSecond": -1}), "requestsPerSecond"),
            (json!({"stsEndpointUrl": "localhost:1"}), "stsEndpointUrl"),
        ] {
            let e = AwsSettings::new(&fields(), Some(&args(a)), &[]).unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("connectionArguments.{key}")),
                "{e}"
            );
        }
    }

    #[test]
    fn half_keys_and_lonely_token_are_errors() {
        let mut f = fields();
        f.aws_secret_access_key = None;
        assert!(
            AwsSettings::new(&f, None, &[])
                .unwrap_err()
                .to_string()
                .contains("awsSecretAccessKey")
        );
        let f = AWSCredentials {
            aws_region: "us-east-1".into(),
            aws_session_token: Some(Secret::new("tok")),
            ..Default::default()
        };
        assert!(
            AwsSettings::new(&f, None, &[])
                .unwrap_err()
                .to_string()
                .contains("awsSessionToken")
        );
        // Empty strings are "not set": the default chain.
        let f = AWSCredentials {
            aws_region: "us-east-1".into(),
            aws_access_key_id: Some("".into()),
            aws_secret_access_key: Some(" ".into()),
            ..Default::default()
        };
        assert!(AwsSettings::new(&f, None, &[]).unwrap().keys.is_none());
    }

    #[test]
    fn assume_role_defaults_and_external_id() {
        let mut f = fields();
        f.assume_role_arn = Some("arn:aws:iam::111122223333:role/reader".into());
        let a = args(json!({"externalId": "shared-xyz"}));
        let s = AwsSettings::new(&f, Some(&a), &[]).unwrap();
        let ar = s.assume_role.unwrap();
        assert_eq!(ar.session_name, DEFAULT_SESSION_NAME);
        assert_eq!(ar.external_id.as_deref(), Some("shared-xyz"));
        assert!(!format!("{ar:?}").contains("shared-xyz"));

        f.assume_role_arn = Some("reader".into());
        assert!(
            AwsSettings::new(&f, None, &[])
                .unwrap_err()
                .to_string()
                .contains("assumeRoleArn")
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut f = fields();
        f.aws_session_token = Some(Secret::new("session-token-value"));
        let s = AwsSettings::new(&f, None, &[]).unwrap();
        let d = format!("{s:?}");
        assert!(
            !d.contains("very-secret-value") && !d.contains("session-token-value"),
            "{d}"
        );
        assert!(d.contains("AKIDEXAMPLE"));
    }

    #[test]
    fn region_and_endpoint_checked() {
        let mut f = fields();
        f.aws_region = "us-east-1a".into();
        assert!(matches!(
            AwsSettings::new(&f, None, &[]),
            Err(AwsError::InvalidRegion { .. })
        ));
        let mut f = fields();
        f.end_point_url = Some("glue.local".into());
        assert!(
            AwsSettings::new(&f, None, &[])
                .unwrap_err()
                .to_string()
                .contains("endPointURL")
        );
    }
}

//! Typed AWS errors whose messages say what to change: the IAM permission to grant,
//! the setting to fix, the endpoint that did not answer.
//!
//! Messages never contain secrets: they are built from error codes, AWS's own
//! messages (which do not echo keys) and the non-secret settings.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};

/// Which call failed, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall {
    /// The IAM service prefix (`glue`, `s3`, `sts`).
    pub service: &'static str,
    /// The API operation (`GetTables`).
    pub operation: &'static str,
    /// What the call was about, such as `database 'sales' in catalog 123456789012`.
    pub target: Option<String>,
}

impl AwsCall {
    pub fn new(service: &'static str, operation: &'static str) -> Self {
        AwsCall {
            service,
            operation,
            target: None,
        }
    }

    pub fn on(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The IAM action that allows this call, such as `glue:GetTables`.
    pub fn permission(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    fn describe(&self) -> String {
        match &self.target {
            Some(t) => format!("{} {} ({t})", self.service, self.operation),
            None => format!("{} {}", self.service, self.operation),
        }
    }
}

/// Everything that can go wrong while configuring or calling AWS.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("invalid AWS region '{region}' (awsConfig.awsRegion): {hint}")]
    InvalidRegion { region: String, hint: String },

    /// A field of `awsConfig` is wrong or two fields contradict each other.
    #[error("invalid awsConfig.{field}: {reason}")]
    InvalidConfig { field: &'static str, reason: String },

    /// A value under `serviceConnection.config.connectionArguments` is wrong.
    #[error("invalid connectionArguments.{key}: {reason}")]
    InvalidArgument { key: String, reason: String },

    #[error(
        "AWS denied {call}: {message}. Grant the IAM permission `{permission}` to the identity \
         omctl uses{lake_formation}"
    )]
    AccessDenied {
        call: String,
        permission: String,
        message: String,
        /// A hint about Lake Formation for Glue Data Catalog calls.
        lake_formation: &'static str,
    },

    #[error(
        "AWS did not recognise the credentials used for {call} ({code}): {message}. Check \
         awsConfig.awsAccessKeyId and awsConfig.awsSecretAccessKey (and awsSessionToken for \
         temporary keys), or the profile / role they come from"
    )]
    BadCredentials {
        call: String,
        code: String,
        message: String,
    },

    #[error(
        "the AWS credentials used for {call} have expired ({code}): {message}. Refresh \
         awsConfig.awsSessionToken with its keys, or use a profile or assumeRoleArn so that \
         omctl renews them"
    )]
    ExpiredCredentials {
        call: String,
        code: String,
        message: String,
    },

    /// No credentials could be obtained (empty default chain, failed AssumeRole...).
    #[error("could not obtain AWS credentials for {call}: {detail}")]
    Credentials { call: String, detail: String },

    #[error(
        "AWS kept throttling {call} ({code}) after all retries: {message}. Lower \
         connectionArguments.requestsPerSecond or sourceConfig.config.threads, or raise \
         connectionArguments.maxAttempts"
    )]
    Throttled {
        call: String,
        code: String,
        message: String,
    },

    #[error("{call}: not found ({code}): {message}")]
    NotFound {
        call: String,
        code: String,
        message: String,
    },

    #[error(
        "could not reach the AWS endpoint for {call}: {detail}. Check awsConfig.endPointURL \
         and awsConfig.awsRegion, the network path (proxy, VPC endpoint) and that the \
         service is up"
    )]
    Unreachable { call: String, detail: String },

    #[error("{call} timed out: {detail}")]
    Timeout { call: String, detail: String },

    /// Any other error code from the service.
    #[error("{call} failed ({code}): {message}")]
    Service {
        call: String,
        code: String,
        message: String,
    },

    /// The response could not be read, or the request could not be built.
    #[error("{call} failed: {detail}")]
    Other { call: String, detail: String },
}

impl AwsError {
    /// Whether the error is about who we are (keys, role, permissions) rather than
    /// about one resource, so that a caller can stop instead of trying every database.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            AwsError::BadCredentials { .. }
                | AwsError::ExpiredCredentials { .. }
                | AwsError::Credentials { .. }
        )
    }

    /// Whether the error is a configuration mistake found before any call.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            AwsError::InvalidRegion { .. }
                | AwsError::InvalidConfig { .. }
                | AwsError::InvalidArgument { .. }
        )
    }

    /// The AWS error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::BadCredentials { code, .. }
            | AwsError::ExpiredCredentials { code, .. }
            | AwsError::Throttled { code, .. }
            | AwsError::NotFound { code, .. }
            | AwsError::Service { code, .. } => Some(code),
            AwsError::AccessDenied { .. } => Some("AccessDeniedException"),
            _ => None,
        }
    }
}

/// The chain of an error's messages, joined with `: `, each said once. For the
/// detail of a failed step: unlike the SDK's `DisplayErrorContext`, it carries no
/// raw HTTP response (headers, body), which is noise to a user.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

fn find_credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        cur = e.source();
    }
    None
}

/// Turns an SDK error into an [`AwsError`] for `call`.
pub fn classify<E, R>(call: &AwsCall, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let described = call.describe();
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or("no message").to_string();
            classify_code(call, &code, message)
        }
        SdkError::DispatchFailure(df) => {
            if let Some(cred) = find_credentials_error(&err) {
                return AwsError::Credentials {
                    call: described,
                    detail: chain(cred),
                };
            }
            let detail = chain(&err);
            if df.is_timeout() {
                AwsError::Timeout {
                    call: described,
                    detail,
                }
            } else if df.is_io() {
                AwsError::Unreachable {
                    call: described,
                    detail,
                }
            } else {
                AwsError::Other {
                    call: described,
                    detail,
                }
            }
        }
        SdkError::TimeoutError(_) => AwsError::Timeout {
            call: described,
            detail: chain(&err),
        },
        _ => AwsError::Other {
            call: described,
            detail: chain(&err),
        },
    }
}

/// Maps an AWS error code to an [`AwsError`]. Public for callers that get codes
/// outside the SDK (tests, other protocols).
pub fn classify_code(call: &AwsCall, code: &str, message: String) -> AwsError {
    // The messages below end in a sentence of their own; AWS's own message usually
    // ends with a period already.
    let message = match message.trim_end().strip_suffix('.') {
        Some(m) => m.to_string(),
        None => message,
    };
    let described = call.describe();
    let code_s = code.to_string();
    match code {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            AwsError::AccessDenied {
                call: described,
                permission: call.permission(),
                message,
                lake_formation: if call.service == "glue" {
                    "; if the catalog is governed by AWS Lake Formation, also grant DESCRIBE \
                     (databases) and SELECT or DESCRIBE (tables) to that identity"
                } else {
                    ""
                },
            }
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => AwsError::BadCredentials {
            call: described,
            code: code_s,
            message,
        },
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
            AwsError::ExpiredCredentials {
                call: described,
                code: code_s,
                message,
            }
        }
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded" => AwsError::Throttled {
            call: described,
            code: code_s,
            message,
        },
        "EntityNotFoundException" | "ResourceNotFoundException" | "NoSuchEntity" => {
            AwsError::NotFound {
                call: described,
                code: code_s,
                message,
            }
        }
        _ => AwsError::Service {
            call: described,
            code: code_s,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_permission_and_lake_formation() {
        let call = AwsCall::new("glue", "GetTables").on("database 'sales'");
        let e = classify_code(
            &call,
            "AccessDeniedException",
            "User: x is not authorized".into(),
        );
        let s = e.to_string();
        assert!(s.contains("`glue:GetTables`"), "{s}");
        assert!(s.contains("database 'sales'"), "{s}");
        assert!(s.contains("Lake Formation"), "{s}");
        assert_eq!(e.code(), Some("AccessDeniedException"));
    }

    #[test]
    fn bad_keys_point_at_the_key_fields() {
        let call = AwsCall::new("glue", "GetDatabases");
        let e = classify_code(&call, "UnrecognizedClientException", "invalid token".into());
        assert!(e.is_auth());
        assert!(e.to_string().contains("awsAccessKeyId"), "{e}");
    }
}

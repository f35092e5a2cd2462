//! Reads single S3 objects (a Glue job's script, a dbt artifact) with a SigV4-signed
//! `GetObject`, so that a connector that needs a few objects does not build the
//! whole S3 SDK. Credentials and region are the [`crate::AwsClient`]'s own.
//!
//! Endpoints: AWS's regional S3 endpoint (virtual-hosted URLs, path-style for
//! bucket names with dots), or an S3-compatible endpoint given by URL (path-style,
//! as emulators and MinIO expect). Glue's `endPointURL` is not reused for S3 by
//! this module: a caller decides.
//!
//! Throttling (`SlowDown`) and server errors are retried with backoff, up to the
//! client's `maxAttempts`. `requestsPerSecond` paces Glue calls, not these reads.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::AwsClient;
use crate::error::{AwsCall, AwsError, classify_code};

/// Credentials are renewed this long before they expire.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// `s3://bucket/key` (also `s3a://`, `s3n://`) as (bucket, key).
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "s3" | "s3a" | "s3n") {
        return None;
    }
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// Percent-encodes a key for a URL path, keeping `/` (S3 signs the path encoded once).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text between `<tag>` and `</tag>` in an S3 XML error.
fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// Reads S3 objects.
#[derive(Debug)]
pub struct S3Reader {
    endpoint: Option<String>,
    region: String,
    provider: Option<SharedCredentialsProvider>,
    connector: SharedHttpConnector,
    cached: tokio::sync::Mutex<Option<Credentials>>,
    max_attempts: u32,
}

impl AwsClient {
    /// A reader of S3 objects with this client's region and credentials.
    /// `endpoint`: an S3-compatible endpoint URL (path-style requests); `None`:
    /// AWS's S3 endpoint for the region.
    pub fn s3_reader(&self, endpoint: Option<&str>) -> S3Reader {
        let connector = aws_smithy_http_client::Connector::builder()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build();
        S3Reader {
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_string()),
            region: self.region().to_string(),
            provider: self.sdk_config().credentials_provider(),
            connector: SharedHttpConnector::new(connector),
            cached: tokio::sync::Mutex::new(None),
            max_attempts: self.settings().max_attempts.max(1),
        }
    }
}

impl S3Reader {
    /// The URL a `GetObject` of `bucket`/`key` goes to.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        let key = encode_key(key);
        match &self.endpoint {
            Some(e) => format!("{e}/{bucket}/{key}"),
            None => {
                let domain = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                if bucket.contains('.') {
                    format!("https://s3.{}.{domain}/{bucket}/{key}", self.region)
                } else {
                    format!("https://{bucket}.s3.{}.{domain}/{key}", self.region)
                }
            }
        }
    }

    async fn credentials(&self, call: &AwsCall) -> Result<Credentials, AwsError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|exp| exp > SystemTime::now() + RENEW_BEFORE);
            if fresh {
                return Ok(c.clone());
            }
        }
        let provider = self
            .provider
            .as_ref()
            .ok_or_else(|| AwsError::Credentials {
                call: format!("{} {}", call.service, call.operation),
                detail: "no credentials are configured".to_string(),
            })?;
        let c = provider
            .provide_credentials()
            .await
            .map_err(|e| AwsError::Credentials {
                call: format!("{} {}", call.service, call.operation),
                detail: e.to_string(),
            })?;
        *cached = Some(c.clone());
        Ok(c)
    }

    fn signed_request(&self, url: &str, credentials: Credentials) -> Result<HttpRequest, String> {
        let identity: Identity = credentials.into();
        let mut settings = SigningSettings::default();
        // S3 signs the path as sent and wants the payload hash as a header.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let signable =
            SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
                .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let mut request = HttpRequest::new(SdkBody::empty());
        request.set_uri(url).map_err(|e| e.to_string())?;
        for (name, value) in instructions.headers() {
            request
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        Ok(request)
    }

    /// Reads an object as UTF-8 text (invalid bytes replaced), refusing objects
    /// larger than `max_bytes`.
    pub async fn get_text(&self, url: &str, max_bytes: usize) -> Result<String, AwsError> {
        let call = AwsCall::new("s3", "GetObject").on(url.to_string());
        let described = format!("s3 GetObject ({url})");
        let Some((bucket, key)) = parse_s3_url(url) else {
            return Err(AwsError::Other {
                call: described,
                detail: "not an S3 URL of the form s3://bucket/key".to_string(),
            });
        };
        let target = self.object_url(&bucket, &key);
        let mut attempt = 1;
        loop {
            let credentials = self.credentials(&call).await?;
            let request = self
                .signed_request(&target, credentials)
                .map_err(|detail| AwsError::Other {
                    call: described.clone(),
                    detail,
                })?;
            let response = match self.connector.call(request).await {
                Ok(r) => r,
                Err(e) if attempt < self.max_attempts && (e.is_timeout() || e.is_io()) => {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(e) => {
                    let detail = format!("{e} ({target})");
                    return Err(if e.is_timeout() {
                        AwsError::Timeout {
                            call: described,
                            detail,
                        }
                    } else {
                        AwsError::Unreachable {
                            call: described,
                            detail,
                        }
                    });
                }
            };
            let status = response.status().as_u16();
            let mut stream = ByteStream::new(response.into_body());
            let mut body: Vec<u8> = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| AwsError::Other {
                    call: described.clone(),
                    detail: format!("reading the object failed: {e}"),
                })?;
                body.extend_from_slice(&chunk);
                if body.len() > max_bytes {
                    return Err(AwsError::Other {
                        call: described,
                        detail: format!("the object is larger than {max_bytes} bytes"),
                    });
                }
            }
            if (200..300).contains(&status) {
                return Ok(String::from_utf8_lossy(&body).into_owned());
            }
            let xml = String::from_utf8_lossy(&body);
            let code = xml_field(&xml, "Code").unwrap_or(match status {
                403 => "AccessDenied",
                404 => "NoSuchKey",
                _ => "Unknown",
            });
            let message = xml_field(&xml, "Message")
                .unwrap_or("no message")
                .to_string();
            let retryable = status >= 500 || code == "SlowDown";
            if retryable && attempt < self.max_attempts {
                attempt += 1;
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
            return Err(match (status, code) {
                (404, _) => AwsError::NotFound {
                    call: described,
                    code: code.to_string(),
                    message,
                },
                (_, "SlowDown") => classify_code(&call, "Throttling", message),
                (_, "InvalidAccessKeyId") => classify_code(&call, "InvalidClientTokenId", message),
                _ => classify_code(&call, code, message),
            });
        }
    }
}

/// Exponential backoff from 50 ms, at most 5 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(7)).min(5000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_s3_url("s3://b/dir/a b.py"),
            Some(("b".into(), "dir/a b.py".into()))
        );
        assert_eq!(parse_s3_url("s3a://b/k"), Some(("b".into(), "k".into())));
        assert_eq!(parse_s3_url("s3://b"), None);
        assert_eq!(parse_s3_url("https://b/k"), None);
        assert_eq!(encode_key("dir/a b+c.py"), "dir/a%20b%2Bc.py");
        assert_eq!(
            xml_field("<Error><Code>NoSuchKey</Code></Error>", "Code"),
            Some("NoSuchKey")
        );
    }
}

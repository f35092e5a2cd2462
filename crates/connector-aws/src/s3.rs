//! Reads S3 objects (a Glue job's script, dbt artifacts) and lists keys under a
//! prefix with SigV4-signed `GetObject` / `ListObjectsV2` requests, so that a
//! connector that needs a few objects does not build the whole S3 SDK. Credentials
//! and region are the [`crate::AwsClient`]'s own.
//!
//! Endpoints: AWS's regional S3 endpoint (virtual-hosted URLs, path-style for
//! bucket names with dots), or an S3-compatible endpoint given by URL (path-style,
//! as emulators and MinIO expect). Glue's `endPointURL` is not reused for S3 by
//! this module: a caller decides.
//!
//! Throttling (`SlowDown`) and server errors are retried with backoff, up to the
//! client's `maxAttempts`. `requestsPerSecond` paces Glue calls, not these reads.
//! Object bodies are streamed ([`S3Reader::get_object`]), never held whole unless the
//! caller asks for text ([`S3Reader::get_text`]).

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

/// Percent-encodes `value`, keeping the characters S3 never encodes and, when
/// `keep_slash`, `/` (S3 signs a key in the path encoded once, slashes as they are).
fn encode(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a key for a URL path, keeping `/`.
fn encode_key(key: &str) -> String {
    encode(key, true)
}

/// The text between `<tag>` and `</tag>` in an S3 XML error.
fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// One page of a `ListObjectsV2` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    pub objects: Vec<S3Object>,
    /// Pass to the next [`S3Reader::list_objects_page`] call; `None` on the last page.
    pub continuation_token: Option<String>,
}

/// Reads the XML of a `ListObjectsV2` answer.
fn parse_list_page(xml: &str) -> Result<ListPage, String> {
    use aws_smithy_xml::decode::{Document, try_data};
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    if !root.start_el().matches("ListBucketResult") {
        return Err(format!(
            "expected a ListBucketResult, got <{}>",
            root.start_el().local()
        ));
    }
    let mut page = ListPage::default();
    let mut truncated = false;
    while let Some(mut tag) = root.next_tag() {
        let name = tag.start_el().local().to_string();
        match name.as_str() {
            "Contents" => {
                let mut key = None;
                let mut size = 0;
                while let Some(mut field) = tag.next_tag() {
                    let field_name = field.start_el().local().to_string();
                    match field_name.as_str() {
                        "Key" => {
                            key = Some(
                                try_data(&mut field)
                                    .map_err(|e| e.to_string())?
                                    .into_owned(),
                            )
                        }
                        "Size" => {
                            let text = try_data(&mut field).map_err(|e| e.to_string())?;
                            size = text
                                .trim()
                                .parse()
                                .map_err(|_| format!("object size `{text}` is not a number"))?;
                        }
                        _ => {}
                    }
                }
                let key = key.ok_or("a <Contents> entry has no <Key>")?;
                page.objects.push(S3Object { key, size });
            }
            "IsTruncated" => {
                truncated = try_data(&mut tag).map_err(|e| e.to_string())?.trim() == "true"
            }
            "NextContinuationToken" => {
                let token = try_data(&mut tag).map_err(|e| e.to_string())?;
                page.continuation_token = Some(token.into_owned());
            }
            _ => {}
        }
    }
    if !truncated {
        page.continuation_token = None;
    } else if page.continuation_token.is_none() {
        return Err("the listing is truncated but has no NextContinuationToken".to_string());
    }
    Ok(page)
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

/// The body of an object being read; see [`S3Reader::get_object`].
pub struct S3Body {
    stream: ByteStream,
    described: String,
}

impl std::fmt::Debug for S3Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Body")
            .field("object", &self.described)
            .finish_non_exhaustive()
    }
}

impl S3Body {
    /// The next piece of the body; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<impl AsRef<[u8]> + use<>>, AwsError> {
        match self.stream.next().await {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes)),
            Some(Err(e)) => Err(AwsError::Other {
                call: self.described.clone(),
                detail: format!("reading the object failed: {e}"),
            }),
        }
    }

    /// The whole body, refusing more than `max_bytes`.
    pub async fn read_to_end(mut self, max_bytes: usize) -> Result<Vec<u8>, AwsError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            body.extend_from_slice(chunk.as_ref());
            if body.len() > max_bytes {
                return Err(AwsError::Other {
                    call: self.described,
                    detail: format!("the object is larger than {max_bytes} bytes"),
                });
            }
        }
        Ok(body)
    }
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
    /// The URL of `bucket` itself, without a trailing slash.
    fn bucket_url(&self, bucket: &str) -> String {
        match &self.endpoint {
            Some(e) => format!("{e}/{bucket}"),
            None => {
                let domain = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                if bucket.contains('.') {
                    format!("https://s3.{}.{domain}/{bucket}", self.region)
                } else {
                    format!("https://{bucket}.s3.{}.{domain}", self.region)
                }
            }
        }
    }

    /// The URL a `GetObject` of `bucket`/`key` goes to.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("{}/{}", self.bucket_url(bucket), encode_key(key))
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

    /// Sends a signed GET of `target`, retrying throttling, server errors and
    /// network failures; a success's body is returned unread, a failure's is read
    /// for S3's error code. `described` names the call and the object for messages.
    async fn get(&self, call: &AwsCall, described: &str, target: &str) -> Result<S3Body, AwsError> {
        let mut attempt = 1;
        loop {
            let credentials = self.credentials(call).await?;
            let request =
                self.signed_request(target, credentials)
                    .map_err(|detail| AwsError::Other {
                        call: described.to_string(),
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
                            call: described.to_string(),
                            detail,
                        }
                    } else {
                        AwsError::Unreachable {
                            call: described.to_string(),
                            detail,
                        }
                    });
                }
            };
            let status = response.status().as_u16();
            let body = S3Body {
                stream: ByteStream::new(response.into_body()),
                described: described.to_string(),
            };
            if (200..300).contains(&status) {
                return Ok(body);
            }
            // Error bodies are short XML documents.
            let body = body.read_to_end(1 << 20).await?;
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
                    call: described.to_string(),
                    code: code.to_string(),
                    message,
                },
                (_, "SlowDown") => classify_code(call, "Throttling", message),
                (_, "InvalidAccessKeyId") => classify_code(call, "InvalidClientTokenId", message),
                _ => classify_code(call, code, message),
            });
        }
    }

    /// Starts reading `bucket`/`key`; the body is streamed with
    /// [`S3Body::next_chunk`]. A missing object or bucket is [`AwsError::NotFound`].
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<S3Body, AwsError> {
        let url = format!("s3://{bucket}/{key}");
        let call = AwsCall::new("s3", "GetObject").on(url.clone());
        let described = format!("s3 GetObject ({url})");
        self.get(&call, &described, &self.object_url(bucket, key))
            .await
    }

    /// Reads an object given as `s3://bucket/key` as UTF-8 text (invalid bytes
    /// replaced), refusing objects larger than `max_bytes`.
    pub async fn get_text(&self, url: &str, max_bytes: usize) -> Result<String, AwsError> {
        let Some((bucket, key)) = parse_s3_url(url) else {
            return Err(AwsError::Other {
                call: format!("s3 GetObject ({url})"),
                detail: "not an S3 URL of the form s3://bucket/key".to_string(),
            });
        };
        let body = self.get_object(&bucket, &key).await?;
        let bytes = body.read_to_end(max_bytes).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// One page (up to 1,000 keys) of the objects of `bucket` whose key starts with
    /// `prefix`, in key order; `continuation_token` is the previous page's.
    pub async fn list_objects_page(
        &self,
        bucket: &str,
        prefix: &str,
        continuation_token: Option<&str>,
    ) -> Result<ListPage, AwsError> {
        let url = format!("s3://{bucket}/{prefix}");
        // The IAM action that allows ListObjectsV2 is s3:ListBucket.
        let call = AwsCall::new("s3", "ListBucket").on(url.clone());
        let described = format!("s3 ListObjectsV2 ({url})");
        let mut target = format!("{}/?list-type=2", self.bucket_url(bucket));
        if !prefix.is_empty() {
            target.push_str("&prefix=");
            target.push_str(&encode(prefix, false));
        }
        if let Some(token) = continuation_token {
            target.push_str("&continuation-token=");
            target.push_str(&encode(token, false));
        }
        let body = self.get(&call, &described, &target).await?;
        // A page of 1,000 long keys is well under this.
        let xml = body.read_to_end(64 << 20).await?;
        parse_list_page(&String::from_utf8_lossy(&xml)).map_err(|detail| AwsError::Other {
            call: described,
            detail: format!("unexpected answer: {detail}"),
        })
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

    #[test]
    fn query_values_are_encoded_whole() {
        // `+` and `/` in a continuation token must survive the signer's decoding.
        assert_eq!(encode("1a+b/c=", false), "1a%2Bb%2Fc%3D");
        let reader_urls = |endpoint: Option<&str>| S3Reader {
            endpoint: endpoint.map(str::to_string),
            region: "eu-west-1".into(),
            provider: None,
            connector: SharedHttpConnector::new(
                aws_smithy_http_client::Connector::builder().build_http(),
            ),
            cached: tokio::sync::Mutex::new(None),
            max_attempts: 1,
        };
        let aws = reader_urls(None);
        assert_eq!(
            aws.object_url("b", "k 1"),
            "https://b.s3.eu-west-1.amazonaws.com/k%201"
        );
        assert_eq!(
            aws.bucket_url("a.b"),
            "https://s3.eu-west-1.amazonaws.com/a.b"
        );
        let local = reader_urls(Some("http://127.0.0.1:9"));
        assert_eq!(local.object_url("b", "d/k"), "http://127.0.0.1:9/b/d/k");
    }

    #[test]
    fn list_pages_are_read() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<IsTruncated>true</IsTruncated>
<Contents><Key>dbt/a&amp;b/manifest.json</Key><Size>12</Size><ETag>"x"</ETag></Contents>
<Contents><Key>dbt/run_results.json</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>3</Size></Contents>
<NextContinuationToken>1/+tok=</NextContinuationToken></ListBucketResult>"#;
        let page = parse_list_page(xml).unwrap();
        assert_eq!(
            page.objects,
            vec![
                S3Object {
                    key: "dbt/a&b/manifest.json".into(),
                    size: 12
                },
                S3Object {
                    key: "dbt/run_results.json".into(),
                    size: 3
                },
            ]
        );
        assert_eq!(page.continuation_token.as_deref(), Some("1/+tok="));

        let last = parse_list_page(
            "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>",
        )
        .unwrap();
        assert_eq!(last, ListPage::default());

        assert!(parse_list_page("<Error><Code>x</Code></Error>").is_err());
        assert!(
            parse_list_page("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
                .is_err()
        );
    }
}

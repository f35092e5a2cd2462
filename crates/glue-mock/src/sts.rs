//! STS `AssumeRole` in the AWS query protocol (form-encoded request, XML answer),
//! enough to exercise assume-role settings: each call hands out fresh temporary
//! keys (`ASIAMOCK…`) that expire after the configured lifetime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use wiremock::{Request, ResponseTemplate};

use crate::State;

#[derive(Debug)]
pub(crate) struct StsState {
    ttl: Duration,
    issued: AtomicU64,
}

impl StsState {
    pub(crate) fn new(ttl: Duration) -> StsState {
        StsState {
            ttl,
            issued: AtomicU64::new(0),
        }
    }
}

fn form_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn form_fields(body: &[u8]) -> Map<String, Value> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), Value::String(form_decode(v)))
        })
        .collect()
}

/// `2026-11-23T15:30:00Z` for a time after the epoch.
fn iso8601(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sts_error(code: &str, message: &str) -> ResponseTemplate {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>",
        xml_escape(code),
        xml_escape(message)
    );
    ResponseTemplate::new(403).set_body_raw(body, "text/xml")
}

pub(crate) fn respond(state: &State, req: &Request) -> ResponseTemplate {
    let key = crate::access_key(req);
    let fields = form_fields(&req.body);
    let action = fields
        .get("Action")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let op = format!("sts:{action}");
    let body = Value::Object(fields.clone());
    if action != "AssumeRole" {
        state.record(&op, body, key, Some("InvalidAction"));
        return sts_error("InvalidAction", "glue-mock only implements STS AssumeRole");
    }
    if key
        .as_ref()
        .is_some_and(|k| state.bad_access_keys.contains(k))
    {
        state.record(&op, body, key, Some("InvalidClientTokenId"));
        return sts_error(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        );
    }
    if let Some(f) = state.take_fault(&op, &body) {
        state.record(&op, body, key, Some(&f.code));
        return sts_error(&f.code, &f.message);
    }
    let role = fields.get("RoleArn").and_then(Value::as_str).unwrap_or("");
    let session = fields
        .get("RoleSessionName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let n = state.sts.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let expiry = iso8601(SystemTime::now() + state.sts.ttl);
    let account = role.split(':').nth(4).unwrap_or("123456789012");
    let role_name = role.rsplit('/').next().unwrap_or("role");
    let xml = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<AssumeRoleResult>\
<Credentials><AccessKeyId>ASIAMOCK{n:08}</AccessKeyId><SecretAccessKey>mock-secret-{n}</SecretAccessKey><SessionToken>mock-session-token-{n}</SessionToken><Expiration>{expiry}</Expiration></Credentials>\
<AssumedRoleUser><AssumedRoleId>AROAMOCK:{session}</AssumedRoleId><Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
</AssumeRoleResult>\
<ResponseMetadata><RequestId>00000000-0000-0000-0000-{n:012}</RequestId></ResponseMetadata>\
</AssumeRoleResponse>",
        session = xml_escape(session),
        account = xml_escape(account),
        role_name = xml_escape(role_name),
    );
    state.record(&op, body, key, None);
    ResponseTemplate::new(200).set_body_raw(xml, "text/xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn form_fields_decode() {
        let f = form_fields(
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=a+b",
        );
        assert_eq!(f["RoleArn"], "arn:aws:iam::1:role/r");
        assert_eq!(f["RoleSessionName"], "a b");
    }
}

//! Links into the AWS web console, shared by the connectors that put `sourceUrl`s
//! on entities: the console host of a region's partition, and the escaping of names
//! in console paths and queries.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except RFC 3986 unreserved characters is escaped.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A name escaped for a console path segment or query value (`my db` → `my%20db`).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The console host of a region: China and GovCloud have their own domains.
pub fn host(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("{region}.console.amazonaws.cn")
    } else if region.starts_with("us-gov-") {
        format!("{region}.console.amazonaws-us-gov.com")
    } else {
        format!("{region}.console.aws.amazon.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_escaping() {
        assert_eq!(host("us-east-2"), "us-east-2.console.aws.amazon.com");
        assert_eq!(host("cn-north-1"), "cn-north-1.console.amazonaws.cn");
        assert_eq!(
            host("us-gov-west-1"),
            "us-gov-west-1.console.amazonaws-us-gov.com"
        );
        assert_eq!(encode("a&b#c d.e-f_g~"), "a%26b%23c%20d.e-f_g~");
    }
}

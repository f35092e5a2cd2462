//! Fully qualified names as OpenMetadata builds, quotes and splits them.
//!
//! An FQN joins names with `.`: `service.database.schema.table`. A name that contains a `.`
//! is wrapped in double quotes (`svc."db.v1".sch.t`); a name that contains a `"` anywhere
//! else is invalid. In URL paths an FQN is percent-encoded as one segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The separator between names.
pub const SEPARATOR: char = '.';

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FqnError {
    #[error(
        "invalid name {0:?}: a name may not be empty or contain `\"` except as wrapping quotes"
    )]
    InvalidName(String),
    #[error("invalid FQN {fqn:?}: {reason}")]
    InvalidFqn { fqn: String, reason: &'static str },
}

/// The form a name takes inside an FQN: `my.table` -> `"my.table"`, `"abc"` -> `abc`
/// (quotes without a dot inside are dropped), `"a.b"` stays, `abc` stays.
pub fn quote_name(name: &str) -> Result<String, FqnError> {
    let invalid = || FqnError::InvalidName(name.to_owned());
    if let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"'))
        && !inner.is_empty()
        && !inner.contains('"')
    {
        return Ok(if inner.contains(SEPARATOR) {
            name.to_owned()
        } else {
            inner.to_owned()
        });
    }
    if name.is_empty() || name.contains('"') {
        return Err(invalid());
    }
    Ok(if name.contains(SEPARATOR) {
        format!("\"{name}\"")
    } else {
        name.to_owned()
    })
}

/// A name as written inside an FQN back to the plain name: `"my.table"` -> `my.table`.
pub fn unquote_name(segment: &str) -> &str {
    segment
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|s| !s.is_empty())
        .unwrap_or(segment)
}

/// Joins names into an FQN, quoting each as [`quote_name`] does.
pub fn build<S: AsRef<str>>(names: &[S]) -> Result<String, FqnError> {
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        out.push_str(&quote_name(n.as_ref())?);
    }
    Ok(out)
}

/// Splits an FQN into its names as written (quoted names keep their quotes, as
/// OpenMetadata's own splitter does; see [`unquote_name`]). A quoted name may contain
/// dots and the escapes `\"` and `\\`.
pub fn split(fqn: &str) -> Result<Vec<String>, FqnError> {
    let err = |reason| FqnError::InvalidFqn {
        fqn: fqn.to_owned(),
        reason,
    };
    if fqn.is_empty() {
        return Err(err("empty"));
    }
    let mut parts = Vec::new();
    let mut chars = fqn.chars().peekable();
    loop {
        let mut seg = String::new();
        if chars.peek() == Some(&'"') {
            seg.push(chars.next().expect("peeked"));
            let mut closed = false;
            while let Some(c) = chars.next() {
                seg.push(c);
                match c {
                    '\\' => match chars.next() {
                        Some(e) => seg.push(e),
                        None => return Err(err("unterminated escape")),
                    },
                    '"' => {
                        closed = true;
                        break;
                    }
                    _ => {}
                }
            }
            if !closed {
                return Err(err("unterminated quoted name"));
            }
            if seg.len() == 2 {
                return Err(err("empty quoted name"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == SEPARATOR {
                    break;
                }
                if c == '"' {
                    return Err(err("a quote inside an unquoted name"));
                }
                seg.push(c);
                chars.next();
            }
            if seg.is_empty() {
                return Err(err("empty name"));
            }
        }
        parts.push(seg);
        match chars.next() {
            None => return Ok(parts),
            Some(SEPARATOR) => {}
            Some(_) => return Err(err("text after a quoted name")),
        }
        if chars.peek().is_none() {
            return Err(err("ends with a separator"));
        }
    }
}

/// Everything except ASCII letters, digits and `_.-~` is escaped, `/` and `"` included
/// (what OpenMetadata's clients do for FQNs in URL paths).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// An FQN (or a name) encoded for one URL path segment:
/// `svc."db.v1".sch.t` -> `svc.%22db.v1%22.sch.t`.
pub fn encode_path_segment(fqn: &str) -> String {
    utf8_percent_encode(fqn, PATH_SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_dots_are_quoted() {
        assert_eq!(quote_name("my.table").unwrap(), "\"my.table\"");
        assert_eq!(quote_name("plain").unwrap(), "plain");
        assert_eq!(quote_name("\"abc\"").unwrap(), "abc");
        assert_eq!(quote_name("\"a.b\"").unwrap(), "\"a.b\"");
    }

    #[test]
    fn stray_quotes_and_empty_names_are_invalid() {
        for bad in ["a\"b", "\"a\"b\"", "\"", "\"\"", "", "ab\""] {
            assert_eq!(
                quote_name(bad),
                Err(FqnError::InvalidName(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn build_joins_quoted_names() {
        assert_eq!(
            build(&["svc", "db.v1", "sch", "t"]).unwrap(),
            "svc.\"db.v1\".sch.t"
        );
        assert_eq!(
            build(&["glue", "123", "default", "cloudfront_logs"]).unwrap(),
            "glue.123.default.cloudfront_logs"
        );
        assert!(build(&["svc", "bad\"name"]).is_err());
    }

    #[test]
    fn split_understands_quotes() {
        assert_eq!(
            split("svc.\"db.v1\".sch.t").unwrap(),
            ["svc", "\"db.v1\"", "sch", "t"]
        );
        assert_eq!(split("a").unwrap(), ["a"]);
        assert_eq!(split("\"a\\\".b\".c").unwrap(), ["\"a\\\".b\"", "c"]);
        let parts = split(&build(&["s", "x.y.z", "t"]).unwrap()).unwrap();
        assert_eq!(
            parts.iter().map(|p| unquote_name(p)).collect::<Vec<_>>(),
            ["s", "x.y.z", "t"]
        );
    }

    #[test]
    fn split_rejects_malformed_fqns() {
        for bad in [
            "", "a..b", "a.", ".a", "\"a.b", "a\"b", "\"a.b\"c", "\"\".a",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn path_segments_escape_quotes_and_slashes() {
        assert_eq!(
            encode_path_segment("svc.\"db.v1\".sch.t"),
            "svc.%22db.v1%22.sch.t"
        );
        assert_eq!(encode_path_segment("a/b c~d_e-f"), "a%2Fb%20c~d_e-f");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }
}

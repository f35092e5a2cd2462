//! A view's SQL for `schemaDefinition`, from Glue's `ViewOriginalText` and
//! `ViewExpandedText`.
//!
//! Presto and Trino (Athena) store a view as `/* Presto View: <base64 JSON> */`,
//! whose `originalSql` is the statement. Hive and Spark store the statement itself.
//! A statement that is not already `CREATE ... VIEW` is wrapped as
//! `CREATE VIEW <schema>.<view> AS <statement>`.

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;

use crate::names::sql_identifier;

static ENGINE_VIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^/\*\s*(?:presto|trino)\s+(materialized\s+)?view\s*:(?P<payload>.*)\*/$")
        .expect("valid regex")
});

static CREATE_VIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^create\s+(?:or\s+replace\s+)?(?:(?:external|materialized)\s+)?view\b")
        .expect("valid regex")
});

static CREATE_MATERIALIZED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^create\s+(?:or\s+replace\s+)?materialized\s+view\b").expect("valid regex")
});

/// What the view texts gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewDefinition {
    /// The statement, `None` when no text held one.
    pub sql: Option<String>,
    /// The definition says the view is materialized (`/* Presto Materialized
    /// View: ... */` or `CREATE MATERIALIZED VIEW`).
    pub materialized: bool,
    /// Texts that looked like an engine view but could not be read.
    pub unreadable: Vec<String>,
}

/// `text` without leading whitespace and comments (`/* */`, `--`).
fn skip_leading_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => text = &rest[end + 2..],
                None => return "",
            }
        } else if let Some(rest) = text.strip_prefix("--") {
            match rest.find('\n') {
                Some(end) => text = &rest[end + 1..],
                None => return "",
            }
        } else {
            return text;
        }
    }
}

/// The `originalSql` of an engine view payload.
fn decode_engine_view(payload: &str) -> Result<String, String> {
    let mut b64: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("not base64: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    match json
        .get("originalSql")
        .and_then(|v| v.as_str())
        .map(str::trim)
    {
        Some(sql) if !sql.is_empty() => Ok(sql.to_string()),
        _ => Err("no originalSql in it".to_string()),
    }
}

/// Reads a view's definition. `table` is the stored (cut) name.
pub fn view_definition(
    schema: &str,
    table: &str,
    original: Option<&str>,
    expanded: Option<&str>,
) -> ViewDefinition {
    let mut out = ViewDefinition::default();
    for candidate in [original, expanded].into_iter().flatten() {
        let text = candidate.trim();
        if text.is_empty() {
            continue;
        }
        let statement = if let Some(caps) = ENGINE_VIEW.captures(text) {
            match decode_engine_view(&caps["payload"]) {
                Ok(sql) => {
                    out.materialized |= caps.get(1).is_some();
                    sql
                }
                Err(reason) => {
                    out.unreadable.push(reason);
                    continue;
                }
            }
        } else {
            text.to_string()
        };
        let body = skip_leading_comments(&statement);
        if body.is_empty() {
            // Only comments, such as the `/* Presto View */` marker.
            continue;
        }
        out.materialized |= CREATE_MATERIALIZED.is_match(body);
        out.sql = Some(if CREATE_VIEW.is_match(body) {
            statement
        } else {
            format!(
                "CREATE VIEW {}.{} AS {statement}",
                sql_identifier(schema),
                sql_identifier(table)
            )
        });
        return out;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn def(original: Option<&str>, expanded: Option<&str>) -> Option<String> {
        view_definition("default", "sample_view", original, expanded).sql
    }

    const WANT: &str = "CREATE VIEW default.sample_view AS SELECT id FROM events";

    #[test]
    fn upstream_cases() {
        let payload = b64(r#"{"originalSql":"SELECT id FROM events"}"#);
        for text in [
            format!("/* Presto View: {payload} */"),
            format!("/* Trino View: {payload} */"),
            format!("/* Presto Materialized View: {payload} */"),
            format!("/* Presto View: {} */", payload.trim_end_matches('=')),
            format!("/* Presto View: {}\n{} */", &payload[..10], &payload[10..]),
        ] {
            assert_eq!(def(Some(&text), None).as_deref(), Some(WANT), "{text}");
        }
        assert_eq!(
            def(Some("SELECT id FROM events"), None).as_deref(),
            Some(WANT)
        );
        for unchanged in [
            "CREATE VIEW default.sample_view AS SELECT 1",
            "CREATE OR REPLACE VIEW default.sample_view AS SELECT 1",
            "  CREATE VIEW default.sample_view AS SELECT 1",
            "/* c */ CREATE VIEW default.sample_view AS SELECT 1",
            "-- c\nCREATE VIEW default.sample_view AS SELECT 1",
            "create materialized view default.sample_view AS SELECT 1",
            "CREATE EXTERNAL VIEW default.sample_view AS SELECT 1",
        ] {
            assert_eq!(
                def(Some(unchanged), None).as_deref(),
                Some(unchanged.trim())
            );
        }
        let expanded = "SELECT `events`.`id` FROM `default`.`events`";
        assert_eq!(
            def(Some("  "), Some(expanded)).unwrap(),
            format!("CREATE VIEW default.sample_view AS {expanded}")
        );
        assert_eq!(def(Some(""), Some("/* Presto View */")), None);
        assert_eq!(def(None, None), None);
        assert_eq!(def(Some("-- only a comment"), None), None);
        assert_eq!(
            def(Some("SELECT 'CREATE VIEW' AS ddl FROM audit_log"), None).unwrap(),
            "CREATE VIEW default.sample_view AS SELECT 'CREATE VIEW' AS ddl FROM audit_log"
        );
    }

    #[test]
    fn quoting_of_names() {
        let v = view_definition("zipcode-db", "my-view", Some("SELECT 1"), None);
        assert_eq!(
            v.sql.unwrap(),
            r#"CREATE VIEW "zipcode-db"."my-view" AS SELECT 1"#
        );
        let v = view_definition("default", "odd\"name", Some("SELECT 1"), None);
        assert_eq!(
            v.sql.unwrap(),
            r#"CREATE VIEW default."odd""name" AS SELECT 1"#
        );
    }

    #[test]
    fn unreadable_payloads_give_none_and_one_reason() {
        for payload in [
            "bm90IGpzb24=".to_string(),
            b64(r#"{"catalog":"x"}"#),
            base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, 0x00]),
            "!!!not base64!!!".to_string(),
        ] {
            let v = view_definition(
                "default",
                "v",
                Some(&format!("/* Presto View: {payload} */")),
                None,
            );
            assert_eq!(v.sql, None, "{payload}");
            assert_eq!(v.unreadable.len(), 1, "{payload}: {:?}", v.unreadable);
        }
        assert!(
            view_definition("default", "v", None, None)
                .unreadable
                .is_empty()
        );
    }

    #[test]
    fn materialized_is_recognised() {
        let payload = b64(r#"{"originalSql":"SELECT 1"}"#);
        let v = view_definition(
            "s",
            "v",
            Some(&format!("/* Presto Materialized View: {payload} */")),
            None,
        );
        assert!(v.materialized);
        assert!(
            view_definition(
                "s",
                "v",
                Some("CREATE MATERIALIZED VIEW s.v AS SELECT 1"),
                None
            )
            .materialized
        );
        assert!(!view_definition("s", "v", Some("SELECT 1"), None).materialized);
    }
}

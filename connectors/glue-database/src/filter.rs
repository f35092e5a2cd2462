//! Filter patterns as OpenMetadata applies them (`metadata/utils/filters.py`):
//! each regex must match at the start of the name (not necessarily the whole name),
//! case-insensitively; with both lists, a name is kept when an include matches and
//! no exclude does (exclude wins); an empty list is the same as no list; when a
//! pattern is set, an empty name is filtered out.

use om_spec::generated::r#type::filter_pattern::FilterPattern;
use regex::Regex;

/// A compiled `FilterPattern`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    includes: Vec<Regex>,
    excludes: Vec<Regex>,
}

/// A pattern that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid regex {pattern:?} in sourceConfig.config.{field}: {reason}")]
pub struct InvalidPattern {
    pub field: &'static str,
    pub pattern: String,
    pub reason: String,
}

fn compile(
    field: &'static str,
    patterns: Option<&Vec<String>>,
) -> Result<Vec<Regex>, InvalidPattern> {
    patterns
        .into_iter()
        .flatten()
        .map(|p| {
            // `re.match` anchors at the start only; `(?i)` is `re.IGNORECASE`.
            Regex::new(&format!("(?i)^(?:{p})")).map_err(|e| InvalidPattern {
                field,
                pattern: p.clone(),
                reason: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })
        })
        .collect()
}

impl Filter {
    /// Compiles a pattern; `field` names it in errors (`tableFilterPattern`).
    pub fn new(
        field: &'static str,
        pattern: Option<&FilterPattern>,
    ) -> Result<Filter, InvalidPattern> {
        Ok(Filter {
            includes: compile(field, pattern.and_then(|p| p.includes.as_ref()))?,
            excludes: compile(field, pattern.and_then(|p| p.excludes.as_ref()))?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.includes.is_empty() && self.excludes.is_empty()
    }

    /// Whether `name` is filtered out.
    pub fn excludes(&self, name: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        if name.is_empty() {
            return true;
        }
        let included = self.includes.is_empty() || self.includes.iter().any(|r| r.is_match(name));
        !included || self.excludes.iter().any(|r| r.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(includes: &[&str], excludes: &[&str]) -> Filter {
        let list = |v: &[&str]| (!v.is_empty()).then(|| v.iter().map(|s| s.to_string()).collect());
        Filter::new(
            "tableFilterPattern",
            Some(&FilterPattern {
                includes: list(includes),
                excludes: list(excludes),
            }),
        )
        .unwrap()
    }

    #[test]
    fn anchored_at_start_case_insensitive_exclude_wins() {
        // The upstream example: includes ["ORD.*"], excludes ["a_"].
        let f = filter(&["ORD.*"], &["a_"]);
        assert!(!f.excludes("ordinary_table"));
        assert!(f.excludes("a_view"));
        assert!(f.excludes("iceberg_view"));
        // Start-anchored, not end-anchored, and not a search.
        let f = filter(&["sales"], &[]);
        assert!(!f.excludes("sales_2024"));
        assert!(f.excludes("old_sales"));
        let both = filter(&["s.*"], &["sales_tmp"]);
        assert!(both.excludes("sales_tmp_1"));
        assert!(!both.excludes("sales"));
    }

    #[test]
    fn empty_lists_and_empty_names() {
        let none = Filter::new("f", None).unwrap();
        assert!(!none.excludes(""));
        let empty = Filter::new(
            "f",
            Some(&FilterPattern {
                includes: Some(vec![]),
                excludes: Some(vec![]),
            }),
        )
        .unwrap();
        assert!(empty.is_empty() && !empty.excludes("x"));
        assert!(filter(&[], &["x"]).excludes(""));
    }

    #[test]
    fn invalid_regex_names_field_and_pattern() {
        let err = Filter::new(
            "schemaFilterPattern",
            Some(&FilterPattern {
                includes: Some(vec!["(open".into()]),
                excludes: None,
            }),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("schemaFilterPattern") && err.contains("(open"),
            "{err}"
        );
    }
}

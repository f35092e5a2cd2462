//! How OpenMetadata applies a [`FilterPattern`], for every connector that takes one
//! (`databaseFilterPattern`, `schemaFilterPattern`, `tableFilterPattern`,
//! `pipelineFilterPattern`...):
//!
//! * a pattern matches when it matches at the start of the name, not necessarily
//!   all of it (Python's `re.match`), ignoring case;
//! * a name is kept when an include matches (or there are no includes) and no
//!   exclude does: an exclude that matches always wins;
//! * an empty list is the same as no list;
//! * when any pattern is set, an empty name is filtered out.

use regex::{Regex, RegexSet};

use crate::generated::r#type::filter_pattern::FilterPattern;

/// A compiled [`FilterPattern`].
#[derive(Debug, Clone, Default)]
pub struct Filter {
    includes: Option<RegexSet>,
    excludes: Option<RegexSet>,
}

/// A pattern that does not compile.
#[derive(Debug, thiserror::Error)]
#[error(
    "source.sourceConfig.config.{field}: {pattern:?} is not a valid regular expression: {reason}"
)]
pub struct InvalidPattern {
    pub field: &'static str,
    pub pattern: String,
    pub reason: String,
}

fn compile(
    field: &'static str,
    patterns: Option<&Vec<String>>,
) -> Result<Option<RegexSet>, InvalidPattern> {
    let patterns: Vec<&String> = patterns.into_iter().flatten().collect();
    if patterns.is_empty() {
        return Ok(None);
    }
    // Compiled one by one first, so that an error names the pattern at fault.
    let anchored: Vec<String> = patterns
        .iter()
        .map(|p| {
            let a = format!("(?i)^(?:{p})");
            Regex::new(&a).map(|_| a).map_err(|e| InvalidPattern {
                field,
                pattern: (*p).clone(),
                reason: last_line(&e.to_string()),
            })
        })
        .collect::<Result<_, _>>()?;
    RegexSet::new(&anchored)
        .map(Some)
        .map_err(|e| InvalidPattern {
            field,
            pattern: patterns
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reason: last_line(&e.to_string()),
        })
}

/// The regex crate's messages draw the pattern over several lines; the last one
/// says what is wrong.
fn last_line(message: &str) -> String {
    message
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
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

    /// Whether no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.includes.is_none() && self.excludes.is_none()
    }

    /// Whether `name` is filtered out.
    pub fn excludes(&self, name: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        if name.is_empty() {
            return true;
        }
        let included = self.includes.as_ref().is_none_or(|set| set.is_match(name));
        let excluded = self.excludes.as_ref().is_some_and(|set| set.is_match(name));
        !included || excluded
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
        // includes ["ORD.*"], excludes ["a_"], as in OpenMetadata's own example.
        let f = filter(&["ORD.*"], &["a_"]);
        assert!(!f.excludes("ordinary_table"));
        assert!(f.excludes("a_view"));
        assert!(f.excludes("iceberg_view"));
        // Start-anchored, not end-anchored, and not a search.
        let f = filter(&["sales"], &[]);
        assert!(!f.excludes("Sales_2024"));
        assert!(f.excludes("old_sales"));
        let both = filter(&["s.*"], &["sales_tmp"]);
        assert!(both.excludes("sales_tmp_1"));
        assert!(!both.excludes("sales"));
        let f = filter(&[], &["tmp", "old"]);
        assert!(f.excludes("OLD_jobs") && !f.excludes("jobs_old"));
    }

    #[test]
    fn empty_lists_and_empty_names() {
        let none = Filter::new("f", None).unwrap();
        assert!(none.is_empty() && !none.excludes(""));
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
        assert!(filter(&["x"], &[]).excludes(""));
    }

    #[test]
    fn invalid_regex_names_field_and_pattern() {
        let err = Filter::new(
            "schemaFilterPattern",
            Some(&FilterPattern {
                includes: None,
                excludes: Some(vec!["ok".into(), "(open".into()]),
            }),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sourceConfig.config.schemaFilterPattern") && err.contains("(open"),
            "{err}"
        );
    }
}

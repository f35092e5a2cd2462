//! `pipelineFilterPattern` with OpenMetadata's regex semantics: a pattern matches
//! when it matches at the start of the name (not necessarily all of it), ignoring
//! case; an exclude that matches always wins; an empty list counts as no list; when
//! any pattern is set, an empty name is filtered out.
//!
//! The `glue` connector applies the same rules (`connectors/glue-database/src/
//! filter.rs`); both belong in one shared crate (see the README's notes).

use om_spec::generated::r#type::filter_pattern::FilterPattern;
use regex::{Regex, RegexSet};

/// A compiled `FilterPattern`.
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
    // Checked one by one so that the error names the pattern at fault.
    let anchored: Vec<String> = patterns
        .iter()
        .map(|p| {
            let a = format!("(?i)^(?:{p})");
            Regex::new(&a).map(|_| a).map_err(|e| InvalidPattern {
                field,
                pattern: (*p).clone(),
                reason: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
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
            reason: e.to_string(),
        })
}

impl Filter {
    /// Compiles a pattern; `field` names it in errors.
    pub fn new(
        field: &'static str,
        pattern: Option<&FilterPattern>,
    ) -> Result<Filter, InvalidPattern> {
        Ok(Filter {
            includes: compile(field, pattern.and_then(|p| p.includes.as_ref()))?,
            excludes: compile(field, pattern.and_then(|p| p.excludes.as_ref()))?,
        })
    }

    /// Whether `name` is filtered out.
    pub fn excludes(&self, name: &str) -> bool {
        if self.includes.is_none() && self.excludes.is_none() {
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
        let list = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        Filter::new(
            "pipelineFilterPattern",
            Some(&FilterPattern {
                includes: list(includes),
                excludes: list(excludes),
            }),
        )
        .unwrap()
    }

    #[test]
    fn start_anchored_case_insensitive_and_exclude_wins() {
        let f = filter(&["sales"], &[]);
        assert!(!f.excludes("Sales_nightly"));
        assert!(f.excludes("nightly_sales"));
        let f = filter(&["s.*"], &["sales_tmp"]);
        assert!(f.excludes("sales_tmp_2") && !f.excludes("sales"));
        let f = filter(&[], &["tmp", "old"]);
        assert!(f.excludes("OLD_jobs") && !f.excludes("jobs_old"));
    }

    #[test]
    fn empty_lists_mean_no_filter_and_empty_names_are_filtered() {
        assert!(!filter(&[], &[]).excludes(""));
        assert!(!Filter::new("f", None).unwrap().excludes("x"));
        assert!(filter(&["x"], &[]).excludes(""));
    }

    #[test]
    fn invalid_regex_names_the_field_and_pattern() {
        let e = Filter::new(
            "pipelineFilterPattern",
            Some(&FilterPattern {
                includes: None,
                excludes: Some(vec!["ok".into(), "[bad".into()]),
            }),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("pipelineFilterPattern") && e.contains("[bad"),
            "{e}"
        );
    }
}

//! OpenMetadata filter patterns (`databaseFilterPattern`, `schemaFilterPattern`,
//! `tableFilterPattern`): lists of regular expressions that include or exclude a
//! name, matched from the start of the name and ignoring case.

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// A filter pattern as written in `sourceConfig.config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterPattern {
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
}

/// A compiled filter.
#[derive(Debug, Default)]
pub struct Filter {
    includes: Vec<Regex>,
    excludes: Vec<Regex>,
}

impl Filter {
    /// Compiles a pattern; the error names the bad expression.
    pub fn new(pattern: &FilterPattern) -> Result<Filter, String> {
        let compile = |list: &[String]| -> Result<Vec<Regex>, String> {
            list.iter()
                .map(|p| {
                    RegexBuilder::new(&format!("^(?:{p})"))
                        .case_insensitive(true)
                        .build()
                        .map_err(|e| format!("`{p}` is not a valid regular expression: {e}"))
                })
                .collect()
        };
        Ok(Filter {
            includes: compile(&pattern.includes)?,
            excludes: compile(&pattern.excludes)?,
        })
    }

    /// Why `name` is filtered out, or `None` when it is kept. Excludes win over
    /// includes; with includes, only matching names are kept.
    pub fn rejects(&self, name: &str) -> Option<String> {
        if let Some(re) = self.excludes.iter().find(|re| re.is_match(name)) {
            return Some(format!("matches exclude pattern `{}`", strip(re)));
        }
        if !self.includes.is_empty() && !self.includes.iter().any(|re| re.is_match(name)) {
            return Some("matches no include pattern".to_owned());
        }
        None
    }
}

/// The pattern as the user wrote it, without the anchoring added here.
fn strip(re: &Regex) -> &str {
    let s = re.as_str();
    s.strip_prefix("^(?:")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(includes: &[&str], excludes: &[&str]) -> Filter {
        Filter::new(&FilterPattern {
            includes: includes.iter().map(|s| s.to_string()).collect(),
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
        })
        .unwrap()
    }

    #[test]
    fn excludes_win_and_includes_restrict() {
        let f = filter(&["ord", "cust"], &["orders_tmp"]);
        assert_eq!(f.rejects("orders"), None);
        assert_eq!(f.rejects("ORDERS"), None);
        assert_eq!(
            f.rejects("orders_tmp").as_deref(),
            Some("matches exclude pattern `orders_tmp`")
        );
        assert_eq!(
            f.rejects("payments").as_deref(),
            Some("matches no include pattern")
        );
        // Matched from the start of the name.
        assert!(f.rejects("old_orders").is_some());
        assert_eq!(Filter::default().rejects("anything"), None);
    }

    #[test]
    fn bad_expression_is_named() {
        let err = Filter::new(&FilterPattern {
            includes: vec!["(".into()],
            excludes: vec![],
        })
        .unwrap_err();
        assert!(
            err.starts_with("`(` is not a valid regular expression"),
            "{err}"
        );
    }
}

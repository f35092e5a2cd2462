//! Data-quality helpers: which node (and column) a test is on, and what a dbt
//! result means as an OpenMetadata test-case status.

use std::collections::BTreeMap;
use std::fmt;

use crate::manifest::{Manifest, Node, ResourceType};
use crate::run_results::{FreshnessResult, RunResult, RunResults, RunStatus};
use crate::time::parse_timestamp_millis;

/// OpenMetadata's `testCaseStatus` values a dbt result maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestCaseStatus {
    Success,
    Failed,
    Aborted,
}

impl TestCaseStatus {
    /// The spelling OpenMetadata uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TestCaseStatus::Success => "Success",
            TestCaseStatus::Failed => "Failed",
            TestCaseStatus::Aborted => "Aborted",
        }
    }
}

impl fmt::Display for TestCaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dbt result as a test-case result.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    pub status: TestCaseStatus,
    /// The result text; `None` for a plain success.
    pub result: Option<String>,
    /// Failing rows, when dbt counted them.
    pub failures: Option<u64>,
}

impl RunResult {
    /// The test-case status this result stands for:
    ///
    /// | dbt | status | result text |
    /// |---|---|---|
    /// | `pass` | Success | dbt's message, if any |
    /// | `fail` | Failed | dbt's message, else the failing-row count |
    /// | `warn` | Failed | `dbt warning (test severity: warn): …` |
    /// | `error`, `runtime error` | Aborted | `dbt error: …` |
    /// | `skipped` | Aborted | `skipped by dbt…` |
    /// | `success` with a message (dbt before 0.20) | Success | the message |
    /// | anything else dbt may add | Aborted | names the status |
    ///
    /// `None` when nothing ran: `success` without a message (a compile-only entry,
    /// which must not hide a real result), `no-op`.
    pub fn test_outcome(&self) -> Option<TestOutcome> {
        let message = self.message.as_deref();
        let (status, result) = match &self.status {
            RunStatus::Pass => (TestCaseStatus::Success, message.map(str::to_string)),
            RunStatus::Success => (TestCaseStatus::Success, Some(message?.to_string())),
            RunStatus::NoOp => return None,
            RunStatus::Fail => (
                TestCaseStatus::Failed,
                Some(message.map_or_else(
                    || match self.failures {
                        Some(n) => format!("dbt test failed with {n} failing rows"),
                        None => "dbt test failed".to_string(),
                    },
                    str::to_string,
                )),
            ),
            RunStatus::Warn => (
                TestCaseStatus::Failed,
                Some(warning_text(message, self.failures)),
            ),
            RunStatus::Error | RunStatus::RuntimeError => (
                TestCaseStatus::Aborted,
                Some(format!(
                    "dbt error: {}",
                    message.unwrap_or("the test could not run")
                )),
            ),
            RunStatus::Skipped => (
                TestCaseStatus::Aborted,
                Some(match message {
                    Some(m) => format!("skipped by dbt: {m}"),
                    None => "skipped by dbt (an upstream node failed or was skipped)".to_string(),
                }),
            ),
            other @ (RunStatus::PartialSuccess | RunStatus::Other(_)) => (
                TestCaseStatus::Aborted,
                Some(match message {
                    Some(m) => format!("dbt status `{other}`: {m}"),
                    None => format!("dbt status `{other}`"),
                }),
            ),
        };
        Some(TestOutcome {
            status,
            result,
            failures: self.failures,
        })
    }

    /// Epoch milliseconds of the result: the `execute` phase's end, else
    /// `generated_at` of its file.
    pub fn timestamp_millis(&self, generated_at: Option<&str>) -> Option<i64> {
        self.completed_at()
            .and_then(parse_timestamp_millis)
            .or_else(|| generated_at.and_then(parse_timestamp_millis))
    }
}

fn warning_text(message: Option<&str>, failures: Option<u64>) -> String {
    let detail = match (message, failures) {
        (Some(m), _) => m.to_string(),
        (None, Some(n)) => format!("{n} failing rows"),
        (None, None) => "the test did not pass".to_string(),
    };
    format!("dbt warning (test severity: warn): {detail}")
}

impl FreshnessResult {
    /// The freshness check as a test-case result: `pass` → Success; `warn` →
    /// Failed, saying it is a warning; `error` (older than `error_after`) → Failed;
    /// `runtime error` and anything else → Aborted.
    pub fn outcome(&self) -> TestOutcome {
        let age = || match (&self.max_loaded_at, self.max_loaded_at_time_ago_in_s) {
            (Some(at), Some(s)) => format!("last loaded at {at}, {} before the check", age(s)),
            (Some(at), None) => format!("last loaded at {at}"),
            (None, Some(s)) => format!("last loaded {} before the check", age(s)),
            (None, None) => "no load time reported".to_string(),
        };
        let threshold = |pick: fn(&crate::FreshnessCriteria) -> Option<String>| {
            self.criteria
                .as_ref()
                .and_then(pick)
                .map_or(String::new(), |t| format!(" (limit {t})"))
        };
        let (status, result) = match &self.status {
            RunStatus::Pass | RunStatus::Success => (TestCaseStatus::Success, None),
            RunStatus::Warn => (
                TestCaseStatus::Failed,
                Some(format!(
                    "dbt warning (source freshness warn_after exceeded{}): {}",
                    threshold(|c| c.warn_after.as_ref()?.describe()),
                    age()
                )),
            ),
            RunStatus::Error | RunStatus::Fail => (
                TestCaseStatus::Failed,
                Some(format!(
                    "source freshness error_after exceeded{}: {}",
                    threshold(|c| c.error_after.as_ref()?.describe()),
                    age()
                )),
            ),
            other => (
                TestCaseStatus::Aborted,
                Some(match &self.error {
                    Some(e) => format!("dbt {other}: {e}"),
                    None => format!("dbt status `{other}`"),
                }),
            ),
        };
        TestOutcome {
            status,
            result,
            failures: None,
        }
    }

    /// Epoch milliseconds of the check; `generated_at` of its file as the fallback.
    pub fn timestamp_millis(&self, generated_at: Option<&str>) -> Option<i64> {
        self.completed_at()
            .and_then(parse_timestamp_millis)
            .or_else(|| generated_at.and_then(parse_timestamp_millis))
    }
}

/// `36024.5` seconds → `10h 0m`.
fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A test or unit test result chosen by [`latest_test_results`].
#[derive(Debug, Clone, PartialEq)]
pub struct TestRun<'a> {
    pub result: &'a RunResult,
    pub outcome: TestOutcome,
    /// When it ran ([`RunResult::timestamp_millis`]); `None` when no time parses.
    pub timestamp_millis: Option<i64>,
}

/// One result per test (`test.…` and `unit_test.…` ids) across run_results files:
/// entries that ran nothing (compile-only, no-op) are left out so they cannot
/// hide a real result, and of the rest the latest wins (a later file breaks a tie).
pub fn latest_test_results(files: &[RunResults]) -> BTreeMap<&str, TestRun<'_>> {
    let mut latest: BTreeMap<&str, TestRun<'_>> = BTreeMap::new();
    for file in files {
        let generated_at = file.metadata.generated_at.as_deref();
        for result in &file.results {
            let id = result.unique_id.as_str();
            if !(id.starts_with("test.") || id.starts_with("unit_test.")) {
                continue;
            }
            let Some(outcome) = result.test_outcome() else {
                continue;
            };
            let run = TestRun {
                result,
                outcome,
                timestamp_millis: result.timestamp_millis(generated_at),
            };
            match latest.get(id) {
                Some(seen) if seen.timestamp_millis > run.timestamp_millis => {}
                _ => {
                    latest.insert(id, run);
                }
            }
        }
    }
    latest
}

/// What a test checks: a node with a table and, for column tests, the column.
#[derive(Debug, Clone, PartialEq)]
pub struct TestTarget<'a> {
    pub node: &'a Node,
    /// The tested column; `None` for table-level tests and for tests whose
    /// `column_name` is an expression (`coalesce(a, b)`, `a || b`).
    pub column: Option<&'a str>,
}

/// Why a test could not be put on one node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnattachedTest {
    #[error("`{test}` is not a test")]
    NotATest { test: String },
    #[error("test `{test}` depends on no node")]
    NoParent { test: String },
    #[error("test `{test}` is on `{parent}`, which the manifest does not hold")]
    UnknownParent { test: String, parent: String },
    #[error("test `{test}` depends on several nodes ({}) and names none as the one it tests", parents.join(", "))]
    Ambiguous { test: String, parents: Vec<String> },
}

impl Manifest {
    /// The node a test is on, and the column for a column test. In order:
    /// `attached_node` (manifest v8+); the `ref()`/`source()` in the test's `model`
    /// argument; for `relationships` tests, the one parent that is not the `to:`
    /// target; the only parent. A test on an ephemeral model comes back on that
    /// model (check [`Node::has_relation`]) rather than on one of its parents.
    pub fn tested_node<'a>(&'a self, test: &'a Node) -> Result<TestTarget<'a>, UnattachedTest> {
        let Some(details) = &test.test else {
            return Err(UnattachedTest::NotATest {
                test: test.unique_id.clone(),
            });
        };
        let column = details
            .column_name
            .as_deref()
            .or_else(|| details.kwargs.get("column_name").and_then(|v| v.as_str()))
            .and_then(column_reference);
        let target = |node| Ok(TestTarget { node, column });

        if let Some(attached) = details.attached_node.as_deref().filter(|a| !a.is_empty()) {
            return match self.get(attached) {
                Some(node) => target(node),
                None => Err(UnattachedTest::UnknownParent {
                    test: test.unique_id.clone(),
                    parent: attached.to_string(),
                }),
            };
        }
        let parents: Vec<&Node> = test
            .depends_on
            .iter()
            .filter_map(|id| self.get(id))
            .collect();
        let call = |key: &str| {
            details
                .kwargs
                .get(key)
                .and_then(|v| v.as_str())
                .and_then(RelationCall::find)
        };
        if let Some(model) = call("model")
            && let Some(node) = parents.iter().find(|n| model.matches(n))
        {
            return target(*node);
        }
        let candidates: Vec<&Node> = match call("to") {
            Some(to) => parents.iter().copied().filter(|n| !to.matches(n)).collect(),
            None => parents.clone(),
        };
        match candidates.as_slice() {
            [only] => target(*only),
            [] if test.depends_on.is_empty() => Err(UnattachedTest::NoParent {
                test: test.unique_id.clone(),
            }),
            [] => Err(UnattachedTest::UnknownParent {
                test: test.unique_id.clone(),
                parent: test.depends_on[0].clone(),
            }),
            several => Err(UnattachedTest::Ambiguous {
                test: test.unique_id.clone(),
                parents: several.iter().map(|n| n.unique_id.clone()).collect(),
            }),
        }
    }
}

/// A plain column name from a test's `column_name`: quotes (`"`, `` ` ``, `[]`)
/// removed; `None` for an expression.
fn column_reference(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let quoted = [('"', '"'), ('`', '`'), ('[', ']')]
        .into_iter()
        .find_map(|(open, close)| raw.strip_prefix(open)?.strip_suffix(close));
    match quoted {
        Some(inner) if !inner.is_empty() && !inner.contains(['"', '`', ']']) => Some(inner),
        Some(_) => None,
        None => (!raw.is_empty()
            && raw
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$'))
        .then_some(raw),
    }
}

/// A `ref(…)` or `source(…)` call found in a test argument such as
/// `{{ get_where_subquery(ref('orders')) }}` or `source('pos', 'customers')`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RelationCall {
    Ref {
        package: Option<String>,
        name: String,
    },
    Source {
        source_name: String,
        table_name: String,
    },
}

impl RelationCall {
    fn find(text: &str) -> Option<RelationCall> {
        for (at, _) in text.match_indices(['r', 's']) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let rest = &text[at..];
            let (is_ref, args) = if let Some(args) = rest.strip_prefix("ref") {
                (true, args)
            } else if let Some(args) = rest.strip_prefix("source") {
                (false, args)
            } else {
                continue;
            };
            let Some(args) = args.trim_start().strip_prefix('(') else {
                continue;
            };
            let strings = positional_strings(args);
            let call = match (is_ref, strings.as_slice()) {
                (true, [name]) => RelationCall::Ref {
                    package: None,
                    name: name.clone(),
                },
                (true, [package, name]) => RelationCall::Ref {
                    package: Some(package.clone()),
                    name: name.clone(),
                },
                (false, [source_name, table_name]) => RelationCall::Source {
                    source_name: source_name.clone(),
                    table_name: table_name.clone(),
                },
                _ => continue,
            };
            return Some(call);
        }
        None
    }

    fn matches(&self, node: &Node) -> bool {
        match self {
            RelationCall::Ref { package, name } => {
                matches!(
                    node.resource_type,
                    ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
                ) && &node.name == name
                    && package
                        .as_deref()
                        .is_none_or(|p| node.package_name.as_deref() == Some(p))
            }
            RelationCall::Source {
                source_name,
                table_name,
            } => node
                .source
                .as_ref()
                .is_some_and(|s| &s.source_name == source_name && &node.name == table_name),
        }
    }
}

/// The quoted positional arguments at the start of an argument list, up to its
/// closing `)`; keyword arguments (`v=2`) end the list.
fn positional_strings(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = args.trim_start();
    while let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let body = &rest[1..];
        let Some(end) = body.find(quote) else {
            break;
        };
        out.push(body[..end].to_string());
        rest = body[end + 1..].trim_start();
        match rest.strip_prefix(',') {
            Some(after) => rest = after.trim_start(),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_calls_in_test_arguments() {
        assert_eq!(
            RelationCall::find("{{ get_where_subquery(ref('orders')) }}"),
            Some(RelationCall::Ref {
                package: None,
                name: "orders".into()
            })
        );
        assert_eq!(
            RelationCall::find("ref(\"pkg\", \"orders\")"),
            Some(RelationCall::Ref {
                package: Some("pkg".into()),
                name: "orders".into()
            })
        );
        assert_eq!(
            RelationCall::find("{{ ref('dim', v=2) }}"),
            Some(RelationCall::Ref {
                package: None,
                name: "dim".into()
            })
        );
        assert_eq!(
            RelationCall::find("{{ get_where_subquery(source('pos', 'customers')) }}"),
            Some(RelationCall::Source {
                source_name: "pos".into(),
                table_name: "customers".into()
            })
        );
        assert_eq!(RelationCall::find("{{ my_ref('x') }}"), None);
        assert_eq!(RelationCall::find("select 1"), None);
    }

    #[test]
    fn column_names_and_expressions() {
        assert_eq!(column_reference("order_id"), Some("order_id"));
        assert_eq!(column_reference(" \"Order Id\" "), Some("Order Id"));
        assert_eq!(column_reference("`id`"), Some("id"));
        assert_eq!(column_reference("[id]"), Some("id"));
        assert_eq!(column_reference("coalesce(a, b)"), None);
        assert_eq!(column_reference("a || b"), None);
        assert_eq!(column_reference("a<b"), None);
        assert_eq!(column_reference(""), None);
    }

    #[test]
    fn ages() {
        assert_eq!(age(5.2), "5s");
        assert_eq!(age(125.0), "2m 5s");
        assert_eq!(age(36_024.47), "10h 0m");
        assert_eq!(age(200_000.0), "2d 7h");
    }
}

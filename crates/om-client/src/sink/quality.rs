//! Data quality: test cases on tables another workflow wrote, and their results.
//!
//! A test case record names its table in its entity link
//! (`<#E::table::<fqn>[::columns::<column>]>`) as the source spells it. The table is
//! found through the resolver and the link rewritten to the server's spelling of
//! the table and column, so the test case lands where the table is (its FQN then
//! follows the server's spelling too). A link to a column the table lacks fails
//! that test case, naming both; a table the server lacks is a not-found warning.
//!
//! A result waits for its test case (its FQN is the test case record's key) and is
//! skipped, with a warning, when the test case could not be written. A result whose
//! timestamp the server has already is not sent again: a re-run adds no duplicate.

use std::collections::HashMap;
use std::sync::Mutex;

use om_spec::fqn;
use omctl_record::EntityKind;
use reqwest::Method;
use serde_json::Value;

use super::lineage::{column_fqn, columns_of, find_column};
use super::work::{Outcome, Shared, lock};

/// The server's FQN of each test case written in this run whose record spelled it
/// differently, for its results. Cleared when full, like the id cache: results
/// follow their test case closely, and a result whose entry went (more than
/// [`QualityState::CAPACITY`] test cases later) uses the record's spelling.
#[derive(Debug, Default)]
pub(crate) struct QualityState {
    server_fqns: Mutex<HashMap<String, String>>,
}

impl QualityState {
    const CAPACITY: usize = 100_000;

    fn remember(&self, record_fqn: &str, server_fqn: &str) {
        let mut map = lock(&self.server_fqns);
        if record_fqn == server_fqn {
            map.remove(record_fqn);
            return;
        }
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(record_fqn.to_string(), server_fqn.to_string());
    }

    fn server_fqn(&self, record_fqn: &str) -> String {
        lock(&self.server_fqns)
            .get(record_fqn)
            .cloned()
            .unwrap_or_else(|| record_fqn.to_string())
    }
}

/// What a test case's entity link points at: a table, or a column of it.
#[derive(Debug, PartialEq, Eq)]
struct TableLink<'a> {
    table: &'a str,
    column: Option<&'a str>,
}

impl<'a> TableLink<'a> {
    fn parse(link: &'a str) -> Option<TableLink<'a>> {
        let inner = link.strip_prefix("<#E::table::")?.strip_suffix('>')?;
        let (table, column) = match inner.split_once("::") {
            None => (inner, None),
            Some((table, rest)) => (table, Some(rest.strip_prefix("columns::")?)),
        };
        if table.is_empty() || column.is_some_and(|c| c.is_empty() || c.contains("::")) {
            return None;
        }
        Some(TableLink { table, column })
    }

    fn render(&self) -> String {
        match self.column {
            Some(c) => format!("<#E::table::{}::columns::{c}>", self.table),
            None => format!("<#E::table::{}>", self.table),
        }
    }
}

impl Shared {
    /// Writes one test case onto its table, in the server's spelling. Settles the
    /// record's FQN; a failure or a missing table settles it failed, so that its
    /// results are skipped.
    pub(super) async fn test_case(&self, fqn: String, mut request: Value) -> Outcome {
        let subject = format!("{} {fqn}", EntityKind::TestCase);
        let give_up = |reason: String| {
            lock(&self.summary).fail(fqn.clone(), reason.clone());
            Outcome::one(fqn.clone(), Err(reason))
        };
        let link = request
            .get("entityLink")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(target) = TableLink::parse(&link) else {
            return give_up(format!(
                "test case {fqn} was not written: its entityLink {link:?} does not name a table (<#E::table::<table fqn>[::columns::<column>]>)"
            ));
        };
        let table = match self.find_table(target.table).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.table_not_found(target.table, &subject);
                return Outcome::one(
                    fqn,
                    Err(format!("table {} is not on the server", target.table)),
                );
            }
            Err(e) => return self.failed(fqn.clone(), fqn, e),
        };
        let (link, under) = match target.column {
            None => (
                TableLink {
                    table: &table.fqn,
                    column: None,
                }
                .render(),
                table.fqn.clone(),
            ),
            Some(column) => {
                let found = find_column(columns_of(&table.entity), column)
                    .and_then(|chain| Some((column_fqn(&table.fqn, &chain)?, chain)));
                let Some((col_fqn, chain)) = found else {
                    return give_up(format!(
                        "test case {fqn} was not written: table {} has no column {column}",
                        table.fqn
                    ));
                };
                // A nested column is named by the dotted path of its names.
                let path: Vec<&str> = chain
                    .iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect();
                let path = path.join(".");
                let link = TableLink {
                    table: &table.fqn,
                    column: Some(&path),
                }
                .render();
                (link, col_fqn)
            }
        };
        request["entityLink"] = Value::String(link);
        let name = request
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let server_fqn = match fqn::quote_name(name) {
            Ok(quoted) => format!("{under}.{quoted}"),
            Err(e) => return give_up(format!("test case {fqn} was not written: {e}")),
        };
        if self.dry_run {
            lock(&self.summary).records += 1;
            self.quality.remember(&fqn, &server_fqn);
            return Outcome::one(fqn, Ok(()));
        }
        match self
            .client
            .put_entity(EntityKind::TestCase, &server_fqn, &request)
            .await
        {
            Ok(w) => {
                self.remember_id(EntityKind::TestCase, &server_fqn, w.id.as_deref());
                self.count_write(&w);
                self.quality.remember(&fqn, &server_fqn);
                Outcome::one(fqn, Ok(()))
            }
            Err(e) => self.failed(fqn.clone(), fqn, e),
        }
    }

    /// Posts one result of a test case, unless the server has a result with its
    /// timestamp (then it counts as a record written unchanged, as does a 409).
    pub(super) async fn test_case_result(&self, test_case: String, result: Value) -> Outcome {
        let subject = format!("result of test case {test_case}");
        let Some(timestamp) = result.get("timestamp").and_then(Value::as_i64) else {
            lock(&self.summary).fail(
                subject,
                format!("the result of test case {test_case} has no timestamp (milliseconds)"),
            );
            return Outcome::default();
        };
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        let server_fqn = self.quality.server_fqn(&test_case);
        let path = format!(
            "dataQuality/testCases/testCaseResults/{}",
            fqn::encode_path_segment(&server_fqn)
        );
        let ts = timestamp.to_string();
        let stored = self
            .client
            .call(
                Method::GET,
                &path,
                &[("startTs", &ts), ("endTs", &ts)],
                None,
                Some(&subject),
            )
            .await;
        let sent = match stored {
            Ok(a) if has_result_at(&a.body, timestamp) => Ok(()),
            Ok(_) => self
                .client
                .call(Method::POST, &path, &[], Some(&result), Some(&subject))
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => lock(&self.summary).records += 1,
            // The server has a result with this timestamp.
            Err(e) if e.status() == Some(409) => lock(&self.summary).records += 1,
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) if e.status() == Some(404) => lock(&self.summary).warn(
                subject.clone(),
                format!(
                    "{subject} skipped: test case {server_fqn} is not on the server ({})",
                    e.server_message()
                ),
            ),
            Err(e) => lock(&self.summary).fail(subject, e.to_string()),
        }
        Outcome::default()
    }
}

/// Whether a listing of test case results holds one at `timestamp`.
fn has_result_at(listing: &Value, timestamp: i64) -> bool {
    listing
        .get("data")
        .and_then(Value::as_array)
        .is_some_and(|results| {
            results
                .iter()
                .any(|r| r.get("timestamp").and_then(Value::as_i64) == Some(timestamp))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entity_links_name_a_table_or_a_column() {
        assert_eq!(
            TableLink::parse("<#E::table::svc.db.sch.t>"),
            Some(TableLink {
                table: "svc.db.sch.t",
                column: None
            })
        );
        assert_eq!(
            TableLink::parse("<#E::table::svc.db.sch.t::columns::Order_Id>"),
            Some(TableLink {
                table: "svc.db.sch.t",
                column: Some("Order_Id")
            })
        );
        for bad in [
            "<#E::dashboard::svc.d>",
            "<#E::table::>",
            "<#E::table::svc.db.sch.t::tags::x>",
            "<#E::table::svc.db.sch.t::columns::>",
            "svc.db.sch.t",
        ] {
            assert_eq!(TableLink::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn results_are_matched_by_timestamp() {
        let listing = json!({"data": [{"timestamp": 5, "testCaseStatus": "Success"}]});
        assert!(has_result_at(&listing, 5));
        assert!(!has_result_at(&listing, 6));
        assert!(!has_result_at(&json!({}), 5));
    }

    #[test]
    fn only_respelled_test_cases_are_remembered() {
        let q = QualityState::default();
        q.remember("svc.db.s.t.c.nn", "svc.db.s.t.c.nn");
        assert!(lock(&q.server_fqns).is_empty());
        q.remember("svc.DB.s.T.c.nn", "svc.db.s.t.c.nn");
        assert_eq!(q.server_fqn("svc.DB.s.T.c.nn"), "svc.db.s.t.c.nn");
        assert_eq!(q.server_fqn("other"), "other");
    }
}

//! Data quality: test cases on tables another workflow wrote, and their results.
//!
//! A test case record names its table in its entity link
//! (`<#E::table::<fqn>[::columns::<column>]>`) as the source spells it. The table is
//! found through the resolver and the link rewritten to the server's spelling of
//! the table and column, so the test case lands where the table is (its FQN then
//! follows the server's spelling too). A link to a column the table lacks fails
//! that test case, naming both; a table the server lacks is a not-found warning.
//!
//! The test cases of a table are read once per run, with their latest results, in one
//! listing (`GET /dataQuality/testCases?entityLink=<table>&includeAllTests=true`),
//! and not at all when the table has no test suite (the resolver reads tables with
//! `testSuite`). A test case stored with the same definition, link, parameters and
//! description is not written again. Test cases the sink receives one after another
//! are written together: the new ones in one `createMany` of up to 100.
//!
//! A result waits for its test case (its FQN is the test case record's key) and is
//! skipped, with a warning, when the test case could not be written. A result whose
//! timestamp the server has already is not sent again: a re-run adds no duplicate.
//! The listing's latest result decides without another read when it can: a result
//! at that timestamp is there already, a later one cannot be; only an older one is
//! looked up by its timestamp.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use om_spec::fqn;
use omctl_record::EntityKind;
use reqwest::Method;
use serde_json::Value;

use futures_util::{StreamExt, stream};

use super::lineage::{column_fqn, find_column};
use super::resolve::{ReadOnce, TableState, columns_of};
use super::work::{Outcome, Shared, lock};
use crate::client::Written;
use crate::error::ClientError;

/// Test cases one `createMany` may carry: the server refuses more (HTTP 413).
pub(crate) const CREATE_MANY_LIMIT: usize = 100;

/// Test cases of one batch prepared at once (each may read its table's listing).
const PREPARE_AT_ONCE: usize = 4;

/// The fields test cases are listed with: what deciding to skip a write needs.
const TEST_CASE_FIELDS: &str = "testCaseResult,testDefinition";

/// The server's FQN of each test case written in this run whose record spelled it
/// differently, for its results. Cleared when full, like the id cache: results
/// follow their test case closely, and a result whose entry went (more than
/// [`QualityState::CAPACITY`] test cases later) uses the record's spelling.
#[derive(Default)]
pub(crate) struct QualityState {
    server_fqns: Mutex<HashMap<String, String>>,
    /// The stored test cases of each table (by the table's server FQN), by their FQN.
    stored: ReadOnce<HashMap<String, Value>>,
    /// The timestamp of the latest result the server has of a test case (server
    /// FQN; `None`: no result), where known; bounded like `server_fqns`.
    latest: Mutex<HashMap<String, Option<i64>>>,
}

/// How to send a result, from what is known of the stored ones.
#[derive(Debug, PartialEq, Eq)]
enum ResultCheck {
    /// The server has a result at this timestamp.
    Stored,
    /// The server has none at this timestamp or later: post it.
    Post,
    /// Unknown: look for one at this timestamp first.
    Ask,
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

    /// Notes the latest stored result of a test case; a later one noted before
    /// (a result this run sent) stays.
    fn note_latest(&self, server_fqn: &str, timestamp: Option<i64>) {
        let mut map = lock(&self.latest);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        let known = map.entry(server_fqn.to_string()).or_insert(timestamp);
        *known = (*known).max(timestamp);
    }

    /// Decides how to send a result at `timestamp`; a result to post is noted as
    /// the latest at once, so that a second one at the same timestamp is not sent.
    fn check_result(&self, server_fqn: &str, timestamp: i64) -> ResultCheck {
        let mut map = lock(&self.latest);
        match map.get_mut(server_fqn) {
            Some(Some(latest)) if *latest == timestamp => ResultCheck::Stored,
            Some(Some(latest)) if *latest > timestamp => ResultCheck::Ask,
            Some(latest) => {
                *latest = Some(timestamp);
                ResultCheck::Post
            }
            None => ResultCheck::Ask,
        }
    }

    /// Forgets what is known of a test case's results (a post failed).
    fn forget_latest(&self, server_fqn: &str) {
        lock(&self.latest).remove(server_fqn);
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

/// A test case record ready to send: what is left once the table is found, the
/// link respelled and the stored test cases compared.
enum Prepared {
    /// Nothing (more) to send: written unchanged, failed, or a dry run.
    Settled(Outcome),
    Write(TestCaseWrite),
}

struct TestCaseWrite {
    /// The record's FQN (the key its results wait for).
    fqn: String,
    /// The FQN the server gives it.
    server_fqn: String,
    /// The create request, its entity link in the server's spelling.
    request: Value,
    /// The server has it (with something different): a `PUT` updates it;
    /// otherwise it is new and may go out in a `createMany`.
    stored: bool,
}

impl Shared {
    /// Writes one test case onto its table, in the server's spelling. Settles the
    /// record's FQN; a failure or a missing table settles it failed, so that its
    /// results are skipped.
    pub(super) async fn test_case(&self, fqn: String, request: Value) -> Outcome {
        match self.prepare_test_case(fqn, request).await {
            Prepared::Settled(outcome) => outcome,
            Prepared::Write(write) => self.put_test_case(write).await,
        }
    }

    /// Writes test cases that arrived together: those the server lacks in one
    /// `POST /dataQuality/testCases/createMany` (at most [`CREATE_MANY_LIMIT`],
    /// which the sink's batches respect), changed ones with a `PUT` each. When the
    /// server refuses the list, each test case is sent alone, so that only a bad
    /// one fails; a server without the endpoint (404/405) gets single writes for
    /// the rest of the run.
    pub(super) async fn test_case_batch(&self, items: Vec<(String, Value)>) -> Outcome {
        // The reads (a table listing, a table's test cases) of a few at once; the
        // writes below go one after another, so that a batch is one write in
        // flight, like any other task of the sink's window.
        let prepared: Vec<Prepared> = stream::iter(items)
            .map(|(fqn, request)| self.prepare_test_case(fqn, request))
            .buffered(PREPARE_AT_ONCE)
            .collect()
            .await;
        let mut outcome = Outcome::default();
        let mut new = Vec::new();
        let mut singles = Vec::new();
        for p in prepared {
            match p {
                Prepared::Settled(o) => outcome.absorb(o),
                Prepared::Write(w) if w.stored => singles.push(w),
                Prepared::Write(w) => new.push(w),
            }
        }
        if new.len() > 1 && !lock(&self.no_bulk).contains(&EntityKind::TestCase) {
            match self.create_many(&new).await {
                Ok(created) => {
                    for (write, id) in new.drain(..).zip(created) {
                        self.remember_id(EntityKind::TestCase, &write.server_fqn, id.as_deref());
                        self.count_write(&Written {
                            created: true,
                            changed: false,
                            id,
                        });
                        self.quality.remember(&write.fqn, &write.server_fqn);
                        outcome.settled.push((write.fqn, Ok(())));
                    }
                }
                Err(e) if e.is_fatal() => return Outcome::fatal(e),
                Err(e) if matches!(e.status(), Some(404 | 405)) => {
                    tracing::info!(
                        "the server has no createMany endpoint for test cases (HTTP {}); writing them one by one",
                        e.status().unwrap_or_default()
                    );
                    lock(&self.no_bulk).insert(EntityKind::TestCase);
                }
                Err(e) => tracing::debug!(
                    "createMany of {} test cases refused ({e}); writing them one by one",
                    new.len()
                ),
            }
        }
        singles.append(&mut new);
        for write in singles {
            let o = self.put_test_case(write).await;
            if o.fatal.is_some() {
                return o;
            }
            outcome.absorb(o);
        }
        outcome
    }

    /// `POST /dataQuality/testCases/createMany`; answers the ids of the created
    /// test cases, in the order of `writes`.
    async fn create_many(
        &self,
        writes: &[TestCaseWrite],
    ) -> Result<Vec<Option<String>>, ClientError> {
        let body = Value::Array(writes.iter().map(|w| w.request.clone()).collect());
        let subject = format!("{} test cases", writes.len());
        let answer = self
            .client
            .call(
                Method::POST,
                "dataQuality/testCases/createMany",
                &[],
                Some(&body),
                Some(&subject),
            )
            .await?;
        let ids: HashMap<&str, &str> = answer
            .body
            .as_array()
            .map(|created| {
                created
                    .iter()
                    .filter_map(|c| {
                        Some((
                            c.get("fullyQualifiedName")?.as_str()?,
                            c.get("id")?.as_str()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(writes
            .iter()
            .map(|w| ids.get(w.server_fqn.as_str()).map(|id| id.to_string()))
            .collect())
    }

    async fn put_test_case(&self, write: TestCaseWrite) -> Outcome {
        let TestCaseWrite {
            fqn,
            server_fqn,
            request,
            ..
        } = write;
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

    /// Finds the table, respells the link and compares with the stored test case.
    async fn prepare_test_case(&self, fqn: String, mut request: Value) -> Prepared {
        let subject = format!("{} {fqn}", EntityKind::TestCase);
        let give_up = |reason: String| {
            lock(&self.summary).fail(fqn.clone(), reason.clone());
            Prepared::Settled(Outcome::one(fqn.clone(), Err(reason)))
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
                return Prepared::Settled(Outcome::one(
                    fqn,
                    Err(format!("table {} is not on the server", target.table)),
                ));
            }
            Err(e) => return Prepared::Settled(self.failed(fqn.clone(), fqn, e)),
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
            return Prepared::Settled(Outcome::one(fqn, Ok(())));
        }
        let stored = match self.stored_test_cases(&table).await {
            Ok(listing) => listing.get(&server_fqn).cloned(),
            Err(e) => return Prepared::Settled(self.failed(fqn.clone(), fqn, e)),
        };
        self.quality.note_latest(
            &server_fqn,
            stored
                .as_ref()
                .and_then(|s| s.pointer("/testCaseResult/timestamp"))
                .and_then(Value::as_i64),
        );
        match stored {
            Some(stored) if same_test_case(&stored, &request) => {
                let id = stored.get("id").and_then(Value::as_str);
                self.remember_id(EntityKind::TestCase, &server_fqn, id);
                lock(&self.summary).records += 1;
                self.quality.remember(&fqn, &server_fqn);
                Prepared::Settled(Outcome::one(fqn, Ok(())))
            }
            stored => Prepared::Write(TestCaseWrite {
                fqn,
                server_fqn,
                request,
                stored: stored.is_some(),
            }),
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
        let check = self.quality.check_result(&server_fqn, timestamp);
        let stored = match check {
            ResultCheck::Stored => Ok(true),
            ResultCheck::Post => Ok(false),
            ResultCheck::Ask => {
                let ts = timestamp.to_string();
                self.client
                    .call(
                        Method::GET,
                        &path,
                        &[("startTs", &ts), ("endTs", &ts)],
                        None,
                        Some(&subject),
                    )
                    .await
                    .map(|a| has_result_at(&a.body, timestamp))
            }
        };
        let sent = match stored {
            Ok(true) => Ok(()),
            Ok(false) => self
                .client
                .call(Method::POST, &path, &[], Some(&result), Some(&subject))
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        if check == ResultCheck::Post && sent.as_ref().is_err_and(|e| e.status() != Some(409)) {
            self.quality.forget_latest(&server_fqn);
        }
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

impl Shared {
    /// The test cases on a table and its columns as the server holds them, by FQN,
    /// read once per run (and not at all for a table without a test suite).
    async fn stored_test_cases(
        &self,
        table: &TableState,
    ) -> Result<Arc<HashMap<String, Value>>, ClientError> {
        let table_fqn = table.fqn.as_str();
        self.quality
            .stored
            .get_or_read(table_fqn, || async {
                // Test cases belong to the table's basic test suite, made with the
                // first one: a table read without a suite has none to list.
                if table.entity.get("testSuite").is_none_or(Value::is_null) {
                    return Ok(HashMap::new());
                }
                let link = TableLink {
                    table: table_fqn,
                    column: None,
                }
                .render();
                let listed = self
                    .list_all_by::<Value>(
                        EntityKind::TestCase,
                        &[
                            ("entityLink", &link),
                            ("includeAllTests", "true"),
                            ("fields", TEST_CASE_FIELDS),
                        ],
                    )
                    .await?;
                Ok(listed
                    .into_iter()
                    .filter_map(|case| {
                        let fqn = case.get("fullyQualifiedName")?.as_str()?.to_string();
                        Some((fqn, case))
                    })
                    .collect())
            })
            .await
    }
}

/// Whether a stored test case already says what `request` (a create request in
/// the server's spelling) says: a write would change nothing.
fn same_test_case(stored: &Value, request: &Value) -> bool {
    let Some(fields) = request.as_object() else {
        return false;
    };
    fields.iter().all(|(field, ours)| match field.as_str() {
        // The FQN it was found by says the name.
        "name" => true,
        // An FQN in the request; a reference (or the FQN) on the server.
        "testDefinition" => {
            let Some(definition) = stored.get("testDefinition") else {
                return false;
            };
            let named = |key: &str| definition.get(key).and_then(Value::as_str);
            ours.as_str().is_some_and(|d| {
                definition.as_str() == Some(d)
                    || named("fullyQualifiedName") == Some(d)
                    || named("name") == Some(d)
            })
        }
        // Missing, null and empty say the same.
        "description" => {
            stored
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                == ours.as_str().unwrap_or_default()
        }
        "parameterValues" => {
            let theirs = stored.get("parameterValues");
            let empty = |v: Option<&Value>| {
                v.is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
            };
            (empty(theirs) && empty(Some(ours))) || theirs == Some(ours)
        }
        _ => {
            (ours.is_null() && stored.get(field).is_none_or(Value::is_null))
                || stored.get(field) == Some(ours)
        }
    })
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
    fn a_stored_test_case_saying_the_same_is_not_rewritten() {
        let stored = json!({
            "id": "1",
            "name": "nn",
            "fullyQualifiedName": "s.d.c.t.a.nn",
            "testDefinition": {"id": "2", "type": "testDefinition", "name": "not_null", "fullyQualifiedName": "not_null"},
            "entityLink": "<#E::table::s.d.c.t::columns::a>",
            "parameterValues": [{"name": "x", "value": "1"}],
            "description": "d",
            "testCaseResult": {"timestamp": 5},
        });
        let ours = json!({
            "name": "nn",
            "testDefinition": "not_null",
            "entityLink": "<#E::table::s.d.c.t::columns::a>",
            "parameterValues": [{"name": "x", "value": "1"}],
            "description": "d",
        });
        assert!(same_test_case(&stored, &ours));
        for (field, other) in [
            ("testDefinition", json!("unique")),
            ("entityLink", json!("<#E::table::s.d.c.t::columns::b>")),
            ("parameterValues", json!([{"name": "x", "value": "2"}])),
            ("description", json!("new")),
            ("displayName", json!("NN")),
        ] {
            let mut changed = ours.clone();
            changed[field] = other;
            assert!(!same_test_case(&stored, &changed), "{field}");
        }
        let bare = json!({"name": "nn", "testDefinition": "not_null", "entityLink": "<#E::table::s.d.c.t>", "parameterValues": []});
        let stored_bare =
            json!({"testDefinition": {"name": "not_null"}, "entityLink": "<#E::table::s.d.c.t>"});
        assert!(same_test_case(&stored_bare, &bare));
    }

    #[test]
    fn the_latest_stored_result_decides_when_it_can() {
        let q = QualityState::default();
        assert_eq!(q.check_result("unknown", 5), ResultCheck::Ask);
        q.note_latest("none", None);
        assert_eq!(q.check_result("none", 5), ResultCheck::Post);
        // The result just posted is not posted twice.
        assert_eq!(q.check_result("none", 5), ResultCheck::Stored);
        q.note_latest("some", Some(10));
        assert_eq!(q.check_result("some", 10), ResultCheck::Stored);
        assert_eq!(q.check_result("some", 3), ResultCheck::Ask);
        assert_eq!(q.check_result("some", 11), ResultCheck::Post);
        // A listing read later does not hide a result this run sent.
        q.note_latest("some", Some(10));
        assert_eq!(q.check_result("some", 11), ResultCheck::Stored);
        q.forget_latest("some");
        assert_eq!(q.check_result("some", 11), ResultCheck::Ask);
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

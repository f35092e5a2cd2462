//! Mark-deleted: what the run saw per scope, and the safe comparison with what the
//! server has.
//!
//! Rules (DESIGN.md "Deleting safely"):
//! * Only a scope the source reported complete (`ScopeComplete`) is compared; a scope
//!   whose listing failed at the source keeps everything.
//! * Entities the run saw, including those reported filtered, failed or with a
//!   warning, are never deleted: a table the source could not read is not gone.
//! * The comparison ignores case and quoting differences (`"a.b"` vs `a.b` never
//!   occurs for a valid name, but `Orders` vs `orders` can): when in doubt, keep.
//! * When more than `markDeletedMaxPercent` of the server's entities in the scope
//!   would go, nothing is deleted there and the scope is a failure. Scopes with
//!   fewer than `markDeletedMinScopeSize` entities skip that check, except that
//!   emptying a scope completely is always checked (the silently empty listing of
//!   OpenMetadata issues #28929 and #32399).
//! * Seen FQNs are kept per scope and dropped once the scope is processed, so
//!   memory follows the largest scope, not the catalog.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use om_spec::fqn;
use omctl_record::{EntityKind, Event};

/// The form in which FQNs are compared for mark-deleted: quoting made canonical and
/// lower case.
pub(crate) fn deletion_key(name: &str) -> String {
    match fqn::split(name) {
        Ok(parts) => parts
            .iter()
            .map(|p| fqn::quote_name(fqn::unquote_name(p)).unwrap_or_else(|_| p.clone()))
            .collect::<Vec<_>>()
            .join(".")
            .to_lowercase(),
        Err(_) => name.to_lowercase(),
    }
}

/// What the run saw, per (kind, parent) scope, for the kinds mark-deleted covers.
#[derive(Debug, Default)]
pub(crate) struct ScopeTracker {
    kinds: HashSet<EntityKind>,
    seen: HashMap<(EntityKind, String), HashSet<String>>,
    /// Scopes already compared (one key per scope, not per entity). An entity
    /// reported after its scope completed (a schema whose tables could not be
    /// listed fails after the schema listing ended) has nothing left to protect
    /// and must not reopen the scope.
    done: HashSet<(EntityKind, String)>,
}

impl ScopeTracker {
    pub fn new(kinds: HashSet<EntityKind>) -> Self {
        ScopeTracker {
            kinds,
            seen: HashMap::new(),
            done: HashSet::new(),
        }
    }

    pub fn covers(&self, kind: EntityKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Notes an entity of `kind` the run saw. Its scope is `parent`, or the FQN
    /// without its last part.
    pub fn saw(&mut self, kind: EntityKind, parent: Option<&str>, name: &str) {
        if !self.covers(kind) {
            return;
        }
        let parent = match parent {
            Some(p) => p.to_string(),
            None => match fqn::split(name) {
                Ok(mut parts) if parts.len() > 1 => {
                    parts.pop();
                    parts.join(".")
                }
                _ => return,
            },
        };
        let scope = (kind, deletion_key(&parent));
        if self.done.contains(&scope) {
            return;
        }
        self.seen
            .entry(scope)
            .or_default()
            .insert(deletion_key(name));
    }

    /// Filtered, failed and warned-about entities count as seen.
    pub fn saw_event(&mut self, event: &Event) {
        if let Some(kind) = event.kind {
            self.saw(kind, None, &event.name);
        }
    }

    /// Takes the seen set of a completed scope out of the tracker.
    pub fn take(&mut self, kind: EntityKind, parent: &str) -> HashSet<String> {
        let scope = (kind, deletion_key(parent));
        let seen = self.seen.remove(&scope).unwrap_or_default();
        self.done.insert(scope);
        seen
    }

    /// Scopes that never completed, for the log at the end.
    pub fn incomplete(&self) -> Vec<(EntityKind, usize)> {
        self.seen.iter().map(|((k, _), s)| (*k, s.len())).collect()
    }
}

/// The verdict on one scope.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Delete these (may be empty).
    Delete,
    /// Too much would go: delete nothing, report this reason.
    Refuse(String),
}

/// Applies the fail-safe threshold to a scope where `unseen` of the server's
/// `total` entities were not seen.
pub(crate) fn judge(
    kind: EntityKind,
    parent: &str,
    total: u64,
    unseen: &[String],
    max_percent: f64,
    min_scope_size: u64,
) -> Verdict {
    let n = unseen.len() as u64;
    if n == 0 || total == 0 {
        return Verdict::Delete;
    }
    let share = n as f64 * 100.0 / total as f64;
    let checked = total >= min_scope_size || n == total;
    if checked && share > max_percent {
        let mut names: Vec<&str> = unseen.iter().take(10).map(String::as_str).collect();
        if unseen.len() > names.len() {
            names.push("...");
        }
        return Verdict::Refuse(format!(
            "mark-deleted refused for the {kind}s of {parent}: {n} of {total} ({share:.0}%) were not seen in this run, above the fail-safe threshold of {max_percent}% (sink.config.markDeletedMaxPercent); nothing was deleted there. Not seen: {}",
            names.join(", ")
        ));
    }
    Verdict::Delete
}

/// One entity that mark-deleted removed, or would remove under `--dry-run`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deletion {
    pub kind: EntityKind,
    pub fqn: String,
    /// False under `--dry-run`: planned only.
    pub executed: bool,
}

/// The deletions of a run, readable after the sink was boxed (a cheap handle).
/// Keeps the first [`DeletionLog::KEPT`] entries; the summary counts them all.
#[derive(Debug, Clone, Default)]
pub struct DeletionLog(Arc<Mutex<Vec<Deletion>>>);

impl DeletionLog {
    pub const KEPT: usize = 10_000;

    pub(crate) fn push(&self, d: Deletion) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < Self::KEPT {
            v.push(d);
        }
    }

    pub fn entries(&self) -> Vec<Deletion> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_canonical_quoting() {
        assert_eq!(deletion_key("Svc.DB.\"a.B\""), "svc.db.\"a.b\"");
        assert_eq!(deletion_key("svc.db.\"plain\""), "svc.db.plain");
    }

    #[test]
    fn tracker_keeps_scopes_apart_and_forgets_taken_ones() {
        let mut t = ScopeTracker::new(HashSet::from([EntityKind::Table]));
        t.saw(EntityKind::Table, Some("s.d.a"), "s.d.a.t1");
        t.saw(EntityKind::Table, Some("s.d.b"), "s.d.b.t1");
        t.saw(EntityKind::Database, Some("s"), "s.d");
        t.saw_event(&Event::filtered(
            EntityKind::Table,
            "s.d.a.\"x.y\"",
            "filtered",
        ));
        let a = t.take(EntityKind::Table, "S.D.A");
        assert_eq!(
            a,
            HashSet::from(["s.d.a.t1".to_string(), "s.d.a.\"x.y\"".to_string()])
        );
        assert!(t.take(EntityKind::Table, "s.d.a").is_empty());
        assert_eq!(t.incomplete().len(), 1);
    }

    #[test]
    fn an_entity_reported_after_its_scope_completed_does_not_reopen_it() {
        let mut t = ScopeTracker::new(HashSet::from([EntityKind::DatabaseSchema]));
        t.saw(EntityKind::DatabaseSchema, Some("s.d"), "s.d.a");
        assert_eq!(t.take(EntityKind::DatabaseSchema, "s.d").len(), 1);
        // The schema's tables could not be listed: the source fails the schema
        // after the schema scope was complete.
        t.saw_event(&Event::failure(
            Some(EntityKind::DatabaseSchema),
            "s.d.a",
            "GetTables: access denied",
        ));
        assert!(t.incomplete().is_empty());
    }

    #[test]
    fn threshold_refuses_large_shares_and_emptied_scopes() {
        let unseen = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        assert_eq!(
            judge(EntityKind::Table, "p", 10, &unseen(5), 50.0, 5),
            Verdict::Delete
        );
        assert!(
            matches!(judge(EntityKind::Table, "p", 10, &unseen(6), 50.0, 5), Verdict::Refuse(m) if m.contains("6 of 10"))
        );
        // Small scope: a large share is allowed...
        assert_eq!(
            judge(EntityKind::Table, "p", 3, &unseen(2), 50.0, 5),
            Verdict::Delete
        );
        // ...but emptying it is not.
        assert!(matches!(
            judge(EntityKind::Table, "p", 1, &unseen(1), 50.0, 5),
            Verdict::Refuse(_)
        ));
        assert_eq!(
            judge(EntityKind::Table, "p", 1, &unseen(1), 100.0, 5),
            Verdict::Delete
        );
        assert_eq!(
            judge(EntityKind::Table, "p", 0, &[], 50.0, 5),
            Verdict::Delete
        );
    }
}

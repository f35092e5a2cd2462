//! Counters of one workflow step, shaped like OpenMetadata's `StepSummary`
//! (`entity/services/ingestionPipelines/status.json`) plus the counters omctl adds.

use serde::{Deserialize, Serialize};

/// One failure kept for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The entity (FQN) or step the failure is about.
    pub name: String,
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
}

/// What one step (source or sink) did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepSummary {
    pub name: String,
    /// Records produced (source) or written (sink).
    pub records: u64,
    /// Records that changed an entity which already existed.
    #[serde(rename = "updated_records")]
    pub updated_records: u64,
    pub warnings: u64,
    pub errors: u64,
    pub filtered: u64,
    /// Entities soft-deleted by mark-deleted (omctl addition).
    #[serde(default)]
    pub deleted: u64,
    /// Operations refused by a safety rule (the mark-deleted fail-safe), each also
    /// counted in `errors` (omctl addition). Any safety stop fails the run
    /// whatever the success %.
    #[serde(default)]
    pub safety_stops: u64,
    /// Existing entities a record names that the server does not have (a dbt
    /// model's table not ingested yet), each also counted in `warnings` (omctl
    /// addition). Left out of the JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_found: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Warnings kept for the report (omctl addition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warning_messages: Vec<Failure>,
    /// Wall time of the step in milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How many failures and warnings a summary keeps in full; the counters go on.
pub const KEPT_MESSAGES: usize = 1000;

impl StepSummary {
    pub fn new(name: impl Into<String>) -> Self {
        StepSummary {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Counts a failure and keeps its message (up to [`KEPT_MESSAGES`]).
    pub fn fail(&mut self, name: impl Into<String>, error: impl Into<String>) {
        self.errors += 1;
        if self.failures.len() < KEPT_MESSAGES {
            self.failures.push(Failure {
                name: name.into(),
                error: error.into(),
                stack_trace: None,
            });
        }
    }

    /// Counts a warning and keeps its message (up to [`KEPT_MESSAGES`]).
    pub fn warn(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.warnings += 1;
        if self.warning_messages.len() < KEPT_MESSAGES {
            self.warning_messages.push(Failure {
                name: name.into(),
                error: message.into(),
                stack_trace: None,
            });
        }
    }

    /// Success share in percent, computed as OpenMetadata does so that
    /// `successThreshold` means the same: `ok = max(records + updated, 1)`,
    /// `ok * 100 / (ok + errors)`, rounded to two decimals.
    pub fn success_pct(&self) -> f64 {
        let ok = (self.records + self.updated_records).max(1) as f64;
        let pct = ok * 100.0 / (ok + self.errors as f64);
        (pct * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_pct_like_openmetadata() {
        let mut s = StepSummary::new("source");
        assert_eq!(s.success_pct(), 100.0);
        s.records = 8;
        s.updated_records = 1;
        s.fail("svc.db.sch.t", "boom");
        assert_eq!(s.errors, 1);
        assert_eq!(s.success_pct(), 90.0);
        let mut empty_failed = StepSummary::new("source");
        empty_failed.fail("x", "y");
        empty_failed.fail("x", "y");
        assert_eq!(empty_failed.success_pct(), 33.33);
    }

    #[test]
    fn wire_names_match_openmetadata_step_summary() {
        let s = StepSummary::new("sink");
        let v = serde_json::to_value(&s).unwrap();
        assert!(v.get("updated_records").is_some());
        assert!(v.get("records").is_some());
    }
}

//! What a run did: per-step counters, the workflow's success share and status the
//! way OpenMetadata computes them, the `--report` JSON, the one-line summary for
//! schedulers and the table for people.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use omctl_record::status::StepSummary;
use serde::{Deserialize, Serialize};

/// The status of a finished run, spelled as OpenMetadata's pipeline states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    /// Every step at 100 %.
    Success,
    /// Some records failed, but the workflow's success share is at or above
    /// `successThreshold`.
    PartialSuccess,
    /// Below `successThreshold`, a safety rule refused an operation (see
    /// [`StepSummary::safety_stops`]), or the run could not finish (source or sink
    /// error, interruption).
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::PartialSuccess => "partialSuccess",
            RunStatus::Failed => "failed",
        }
    }
}

/// What kind of problem stopped a run, so the CLI can pick an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopKind {
    /// The connector refused its configuration.
    Config,
    /// A source or sink could not reach its system or was refused (credentials).
    Connection,
    /// The plugin misbehaved: it panicked, broke the interface, or could not be
    /// loaded.
    Plugin,
    /// The user interrupted the run.
    Interrupted,
    /// Anything else (disk full, an unexpected error).
    Other,
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStop {
    /// The step that stopped (`source` or the sink's name).
    pub step: String,
    pub kind: StopKind,
    pub message: String,
}

/// The plugin that ran the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub file: String,
}

/// An entity that mark-deleted removed, or would remove in a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedEntity {
    /// The entity type (`table`).
    pub kind: String,
    pub fqn: String,
    /// False in a dry run: planned only.
    pub executed: bool,
}

/// `workflowConfig.successThreshold` and `raiseOnError`, with OpenMetadata's
/// defaults (90 and true).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessPolicy {
    pub success_threshold: f64,
    pub raise_on_error: bool,
}

impl Default for SuccessPolicy {
    fn default() -> Self {
        SuccessPolicy {
            success_threshold: 90.0,
            raise_on_error: true,
        }
    }
}

/// The report of one run (`--report FILE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub omctl_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginInfo>,
    pub source_type: String,
    pub sink_type: String,
    pub dry_run: bool,
    pub status: RunStatus,
    /// Mean of the steps' success percentages, as OpenMetadata computes it.
    pub success_pct: f64,
    pub policy: SuccessPolicy,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub steps: Vec<StepSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<RunStop>,
    /// What mark-deleted removed (or planned to, in a dry run); the sink's
    /// `deleted` counter counts them all, this keeps their names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<DeletedEntity>,
}

/// How a run should end for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Success, partial success, or a failed status with `raiseOnError: false`.
    Passed,
    /// The workflow failed and `raiseOnError` is on: the success share is below
    /// `successThreshold`, or a safety rule refused an operation (a safety stop
    /// fails the run whatever the success share).
    BelowThreshold,
    /// The run could not finish.
    Stopped(StopKind),
}

/// Mean of the steps' success percentages (100 with no steps).
pub fn workflow_success_pct(steps: &[StepSummary]) -> f64 {
    if steps.is_empty() {
        return 100.0;
    }
    let mean = steps.iter().map(StepSummary::success_pct).sum::<f64>() / steps.len() as f64;
    (mean * 100.0).round() / 100.0
}

impl RunReport {
    /// Builds the report and derives status and success share.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source_type: String,
        sink_type: String,
        plugin: Option<PluginInfo>,
        dry_run: bool,
        policy: SuccessPolicy,
        started: SystemTime,
        finished: SystemTime,
        steps: Vec<StepSummary>,
        stopped: Option<RunStop>,
    ) -> RunReport {
        let success_pct = workflow_success_pct(&steps);
        let status = if stopped.is_some()
            || success_pct < policy.success_threshold
            || safety_stops(&steps) > 0
        {
            RunStatus::Failed
        } else if success_pct < 100.0 {
            RunStatus::PartialSuccess
        } else {
            RunStatus::Success
        };
        RunReport {
            omctl_version: env!("CARGO_PKG_VERSION").to_string(),
            plugin,
            source_type,
            sink_type,
            dry_run,
            status,
            success_pct,
            policy,
            started_at: rfc3339(started),
            finished_at: rfc3339(finished),
            duration_ms: duration_ms(finished.duration_since(started).unwrap_or_default()),
            steps,
            stopped,
            deletions: Vec::new(),
        }
    }

    /// Whether the caller should treat the run as failed (OpenMetadata's
    /// `raise_from_status`: a step with errors and the workflow below the threshold,
    /// only when `raiseOnError`), or it stopped early.
    pub fn verdict(&self) -> Verdict {
        if let Some(stop) = &self.stopped {
            return Verdict::Stopped(stop.kind);
        }
        let has_errors = self.steps.iter().any(|s| s.errors > 0);
        let below = has_errors && self.success_pct < self.policy.success_threshold;
        if self.policy.raise_on_error && (below || safety_stops(&self.steps) > 0) {
            Verdict::BelowThreshold
        } else {
            Verdict::Passed
        }
    }

    /// The compact one-line JSON that ends stdout, for schedulers (Airflow reads
    /// the last line of a BashOperator's output as its XCom).
    pub fn summary_line(&self) -> String {
        let mut steps = serde_json::Map::new();
        for s in &self.steps {
            steps.insert(
                s.name.clone(),
                serde_json::json!({
                    "records": s.records,
                    "updated": s.updated_records,
                    "warnings": s.warnings,
                    "errors": s.errors,
                    "filtered": s.filtered,
                    "deleted": s.deleted,
                }),
            );
            if s.not_found > 0 {
                steps[&s.name]["notFound"] = s.not_found.into();
            }
        }
        let mut line = serde_json::json!({
            "status": self.status.as_str(),
            "successPct": self.success_pct,
            "durationMs": self.duration_ms,
            "dryRun": self.dry_run,
            "steps": steps,
        });
        if let Some(stop) = &self.stopped {
            line["stopped"] = serde_json::json!({ "step": stop.step, "kind": stop.kind });
        }
        line.to_string()
    }

    /// The end-of-run table: one row per step, then up to `max_failures` failures.
    pub fn render_table(&self, max_failures: usize) -> String {
        let mut headers = vec![
            "Step",
            "Records",
            "Updated",
            "Warnings",
            "Errors",
            "Filtered",
            "Deleted",
            "Success %",
            "Duration",
        ];
        // Only runs that update existing entities (dbt) can miss some: the column
        // shows only then.
        let not_found = self.steps.iter().any(|s| s.not_found > 0);
        if not_found {
            headers.insert(4, "Not found");
        }
        let rows: Vec<Vec<String>> = self
            .steps
            .iter()
            .map(|s| {
                let mut row = vec![
                    s.name.clone(),
                    s.records.to_string(),
                    s.updated_records.to_string(),
                    s.warnings.to_string(),
                    s.errors.to_string(),
                    s.filtered.to_string(),
                    s.deleted.to_string(),
                    format!("{:.2}", s.success_pct()),
                    human_duration(Duration::from_millis(s.duration_ms)),
                ];
                if not_found {
                    row.insert(4, s.not_found.to_string());
                }
                row
            })
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
                if i == 0 {
                    let _ = write!(out, "{cell:<w$}");
                } else {
                    let _ = write!(out, "  {cell:>w$}");
                }
            }
            out.push('\n');
        };
        let header_cells: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        line(&mut out, &header_cells);
        for row in &rows {
            line(&mut out, row);
        }

        let total_errors: u64 = self.steps.iter().map(|s| s.errors).sum();
        let total_warnings: u64 = self.steps.iter().map(|s| s.warnings).sum();
        list_messages(
            &mut out,
            "Failures",
            &self.steps,
            |s| &s.failures,
            total_errors,
            max_failures,
        );
        list_messages(
            &mut out,
            "Warnings",
            &self.steps,
            |s| &s.warning_messages,
            total_warnings,
            max_failures,
        );
        if !self.deletions.is_empty() {
            let planned = self.deletions.iter().filter(|d| !d.executed).count();
            let title = if planned > 0 {
                "Would delete (dry run)"
            } else {
                "Deleted"
            };
            let _ = writeln!(
                out,
                "\n{title} (showing {} of {}):",
                self.deletions.len().min(max_failures),
                self.deletions.len()
            );
            for d in self.deletions.iter().take(max_failures) {
                let _ = writeln!(out, "  {} {}", d.kind, d.fqn);
            }
        }
        if let Some(stop) = &self.stopped {
            let _ = writeln!(
                out,
                "\nRun stopped in {}: {}",
                stop.step,
                one_line(&stop.message)
            );
        }
        let stops = safety_stops(&self.steps);
        if stops > 0 {
            let _ = writeln!(
                out,
                "\nRun failed: a safety rule refused {stops} operation(s) (the mark-deleted fail-safe; see Failures), whatever the success share"
            );
        }
        let _ = writeln!(
            out,
            "\nWorkflow finished in {}: {} ({:.2}% successful, threshold {}%)",
            human_duration(Duration::from_millis(self.duration_ms)),
            self.status.as_str(),
            self.success_pct,
            self.policy.success_threshold,
        );
        out
    }
}

/// Operations refused by a safety rule, over all steps.
fn safety_stops(steps: &[StepSummary]) -> u64 {
    steps.iter().map(|s| s.safety_stops).sum()
}

/// Appends up to `max` kept messages of all steps under `title`.
fn list_messages(
    out: &mut String,
    title: &str,
    steps: &[StepSummary],
    messages: impl Fn(&StepSummary) -> &Vec<omctl_record::status::Failure>,
    total: u64,
    max: usize,
) {
    let all: Vec<(&str, &omctl_record::status::Failure)> = steps
        .iter()
        .flat_map(|s| messages(s).iter().map(move |f| (s.name.as_str(), f)))
        .collect();
    if all.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{title} (showing {} of {total}):",
        all.len().min(max)
    );
    for (step, f) in all.iter().take(max) {
        let _ = writeln!(out, "  [{step}] {}", message_line(&f.name, &f.error));
    }
}

/// `name: message`, or the message alone when it already starts with the name
/// (messages are written to stand on their own in the report).
fn message_line(name: &str, message: &str) -> String {
    if message.starts_with(name) {
        one_line(message)
    } else {
        format!("{name}: {}", one_line(message))
    }
}

fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let mut short: String = first.chars().take(200).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    short
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `850ms`, `3.2s`, `4m05s`.
pub fn human_duration(d: Duration) -> String {
    let ms = duration_ms(d);
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        let s = ms / 1000;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.250Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), by counting
/// 400-year eras of 146097 days from 0000-03-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_that_names_its_subject_is_not_prefixed_twice() {
        assert_eq!(
            message_line(
                "lineage a -> b",
                "lineage a -> b skipped: a is not on the server"
            ),
            "lineage a -> b skipped: a is not on the server"
        );
        assert_eq!(
            message_line("svc.db.sch.t", "column `c` has a type omctl cannot read"),
            "svc.db.sch.t: column `c` has a type omctl cannot read"
        );
    }

    fn step(name: &str, records: u64, errors: u64) -> StepSummary {
        let mut s = StepSummary::new(name);
        s.records = records;
        for i in 0..errors {
            s.fail(format!("svc.db.sch.t{i}"), "could not read the table");
        }
        s
    }

    fn report(
        steps: Vec<StepSummary>,
        policy: SuccessPolicy,
        stopped: Option<RunStop>,
    ) -> RunReport {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        RunReport::new(
            "glue".into(),
            "file".into(),
            None,
            false,
            policy,
            t0,
            t0 + Duration::from_millis(1500),
            steps,
            stopped,
        )
    }

    #[test]
    fn status_and_verdict_follow_openmetadata() {
        let all_good = report(
            vec![step("glue", 10, 0), step("file", 10, 0)],
            SuccessPolicy::default(),
            None,
        );
        assert_eq!(all_good.status, RunStatus::Success);
        assert_eq!(all_good.success_pct, 100.0);
        assert_eq!(all_good.verdict(), Verdict::Passed);

        // 9 ok + 1 error = 90 % in the source, 100 % in the sink: mean 95 %.
        let partial = report(
            vec![step("glue", 9, 1), step("file", 9, 0)],
            SuccessPolicy::default(),
            None,
        );
        assert_eq!(partial.success_pct, 95.0);
        assert_eq!(partial.status, RunStatus::PartialSuccess);
        assert_eq!(partial.verdict(), Verdict::Passed);

        // 1 ok + 3 errors = 25 %, mean 62.5 % < 90.
        let failed = report(
            vec![step("glue", 1, 3), step("file", 1, 0)],
            SuccessPolicy::default(),
            None,
        );
        assert_eq!(failed.success_pct, 62.5);
        assert_eq!(failed.status, RunStatus::Failed);
        assert_eq!(failed.verdict(), Verdict::BelowThreshold);

        let lenient = SuccessPolicy {
            success_threshold: 50.0,
            raise_on_error: true,
        };
        let r = report(vec![step("glue", 1, 3), step("file", 1, 0)], lenient, None);
        assert_eq!(
            (r.status, r.verdict()),
            (RunStatus::PartialSuccess, Verdict::Passed)
        );

        let no_raise = SuccessPolicy {
            success_threshold: 90.0,
            raise_on_error: false,
        };
        let r = report(vec![step("glue", 1, 3), step("file", 1, 0)], no_raise, None);
        assert_eq!(
            (r.status, r.verdict()),
            (RunStatus::Failed, Verdict::Passed)
        );
    }

    #[test]
    fn a_safety_stop_fails_the_run_whatever_the_success_share() {
        let mut sink = step("metadata-rest", 29, 1);
        sink.safety_stops = 1;
        let r = report(
            vec![step("glue", 30, 0), sink],
            SuccessPolicy::default(),
            None,
        );
        assert!(r.success_pct > 90.0, "{}", r.success_pct);
        assert_eq!(r.status, RunStatus::Failed);
        assert_eq!(r.verdict(), Verdict::BelowThreshold);
        let t = r.render_table(10);
        assert!(
            t.contains("Run failed: a safety rule refused 1 operation(s)"),
            "{t}"
        );
        let no_raise = SuccessPolicy {
            raise_on_error: false,
            ..SuccessPolicy::default()
        };
        let mut sink = step("metadata-rest", 29, 1);
        sink.safety_stops = 1;
        let r = report(vec![sink], no_raise, None);
        assert_eq!(
            (r.status, r.verdict()),
            (RunStatus::Failed, Verdict::Passed)
        );
    }

    #[test]
    fn a_stopped_run_failed_whatever_the_counters() {
        let stop = RunStop {
            step: "source".into(),
            kind: StopKind::Connection,
            message: "GetDatabases: access denied".into(),
        };
        let r = report(
            vec![step("glue", 10, 0)],
            SuccessPolicy::default(),
            Some(stop),
        );
        assert_eq!(r.status, RunStatus::Failed);
        assert_eq!(r.verdict(), Verdict::Stopped(StopKind::Connection));
        assert!(
            r.render_table(10)
                .contains("Run stopped in source: GetDatabases: access denied")
        );
    }

    #[test]
    fn summary_line_is_one_compact_json_line() {
        let r = report(
            vec![step("glue", 9, 1), step("file", 9, 0)],
            SuccessPolicy::default(),
            None,
        );
        let line = r.summary_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["status"], "partialSuccess");
        assert_eq!(v["successPct"], 95.0);
        assert_eq!(v["steps"]["glue"]["errors"], 1);
        assert_eq!(v["durationMs"], 1500);
    }

    #[test]
    fn tables_not_found_show_only_when_there_are_some() {
        let plain = report(vec![step("dbt", 3, 0)], SuccessPolicy::default(), None);
        assert!(!plain.render_table(10).contains("Not found"));
        assert!(!plain.summary_line().contains("notFound"));
        let mut sink = step("metadata-rest", 3, 0);
        sink.not_found = 2;
        let r = report(
            vec![step("dbt", 5, 0), sink],
            SuccessPolicy::default(),
            None,
        );
        let t = r.render_table(10);
        let header = t.lines().next().unwrap();
        assert!(header.contains("Warnings  Not found  Errors"), "{t}");
        let sink_row = t.lines().find(|l| l.starts_with("metadata-rest")).unwrap();
        let cells: Vec<&str> = sink_row.split_whitespace().collect();
        assert_eq!(cells[4], "2", "{t}");
        let v: serde_json::Value = serde_json::from_str(&r.summary_line()).unwrap();
        assert_eq!(v["steps"]["metadata-rest"]["notFound"], 2);
        assert!(v["steps"]["dbt"].get("notFound").is_none());
    }

    #[test]
    fn table_lists_steps_and_at_most_n_failures() {
        let r = report(
            vec![step("glue", 20, 12), step("file", 20, 0)],
            SuccessPolicy::default(),
            None,
        );
        let t = r.render_table(10);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("Step") && lines[0].contains("Success %"),
            "{t}"
        );
        assert!(
            lines[1].starts_with("glue") && lines[1].contains("62.50"),
            "{t}"
        );
        assert!(t.contains("Failures (showing 10 of 12):"), "{t}");
        assert_eq!(t.matches("[glue] svc.db.sch.t").count(), 10);
        assert!(
            t.contains("Workflow finished in 1.5s: failed (81.25% successful, threshold 90%)"),
            "{t}"
        );
        assert!(!t.contains("Warnings ("), "no warnings, no list: {t}");
    }

    #[test]
    fn warnings_are_listed_after_failures() {
        let mut source = step("glue", 5, 1);
        source.warn("svc.db.sch.a", "column x: unknown type");
        let t = report(vec![source], SuccessPolicy::default(), None).render_table(10);
        let failures = t.find("Failures (showing 1 of 1):").expect("failures");
        let warnings = t.find("Warnings (showing 1 of 1):").expect("warnings");
        assert!(failures < warnings, "{t}");
        assert!(
            t.contains("  [glue] svc.db.sch.a: column x: unknown type\n"),
            "{t}"
        );
    }

    #[test]
    fn planned_deletions_are_listed() {
        let mut r = report(vec![step("glue", 3, 0)], SuccessPolicy::default(), None);
        r.deletions = (0..12)
            .map(|i| DeletedEntity {
                kind: "table".into(),
                fqn: format!("svc.db.sch.old{i}"),
                executed: false,
            })
            .collect();
        let t = r.render_table(10);
        assert!(
            t.contains("Would delete (dry run) (showing 10 of 12):"),
            "{t}"
        );
        assert!(
            t.contains("  table svc.db.sch.old9\n") && !t.contains("old10"),
            "{t}"
        );
    }

    #[test]
    fn report_json_round_trips() {
        let r = report(vec![step("glue", 1, 0)], SuccessPolicy::default(), None);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<RunReport>(&json).unwrap(), r);
        assert_eq!(r.started_at, "2023-11-14T22:13:20.000Z");
        assert_eq!(r.finished_at, "2023-11-14T22:13:21.500Z");
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(3240)), "3.2s");
        assert_eq!(human_duration(Duration::from_secs(245)), "4m05s");
    }
}

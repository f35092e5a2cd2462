//! `omctl test-connection`: the connector's own checks (one per permission or
//! call it needs), each with its result.

use std::path::PathBuf;
use std::sync::Arc;

use omctl_runtime::host::RuntimeHost;
use omctl_runtime::plugin::{TestConnectionReport, TestStep};
use omctl_runtime::workflow::{CancelToken, NoProgress, StopSignal, plugin_config};

use super::{discover, load_workflow, plugin_for};
use crate::exit::{self, CliError};
use crate::logging::Logging;

pub fn run(config: &str, plugin_paths: &[PathBuf], logging: &Logging) -> Result<u8, CliError> {
    let workflow = load_workflow(config, logging)?;
    let plugins = discover(plugin_paths)?;
    let plugin = plugin_for(&workflow, &plugins)?;
    let json = plugin_config(&workflow, false, &logging.max_level());
    let host = Arc::new(RuntimeHost::new(
        StopSignal::new(CancelToken::new()),
        Arc::new(NoProgress),
    ));
    // The main thread is not inside an async runtime: blocking here is fine.
    let report = plugin.test_connection(&json, host)?;

    eprintln!(
        "Connection test of source `{}` with plugin {} {}:",
        workflow.source_type(),
        plugin.name(),
        plugin.manifest().version
    );
    eprint!("{}", render_steps(&report));
    println!("{}", summary_line(&report));
    Ok(if report.passed() {
        exit::SUCCESS
    } else {
        exit::CONNECTION
    })
}

fn mark(step: &TestStep) -> &'static str {
    match (step.passed, step.mandatory) {
        (true, _) => "ok  ",
        (false, true) => "FAIL",
        (false, false) => "warn",
    }
}

/// One line per step, the error under a failed one, and the verdict.
pub fn render_steps(report: &TestConnectionReport) -> String {
    let width = report.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for step in &report.steps {
        let kind = if step.mandatory {
            "mandatory"
        } else {
            "optional "
        };
        out.push_str(&format!(
            "  {} {:<width$}  {kind}  {}\n",
            mark(step),
            step.name,
            step.message.as_deref().unwrap_or("")
        ));
        if !step.passed
            && let Some(log) = &step.error_log
        {
            for line in log.lines() {
                out.push_str(&format!("         {line}\n"));
            }
        }
    }
    let failed = report.failed_mandatory().count();
    if report.steps.is_empty() {
        out.push_str("The connector ran no checks.\n");
    } else if failed == 0 {
        out.push_str("Result: passed\n");
    } else {
        out.push_str(&format!(
            "Result: failed ({failed} mandatory step{} failed)\n",
            if failed == 1 { "" } else { "s" }
        ));
    }
    out
}

/// The compact JSON that ends stdout.
pub fn summary_line(report: &TestConnectionReport) -> String {
    let steps: Vec<_> = report
        .steps
        .iter()
        .map(|s| serde_json::json!({"name": s.name, "mandatory": s.mandatory, "passed": s.passed}))
        .collect();
    serde_json::json!({"passed": report.passed(), "steps": steps}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_render_with_errors_and_verdict() {
        let report = TestConnectionReport {
            steps: vec![
                TestStep::passed("GetDatabases", true, "3 databases"),
                TestStep::failed(
                    "GetTables",
                    true,
                    "access denied",
                    "AccessDeniedException: no\nsecond line",
                ),
                TestStep::failed("GetPartitions", false, "not allowed", "denied"),
            ],
        };
        let text = render_steps(&report);
        assert!(
            text.contains("  ok   GetDatabases   mandatory  3 databases\n"),
            "{text}"
        );
        assert!(
            text.contains("  FAIL GetTables      mandatory  access denied\n"),
            "{text}"
        );
        assert!(
            text.contains("         AccessDeniedException: no\n         second line\n"),
            "{text}"
        );
        assert!(
            text.contains("  warn GetPartitions  optional   not allowed\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Result: failed (1 mandatory step failed)\n"),
            "{text}"
        );
        let line: serde_json::Value = serde_json::from_str(&summary_line(&report)).unwrap();
        assert_eq!(line["passed"], false);
        assert_eq!(line["steps"][1]["name"], "GetTables");
    }
}

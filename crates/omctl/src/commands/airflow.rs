//! `omctl airflow dag`: schedules a workflow file in Airflow, the way
//! OpenMetadata's deploy step schedules an ingestion pipeline: hourly, daily,
//! weekly or a cron expression, a start date and an optional end date, all in UTC.
//!
//! It writes a DAG file into the DAGs folder that runs the workflow with the
//! `omctl-airflow` package's `OmctlOperator`. The DAG names the workflow file by
//! path and never holds its contents, so secrets stay in the file's `${VAR}`
//! references and the workers' environment. With `--register` it also creates or
//! updates the ingestion pipeline entity in OpenMetadata with the same schedule,
//! and the DAG reports each run's status to it.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use om_client::OmClient;
use om_client::ingestion_pipeline::{self, PipelineRegistration, PipelineSchedule};
use omctl_runtime::config::{ConfigInput, WorkflowFile, process_env, read_input};

use super::{discover, load_workflow, plugin_for, runtime};
use crate::exit::{self, CliError};
use crate::logging::Logging;
use crate::sinks::{SinkPlan, ingestion_pipeline_spec};

const DAG_HELP: &str = "\
Examples:
  omctl airflow dag -c /etc/omctl/glue.yaml --dags-folder ~/airflow/dags --schedule daily
  omctl airflow dag -c glue.yaml --dags-folder dags --schedule '*/30 * * * *' \\
      --start-date 2026-01-01 --end-date 2026-12-31 --dag-id glue_catalog
  omctl airflow dag -c glue.yaml --dags-folder dags --schedule hourly --register

Schedules: hourly (0 * * * *), daily (0 0 * * *), weekly (0 0 * * 0), a five-field
cron expression, or none (run only when triggered). Dates are YYYY-MM-DD in UTC;
the start date defaults to today. Runs never catch up on missed intervals.

The DAG runs `omctl run` on the workflow file through OmctlOperator (pip install
omctl-airflow on the Airflow workers). It holds the file's path, not its contents:
keep secrets in the file as ${VAR} and set the variables where the tasks run.
--plugin paths given to this command are passed on to the DAG.

With --register the workflow's OpenMetadata server gets the ingestion pipeline
(created, or updated with the new schedule; its service is created first when
missing), and every run of the DAG reports its status to it.

Writing again to a DAG file that this command wrote replaces it; any other file of
that name is kept unless --force.";

/// First line of every DAG file this command writes: files that start with it may
/// be replaced by a later run without `--force`.
const GENERATED_MARKER: &str = "# Written by `omctl airflow dag`.";

/// `omctl airflow ...`
#[derive(Subcommand)]
pub enum AirflowCommand {
    /// Write an Airflow DAG file that runs a workflow file on a schedule
    #[command(after_help = DAG_HELP)]
    Dag(DagArgs),
}

#[derive(Args)]
pub struct DagArgs {
    /// The workflow file (YAML or JSON) the DAG runs; the DAG holds its path
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,

    /// Airflow's DAGs folder, where the DAG file is written
    #[arg(long, value_name = "DIR", env = "AIRFLOW__CORE__DAGS_FOLDER")]
    pub dags_folder: PathBuf,

    /// hourly, daily, weekly, a cron expression, or none
    #[arg(long, value_name = "SCHEDULE", default_value = "daily")]
    pub schedule: String,

    /// First day of the schedule, YYYY-MM-DD in UTC [default: today]
    #[arg(long, value_name = "DATE")]
    pub start_date: Option<String>,

    /// Last day of the schedule (runs stop at its start, 00:00 UTC), YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub end_date: Option<String>,

    /// The DAG's id (and file name) [default: omctl_<serviceName>_<source.type>]
    #[arg(long, value_name = "ID")]
    pub dag_id: Option<String>,

    /// The omctl binary the DAG runs [default: omctl on the workers' PATH]
    #[arg(long, value_name = "PATH")]
    pub omctl_path: Option<PathBuf>,

    /// How many times Airflow retries a run that failed for a reason worth
    /// retrying (configuration and plugin errors are never retried)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Also create or update the ingestion pipeline in OpenMetadata with this
    /// schedule; runs then report their status to it
    #[arg(long)]
    pub register: bool,

    /// The ingestion pipeline's name in OpenMetadata (with --register)
    /// [default: the DAG id]
    #[arg(long, value_name = "NAME", requires = "register")]
    pub pipeline_name: Option<String>,

    /// Replace an existing file of the same name that omctl did not write
    #[arg(long)]
    pub force: bool,
}

pub fn run(
    command: AirflowCommand,
    plugin_paths: &[PathBuf],
    logging: &Logging,
) -> Result<u8, CliError> {
    match command {
        AirflowCommand::Dag(args) => dag(&args, plugin_paths, logging),
    }
}

/// Seconds between retries, OpenMetadata's default `retryDelay`.
const RETRY_DELAY_SECS: u32 = 300;

/// A calendar day, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Day {
    year: u32,
    month: u32,
    day: u32,
}

impl Day {
    fn parse(flag: &str, text: &str) -> Result<Day, CliError> {
        let bad = || {
            usage(format!(
                "{flag} {text:?} is not a date: expected YYYY-MM-DD"
            ))
        };
        let mut parts = text.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let number = |s: &str| s.parse::<u32>().map_err(|_| bad());
        let day = Day {
            year: number(y)?,
            month: number(m)?,
            day: number(d)?,
        };
        if day.year < 1970 || !(1..=12).contains(&day.month) {
            return Err(bad());
        }
        if day.day == 0 || day.day > days_in_month(day.year, day.month) {
            return Err(usage(format!(
                "{flag} {text:?}: {:04}-{:02} has no day {}",
                day.year, day.month, day.day
            )));
        }
        Ok(day)
    }

    fn today() -> Day {
        let now = omctl_runtime::report::rfc3339(std::time::SystemTime::now());
        Day::parse("today", &now[..10]).expect("rfc3339 starts with YYYY-MM-DD")
    }

    fn rfc3339(self) -> String {
        format!("{self}T00:00:00Z")
    }

    fn python(self) -> String {
        format!(
            "datetime.datetime({}, {}, {}, tzinfo=datetime.timezone.utc)",
            self.year, self.month, self.day
        )
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn usage(message: String) -> CliError {
    CliError::other(exit::CONFIG, message)
}

/// A schedule: the cron expression Airflow and OpenMetadata get, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Schedule(Option<String>);

impl Schedule {
    fn parse(text: &str) -> Result<Schedule, CliError> {
        let text = text.trim();
        let cron = match text.to_ascii_lowercase().as_str() {
            "none" => return Ok(Schedule(None)),
            "hourly" | "@hourly" => "0 * * * *".to_string(),
            "daily" | "@daily" => "0 0 * * *".to_string(),
            "weekly" | "@weekly" => "0 0 * * 0".to_string(),
            _ => {
                check_cron(text).map_err(|reason| {
                    usage(format!(
                        "--schedule {text:?}: {reason} (expected hourly, daily, weekly, none, \
                         or a cron expression such as \"0 3 * * 1-5\")"
                    ))
                })?;
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            }
        };
        Ok(Schedule(Some(cron)))
    }
}

/// The fields of a cron expression: name, lowest and highest value, and the names
/// that may stand for values.
const CRON_FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    ),
    (
        "day of week",
        0,
        7,
        &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    ),
];

/// Checks a five-field cron expression (lists, ranges, steps, month and weekday
/// names, `?` for a day field), so that a typo fails here and not in Airflow.
fn check_cron(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has {}",
            fields.len()
        ));
    }
    for (field, (name, low, high, names)) in fields.iter().zip(CRON_FIELDS) {
        let value = |s: &str| -> Result<u32, String> {
            let upper = s.to_ascii_uppercase();
            let n = match names.iter().position(|n| *n == upper) {
                // Month names count from 1, weekday names from 0 (SUN).
                Some(i) => i as u32 + low,
                None => s
                    .parse::<u32>()
                    .map_err(|_| format!("{name} field {field:?}: {s:?} is not a number"))?,
            };
            if n < low || n > high {
                return Err(format!(
                    "{name} field {field:?}: {n} is outside {low}-{high}"
                ));
            }
            Ok(n)
        };
        for item in field.split(',') {
            let (base, step) = match item.split_once('/') {
                Some((b, s)) => (b, Some(s)),
                None => (item, None),
            };
            if let Some(step) = step {
                match step.parse::<u32>() {
                    Ok(s) if s > 0 => {}
                    _ => return Err(format!("{name} field {field:?}: bad step {step:?}")),
                }
            }
            if base == "*" || (base == "?" && name.starts_with("day")) {
                continue;
            }
            match base.split_once('-') {
                Some((from, to)) => {
                    if value(from)? > value(to)? {
                        return Err(format!("{name} field {field:?}: range {base} is backwards"));
                    }
                }
                None => {
                    value(base)?;
                }
            }
        }
    }
    Ok(())
}

/// Airflow accepts DAG ids of letters, digits, `_`, `.` and `-`, up to 250 long.
fn check_dag_id(id: &str) -> Result<(), CliError> {
    let ok = !id.is_empty()
        && id.len() <= 250
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(usage(format!(
            "--dag-id {id:?}: Airflow takes letters, digits, `_`, `.` and `-` only (at most 250)"
        )))
    }
}

/// `omctl_<serviceName>_<source.type>` with what Airflow does not take as `_`.
fn default_dag_id(service_name: &str, source_type: &str) -> String {
    let raw = format!("omctl_{service_name}_{source_type}");
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(250)
        .collect()
}

/// Everything the DAG file says.
#[derive(Debug, Clone)]
struct DagFile {
    dag_id: String,
    workflow: PathBuf,
    schedule: Schedule,
    start: Day,
    end: Option<Day>,
    retries: u32,
    omctl_path: Option<PathBuf>,
    plugin_paths: Vec<PathBuf>,
    ingestion_pipeline_fqn: Option<String>,
}

/// A Python string literal: a JSON string is one (same escapes), whatever the
/// text holds.
fn py_str(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn py_path(path: &Path) -> String {
    py_str(&path.to_string_lossy())
}

impl DagFile {
    fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{GENERATED_MARKER}");
        let _ = writeln!(
            s,
            "# Running that command again for this DAG id replaces this file."
        );
        let _ = writeln!(
            s,
            "\"\"\"Runs the OpenMetadata workflow {} with omctl.\n",
            self.workflow
                .display()
                .to_string()
                .replace('\\', "/")
                .replace("\"\"\"", "'''")
        );
        s.push_str(
            "The workflow file is read when the task runs; its ${VAR} references are\n\
             expanded from the task's environment. To pass secrets from Airflow\n\
             connections instead, add for example\n\
             \x20   env={\"AWS_SECRET_ACCESS_KEY\": \"{{ conn.aws_glue.password }}\"}\n\
             to the OmctlOperator below.\n\"\"\"\n\n",
        );
        s.push_str("import datetime\n\n");
        s.push_str("try:  # Airflow 3\n    from airflow.sdk import DAG\n");
        s.push_str("except ImportError:  # Airflow 2.x\n    from airflow import DAG\n\n");
        s.push_str("from omctl_airflow import OmctlOperator\n\n");
        s.push_str("with DAG(\n");
        let _ = writeln!(s, "    dag_id={},", py_str(&self.dag_id));
        let _ = writeln!(
            s,
            "    description={},",
            py_str(&format!(
                "OpenMetadata ingestion: {}",
                self.workflow.display()
            ))
        );
        match &self.schedule.0 {
            Some(cron) => {
                let _ = writeln!(s, "    schedule={},  # UTC", py_str(cron));
            }
            None => s.push_str("    schedule=None,  # only when triggered\n"),
        }
        let _ = writeln!(s, "    start_date={},", self.start.python());
        if let Some(end) = self.end {
            let _ = writeln!(s, "    end_date={},", end.python());
        }
        s.push_str("    catchup=False,\n    max_active_runs=1,\n");
        s.push_str("    tags=[\"omctl\", \"openmetadata\"],\n");
        let _ = writeln!(
            s,
            "    default_args={{\"retries\": {}, \"retry_delay\": datetime.timedelta(seconds={RETRY_DELAY_SECS})}},",
            self.retries
        );
        s.push_str(") as dag:\n    OmctlOperator(\n        task_id=\"ingest\",\n");
        let _ = writeln!(s, "        workflow_file={},", py_path(&self.workflow));
        if let Some(omctl) = &self.omctl_path {
            let _ = writeln!(s, "        omctl_path={},", py_path(omctl));
        }
        if !self.plugin_paths.is_empty() {
            let list: Vec<String> = self.plugin_paths.iter().map(|p| py_path(p)).collect();
            let _ = writeln!(s, "        plugin_paths=[{}],", list.join(", "));
        }
        if let Some(fqn) = &self.ingestion_pipeline_fqn {
            let _ = writeln!(s, "        ingestion_pipeline_fqn={},", py_str(fqn));
        }
        s.push_str("    )\n");
        s
    }
}

/// Reads the workflow. Without `need_env`, variables that are not set here (they
/// may be set only on the Airflow workers) are allowed: they are returned, and
/// the file is checked with them empty.
fn read_workflow(
    path: &Path,
    need_env: bool,
    logging: &Logging,
) -> Result<(WorkflowFile, BTreeSet<String>), CliError> {
    let arg = path.to_string_lossy();
    let err = match load_workflow(&arg, logging) {
        Ok(w) => return Ok((w, BTreeSet::new())),
        Err(e) => e,
    };
    if need_env {
        return Err(err);
    }
    let input = ConfigInput::Path(path.to_path_buf());
    let text = read_input(&input)?;
    let unset = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        process_env(name).or_else(|| {
            unset.borrow_mut().insert(name.to_string());
            // The name itself: a plain string where the file expects one (an empty
            // value would read as null).
            Some(name.to_string())
        })
    };
    match WorkflowFile::parse(&text, &input.origin(), lookup) {
        Ok(w) if !unset.borrow().is_empty() => Ok((w, unset.into_inner())),
        // Not (only) a matter of unset variables: the first error is the one to fix.
        _ => Err(err),
    }
}

/// `omctl airflow dag`.
pub fn dag(args: &DagArgs, plugin_paths: &[PathBuf], logging: &Logging) -> Result<u8, CliError> {
    if args.config.as_os_str() == "-" {
        return Err(usage(
            "omctl airflow dag needs a workflow file (-c FILE): the DAG runs it by path".into(),
        ));
    }
    let schedule = Schedule::parse(&args.schedule)?;
    let start = match &args.start_date {
        Some(d) => Day::parse("--start-date", d)?,
        None => Day::today(),
    };
    let end = args
        .end_date
        .as_deref()
        .map(|d| Day::parse("--end-date", d))
        .transpose()?;
    if let Some(end) = end
        && end <= start
    {
        return Err(usage(format!(
            "--end-date {end} is not after the start date {start}"
        )));
    }
    if let Some(id) = &args.dag_id {
        check_dag_id(id)?;
    }
    let retries = args.retries;

    // The folder first: nothing is registered for a DAG that cannot be written.
    let folder = &args.dags_folder;
    match std::fs::metadata(folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(usage(format!(
                "cannot write the DAG: the DAGs folder {} is not a directory",
                folder.display()
            )));
        }
        Err(e) => {
            return Err(usage(format!(
                "cannot write the DAG: the DAGs folder {} cannot be used ({e})",
                folder.display()
            )));
        }
    }

    let (workflow, unset) = read_workflow(&args.config, args.register, logging)?;
    if !unset.is_empty() {
        let names: Vec<&str> = unset.iter().map(String::as_str).collect();
        tracing::warn!(
            "environment variables not set here: {}; they must be set where the Airflow tasks run",
            names.join(", ")
        );
    }
    let workflow_path = std::fs::canonicalize(&args.config).map_err(|e| {
        usage(format!(
            "cannot resolve the workflow file {}: {e}",
            args.config.display()
        ))
    })?;
    let service_name = workflow
        .config
        .source
        .service_name
        .clone()
        .unwrap_or_default();
    let dag_id = args
        .dag_id
        .clone()
        .unwrap_or_else(|| default_dag_id(&service_name, &workflow.source_type()));

    let dag_path = folder.join(format!("{dag_id}.py"));
    check_replaceable(&dag_path, args.force)?;

    let schedule_for_om = PipelineSchedule {
        schedule_interval: schedule.0.clone(),
        start_date: start.rfc3339(),
        end_date: end.map(Day::rfc3339),
        retries,
        retry_delay_secs: RETRY_DELAY_SECS,
    };
    let ingestion_pipeline_fqn = if args.register {
        let name = args.pipeline_name.clone().unwrap_or_else(|| dag_id.clone());
        let fqn = register(
            &workflow,
            &service_name,
            &name,
            schedule_for_om,
            plugin_paths,
        )?;
        // A workflow that names its pipeline reports to it by itself.
        workflow
            .config
            .ingestion_pipeline_fqn
            .is_none()
            .then_some(fqn)
    } else {
        None
    };

    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    let file = DagFile {
        dag_id: dag_id.clone(),
        workflow: workflow_path,
        schedule,
        start,
        end,
        retries,
        omctl_path: args.omctl_path.as_ref().map(absolute),
        plugin_paths: plugin_paths.iter().map(absolute).collect(),
        ingestion_pipeline_fqn,
    };
    write_dag(&dag_path, &file.render()).map_err(|e| {
        let registered = if args.register {
            " (the ingestion pipeline is registered in OpenMetadata; run this command again once the folder is writable)"
        } else {
            ""
        };
        usage(format!("{e}{registered}"))
    })?;
    eprintln!(
        "wrote DAG {dag_id} to {} ({}, from {start}{})",
        dag_path.display(),
        file.schedule
            .0
            .as_deref()
            .map_or("no schedule".to_string(), |c| format!("schedule {c} UTC")),
        end.map_or(String::new(), |e| format!(" until {e}"))
    );
    println!(
        "{}",
        serde_json::json!({
            "dagId": dag_id,
            "dagFile": dag_path.display().to_string(),
            "schedule": file.schedule.0,
            "ingestionPipelineFQN": file.ingestion_pipeline_fqn
                .or_else(|| workflow.config.ingestion_pipeline_fqn.clone()),
        })
    );
    Ok(exit::SUCCESS)
}

/// A file of that name may be replaced when this command wrote it, or with `force`.
fn check_replaceable(path: &Path, force: bool) -> Result<(), CliError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(usage(format!(
                "cannot write the DAG: {} exists and cannot be read ({e})",
                path.display()
            )));
        }
    };
    if force || existing.starts_with(GENERATED_MARKER) {
        return Ok(());
    }
    Err(usage(format!(
        "cannot write the DAG: {} exists and was not written by omctl (choose another --dag-id, or --force to replace it)",
        path.display()
    )))
}

/// Writes the file whole or not at all: Airflow's DAG processor may read the
/// folder at any moment and must never see half a file.
fn write_dag(path: &Path, text: &str) -> Result<(), String> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A dot file: Airflow skips it while it exists.
    let temp = path.with_file_name(format!(".{file_name}.tmp"));
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("cannot write the DAG file {}: {e}", path.display())
        })
}

/// Creates or updates the ingestion pipeline; returns its FQN.
fn register(
    workflow: &WorkflowFile,
    service_name: &str,
    pipeline_name: &str,
    schedule: PipelineSchedule,
    plugin_paths: &[PathBuf],
) -> Result<String, CliError> {
    let SinkPlan::MetadataRest(plan) = SinkPlan::from_workflow(workflow)? else {
        return Err(usage(
            "--register needs a workflow with the metadata-rest sink: its runs are what \
             report to OpenMetadata"
                .into(),
        ));
    };
    if service_name.is_empty() {
        return Err(usage(
            "--register needs source.serviceName in the workflow".into(),
        ));
    }
    let plugins = discover(plugin_paths)?;
    let plugin = plugin_for(workflow, &plugins)?;
    let spec = ingestion_pipeline_spec(workflow, plugin.manifest().service_kind.as_deref())
        .ok_or_else(|| {
            CliError::other(
                exit::PLUGIN,
                format!(
                    "plugin {} does not say which kind of service it ingests (manifest serviceKind), so its pipeline cannot be registered",
                    plugin.name()
                ),
            )
        })?;
    // The workflow's own ingestionPipelineFQN, when it has one, names the pipeline.
    let (service_name, pipeline_name) = match &workflow.config.ingestion_pipeline_fqn {
        Some(fqn) => split_pipeline_fqn(fqn)?,
        None => (service_name.to_string(), pipeline_name.to_string()),
    };
    let source = workflow.source_json();
    let registration = PipelineRegistration {
        display_name: Some(format!("{pipeline_name} (omctl, Airflow)")),
        service_name,
        pipeline_name,
        spec,
        service_type: workflow.connection_type().map(str::to_string),
        service_connection: source
            .get("serviceConnection")
            .filter(|v| !v.is_null())
            .cloned(),
        schedule,
        logger_level: serde_json::to_value(workflow.config.workflow_config.logger_level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
    };
    let server = plan.0;
    let registered = runtime()?.block_on(async {
        let (client, version) = OmClient::connect(server).await?;
        tracing::debug!("OpenMetadata server version {version}");
        ingestion_pipeline::register(&client, &registration).await
    })?;
    eprintln!(
        "{} ingestion pipeline {} in OpenMetadata{}",
        if registered.created {
            "registered"
        } else {
            "updated"
        },
        registered.fqn,
        if registered.service_created {
            " (and created its service)"
        } else {
            ""
        }
    );
    Ok(registered.fqn)
}

fn split_pipeline_fqn(fqn: &str) -> Result<(String, String), CliError> {
    let parts = om_spec::fqn::split(fqn)
        .map_err(|e| usage(format!("ingestionPipelineFQN {fqn:?}: {e}")))?;
    match parts.as_slice() {
        [service, name] => Ok((
            om_spec::fqn::unquote_name(service).to_string(),
            om_spec::fqn::unquote_name(name).to_string(),
        )),
        _ => Err(usage(format!(
            "ingestionPipelineFQN {fqn:?} must be <service>.<pipeline name>"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_schedules_are_openmetadatas_crons() {
        assert_eq!(
            Schedule::parse("hourly").unwrap().0.as_deref(),
            Some("0 * * * *")
        );
        assert_eq!(
            Schedule::parse("Daily").unwrap().0.as_deref(),
            Some("0 0 * * *")
        );
        assert_eq!(
            Schedule::parse("weekly").unwrap().0.as_deref(),
            Some("0 0 * * 0")
        );
        assert_eq!(Schedule::parse("none").unwrap().0, None);
    }

    #[test]
    fn cron_expressions_are_checked() {
        for ok in [
            "*/5 * * * *",
            "0 3 * * 1-5",
            "15,45 8-18/2 1 JAN-MAR sun",
            "0 0 ? * MON",
        ] {
            assert!(Schedule::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Schedule::parse("  */5   *  * * * ").unwrap().0.as_deref(),
            Some("*/5 * * * *")
        );
        let err = |s: &str| Schedule::parse(s).unwrap_err().to_string();
        assert!(err("0 0 * *").contains("has 4"), "{}", err("0 0 * *"));
        assert!(err("61 * * * *").contains("minute field \"61\": 61 is outside 0-59"));
        assert!(err("0 0 * * 1-0").contains("backwards"));
        assert!(err("0 0 * * */0").contains("bad step"));
        assert!(err("0 0 * FOO *").contains("\"FOO\" is not a number"));
        assert_eq!(
            Schedule::parse("monthly").unwrap_err().exit_code(),
            exit::CONFIG
        );
    }

    #[test]
    fn dates_are_checked() {
        let d = Day::parse("--start-date", "2028-02-29").unwrap();
        assert_eq!(d.rfc3339(), "2028-02-29T00:00:00Z");
        assert!(
            Day::parse("--start-date", "2026-02-29")
                .unwrap_err()
                .to_string()
                .contains("has no day 29")
        );
        assert!(
            Day::parse("--end-date", "2026-1-01")
                .unwrap_err()
                .to_string()
                .contains("--end-date")
        );
        assert!(Day::parse("--end-date", "01/02/2026").is_err());
        assert!(Day::parse("x", "2026-13-01").is_err());
        assert_eq!(Day::today().to_string().len(), 10);
    }

    #[test]
    fn dag_ids() {
        assert_eq!(
            default_dag_id("my glue/prod", "glue"),
            "omctl_my_glue_prod_glue"
        );
        assert!(check_dag_id("glue.catalog-1_x").is_ok());
        assert!(check_dag_id("glue catalog").is_err());
        assert!(check_dag_id("").is_err());
    }

    fn dag_file() -> DagFile {
        DagFile {
            dag_id: "omctl_local_glue_glue".into(),
            workflow: PathBuf::from("/etc/omctl/glue \"prod\".yaml"),
            schedule: Schedule(Some("*/5 * * * *".into())),
            start: Day::parse("s", "2026-01-01").unwrap(),
            end: Some(Day::parse("e", "2026-12-31").unwrap()),
            retries: 2,
            omctl_path: Some(PathBuf::from("/opt/omctl/bin/omctl")),
            plugin_paths: vec![PathBuf::from("/opt/omctl/plugins")],
            ingestion_pipeline_fqn: Some("local_glue.omctl_local_glue_glue".into()),
        }
    }

    #[test]
    fn the_dag_runs_the_file_by_path_on_the_schedule() {
        let text = dag_file().render();
        assert!(text.starts_with(GENERATED_MARKER));
        for expected in [
            "dag_id=\"omctl_local_glue_glue\",",
            "schedule=\"*/5 * * * *\",  # UTC",
            "start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),",
            "end_date=datetime.datetime(2026, 12, 31, tzinfo=datetime.timezone.utc),",
            "catchup=False,",
            "\"retries\": 2,",
            "workflow_file=\"/etc/omctl/glue \\\"prod\\\".yaml\",",
            "omctl_path=\"/opt/omctl/bin/omctl\",",
            "plugin_paths=[\"/opt/omctl/plugins\"],",
            "ingestion_pipeline_fqn=\"local_glue.omctl_local_glue_glue\",",
            "from airflow.sdk import DAG",
            "from omctl_airflow import OmctlOperator",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn optional_parts_are_left_out() {
        let mut f = dag_file();
        f.schedule = Schedule(None);
        f.end = None;
        f.omctl_path = None;
        f.plugin_paths.clear();
        f.ingestion_pipeline_fqn = None;
        let text = f.render();
        assert!(text.contains("schedule=None,"));
        for absent in [
            "end_date=",
            "omctl_path=",
            "plugin_paths=",
            "ingestion_pipeline_fqn=",
        ] {
            assert!(!text.contains(absent), "{absent} in:\n{text}");
        }
    }

    #[test]
    fn only_omctls_own_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.py");
        let theirs = dir.path().join("theirs.py");
        std::fs::write(&ours, dag_file().render()).unwrap();
        std::fs::write(&theirs, "from airflow import DAG\n").unwrap();
        assert!(check_replaceable(&ours, false).is_ok());
        assert!(check_replaceable(&dir.path().join("new.py"), false).is_ok());
        let err = check_replaceable(&theirs, false).unwrap_err().to_string();
        assert!(
            err.contains("theirs.py exists and was not written by omctl"),
            "{err}"
        );
        assert!(check_replaceable(&theirs, true).is_ok());
    }

    #[test]
    fn writing_names_the_path_that_failed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("dag.py");
        let err = write_dag(&path, "x").unwrap_err();
        assert!(err.contains(&path.display().to_string()), "{err}");
        let ok = dir.path().join("dag.py");
        write_dag(&ok, "text").unwrap();
        assert_eq!(std::fs::read_to_string(&ok).unwrap(), "text");
        assert!(!dir.path().join(".dag.py.tmp").exists());
    }
}

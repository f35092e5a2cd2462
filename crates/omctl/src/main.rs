//! `omctl`: runs OpenMetadata ingestion workflows with connector plugins.
//!
//! Output conventions: everything meant for people (logs, progress, the summary
//! table, errors) goes to stderr. stdout carries what a program reads: for `run`
//! and `test-connection` the last line is a compact one-line JSON summary
//! (Airflow's `BashOperator` pushes the last stdout line to XCom); `schema`,
//! `plugins` and `validate` print their result there. Exit codes: see [`exit`].

mod commands;
mod describe;
mod exit;
mod logging;
mod progress;
mod sinks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Run OpenMetadata ingestion workflows with connector plugins";

const MAIN_HELP: &str = "\
Examples:
  omctl run -c glue.yaml                    run a workflow
  omctl run -c glue.yaml --dry-run          read the source, write nothing
  OM_JWT=... omctl run -c - < glue.yaml     read the workflow from stdin
  omctl test-connection -c glue.yaml        check access to the source
  omctl validate -c glue.yaml               check the file, no network
  omctl plugins list                        the connector plugins found
  omctl schema > workflow.schema.json       JSON Schema for editors
  omctl airflow dag -c glue.yaml --dags-folder dags   a DAG that runs it daily

Exit codes: 0 success, 1 workflow failed (below successThreshold), 2 configuration
or usage error, 3 connection or authentication failure, 4 plugin error, 5 internal
error, 130 interrupted.

Plugins are looked up in: --plugin PATH, the directories of OMCTL_PLUGIN_PATH,
plugins/ next to the omctl binary, and the cargo target directory omctl runs from.";

const RUN_HELP: &str = "\
Examples:
  omctl run -c glue.yaml
  omctl run -c glue.yaml --report run-report.json
  omctl run -c glue.yaml --dry-run --debug
  omctl run -c glue.yaml --plugin ./target/release/libglue_database.so
  AWS_SECRET_ACCESS_KEY=... omctl run -c glue.yaml
    (secrets from the environment: the file says
     awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY})

The summary table goes to stderr; the last line of stdout is a one-line JSON
summary. With --dry-run the file sink prints the records it would write on
stdout (before the summary line) and the metadata-rest sink only reads from the
server, listing the deletions it would make.";

const TEST_CONNECTION_HELP: &str = "\
Examples:
  omctl test-connection -c glue.yaml
  omctl test-connection -c gluepipeline.yaml --debug

Prints each check the connector runs (such as GetDatabases, GetTables) with its
result. Exits 0 when every mandatory check passed, 3 when one failed.";

const VALIDATE_HELP: &str = "\
Examples:
  omctl validate -c glue.yaml
  cat glue.yaml | omctl validate -c -

Checks the file against OpenMetadata's schema (unknown keys, types, required
fields), expands environment variables, checks that a plugin serves source.type
and that the sink settings are usable. Makes no network call.";

const PLUGINS_LIST_HELP: &str = "\
Examples:
  omctl plugins list
  omctl plugins list --json
  OMCTL_PLUGIN_PATH=/opt/omctl/plugins omctl plugins list";

const PLUGINS_DESCRIBE_HELP: &str = "\
Examples:
  omctl plugins describe glue                  by source type
  omctl plugins describe glue-database         by plugin name
  omctl plugins describe glue --format markdown > docs/glue-connection.md";

const SCHEMA_HELP: &str = "\
Examples:
  omctl schema > workflow.schema.json
  # VS Code (YAML extension), settings.json:
  #   \"yaml.schemas\": {\"./workflow.schema.json\": \"workflows/*.yaml\"}";

#[derive(Parser)]
#[command(name = "omctl", version, about = ABOUT, after_help = MAIN_HELP, propagate_version = true)]
struct Cli {
    /// Log at debug level, plugins included (overrides workflowConfig.loggerLevel;
    /// RUST_LOG, when set, wins over both)
    #[arg(long, global = true)]
    debug: bool,

    /// A plugin library, or a directory of them, to use before any other
    /// (repeatable)
    #[arg(long = "plugin", value_name = "PATH", global = true)]
    plugins: Vec<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workflow: read the source with its plugin, write to the sink
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Run the connector's connection checks and print each result
    #[command(after_help = TEST_CONNECTION_HELP)]
    TestConnection(ConfigArg),
    /// Check a workflow file without running it (no network)
    #[command(after_help = VALIDATE_HELP)]
    Validate(ConfigArg),
    /// List or describe the connector plugins found
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Print the JSON Schema of the workflow file, for editors
    #[command(after_help = SCHEMA_HELP)]
    Schema,
    /// Schedule workflows in Apache Airflow
    Airflow {
        #[command(subcommand)]
        command: commands::airflow::AirflowCommand,
    },
}

#[derive(Args)]
struct ConfigArg {
    /// The workflow file (YAML or JSON); `-` reads stdin
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: String,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    config: ConfigArg,

    /// Read the source and show what the sink would do, without writing
    #[arg(long)]
    dry_run: bool,

    /// Write the full report of the run as JSON to FILE
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// Name, version, interface version, source types and file of each plugin
    #[command(after_help = PLUGINS_LIST_HELP)]
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// A plugin's manifest and the fields of its connection config
    #[command(after_help = PLUGINS_DESCRIBE_HELP)]
    Describe {
        /// Plugin name or a source type it serves
        name: String,
        /// What to print
        #[arg(long, value_enum, default_value_t = DescribeFormat::Both)]
        format: DescribeFormat,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DescribeFormat {
    /// The Markdown table of fields, then the JSON Schema
    Both,
    /// Only the JSON Schema of the connection config
    Json,
    /// Only the Markdown table of fields
    Markdown,
}

fn dispatch(cli: Cli, logging: &logging::Logging) -> Result<u8, exit::CliError> {
    match cli.command {
        Command::Run(args) => commands::run::run(
            &args.config.config,
            args.dry_run,
            args.report.as_deref(),
            &cli.plugins,
            logging,
        ),
        Command::TestConnection(args) => {
            commands::test_connection::run(&args.config, &cli.plugins, logging)
        }
        Command::Validate(args) => commands::validate::run(&args.config, &cli.plugins, logging),
        Command::Plugins { command } => match command {
            PluginsCommand::List { json } => commands::plugins::list(&cli.plugins, json),
            PluginsCommand::Describe { name, format } => commands::plugins::describe(
                &cli.plugins,
                &name,
                format != DescribeFormat::Markdown,
                format != DescribeFormat::Json,
            ),
        },
        Command::Schema => commands::schema::run(),
        Command::Airflow { command } => commands::airflow::run(command, &cli.plugins, logging),
    }
}

fn main() -> ExitCode {
    // clap prints --help/--version and exits 0, or a usage error and exits 2.
    let cli = Cli::parse();
    let logging = logging::Logging::init(cli.debug);
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli, &logging)));
    logging::clear_bar();
    let code = match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
        Err(_) => {
            eprintln!(
                "error: omctl failed unexpectedly (a bug: please report it with the output of --debug)"
            );
            exit::INTERNAL
        }
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_examples_in_its_help() {
        let mut cmd = Cli::command();
        for sub in cmd.get_subcommands_mut() {
            let leaves: Vec<clap::Command> = if sub.has_subcommands() {
                sub.get_subcommands().cloned().collect()
            } else {
                vec![sub.clone()]
            };
            for mut leaf in leaves {
                let help = leaf.render_long_help().to_string();
                assert!(
                    help.contains("Examples:"),
                    "{} has no examples:\n{help}",
                    leaf.get_name()
                );
            }
        }
    }
}

//! Project tasks that are code rather than shell (matklad's xtask pattern).
//!
//! `cargo xtask <task>`; run `cargo xtask help` for the list.

mod bench;
mod codegen;
mod demo;
mod spec_check;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <task>

tasks:
  codegen [--check]   generate crates/om-spec/src/generated from spec/ (--check: fail if stale)
  spec-check [REF]    check spec/ against the OpenMetadata facts file
                      (default ../shared/reference/om-2.0.6-models.json and -dbt.json)
  demo                run the Glue workflows of examples/workflows/ against local
                      Glue and OpenMetadata emulators and show the result
  bench [NAME...]     performance figures (release builds): types, plugin, sink,
                      glue, pipeline; all when no name is given
  test [ARGS]         the whole test suite: builds the plugins, installs moto's Glue
                      server into target/tools/, runs `cargo test --workspace [ARGS]`
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((t, rest)) => (t.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "codegen" => codegen::run(&project_root(), rest.iter().any(|a| a == "--check")),
        "spec-check" => spec_check::run(&project_root(), rest),
        "test" => test::run(&project_root(), rest),
        "demo" => demo::run(&project_root(), rest),
        "bench" => bench::run(&project_root(), rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of xtask/).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

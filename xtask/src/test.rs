//! `cargo xtask test`: the whole test suite, as CI and the README run it.
//!
//! The end-to-end tests load the real plugin libraries, and the moto test talks to
//! a real second Glue implementation, so this task prepares both before it runs
//! `cargo test`: it builds every cdylib of the workspace and installs moto's server
//! into a virtualenv under `target/tools/` (once; later runs reuse it). Then it runs
//! the Airflow integration's tests: its pytest unit tests and a real Airflow run of
//! the example DAGs against omctl and the emulators (Airflow is installed into
//! `target/tools/airflow-venv` once).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The moto version the tests were written against; pinned so that a new release
/// cannot change what the emulator answers under us.
const MOTO: &str = "moto[server]==5.2.5";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let moto_server = ensure_moto(root)?;

    // Plugins first: `cargo test` does not build cdylib outputs of dependencies.
    cargo(root, &["build", "--workspace", "--lib", "--bins"], &[])?;

    let mut test_args = vec!["test", "--workspace"];
    test_args.extend(args.iter().map(String::as_str));
    cargo(
        root,
        &test_args,
        &[("OMCTL_MOTO_SERVER", moto_server.to_string_lossy().as_ref())],
    )?;

    // Only the whole suite runs the Airflow tests: arguments narrow `cargo test`.
    if args.is_empty() {
        let script = root.join("integrations/airflow/tests/run_airflow_e2e.sh");
        eprintln!("xtask: {}", script.display());
        run_cmd(Command::new("bash").arg(&script).current_dir(root))?;
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .envs(envs.iter().copied())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// Returns the path of `moto_server`, installing it into `target/tools/moto` when
/// it is not there yet.
fn ensure_moto(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target/tools/moto");
    let server = venv.join("bin/moto_server");
    let stamp = venv.join("installed.txt");
    if server.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(MOTO) {
        return Ok(server);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!("xtask: installing {MOTO} into {}", venv.display());
    run_cmd(Command::new(&python).args(["-m", "venv"]).arg(&venv))?;
    run_cmd(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(MOTO),
    )?;
    std::fs::write(&stamp, MOTO).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(server)
}

fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

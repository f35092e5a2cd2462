//! Runs the OpenMetadata emulator as a process, for scripts that test omctl from
//! outside Rust (the Airflow end-to-end test) and for manual runs.
//!
//! ```text
//! om-mock [--state FILE] [--seed FILE] [--version X.Y.Z] [--token TOKEN]
//! ```
//!
//! `--seed FILE` (repeatable) loads what the server holds before anything runs:
//! a JSON object of collection -> list of create requests, in order (see
//! [`OmMock::seed_json`]).
//!
//! Prints the `hostPort` to configure (`http://127.0.0.1:PORT/api`) on the first
//! line of standard output, then serves until its standard input closes, or it
//! gets SIGTERM or SIGINT. On the way out it writes the server's state (the
//! [`OmMock::snapshot`] JSON) to `--state FILE`, or to standard output without
//! it, so the caller can check what arrived.
//!
//! Standard input is watched so that the emulator never outlives a caller that
//! died without stopping it: the caller keeps a pipe open to it.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use om_mock::{MockSettings, OmMock};

struct Args {
    state: Option<PathBuf>,
    seeds: Vec<PathBuf>,
    settings: MockSettings,
}

fn usage() -> &'static str {
    "usage: om-mock [--state FILE] [--seed FILE]... [--version X.Y.Z] [--token TOKEN]"
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        state: None,
        seeds: Vec::new(),
        settings: MockSettings::default(),
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--state" => parsed.state = Some(PathBuf::from(value()?)),
            "--seed" => parsed.seeds.push(PathBuf::from(value()?)),
            "--version" => parsed.settings.version = value()?,
            "--token" => parsed.settings.require_token = Some(value()?),
            "-h" | "--help" => return Err(usage().to_string()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(parsed)
}

/// Resolves when standard input reaches its end (or cannot be read).
async fn stdin_closed() {
    // A plain thread, not `spawn_blocking`: the runtime waits for its blocking
    // tasks when it shuts down, and this read may never return.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut scratch = [0u8; 256];
        while matches!(stdin.read(&mut scratch), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}

#[cfg(unix)]
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        // Without a handler SIGTERM still ends the process, only without the state.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending().await
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mock = OmMock::start_with(args.settings).await;
    for seed in &args.seeds {
        if let Err(e) = mock.seed_file(seed) {
            eprintln!("om-mock: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("{}", mock.url());

    tokio::select! {
        _ = stdin_closed() => {}
        _ = terminated() => {}
        _ = tokio::signal::ctrl_c() => {}
    }

    let state = match serde_json::to_string_pretty(&mock.snapshot()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("om-mock: cannot serialize the state: {e}");
            return ExitCode::FAILURE;
        }
    };
    match &args.state {
        Some(path) => {
            if let Err(e) = std::fs::write(path, state + "\n") {
                eprintln!("om-mock: cannot write the state to {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => println!("{state}"),
    }
    eprintln!("om-mock: served {} requests", mock.received());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn state_file_and_settings() {
        let a = args(&[
            "--state",
            "/tmp/s.json",
            "--seed",
            "a.json",
            "--seed",
            "b.json",
            "--version",
            "1.9.0",
            "--token",
            "t",
        ])
        .unwrap();
        assert_eq!(a.state, Some(PathBuf::from("/tmp/s.json")));
        assert_eq!(a.seeds, [PathBuf::from("a.json"), PathBuf::from("b.json")]);
        assert_eq!(a.settings.version, "1.9.0");
        assert_eq!(a.settings.require_token.as_deref(), Some("t"));
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert!(
            args(&["--state"])
                .err()
                .unwrap()
                .contains("--state needs a value")
        );
        assert!(
            args(&["--port", "1"])
                .err()
                .unwrap()
                .contains("unknown argument --port")
        );
    }
}

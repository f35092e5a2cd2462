//! Runs the Glue emulator until Ctrl-C, for the demo and manual runs.
//!
//! ```text
//! glue-mock [--catalog FILE | --synthetic DATABASES:TABLES] [--latency-ms N] [--port N]
//! ```
//!
//! Without `--catalog` or `--synthetic` it serves the bundled sample catalog. It
//! prints the endpoint URL on the first line of standard output.

use std::process::ExitCode;
use std::time::Duration;

use glue_mock::{Backend, Catalog, GlueMock, Synthetic};

struct Args {
    backend: Backend,
    latency: Duration,
}

fn usage() -> String {
    "usage: glue-mock [--catalog FILE | --synthetic DATABASES:TABLES] [--latency-ms N]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut backend: Backend = Catalog::sample().into();
    let mut latency = Duration::ZERO;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--catalog" => {
                let path = value()?;
                backend = Catalog::from_file(&path).map_err(|e| e.to_string())?.into();
            }
            "--synthetic" => {
                let v = value()?;
                let (d, t) = v
                    .split_once(':')
                    .and_then(|(d, t)| Some((d.parse().ok()?, t.parse().ok()?)))
                    .ok_or_else(|| format!("--synthetic expects DATABASES:TABLES, got {v}"))?;
                backend = Synthetic::new(d, t).into();
            }
            "--latency-ms" => {
                let v = value()?;
                latency = Duration::from_millis(
                    v.parse()
                        .map_err(|_| format!("--latency-ms expects a number, got {v}"))?,
                );
            }
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(Args { backend, latency })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mock = GlueMock::builder(args.backend)
        .latency(args.latency)
        .log_requests(false)
        .start()
        .await;
    println!("{}", mock.url());
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("cannot listen for Ctrl-C");
        return ExitCode::FAILURE;
    }
    eprintln!("served {} requests", mock.total_requests());
    ExitCode::SUCCESS
}

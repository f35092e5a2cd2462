//! The omctl host runtime: reads workflow files, loads connector plugins, runs a
//! source into a sink and reports what happened.
//!
//! * [`config`]: workflow file loading (variables, deprecated keys, errors with
//!   file, line and YAML path);
//! * [`plugin`]: finding, loading and calling connector plugins;
//! * [`workflow`]: running a source into a sink;
//! * [`host`]: what a running plugin can call back (logs, progress, stop);
//! * [`report`]: counters, status, `--report` JSON and the summary table;
//! * [`sinks`]: the `file` sink.
//!
//! Errors are typed; the `omctl` binary turns them into messages and exit codes.

pub mod config;
pub mod host;
pub mod plugin;
pub mod report;
pub mod sinks;
pub mod workflow;

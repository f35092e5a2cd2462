//! `cargo xtask demo`: the main job on an embedded default.
//!
//! Builds omctl, the Glue connector plugins and the demo driver
//! (`crates/omctl-demo`), then runs the driver, which starts the local Glue and
//! OpenMetadata emulators, runs `examples/workflows/` through omctl and shows the
//! result. The driver is its own package so that xtask does not depend on the
//! generated code it regenerates.

use std::path::Path;
use std::process::Command;

/// The packages the demo needs built. A plugin that does not exist yet is skipped.
const PACKAGES: &[&str] = &["omctl", "omctl-demo", "glue-database", "glue-pipeline"];

pub fn run(root: &Path, _args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(&cargo);
    build.arg("build").current_dir(root);
    for p in PACKAGES {
        build.args(["-p", p]);
    }
    eprintln!("xtask: building {}", PACKAGES.join(", "));
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("build failed ({status})"));
    }
    let demo = root.join("target/debug/omctl-demo");
    let status = Command::new(&demo)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", demo.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the demo failed ({status})"))
    }
}

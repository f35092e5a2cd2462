//! Where the plugin libraries the tests load are, building the fixtures on first
//! use. Other test crates can include this file with `#[path]`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("Cargo.lock").is_file() && p.join("crates").is_dir())
        .expect("the test runs inside the omctl repository")
        .to_owned()
}

/// The cargo profile directory this test binary was built into
/// (`target/debug` for `target/debug/deps/plugins-1234`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().expect("the test binary is in a directory");
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("deps" | "examples") => dir.parent().expect("deps/ has a parent").to_owned(),
        _ => dir.to_owned(),
    }
}

/// File name of the library of a crate (`libcatalog_connector.so` on Linux).
pub fn library_name(crate_name: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        crate_name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// The example plugin built by `cargo build -p catalog-connector`. Fails, never
/// skips, when it is missing: `cargo test` does not build cdylibs of other
/// packages, and a test that passes without its plugin proves nothing.
pub fn example_plugin() -> PathBuf {
    let path = profile_dir().join(library_name("catalog-connector"));
    assert!(
        path.is_file(),
        "{} is missing: build the plugins first with `cargo build -p catalog-connector` \
         (or run `cargo xtask test`, which builds every plugin)",
        path.display()
    );
    path
}

/// The directory with the fixture plugins of
/// `crates/connector-abi/tests/fixtures`, built on first use into
/// `target/plugin-fixtures` (its own target directory: the main one is locked by
/// the `cargo test` running us).
pub fn fixtures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace_root();
        let target = profile_dir()
            .parent()
            .expect("the profile directory is in a target directory")
            .join("plugin-fixtures");
        let manifest = root.join("crates/connector-abi/tests/fixtures/Cargo.toml");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(&cargo)
            .arg("build")
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
        assert!(
            output.status.success(),
            "building the plugin fixtures failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        target.join("debug")
    })
}

/// One fixture library by crate name (`fixture-scripted`).
pub fn fixture(crate_name: &str) -> PathBuf {
    let path = fixtures_dir().join(library_name(crate_name));
    assert!(path.is_file(), "fixture {} was not built", path.display());
    path
}

//! Where plugins are looked for.

use std::path::{Path, PathBuf};

/// The environment variable with plugin directories, separated as `PATH` is.
pub const PLUGIN_PATH_ENV: &str = "OMCTL_PLUGIN_PATH";

/// The places to look for plugins, in order of precedence:
///
/// 1. `explicit`: each `--plugin PATH`, a library file or a directory;
/// 2. `env_dirs`: the directories of `OMCTL_PLUGIN_PATH`;
/// 3. `plugins/` next to the running binary;
/// 4. in development, the cargo target directory the binary runs from
///    (`target/debug` for `target/debug/omctl` and for test binaries in
///    `target/debug/deps`).
///
/// A plugin found in an earlier place hides one of a later place that serves the
/// same source type; within one place, two plugins for one source type are an
/// error.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub explicit: Vec<PathBuf>,
    pub env_dirs: Vec<PathBuf>,
    /// The running binary, for `plugins/` and the development target directory.
    pub exe: Option<PathBuf>,
}

/// One place to look, as [`Discovery::tiers`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tier {
    pub name: &'static str,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A file given explicitly: it must be a plugin.
    File(PathBuf),
    /// A directory given explicitly: it must exist.
    Dir(PathBuf),
    /// A directory that may be absent.
    OptionalDir(PathBuf),
}

impl Discovery {
    /// Discovery as the CLI does it: the `--plugin` paths, `OMCTL_PLUGIN_PATH`
    /// and the running binary.
    pub fn from_env(explicit: Vec<PathBuf>) -> Discovery {
        Discovery {
            explicit,
            env_dirs: std::env::var_os(PLUGIN_PATH_ENV)
                .map(|v| split_path_list(&v))
                .unwrap_or_default(),
            exe: std::env::current_exe().ok(),
        }
    }

    /// Only the given paths (files or directories), nothing from the
    /// environment.
    pub fn only(paths: impl IntoIterator<Item = PathBuf>) -> Discovery {
        Discovery {
            explicit: paths.into_iter().collect(),
            ..Discovery::default()
        }
    }

    pub(crate) fn tiers(&self) -> Vec<Tier> {
        let mut tiers = Vec::new();
        tiers.push(Tier {
            name: "--plugin",
            entries: self
                .explicit
                .iter()
                .map(|p| {
                    if p.is_dir() {
                        Entry::Dir(p.clone())
                    } else {
                        Entry::File(p.clone())
                    }
                })
                .collect(),
        });
        tiers.push(Tier {
            name: PLUGIN_PATH_ENV,
            entries: self
                .env_dirs
                .iter()
                .cloned()
                .map(Entry::OptionalDir)
                .collect(),
        });
        if let Some(exe_dir) = self.exe.as_deref().and_then(Path::parent) {
            tiers.push(Tier {
                name: "plugins/ next to the binary",
                entries: vec![Entry::OptionalDir(exe_dir.join("plugins"))],
            });
            if let Some(dev) = cargo_profile_dir(exe_dir) {
                tiers.push(Tier {
                    name: "cargo target directory",
                    entries: vec![Entry::OptionalDir(dev)],
                });
            }
        }
        tiers
    }
}

/// Splits an `OMCTL_PLUGIN_PATH` value; empty parts are ignored.
fn split_path_list(value: &std::ffi::OsStr) -> Vec<PathBuf> {
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

/// The cargo profile directory (`target/debug`) a binary runs from, if it does:
/// the binary's directory, or its parent for `deps/` and `examples/`. Cargo
/// marks profile directories with a `.fingerprint` directory.
fn cargo_profile_dir(exe_dir: &Path) -> Option<PathBuf> {
    let candidate = match exe_dir.file_name().and_then(|n| n.to_str()) {
        Some("deps" | "examples") => exe_dir.parent()?,
        _ => exe_dir,
    };
    candidate
        .join(".fingerprint")
        .is_dir()
        .then(|| candidate.to_owned())
}

/// Whether a file name looks like a shared library a plugin could be:
/// `lib*.so` on Linux and other Unixes, `lib*.dylib` on macOS, `*.dll` on
/// Windows.
pub fn is_library_file(name: &str) -> bool {
    let suffix = std::env::consts::DLL_SUFFIX;
    let prefix = std::env::consts::DLL_PREFIX;
    name.len() > prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix)
}

/// The library files of a directory, sorted by name so that loading order (and
/// therefore messages) is stable.
pub(crate) fn library_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_file = entry
            .file_type()
            .map(|t| t.is_file() || t.is_symlink())
            .unwrap_or(false);
        if is_file && name.to_str().is_some_and(is_library_file) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_file_names() {
        if cfg!(target_os = "linux") {
            assert!(is_library_file("libglue_database.so"));
            assert!(!is_library_file("glue_database.so"));
            assert!(!is_library_file("libglue_database.rlib"));
            assert!(!is_library_file("libm.so.6"));
            assert!(!is_library_file("lib.so"));
        }
    }

    #[test]
    fn profile_dir_of_binaries_and_test_binaries() {
        let root = tempfile::tempdir().unwrap();
        let debug = root.path().join("target/debug");
        std::fs::create_dir_all(debug.join(".fingerprint")).unwrap();
        std::fs::create_dir_all(debug.join("deps")).unwrap();
        assert_eq!(cargo_profile_dir(&debug), Some(debug.clone()));
        assert_eq!(cargo_profile_dir(&debug.join("deps")), Some(debug.clone()));
        assert_eq!(cargo_profile_dir(root.path()), None);
    }

    #[test]
    fn tiers_in_order_of_precedence() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let d = Discovery {
            explicit: vec![root.path().join("libx.so"), bin.clone()],
            env_dirs: split_path_list(&std::env::join_paths(["/a", "", "/b"]).unwrap()),
            exe: Some(bin.join("omctl")),
        };
        let tiers = d.tiers();
        assert_eq!(
            tiers.iter().map(|t| t.name).collect::<Vec<_>>(),
            ["--plugin", PLUGIN_PATH_ENV, "plugins/ next to the binary"]
        );
        assert_eq!(
            tiers[0].entries,
            [
                Entry::File(root.path().join("libx.so")),
                Entry::Dir(bin.clone())
            ]
        );
        assert_eq!(
            tiers[1].entries,
            [
                Entry::OptionalDir("/a".into()),
                Entry::OptionalDir("/b".into())
            ]
        );
        assert_eq!(tiers[2].entries, [Entry::OptionalDir(bin.join("plugins"))]);
    }
}

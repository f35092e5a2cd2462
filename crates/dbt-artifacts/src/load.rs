//! Loading a project's artifacts together: the manifest is required, the rest is
//! optional and its absence a warning that says what will be missing.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::error::{ArtifactKind, Error, Parsed, Warning};
use crate::manifest::Manifest;
use crate::run_results::{RunResults, SourceFreshness};

/// Where each artifact is. `None`/empty means the caller has none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactPaths {
    pub manifest: PathBuf,
    pub catalog: Option<PathBuf>,
    /// Several files are allowed (one per `dbt build`/`dbt test` run kept).
    pub run_results: Vec<PathBuf>,
    pub sources: Option<PathBuf>,
}

impl ArtifactPaths {
    /// The files of a dbt `target/` directory: `manifest.json`, `catalog.json`,
    /// `sources.json`, and every `*.json` whose name contains `run_results`
    /// (`run_results.json` first, then by name). The manifest is named even when
    /// absent, so that loading reports it.
    pub fn in_dir(dir: impl AsRef<Path>) -> Result<ArtifactPaths, Error> {
        let dir = dir.as_ref();
        let listing = std::fs::read_dir(dir).map_err(|source| Error::ListDir {
            dir: dir.display().to_string(),
            source,
        })?;
        let mut run_results = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|source| Error::ListDir {
                dir: dir.display().to_string(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let lower = name.to_ascii_lowercase();
            if lower.contains("run_results") && lower.ends_with(".json") {
                run_results.push(entry.path());
            }
        }
        run_results.sort_by_key(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase());
            (name.as_deref() != Some("run_results.json"), p.clone())
        });
        let optional = |kind: ArtifactKind| Some(dir.join(kind.file_name()));
        Ok(ArtifactPaths {
            manifest: dir.join(ArtifactKind::Manifest.file_name()),
            catalog: optional(ArtifactKind::Catalog),
            run_results,
            sources: optional(ArtifactKind::Sources),
        })
    }
}

/// A directory to look in, or the files themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactLocation {
    Dir(PathBuf),
    Files(ArtifactPaths),
}

impl From<&Path> for ArtifactLocation {
    fn from(dir: &Path) -> Self {
        ArtifactLocation::Dir(dir.to_path_buf())
    }
}

impl From<PathBuf> for ArtifactLocation {
    fn from(dir: PathBuf) -> Self {
        ArtifactLocation::Dir(dir)
    }
}

impl From<&str> for ArtifactLocation {
    fn from(dir: &str) -> Self {
        ArtifactLocation::Dir(PathBuf::from(dir))
    }
}

impl From<ArtifactPaths> for ArtifactLocation {
    fn from(paths: ArtifactPaths) -> Self {
        ArtifactLocation::Files(paths)
    }
}

/// One project's artifacts.
#[derive(Debug)]
pub struct Artifacts {
    pub manifest: Manifest,
    pub catalog: Option<Catalog>,
    pub run_results: Vec<RunResults>,
    pub sources: Option<SourceFreshness>,
    /// From every file read, and one per optional artifact that is absent or
    /// unusable (saying what the run will lack).
    pub warnings: Vec<Warning>,
}

impl Artifacts {
    /// Reads the manifest (an error if it is missing, unreadable or malformed) and
    /// whichever optional artifacts there are. An optional artifact that is absent
    /// is a [`Warning::ArtifactMissing`]; one that cannot be read or parsed is a
    /// [`Warning::ArtifactUnusable`] carrying the error, and the load goes on.
    pub fn load(location: impl Into<ArtifactLocation>) -> Result<Artifacts, Error> {
        let paths = match location.into() {
            ArtifactLocation::Dir(dir) => ArtifactPaths::in_dir(&dir).map_err(|e| match e {
                // A missing directory reads better as the manifest it should hold.
                Error::ListDir { source, .. } if source.kind() == ErrorKind::NotFound => {
                    Error::Read {
                        kind: ArtifactKind::Manifest,
                        file: dir
                            .join(ArtifactKind::Manifest.file_name())
                            .display()
                            .to_string(),
                        source,
                    }
                }
                other => other,
            })?,
            ArtifactLocation::Files(paths) => paths,
        };
        let Parsed {
            artifact: manifest,
            mut warnings,
        } = Manifest::from_path(&paths.manifest)?;

        let catalog = optional(
            ArtifactKind::Catalog,
            paths.catalog.as_deref(),
            &paths.manifest,
            &mut warnings,
            |p| Catalog::from_path(p),
        );
        let mut run_results = Vec::new();
        if paths.run_results.is_empty() {
            optional::<RunResults>(
                ArtifactKind::RunResults,
                None,
                &paths.manifest,
                &mut warnings,
                |p| RunResults::from_path(p),
            );
        }
        for path in &paths.run_results {
            run_results.extend(optional(
                ArtifactKind::RunResults,
                Some(path),
                &paths.manifest,
                &mut warnings,
                |p| RunResults::from_path(p),
            ));
        }
        let sources = optional(
            ArtifactKind::Sources,
            paths.sources.as_deref(),
            &paths.manifest,
            &mut warnings,
            |p| SourceFreshness::from_path(p),
        );
        Ok(Artifacts {
            manifest,
            catalog,
            run_results,
            sources,
            warnings,
        })
    }
}

/// Reads an optional artifact, turning its absence or failure into a warning.
fn optional<T>(
    kind: ArtifactKind,
    path: Option<&Path>,
    manifest: &Path,
    warnings: &mut Vec<Warning>,
    read: impl Fn(&Path) -> Result<Parsed<T>, Error>,
) -> Option<T> {
    let Some(path) = path else {
        // Not configured: name where dbt would have put it.
        let beside = manifest
            .parent()
            .unwrap_or(Path::new(""))
            .join(kind.file_name());
        warnings.push(Warning::ArtifactMissing {
            kind,
            file: beside.display().to_string(),
        });
        return None;
    };
    match read(path) {
        Ok(parsed) => {
            warnings.extend(parsed.warnings);
            Some(parsed.artifact)
        }
        Err(Error::Read { source, .. }) if source.kind() == ErrorKind::NotFound => {
            warnings.push(Warning::ArtifactMissing {
                kind,
                file: path.display().to_string(),
            });
            None
        }
        Err(error) => {
            warnings.push(Warning::ArtifactUnusable { kind, error });
            None
        }
    }
}

//! The plugins found for a run, by source type.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::discovery::{Discovery, Entry, library_files};
use super::{Plugin, PluginError};

/// How much a [`Diagnostic`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiagnosticLevel {
    /// Worth a line with `--debug`: a plugin hidden by one found earlier.
    Info,
    /// A library that was found but not loaded.
    Warning,
}

/// Something discovery noticed that did not stop it.
#[derive(Debug)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// The file (or directory) it is about.
    pub path: PathBuf,
    pub message: String,
    /// The load error, for skipped libraries.
    pub error: Option<PluginError>,
}

/// The loaded plugins and what was skipped.
#[derive(Debug, Default)]
pub struct PluginSet {
    plugins: Vec<Plugin>,
    /// Lower-cased source type -> index in `plugins`.
    by_type: HashMap<String, usize>,
    diagnostics: Vec<Diagnostic>,
}

impl PluginSet {
    /// Finds and loads every plugin [`Discovery`] points at.
    ///
    /// Errors: a `--plugin` file that is missing or is not a loadable plugin, a
    /// `--plugin` directory that cannot be listed, and two plugins serving the
    /// same source type in one place. Libraries found by scanning directories
    /// that fail to load are skipped and listed in [`PluginSet::diagnostics`].
    pub fn discover(discovery: &Discovery) -> Result<PluginSet, PluginError> {
        let mut set = PluginSet::default();
        let mut seen = HashSet::new();
        // Lower-cased source type -> (tier, file) of the plugin serving it.
        let mut claimed: HashMap<String, (usize, PathBuf)> = HashMap::new();

        for (tier_index, tier) in discovery.tiers().iter().enumerate() {
            for entry in &tier.entries {
                let (files, strict) = match entry {
                    Entry::File(path) => {
                        if !path.exists() {
                            return Err(PluginError::NotFound { path: path.clone() });
                        }
                        (vec![path.clone()], true)
                    }
                    Entry::Dir(dir) => {
                        let files = library_files(dir).map_err(|source| PluginError::ListDir {
                            dir: dir.clone(),
                            source,
                        })?;
                        (files, false)
                    }
                    Entry::OptionalDir(dir) => {
                        if !dir.is_dir() {
                            continue;
                        }
                        match library_files(dir) {
                            Ok(files) => (files, false),
                            Err(e) => {
                                set.diagnostics.push(Diagnostic {
                                    level: DiagnosticLevel::Warning,
                                    path: dir.clone(),
                                    message: format!(
                                        "cannot list plugin directory ({}): {e}",
                                        tier.name
                                    ),
                                    error: None,
                                });
                                continue;
                            }
                        }
                    }
                };

                for file in files {
                    let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
                    if !seen.insert(canonical) {
                        continue;
                    }
                    let plugin = match Plugin::load(&file) {
                        Ok(p) => p,
                        Err(e) if strict => return Err(e),
                        Err(e) => {
                            set.diagnostics.push(Diagnostic {
                                level: DiagnosticLevel::Warning,
                                path: file.clone(),
                                message: format!("skipped: {e}"),
                                error: Some(e),
                            });
                            continue;
                        }
                    };
                    set.add(plugin, tier_index, tier.name, &mut claimed)?;
                }
            }
        }
        Ok(set)
    }

    fn add(
        &mut self,
        plugin: Plugin,
        tier: usize,
        tier_name: &str,
        claimed: &mut HashMap<String, (usize, PathBuf)>,
    ) -> Result<(), PluginError> {
        let index = self.plugins.len();
        for source_type in &plugin.manifest().source_types {
            let key = source_type.to_ascii_lowercase();
            match claimed.get(&key) {
                Some((other_tier, other)) if *other_tier == tier => {
                    return Err(PluginError::DuplicateSourceType {
                        source_type: source_type.clone(),
                        first: other.clone(),
                        second: plugin.path().to_owned(),
                    });
                }
                Some((_, other)) => self.diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Info,
                    path: plugin.path().to_owned(),
                    message: format!(
                        "source type `{source_type}` of this plugin ({tier_name}) is hidden by {}, found earlier",
                        other.display()
                    ),
                    error: None,
                }),
                None => {
                    claimed.insert(key.clone(), (tier, plugin.path().to_owned()));
                    self.by_type.insert(key, index);
                }
            }
        }
        self.plugins.push(plugin);
        Ok(())
    }

    /// Every loaded plugin, in discovery order.
    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    /// What discovery skipped or noticed.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The plugin serving `source_type` (compared ignoring ASCII case, as
    /// OpenMetadata lower-cases `source.type`).
    pub fn for_source_type(&self, source_type: &str) -> Result<&Plugin, PluginError> {
        match self.by_type.get(&source_type.to_ascii_lowercase()) {
            Some(&i) => Ok(&self.plugins[i]),
            None => {
                let mut available: Vec<String> = self
                    .plugins
                    .iter()
                    .flat_map(|p| {
                        p.manifest()
                            .source_types
                            .iter()
                            .map(move |t| format!("{t} ({})", p.name()))
                    })
                    .collect();
                available.sort();
                available.dedup();
                let skipped = self
                    .diagnostics
                    .iter()
                    .filter(|d| d.level == DiagnosticLevel::Warning)
                    .map(|d| {
                        d.error
                            .as_ref()
                            .map_or_else(|| d.message.clone(), ToString::to_string)
                    })
                    .collect();
                Err(PluginError::NoPluginForSourceType {
                    source_type: source_type.to_owned(),
                    available,
                    skipped,
                })
            }
        }
    }

    /// The plugin with this manifest name, or else the one serving this source
    /// type (for `omctl plugins describe NAME`).
    pub fn find(&self, name_or_type: &str) -> Option<&Plugin> {
        self.plugins
            .iter()
            .find(|p| p.name() == name_or_type)
            .or_else(|| self.for_source_type(name_or_type).ok())
    }

    /// The plugin loaded from `path`, if any.
    pub fn by_path(&self, path: &Path) -> Option<&Plugin> {
        let canonical = std::fs::canonicalize(path).ok();
        self.plugins.iter().find(|p| {
            p.path() == path
                || canonical.as_deref() == std::fs::canonicalize(p.path()).ok().as_deref()
        })
    }
}

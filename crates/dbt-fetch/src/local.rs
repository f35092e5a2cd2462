//! `dbtConfigType: local`: the configured files, as they are. Whether they exist is
//! for [`dbt_artifacts::Artifacts::load`] to say (it names the file).

use std::path::PathBuf;

use dbt_artifacts::{ArtifactLocation, ArtifactPaths};
use om_spec::generated::metadata_ingestion::dbtconfig::dbt_local_config::DbtLocalConfig;

use crate::{ArtifactSet, FetchError, Fetched, non_empty, trimmed};

pub(crate) fn fetch(config: &DbtLocalConfig) -> Result<Fetched, FetchError> {
    let manifest = trimmed(&config.dbt_manifest_file_path).ok_or_else(|| FetchError::Config {
        field: "dbtManifestFilePath".into(),
        reason: "is empty; give the path of dbt's manifest.json (in the project's target/ \
                     directory)"
            .into(),
    })?;
    let path = |value: &Option<String>| non_empty(value).map(PathBuf::from);
    let paths = ArtifactPaths {
        manifest: PathBuf::from(manifest),
        catalog: path(&config.dbt_catalog_file_path),
        run_results: path(&config.dbt_run_results_file_path)
            .into_iter()
            .collect(),
        sources: path(&config.dbt_sources_file_path),
    };
    Ok(Fetched {
        sets: vec![ArtifactSet::new(
            manifest.to_string(),
            ArtifactLocation::Files(paths),
        )],
        warnings: Vec::new(),
        _dir: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use om_spec::generated::metadata_ingestion::dbtconfig::dbt_local_config::DbtConfigType;

    #[test]
    fn paths_are_passed_on_and_empty_ones_are_unset() {
        let mut config =
            DbtLocalConfig::new(DbtConfigType::Local, "/dbt/target/manifest.json".into());
        config.dbt_catalog_file_path = Some("/dbt/target/catalog.json".into());
        config.dbt_run_results_file_path = Some("/dbt/target/run_results.json".into());
        config.dbt_sources_file_path = Some(" ".into());
        let fetched = fetch(&config).unwrap();
        assert_eq!(fetched.sets.len(), 1);
        let set = &fetched.sets[0];
        assert_eq!(set.label, "/dbt/target/manifest.json");
        assert_eq!(
            set.location,
            ArtifactLocation::Files(ArtifactPaths {
                manifest: "/dbt/target/manifest.json".into(),
                catalog: Some("/dbt/target/catalog.json".into()),
                run_results: vec!["/dbt/target/run_results.json".into()],
                sources: None,
            })
        );
        assert!(set.reported_absent.is_empty() && fetched.warnings.is_empty());
    }

    #[test]
    fn an_empty_manifest_path_is_a_config_error() {
        let config = DbtLocalConfig::new(DbtConfigType::Local, "".into());
        let e = fetch(&config).unwrap_err();
        assert!(
            e.to_string()
                .contains("dbtConfigSource.dbtManifestFilePath"),
            "{e}"
        );
    }
}

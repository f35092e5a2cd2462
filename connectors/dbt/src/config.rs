//! The workflow's `source` section, read and checked once.

use std::collections::BTreeMap;

use connector_sdk::{ConnectorError, SourceConfig};
use om_spec::filter::Filter;
use om_spec::generated::metadata_ingestion::dbt_pipeline::DbtPipeline;
use om_spec::generated::r#type::filter_pattern::FilterPattern;

/// The compiled filter patterns. Database, schema and table patterns apply to the
/// names as the manifest spells them (before `catalogMapping`), as OpenMetadata's
/// own dbt workflow applies them; the tag pattern applies to dbt tag names.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub database: Filter,
    pub schema: Filter,
    pub table: Filter,
    pub tag: Filter,
}

/// Everything a run needs from the config. Its `Debug` leaves out `pipeline`:
/// `dbtConfigSource` carries `dbtHttpHeaders`, whose values are often tokens.
#[derive(Clone)]
pub struct DbtConfig {
    /// `source.serviceName`: the database service that holds the tables dbt builds.
    pub service: String,
    /// `sourceConfig.config`, with the spec's defaults filled in.
    pub pipeline: DbtPipeline,
    pub filters: Filters,
    /// `serviceConnection.config.type` when the workflow carries the database
    /// service's connection (OpenMetadata's UI copies it in); it names the SQL
    /// dialect when the manifest does not say which adapter compiled the SQL.
    pub service_type: Option<String>,
    /// `catalogMapping` with its keys lower-cased.
    catalog_mapping: BTreeMap<String, String>,
}

impl std::fmt::Debug for DbtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbtConfig")
            .field("service", &self.service)
            .field("filters", &self.filters)
            .field("service_type", &self.service_type)
            .field("catalog_mapping", &self.catalog_mapping)
            .finish_non_exhaustive()
    }
}

impl DbtConfig {
    pub fn from_source(config: &SourceConfig) -> Result<DbtConfig, ConnectorError> {
        let service = config.require_service_name()?.to_string();
        let pipeline: DbtPipeline = config.source_config()?;
        let compile = |field, pattern: &Option<FilterPattern>| {
            Filter::new(field, pattern.as_ref()).map_err(ConnectorError::config)
        };
        let filters = Filters {
            database: compile("databaseFilterPattern", &pipeline.database_filter_pattern)?,
            schema: compile("schemaFilterPattern", &pipeline.schema_filter_pattern)?,
            table: compile("tableFilterPattern", &pipeline.table_filter_pattern)?,
            tag: compile("tagFilterPattern", &pipeline.tag_filter_pattern)?,
        };
        let mut catalog_mapping: BTreeMap<String, String> = BTreeMap::new();
        let mut spelled: BTreeMap<String, &str> = BTreeMap::new();
        for (key, target) in pipeline.catalog_mapping.iter().flatten() {
            let folded = key.trim().to_lowercase();
            let target = target.trim();
            if folded.is_empty() || target.is_empty() {
                return Err(ConnectorError::config(format!(
                    "source.sourceConfig.config.catalogMapping: `{key}: {target}` maps from or to \
                     an empty name; write the manifest's database name and the OpenMetadata \
                     database it stands for"
                )));
            }
            if let Some(first) = spelled.get(&folded)
                && catalog_mapping.get(&folded).map(String::as_str) != Some(target)
            {
                return Err(ConnectorError::config(format!(
                    "source.sourceConfig.config.catalogMapping: `{first}` and `{key}` are the same \
                     database once case is ignored, but map to different names; keep one"
                )));
            }
            spelled.insert(folded.clone(), key);
            catalog_mapping.insert(folded, target.to_string());
        }
        let service_type = config
            .connection_json()
            .and_then(|c| c.get("type"))
            .and_then(|t| t.as_str())
            .map(str::to_string);
        Ok(DbtConfig {
            service,
            pipeline,
            filters,
            service_type,
            catalog_mapping,
        })
    }

    /// The OpenMetadata database a manifest database stands for: its
    /// `catalogMapping` target (keys compared ignoring case), else itself.
    pub fn map_database<'a>(&'a self, database: &'a str) -> &'a str {
        if self.catalog_mapping.is_empty() {
            return database;
        }
        self.catalog_mapping
            .get(&database.to_lowercase())
            .map_or(database, String::as_str)
    }

    /// Whether `name` is a manifest database that `catalogMapping` maps, or a
    /// mapping target: what a relation named in compiled SQL may carry.
    pub fn same_database(&self, manifest_database: &str, named_in_sql: &str) -> bool {
        manifest_database.eq_ignore_ascii_case(named_in_sql)
            || self
                .map_database(manifest_database)
                .eq_ignore_ascii_case(named_in_sql)
            || self
                .map_database(named_in_sql)
                .eq_ignore_ascii_case(self.map_database(manifest_database))
    }

    /// Whether descriptions written by dbt replace the server's for this node:
    /// `dbtUpdateDescriptions`, never for sources (their text belongs to the team
    /// that loads them, as in OpenMetadata's own workflow).
    pub fn overwrite_descriptions(&self, is_source: bool) -> bool {
        self.pipeline.dbt_update_descriptions && !is_source
    }

    /// The same for owners (`dbtUpdateOwners`).
    pub fn overwrite_owners(&self, is_source: bool) -> bool {
        self.pipeline.dbt_update_owners && !is_source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_sdk::serde_json::json;

    fn config(source_config: serde_json::Value) -> Result<DbtConfig, ConnectorError> {
        let source = json!({
            "type": "dbt",
            "serviceName": "glue_svc",
            "sourceConfig": {"config": source_config},
        });
        DbtConfig::from_source(&SourceConfig::new(source, Default::default()))
    }

    fn local() -> serde_json::Value {
        json!({"dbtConfigType": "local", "dbtManifestFilePath": "/x/manifest.json"})
    }

    #[test]
    fn catalog_mapping_keys_ignore_case() {
        let cfg = config(json!({
            "dbtConfigSource": local(),
            "catalogMapping": {"AwsDataCatalog": "123456789012"},
        }))
        .unwrap();
        assert_eq!(cfg.map_database("awsdatacatalog"), "123456789012");
        assert_eq!(cfg.map_database("AWSDATACATALOG"), "123456789012");
        assert_eq!(cfg.map_database("other"), "other");
        assert!(cfg.same_database("awsdatacatalog", "123456789012"));
        assert!(cfg.same_database("awsdatacatalog", "AwsDataCatalog"));
        assert!(!cfg.same_database("awsdatacatalog", "other"));
    }

    #[test]
    fn conflicting_mapping_keys_are_a_config_error() {
        let err = config(json!({
            "dbtConfigSource": local(),
            "catalogMapping": {"AwsDataCatalog": "a", "awsdatacatalog": "b"},
        }))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("AwsDataCatalog") && err.contains("awsdatacatalog"),
            "{err}"
        );
    }

    #[test]
    fn strict_pipeline_and_bad_patterns() {
        let err = config(json!({"dbtConfigSource": local(), "dbtUpdateDescription": true}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("dbtUpdateDescription"), "{err}");
        let err = config(json!({
            "dbtConfigSource": local(),
            "tagFilterPattern": {"excludes": ["("]},
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("tagFilterPattern"), "{err}");
    }

    #[test]
    fn debug_never_shows_http_headers() {
        let cfg = config(json!({"dbtConfigSource": {
            "dbtConfigType": "http",
            "dbtManifestHttpPath": "https://host/manifest.json",
            "dbtHttpHeaders": {"Authorization": "Bearer HEADER-SECRET"},
        }}))
        .unwrap();
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("HEADER-SECRET"), "{debug}");
        assert!(debug.contains("glue_svc"), "{debug}");
    }

    #[test]
    fn defaults() {
        let cfg = config(json!({"dbtConfigSource": local()})).unwrap();
        assert_eq!(cfg.service, "glue_svc");
        assert!(cfg.pipeline.include_tags);
        assert_eq!(cfg.pipeline.dbt_classification_name, "dbtTags");
        assert!(!cfg.overwrite_descriptions(false));
    }
}

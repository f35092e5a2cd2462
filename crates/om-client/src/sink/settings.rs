//! What the `metadata-rest` sink reads from the workflow: `sink.config` and the
//! mark-deleted flags of `source.sourceConfig.config`.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use omctl_record::EntityKind;
use serde_json::Value;

use crate::error::ClientError;

/// What the sink needs from the workflow besides the server settings.
#[derive(Clone, Default)]
pub struct SinkOptions {
    /// `--dry-run`: no writes at all; reads (service lookups, listings for
    /// mark-deleted) still happen so that the summary shows what would be done.
    pub dry_run: bool,
    /// `sink.config` (a map; `null` for none). See [`SinkSettings`].
    pub sink_config: Value,
    /// `source.sourceConfig.config`, for the mark-deleted flags.
    pub source_config: Value,
    /// `source.serviceName`: the service that gets `service_connection`.
    pub service_name: Option<String>,
    /// `source.serviceConnection` (`{"config": {...}}`), with its secrets, attached
    /// when the sink creates the service. Never printed.
    pub service_connection: Option<Value>,
}

impl fmt::Debug for SinkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinkOptions")
            .field("dry_run", &self.dry_run)
            .field("sink_config", &self.sink_config)
            .field("source_config", &self.source_config)
            .field("service_name", &self.service_name)
            .field(
                "service_connection",
                &self.service_connection.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The settings of `sink.config`, all optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `concurrency` | 16 | writes in flight at once (1..=256) |
/// | `bulk` | true | use `PUT {collection}/bulk` for databases, schemas and tables, and `createMany` for test cases, when the server has them |
/// | `bulkSize` (or OpenMetadata's `bulk_sink_batch_size`) | 100 | siblings per bulk call (1..=1000) |
/// | `markDeletedMaxPercent` | 50 | refuse mark-deleted in a scope when more than this share of the server's entities would go |
/// | `markDeletedMinScopeSize` | 5 | scopes with fewer entities skip the share check, unless they would be emptied |
/// | `listPageSize` | 100 | entities per listing page (1..=1000) |
/// | `maxRetries` | 5 | retries of a failed call (connection errors, 429, 502, 503, 504) |
/// | `connectTimeoutSeconds` | 10 | |
/// | `readTimeoutSeconds` | 300 | |
#[derive(Debug, Clone, PartialEq)]
pub struct SinkSettings {
    pub concurrency: usize,
    pub bulk: bool,
    pub bulk_size: usize,
    pub mark_deleted_max_percent: f64,
    pub mark_deleted_min_scope_size: u64,
    pub list_page_size: u32,
    pub max_retries: u32,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for SinkSettings {
    fn default() -> Self {
        SinkSettings {
            concurrency: 16,
            bulk: true,
            bulk_size: 100,
            mark_deleted_max_percent: 50.0,
            mark_deleted_min_scope_size: 5,
            list_page_size: 100,
            max_retries: 5,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
        }
    }
}

const KNOWN_KEYS: &[&str] = &[
    "concurrency",
    "bulk",
    "bulkSize",
    "bulk_sink_batch_size",
    "markDeletedMaxPercent",
    "markDeletedMinScopeSize",
    "listPageSize",
    "maxRetries",
    "connectTimeoutSeconds",
    "readTimeoutSeconds",
];

fn setting_error(key: &str, what: impl fmt::Display) -> ClientError {
    ClientError::Config(format!("sink.config.{key}: {what}"))
}

fn int_in(v: &Value, key: &str, min: u64, max: u64) -> Result<u64, ClientError> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(setting_error(
            key,
            format!("expected a whole number from {min} to {max}, found {v}"),
        )),
    }
}

impl SinkSettings {
    /// Reads `sink.config`. Unknown keys are errors, so that a misspelt setting does
    /// not silently fall back to its default.
    pub fn from_json(cfg: &Value) -> Result<SinkSettings, ClientError> {
        let mut s = SinkSettings::default();
        let map = match cfg {
            Value::Null => return Ok(s),
            Value::Object(m) => m,
            _ => return Err(ClientError::Config("sink.config must be a map".to_string())),
        };
        for (key, v) in map {
            match key.as_str() {
                "concurrency" => s.concurrency = int_in(v, key, 1, 256)? as usize,
                "bulk" => {
                    s.bulk = v.as_bool().ok_or_else(|| {
                        setting_error(key, format!("expected true or false, found {v}"))
                    })?
                }
                "bulkSize" | "bulk_sink_batch_size" => {
                    s.bulk_size = int_in(v, key, 1, 1000)? as usize
                }
                "markDeletedMaxPercent" => {
                    s.mark_deleted_max_percent = match v.as_f64() {
                        Some(p) if (0.0..=100.0).contains(&p) => p,
                        _ => {
                            return Err(setting_error(
                                key,
                                format!("expected a percentage from 0 to 100, found {v}"),
                            ));
                        }
                    }
                }
                "markDeletedMinScopeSize" => {
                    s.mark_deleted_min_scope_size = int_in(v, key, 0, 1_000_000)?
                }
                "listPageSize" => s.list_page_size = int_in(v, key, 1, 1000)? as u32,
                "maxRetries" => s.max_retries = int_in(v, key, 0, 20)? as u32,
                "connectTimeoutSeconds" => {
                    s.connect_timeout = Duration::from_secs(int_in(v, key, 1, 3600)?)
                }
                "readTimeoutSeconds" => {
                    s.read_timeout = Duration::from_secs(int_in(v, key, 1, 3600)?)
                }
                _ => {
                    return Err(ClientError::Config(format!(
                        "sink.config.{key} is not a setting of the metadata-rest sink (known: {})",
                        KNOWN_KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(s)
    }
}

/// Whether the workflow is a dbt one (`sourceConfig.config.type: DBT`): its
/// records change tables another workflow wrote, so that workflow's database
/// service must exist before anything is read.
pub(crate) fn is_dbt(source_config: &Value) -> bool {
    source_config.get("type").and_then(Value::as_str) == Some("DBT")
}

/// `sourceConfig.config.searchAcrossDatabases` (default false): a table not found
/// in the database its FQN names may be found in another database of the service.
pub(crate) fn search_across_databases(source_config: &Value) -> Result<bool, ClientError> {
    match source_config.get("searchAcrossDatabases") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ClientError::Config(format!(
            "source.sourceConfig.config.searchAcrossDatabases: expected true or false, found {other}"
        ))),
    }
}

/// The entity kinds whose unseen entities are marked deleted, from the
/// `markDeleted*` flags of `sourceConfig.config`. Defaults follow OpenMetadata:
/// tables for a `DatabaseMetadata` pipeline and pipelines for a `PipelineMetadata`
/// one; schemas and databases only when asked.
pub(crate) fn mark_deleted_kinds(
    source_config: &Value,
) -> Result<HashSet<EntityKind>, ClientError> {
    let pipeline_type = source_config
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let flag = |key: &str, default: bool| -> Result<bool, ClientError> {
        match source_config.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(ClientError::Config(format!(
                "source.sourceConfig.config.{key}: expected true or false, found {other}"
            ))),
        }
    };
    let mut kinds = HashSet::new();
    for (key, kind, default) in [
        (
            "markDeletedTables",
            EntityKind::Table,
            pipeline_type == "DatabaseMetadata",
        ),
        ("markDeletedSchemas", EntityKind::DatabaseSchema, false),
        ("markDeletedDatabases", EntityKind::Database, false),
        (
            "markDeletedPipelines",
            EntityKind::Pipeline,
            pipeline_type == "PipelineMetadata",
        ),
    ] {
        if flag(key, default)? {
            kinds.insert(kind);
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_are_strict_about_keys_and_ranges() {
        let s = SinkSettings::from_json(
            &json!({"concurrency": 4, "bulk": false, "bulk_sink_batch_size": 50}),
        )
        .unwrap();
        assert_eq!((s.concurrency, s.bulk, s.bulk_size), (4, false, 50));
        let e = SinkSettings::from_json(&json!({"concurency": 4}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sink.config.concurency"), "{e}");
        let e = SinkSettings::from_json(&json!({"concurrency": 0}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sink.config.concurrency"), "{e}");
        let e = SinkSettings::from_json(&json!({"markDeletedMaxPercent": 120}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("markDeletedMaxPercent"), "{e}");
    }

    #[test]
    fn mark_deleted_defaults_follow_the_pipeline_type() {
        let db = mark_deleted_kinds(&json!({"type": "DatabaseMetadata"})).unwrap();
        assert_eq!(db, HashSet::from([EntityKind::Table]));
        let db = mark_deleted_kinds(&json!({"type": "DatabaseMetadata", "markDeletedTables": false, "markDeletedSchemas": true})).unwrap();
        assert_eq!(db, HashSet::from([EntityKind::DatabaseSchema]));
        let p = mark_deleted_kinds(&json!({"type": "PipelineMetadata"})).unwrap();
        assert_eq!(p, HashSet::from([EntityKind::Pipeline]));
        assert!(
            mark_deleted_kinds(&json!({"type": "DBT"}))
                .unwrap()
                .is_empty()
        );
        assert!(mark_deleted_kinds(&json!({"markDeletedTables": "yes"})).is_err());
    }

    #[test]
    fn dbt_flags() {
        assert!(is_dbt(&json!({"type": "DBT"})));
        assert!(!is_dbt(&json!({"type": "DatabaseMetadata"})));
        assert!(!search_across_databases(&json!({"type": "DBT"})).unwrap());
        assert!(search_across_databases(&json!({"searchAcrossDatabases": true})).unwrap());
        let e = search_across_databases(&json!({"searchAcrossDatabases": "yes"}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("source.sourceConfig.config.searchAcrossDatabases"),
            "{e}"
        );
    }
}

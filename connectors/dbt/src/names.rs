//! How dbt nodes, columns, tags and test cases are named in OpenMetadata.

use dbt_artifacts::Relation;
use om_spec::fqn::{self, FqnError};
use om_spec::generated::r#type::tag_label::{LabelType, State, TagLabel, TagSource};
use serde_json::Value;

use crate::config::DbtConfig;

/// The database part of a table FQN when the manifest names none (dbt-spark and
/// dbt-glue leave `database` empty): any database of the service, as OpenMetadata's
/// own dbt workflow searches for a missing part.
pub const ANY_DATABASE: &str = "*";

/// `service.database.schema.table` of a node's relation, the database through
/// `catalogMapping`. `None` when the relation has no schema.
pub fn table_fqn(cfg: &DbtConfig, relation: &Relation<'_>) -> Result<Option<String>, FqnError> {
    let Some(schema) = relation.schema else {
        return Ok(None);
    };
    let database = relation
        .database
        .map_or(ANY_DATABASE, |d| cfg.map_database(d));
    fqn::build(&[cfg.service.as_str(), database, schema, relation.identifier]).map(Some)
}

/// `parent.name`: the FQN of a table's column or test case, the name quoted as
/// FQNs quote names.
pub fn child_fqn(parent_fqn: &str, name: &str) -> Result<String, FqnError> {
    Ok(format!("{parent_fqn}.{}", fqn::quote_name(name)?))
}

/// OpenMetadata's entity link for a table, or for one of its columns.
pub fn entity_link(table_fqn: &str, column: Option<&str>) -> String {
    match column {
        Some(column) => format!("<#E::table::{table_fqn}::columns::{column}>"),
        None => format!("<#E::table::{table_fqn}>"),
    }
}

/// A tag label (`tagLabel.json`) for a classification tag or a glossary term;
/// dbt's labels are applied automatically and only suggested.
pub fn tag_label(tag_fqn: &str, source: TagSource) -> TagLabel {
    TagLabel::new(
        tag_fqn.to_string(),
        source,
        LabelType::Automated,
        State::Suggested,
    )
}

/// Tag labels as the JSON values an update record carries.
pub fn labels_json(labels: &[TagLabel]) -> Vec<Value> {
    labels
        .iter()
        .filter_map(|l| serde_json::to_value(l).ok())
        .collect()
}

/// The FQN of a dbt tag under the classification: `dbtTags.pii`.
pub fn dbt_tag_fqn(classification: &str, tag: &str) -> Result<String, FqnError> {
    fqn::build(&[classification, tag])
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_sdk::SourceConfig;
    use serde_json::json;

    fn cfg(mapping: Value) -> DbtConfig {
        let source = json!({
            "type": "dbt",
            "serviceName": "glue_svc",
            "sourceConfig": {"config": {
                "dbtConfigSource": {"dbtConfigType": "local", "dbtManifestFilePath": "m.json"},
                "catalogMapping": mapping,
            }},
        });
        DbtConfig::from_source(&SourceConfig::new(source, Default::default())).unwrap()
    }

    #[test]
    fn table_fqns() {
        let cfg = cfg(json!({"AwsDataCatalog": "123456789012"}));
        let rel = |database, schema, identifier| Relation {
            database,
            schema,
            identifier,
        };
        let fqn = |r| table_fqn(&cfg, &r).unwrap();
        assert_eq!(
            fqn(rel(Some("awsdatacatalog"), Some("cafe"), "orders")).as_deref(),
            Some("glue_svc.123456789012.cafe.orders")
        );
        assert_eq!(
            fqn(rel(Some("other"), Some("cafe"), "my.table")).as_deref(),
            Some("glue_svc.other.cafe.\"my.table\"")
        );
        assert_eq!(
            fqn(rel(None, Some("cafe"), "orders")).as_deref(),
            Some("glue_svc.*.cafe.orders")
        );
        assert_eq!(fqn(rel(Some("db"), None, "orders")), None);
        assert!(table_fqn(&cfg, &rel(Some("db"), Some("s"), "a\"b")).is_err());
    }

    #[test]
    fn links_and_labels() {
        assert_eq!(
            entity_link("s.d.c.t", Some("id")),
            "<#E::table::s.d.c.t::columns::id>"
        );
        assert_eq!(entity_link("s.d.c.t", None), "<#E::table::s.d.c.t>");
        assert_eq!(child_fqn("s.d.c.t", "a.b").unwrap(), "s.d.c.t.\"a.b\"");
        assert_eq!(dbt_tag_fqn("dbtTags", "pii").unwrap(), "dbtTags.pii");
        assert_eq!(
            labels_json(&[tag_label("Tier.Tier1", TagSource::Classification)]),
            [json!({"tagFQN": "Tier.Tier1", "source": "Classification",
                   "labelType": "Automated", "state": "Suggested"})]
        );
    }
}

//! A model's columns: the data model's column list (catalog types parsed by
//! hive-types) and the per-column description and tag updates.

use dbt_artifacts::{CatalogColumn, CatalogTable, Node, OpenMetadataMeta};
use hive_types::{MappedType, parse_or_unknown};
use om_spec::generated::entity::data::table::{Column, Constraint};
use omctl_record::{ColumnUpdate, TextUpdate};

use crate::config::DbtConfig;
use crate::names::labels_json;
use crate::non_blank;
use crate::tags::{dbt_tag_labels, meta_labels, push_unique};

/// The data model's columns and what could not be read.
#[derive(Debug, Default)]
pub struct ModelColumns {
    /// The catalog's columns in warehouse order, then the ones only the manifest
    /// declares.
    pub columns: Vec<Column>,
    /// `name (`type`): why` for each type hive-types could not parse; the column
    /// is kept as UNKNOWN with the text in `dataTypeDisplay`.
    pub unparsed: Vec<String>,
}

/// Builds the data model's columns of `node` from the manifest and, when there
/// is one, the catalog. A column's description is dbt's (what dbt docs shows),
/// else the warehouse comment; its type is the catalog's, else the manifest's
/// declared `data_type`.
pub fn model_columns(cfg: &DbtConfig, node: &Node, catalog: Option<&CatalogTable>) -> ModelColumns {
    let mut out = ModelColumns::default();
    let catalog_columns: &[CatalogColumn] = catalog.map_or(&[], |c| &c.columns);
    for cat in catalog_columns {
        let declared = node.column(&cat.name);
        out.push(cfg, node, &cat.name, declared, Some(cat));
    }
    for declared in &node.columns {
        if catalog.is_some_and(|c| c.column(&declared.name).is_some()) {
            continue;
        }
        out.push(cfg, node, &declared.name, Some(declared), None);
    }
    out
}

impl ModelColumns {
    fn push(
        &mut self,
        cfg: &DbtConfig,
        node: &Node,
        name: &str,
        declared: Option<&dbt_artifacts::Column>,
        cat: Option<&CatalogColumn>,
    ) {
        let description = declared
            .and_then(|d| non_blank(&d.description))
            .or_else(|| cat.and_then(|c| c.comment.as_deref()).and_then(non_blank));
        let raw_type = cat
            .map(|c| c.data_type.as_str())
            .filter(|t| !t.trim().is_empty())
            .or_else(|| declared.and_then(|d| d.data_type.as_deref()))
            .unwrap_or_default();
        let mapped = if raw_type.trim().is_empty() {
            MappedType::unknown("")
        } else {
            let (mapped, error) = parse_or_unknown(raw_type);
            if let Some(e) = error {
                self.unparsed.push(format!("{name} (`{raw_type}`): {e}"));
            }
            mapped
        };
        let ordinal = cat
            .and_then(|c| c.index)
            .and_then(|i| i64::try_from(i).ok());
        let mut column = mapped.into_om_column(name, description, ordinal);
        if column.data_type_display.as_deref() == Some("") {
            column.data_type_display = None;
        }
        column.constraint = column_constraint(node, name, declared);
        if let Some(declared) = declared {
            let labels = column_labels(cfg, declared);
            if !labels.is_empty() {
                column.tags = Some(labels);
            }
        }
        self.columns.push(column);
    }
}

/// The strongest model-contract constraint on a column: a primary key (the
/// model's `primary_key`, a model-level or a column `primary_key` constraint),
/// else `unique`, else `not_null`.
fn column_constraint(
    node: &Node,
    name: &str,
    declared: Option<&dbt_artifacts::Column>,
) -> Option<Constraint> {
    let named = |columns: &[String]| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    let model_level = |kind: &str| {
        node.constraints
            .iter()
            .any(|c| c.kind.eq_ignore_ascii_case(kind) && named(&c.columns))
    };
    let on_column = |kind: &str| {
        declared.is_some_and(|d| {
            d.constraints
                .iter()
                .any(|c| c.kind.eq_ignore_ascii_case(kind))
        })
    };
    if named(&node.primary_key) || model_level("primary_key") || on_column("primary_key") {
        Some(Constraint::PrimaryKey)
    } else if model_level("unique") || on_column("unique") {
        Some(Constraint::Unique)
    } else if on_column("not_null") {
        Some(Constraint::NotNull)
    } else {
        None
    }
}

/// The labels of a declared column: its dbt tags and its `meta.openmetadata`.
fn column_labels(
    cfg: &DbtConfig,
    declared: &dbt_artifacts::Column,
) -> Vec<om_spec::generated::r#type::tag_label::TagLabel> {
    let mut labels = dbt_tag_labels(cfg, &declared.tags);
    for label in meta_labels(cfg, &OpenMetadataMeta::from_meta(&declared.meta)) {
        push_unique(&mut labels, label);
    }
    labels
}

/// Description and tag updates for the columns the manifest documents, named as
/// the catalog spells them when it has them. Columns with nothing to say are
/// left out; an empty description is never sent.
pub fn column_updates(
    cfg: &DbtConfig,
    node: &Node,
    catalog: Option<&CatalogTable>,
    overwrite: bool,
) -> Vec<ColumnUpdate> {
    node.columns
        .iter()
        .filter_map(|declared| {
            let name = catalog
                .and_then(|c| c.column(&declared.name))
                .map_or(declared.name.as_str(), |c| c.name.as_str());
            let description =
                non_blank(&declared.description).map(|text| TextUpdate { text, overwrite });
            let tags = labels_json(&column_labels(cfg, declared));
            (description.is_some() || !tags.is_empty()).then(|| ColumnUpdate {
                name: name.to_string(),
                description,
                tags,
            })
        })
        .collect()
}

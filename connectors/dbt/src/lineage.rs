//! Lineage records: one `DbtLineage` edge per `depends_on` parent (ephemeral
//! models resolved through, never a self-edge), with column lineage from the
//! compiled SQL, and edges from tables to the dashboards and ML models of
//! exposures.

use std::collections::HashMap;

use dbt_artifacts::{Artifacts, Exposure, Manifest, Node, RelationIndex};
use om_spec::generated::r#type::entity_lineage::{ColumnLineage, LineageDetails, Source};
use omctl_record::{EntityKind, EntityRef, Event, Record};
use sql_lineage::{Dialect, LineageError, RelationName};

use crate::config::DbtConfig;
use crate::names::child_fqn;
use crate::pass::{Place, Places};

/// The lineage source dbt edges carry, and that `overrideLineage` replaces.
pub const DBT_LINEAGE: &str = "DbtLineage";

/// The FQNs of the parents of `node` that are tables in this run, in
/// `depends_on` order: ephemeral parents replaced by their own parents, filtered
/// ones and the node's own table left out.
pub fn upstream_tables(
    manifest: &Manifest,
    places: &Places<'_>,
    node: &Node,
    own_fqn: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for parent in manifest.upstream(node).nodes {
        if let Some(Place::Table(fqn)) = places.get(parent.unique_id.as_str())
            && fqn != own_fqn
            && !out.contains(fqn)
        {
            out.push(fqn.clone());
        }
    }
    out
}

/// A model's compiled SQL, `None` when there is none or it is blank.
pub fn compiled_sql(node: &Node) -> Option<&str> {
    node.compiled_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The edge from `parent_fqn` into `table_fqn`, with the compiled SQL and the
/// column pairs (`fromColumns` / `toColumn` FQNs) when there are any.
pub fn table_edge(
    parent_fqn: &str,
    table_fqn: &str,
    sql: Option<&str>,
    columns: Vec<ColumnLineage>,
) -> Record {
    let details = LineageDetails {
        source: Some(Source::DbtLineage),
        sql_query: sql.map(str::to_string),
        columns_lineage: (!columns.is_empty()).then_some(columns),
        ..Default::default()
    };
    Record::Lineage {
        from: EntityRef::new(EntityKind::Table, parent_fqn),
        to: EntityRef::new(EntityKind::Table, table_fqn),
        details: serde_json::to_value(details).ok(),
    }
}

/// `overrideLineage`: remove the `DbtLineage` edges into a table before this
/// run's own are written.
pub fn reset(table_fqn: &str) -> Record {
    Record::LineageReset {
        to: EntityRef::new(EntityKind::Table, table_fqn),
        source: DBT_LINEAGE.to_string(),
    }
}

/// The entity kind an exposure type stands for in OpenMetadata.
fn exposure_kind(exposure: &Exposure) -> Option<EntityKind> {
    match exposure
        .exposure_type
        .as_deref()?
        .to_ascii_lowercase()
        .as_str()
    {
        "dashboard" => Some(EntityKind::Dashboard),
        "ml" => Some(EntityKind::MlModel),
        _ => None,
    }
}

/// Edges from the tables an exposure depends on to the entity its
/// `meta.open_metadata_fqn` names. An exposure that cannot be placed is a
/// warning saying what to set.
pub fn exposure_edges(
    manifest: &Manifest,
    places: &Places<'_>,
    exposure: &Exposure,
    events: &mut Vec<Event>,
) -> Vec<Record> {
    let Some(target_fqn) = exposure.open_metadata_fqn() else {
        events.push(Event::warning(
            None,
            &exposure.unique_id,
            "the exposure has no meta.open_metadata_fqn (the FQN of the OpenMetadata dashboard or \
             ML model it stands for); no lineage is sent for it",
        ));
        return Vec::new();
    };
    let Some(kind) = exposure_kind(exposure) else {
        events.push(Event::warning(
            None,
            &exposure.unique_id,
            format!(
                "exposures of type `{}` have no OpenMetadata entity to link to (only `dashboard` \
                 and `ml` do); no lineage is sent for it",
                exposure.exposure_type.as_deref().unwrap_or("none")
            ),
        ));
        return Vec::new();
    };
    let details = LineageDetails {
        source: Some(Source::DbtLineage),
        ..Default::default()
    };
    let details = serde_json::to_value(details).ok();
    let mut seen: Vec<&str> = Vec::new();
    let mut records = Vec::new();
    for id in &exposure.depends_on {
        let Some(node) = manifest.get(id) else {
            continue;
        };
        // An ephemeral model is its parents' data.
        let nodes: Vec<&Node> = if node.is_ephemeral() {
            manifest.upstream(node).nodes
        } else {
            vec![node]
        };
        for node in nodes {
            if let Some(Place::Table(fqn)) = places.get(node.unique_id.as_str())
                && !seen.contains(&fqn.as_str())
            {
                seen.push(fqn);
                records.push(Record::Lineage {
                    from: EntityRef::new(EntityKind::Table, fqn.as_str()),
                    to: EntityRef::new(kind, target_fqn),
                    details: details.clone(),
                });
            }
        }
    }
    records
}

/// The SQL dialect of a project's compiled SQL: the adapter that compiled it
/// (`metadata.adapter_type`) names it exactly; else the database service's type
/// when the workflow carries its connection; else the permissive generic one.
pub fn dialect(cfg: &DbtConfig, manifest: &Manifest) -> Dialect {
    if let Some(adapter) = manifest.metadata.adapter_type.as_deref() {
        return Dialect::from_dbt_adapter_type(adapter);
    }
    cfg.service_type
        .as_deref()
        .map_or(Dialect::Generic, Dialect::from_service_type)
}

/// Column lineage of models from their compiled SQL, resolved to the tables of
/// this run.
pub struct ColumnLineageBuilder<'a> {
    cfg: &'a DbtConfig,
    artifacts: &'a Artifacts,
    places: &'a Places<'a>,
    index: RelationIndex<'a>,
    dialect: Dialect,
    /// Models whose SQL could not be analysed: `unique_id: why`.
    pub failed: Vec<String>,
    /// Output columns with a reference that could not be resolved, over all models.
    pub unresolved_columns: usize,
}

impl<'a> ColumnLineageBuilder<'a> {
    pub fn new(cfg: &'a DbtConfig, artifacts: &'a Artifacts, places: &'a Places<'a>) -> Self {
        ColumnLineageBuilder {
            cfg,
            artifacts,
            places,
            index: artifacts.manifest.relation_index(),
            dialect: dialect(cfg, &artifacts.manifest),
            failed: Vec::new(),
            unresolved_columns: 0,
        }
    }

    /// The node behind a relation named in compiled SQL. The SQL names the
    /// manifest's database; a `catalogMapping` target is accepted too.
    fn node_of(&self, relation: &RelationName) -> Option<&'a Node> {
        let schema = relation.schema.as_deref()?;
        let database = relation.database.as_deref();
        self.index
            .find(database, schema, &relation.name)
            .or_else(|| {
                let node = self.index.find(None, schema, &relation.name)?;
                let same = match (database, node.relation().database) {
                    (Some(named), Some(own)) => self.cfg.same_database(own, named),
                    _ => true,
                };
                same.then_some(node)
            })
    }

    /// A node's columns in table order: the catalog's, else the manifest's.
    fn columns_of(&self, node: &Node) -> Option<Vec<String>> {
        let from_catalog = self
            .artifacts
            .catalog
            .as_ref()
            .and_then(|c| c.get(&node.unique_id))
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
            .filter(|c| !c.is_empty());
        from_catalog.or_else(|| {
            let declared: Vec<String> = node.columns.iter().map(|c| c.name.clone()).collect();
            (!declared.is_empty()).then_some(declared)
        })
    }

    /// The column pairs of `node`'s compiled SQL, grouped by the parent table's
    /// FQN. A self-reference (`{{ this }}` in an incremental model) is never a
    /// source. `None` when the model has no SQL or its SQL cannot be analysed
    /// (then it is counted in [`ColumnLineageBuilder::failed`]).
    pub fn for_model(
        &mut self,
        node: &Node,
        own_fqn: &str,
    ) -> Option<HashMap<String, Vec<ColumnLineage>>> {
        let sql = compiled_sql(node)?;
        let columns =
            |relation: &RelationName| self.node_of(relation).and_then(|n| self.columns_of(n));
        let analysis = match sql_lineage::analyze(sql, self.dialect, &columns) {
            Ok(a) => a,
            Err(e) => {
                self.failed
                    .push(format!("{} ({})", node.unique_id, short(&e)));
                return None;
            }
        };
        self.unresolved_columns += analysis.unresolved.len();

        // The output columns that are columns of the table, as it spells them.
        let own_columns = self.columns_of(node);
        let mut by_parent: HashMap<String, Vec<ColumnLineage>> = HashMap::new();
        for output in &analysis.columns {
            let to_name = match &own_columns {
                Some(known) => match known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(&output.column))
                {
                    Some(k) => k.as_str(),
                    None => continue,
                },
                None if is_identifier(&output.column) => output.column.as_str(),
                None => continue,
            };
            let Ok(to_column) = child_fqn(own_fqn, to_name) else {
                continue;
            };
            // fromColumns per parent table, in the analysis' (sorted) order.
            let mut from: Vec<(String, String)> = Vec::new();
            for source in &output.sources {
                let Some(parent) = self.node_of(&source.relation) else {
                    continue;
                };
                let Some(Place::Table(parent_fqn)) = self.places.get(parent.unique_id.as_str())
                else {
                    continue;
                };
                if parent_fqn == own_fqn {
                    continue;
                }
                let Ok(from_column) = child_fqn(parent_fqn, &source.column) else {
                    continue;
                };
                if !from.iter().any(|(_, c)| *c == from_column) {
                    from.push((parent_fqn.clone(), from_column));
                }
            }
            let mut parents: Vec<&str> = from.iter().map(|(p, _)| p.as_str()).collect();
            parents.dedup();
            for parent in parents {
                let from_columns: Vec<String> = from
                    .iter()
                    .filter(|(p, _)| p == parent)
                    .map(|(_, c)| c.clone())
                    .collect();
                by_parent
                    .entry(parent.to_string())
                    .or_default()
                    .push(ColumnLineage {
                        from_columns: Some(from_columns),
                        to_column: Some(to_column.clone()),
                        ..Default::default()
                    });
            }
        }
        Some(by_parent)
    }

    /// One warning for the models whose SQL could not be analysed.
    pub fn warning(&self) -> Option<Event> {
        if self.failed.is_empty() {
            return None;
        }
        const SHOWN: usize = 5;
        let mut list = self.failed[..self.failed.len().min(SHOWN)].join("; ");
        if self.failed.len() > SHOWN {
            list.push_str(&format!("; and {} more", self.failed.len() - SHOWN));
        }
        Some(Event::warning(
            None,
            "column lineage",
            format!(
                "the compiled SQL of {} model{} could not be analysed (parsed as {:?}), so {} no \
                 column lineage; the table-level lineage is kept: {list}",
                self.failed.len(),
                if self.failed.len() == 1 { "" } else { "s" },
                self.dialect,
                if self.failed.len() == 1 {
                    "it has"
                } else {
                    "they have"
                },
            ),
        ))
    }
}

/// The first line of an analysis error.
fn short(e: &LineageError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

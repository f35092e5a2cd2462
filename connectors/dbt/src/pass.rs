//! One pass: the records of one artifact set, in the order the sink relies on.
//!
//! 1. the dbt classification and its tags (`includeTags`);
//! 2. the test definitions the test cases use;
//! 3. an `Update` per table (data model, description, columns, owners, tags);
//! 4. lineage: per table (a table before its parents) a `LineageReset`
//!    (`overrideLineage`) and one edge per parent, then the exposures' edges;
//! 5. test cases, then the latest result of each;
//! 6. events: filtered nodes, warnings.

use std::collections::{BTreeSet, HashMap};

use connector_sdk::Stopped;
use dbt_artifacts::{ArtifactKind, Artifacts, Node, ResourceType, Warning};
use om_spec::generated::entity::data::table::{DataModel, ModelType};
use omctl_record::{EntityKind, EntityUpdate, Event, OwnersUpdate, Record, TextUpdate};

use crate::columns::{column_updates, model_columns};
use crate::config::DbtConfig;
use crate::lineage::{
    ColumnLineageBuilder, compiled_sql, exposure_edges, reset, table_edge, upstream_tables,
};
use crate::names::{labels_json, table_fqn};
use crate::non_blank;
use crate::quality;
use crate::tags::{dbt_tag_labels, kept_dbt_tags, meta_labels, push_unique, tag_records};

/// What became of a node that has a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Its table's FQN.
    Table(String),
    /// Left out by a filter pattern.
    Filtered,
}

/// Places by `unique_id`. Nodes without a table (ephemeral models, tests,
/// analyses, nodes whose name is unusable) are absent.
pub type Places<'a> = HashMap<&'a str, Place>;

/// Where the records go: the emitter in a run, a vector in tests.
pub trait Out {
    fn push(&mut self, record: Record) -> Result<(), Stopped>;
}

impl Out for Vec<Record> {
    fn push(&mut self, record: Record) -> Result<(), Stopped> {
        Vec::push(self, record);
        Ok(())
    }
}

/// A table this pass updates.
struct Table<'a> {
    node: &'a Node,
    fqn: &'a str,
    /// The FQNs of its parent tables ([`upstream_tables`]): the data model's
    /// `upstream` and the lineage edges.
    upstream: Vec<String>,
}

/// Counts of one pass, for the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassSummary {
    pub tables: usize,
    pub filtered: usize,
    pub lineage_edges: usize,
    /// Output columns of models whose sources could not all be resolved.
    pub unresolved_columns: usize,
    pub test_cases: usize,
    pub test_results: usize,
    pub warnings: usize,
}

/// The nodes that have a relation, sources first (their tables are the roots).
fn relation_nodes(artifacts: &Artifacts) -> impl Iterator<Item = &Node> {
    let manifest = &artifacts.manifest;
    manifest
        .sources()
        .iter()
        .chain(manifest.nodes())
        .filter(|n| n.has_relation())
}

/// The warnings of reading an artifact set as events. `describe` rewrites
/// temporary download paths into where the files came from; an artifact whose
/// absence was already reported (`already_reported`) is not reported again.
pub fn warning_events(
    warnings: &[Warning],
    describe: &dyn Fn(&str) -> String,
    already_reported: &[ArtifactKind],
) -> Vec<Event> {
    warnings
        .iter()
        .filter(|w| {
            !matches!(w, Warning::ArtifactMissing { kind, .. } if already_reported.contains(kind))
        })
        .map(|warning| {
            let name = match warning {
                Warning::NodeSkipped { unique_id, .. } => unique_id.clone(),
                Warning::UnknownSchemaVersion { file, .. }
                | Warning::UnrecognisedSchemaVersion { file, .. }
                | Warning::ArtifactMissing { file, .. } => describe(file),
                Warning::ArtifactUnusable { kind, .. } => kind.file_name().to_string(),
            };
            Event::warning(None, name, describe(&warning.to_string()))
        })
        .collect()
}

/// Decides each relation node's place: its table FQN, or filtered (with an
/// event), or nothing (with a warning) when it cannot be named.
fn place_nodes<'a>(
    cfg: &DbtConfig,
    artifacts: &'a Artifacts,
    events: &mut Vec<Event>,
) -> Places<'a> {
    let mut places = Places::new();
    for node in relation_nodes(artifacts) {
        let relation = node.relation();
        let fqn = match table_fqn(cfg, &relation) {
            Ok(Some(fqn)) => fqn,
            Ok(None) => {
                events.push(Event::warning(
                    Some(EntityKind::Table),
                    &node.unique_id,
                    "the dbt node has no schema, so its table cannot be named; it is skipped",
                ));
                continue;
            }
            Err(e) => {
                events.push(Event::warning(
                    Some(EntityKind::Table),
                    &node.unique_id,
                    format!("the dbt node's table cannot be named: {e}; it is skipped"),
                ));
                continue;
            }
        };
        let filters = &cfg.filters;
        let excluded_by = if filters.database.excludes(relation.database.unwrap_or("")) {
            Some("databaseFilterPattern")
        } else if filters.schema.excludes(relation.schema.unwrap_or("")) {
            Some("schemaFilterPattern")
        } else if filters.table.excludes(relation.identifier) {
            Some("tableFilterPattern")
        } else {
            None
        };
        let place = match excluded_by {
            Some(pattern) => {
                events.push(Event::filtered(
                    EntityKind::Table,
                    &fqn,
                    format!("{} excluded by {pattern}", node.unique_id),
                ));
                Place::Filtered
            }
            None => Place::Table(fqn),
        };
        places.insert(node.unique_id.as_str(), place);
    }
    places
}

/// The update of one table.
fn table_update(
    cfg: &DbtConfig,
    artifacts: &Artifacts,
    table: &Table<'_>,
    events: &mut Vec<Event>,
) -> Record {
    let Table { node, fqn, .. } = *table;
    let manifest = &artifacts.manifest;
    let catalog = artifacts
        .catalog
        .as_ref()
        .and_then(|c| c.get(&node.unique_id));
    let is_source = node.resource_type == ResourceType::Source;

    let columns = model_columns(cfg, node, catalog);
    if !columns.unparsed.is_empty() {
        events.push(Event::warning(
            Some(EntityKind::Table),
            fqn,
            format!(
                "data model column types not understood, kept as UNKNOWN with the text as \
                 written: {}",
                columns.unparsed.join("; ")
            ),
        ));
    }
    let dbt_labels = dbt_tag_labels(cfg, &node.tags);
    let description = non_blank(&node.description);
    let mut model = DataModel::new(ModelType::Dbt);
    model.resource_type = Some(node.resource_type.as_str().to_string());
    model.description = description.clone();
    model.path = node
        .original_file_path
        .as_deref()
        .or(node.path.as_deref())
        .and_then(non_blank);
    model.raw_sql = node.raw_code.as_deref().and_then(non_blank);
    model.sql = compiled_sql(node).map(str::to_string);
    model.upstream = (!table.upstream.is_empty()).then(|| table.upstream.clone());
    model.tags = (!dbt_labels.is_empty()).then(|| dbt_labels.clone());
    model.columns = (!columns.columns.is_empty()).then_some(columns.columns);
    model.dbt_source_project = manifest.metadata.project_name.clone();
    model.generated_at = manifest.metadata.generated_at.clone();

    let om = node.openmetadata();
    let mut owners: Vec<String> = om.owners.iter().map(|o| o.to_string()).collect();
    if owners.is_empty()
        && let Some(owner) = catalog.and_then(|c| c.owner.as_deref())
    {
        owners.push(owner.to_string());
    }
    let mut labels = dbt_labels;
    for label in meta_labels(cfg, &om) {
        push_unique(&mut labels, label);
    }

    let update = EntityUpdate {
        data_model: serde_json::to_value(&model).ok(),
        description: description.map(|text| TextUpdate {
            text,
            overwrite: cfg.overwrite_descriptions(is_source),
        }),
        columns: column_updates(cfg, node, catalog, cfg.overwrite_descriptions(is_source)),
        owners: (!owners.is_empty()).then(|| OwnersUpdate {
            names: owners,
            overwrite: cfg.overwrite_owners(is_source),
        }),
        tags: labels_json(&labels),
    };
    Record::Update {
        kind: EntityKind::Table,
        fqn: fqn.to_string(),
        update,
    }
}

/// The tables ordered so that each comes before every table upstream of it: a
/// topological order of the lineage graph, reversed. Tables in a cycle (which
/// dbt does not allow) keep their place at the end.
fn descendants_first<T>(
    tables: &[T],
    fqn: impl Fn(&T) -> &str,
    upstream: impl Fn(&T) -> &[String],
) -> Vec<&T> {
    let index: HashMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (fqn(t), i))
        .collect();
    let parents_of: Vec<Vec<usize>> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut parents: Vec<usize> = upstream(t)
                .iter()
                .filter_map(|p| index.get(p.as_str()).copied())
                .filter(|&p| p != i)
                .collect();
            parents.sort_unstable();
            parents.dedup();
            parents
        })
        .collect();
    // A table is placed once all its children are.
    let mut unplaced_children = vec![0usize; tables.len()];
    for &p in parents_of.iter().flatten() {
        unplaced_children[p] += 1;
    }
    let mut ready: Vec<usize> = (0..tables.len())
        .rev()
        .filter(|&i| unplaced_children[i] == 0)
        .collect();
    let mut placed = vec![false; tables.len()];
    let mut order = Vec::with_capacity(tables.len());
    while let Some(i) = ready.pop() {
        placed[i] = true;
        order.push(&tables[i]);
        for &p in parents_of[i].iter().rev() {
            unplaced_children[p] -= 1;
            if unplaced_children[p] == 0 {
                ready.push(p);
            }
        }
    }
    order.extend(
        tables
            .iter()
            .zip(&placed)
            .filter(|(_, placed)| !**placed)
            .map(|(t, _)| t),
    );
    order
}

/// Sends the records of one artifact set to `out`; `events` (the warnings of
/// reading it, see [`warning_events`]) go out last with the pass's own.
pub fn run_pass(
    cfg: &DbtConfig,
    artifacts: &Artifacts,
    mut events: Vec<Event>,
    out: &mut dyn Out,
) -> Result<PassSummary, Stopped> {
    let manifest = &artifacts.manifest;
    let mut summary = PassSummary::default();
    if cfg.pipeline.include_metrics {
        events.push(Event::warning(
            None,
            "includeMetrics",
            "dbt semantic-layer metrics are not ingested by omctl; includeMetrics has no effect",
        ));
    }

    let places = place_nodes(cfg, artifacts, &mut events);
    let tables: Vec<Table> = relation_nodes(artifacts)
        .filter_map(|node| match places.get(node.unique_id.as_str()) {
            Some(Place::Table(fqn)) => Some(Table {
                node,
                fqn,
                upstream: upstream_tables(manifest, &places, node, fqn),
            }),
            _ => None,
        })
        .collect();
    summary.tables = tables.len();
    summary.filtered = places.values().filter(|p| **p == Place::Filtered).count();

    // 1. Tags.
    let mut tags: BTreeSet<&str> = BTreeSet::new();
    for Table { node, .. } in &tables {
        tags.extend(kept_dbt_tags(cfg, &node.tags));
        for column in &node.columns {
            tags.extend(kept_dbt_tags(cfg, &column.tags));
        }
    }
    for record in tag_records(cfg, &tags, &mut events) {
        out.push(record)?;
    }

    // 2. Test definitions (planned with the test cases they serve).
    let quality = quality::plan(artifacts, &places, &mut events);
    for request in quality.definition_requests() {
        if let Ok(record) = Record::entity(
            EntityKind::TestDefinition,
            request.name.clone(),
            None,
            &request,
        ) {
            out.push(record)?;
        }
    }

    // 3. Table updates.
    for table in &tables {
        out.push(table_update(cfg, artifacts, table, &mut events))?;
    }

    // 4. Lineage, into each model before into its parents: the sink's read of
    // the edges into a table also tells it those into the parents.
    let mut column_lineage = ColumnLineageBuilder::new(cfg, artifacts, &places);
    for Table {
        node,
        fqn,
        upstream,
    } in descendants_first(&tables, |t| t.fqn, |t| &t.upstream)
    {
        if cfg.pipeline.override_lineage {
            out.push(reset(fqn))?;
        }
        if upstream.is_empty() {
            continue;
        }
        let sql = compiled_sql(node);
        let mut columns = column_lineage.for_model(node, fqn).unwrap_or_default();
        for parent_fqn in upstream {
            let pairs = columns.remove(parent_fqn).unwrap_or_default();
            out.push(table_edge(parent_fqn, fqn, sql, pairs))?;
            summary.lineage_edges += 1;
        }
    }
    events.extend(column_lineage.warning());
    summary.unresolved_columns = column_lineage.unresolved_columns;
    for exposure in manifest.exposures() {
        for record in exposure_edges(manifest, &places, exposure, &mut events) {
            out.push(record)?;
            summary.lineage_edges += 1;
        }
    }

    // 5. Test cases, then their results: consecutive test cases reach the server
    // together (the sink sends up to 100 in one request).
    let mut results = Vec::new();
    for case in quality.cases {
        let record = Record::entity(
            EntityKind::TestCase,
            case.fqn.clone(),
            Some(case.table_fqn.clone()),
            &case.request,
        );
        let Ok(record) = record else { continue };
        out.push(record)?;
        summary.test_cases += 1;
        if let Some(result) = case.result
            && let Ok(result) = serde_json::to_value(&result)
        {
            results.push(Record::TestCaseResult {
                test_case: case.fqn,
                result,
            });
        }
    }
    for result in results {
        out.push(result)?;
        summary.test_results += 1;
    }

    // 6. Events.
    summary.warnings = events
        .iter()
        .filter(|e| e.level == omctl_record::EventLevel::Warning)
        .count();
    for event in events {
        out.push(Record::Event(event))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::descendants_first;

    fn order(graph: &[(&str, &[&str])]) -> Vec<String> {
        let tables: Vec<(String, Vec<String>)> = graph
            .iter()
            .map(|(t, ups)| (t.to_string(), ups.iter().map(|u| u.to_string()).collect()))
            .collect();
        descendants_first(&tables, |t| &t.0, |t| &t.1)
            .into_iter()
            .map(|t| t.0.clone())
            .collect()
    }

    #[test]
    fn every_table_comes_before_its_parents() {
        // raw -> stg -> orders -> summary, raw -> customers -> summary; `ext` is
        // upstream but not a table of this pass.
        let graph: &[(&str, &[&str])] = &[
            ("raw", &[]),
            ("stg", &["raw"]),
            ("customers", &["raw", "ext"]),
            ("orders", &["stg", "customers"]),
            ("summary", &["orders", "customers", "summary"]),
            ("alone", &[]),
        ];
        let got = order(graph);
        assert_eq!(got.len(), graph.len());
        let at = |t: &str| got.iter().position(|g| g == t).unwrap();
        for (t, ups) in graph {
            for u in ups.iter().filter(|u| graph.iter().any(|(g, _)| g == *u)) {
                if u != t {
                    assert!(at(t) < at(u), "{t} before {u} in {got:?}");
                }
            }
        }
        // Independent tables keep their manifest order.
        assert_eq!(
            order(&[("a", &[]), ("b", &[]), ("c", &[])]),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn a_cycle_loses_no_table() {
        let got = order(&[("a", &["b"]), ("b", &["a"]), ("c", &["a"])]);
        // `c` goes first; `a` and `b` wait for each other and keep their order.
        assert_eq!(got, ["c", "a", "b"]);
    }
}

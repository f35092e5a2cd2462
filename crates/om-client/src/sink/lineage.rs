//! Lineage edges: ends resolved to ids, references in the details resolved by
//! name, external-table lineage from the storage container at a location, and
//! lineage resets.
//!
//! Edges onto tables another workflow wrote (a dbt workflow, [`LineageState::merge`])
//! take more care, because the run does not own those tables or the edges already
//! between them:
//!
//! * a table end is found through the resolver (case-insensitively, server
//!   spelling kept, columns known from its listing);
//! * the column FQNs of `columnsLineage` are rewritten to the server's spelling,
//!   and columns the table does not have are left out (one warning per edge);
//! * the stored edges into the target are read first, once per target and run
//!   (`GET /lineage/{type}/{id}?upstreamDepth=3&downstreamDepth=0`, which also
//!   answers for its parents and grandparents, see `incoming_edges`): when the
//!   stored edge already has everything the record says, nothing is sent (counted
//!   as a record, like an entity written unchanged); otherwise the column lineage
//!   of both is merged and the edge written (and kept as the stored one). An edge
//!   into a target reset in this run is written without that read: the reset left
//!   nothing to merge with.
//!
//! A reset (`DELETE /lineage/{type}/{id}/type/{source}`) runs once per target and
//! source; edges into the target recorded after it wait for it (see
//! [`reset_key`]), so it never removes an edge the run wrote.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use om_spec::fqn;
use omctl_record::{EntityKind, EntityRef};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::resolve::{ReadOnce, TableState, column_indices, columns_of, columns_of_nested};
use super::work::{Outcome, Shared, lock};
use crate::client::{Include, entity_reference};
use crate::error::ClientError;

/// The key a lineage reset of `to` registers while it runs: lineage records into
/// `to` depend on it, so that they wait for a reset admitted before them.
pub(crate) fn reset_key(to: &EntityRef) -> String {
    format!("lineage-reset:{}:{}", to.kind, to.fqn)
}

/// The details of the stored edges into one entity, by the id of their start.
type IncomingEdges = Mutex<HashMap<String, Map<String, Value>>>;

/// Lineage bookkeeping of one run.
#[derive(Default)]
pub(crate) struct LineageState {
    /// Edges are laid onto entities another workflow wrote (a dbt workflow): see
    /// the module documentation.
    pub merge: bool,
    /// The targets reset in this run: (kind, FQN as the record spells it, source).
    /// One entry per reset target (a dbt model), so it stays small.
    reset: Mutex<HashSet<(EntityKind, String, String)>>,
    /// The stored edges into each target of merged lineage, by its id, read once
    /// (or learnt from the read of a descendant); an edge written in this run
    /// replaces its entry.
    incoming: ReadOnce<IncomingEdges>,
}

impl LineageState {
    pub fn new(merge: bool) -> LineageState {
        LineageState {
            merge,
            ..LineageState::default()
        }
    }

    fn was_reset(&self, to: &EntityRef, source: &str) -> bool {
        lock(&self.reset).contains(&(to.kind, to.fqn.clone(), source.to_string()))
    }
}

/// A lineage end found on the server.
struct FoundEnd {
    id: String,
    /// The FQN in the server's spelling.
    fqn: String,
    /// The table, with its columns; `None` when not a table (column FQNs are
    /// then kept as they are).
    table: Option<Arc<TableState>>,
}

/// Server-managed properties of stored lineage details, left for the server to set.
const SERVER_MANAGED_DETAILS: &[&str] = &["createdAt", "createdBy", "updatedAt", "updatedBy"];

/// A storage container found at a location, for external-table lineage.
#[derive(Debug, Clone)]
pub(crate) struct FoundContainer {
    id: String,
    /// Its `dataModel` columns: (lower-cased displayName, lower-cased name, FQN).
    columns: Vec<(Option<String>, String, String)>,
}

/// Containers by location (`None`: no container there), bounded like [`IdCache`].
#[derive(Debug, Default)]
pub(crate) struct ContainerCache {
    by_path: HashMap<String, Option<FoundContainer>>,
}

impl ContainerCache {
    const CAPACITY: usize = 4096;

    fn insert(&mut self, path: &str, found: Option<FoundContainer>) {
        if self.by_path.len() >= Self::CAPACITY {
            self.by_path.clear();
        }
        self.by_path.insert(path.to_string(), found);
    }

    fn get(&self, path: &str) -> Option<Option<FoundContainer>> {
        self.by_path.get(path).cloned()
    }
}

/// The paths under which a container may store a location, in the order
/// OpenMetadata tries them: canonical (scheme lower-cased, `s3a`/`s3n` as `s3`,
/// one trailing `/` dropped), canonical with a trailing `/`, then as given. A bare
/// scheme has none.
pub(crate) fn container_lookup_paths(location: &str) -> Vec<String> {
    let Some((scheme, rest)) = location.split_once("://") else {
        return Vec::new();
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "s3a" | "s3n" => "s3".to_string(),
        s => s.to_string(),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if scheme.is_empty() || rest.is_empty() {
        return Vec::new();
    }
    let canonical = format!("{scheme}://{rest}");
    let mut paths = vec![format!("{canonical}/"), location.to_string()];
    paths.insert(0, canonical);
    let mut unique = Vec::with_capacity(paths.len());
    for p in paths {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    unique
}

/// The columns of a container's `dataModel`.
fn data_model_columns(container: &Value) -> Vec<(Option<String>, String, String)> {
    container["dataModel"]["columns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            Some((
                c.get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase),
                c.get("name")?.as_str()?.to_lowercase(),
                c.get("fullyQualifiedName")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Column lineage of an external table: each table column fed by the container
/// column whose displayName, else name, equals its name ignoring case.
fn external_column_lineage(container: &FoundContainer, table_columns: &[Value]) -> Vec<Value> {
    table_columns
        .iter()
        .filter_map(|col| {
            let name = col.get("name")?.as_str()?.to_lowercase();
            let to = col.get("fullyQualifiedName")?.as_str()?;
            let from = container
                .columns
                .iter()
                .find(|(display, n, _)| display.as_deref() == Some(name.as_str()) || *n == name)?;
            Some(json!({"fromColumns": [from.2], "toColumn": to}))
        })
        .collect()
}

impl Shared {
    /// The id of an entity by kind and FQN: from the cache, else `GET .../name/`.
    async fn resolve(&self, r: &EntityRef) -> Result<Option<String>, ClientError> {
        if let Some(id) = lock(&self.ids).get(r.kind, &r.fqn) {
            return Ok(Some(id));
        }
        let found = self
            .client
            .get_by_name(r.kind, &r.fqn, None, Include::NonDeleted)
            .await?;
        Ok(found.and_then(|e| {
            let id = e.get("id")?.as_str()?.to_string();
            lock(&self.ids).insert(r.kind, &r.fqn, &id);
            Some(id)
        }))
    }

    /// `{id, type}` for an entity a lineage edge names. When there is none, the
    /// outcome of the edge: a warning naming `what` when the entity is not on the
    /// server, a failure when the lookup failed.
    async fn lineage_reference(
        &self,
        r: &EntityRef,
        subject: &str,
        what: &str,
    ) -> Result<Value, Outcome> {
        let id = self.found_or_skip(self.resolve(r).await, subject, what)?;
        Ok(entity_reference(r.kind.as_str(), &id))
    }

    /// What a lookup of an entity the edge `subject` names found, or the outcome
    /// of the edge: a warning naming `what` when the server does not have it, a
    /// failure when the lookup failed.
    #[expect(
        clippy::result_large_err,
        reason = "the outcome is handed straight back as the edge's result, like the async lookups around it"
    )]
    fn found_or_skip<T>(
        &self,
        found: Result<Option<T>, ClientError>,
        subject: &str,
        what: &str,
    ) -> Result<T, Outcome> {
        match found {
            Ok(Some(t)) => Ok(t),
            Ok(None) => {
                lock(&self.summary).warn(
                    subject,
                    format!("{subject} skipped: {what} is not on the server"),
                );
                Err(Outcome::default())
            }
            Err(e) if e.is_fatal() => Err(Outcome::fatal(e)),
            Err(e) => {
                lock(&self.summary).fail(subject, e.to_string());
                Err(Outcome::default())
            }
        }
    }

    /// The container whose `fullPath` is one of the lookup paths of `location`,
    /// cached per location.
    async fn container_at(&self, location: &str) -> Result<Option<FoundContainer>, ClientError> {
        if let Some(found) = lock(&self.containers).get(location) {
            return Ok(found);
        }
        let mut found = None;
        for path in container_lookup_paths(location) {
            let Some(hit) = self
                .client
                .search_containers_by_path(&path)
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            let (Some(id), Some(fqn)) = (
                hit.get("id").and_then(Value::as_str),
                hit.get("fullyQualifiedName").and_then(Value::as_str),
            ) else {
                continue;
            };
            // Search documents may leave the data model out: read it then.
            let columns = if hit.get("dataModel").is_some() {
                data_model_columns(&hit)
            } else {
                self.client
                    .get_by_name(
                        EntityKind::Container,
                        fqn,
                        Some("dataModel"),
                        Include::NonDeleted,
                    )
                    .await?
                    .map(|c| data_model_columns(&c))
                    .unwrap_or_default()
            };
            found = Some(FoundContainer {
                id: id.to_string(),
                columns,
            });
            break;
        }
        lock(&self.containers).insert(location, found.clone());
        Ok(found)
    }

    /// Lineage from the storage container at a table's location (`from.fqn` is the
    /// location, not an FQN). No container there: skipped quietly, as most
    /// locations were never ingested as containers.
    async fn external_table_lineage(
        &self,
        location: &str,
        table: &EntityRef,
        details: Option<Value>,
        subject: &str,
    ) -> Outcome {
        // Reads only: under dry run too, an edge counts only with its container.
        let container = match self.container_at(location).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                tracing::debug!("{subject} skipped: no container has the fullPath {location}");
                self.unlinked_locations.fetch_add(1, Ordering::Relaxed);
                return Outcome::default();
            }
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(subject, e.to_string());
                return Outcome::default();
            }
        };
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        let what = format!("{} {}", table.kind, table.fqn);
        let (table_ref, column_lineage) = if container.columns.is_empty() {
            match self.lineage_reference(table, subject, &what).await {
                Ok(r) => (r, Vec::new()),
                Err(outcome) => return outcome,
            }
        } else {
            // The columns are needed to pair them with the container's.
            let found = self
                .client
                .get_by_name(table.kind, &table.fqn, Some("columns"), Include::NonDeleted)
                .await;
            let t = match self.found_or_skip(found, subject, &what) {
                Ok(t) => t,
                Err(outcome) => return outcome,
            };
            let Some(id) = t.get("id").and_then(Value::as_str) else {
                lock(&self.summary).fail(subject, format!("{what} has no id"));
                return Outcome::default();
            };
            (
                entity_reference(table.kind.as_str(), id),
                external_column_lineage(&container, columns_of(&t)),
            )
        };
        let mut lineage_details = match details {
            Some(Value::Object(d)) => d,
            _ => serde_json::Map::new(),
        };
        lineage_details.insert("source".into(), json!("ExternalTableLineage"));
        if !column_lineage.is_empty() {
            lineage_details.insert("columnsLineage".into(), Value::Array(column_lineage));
        }
        let edge = json!({
            "fromEntity": entity_reference(EntityKind::Container.as_str(), &container.id),
            "toEntity": table_ref,
            "lineageDetails": lineage_details,
        });
        self.send_lineage(edge, subject).await
    }

    pub(super) async fn lineage(
        &self,
        from: EntityRef,
        to: EntityRef,
        details: Option<Value>,
    ) -> Outcome {
        let subject = format!("lineage {} -> {}", from.fqn, to.fqn);
        if from.kind == EntityKind::Container && from.fqn.contains("://") {
            return self
                .external_table_lineage(&from.fqn, &to, details, &subject)
                .await;
        }
        if self.dry_run {
            lock(&self.summary).records += 1;
            return Outcome::default();
        }
        if self.lineage_state.merge {
            return self.merged_lineage(from, to, details, &subject).await;
        }
        let mut ends = Vec::new();
        for end in [&from, &to] {
            let what = format!("{} {}", end.kind, end.fqn);
            match self.lineage_reference(end, &subject, &what).await {
                Ok(r) => ends.push(r),
                Err(outcome) => return outcome,
            }
        }
        let mut details = details;
        if let Err(outcome) = self.resolve_detail_references(&mut details, &subject).await {
            return outcome;
        }
        let mut edge = json!({"fromEntity": ends[0], "toEntity": ends[1]});
        if let Some(d) = details {
            edge["lineageDetails"] = d;
        }
        self.send_lineage(edge, &subject).await
    }

    /// Replaces the references in an edge's details (the pipeline of a pipeline
    /// edge), which arrive as `{type, fqn}`, by the `{id, type}` the server wants.
    async fn resolve_detail_references(
        &self,
        details: &mut Option<Value>,
        subject: &str,
    ) -> Result<(), Outcome> {
        if let Some(Value::Object(d)) = details.as_mut() {
            for (field, v) in d.iter_mut() {
                let Some(r) = entity_ref_by_name(v) else {
                    continue;
                };
                let what = format!("its {field} {}", r.fqn);
                *v = self.lineage_reference(&r, subject, &what).await?;
            }
        }
        Ok(())
    }

    /// `PUT /lineage` of one edge with resolved ends.
    async fn send_lineage(&self, edge: Value, subject: &str) -> Outcome {
        self.send_lineage_reporting(edge, subject).await.0
    }

    /// [`Shared::send_lineage`], also saying whether the server took the edge.
    async fn send_lineage_reporting(&self, edge: Value, subject: &str) -> (Outcome, bool) {
        match self
            .client
            .add_lineage(&json!({"edge": edge}), subject)
            .await
        {
            Ok(()) => {
                lock(&self.summary).records += 1;
                return (Outcome::default(), true);
            }
            Err(e) if e.is_fatal() => return (Outcome::fatal(e), false),
            Err(e) if e.status() == Some(404) => lock(&self.summary).warn(
                subject,
                format!("{subject} skipped: {}", e.server_message()),
            ),
            Err(e) => lock(&self.summary).fail(subject, e.to_string()),
        }
        (Outcome::default(), false)
    }
}

impl Shared {
    /// Removes the edges into `to` whose source is `source`, once per target in a
    /// run; a target the server does not have has none. Always settles its key:
    /// edges waiting for it are written even when the removal failed (that failure
    /// is reported on its own).
    pub(super) async fn lineage_reset(&self, to: EntityRef, source: String) -> Outcome {
        let key = reset_key(&to);
        let subject = format!("{source} lineage into {}", to.fqn);
        let first =
            lock(&self.lineage_state.reset).insert((to.kind, to.fqn.clone(), source.clone()));
        if !first {
            return Outcome::one(key, Ok(()));
        }
        if self.dry_run {
            tracing::info!(
                "dry run: would remove the {source} lineage into {} {}",
                to.kind,
                to.fqn
            );
            lock(&self.summary).records += 1;
            return Outcome::one(key, Ok(()));
        }
        let end = match self.find_end(&to).await {
            Ok(Some(end)) => end,
            Ok(None) => {
                // The edges into it report it missing.
                tracing::debug!(
                    "{subject}: nothing to remove, {} {} is not on the server",
                    to.kind,
                    to.fqn
                );
                return Outcome::one(key, Ok(()));
            }
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(
                    subject,
                    format!(
                        "the earlier {source} lineage into {} {} was not removed: {e}",
                        to.kind, to.fqn
                    ),
                );
                return Outcome::one(key, Ok(()));
            }
        };
        let path = format!(
            "lineage/{}/{}/type/{}",
            to.kind,
            fqn::encode_path_segment(&end.id),
            fqn::encode_path_segment(&source)
        );
        match self
            .client
            .call(Method::DELETE, &path, &[], None, Some(&subject))
            .await
        {
            Ok(_) => {
                tracing::info!(
                    "removed the earlier {source} lineage into {} {}",
                    to.kind,
                    end.fqn
                );
                lock(&self.summary).records += 1;
            }
            Err(e) if e.is_fatal() => return Outcome::fatal(e),
            Err(e) => lock(&self.summary).fail(
                subject,
                format!(
                    "the earlier {source} lineage into {} {} was not removed: {e}",
                    to.kind, end.fqn
                ),
            ),
        }
        Outcome::one(key, Ok(()))
    }

    /// A lineage end on the server: a table through the resolver (ignoring case,
    /// with its columns), other kinds by exact name.
    async fn find_end(&self, r: &EntityRef) -> Result<Option<FoundEnd>, ClientError> {
        if r.kind != EntityKind::Table {
            return Ok(self.resolve(r).await?.map(|id| FoundEnd {
                id,
                fqn: r.fqn.clone(),
                table: None,
            }));
        }
        Ok(self.find_table(&r.fqn).await?.map(|t| FoundEnd {
            id: t.id.clone(),
            fqn: t.fqn.clone(),
            table: Some(t),
        }))
    }

    /// [`Shared::find_end`], or the outcome of the edge when the end is missing
    /// (a not-found warning) or the lookup failed.
    async fn edge_end(&self, r: &EntityRef, subject: &str) -> Result<FoundEnd, Outcome> {
        match self.find_end(r).await {
            // A table gets the not-found warning that says how to fix the names.
            Ok(None) if r.kind == EntityKind::Table => {
                self.table_not_found(&r.fqn, subject);
                Err(Outcome::default())
            }
            found => self.found_or_skip(found, subject, &format!("{} {}", r.kind, r.fqn)),
        }
    }

    /// An edge onto entities another workflow wrote (see the module documentation).
    async fn merged_lineage(
        &self,
        from: EntityRef,
        to: EntityRef,
        details: Option<Value>,
        subject: &str,
    ) -> Outcome {
        let from_end = match self.edge_end(&from, subject).await {
            Ok(end) => end,
            Err(outcome) => return outcome,
        };
        let to_end = match self.edge_end(&to, subject).await {
            Ok(end) => end,
            Err(outcome) => return outcome,
        };
        let mut details = details;
        if let Err(outcome) = self.resolve_detail_references(&mut details, subject).await {
            return outcome;
        }
        let mut details = match details {
            Some(Value::Object(d)) => d,
            _ => Map::new(),
        };
        let dropped = rewrite_column_lineage(
            &mut details,
            &[(from.fqn.as_str(), &from_end), (to.fqn.as_str(), &to_end)],
        );
        if !dropped.is_empty() {
            lock(&self.summary).warn(
                subject,
                format!(
                    "{subject}: {} column(s) not found on the server were left out of its column lineage: {}",
                    dropped.len(),
                    dropped.join(", ")
                ),
            );
        }
        let reset = details
            .get("source")
            .and_then(Value::as_str)
            .is_some_and(|source| self.lineage_state.was_reset(&to, source));
        let incoming = if reset {
            None
        } else {
            match self.incoming_edges(to.kind, &to_end.id, subject).await {
                Ok(incoming) => Some(incoming),
                Err(e) if e.is_fatal() => return Outcome::fatal(e),
                Err(e) => {
                    lock(&self.summary).fail(subject, e.to_string());
                    return Outcome::default();
                }
            }
        };
        if let Some(incoming) = &incoming {
            let stored = lock(incoming).get(&from_end.id).cloned();
            if let Some(stored) = stored {
                if covers(&stored, &details) {
                    tracing::debug!("{subject}: the server has this edge already");
                    lock(&self.summary).records += 1;
                    return Outcome::default();
                }
                details = merge_details(stored, details);
            }
        }
        let mut edge = json!({
            "fromEntity": entity_reference(from.kind.as_str(), &from_end.id),
            "toEntity": entity_reference(to.kind.as_str(), &to_end.id),
        });
        // What the server holds once the edge is written, for a later record of
        // the same edge (not needed after a reset).
        let kept = incoming.as_ref().map(|_| details.clone());
        if !details.is_empty() {
            edge["lineageDetails"] = Value::Object(details);
        }
        let (outcome, sent) = self.send_lineage_reporting(edge, subject).await;
        if let (Some(incoming), Some(details)) = (incoming, kept)
            && sent
        {
            lock(&incoming).insert(from_end.id, details);
        }
        outcome
    }

    /// The stored edges into `kind` `id`, read once per target: `GET
    /// /lineage/{kind}/{id}?upstreamDepth=3&downstreamDepth=0` answers them and
    /// the edges into its parents and grandparents too, which are kept for those
    /// (a dbt plugin sends the edges into a model before those into its parents,
    /// so most parents need no read of their own). An entity the server does not
    /// have has none.
    async fn incoming_edges(
        &self,
        kind: EntityKind,
        id: &str,
        subject: &str,
    ) -> Result<Arc<IncomingEdges>, ClientError> {
        let state = &self.lineage_state;
        state
            .incoming
            .get_or_read(id, || async {
                let path = format!("lineage/{kind}/{}", fqn::encode_path_segment(id));
                let depth = LINEAGE_READ_DEPTH.to_string();
                let answer = match self
                    .client
                    .call(
                        Method::GET,
                        &path,
                        &[("upstreamDepth", &depth), ("downstreamDepth", "0")],
                        None,
                        Some(subject),
                    )
                    .await
                {
                    Ok(a) => a.body,
                    Err(e) if e.status() == Some(404) => Value::Null,
                    Err(e) => return Err(e),
                };
                let mut covered = incoming_by_entity(id, &answer, LINEAGE_READ_DEPTH);
                let own = covered.remove(id).unwrap_or_default();
                for (other, edges) in covered {
                    state.incoming.offer(&other, Mutex::new(edges));
                }
                Ok(Mutex::new(own))
            })
            .await
    }
}

/// How deep one read of the edges into an entity goes: the server's maximum.
const LINEAGE_READ_DEPTH: usize = 3;

/// Stored edges into each entity: by its id, the details by the start's id.
type IncomingByEntity = HashMap<String, HashMap<String, Map<String, Value>>>;

/// From the answer to an upstream read of `root` at `depth`: the incoming edges
/// (details by start id) of every entity the answer covers completely, that is
/// every entity fewer than `depth` edges above `root` (the server walks every
/// path, so an entity is covered when its shortest path is that short), `root`
/// included.
fn incoming_by_entity(root: &str, answer: &Value, depth: usize) -> IncomingByEntity {
    let edges: Vec<(&str, &str, Map<String, Value>)> = answer
        .get("upstreamEdges")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let from = e.get("fromEntity").and_then(edge_end_id)?;
            let to = e.get("toEntity").and_then(edge_end_id)?;
            let details = match e.get("lineageDetails") {
                Some(Value::Object(d)) => d.clone(),
                _ => Map::new(),
            };
            Some((from, to, details))
        })
        .collect();
    // Shortest distance above the root, walking edges backwards.
    let mut distance: HashMap<&str, usize> = HashMap::from([(root, 0)]);
    let mut frontier = vec![root];
    for level in 1..depth {
        let mut next = Vec::new();
        for (from, to, _) in &edges {
            if frontier.contains(to) && !distance.contains_key(from) {
                distance.insert(from, level);
                next.push(*from);
            }
        }
        frontier = next;
    }
    let mut covered: IncomingByEntity = distance
        .keys()
        .map(|id| (id.to_string(), HashMap::new()))
        .collect();
    for (from, to, details) in edges {
        if let Some(into) = covered.get_mut(to) {
            into.insert(from.to_string(), details);
        }
    }
    covered
}

/// The id of an edge's end in a lineage graph: an id, or a reference with one.
fn edge_end_id(end: &Value) -> Option<&str> {
    end.as_str()
        .or_else(|| end.get("id").and_then(Value::as_str))
}

/// The column a name or dotted path names among `columns`, with the columns
/// leading to it (a nested column's parents first); see [`column_indices`].
pub(super) fn find_column<'a>(columns: &'a [Value], path: &str) -> Option<Vec<&'a Value>> {
    let mut level = columns;
    let mut chain = Vec::new();
    for i in column_indices(columns, path)? {
        let c = &level[i];
        chain.push(c);
        level = columns_of_nested(c);
    }
    Some(chain)
}

/// The FQN of the column `chain` ends with, in the server's spelling: as the
/// server gave it, else built under the table's FQN.
pub(super) fn column_fqn(table_fqn: &str, chain: &[&Value]) -> Option<String> {
    if let Some(f) = chain
        .last()?
        .get("fullyQualifiedName")
        .and_then(Value::as_str)
    {
        return Some(f.to_string());
    }
    let mut out = table_fqn.to_string();
    for c in chain {
        out.push('.');
        out.push_str(&fqn::quote_name(c.get("name")?.as_str()?).ok()?);
    }
    Some(out)
}

/// Rewrites the column FQNs of `details.columnsLineage` to the server's spelling.
/// `ends` pairs the table FQN the record used with the end found for it. Column
/// FQNs under neither end, or naming a column the table lacks, are left out; an
/// entry left without a from-column or without its to-column goes. Returns the
/// column FQNs left out.
fn rewrite_column_lineage(
    details: &mut Map<String, Value>,
    ends: &[(&str, &FoundEnd)],
) -> Vec<String> {
    let Some(Value::Array(entries)) = details.get_mut("columnsLineage") else {
        return Vec::new();
    };
    let mut dropped = Vec::new();
    let mut rewrite = |column: &str| -> Option<String> {
        let found = ends.iter().find_map(|(record_fqn, end)| {
            let rest = column.strip_prefix(record_fqn)?.strip_prefix('.')?;
            match &end.table {
                None => Some(format!("{}.{rest}", end.fqn)),
                Some(t) => column_fqn(&end.fqn, &find_column(columns_of(&t.entity), rest)?),
            }
        });
        if found.is_none() {
            dropped.push(column.to_string());
        }
        found
    };
    entries.retain_mut(|entry| {
        let Some(to) = entry
            .get("toColumn")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return false;
        };
        let Some(to) = rewrite(&to) else {
            return false;
        };
        let from: Vec<Value> = entry
            .get("fromColumns")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .filter_map(&mut rewrite)
            .map(Value::String)
            .collect();
        if from.is_empty() {
            return false;
        }
        entry["toColumn"] = Value::String(to);
        entry["fromColumns"] = Value::Array(from);
        true
    });
    if entries.is_empty() {
        details.remove("columnsLineage");
    }
    dropped
}

/// Whether the stored details already say everything `ours` says: the same value
/// for each property (entity references compared by id), and for each column
/// entry one with the same to-column and at least its from-columns.
fn covers(stored: &Map<String, Value>, ours: &Map<String, Value>) -> bool {
    ours.iter().all(|(k, v)| match (k.as_str(), stored.get(k)) {
        ("columnsLineage", Some(s)) => column_entries(v).iter().all(|(to, from)| {
            column_entries(s)
                .iter()
                .any(|(sto, sfrom)| sto == to && from.iter().all(|f| sfrom.contains(f)))
        }),
        (_, Some(s)) => same_value(s, v),
        (_, None) => v.is_null(),
    })
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("id"), b.get("id")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// (toColumn, fromColumns) of each entry of a `columnsLineage` value.
fn column_entries(v: &Value) -> Vec<(&str, Vec<&str>)> {
    v.as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let to = e.get("toColumn")?.as_str()?;
            let from = e
                .get("fromColumns")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            Some((to, from))
        })
        .collect()
}

/// The stored details updated with ours: our properties win, column lineage is
/// the union of both (from-columns of the same to-column joined).
fn merge_details(stored: Map<String, Value>, ours: Map<String, Value>) -> Map<String, Value> {
    let mut columns: Vec<Value> = stored
        .get("columnsLineage")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut merged: Map<String, Value> = stored
        .into_iter()
        .filter(|(k, _)| !SERVER_MANAGED_DETAILS.contains(&k.as_str()))
        .collect();
    for (k, v) in ours {
        if k != "columnsLineage" {
            merged.insert(k, v);
            continue;
        }
        for entry in v.as_array().cloned().unwrap_or_default() {
            let to = entry.get("toColumn").cloned();
            match columns
                .iter_mut()
                .find(|c| c.get("toColumn") == to.as_ref())
            {
                Some(existing) => {
                    let mut from = existing
                        .get("fromColumns")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for f in entry
                        .get("fromColumns")
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                    {
                        if !from.contains(f) {
                            from.push(f.clone());
                        }
                    }
                    existing["fromColumns"] = Value::Array(from);
                }
                None => columns.push(entry),
            }
        }
    }
    if !columns.is_empty() {
        merged.insert("columnsLineage".into(), Value::Array(columns));
    }
    merged
}

/// `{"type": "pipeline", "fqn": "svc.p"}` as an entity named by FQN.
fn entity_ref_by_name(v: &Value) -> Option<EntityRef> {
    let obj = v.as_object()?;
    if obj.contains_key("id") {
        return None;
    }
    let fqn = obj.get("fqn")?.as_str()?;
    let kind: EntityKind = serde_json::from_value(obj.get("type")?.clone()).ok()?;
    Some(EntityRef::new(kind, fqn))
}

/// The FQN a lineage record's details wait for (its pipeline).
pub(crate) fn detail_dependencies(details: Option<&Value>) -> Vec<String> {
    details
        .and_then(Value::as_object)
        .map(|d| {
            d.values()
                .filter_map(entity_ref_by_name)
                .map(|r| r.fqn)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_read_covers_the_entities_less_deep_than_it() {
        // d <- c <- b <- a, and d <- x; read from d at depth 3 (the server sends
        // the edges into d, c, b and x).
        let edge = |from: &str, to: &str| json!({"fromEntity": from, "toEntity": to, "lineageDetails": {"source": "DbtLineage", "from": from}});
        let answer = json!({"upstreamEdges": [
            edge("c", "d"), edge("x", "d"), edge("b", "c"), edge("a", "b"),
        ]});
        let covered = incoming_by_entity("d", &answer, 3);
        let mut ids: Vec<&str> = covered.keys().map(String::as_str).collect();
        ids.sort_unstable();
        // a is three levels up: the edges into it were not read.
        assert_eq!(ids, ["b", "c", "d", "x"]);
        let starts = |id: &str| {
            let mut s: Vec<&str> = covered[id].keys().map(String::as_str).collect();
            s.sort_unstable();
            s
        };
        assert_eq!(starts("d"), ["c", "x"]);
        assert_eq!(starts("c"), ["b"]);
        assert_eq!(starts("b"), ["a"]);
        assert!(starts("x").is_empty());
        assert_eq!(covered["b"]["a"]["from"], json!("a"));
        // Nothing on the server: only the entity read is known.
        let empty = incoming_by_entity("d", &json!({}), 3);
        assert_eq!(empty.len(), 1);
        assert!(empty["d"].is_empty());
    }

    #[test]
    fn columns_match_by_exact_then_case_insensitive_name_and_nested_path() {
        let columns = json!([
            {"name": "Id", "fullyQualifiedName": "s.d.c.T.Id"},
            {"name": "id"},
            {"name": "a.b"},
            {"name": "Address", "children": [{"name": "City"}]}
        ]);
        let cols = columns.as_array().unwrap();
        let name = |path: &str| {
            find_column(cols, path).map(|chain| {
                chain
                    .iter()
                    .map(|c| c["name"].as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("/")
            })
        };
        assert_eq!(name("id").as_deref(), Some("id"));
        assert_eq!(name("ID").as_deref(), Some("Id"));
        assert_eq!(name("A.B").as_deref(), Some("a.b"));
        assert_eq!(name("\"a.b\"").as_deref(), Some("a.b"));
        assert_eq!(name("address.city").as_deref(), Some("Address/City"));
        assert_eq!(name("address.town"), None);
        let chain = find_column(cols, "ID").unwrap();
        assert_eq!(column_fqn("x", &chain).as_deref(), Some("s.d.c.T.Id"));
        let chain = find_column(cols, "a.b").unwrap();
        assert_eq!(
            column_fqn("s.d.c.T", &chain).as_deref(),
            Some("s.d.c.T.\"a.b\"")
        );
    }

    #[test]
    fn stored_details_cover_ours_or_merge_with_them() {
        let details = |v: Value| v.as_object().unwrap().clone();
        let stored = details(json!({
            "source": "DbtLineage",
            "sqlQuery": "select 1",
            "createdBy": "admin",
            "columnsLineage": [{"fromColumns": ["a.x", "a.y"], "toColumn": "b.x"}]
        }));
        let ours = details(json!({
            "source": "DbtLineage",
            "sqlQuery": "select 1",
            "columnsLineage": [{"fromColumns": ["a.y"], "toColumn": "b.x"}]
        }));
        assert!(covers(&stored, &ours));
        let mut changed = ours.clone();
        changed.insert("sqlQuery".into(), json!("select 2"));
        assert!(!covers(&stored, &changed));
        let more = details(json!({
            "source": "DbtLineage",
            "columnsLineage": [
                {"fromColumns": ["a.z"], "toColumn": "b.x"},
                {"fromColumns": ["a.w"], "toColumn": "b.w"}
            ]
        }));
        assert!(!covers(&stored, &more));
        assert_eq!(
            Value::Object(merge_details(stored, more)),
            json!({
                "source": "DbtLineage",
                "sqlQuery": "select 1",
                "columnsLineage": [
                    {"fromColumns": ["a.x", "a.y", "a.z"], "toColumn": "b.x"},
                    {"fromColumns": ["a.w"], "toColumn": "b.w"}
                ]
            })
        );
    }

    #[test]
    fn container_paths_are_canonical_then_slashed_then_raw() {
        assert_eq!(
            container_lookup_paths("S3A://b/p/"),
            ["s3://b/p", "s3://b/p/", "S3A://b/p/"]
        );
        assert_eq!(
            container_lookup_paths("s3://b/p"),
            ["s3://b/p", "s3://b/p/"]
        );
        assert!(container_lookup_paths("s3://").is_empty());
        assert!(container_lookup_paths("/local/path").is_empty());
    }
}

//! Upstream nodes of a node, with ephemeral models resolved through.

use std::collections::{HashMap, HashSet};

use crate::manifest::{Manifest, Node};

/// The parents of a node that have a relation, and the parent ids the manifest
/// does not hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Upstream<'a> {
    /// In `depends_on` order (an ephemeral parent's own parents take its place),
    /// each once, never the node itself.
    pub nodes: Vec<&'a Node>,
    /// `depends_on` entries (direct, or of an ephemeral parent) that are not in
    /// the manifest's nodes or sources: disabled nodes, metrics, semantic models.
    pub missing: Vec<&'a str>,
}

impl Manifest {
    /// The upstream of `node` for lineage: `depends_on.nodes`, where an ephemeral
    /// model (no table of its own: dbt inlines it as a CTE) is replaced by its own
    /// parents, recursively. The node itself is never its own upstream, and a
    /// cycle through ephemeral models ends rather than loops.
    pub fn upstream<'a>(&'a self, node: &'a Node) -> Upstream<'a> {
        let mut out = Upstream::default();
        let mut seen: HashSet<&str> = HashSet::new();
        seen.insert(node.unique_id.as_str());
        // Depth-first, in order: a stack of id iterators.
        let mut stack = vec![node.depends_on.iter()];
        while let Some(ids) = stack.last_mut() {
            let Some(id) = ids.next() else {
                stack.pop();
                continue;
            };
            if !seen.insert(id.as_str()) {
                continue;
            }
            match self.get(id) {
                None => out.missing.push(id),
                Some(parent) if parent.is_ephemeral() => stack.push(parent.depends_on.iter()),
                Some(parent) => out.nodes.push(parent),
            }
        }
        out
    }
}

/// Nodes by where they live, for resolving a table named in SQL (or found in the
/// warehouse) back to its dbt node. Names compare ignoring ASCII case, as the
/// warehouses dbt runs on do for unquoted names.
#[derive(Debug, Clone)]
pub struct RelationIndex<'a> {
    by_name: HashMap<(String, String), Vec<&'a Node>>,
}

impl<'a> RelationIndex<'a> {
    /// The node whose relation is `schema.identifier` — a source by its
    /// `identifier` (else its name), a model by its alias (else its name) — in
    /// `database` when given. `None` when there is none, or several and the
    /// database does not tell them apart.
    pub fn find(&self, database: Option<&str>, schema: &str, identifier: &str) -> Option<&'a Node> {
        let candidates = self
            .by_name
            .get(&(schema.to_ascii_lowercase(), identifier.to_ascii_lowercase()))?;
        let mut matching = candidates
            .iter()
            .filter(|n| match (database, n.relation().database) {
                (Some(wanted), Some(db)) => wanted.eq_ignore_ascii_case(db),
                _ => true,
            });
        let first = matching.next()?;
        matching.next().is_none().then_some(*first)
    }
}

impl Manifest {
    /// An index of the nodes that have a relation ([`Node::has_relation`]) by
    /// schema and table name.
    pub fn relation_index(&self) -> RelationIndex<'_> {
        let mut by_name: HashMap<(String, String), Vec<&Node>> = HashMap::new();
        for node in self.nodes().iter().chain(self.sources()) {
            if !node.has_relation() {
                continue;
            }
            let rel = node.relation();
            let Some(schema) = rel.schema else { continue };
            by_name
                .entry((
                    schema.to_ascii_lowercase(),
                    rel.identifier.to_ascii_lowercase(),
                ))
                .or_default()
                .push(node);
        }
        RelationIndex { by_name }
    }
}

//! `manifest.json`, schema v1–v12 and v20, read into one layout.
//!
//! Only `metadata`, `nodes`, `sources`, `exposures` and `unit_tests` are read; the
//! rest (macros, docs, parent/child maps, disabled nodes, …) is skipped without
//! being built. Nodes are read one at a time, so one that lacks `name`, `schema` or
//! `resource_type` becomes a warning naming its `unique_id` and the others go on.

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::common::{FreshnessCriteria, RawMetadata, not_an_object};
use crate::de::{
    LooseString, Meta, loose_string, merge_meta, nullable, string_list, union, via_str,
};
use crate::error::{ArtifactKind, Error, Parsed, Warning};
use crate::stream::JsonStream;
use crate::version;

/// A dbt manifest: the nodes (models, seeds, snapshots, tests, analyses, …), the
/// sources, exposures and unit tests of a project, each list in `unique_id` order.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The path or URL it was read from.
    pub file: String,
    pub metadata: ManifestMetadata,
    nodes: Vec<Node>,
    sources: Vec<Node>,
    exposures: Vec<Exposure>,
    unit_tests: Vec<UnitTest>,
}

/// `metadata` of a manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManifestMetadata {
    /// `dbt_schema_version` as written (`https://schemas.getdbt.com/dbt/manifest/v12.json`).
    pub dbt_schema_version: Option<String>,
    /// Its number (`12`), when it has the usual form.
    pub schema_version: Option<u32>,
    pub dbt_version: Option<String>,
    /// When dbt wrote the manifest (RFC 3339).
    pub generated_at: Option<String>,
    pub invocation_id: Option<String>,
    /// The root project's name (manifest v10 and later; older ones have only
    /// `project_id`, a hash of it).
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    /// The dbt adapter (`athena`, `glue`, `duckdb`, …).
    pub adapter_type: Option<String>,
}

/// What kind of node a node is (`resource_type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Model,
    Seed,
    Snapshot,
    Test,
    Source,
    Analysis,
    Operation,
    /// Anything else (`sql_operation`, `function`, a type from a newer dbt).
    Other(String),
}

impl ResourceType {
    pub fn as_str(&self) -> &str {
        match self {
            ResourceType::Model => "model",
            ResourceType::Seed => "seed",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Test => "test",
            ResourceType::Source => "source",
            ResourceType::Analysis => "analysis",
            ResourceType::Operation => "operation",
            ResourceType::Other(s) => s,
        }
    }

    fn parse(s: &str) -> ResourceType {
        match s {
            "model" => ResourceType::Model,
            "seed" => ResourceType::Seed,
            "snapshot" => ResourceType::Snapshot,
            "test" => ResourceType::Test,
            "source" => ResourceType::Source,
            "analysis" => ResourceType::Analysis,
            "operation" => ResourceType::Operation,
            other => match other.to_ascii_lowercase().as_str() {
                // dbt Fusion capitalises some enum values.
                "model" => ResourceType::Model,
                "seed" => ResourceType::Seed,
                "snapshot" => ResourceType::Snapshot,
                "test" => ResourceType::Test,
                "source" => ResourceType::Source,
                "analysis" => ResourceType::Analysis,
                "operation" => ResourceType::Operation,
                _ => ResourceType::Other(other.to_string()),
            },
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        via_str(d, ResourceType::parse, "a resource type")
    }
}

/// A model, seed, snapshot, test, analysis, operation — or a source, which has the
/// same shape plus [`SourceDetails`].
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub unique_id: String,
    pub resource_type: ResourceType,
    pub name: String,
    /// The relation's name when it differs from `name` (models, seeds, snapshots).
    pub alias: Option<String>,
    pub database: Option<String>,
    pub schema: String,
    /// Empty when dbt has none.
    pub description: String,
    /// In the order the manifest lists them.
    pub columns: Vec<Column>,
    /// `tags` and `config.tags` together, without repeats.
    pub tags: Vec<String>,
    /// `meta` merged with `config.meta` (the node's own `meta` wins a conflict);
    /// see [`Node::openmetadata`] for the keys OpenMetadata reads.
    pub meta: Meta,
    pub config: NodeConfig,
    /// `depends_on.nodes`: unique ids of the parents.
    pub depends_on: Vec<String>,
    /// `ref()` calls in the SQL.
    pub refs: Vec<Ref>,
    /// `source()` calls in the SQL.
    pub source_refs: Vec<SourceRef>,
    /// `raw_code` (v7+) or `raw_sql` (v1–v6): the SQL as written, with Jinja.
    pub raw_code: Option<String>,
    /// `compiled_code` (v7+) or `compiled_sql` (v1–v6): present once dbt compiled it.
    pub compiled_code: Option<String>,
    /// `sql` or `python`.
    pub language: Option<String>,
    /// The defining file, relative to the project (`models/marts/orders.sql`).
    pub original_file_path: Option<String>,
    /// The file relative to its resource directory (`marts/orders.sql`).
    pub path: Option<String>,
    pub package_name: Option<String>,
    /// `"db"."schema"."table"` as the adapter quotes it.
    pub relation_name: Option<String>,
    /// Model contract: `primary_key` columns (v11+).
    pub primary_key: Vec<String>,
    /// Model-level contract constraints.
    pub constraints: Vec<Constraint>,
    /// Set for sources (`resource_type: source`).
    pub source: Option<Box<SourceDetails>>,
    /// Set for tests (`resource_type: test`).
    pub test: Option<Box<TestDetails>>,
}

/// The parts of a node's `config` that matter here (`tags`/`meta` are merged into
/// the node's own).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeConfig {
    /// `view`, `table`, `incremental`, `ephemeral`, `seed`, `snapshot`, `test`, …
    pub materialized: Option<String>,
    /// Tests: `ERROR` or `WARN`.
    pub severity: Option<String>,
    /// Snapshots before dbt 1.9: where the snapshot is built.
    pub target_schema: Option<String>,
    pub target_database: Option<String>,
    pub enabled: Option<bool>,
}

/// A manifest column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub description: String,
    /// `data_type` as declared in YAML (often absent; the catalog has the real type).
    pub data_type: Option<String>,
    /// `tags` and `config.tags` together.
    pub tags: Vec<String>,
    /// `meta` merged with `config.meta`.
    pub meta: Meta,
    /// Contract constraints on the column.
    pub constraints: Vec<Constraint>,
}

/// A contract constraint (`not_null`, `unique`, `primary_key`, `foreign_key`,
/// `check`, `custom`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub kind: String,
    pub name: Option<String>,
    pub expression: Option<String>,
    /// For model-level constraints: the columns it covers.
    pub columns: Vec<String>,
}

/// A `ref()` call: `ref('name')`, `ref('package', 'name')`, `ref('name', v=2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub name: String,
    pub package: Option<String>,
    pub version: Option<String>,
}

/// A `source('source_name', 'table_name')` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub source_name: String,
    pub table_name: String,
}

/// What only sources have.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceDetails {
    /// The `sources:` entry this table belongs to (`pos` in `source('pos', 'orders')`).
    pub source_name: String,
    /// The table's name in the warehouse when it differs from `name`.
    pub identifier: Option<String>,
    pub source_description: String,
    pub loader: Option<String>,
    pub loaded_at_field: Option<String>,
    pub freshness: Option<FreshnessCriteria>,
}

/// What only tests have.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestDetails {
    /// `test_metadata.name` (`not_null`, `relationships`, `expression_is_true`);
    /// `None` for a singular test (a SQL file under `tests/`).
    pub test_name: Option<String>,
    /// `test_metadata.namespace` (`dbt_utils`), `None` for dbt's own tests.
    pub namespace: Option<String>,
    /// `test_metadata.kwargs`: the test's arguments (`column_name`, `model`,
    /// `values`, `to`, `field`, …).
    pub kwargs: Meta,
    /// The column a column-level test is on (may be an expression).
    pub column_name: Option<String>,
    /// The node dbt attaches the test to (manifest v8+).
    pub attached_node: Option<String>,
}

/// An exposure: a dashboard, notebook, ML model or application downstream of
/// the project.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    pub unique_id: String,
    pub name: String,
    pub label: Option<String>,
    /// `dashboard`, `notebook`, `analysis`, `ml`, `application`.
    pub exposure_type: Option<String>,
    pub description: String,
    pub owner_name: Option<String>,
    /// One or several addresses (dbt Cloud allows a list).
    pub owner_emails: Vec<String>,
    pub url: Option<String>,
    pub maturity: Option<String>,
    pub tags: Vec<String>,
    /// `meta` merged with `config.meta`.
    pub meta: Meta,
    pub depends_on: Vec<String>,
    pub package_name: Option<String>,
    pub original_file_path: Option<String>,
}

impl Exposure {
    /// `meta.open_metadata_fqn`: the OpenMetadata entity (dashboard, ML model, API
    /// endpoint) the exposure stands for.
    pub fn open_metadata_fqn(&self) -> Option<&str> {
        self.meta
            .get("open_metadata_fqn")
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// A unit test (manifest v12+): fixed inputs and expected rows for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTest {
    pub unique_id: String,
    pub name: String,
    /// The name of the model under test.
    pub model: String,
    pub description: String,
    pub tags: Vec<String>,
    pub meta: Meta,
    pub depends_on: Vec<String>,
    pub package_name: Option<String>,
    pub original_file_path: Option<String>,
}

impl Manifest {
    /// Reads and parses `path`, streaming: the file is never held whole.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Parsed<Manifest>, Error> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let reader = std::fs::File::open(path).map_err(|source| Error::Read {
            kind: ArtifactKind::Manifest,
            file: file.clone(),
            source,
        })?;
        Manifest::from_reader(reader, &file)
    }

    /// Parses a manifest held in memory; `file` names it in errors and warnings.
    pub fn from_slice(bytes: &[u8], file: &str) -> Result<Parsed<Manifest>, Error> {
        Manifest::from_reader(bytes, file)
    }

    /// Parses a manifest from a stream (a file, an HTTP body) read in chunks;
    /// `file` names it in errors and warnings.
    pub fn from_reader(reader: impl Read, file: &str) -> Result<Parsed<Manifest>, Error> {
        let raw = read_raw(reader, file)?;
        Manifest::finish(raw, file)
    }

    fn finish(raw: RawManifest, file: &str) -> Result<Parsed<Manifest>, Error> {
        let meta = raw.metadata.unwrap_or_default();
        let (schema_version, version_warning) = version::check(
            ArtifactKind::Manifest,
            file,
            meta.dbt_schema_version.as_deref(),
        )?;
        let mut warnings: Vec<Warning> = version_warning.into_iter().collect();
        let skipped = raw
            .nodes
            .skipped
            .into_iter()
            .chain(raw.sources.skipped)
            .chain(raw.exposures.skipped)
            .chain(raw.unit_tests.skipped);
        warnings.extend(skipped.map(|(unique_id, field)| Warning::NodeSkipped {
            file: file.to_string(),
            unique_id,
            field,
        }));
        let manifest = Manifest {
            file: file.to_string(),
            metadata: ManifestMetadata {
                dbt_schema_version: meta.dbt_schema_version,
                schema_version,
                dbt_version: meta.dbt_version,
                generated_at: meta.generated_at,
                invocation_id: meta.invocation_id,
                project_name: meta.project_name,
                project_id: meta.project_id,
                adapter_type: meta.adapter_type,
            },
            nodes: sorted(raw.nodes.items, |n| &n.unique_id),
            sources: sorted(raw.sources.items, |n| &n.unique_id),
            exposures: sorted(raw.exposures.items, |e| &e.unique_id),
            unit_tests: sorted(raw.unit_tests.items, |u| &u.unique_id),
        };
        Ok(Parsed {
            artifact: manifest,
            warnings,
        })
    }

    /// The `nodes` section (everything but sources, exposures and unit tests).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The `sources` section.
    pub fn sources(&self) -> &[Node] {
        &self.sources
    }

    pub fn exposures(&self) -> &[Exposure] {
        &self.exposures
    }

    pub fn unit_tests(&self) -> &[UnitTest] {
        &self.unit_tests
    }

    /// Nodes of one resource type.
    pub fn nodes_of<'a>(&'a self, kind: &'a ResourceType) -> impl Iterator<Item = &'a Node> {
        self.nodes
            .iter()
            .chain(&self.sources)
            .filter(move |n| &n.resource_type == kind)
    }

    /// A node or source by unique id.
    pub fn get(&self, unique_id: &str) -> Option<&Node> {
        let list = if unique_id.starts_with("source.") {
            &self.sources
        } else {
            &self.nodes
        };
        find(list, unique_id, |n| &n.unique_id)
            .or_else(|| find(&self.nodes, unique_id, |n| &n.unique_id))
            .or_else(|| find(&self.sources, unique_id, |n| &n.unique_id))
    }

    pub fn exposure(&self, unique_id: &str) -> Option<&Exposure> {
        find(&self.exposures, unique_id, |e| &e.unique_id)
    }
}

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> &String) -> Vec<T> {
    items.sort_by(|a, b| key(a).cmp(key(b)));
    // A JSON object with a repeated key: the later entry wins, as in dbt's own reader.
    items.dedup_by(|later, earlier| {
        let same = key(later) == key(earlier);
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    items
}

fn find<'a, T>(items: &'a [T], unique_id: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    items
        .binary_search_by(|item| key(item).as_str().cmp(unique_id))
        .ok()
        .map(|i| &items[i])
}

impl Node {
    /// Whether the node is a relation in the warehouse: sources, seeds, snapshots
    /// and models other than ephemeral ones.
    pub fn has_relation(&self) -> bool {
        match self.resource_type {
            ResourceType::Source | ResourceType::Seed | ResourceType::Snapshot => true,
            ResourceType::Model => !self.is_ephemeral(),
            _ => false,
        }
    }

    /// `config.materialized: ephemeral`: inlined as a CTE, no table of its own.
    pub fn is_ephemeral(&self) -> bool {
        self.config
            .materialized
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("ephemeral"))
    }

    /// Where the node lives: database and schema (a snapshot's `target_*` config
    /// first; `none`/`null`/empty count as absent) and the table name — a source's
    /// `identifier`, else the `alias`, else the `name`.
    pub fn relation(&self) -> Relation<'_> {
        fn present(s: Option<&str>) -> Option<&str> {
            s.filter(|v| {
                !v.is_empty() && !v.eq_ignore_ascii_case("none") && !v.eq_ignore_ascii_case("null")
            })
        }
        let snapshot = self.resource_type == ResourceType::Snapshot;
        let database = present(
            self.config
                .target_database
                .as_deref()
                .filter(|_| snapshot)
                .or(self.database.as_deref()),
        );
        let schema = present(
            self.config
                .target_schema
                .as_deref()
                .filter(|_| snapshot)
                .or(Some(self.schema.as_str())),
        );
        let identifier = self
            .source
            .as_ref()
            .and_then(|s| s.identifier.as_deref())
            .or(self.alias.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.name);
        Relation {
            database,
            schema,
            identifier,
        }
    }

    /// The manifest column named `name`: exact first, then ignoring ASCII case.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name).or_else(|| {
            self.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    /// The `meta` keys OpenMetadata reads; see [`OpenMetadataMeta`].
    pub fn openmetadata(&self) -> OpenMetadataMeta<'_> {
        OpenMetadataMeta::from_meta(&self.meta)
    }
}

/// A node's place in the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation<'a> {
    pub database: Option<&'a str>,
    pub schema: Option<&'a str>,
    /// The table or view name.
    pub identifier: &'a str,
}

/// What a node's `meta` says for OpenMetadata:
///
/// | field | read from |
/// |---|---|
/// | `owners` | `meta.openmetadata.owner`, else `meta.owner` (a name or a list) |
/// | `tier` | `meta.openmetadata.tier` (`Tier.Tier1`) |
/// | `glossary_terms` | `meta.openmetadata.glossary` (term FQNs) |
/// | `tags` | `meta.openmetadata.tags` (`Classification.Tag` FQNs) |
/// | `domain` | `meta.openmetadata.domain` |
/// | `custom_properties` | `meta.openmetadata.customProperties` |
///
/// Values of the wrong type (a number where a name belongs) are left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpenMetadataMeta<'a> {
    pub owners: Vec<&'a str>,
    pub tier: Option<&'a str>,
    pub glossary_terms: Vec<&'a str>,
    pub tags: Vec<&'a str>,
    pub domain: Option<&'a str>,
    pub custom_properties: Option<&'a Meta>,
}

impl<'a> OpenMetadataMeta<'a> {
    pub fn from_meta(meta: &'a Meta) -> OpenMetadataMeta<'a> {
        let om = meta.get("openmetadata").and_then(|v| v.as_object());
        let key = |k: &str| om.and_then(|m| m.get(k));
        let owners = key("owner")
            .map(strings)
            .filter(|o| !o.is_empty())
            .or_else(|| meta.get("owner").map(strings))
            .unwrap_or_default();
        let text = |k: &str| {
            key(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        OpenMetadataMeta {
            owners,
            tier: text("tier"),
            glossary_terms: key("glossary").map(strings).unwrap_or_default(),
            tags: key("tags").map(strings).unwrap_or_default(),
            domain: text("domain"),
            custom_properties: key("customProperties").and_then(|v| v.as_object()),
        }
    }
}

/// One string or a list of strings; blanks and non-strings left out.
fn strings(v: &serde_json::Value) -> Vec<&str> {
    fn one(v: &serde_json::Value) -> Option<&str> {
        v.as_str().map(str::trim).filter(|s| !s.is_empty())
    }
    match v {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

// ---------------------------------------------------------------------------
// The raw layout: every version's fields side by side, all optional.

struct RawManifest {
    metadata: Option<RawMetadata>,
    nodes: Checked<Node>,
    sources: Checked<Node>,
    exposures: Checked<Exposure>,
    unit_tests: Checked<UnitTest>,
}

/// The manifest's top level, each section read entry by entry.
fn read_raw(reader: impl Read, file: &str) -> Result<RawManifest, Error> {
    let mut stream = JsonStream::new(reader, ArtifactKind::Manifest, file);
    if !stream.starts_with_object()? {
        let rest = stream.rest()?;
        return Err(not_an_object(ArtifactKind::Manifest, file, &rest));
    }
    let mut raw = RawManifest {
        metadata: None,
        nodes: Checked::default(),
        sources: Checked::default(),
        exposures: Checked::default(),
        unit_tests: Checked::default(),
    };
    stream.object(|s, key| match key.as_str() {
        "metadata" => {
            raw.metadata = s.value()?;
            // dbt writes metadata first: a file of another kind stops here, before
            // its whole body is read as nodes.
            let found = raw
                .metadata
                .as_ref()
                .and_then(|m| m.dbt_schema_version.as_deref());
            version::check(ArtifactKind::Manifest, file, found).map(drop)
        }
        "nodes" => raw.nodes.read(s),
        "sources" => raw.sources.read(s),
        "exposures" => raw.exposures.read(s),
        "unit_tests" => raw.unit_tests.read(s),
        _ => s.skip_value(),
    })?;
    stream.end()?;
    Ok(raw)
}

/// Turns one raw map entry into an item, or names the required field it lacks.
trait FromRaw: Sized {
    type Raw: for<'de> Deserialize<'de>;
    fn from_raw(unique_id: String, raw: Self::Raw) -> Result<Self, (String, &'static str)>;
}

/// A `unique_id → node` object read entry by entry: each raw entry is converted
/// as soon as it is read, so raw and final forms never coexist for the whole map.
struct Checked<T> {
    items: Vec<T>,
    skipped: Vec<(String, &'static str)>,
}

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Checked {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<T: FromRaw> Checked<T> {
    fn push(&mut self, unique_id: String, raw: T::Raw) {
        match T::from_raw(unique_id, raw) {
            Ok(item) => self.items.push(item),
            Err(skip) => self.skipped.push(skip),
        }
    }

    /// The section's entries, one at a time; `null` is empty.
    fn read<R: Read>(&mut self, stream: &mut JsonStream<'_, R>) -> Result<(), Error> {
        if stream.at_object()? {
            stream.entries::<T::Raw>(|unique_id, raw| self.push(unique_id, raw))
        } else {
            // `null`, or something serde_json will describe as wrong.
            let whole: Checked<T> = stream.value()?;
            self.items.extend(whole.items);
            self.skipped.extend(whole.skipped);
            Ok(())
        }
    }
}

impl<'de, T: FromRaw> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromRaw> Visitor<'de> for V<T> {
            type Value = Checked<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object keyed by unique id")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Checked<T>, E> {
                Ok(Checked::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<T>, A::Error> {
                let mut out = Checked {
                    items: Vec::with_capacity(map.size_hint().unwrap_or(0)),
                    skipped: Vec::new(),
                };
                while let Some(unique_id) = map.next_key::<String>()? {
                    out.push(unique_id, map.next_value()?);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(expecting = "depends_on (an object)")]
struct RawDependsOn {
    #[serde(default, deserialize_with = "nullable")]
    nodes: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(expecting = "a node config (an object)")]
struct RawConfig {
    #[serde(default)]
    materialized: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    target_schema: Option<String>,
    #[serde(default)]
    target_database: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(serde::Deserialize, Default)]
#[serde(expecting = "a config (an object)")]
struct RawTagsAndMeta {
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
}

#[derive(serde::Deserialize)]
#[serde(expecting = "a constraint (an object)")]
struct RawConstraint {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    expression: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    columns: Vec<String>,
}

fn constraints(raw: Vec<RawConstraint>) -> Vec<Constraint> {
    raw.into_iter()
        .filter_map(|c| {
            Some(Constraint {
                kind: c.kind?,
                name: c.name,
                expression: c.expression,
                columns: c.columns,
            })
        })
        .collect()
}

#[derive(serde::Deserialize)]
#[serde(expecting = "a column (an object)")]
struct RawColumn {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default)]
    data_type: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
    #[serde(default, deserialize_with = "nullable")]
    config: RawTagsAndMeta,
    #[serde(default, deserialize_with = "nullable")]
    constraints: Vec<RawConstraint>,
}

/// `columns`: an object keyed by column name, kept in file order.
fn columns<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Column>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Column>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of columns")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<Column>, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Column>, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(key) = map.next_key::<String>()? {
                let raw: RawColumn = map.next_value()?;
                out.push(Column {
                    name: raw.name.filter(|n| !n.is_empty()).unwrap_or(key),
                    description: raw.description,
                    data_type: raw.data_type,
                    tags: union(raw.tags, raw.config.tags),
                    meta: merge_meta(raw.meta, raw.config.meta),
                    constraints: constraints(raw.constraints),
                });
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(expecting = "a ref (an object)")]
        struct Object {
            name: String,
            #[serde(default, deserialize_with = "loose_string")]
            package: Option<String>,
            #[serde(default, deserialize_with = "loose_string")]
            version: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ref;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a ref: [name], [package, name] or {name, package, version}")
            }
            // v1–v9: `["name"]` or `["package", "name"]`.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ref, A::Error> {
                let mut parts: Vec<String> = Vec::with_capacity(2);
                while let Some(part) = seq.next_element::<LooseString>()? {
                    parts.extend(part.0);
                }
                let name = parts
                    .pop()
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                Ok(Ref {
                    name,
                    package: parts.into_iter().next(),
                    version: None,
                })
            }
            // v10+: `{"name": …, "package": …, "version": …}`.
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Ref, A::Error> {
                let o = Object::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Ref {
                    name: o.name,
                    package: o.package,
                    version: o.version,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for SourceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut parts: Vec<String> = Vec::deserialize(d)?;
        if parts.len() < 2 {
            return Err(de::Error::invalid_length(
                parts.len(),
                &"[source_name, table_name]",
            ));
        }
        let table_name = parts.pop().unwrap_or_default();
        let source_name = parts.swap_remove(0);
        Ok(SourceRef {
            source_name,
            table_name,
        })
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(expecting = "test_metadata (an object)")]
struct RawTestMetadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    kwargs: Meta,
}

#[derive(serde::Deserialize)]
#[serde(expecting = "a node (an object)")]
struct RawNode {
    #[serde(default)]
    resource_type: Option<ResourceType>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default, deserialize_with = "columns")]
    columns: Vec<Column>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
    #[serde(default, deserialize_with = "nullable")]
    config: RawConfig,
    #[serde(default, deserialize_with = "nullable")]
    depends_on: RawDependsOn,
    #[serde(default, deserialize_with = "nullable")]
    refs: Vec<Ref>,
    #[serde(default, deserialize_with = "nullable")]
    sources: Vec<SourceRef>,
    // v7+ and v1–v6 spellings; both may be present in hand-made files.
    #[serde(default)]
    raw_code: Option<String>,
    #[serde(default)]
    raw_sql: Option<String>,
    #[serde(default)]
    compiled_code: Option<String>,
    #[serde(default)]
    compiled_sql: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    original_file_path: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    package_name: Option<String>,
    #[serde(default)]
    relation_name: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    primary_key: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    constraints: Vec<RawConstraint>,
    // Sources.
    #[serde(default)]
    source_name: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    source_description: String,
    #[serde(default)]
    loader: Option<String>,
    #[serde(default)]
    loaded_at_field: Option<String>,
    #[serde(default)]
    freshness: Option<FreshnessCriteria>,
    // Tests.
    #[serde(default)]
    test_metadata: Option<RawTestMetadata>,
    #[serde(default)]
    column_name: Option<String>,
    #[serde(default)]
    attached_node: Option<String>,
}

impl FromRaw for Node {
    type Raw = RawNode;

    fn from_raw(unique_id: String, raw: RawNode) -> Result<Node, (String, &'static str)> {
        let Some(name) = raw.name else {
            return Err((unique_id, "name"));
        };
        let Some(schema) = raw.schema else {
            return Err((unique_id, "schema"));
        };
        let Some(resource_type) = raw.resource_type else {
            return Err((unique_id, "resource_type"));
        };
        let config = raw.config;
        let source = (resource_type == ResourceType::Source).then(|| {
            Box::new(SourceDetails {
                source_name: raw.source_name.unwrap_or_default(),
                identifier: raw.identifier.filter(|i| !i.is_empty()),
                source_description: raw.source_description,
                loader: raw.loader.filter(|l| !l.is_empty()),
                loaded_at_field: raw.loaded_at_field,
                freshness: raw.freshness,
            })
        });
        let test = (resource_type == ResourceType::Test).then(|| {
            let meta = raw.test_metadata.unwrap_or_default();
            Box::new(TestDetails {
                test_name: meta.name,
                namespace: meta.namespace,
                kwargs: meta.kwargs,
                column_name: raw.column_name,
                attached_node: raw.attached_node,
            })
        });
        Ok(Node {
            unique_id,
            resource_type,
            name,
            alias: raw.alias,
            database: raw.database,
            schema,
            description: raw.description,
            columns: raw.columns,
            tags: union(raw.tags, config.tags),
            meta: merge_meta(raw.meta, config.meta),
            config: NodeConfig {
                materialized: config.materialized,
                severity: config.severity,
                target_schema: config.target_schema,
                target_database: config.target_database,
                enabled: config.enabled,
            },
            depends_on: raw.depends_on.nodes,
            refs: raw.refs,
            source_refs: raw.sources,
            raw_code: raw.raw_code.or(raw.raw_sql),
            compiled_code: raw.compiled_code.or(raw.compiled_sql),
            language: raw.language,
            original_file_path: raw.original_file_path,
            path: raw.path,
            package_name: raw.package_name,
            relation_name: raw.relation_name,
            primary_key: raw.primary_key,
            constraints: constraints(raw.constraints),
            source,
            test,
        })
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(expecting = "an exposure owner (an object)")]
struct RawExposureOwner {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    email: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(expecting = "an exposure (an object)")]
struct RawExposure {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(rename = "type", default)]
    exposure_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default, deserialize_with = "nullable")]
    owner: RawExposureOwner,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    maturity: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
    #[serde(default, deserialize_with = "nullable")]
    config: RawTagsAndMeta,
    #[serde(default, deserialize_with = "nullable")]
    depends_on: RawDependsOn,
    #[serde(default)]
    package_name: Option<String>,
    #[serde(default)]
    original_file_path: Option<String>,
}

impl FromRaw for Exposure {
    type Raw = RawExposure;

    fn from_raw(unique_id: String, raw: RawExposure) -> Result<Exposure, (String, &'static str)> {
        let Some(name) = raw.name else {
            return Err((unique_id, "name"));
        };
        Ok(Exposure {
            unique_id,
            name,
            label: raw.label,
            exposure_type: raw.exposure_type,
            description: raw.description,
            owner_name: raw.owner.name,
            owner_emails: raw.owner.email,
            url: raw.url,
            maturity: raw.maturity,
            tags: union(raw.tags, raw.config.tags),
            meta: merge_meta(raw.meta, raw.config.meta),
            depends_on: raw.depends_on.nodes,
            package_name: raw.package_name,
            original_file_path: raw.original_file_path,
        })
    }
}

#[derive(serde::Deserialize)]
#[serde(expecting = "a unit test (an object)")]
struct RawUnitTest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default, deserialize_with = "string_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    meta: Meta,
    #[serde(default, deserialize_with = "nullable")]
    config: RawTagsAndMeta,
    #[serde(default, deserialize_with = "nullable")]
    depends_on: RawDependsOn,
    #[serde(default)]
    package_name: Option<String>,
    #[serde(default)]
    original_file_path: Option<String>,
}

impl FromRaw for UnitTest {
    type Raw = RawUnitTest;

    fn from_raw(unique_id: String, raw: RawUnitTest) -> Result<UnitTest, (String, &'static str)> {
        let Some(name) = raw.name else {
            return Err((unique_id, "name"));
        };
        let Some(model) = raw.model else {
            return Err((unique_id, "model"));
        };
        Ok(UnitTest {
            unique_id,
            name,
            model,
            description: raw.description,
            tags: union(raw.tags, raw.config.tags),
            meta: merge_meta(raw.meta, raw.config.meta),
            depends_on: raw.depends_on.nodes,
            package_name: raw.package_name,
            original_file_path: raw.original_file_path,
        })
    }
}

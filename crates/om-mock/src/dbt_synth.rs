//! A synthetic dbt project on a Glue-made catalog, for the dbt benchmark: the
//! artifacts dbt would write (manifest v12, catalog v1, run_results v6) and what
//! the OpenMetadata server holds before the dbt workflow runs (the tables the Glue
//! workflow made, the users and teams that own models), as a [`OmMock::seed_json`]
//! document.
//!
//! Everything follows from [`DbtSynth`]'s numbers: the same numbers give the same
//! bytes. The shapes are dbt-core 1.11's (dbt-athena naming: database
//! `awsdatacatalog`, schemas = Glue databases):
//!
//! * sources in groups of ten, one Glue database `raw_<g>` per group;
//! * models `m0000`... in order, each with 1–3 parents among the sources and the
//!   earlier models (an ephemeral model's parents are never ephemeral, so
//!   inlining goes one level deep); every tenth model is ephemeral, the others
//!   are views (schemas `staging_<n>`) or tables (`marts_<n>`) about half and half;
//! * 4–10 columns per relation (`id`, `col_1`...), Athena types in the catalog and
//!   their Hive spelling on the Glue tables; two thirds documented in the manifest;
//!   descriptions, dbt tags (`mart`, `finance`, `daily`, `pii`, `kpi`, `raw`) and
//!   `meta.owner` (users `kai`, `ana`, teams `ops-team`, `data-eng`) on some;
//! * compiled SQL that selects each column from one parent (so column lineage has
//!   something to find), ephemeral parents as `__dbt__cte__` CTEs;
//! * generic tests (`not_null`, `relationships`, `unique`, `accepted_values`) taken
//!   round-robin over the relations, about 90 % pass, 7 % fail, 3 % warn.
//!
//! [`OmMock::seed_json`]: crate::OmMock::seed_json

use std::path::Path;

use serde_json::{Map, Value, json};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbtSynth {
    /// dbt models, ephemeral ones included.
    pub models: usize,
    /// Source tables.
    pub sources: usize,
    /// Generic tests; fewer when the relations cannot carry that many distinct ones.
    pub tests: usize,
    /// The database service the Glue workflow made (the dbt workflow's `serviceName`).
    pub service: String,
    /// dbt's `database` and the OpenMetadata database of the Glue tables.
    pub database: String,
}

impl Default for DbtSynth {
    /// The benchmark's project: 1,000 models, 100 sources, 3,000 tests.
    fn default() -> Self {
        DbtSynth {
            models: 1000,
            sources: 100,
            tests: 3000,
            service: "synth_glue".to_string(),
            database: "awsdatacatalog".to_string(),
        }
    }
}

/// How many of each thing a generated project holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SynthCounts {
    pub models: usize,
    pub ephemeral: usize,
    pub views: usize,
    pub tables: usize,
    pub sources: usize,
    /// Nodes with a table: models that are not ephemeral, and sources.
    pub relations: usize,
    pub tests: usize,
    pub tests_failed: usize,
    pub tests_warned: usize,
    /// `depends_on` edges between relations once ephemeral parents are resolved
    /// through (what table-level lineage holds), without repeats.
    pub lineage_edges: usize,
}

/// A generated project.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthProject {
    pub manifest: Value,
    pub catalog: Value,
    pub run_results: Value,
    /// Collection -> create requests, for [`crate::OmMock::seed_json`].
    pub om_seed: Value,
    pub counts: SynthCounts,
}

impl SynthProject {
    /// Writes `manifest.json`, `catalog.json` and `run_results.json` into `dir`.
    pub fn write_artifacts(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (file, value) in [
            ("manifest.json", &self.manifest),
            ("catalog.json", &self.catalog),
            ("run_results.json", &self.run_results),
        ] {
            std::fs::write(dir.join(file), serde_json::to_vec(value)?)?;
        }
        Ok(())
    }
}

const PROJECT: &str = "synth";
const DBT_VERSION: &str = "1.11.16";
const GENERATED_AT: &str = "2026-11-23T15:00:00.000000Z";
const USERS: &[&str] = &["kai", "ana"];
const TEAMS: &[&str] = &["ops-team", "data-eng"];

/// (catalog type as Athena reports it, Glue/Hive type, OpenMetadata dataType).
const TYPES: &[(&str, &str, &str)] = &[
    ("bigint", "bigint", "BIGINT"),
    ("varchar", "string", "STRING"),
    ("decimal(38,2)", "decimal(38,2)", "DECIMAL"),
    ("timestamp(3)", "timestamp", "TIMESTAMP"),
    ("boolean", "boolean", "BOOLEAN"),
    ("date", "date", "DATE"),
    ("integer", "int", "INT"),
    ("double", "double", "DOUBLE"),
];

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn percent(&mut self) -> usize {
        self.below(100)
    }
}

/// dbt's 10-hex-digit suffix of generic test ids, here from the name.
fn test_hash(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:010x}", h & 0xff_ffff_ffff)
}

/// `2026-11-23THH:MM:SS.ffffffZ` at `ms` after the run's start at 15:00; valid
/// for offsets under 9 hours (the day does not roll over), far more than a run takes.
fn timestamp(ms: u64) -> String {
    let total_secs = ms / 1000;
    let hours = 15 + total_secs / 3600;
    format!(
        "2026-11-23T{hours:02}:{:02}:{:02}.{:06}Z",
        (total_secs / 60) % 60,
        total_secs % 60,
        (ms % 1000) * 1000
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Source,
    View,
    Table,
    Ephemeral,
}

/// A node with (or, for ephemeral models, without) a relation.
#[derive(Debug, Clone)]
struct Synth {
    unique_id: String,
    name: String,
    schema: String,
    kind: Kind,
    /// Source group (`src_<g>`) of a source.
    group: usize,
    /// Catalog column types by index into [`TYPES`]; column 0 is `id`.
    column_types: Vec<usize>,
    /// Indexes into the project's node list.
    parents: Vec<usize>,
    description: String,
    tags: Vec<&'static str>,
    owner: Option<&'static str>,
}

impl Synth {
    fn column_name(i: usize) -> String {
        if i == 0 {
            "id".to_string()
        } else {
            format!("col_{i}")
        }
    }

    fn columns(&self) -> usize {
        self.column_types.len()
    }

    /// Columns the manifest documents: two thirds, `id` first.
    fn documented(&self) -> usize {
        (self.columns() * 2).div_ceil(3)
    }

    fn relation(&self, database: &str) -> String {
        format!("\"{database}\".\"{}\".\"{}\"", self.schema, self.name)
    }

    /// `ref('m0001')` or `source('src_1', 's01_02')`.
    fn call(&self) -> String {
        match self.kind {
            Kind::Source => format!("source('src_{}', '{}')", self.group, self.name),
            _ => format!("ref('{}')", self.name),
        }
    }

    /// How a test's name spells the node: `m0001` or `src_1_s01_02`.
    fn test_label(&self) -> String {
        match self.kind {
            Kind::Source => format!("src_{}_{}", self.group, self.name),
            _ => self.name.clone(),
        }
    }
}

impl DbtSynth {
    /// A project with `models` models and `tests` tests, the rest as the default.
    pub fn new(models: usize, tests: usize) -> DbtSynth {
        DbtSynth {
            models,
            tests,
            sources: (models / 10).max(1),
            ..DbtSynth::default()
        }
    }

    fn nodes(&self) -> Vec<Synth> {
        let mut rng = Rng(0x5eed_dbf0 ^ self.models as u64);
        let mut nodes = Vec::with_capacity(self.sources + self.models);
        for s in 0..self.sources {
            let group = s / 10;
            let columns = 4 + rng.below(7);
            let name = format!("s{group:02}_{:02}", s % 10);
            nodes.push(Synth {
                unique_id: format!("source.{PROJECT}.src_{group}.{name}"),
                name,
                schema: format!("raw_{group}"),
                kind: Kind::Source,
                group,
                column_types: (0..columns)
                    .map(|c| if c == 0 { 0 } else { (s + c) % TYPES.len() })
                    .collect(),
                parents: Vec::new(),
                description: format!("Raw table {s} as the loader writes it."),
                tags: vec!["raw"],
                owner: None,
            });
        }
        for m in 0..self.models {
            let kind = if m % 10 == 7 {
                Kind::Ephemeral
            } else if rng.below(2) == 0 {
                Kind::View
            } else {
                Kind::Table
            };
            let schema = match kind {
                Kind::View => format!("staging_{}", m % 4),
                Kind::Table => format!("marts_{}", m % 4),
                _ => String::new(),
            };
            let wanted = 1 + rng.below(3);
            let mut parents: Vec<usize> = Vec::new();
            for _ in 0..wanted {
                let earlier_models = m.min(200);
                let pick = if m < 20 || rng.percent() < 30 {
                    rng.below(self.sources)
                } else {
                    // A recent model; an ephemeral child steps back past
                    // ephemeral ones, so that inlining goes one level deep.
                    let mut j = self.sources + m - 1 - rng.below(earlier_models);
                    while j >= self.sources
                        && (nodes[j].kind == Kind::Ephemeral && kind == Kind::Ephemeral)
                    {
                        j -= 1;
                    }
                    j
                };
                if !parents.contains(&pick) {
                    parents.push(pick);
                }
            }
            let columns = 4 + rng.below(7);
            let tags = match rng.percent() {
                0..30 => vec!["mart"],
                30..40 => vec!["finance", "daily"],
                _ => Vec::new(),
            };
            let owner = match m % 10 {
                0..=2 => Some(USERS[0]),
                3 | 4 => Some(TEAMS[0]),
                5 => Some(USERS[1]),
                6 => Some(TEAMS[1]),
                _ => None,
            };
            let description = if rng.percent() < 90 {
                format!("Model {m}: one row per key of its first parent, with derived columns.")
            } else {
                String::new()
            };
            nodes.push(Synth {
                unique_id: format!("model.{PROJECT}.m{m:04}"),
                name: format!("m{m:04}"),
                schema,
                kind,
                group: 0,
                column_types: (0..columns)
                    .map(|c| if c == 0 { 0 } else { (m + c) % TYPES.len() })
                    .collect(),
                parents,
                description,
                tags,
                owner,
            });
        }
        nodes
    }

    /// Generates the project.
    pub fn generate(&self) -> SynthProject {
        let nodes = self.nodes();
        let db = self.database.as_str();
        let mut rng = Rng(0x7e57 ^ self.tests as u64);
        let mut counts = SynthCounts {
            models: self.models,
            sources: self.sources,
            ..SynthCounts::default()
        };

        // Compiled SQL in node order, so an ephemeral parent's is ready to inline.
        let mut compiled: Vec<String> = Vec::with_capacity(nodes.len());
        let mut manifest_nodes = Map::new();
        let mut manifest_sources = Map::new();
        let mut catalog_nodes = Map::new();
        let mut catalog_sources = Map::new();
        let mut results = Vec::new();
        let mut edges = std::collections::BTreeSet::new();
        let mut clock = 0u64;

        for (i, node) in nodes.iter().enumerate() {
            match node.kind {
                Kind::Source => {}
                Kind::View => counts.views += 1,
                Kind::Table => counts.tables += 1,
                Kind::Ephemeral => counts.ephemeral += 1,
            }
            let (sql, raw) = select_sql(node, &nodes, &compiled, db);
            compiled.push(sql.clone());
            let columns = manifest_columns(node, &mut rng);
            if node.kind == Kind::Ephemeral {
                manifest_nodes.insert(
                    node.unique_id.clone(),
                    model_json(node, &nodes, columns, &raw, &sql, db),
                );
                continue;
            }
            counts.relations += 1;
            for parent in resolved_parents(i, &nodes) {
                edges.insert((parent, i));
            }
            catalog_entry(
                node,
                db,
                if node.kind == Kind::Source {
                    &mut catalog_sources
                } else {
                    &mut catalog_nodes
                },
            );
            if node.kind == Kind::Source {
                manifest_sources.insert(node.unique_id.clone(), source_json(node, columns, db));
            } else {
                manifest_nodes.insert(
                    node.unique_id.clone(),
                    model_json(node, &nodes, columns, &raw, &sql, db),
                );
                results.push(run_result(
                    &node.unique_id,
                    "success",
                    Some("OK"),
                    None,
                    &mut clock,
                    Some(&sql),
                ));
            }
        }
        counts.lineage_edges = edges.len();

        for test in plan_tests(&nodes, self.tests) {
            let outcome = rng.percent();
            let (status, message, failures, severity) = match outcome {
                0..90 => ("pass", None, 0, "ERROR"),
                90..97 => {
                    counts.tests_failed += 1;
                    (
                        "fail",
                        Some("Got 3 results, configured to fail if != 0"),
                        3,
                        "ERROR",
                    )
                }
                _ => {
                    counts.tests_warned += 1;
                    (
                        "warn",
                        Some("Got 2 results, configured to warn if != 0"),
                        2,
                        "WARN",
                    )
                }
            };
            let (unique_id, json) = test_json(&test, &nodes, severity, db);
            results.push(run_result(
                &unique_id,
                status,
                message,
                Some(failures),
                &mut clock,
                json["compiled_code"].as_str(),
            ));
            manifest_nodes.insert(unique_id, json);
            counts.tests += 1;
        }

        let manifest = json!({
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                "dbt_version": DBT_VERSION,
                "generated_at": GENERATED_AT,
                "invocation_id": "00000000-0000-4000-8000-00000000d8b7",
                "env": {},
                "project_name": PROJECT,
                "project_id": "5e7d0000000000000000000000000000",
                "user_id": null,
                "send_anonymous_usage_stats": false,
                "adapter_type": "athena"
            },
            "nodes": manifest_nodes,
            "sources": manifest_sources,
            "macros": {}, "docs": {}, "exposures": {}, "metrics": {}, "groups": {},
            "selectors": {}, "disabled": {}, "parent_map": {}, "child_map": {},
            "group_map": {}, "saved_queries": {}, "semantic_models": {}, "unit_tests": {}
        });
        let catalog = json!({
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
                "dbt_version": DBT_VERSION,
                "generated_at": GENERATED_AT,
                "invocation_id": "00000000-0000-4000-8000-00000000d8b7",
                "env": {}
            },
            "nodes": catalog_nodes,
            "sources": catalog_sources,
            "errors": null
        });
        let run_results = json!({
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
                "dbt_version": DBT_VERSION,
                "generated_at": timestamp(clock + 1000),
                "invocation_id": "00000000-0000-4000-8000-00000000b11d",
                "env": {}
            },
            "results": results,
            "elapsed_time": clock as f64 / 1000.0,
            "args": {"which": "build", "project_dir": "."}
        });
        SynthProject {
            manifest,
            catalog,
            run_results,
            om_seed: self.om_seed(&nodes),
            counts,
        }
    }

    /// What the Glue workflow left on the server: the service, the database, one
    /// schema per Glue database and one table per relation (Hive types, the lower
    /// case Glue keeps; a third of them already described), plus the owners.
    fn om_seed(&self, nodes: &[Synth]) -> Value {
        let mut schemas: Vec<&str> = nodes
            .iter()
            .filter(|n| n.kind != Kind::Ephemeral)
            .map(|n| n.schema.as_str())
            .collect();
        schemas.sort_unstable();
        schemas.dedup();
        let db_fqn = format!("{}.{}", self.service, self.database);
        let tables: Vec<Value> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind != Kind::Ephemeral)
            .map(|(i, n)| {
                let columns: Vec<Value> = n
                    .column_types
                    .iter()
                    .enumerate()
                    .map(|(c, t)| {
                        let (_, hive, om) = TYPES[*t];
                        let mut col = json!({
                            "name": Synth::column_name(c),
                            "dataType": om,
                            "dataTypeDisplay": hive,
                            "ordinalPosition": c + 1,
                        });
                        if om == "DECIMAL" {
                            col["precision"] = json!(38);
                            col["scale"] = json!(2);
                        }
                        col
                    })
                    .collect();
                let mut table = json!({
                    "name": n.name,
                    "databaseSchema": format!("{db_fqn}.{}", n.schema),
                    "tableType": if n.kind == Kind::View { "View" } else { "External" },
                    "columns": columns,
                });
                if i % 3 == 0 && !n.description.is_empty() {
                    table["description"] = json!(n.description);
                }
                table
            })
            .collect();
        json!({
            "users": USERS.iter().map(|u| json!({"name": u, "email": format!("{u}@synth.example")})).collect::<Vec<_>>(),
            "teams": TEAMS.iter().map(|t| json!({"name": t, "teamType": "Group"})).collect::<Vec<_>>(),
            "services/databaseServices": [{
                "name": self.service,
                "serviceType": "Glue",
                "connection": {"config": {"type": "Glue", "awsConfig": {"awsRegion": "us-east-1"}}}
            }],
            "databases": [{"name": self.database, "service": self.service}],
            "databaseSchemas": schemas.iter().map(|s| json!({"name": s, "database": db_fqn})).collect::<Vec<_>>(),
            "tables": tables,
        })
    }
}

/// The parents that have tables, ephemeral ones replaced by their own parents.
fn resolved_parents(i: usize, nodes: &[Synth]) -> Vec<usize> {
    let mut out = Vec::new();
    for &p in &nodes[i].parents {
        if nodes[p].kind == Kind::Ephemeral {
            out.extend(nodes[p].parents.iter().copied());
        } else {
            out.push(p);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The node's SQL, compiled and raw: each column from one parent, parents joined
/// on `id`; ephemeral parents inlined as `__dbt__cte__` CTEs.
fn select_sql(node: &Synth, nodes: &[Synth], compiled: &[String], db: &str) -> (String, String) {
    if node.kind == Kind::Source {
        return (String::new(), String::new());
    }
    let mut ctes = Vec::new();
    let mut from_compiled = Vec::new();
    let mut from_raw = Vec::new();
    for (k, &p) in node.parents.iter().enumerate() {
        let parent = &nodes[p];
        let relation = if parent.kind == Kind::Ephemeral {
            let cte = format!("__dbt__cte__{}", parent.name);
            ctes.push(format!("{cte} as (\n{}\n)", compiled[p]));
            cte
        } else {
            parent.relation(db)
        };
        let join = |rel: &str| {
            if k == 0 {
                format!("from {rel} p0")
            } else {
                format!("join {rel} p{k} on p{k}.id = p0.id")
            }
        };
        from_compiled.push(join(&relation));
        from_raw.push(join(&format!("{{{{ {} }}}}", parent.call())));
    }
    let select: Vec<String> = (0..node.columns())
        .map(|c| {
            let k = c % node.parents.len();
            let parent = &nodes[node.parents[k]];
            let source_col = Synth::column_name(c.min(parent.columns() - 1));
            format!("p{k}.{source_col} as {}", Synth::column_name(c))
        })
        .collect();
    let body = format!("select {}\n", select.join(",\n       "));
    let with = if ctes.is_empty() {
        String::new()
    } else {
        format!("with {} ", ctes.join(", "))
    };
    (
        format!("{with}{body}{}", from_compiled.join("\n")),
        format!("{body}{}", from_raw.join("\n")),
    )
}

fn manifest_columns(node: &Synth, rng: &mut Rng) -> Map<String, Value> {
    (0..node.documented())
        .map(|c| {
            let name = Synth::column_name(c);
            let description = if c == 0 {
                "Primary key.".to_string()
            } else if rng.percent() < 75 {
                format!("Column {c} of {}.", node.name)
            } else {
                String::new()
            };
            let tags: Vec<&str> = match (c, rng.percent()) {
                (0, _) => Vec::new(),
                (_, 0..10) => vec!["pii"],
                (_, 10..15) => vec!["kpi"],
                _ => Vec::new(),
            };
            (
                name.clone(),
                json!({
                    "name": name,
                    "description": description,
                    "meta": {},
                    "data_type": null,
                    "constraints": [],
                    "quote": null,
                    "config": {"meta": {}, "tags": tags},
                    "tags": tags,
                    "granularity": null,
                    "doc_blocks": []
                }),
            )
        })
        .collect()
}

fn model_json(
    node: &Synth,
    nodes: &[Synth],
    columns: Map<String, Value>,
    raw: &str,
    compiled: &str,
    db: &str,
) -> Value {
    let materialized = match node.kind {
        Kind::View => "view",
        Kind::Table => "table",
        _ => "ephemeral",
    };
    let dir = match node.kind {
        Kind::View => "staging",
        Kind::Table => "marts",
        _ => "intermediate",
    };
    let meta = match node.owner {
        Some(o) => json!({"owner": o}),
        None => json!({}),
    };
    let refs: Vec<Value> = node
        .parents
        .iter()
        .filter(|&&p| nodes[p].kind != Kind::Source)
        .map(|&p| json!({"name": nodes[p].name, "package": null, "version": null}))
        .collect();
    let sources: Vec<Value> = node
        .parents
        .iter()
        .filter(|&&p| nodes[p].kind == Kind::Source)
        .map(|&p| json!([format!("src_{}", nodes[p].group), nodes[p].name]))
        .collect();
    let depends: Vec<&str> = node
        .parents
        .iter()
        .map(|&p| nodes[p].unique_id.as_str())
        .collect();
    let ephemeral_parents: Vec<Value> = node
        .parents
        .iter()
        .filter(|&&p| nodes[p].kind == Kind::Ephemeral)
        .map(|&p| json!({"id": nodes[p].unique_id, "sql": format!(" __dbt__cte__{} as (...)", nodes[p].name)}))
        .collect();
    let schema = if node.kind == Kind::Ephemeral {
        "intermediate"
    } else {
        node.schema.as_str()
    };
    let mut head = json!({
        "database": db,
        "schema": schema,
        "name": node.name,
        "resource_type": "model",
        "package_name": PROJECT,
        "path": format!("{dir}/{}.sql", node.name),
        "original_file_path": format!("models/{dir}/{}.sql", node.name),
        "unique_id": node.unique_id,
        "fqn": [PROJECT, dir, node.name],
        "alias": node.name,
        "checksum": {"name": "sha256", "checksum": test_hash(raw)},
        "config": {
            "enabled": true, "alias": null, "schema": schema, "database": null,
            "tags": node.tags, "meta": meta, "materialized": materialized,
            "persist_docs": {}, "post-hook": [], "pre-hook": [], "quoting": {},
            "column_types": {}, "on_schema_change": "ignore", "grants": {}, "packages": [],
            "docs": {"show": true, "node_color": null},
            "contract": {"enforced": false, "alias_types": true}, "access": "protected"
        },
        "tags": node.tags,
        "description": node.description,
        "columns": columns,
        "meta": meta,
    });
    // Two literals: one would pass serde_json's macro recursion limit.
    let rest = json!({
        "group": null,
        "docs": {"show": true, "node_color": null},
        "patch_path": format!("{PROJECT}://models/{dir}/_{dir}.yml"),
        "build_path": null,
        "unrendered_config": {"materialized": materialized},
        "created_at": 1_795_446_470.0,
        "relation_name": if node.kind == Kind::Ephemeral { Value::Null } else { json!(node.relation(db)) },
        "raw_code": raw,
        "doc_blocks": [],
        "language": "sql",
        "refs": refs,
        "sources": sources,
        "metrics": [],
        "functions": [],
        "depends_on": {"macros": [], "nodes": depends},
        "compiled_path": format!("target/compiled/{PROJECT}/models/{dir}/{}.sql", node.name),
        "compiled": true,
        "compiled_code": compiled,
        "extra_ctes_injected": true,
        "extra_ctes": ephemeral_parents,
        "contract": {"enforced": false, "alias_types": true, "checksum": null},
        "access": "protected",
        "constraints": [],
        "version": null,
        "latest_version": null,
        "deprecation_date": null,
        "primary_key": ["id"],
        "time_spine": null
    });
    if let (Some(head), Value::Object(rest)) = (head.as_object_mut(), rest) {
        head.extend(rest);
    }
    head
}

fn source_json(node: &Synth, columns: Map<String, Value>, db: &str) -> Value {
    let source_name = format!("src_{}", node.group);
    json!({
        "database": db,
        "schema": node.schema,
        "name": node.name,
        "resource_type": "source",
        "package_name": PROJECT,
        "path": "models/staging/_sources.yml",
        "original_file_path": "models/staging/_sources.yml",
        "unique_id": node.unique_id,
        "fqn": [PROJECT, "staging", source_name, node.name],
        "source_name": source_name,
        "source_description": format!("Loader group {}.", node.group),
        "loader": "",
        "identifier": node.name,
        "quoting": {"database": null, "schema": null, "identifier": null, "column": null},
        "loaded_at_field": null,
        "freshness": {"warn_after": {"count": null, "period": null}, "error_after": {"count": null, "period": null}, "filter": null},
        "external": null,
        "description": node.description,
        "columns": columns,
        "meta": {},
        "source_meta": {},
        "tags": node.tags,
        "config": {"enabled": true, "tags": node.tags, "meta": {}},
        "patch_path": null,
        "unrendered_config": {},
        "relation_name": node.relation(db),
        "created_at": 1_795_446_471.0,
        "doc_blocks": []
    })
}

fn catalog_entry(node: &Synth, db: &str, into: &mut Map<String, Value>) {
    let columns: Map<String, Value> = node
        .column_types
        .iter()
        .enumerate()
        .map(|(c, t)| {
            let name = Synth::column_name(c);
            (
                name.clone(),
                json!({"type": TYPES[*t].0, "index": c + 1, "name": name, "comment": null}),
            )
        })
        .collect();
    into.insert(
        node.unique_id.clone(),
        json!({
            "metadata": {
                "type": if node.kind == Kind::View { "VIEW" } else { "BASE TABLE" },
                "schema": node.schema,
                "name": node.name,
                "database": db,
                "comment": if node.description.is_empty() { Value::Null } else { json!(node.description) },
                "owner": null
            },
            "columns": columns,
            "stats": {"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": false, "include": false, "description": "Indicates whether there are statistics for this table"}},
            "unique_id": node.unique_id
        }),
    );
}

fn run_result(
    unique_id: &str,
    status: &str,
    message: Option<&str>,
    failures: Option<u32>,
    clock: &mut u64,
    compiled: Option<&str>,
) -> Value {
    let compile_start = *clock;
    let execute_start = compile_start + 7;
    let execute_end = execute_start + 18;
    *clock = execute_end + 1;
    json!({
        "status": status,
        "timing": [
            {"name": "compile", "started_at": timestamp(compile_start), "completed_at": timestamp(execute_start - 1)},
            {"name": "execute", "started_at": timestamp(execute_start), "completed_at": timestamp(execute_end)}
        ],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 0.025,
        "adapter_response": {"_message": "OK"},
        "message": message,
        "failures": failures,
        "unique_id": unique_id,
        "compiled": true,
        "compiled_code": compiled,
        "relation_name": null,
        "batch_results": null
    })
}

/// One generic test to write.
struct PlannedTest {
    /// `not_null`, `unique`, `accepted_values`, `relationships`.
    kind: &'static str,
    node: usize,
    column: usize,
    /// The `to:` node of a relationships test.
    to: Option<usize>,
}

/// The tests of each relation, in the order they are handed out: `not_null(id)`,
/// `relationships(col_1 -> first parent with a table)`, `unique(id)`,
/// `accepted_values(col_1)`, then `not_null` of the other columns; taken round
/// robin over the relations until `wanted`.
fn plan_tests(nodes: &[Synth], wanted: usize) -> Vec<PlannedTest> {
    let per_relation: Vec<Vec<PlannedTest>> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind != Kind::Ephemeral)
        .map(|(i, n)| {
            let mut list = vec![PlannedTest {
                kind: "not_null",
                node: i,
                column: 0,
                to: None,
            }];
            if let Some(&to) = n
                .parents
                .iter()
                .find(|&&p| nodes[p].kind != Kind::Ephemeral)
            {
                list.push(PlannedTest {
                    kind: "relationships",
                    node: i,
                    column: 1,
                    to: Some(to),
                });
            }
            list.push(PlannedTest {
                kind: "unique",
                node: i,
                column: 0,
                to: None,
            });
            list.push(PlannedTest {
                kind: "accepted_values",
                node: i,
                column: 1,
                to: None,
            });
            list.extend((1..n.documented()).map(|c| PlannedTest {
                kind: "not_null",
                node: i,
                column: c,
                to: None,
            }));
            list
        })
        .collect();
    let mut queues: Vec<std::vec::IntoIter<PlannedTest>> =
        per_relation.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(wanted);
    while out.len() < wanted {
        let before = out.len();
        for q in &mut queues {
            if out.len() == wanted {
                break;
            }
            out.extend(q.next());
        }
        if out.len() == before {
            break;
        }
    }
    out
}

fn test_json(test: &PlannedTest, nodes: &[Synth], severity: &str, db: &str) -> (String, Value) {
    let node = &nodes[test.node];
    let column = Synth::column_name(test.column);
    let label = node.test_label();
    let prefix = if node.kind == Kind::Source {
        "source_"
    } else {
        ""
    };
    let model_arg = format!("{{{{ get_where_subquery({}) }}}}", node.call());
    let mut kwargs = json!({"column_name": column, "model": model_arg});
    let relation = node.relation(db);
    let (name, sql) = match (test.kind, test.to) {
        ("relationships", Some(to)) => {
            let parent = &nodes[to];
            kwargs["to"] = json!(parent.call());
            kwargs["field"] = json!("id");
            let to_label = match parent.kind {
                Kind::Source => format!("source_src_{}_{}", parent.group, parent.name),
                _ => format!("ref_{}", parent.name),
            };
            (
                format!("{prefix}relationships_{label}_{column}__id__{to_label}_"),
                format!(
                    "select c.{column} from {relation} c left join {} p on c.{column} = p.id where c.{column} is not null and p.id is null",
                    parent.relation(db)
                ),
            )
        }
        ("accepted_values", _) => {
            kwargs["values"] = json!(["a", "b", "c"]);
            (
                format!("{prefix}accepted_values_{label}_{column}__a__b__c"),
                format!("select {column} from {relation} where {column} not in ('a','b','c')"),
            )
        }
        ("unique", _) => (
            format!("{prefix}unique_{label}_{column}"),
            format!(
                "select {column} from {relation} where {column} is not null group by {column} having count(*) > 1"
            ),
        ),
        _ => (
            format!("{prefix}not_null_{label}_{column}"),
            format!("select {column} from {relation} where {column} is null"),
        ),
    };
    let unique_id = format!("test.{PROJECT}.{name}.{}", test_hash(&name));
    let mut depends = Vec::new();
    let mut refs = Vec::new();
    let mut sources = Vec::new();
    for n in test.to.iter().map(|&t| &nodes[t]).chain([node]) {
        depends.push(json!(n.unique_id));
        match n.kind {
            Kind::Source => sources.push(json!([format!("src_{}", n.group), n.name])),
            _ => refs.push(json!({"name": n.name, "package": null, "version": null})),
        }
    }
    let json = json!({
        "database": db,
        "schema": "dbt_test__audit",
        "name": name,
        "resource_type": "test",
        "package_name": PROJECT,
        "path": format!("{name}.sql"),
        "original_file_path": "models/_schema.yml",
        "unique_id": unique_id,
        "fqn": [PROJECT, name],
        "alias": name,
        "checksum": {"name": "none", "checksum": ""},
        "config": {
            "enabled": true, "alias": null, "schema": "dbt_test__audit", "database": null,
            "tags": [], "meta": {}, "materialized": "test", "severity": severity,
            "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0"
        },
        "tags": [],
        "description": "",
        "columns": {},
        "meta": {},
        "relation_name": null,
        "raw_code": format!("{{{{ test_{}(**_dbt_generic_test_kwargs) }}}}", test.kind),
        "language": "sql",
        "refs": refs,
        "sources": sources,
        "metrics": [],
        "depends_on": {"macros": [format!("macro.dbt.test_{}", test.kind)], "nodes": depends},
        "compiled": true,
        "compiled_code": sql,
        "extra_ctes_injected": true,
        "extra_ctes": [],
        "column_name": column,
        "file_key_name": format!("models.{}", node.name),
        "attached_node": if node.kind == Kind::Source { Value::Null } else { json!(node.unique_id) },
        "test_metadata": {"name": test.kind, "kwargs": kwargs, "namespace": null}
    });
    (unique_id, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_what_dbt_writes() {
        assert_eq!(timestamp(0), "2026-11-23T15:00:00.000000Z");
        assert_eq!(timestamp(3_723_456), "2026-11-23T16:02:03.456000Z");
    }

    #[test]
    fn compiled_sql_inlines_ephemeral_parents() {
        let project = DbtSynth::new(60, 0).generate();
        let with_cte = project.manifest["nodes"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|n| n["compiled_code"].as_str())
            .filter(|sql| sql.starts_with("with __dbt__cte__m"))
            .count();
        assert!(with_cte > 0, "some model reads an ephemeral one");
    }
}

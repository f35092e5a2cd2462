//! `catalog.json` (schema v1): what the warehouse reported for each relation when
//! `dbt docs generate` ran — column types, positions and comments, table stats.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::common::{RawMetadata, from_slice, read_file};
use crate::de::{Entries, loose_count, nullable, string_list};
use crate::error::{ArtifactKind, Error, Parsed};
use crate::version;

/// A catalog: one [`CatalogTable`] per model/seed/snapshot and per source.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub file: String,
    pub metadata: CatalogMetadata,
    nodes: Vec<CatalogTable>,
    sources: Vec<CatalogTable>,
    /// `errors`: what dbt could not catalog.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CatalogMetadata {
    pub dbt_schema_version: Option<String>,
    pub schema_version: Option<u32>,
    pub dbt_version: Option<String>,
    pub generated_at: Option<String>,
}

/// One relation as the warehouse described it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogTable {
    pub unique_id: String,
    /// `metadata.type`: `BASE TABLE`, `VIEW`, `EXTERNAL_TABLE`, …
    pub table_type: Option<String>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub name: Option<String>,
    /// The relation's comment (non-empty).
    pub comment: Option<String>,
    /// The relation's owner, when the warehouse reports one.
    pub owner: Option<String>,
    /// By `index`, then name.
    pub columns: Vec<CatalogColumn>,
    /// In file order.
    pub stats: Vec<CatalogStat>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogColumn {
    pub name: String,
    /// `type` as the warehouse spells it (`DECIMAL(38,2)`, `array<string>`).
    pub data_type: String,
    /// 1-based position.
    pub index: Option<u64>,
    /// The column's comment (non-empty).
    pub comment: Option<String>,
}

/// A table statistic (`row_count`, `bytes`, `has_stats`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogStat {
    pub id: String,
    pub label: Option<String>,
    /// A number, string, boolean or `null`, as the adapter reports it.
    pub value: serde_json::Value,
    /// Whether dbt's docs site shows it.
    pub include: bool,
    pub description: Option<String>,
}

impl Catalog {
    pub fn from_path(path: impl AsRef<Path>) -> Result<Parsed<Catalog>, Error> {
        let path = path.as_ref();
        let bytes = read_file(ArtifactKind::Catalog, path)?;
        Catalog::from_slice(&bytes, &path.display().to_string())
    }

    pub fn from_slice(bytes: &[u8], file: &str) -> Result<Parsed<Catalog>, Error> {
        let raw: RawCatalog = from_slice(ArtifactKind::Catalog, file, bytes)?;
        let meta = raw.metadata.unwrap_or_default();
        let (schema_version, warning) = version::check(
            ArtifactKind::Catalog,
            file,
            meta.dbt_schema_version.as_deref(),
        )?;
        let sort = |mut v: Vec<CatalogTable>| {
            v.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
            v
        };
        Ok(Parsed {
            artifact: Catalog {
                file: file.to_string(),
                metadata: CatalogMetadata {
                    dbt_schema_version: meta.dbt_schema_version,
                    schema_version,
                    dbt_version: meta.dbt_version,
                    generated_at: meta.generated_at,
                },
                nodes: sort(raw.nodes.0),
                sources: sort(raw.sources.0),
                errors: raw.errors,
            },
            warnings: warning.into_iter().collect(),
        })
    }

    pub fn nodes(&self) -> &[CatalogTable] {
        &self.nodes
    }

    pub fn sources(&self) -> &[CatalogTable] {
        &self.sources
    }

    /// The entry for a node or source unique id.
    pub fn get(&self, unique_id: &str) -> Option<&CatalogTable> {
        let find = |list: &'_ [CatalogTable]| -> Option<usize> {
            list.binary_search_by(|t| t.unique_id.as_str().cmp(unique_id))
                .ok()
        };
        find(&self.nodes)
            .map(|i| &self.nodes[i])
            .or_else(|| find(&self.sources).map(|i| &self.sources[i]))
    }
}

impl CatalogTable {
    /// The column named `name`: exact first, then ignoring ASCII case (warehouses
    /// that upper-case identifiers report `ORDER_ID` for a manifest's `order_id`).
    pub fn column(&self, name: &str) -> Option<&CatalogColumn> {
        self.columns.iter().find(|c| c.name == name).or_else(|| {
            self.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    /// A statistic's value by id (`row_count`).
    pub fn stat(&self, id: &str) -> Option<&serde_json::Value> {
        self.stats.iter().find(|s| s.id == id).map(|s| &s.value)
    }
}

#[derive(Deserialize)]
#[serde(expecting = "a dbt catalog (an object)")]
struct RawCatalog {
    #[serde(default)]
    metadata: Option<RawMetadata>,
    #[serde(default)]
    nodes: Tables,
    #[serde(default)]
    sources: Tables,
    #[serde(default, deserialize_with = "string_list")]
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a table's metadata (an object)")]
struct RawTableMetadata {
    #[serde(rename = "type", default)]
    table_type: Option<String>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a column (an object)")]
struct RawColumn {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type", default)]
    data_type: Option<String>,
    #[serde(default, deserialize_with = "loose_count")]
    index: Option<u64>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a table statistic (an object)")]
struct RawStat {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    include: bool,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a catalog entry (an object)")]
struct RawTable {
    #[serde(default)]
    unique_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    metadata: RawTableMetadata,
    #[serde(default)]
    columns: Entries<RawColumn>,
    #[serde(default)]
    stats: Entries<RawStat>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// `unique_id → table`, each entry converted as it is read.
#[derive(Default)]
struct Tables(Vec<CatalogTable>);

impl<'de> Deserialize<'de> for Tables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tables;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object keyed by unique id")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Tables, E> {
                Ok(Tables::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tables, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<String>()? {
                    let raw: RawTable = map.next_value()?;
                    let mut columns: Vec<CatalogColumn> = raw
                        .columns
                        .0
                        .into_iter()
                        .map(|(key, c)| CatalogColumn {
                            name: c.name.filter(|n| !n.is_empty()).unwrap_or(key),
                            data_type: c.data_type.unwrap_or_default(),
                            index: c.index,
                            comment: non_empty(c.comment),
                        })
                        .collect();
                    columns.sort_by(|a, b| {
                        (a.index.is_none(), a.index, &a.name).cmp(&(
                            b.index.is_none(),
                            b.index,
                            &b.name,
                        ))
                    });
                    let stats = raw
                        .stats
                        .0
                        .into_iter()
                        .map(|(key, s)| CatalogStat {
                            id: s.id.unwrap_or(key),
                            label: s.label,
                            value: s.value,
                            include: s.include,
                            description: s.description,
                        })
                        .collect();
                    let m = raw.metadata;
                    out.push(CatalogTable {
                        unique_id: raw.unique_id.filter(|u| !u.is_empty()).unwrap_or(key),
                        table_type: m.table_type,
                        database: m.database,
                        schema: m.schema,
                        name: m.name,
                        comment: non_empty(m.comment),
                        owner: non_empty(m.owner),
                        columns,
                        stats,
                    });
                }
                Ok(Tables(out))
            }
        }
        d.deserialize_any(V)
    }
}

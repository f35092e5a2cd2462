//! The data the mock serves: Glue Data Catalog contents in Glue's own JSON shapes
//! (PascalCase members, epoch-second timestamps), grouped by catalog.
//!
//! A catalog description file looks like this:
//!
//! ```json
//! {
//!   "AccountId": "123456789012",
//!   "Catalogs": [
//!     { "CatalogId": "123456789012",
//!       "Databases": [
//!         { "Name": "sales", "Description": "...", "LocationUri": "s3://...",
//!           "Tables": [ { "Name": "orders", "TableType": "EXTERNAL_TABLE",
//!                         "StorageDescriptor": { "Columns": [...], ... }, ... } ] } ] },
//!     { "CatalogId": "999988887777", "SharedWithAccount": true, "Databases": [...] }
//!   ]
//! }
//! ```
//!
//! `AccountId` is the caller's account: its catalog is the one `GetDatabases` lists
//! when no `CatalogId` is given. A catalog with `SharedWithAccount: true` is another
//! account's catalog shared with the caller (Lake Formation / RAM): its databases
//! appear in `GetDatabases` with `ResourceShareType` `FOREIGN` or `ALL`, and any
//! catalog can be read directly by passing its `CatalogId`.
//!
//! Members the mock does not interpret (`Parameters`, `SerdeInfo`, `Owner`...) are
//! kept as they are and served back verbatim, so a description can carry any field
//! the Glue API has. Sections for other Glue resources (workflows, jobs, triggers,
//! crawlers) are added as further top-level members next to `Catalogs`, each with its
//! own handlers in `ops` (see [`crate::ops`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A whole mocked Glue account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Catalog {
    /// The caller's account id, which is also its catalog id.
    pub account_id: String,
    #[serde(default)]
    pub catalogs: Vec<CatalogData>,
    /// Workflows, jobs, triggers, crawlers and their runs (see [`crate::pipelines`]).
    #[serde(default, skip_serializing_if = "crate::pipelines::Pipelines::is_empty")]
    pub pipelines: crate::pipelines::Pipelines,
}

/// One Data Catalog (one AWS account's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CatalogData {
    pub catalog_id: String,
    /// Shared with the caller's account by its owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_with_account: bool,
    #[serde(default)]
    pub databases: Vec<Database>,
}

/// A Glue database (`Database` shape) plus its tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Database {
    pub name: String,
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Every other `Database` member (Description, LocationUri, Parameters,
    /// CreateTime...), served as given.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A Glue table (`Table` shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    pub name: String,
    /// Every other `Table` member (TableType, StorageDescriptor, PartitionKeys,
    /// Parameters, ViewOriginalText...), served as given.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// Why a catalog description was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog description {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("catalog description {path} is not valid: {source}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("catalog description is not consistent: {0}")]
    Invalid(String),
}

/// A catalog as saved from the Glue API itself (the shape of the dbt fixtures'
/// `glue_catalog.json`): `GetDatabases` items, `GetTables` items keyed by database
/// name, and the catalog id. Other members (pipeline resources, statistics) are
/// not read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiExport {
    catalog_id: String,
    databases: Vec<Map<String, Value>>,
    #[serde(default)]
    tables: std::collections::BTreeMap<String, Vec<Map<String, Value>>>,
}

impl ApiExport {
    fn into_catalog(self) -> Result<Catalog, CatalogError> {
        let mut tables = self.tables;
        let mut databases = Vec::with_capacity(self.databases.len());
        for (index, mut fields) in self.databases.into_iter().enumerate() {
            let Some(Value::String(name)) = fields.remove("Name") else {
                return Err(CatalogError::Invalid(format!(
                    "databases[{index}] of the Glue export has no string \"Name\""
                )));
            };
            let tables = tables
                .remove(&name)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(index, mut fields)| {
                    // `DatabaseName` is added again when the table is served.
                    fields.remove("DatabaseName");
                    match fields.remove("Name") {
                        Some(Value::String(name)) => Ok(Table { name, fields }),
                        _ => Err(CatalogError::Invalid(format!(
                            "tables.{name}[{index}] of the Glue export has no string \"Name\""
                        ))),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            databases.push(Database {
                name,
                tables,
                fields,
            });
        }
        if let Some(db) = tables.keys().next() {
            return Err(CatalogError::Invalid(format!(
                "the export has tables for database {db}, which it does not list"
            )));
        }
        Ok(Catalog {
            account_id: self.catalog_id.clone(),
            catalogs: vec![CatalogData {
                catalog_id: self.catalog_id,
                shared_with_account: false,
                databases,
            }],
            pipelines: Default::default(),
        })
    }
}

impl Catalog {
    /// Parses a description and checks it (unique catalog ids, unique database
    /// names per catalog, unique table names per database). Both the mock's own
    /// shape (`AccountId`, `Catalogs`) and a Glue API export (`catalogId`,
    /// `databases`, `tables`) are read.
    pub fn from_json(text: &str, path: &str) -> Result<Catalog, CatalogError> {
        let parse_error = |source| CatalogError::Parse {
            path: path.to_string(),
            source,
        };
        // Parsed twice (shape, then type) so that errors keep their line and column.
        let value: Value = serde_json::from_str(text).map_err(parse_error)?;
        let c = if value.get("catalogId").is_some() && value.get("AccountId").is_none() {
            serde_json::from_str::<ApiExport>(text)
                .map_err(parse_error)?
                .into_catalog()?
        } else {
            serde_json::from_str(text).map_err(parse_error)?
        };
        c.validate()?;
        Ok(c)
    }

    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Catalog, CatalogError> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|source| CatalogError::Read {
            path: p.display().to_string(),
            source,
        })?;
        Catalog::from_json(&text, &p.display().to_string())
    }

    /// The sample catalog bundled with the crate (`data/sample-catalog.json`), used
    /// by the demo and end-to-end tests.
    pub fn sample() -> Catalog {
        let mut c = Catalog::from_json(SAMPLE_CATALOG, "data/sample-catalog.json")
            .expect("the bundled sample catalog is valid");
        // The ETL resources live in their own file (`data/sample-pipelines.json`).
        c.pipelines = crate::pipelines::Pipelines::sample();
        c
    }

    pub fn validate(&self) -> Result<(), CatalogError> {
        let mut ids = std::collections::HashSet::new();
        for cat in &self.catalogs {
            if !ids.insert(cat.catalog_id.as_str()) {
                return Err(CatalogError::Invalid(format!(
                    "catalog {} is listed twice",
                    cat.catalog_id
                )));
            }
            let mut dbs = std::collections::HashSet::new();
            for db in &cat.databases {
                // Glue stores database and table names lower-cased.
                if !dbs.insert(db.name.to_lowercase()) {
                    return Err(CatalogError::Invalid(format!(
                        "database {} appears twice in catalog {}",
                        db.name, cat.catalog_id
                    )));
                }
                let mut tables = std::collections::HashSet::new();
                for t in &db.tables {
                    if !tables.insert(t.name.to_lowercase()) {
                        return Err(CatalogError::Invalid(format!(
                            "table {} appears twice in database {} of catalog {}",
                            t.name, db.name, cat.catalog_id
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn catalog(&self, catalog_id: &str) -> Option<&CatalogData> {
        self.catalogs.iter().find(|c| c.catalog_id == catalog_id)
    }

    pub fn catalog_mut(&mut self, catalog_id: &str) -> &mut CatalogData {
        if let Some(i) = self
            .catalogs
            .iter()
            .position(|c| c.catalog_id == catalog_id)
        {
            return &mut self.catalogs[i];
        }
        self.catalogs.push(CatalogData {
            catalog_id: catalog_id.to_string(),
            ..Default::default()
        });
        self.catalogs.last_mut().expect("just pushed")
    }

    /// The number of tables over all catalogs.
    pub fn table_count(&self) -> usize {
        self.catalogs
            .iter()
            .flat_map(|c| &c.databases)
            .map(|d| d.tables.len())
            .sum()
    }
}

impl CatalogData {
    pub fn database(&self, name: &str) -> Option<&Database> {
        // Glue looks names up case-insensitively (it lower-cases them on write).
        self.databases
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }
}

impl Database {
    pub fn new(name: impl Into<String>) -> Database {
        Database {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The `Database` shape as Glue returns it.
    pub fn to_glue(&self, catalog_id: &str) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::String(self.name.clone()));
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        m.entry("CatalogId")
            .or_insert_with(|| Value::String(catalog_id.to_string()));
        Value::Object(m)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

impl Table {
    /// The `Table` shape as Glue returns it (with `DatabaseName` and `CatalogId`).
    pub fn to_glue(&self, catalog_id: &str, database: &str) -> Value {
        self.clone().into_glue(catalog_id, database)
    }

    /// [`Table::to_glue`] without copying the fields (generated tables).
    pub fn into_glue(self, catalog_id: &str, database: &str) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::String(self.name));
        m.insert("DatabaseName".into(), Value::String(database.to_string()));
        m.extend(self.fields);
        m.entry("CatalogId")
            .or_insert_with(|| Value::String(catalog_id.to_string()));
        Value::Object(m)
    }
}

/// The bundled sample catalog's text.
pub const SAMPLE_CATALOG: &str = include_str!("../data/sample-catalog.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glue_api_export_is_read_as_one_catalog() {
        let text = r#"{
          "catalogId": "123456789012",
          "databases": [{"Name": "raw_pos", "Description": "POS exports", "CatalogId": "123456789012"}],
          "tables": {"raw_pos": [{"Name": "orders", "DatabaseName": "raw_pos", "TableType": "EXTERNAL_TABLE"}]},
          "jobs": []
        }"#;
        let c = Catalog::from_json(text, "export.json").unwrap();
        assert_eq!(c.account_id, "123456789012");
        let db = c
            .catalog("123456789012")
            .unwrap()
            .database("raw_pos")
            .unwrap();
        assert_eq!(db.fields["Description"], "POS exports");
        let t = db.table("orders").unwrap();
        assert_eq!(
            t.to_glue("123456789012", "raw_pos"),
            serde_json::json!({"Name": "orders", "DatabaseName": "raw_pos",
                "TableType": "EXTERNAL_TABLE", "CatalogId": "123456789012"})
        );
    }

    #[test]
    fn an_export_with_tables_of_an_unlisted_database_is_refused() {
        let text = r#"{"catalogId": "1", "databases": [], "tables": {"ghost": [{"Name": "t"}]}}"#;
        let err = Catalog::from_json(text, "export.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ghost"), "{err}");
    }

    #[test]
    fn an_export_table_without_a_name_is_named_by_its_place() {
        let text = r#"{"catalogId": "1", "databases": [{"Name": "raw"}],
            "tables": {"raw": [{"Name": "a"}, {"TableType": "VIEW"}]}}"#;
        let err = Catalog::from_json(text, "export.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tables.raw[1]"), "{err}");
    }

    #[test]
    fn the_dbt_fixture_catalog_loads() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/dbt/jaffle/glue_catalog.json"
        );
        let c = Catalog::from_file(path).unwrap();
        assert_eq!(c.table_count(), 10);
        let raw = c
            .catalog("123456789012")
            .unwrap()
            .database("raw_pos")
            .unwrap();
        assert!(raw.table("till_events").is_some());
    }
}

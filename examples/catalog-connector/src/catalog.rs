//! The catalog file: databases, schemas, tables and columns as JSON.
//!
//! ```json
//! {"databases": [{"name": "sales", "description": "...", "schemas": [
//!     {"name": "public", "tables": [
//!         {"name": "orders", "tableType": "Regular", "description": "...", "columns": [
//!             {"name": "id", "dataType": "BIGINT", "constraint": "PRIMARY_KEY"},
//!             {"name": "note", "dataType": "VARCHAR", "dataLength": 200}
//!         ]}
//!     ]}
//! ]}]}
//! ```
//!
//! Databases and schemas are read strictly: a mistake there fails the run. Tables
//! are read one by one, so that a bad table is a failure of that table only.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub databases: Vec<Database>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schemas: Vec<Schema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Kept as JSON here and read one by one with [`Table::from_json`].
    #[serde(default)]
    pub tables: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Table {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub table_type: Option<String>,
    pub columns: Vec<Column>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    #[serde(default)]
    pub data_length: Option<u32>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub constraint: Option<String>,
}

impl CatalogFile {
    pub fn parse(text: &str) -> Result<CatalogFile, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn table_count(&self) -> usize {
        self.databases
            .iter()
            .flat_map(|d| &d.schemas)
            .map(|s| s.tables.len())
            .sum()
    }
}

impl Table {
    /// Reads one table entry; the error says which entry it was when it has no
    /// readable name.
    pub fn from_json(entry: &Value) -> Result<Table, String> {
        Table::deserialize(entry).map_err(|e| e.to_string())
    }
}

/// The name of a table entry that may not be a valid table, for messages.
pub fn entry_name(entry: &Value, index: usize) -> String {
    entry
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("table #{}", index + 1), str::to_owned)
}

/// OpenMetadata's column data types (`table.json#/definitions/dataType`).
const DATA_TYPES: &[&str] = &[
    "NUMBER",
    "TINYINT",
    "SMALLINT",
    "INT",
    "BIGINT",
    "BYTEINT",
    "BYTES",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "NUMERIC",
    "TIMESTAMP",
    "TIMESTAMPZ",
    "TIME",
    "DATE",
    "DATETIME",
    "INTERVAL",
    "STRING",
    "MEDIUMTEXT",
    "TEXT",
    "CHAR",
    "LONG",
    "VARCHAR",
    "BOOLEAN",
    "BINARY",
    "VARBINARY",
    "ARRAY",
    "BLOB",
    "LONGBLOB",
    "MEDIUMBLOB",
    "MAP",
    "STRUCT",
    "UNION",
    "SET",
    "GEOGRAPHY",
    "ENUM",
    "JSON",
    "UUID",
    "VARIANT",
    "GEOMETRY",
    "BYTEA",
    "AGGREGATEFUNCTION",
    "ERROR",
    "FIXED",
    "RECORD",
    "NULL",
    "SUPER",
    "HLLSKETCH",
    "PG_LSN",
    "PG_SNAPSHOT",
    "TSQUERY",
    "TXID_SNAPSHOT",
    "XML",
    "MACADDR",
    "TSVECTOR",
    "UNKNOWN",
    "CIDR",
    "INET",
    "CLOB",
    "ROWID",
    "LOWCARDINALITY",
    "YEAR",
    "POINT",
    "POLYGON",
    "TUPLE",
    "SPATIAL",
    "TABLE",
    "NTEXT",
    "IMAGE",
    "IPV4",
    "IPV6",
    "DATETIMERANGE",
    "HLL",
    "LARGEINT",
    "QUANTILE_STATE",
    "AGG_STATE",
    "BITMAP",
    "UINT",
    "BIT",
    "MONEY",
];

/// Types whose columns need a `dataLength` in OpenMetadata.
const SIZED_TYPES: &[&str] = &["CHAR", "VARCHAR", "BINARY", "VARBINARY"];

/// OpenMetadata's table types (`table.json#/definitions/tableType`).
const TABLE_TYPES: &[&str] = &[
    "Regular",
    "External",
    "Dynamic",
    "View",
    "SecureView",
    "MaterializedView",
    "Iceberg",
    "Local",
    "Partitioned",
    "Foreign",
    "Transient",
    "Stream",
    "Stage",
    "SemanticView",
];

const CONSTRAINTS: &[&str] = &["NULL", "NOT_NULL", "UNIQUE", "PRIMARY_KEY"];

/// The column's OpenMetadata data type, or `None` when the catalog's type is not
/// one (the connector then says `UNKNOWN` and warns).
pub fn data_type(declared: &str) -> Option<&'static str> {
    let upper = declared.trim().to_ascii_uppercase();
    DATA_TYPES.iter().copied().find(|t| *t == upper)
}

pub fn needs_length(data_type: &str) -> bool {
    SIZED_TYPES.contains(&data_type)
}

pub fn table_type(declared: &str) -> Option<&'static str> {
    TABLE_TYPES
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(declared.trim()))
}

pub fn constraint(declared: &str) -> Option<&'static str> {
    let upper = declared.trim().to_ascii_uppercase();
    CONSTRAINTS.iter().copied().find(|c| *c == upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_table_entry_is_reported_alone() {
        let catalog = CatalogFile::parse(
            &json!({"databases": [{"name": "d", "schemas": [{"name": "s", "tables": [
                {"name": "ok", "columns": []},
                {"name": "bad", "columns": [{"name": "c"}]},
                {"columns": []}
            ]}]}]})
            .to_string(),
        )
        .unwrap();
        let tables = &catalog.databases[0].schemas[0].tables;
        assert!(Table::from_json(&tables[0]).is_ok());
        let err = Table::from_json(&tables[1]).unwrap_err();
        assert!(err.contains("dataType"), "{err}");
        assert_eq!(entry_name(&tables[1], 1), "bad");
        assert_eq!(entry_name(&tables[2], 2), "table #3");
        assert_eq!(catalog.table_count(), 3);
    }

    #[test]
    fn unknown_database_field_is_an_error() {
        let err =
            CatalogFile::parse(r#"{"databases": [{"name": "d", "shemas": []}]}"#).unwrap_err();
        assert!(err.to_string().contains("shemas"), "{err}");
    }

    #[test]
    fn type_names() {
        assert_eq!(data_type("varchar"), Some("VARCHAR"));
        assert_eq!(data_type("serial"), None);
        assert!(needs_length("VARCHAR") && !needs_length("INT"));
        assert_eq!(table_type("view"), Some("View"));
        assert_eq!(constraint("primary_key"), Some("PRIMARY_KEY"));
    }
}

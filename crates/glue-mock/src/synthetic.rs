//! A generated catalog of any size, for benchmarks: N databases × M tables with
//! realistic column mixes. Tables are made on demand from their position, so a
//! 100,000-table catalog costs no memory until (and after) a page is served.

use serde_json::{Map, Value, json};

use crate::model::{Catalog, CatalogData, Database, Table};

/// The recipe of a generated catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthetic {
    pub account_id: String,
    pub databases: usize,
    pub tables_per_database: usize,
    /// Changes every generated table (types, counts, kinds) while keeping names.
    pub seed: u64,
}

/// splitmix64: a tiny, good-enough deterministic generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, a: usize, b: usize) -> Rng {
        let mut r = Rng(seed ^ (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (b as u64) << 20);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Column types as Glue crawlers, Athena and Spark write them, most common first.
const COLUMN_TYPES: &[&str] = &[
    "string",
    "string",
    "string",
    "bigint",
    "int",
    "double",
    "timestamp",
    "date",
    "boolean",
    "decimal(18,2)",
    "varchar(255)",
    "array<string>",
    "map<string,string>",
    "struct<id:bigint,name:string,tags:array<string>>",
    "array<struct<sku:string,qty:int,price:decimal(10,2)>>",
    "float",
    "smallint",
    "binary",
];

const COLUMN_WORDS: &[&str] = &[
    "id", "customer", "order", "amount", "status", "created", "updated", "region", "country",
    "price", "quantity", "sku", "event", "session", "user", "device", "channel", "score",
];

const EPOCH_2025: f64 = 1_735_689_600.0;

impl Synthetic {
    pub fn new(databases: usize, tables_per_database: usize) -> Synthetic {
        Synthetic {
            account_id: "123456789012".to_string(),
            databases,
            tables_per_database,
            seed: 7,
        }
    }

    pub fn table_count(&self) -> usize {
        self.databases * self.tables_per_database
    }

    pub fn database_name(&self, i: usize) -> String {
        format!("db_{i:05}")
    }

    pub fn table_name(&self, t: usize) -> String {
        format!("table_{t:06}")
    }

    /// The database position of a name made by [`Synthetic::database_name`].
    pub fn database_index(&self, name: &str) -> Option<usize> {
        let i: usize = name
            .to_ascii_lowercase()
            .strip_prefix("db_")?
            .parse()
            .ok()?;
        (i < self.databases).then_some(i)
    }

    pub fn table_index(&self, name: &str) -> Option<usize> {
        let i: usize = name
            .to_ascii_lowercase()
            .strip_prefix("table_")?
            .parse()
            .ok()?;
        (i < self.tables_per_database).then_some(i)
    }

    pub fn database(&self, i: usize) -> Database {
        let name = self.database_name(i);
        let mut fields = Map::new();
        fields.insert(
            "Description".into(),
            Value::String(format!("Generated database {i}")),
        );
        fields.insert(
            "LocationUri".into(),
            Value::String(format!("s3://synthetic-lake/{name}/")),
        );
        fields.insert("CreateTime".into(), json!(EPOCH_2025 + i as f64));
        Database {
            name,
            tables: Vec::new(),
            fields,
        }
    }

    fn columns(&self, rng: &mut Rng, n: usize) -> Vec<Value> {
        (0..n)
            .map(|c| {
                let word = COLUMN_WORDS[rng.range(0, COLUMN_WORDS.len() - 1)];
                let ty = COLUMN_TYPES[rng.range(0, COLUMN_TYPES.len() - 1)];
                let mut col = json!({"Name": format!("{word}_{c}"), "Type": ty});
                if rng.chance(20) {
                    col["Comment"] = Value::String(format!("The {word} of the row"));
                }
                col
            })
            .collect()
    }

    /// The table at position `t` of database `d`.
    pub fn table(&self, d: usize, t: usize) -> Table {
        let mut rng = Rng::new(self.seed, d, t);
        let db = self.database_name(d);
        let name = self.table_name(t);
        let location = format!("s3://synthetic-lake/{db}/{name}/");
        let n_cols = rng.range(5, 40);
        let kind = rng.range(0, 99);
        let created = json!(EPOCH_2025 + (d * 1000 + t) as f64);
        let fields = if kind < 70 {
            let mut partitions = vec![json!({"Name": "dt", "Type": "string"})];
            if rng.chance(30) {
                partitions.push(json!({"Name": "region", "Type": "string"}));
            }
            json!({
                "TableType": "EXTERNAL_TABLE",
                "CreateTime": created,
                "Owner": "hadoop",
                "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
                "PartitionKeys": partitions,
                "StorageDescriptor": {
                    "Columns": self.columns(&mut rng, n_cols),
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}},
                    "Compressed": false,
                    "StoredAsSubDirectories": false
                }
            })
        } else if kind < 82 {
            let mut cols = self.columns(&mut rng, n_cols);
            for (i, c) in cols.iter_mut().enumerate() {
                let current = i == 0 || !rng.chance(10);
                c["Parameters"] = json!({
                    "iceberg.field.id": (i + 1).to_string(),
                    "iceberg.field.optional": "true",
                    "iceberg.field.current": current.to_string()
                });
            }
            json!({
                "TableType": "EXTERNAL_TABLE",
                "CreateTime": created,
                "Parameters": {"table_type": "ICEBERG", "metadata_location": format!("{location}metadata/00001.metadata.json")},
                "StorageDescriptor": {"Columns": cols, "Location": location}
            })
        } else if kind < 92 {
            let cols = self.columns(&mut rng, n_cols.min(12));
            let names: Vec<String> = cols
                .iter()
                .map(|c| c["Name"].as_str().unwrap_or("x").to_string())
                .collect();
            let sql = format!(
                "SELECT {} FROM {db}.{}",
                names.join(", "),
                self.table_name(t.saturating_sub(1))
            );
            json!({
                "TableType": "VIRTUAL_VIEW",
                "CreateTime": created,
                "ViewOriginalText": sql,
                "ViewExpandedText": sql,
                "StorageDescriptor": {"Columns": cols, "Location": "", "SerdeInfo": {}}
            })
        } else {
            json!({
                "TableType": "MANAGED_TABLE",
                "CreateTime": created,
                "StorageDescriptor": {
                    "Columns": self.columns(&mut rng, n_cols),
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
                    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.orc.OrcSerde"}
                }
            })
        };
        let Value::Object(fields) = fields else {
            unreachable!("json! object")
        };
        Table { name, fields }
    }

    /// The whole catalog as data, for small recipes (tests); benchmarks serve the
    /// recipe directly.
    pub fn to_catalog(&self) -> Catalog {
        let databases = (0..self.databases)
            .map(|d| {
                let mut db = self.database(d);
                db.tables = (0..self.tables_per_database)
                    .map(|t| self.table(d, t))
                    .collect();
                db
            })
            .collect();
        Catalog {
            account_id: self.account_id.clone(),
            catalogs: vec![CatalogData {
                catalog_id: self.account_id.clone(),
                shared_with_account: false,
                databases,
            }],
            ..Catalog::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_varied() {
        let s = Synthetic::new(3, 50);
        assert_eq!(s.table(1, 7), s.table(1, 7));
        assert_ne!(s.table(1, 7), s.table(1, 8));
        let kinds: std::collections::BTreeSet<String> = (0..50)
            .map(|t| {
                let tb = s.table(0, t);
                let iceberg = tb
                    .fields
                    .get("Parameters")
                    .and_then(|p| p.get("table_type"))
                    == Some(&Value::from("ICEBERG"));
                format!(
                    "{}{}",
                    tb.fields["TableType"],
                    if iceberg { "+iceberg" } else { "" }
                )
            })
            .collect();
        assert!(kinds.len() >= 3, "{kinds:?}");
        assert_eq!(s.database_index("db_00002"), Some(2));
        assert_eq!(s.database_index("db_00003"), None);
        assert_eq!(s.table_index(&s.table_name(49)), Some(49));
        assert_eq!(s.to_catalog().table_count(), 150);
    }
}

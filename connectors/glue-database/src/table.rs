//! One Glue table as an OpenMetadata `CreateTableRequest`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_glue::types::Table as GlueTable;
use md5::{Digest, Md5};
use om_spec::generated::api::data::create_table::CreateTableRequest;
use om_spec::generated::entity::data::table::{FileFormat, TableType};
use serde_json::Value;

use crate::columns::table_columns;
use crate::names;
use crate::urls::console_table_url;
use crate::view::view_definition;

/// What kind of table a Glue table is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableKind {
    pub table_type: TableType,
    /// A view for `includeViews` and `schemaDefinition`.
    pub is_view: bool,
    pub iceberg: bool,
}

/// The table type: `Parameters.table_type = ICEBERG` first (an Iceberg view too,
/// as upstream), then Glue's `TableType`. Views are `VIRTUAL_VIEW` tables and Glue
/// materialized views; `MANAGED_TABLE`, `GOVERNED` and anything else are regular.
pub fn table_kind(t: &GlueTable) -> TableKind {
    let iceberg = t
        .parameters()
        .and_then(|p| p.get("table_type"))
        .is_some_and(|v| v.eq_ignore_ascii_case("ICEBERG"));
    let glue_type = t.table_type().unwrap_or("").to_ascii_uppercase();
    let materialized = t.is_materialized_view() == Some(true) || glue_type == "MATERIALIZED_VIEW";
    let is_view = glue_type == "VIRTUAL_VIEW" || materialized;
    let table_type = if iceberg {
        TableType::Iceberg
    } else if materialized {
        TableType::MaterializedView
    } else {
        match glue_type.as_str() {
            "EXTERNAL_TABLE" => TableType::External,
            "VIRTUAL_VIEW" => TableType::View,
            _ => TableType::Regular,
        }
    };
    TableKind {
        table_type,
        is_view,
        iceberg,
    }
}

/// `FileFormat` values in the order upstream tries them as substrings.
const FILE_FORMATS: &[&str] = &[
    "csv",
    "csv.gz",
    "tsv",
    "avro",
    "parquet",
    "pq",
    "pqt",
    "parq",
    "parquet.snappy",
    "json",
    "json.gz",
    "json.zip",
    "jsonl",
    "jsonl.gz",
    "jsonl.zip",
    "MF4",
];

fn file_format_value(wire: &str) -> Option<FileFormat> {
    serde_json::from_value(Value::String(wire.to_string())).ok()
}

/// The first format whose name occurs in `text` (lower-cased).
fn format_in(text: &str) -> Option<FileFormat> {
    let lower = text.to_lowercase();
    FILE_FORMATS
        .iter()
        .find(|f| lower.contains(&f.to_lowercase()))
        .and_then(|f| file_format_value(f))
}

/// The file format: from the SerDe library as upstream does (`LazySimpleSerDe` is
/// `tsv` when tab-separated, else `csv`; otherwise the first format named in the
/// library), and, beyond upstream, from the input format when the SerDe names none
/// (tables written without a SerDe, or with a generic one).
pub fn file_format(t: &GlueTable) -> Option<FileFormat> {
    let sd = t.storage_descriptor()?;
    let serde = sd.serde_info();
    if let Some(library) = serde.and_then(|s| s.serialization_library()) {
        if library.ends_with(".LazySimpleSerDe") {
            let params = serde.and_then(|s| s.parameters());
            let tab = |k: &str| params.and_then(|p| p.get(k)).is_some_and(|v| v == "\t");
            return file_format_value(if tab("serialization.format") || tab("field.delim") {
                "tsv"
            } else {
                "csv"
            });
        }
        if let Some(f) = format_in(library) {
            return Some(f);
        }
    }
    sd.input_format().and_then(format_in)
}

/// Custom property names as OpenMetadata's ingestion makes them from Glue
/// parameter keys: characters outside `[A-Za-z0-9_.-]` become `__`, a leading
/// non-alphanumeric character gets `p_` in front, a changed name gets `_` and the
/// first 8 hex digits of the key's MD5, and a name over 256 characters becomes the
/// whole MD5.
pub fn custom_property_name(raw: &str) -> String {
    let md5_hex = || hex(&Md5::digest(raw.as_bytes()));
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c.to_string()
            } else {
                "__".to_string()
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        name = format!("p_{name}");
    }
    if name != raw {
        name = format!("{name}_{}", &md5_hex()[..8]);
    }
    if name.chars().count() > 256 {
        name = md5_hex();
    }
    name
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `extension` from Glue table parameters: every non-empty value as a string
/// custom property, keys sorted so the request (and its hash) is stable.
pub fn extension(params: Option<&HashMap<String, String>>) -> Option<Value> {
    let params = params?;
    let map: BTreeMap<String, Value> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (custom_property_name(k), Value::String(v.clone())))
        .collect();
    (!map.is_empty()).then(|| Value::Object(map.into_iter().collect()))
}

/// Where the table is, for messages and links.
#[derive(Debug, Clone)]
pub struct TablePlace<'a> {
    pub schema_fqn: &'a str,
    /// The Glue database name.
    pub schema: &'a str,
    /// The Glue catalog id the table is read from.
    pub catalog_id: &'a str,
    pub region: &'a str,
    pub include_custom_properties: bool,
}

/// A mapped table.
#[derive(Debug)]
pub struct MappedTable {
    pub request: CreateTableRequest,
    pub kind: TableKind,
    /// Things lost or degraded (unreadable column types, view text).
    pub warnings: Vec<String>,
}

/// Maps a Glue table. `name` is the stored name ([`names::table_name`]).
pub fn map_table(place: &TablePlace<'_>, t: &GlueTable, name: String) -> MappedTable {
    let kind = table_kind(t);
    let sd = t.storage_descriptor();
    let cols = table_columns(
        sd.map(|s| s.columns()).unwrap_or_default(),
        t.partition_keys(),
        kind.iceberg,
    );
    let mut warnings = cols.warnings;
    let mut table_type = kind.table_type.clone();

    let schema_definition = if kind.is_view {
        let cut = names::truncate_chars(t.name(), names::TABLE_NAME_MAX);
        // Multi-dialect Glue views keep their texts in representations.
        let reps = t
            .view_definition()
            .map(|d| d.representations())
            .unwrap_or_default();
        let mut def = view_definition(
            place.schema,
            cut,
            t.view_original_text(),
            t.view_expanded_text(),
        );
        for r in reps {
            if def.sql.is_some() {
                break;
            }
            let more = view_definition(
                place.schema,
                cut,
                r.view_original_text(),
                r.view_expanded_text(),
            );
            def.unreadable.extend(more.unreadable);
            def.sql = more.sql;
            def.materialized |= more.materialized;
        }
        if def.materialized && table_type == TableType::View {
            table_type = TableType::MaterializedView;
        }
        if let Some(reason) = def.unreadable.first() {
            warnings.push(format!(
                "the view text looks like a Presto/Trino view but cannot be read ({reason})"
            ));
        }
        def.sql
    } else {
        None
    };

    let request = CreateTableRequest {
        name,
        description: t
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        table_type: Some(table_type.clone()),
        columns: cols.columns,
        table_partition: cols.partition,
        database_schema: place.schema_fqn.to_string(),
        schema_definition,
        file_format: file_format(t),
        location_path: sd
            .and_then(|s| s.location())
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        source_url: Some(console_table_url(
            place.region,
            place.catalog_id,
            place.schema,
            t.name(),
        )),
        extension: if place.include_custom_properties {
            extension(t.parameters())
        } else {
            None
        },
        ..Default::default()
    };
    MappedTable {
        request,
        kind: TableKind { table_type, ..kind },
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_glue::types::{SerDeInfo, StorageDescriptor};

    fn table(table_type: Option<&str>, params: &[(&str, &str)]) -> GlueTable {
        let mut b = GlueTable::builder()
            .name("t")
            .set_table_type(table_type.map(str::to_string));
        for (k, v) in params {
            b = b.parameters(*k, *v);
        }
        b.build().unwrap()
    }

    #[test]
    fn table_types() {
        let k = |tt, p: &[(&str, &str)]| table_kind(&table(tt, p)).table_type;
        assert_eq!(k(Some("EXTERNAL_TABLE"), &[]), TableType::External);
        assert_eq!(
            k(Some("EXTERNAL_TABLE"), &[("table_type", "ICEBERG")]),
            TableType::Iceberg
        );
        assert_eq!(
            k(Some("EXTERNAL_TABLE"), &[("table_type", "iceberg")]),
            TableType::Iceberg
        );
        assert_eq!(k(Some("VIRTUAL_VIEW"), &[]), TableType::View);
        let iceberg_view = table_kind(&table(Some("VIRTUAL_VIEW"), &[("table_type", "ICEBERG")]));
        assert_eq!(iceberg_view.table_type, TableType::Iceberg);
        assert!(iceberg_view.is_view);
        assert_eq!(k(Some("MANAGED_TABLE"), &[]), TableType::Regular);
        assert_eq!(k(Some("GOVERNED"), &[]), TableType::Regular);
        assert_eq!(k(None, &[]), TableType::Regular);
        let mv = GlueTable::builder()
            .name("mv")
            .table_type("VIRTUAL_VIEW")
            .is_materialized_view(true)
            .build()
            .unwrap();
        assert_eq!(table_kind(&mv).table_type, TableType::MaterializedView);
    }

    fn with_serde(
        library: Option<&str>,
        params: &[(&str, &str)],
        input: Option<&str>,
    ) -> GlueTable {
        let mut s = SerDeInfo::builder().set_serialization_library(library.map(str::to_string));
        for (k, v) in params {
            s = s.parameters(*k, *v);
        }
        let sd = StorageDescriptor::builder()
            .serde_info(s.build())
            .set_input_format(input.map(str::to_string))
            .build();
        GlueTable::builder()
            .name("t")
            .storage_descriptor(sd)
            .build()
            .unwrap()
    }

    #[test]
    fn file_formats_as_upstream_plus_input_format() {
        let f = |lib, params: &[(&str, &str)]| file_format(&with_serde(lib, params, None));
        let lazy = Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
        assert_eq!(
            f(lazy, &[("serialization.format", "\t")]),
            Some(FileFormat::Tsv)
        );
        assert_eq!(
            f(lazy, &[("serialization.format", "1")]),
            Some(FileFormat::Csv)
        );
        assert_eq!(f(lazy, &[("field.delim", "\t")]), Some(FileFormat::Tsv));
        assert_eq!(
            f(
                Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
                &[]
            ),
            Some(FileFormat::Parquet)
        );
        assert_eq!(
            f(Some("org.apache.hadoop.hive.serde2.avro.AvroSerDe"), &[]),
            Some(FileFormat::Avro)
        );
        assert_eq!(
            f(Some("org.openx.data.jsonserde.JsonSerDe"), &[]),
            Some(FileFormat::Json)
        );
        assert_eq!(
            f(Some("org.apache.hadoop.hive.serde2.OpenCSVSerde"), &[]),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            f(Some("org.apache.hadoop.hive.serde2.RegexSerDe"), &[]),
            None
        );
        assert_eq!(
            f(Some("org.apache.hadoop.hive.ql.io.orc.OrcSerde"), &[]),
            None
        );
        let by_input = with_serde(
            None,
            &[],
            Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"),
        );
        assert_eq!(file_format(&by_input), Some(FileFormat::Parquet));
        assert_eq!(file_format(&table(None, &[])), None);
    }

    #[test]
    fn custom_property_names() {
        assert_eq!(custom_property_name("classification"), "classification");
        assert_eq!(
            custom_property_name("skip.header.line.count"),
            "skip.header.line.count"
        );
        let spaced = custom_property_name("my key");
        assert!(
            spaced.starts_with("my__key_") && spaced.len() == "my__key_".len() + 8,
            "{spaced}"
        );
        assert!(custom_property_name("_hidden").starts_with("p__hidden_"));
        assert_eq!(custom_property_name(&"k".repeat(300)).len(), 32);
        let ext = extension(Some(&HashMap::from([
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
            ("empty".to_string(), String::new()),
        ])))
        .unwrap();
        assert_eq!(ext.to_string(), r#"{"a":"1","b":"2"}"#);
    }
}

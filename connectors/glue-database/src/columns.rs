//! A Glue table's columns as OpenMetadata columns: `StorageDescriptor.Columns`
//! then `PartitionKeys`, each name once (compared case-insensitively, because Glue
//! lower-cases names while crawlers and Iceberg repeat partition fields), retired
//! Iceberg fields left out, and `tablePartition` from the partition keys.

use std::collections::HashMap;
use std::sync::LazyLock;

use aws_sdk_glue::types::Column as GlueColumn;
use hive_types::{MappedColumn, MappedType, parse_or_unknown};
use om_spec::generated::entity::data::table::{
    Column, DataType, PartitionColumnDetails, PartitionIntervalTypes, TablePartition,
};

use crate::names::column_name;

/// The columns of one table and what was noticed while mapping them.
#[derive(Debug, Default)]
pub struct TableColumns {
    pub columns: Vec<Column>,
    pub partition: Option<TablePartition>,
    /// One line per column whose type could not be read (it became `UNKNOWN`).
    pub warnings: Vec<String>,
}

/// `iceberg.field.current = false` marks a field dropped from an Iceberg table
/// that Glue still lists.
fn is_retired_iceberg_field(c: &GlueColumn) -> bool {
    c.parameters()
        .and_then(|p| p.get("iceberg.field.current"))
        .is_some_and(|v| v.eq_ignore_ascii_case("false"))
}

/// hive-types' data types as the generated enum, converted once through their
/// wire names (the generated enum reads any name; unknown ones as `Unrecognized`).
static DATA_TYPES: LazyLock<HashMap<hive_types::OmDataType, DataType>> = LazyLock::new(|| {
    hive_types::OmDataType::ALL
        .iter()
        .map(|t| {
            let wire = serde_json::Value::String(t.as_str().to_string());
            (
                *t,
                serde_json::from_value(wire).unwrap_or(DataType::Unknown),
            )
        })
        .collect()
});

fn data_type(t: hive_types::OmDataType) -> DataType {
    DATA_TYPES.get(&t).cloned().unwrap_or(DataType::Unknown)
}

fn apply_type(col: &mut Column, ty: &MappedType) {
    col.data_type = data_type(ty.data_type);
    col.array_data_type = ty.array_data_type.map(data_type);
    col.data_length = ty.data_length.map(i64::from);
    col.precision = ty.precision.map(i64::from);
    col.scale = ty.scale.map(i64::from);
    col.data_type_display = Some(ty.data_type_display.clone());
    col.children = ty
        .children
        .as_ref()
        .map(|children| children.iter().map(nested_column).collect());
}

/// A column with only a name; [`apply_type`] sets its type. The generated
/// `Column` has no `Default` (its `dataType` is required), so an empty column is
/// read once from JSON and cloned, which keeps working when the spec grows a field.
static EMPTY_COLUMN: LazyLock<Column> = LazyLock::new(|| {
    serde_json::from_value(serde_json::json!({"name": "", "dataType": "UNKNOWN"}))
        .expect("a name and a data type make a column")
});

fn named_column(name: String) -> Column {
    let mut col = EMPTY_COLUMN.clone();
    col.name = name;
    col
}

fn nested_column(field: &MappedColumn) -> Column {
    let name = column_name(&field.name);
    let mut col = named_column(name.clone());
    col.display_name = (name != field.name).then(|| field.name.clone());
    col.description = field.description.clone().filter(|d| !d.is_empty());
    apply_type(&mut col, &field.ty);
    col
}

/// One top-level column, stored as `name`. `warnings` gets a line when the type is
/// unreadable.
fn top_level_column(
    c: &GlueColumn,
    name: String,
    position: usize,
    warnings: &mut Vec<String>,
) -> Column {
    let raw_type = c.r#type().unwrap_or("");
    let (ty, error) = if raw_type.trim().is_empty() {
        (
            MappedType::unknown(raw_type),
            Some("the column has no type".to_string()),
        )
    } else {
        let (ty, e) = parse_or_unknown(raw_type);
        (ty, e.map(|e| e.to_string()))
    };
    if let Some(e) = error {
        warnings.push(format!(
            "column `{}` has a type omctl cannot read ({e}): `{raw_type}`; it is stored as UNKNOWN with the original text",
            c.name()
        ));
    }
    let mut col = named_column(name);
    col.display_name = Some(c.name().to_string());
    col.description = c.comment().filter(|d| !d.is_empty()).map(str::to_string);
    col.ordinal_position = Some(position as i64);
    apply_type(&mut col, &ty);
    col
}

/// Maps the columns of a table. `iceberg` drops retired fields.
pub fn table_columns(
    storage_columns: &[GlueColumn],
    partition_keys: &[GlueColumn],
    iceberg: bool,
) -> TableColumns {
    let mut out = TableColumns::default();
    // Lower-cased stored name -> position in `out.columns`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut add = |c: &GlueColumn, out: &mut TableColumns| -> usize {
        let name = column_name(c.name());
        let key = name.to_lowercase();
        if let Some(&i) = seen.get(&key) {
            return i;
        }
        let i = out.columns.len();
        let col = top_level_column(c, name, i + 1, &mut out.warnings);
        out.columns.push(col);
        seen.insert(key, i);
        i
    };
    for c in storage_columns {
        if iceberg && is_retired_iceberg_field(c) {
            continue;
        }
        add(c, &mut out);
    }
    let mut partition_columns = Vec::new();
    for pk in partition_keys {
        let i = add(pk, &mut out);
        let name = out.columns[i].name.clone();
        if !partition_columns
            .iter()
            .any(|p: &PartitionColumnDetails| p.column_name.as_deref() == Some(&name))
        {
            partition_columns.push(PartitionColumnDetails {
                column_name: Some(name),
                // Hive-style partitions: one directory per value.
                interval_type: Some(PartitionIntervalTypes::ColumnValue),
                interval: None,
            });
        }
    }
    if !partition_columns.is_empty() {
        out.partition = Some(TablePartition {
            columns: Some(partition_columns),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> GlueColumn {
        GlueColumn::builder().name(name).r#type(ty).build().unwrap()
    }

    fn names(t: &TableColumns) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    // Upstream's TestGlueColumnDeduplication cases (string columns).
    #[test]
    fn partition_keys_follow_columns_once() {
        let t = table_columns(
            &[col("event_id", "string"), col("load_date", "string")],
            &[col("load_date", "string")],
            false,
        );
        assert_eq!(names(&t), ["event_id", "load_date"]);
        let t = table_columns(
            &[col("event_id", "string")],
            &[col("load_date", "string")],
            false,
        );
        assert_eq!(names(&t), ["event_id", "load_date"]);
        assert_eq!(t.columns[1].ordinal_position, Some(2));
        let long = "a".repeat(256);
        let t = table_columns(
            &[
                col(&format!("{long}_first"), "string"),
                col(&format!("{long}_second"), "string"),
            ],
            &[],
            false,
        );
        assert_eq!(names(&t), [long.as_str()]);
        assert!(t.warnings.is_empty());
    }

    // Upstream keeps both `DT` and `dt`; the server then rejects the table.
    #[test]
    fn duplicates_differing_in_case_are_dropped_and_partition_points_at_the_kept_one() {
        let t = table_columns(
            &[col("event_id", "string"), col("DT", "string")],
            &[col("dt", "string")],
            false,
        );
        assert_eq!(names(&t), ["event_id", "DT"]);
        let p = t.partition.unwrap().columns.unwrap();
        assert_eq!(p[0].column_name.as_deref(), Some("DT"));
        assert_eq!(
            p[0].interval_type,
            Some(PartitionIntervalTypes::ColumnValue)
        );
    }

    #[test]
    fn retired_iceberg_fields_are_dropped_only_for_iceberg() {
        let retired = GlueColumn::builder()
            .name("old")
            .r#type("int")
            .parameters("iceberg.field.current", "false")
            .build()
            .unwrap();
        let cols = [
            col("event_id", "string"),
            retired,
            col("bucket_key", "string"),
        ];
        let t = table_columns(&cols, &[col("bucket_key", "string")], true);
        assert_eq!(names(&t), ["event_id", "bucket_key"]);
        assert!(t.partition.is_some());
        let t = table_columns(&cols, &[], false);
        assert_eq!(names(&t), ["event_id", "old", "bucket_key"]);
    }

    #[test]
    fn unreadable_type_becomes_unknown_with_a_warning() {
        let t = table_columns(
            &[
                col("ok", "int"),
                col("bad", "struct<a:int"),
                GlueColumn::builder().name("untyped").build().unwrap(),
            ],
            &[],
            false,
        );
        assert_eq!(t.columns.len(), 3);
        assert_eq!(t.columns[1].data_type, DataType::Unknown);
        assert_eq!(
            t.columns[1].data_type_display.as_deref(),
            Some("struct<a:int")
        );
        assert_eq!(t.warnings.len(), 2);
        assert!(
            t.warnings[0].contains("`bad`") && t.warnings[0].contains("struct<a:int"),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn nested_types_keep_children_and_comments_become_descriptions() {
        let c = GlueColumn::builder()
            .name("Items")
            .r#type("array<struct<sku:string,`Unit Price`:decimal(10,2)>>")
            .comment("line items")
            .build()
            .unwrap();
        let t = table_columns(&[c], &[], false);
        let items = &t.columns[0];
        assert_eq!(items.name, "Items");
        assert_eq!(items.display_name.as_deref(), Some("Items"));
        assert_eq!(items.description.as_deref(), Some("line items"));
        assert_eq!(items.data_type, DataType::Array);
        assert_eq!(items.array_data_type, Some(DataType::Struct));
        let children = items.children.as_ref().unwrap();
        assert_eq!(children[1].name, "Unit Price");
        assert_eq!(children[1].precision, Some(10));
    }
}

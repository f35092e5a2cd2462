//! From a parsed type to the fields of an OpenMetadata `Column`.

use crate::data_type::OmDataType;
use crate::error::ParseError;
use crate::parser::{Params, TypeKind, TypeNode, parse};

/// The type-related fields of an OpenMetadata `Column`, for one column or nested
/// field. Field names follow the `Column` schema (`dataType`, `arrayDataType`,
/// `dataLength`, `precision`, `scale`, `dataTypeDisplay`, `children`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedType {
    /// `dataType`.
    pub data_type: OmDataType,
    /// `arrayDataType`: set exactly when `data_type` is `ARRAY` (the server rejects
    /// an array column without it); `UNKNOWN` when the element type is not known.
    pub array_data_type: Option<OmDataType>,
    /// `dataLength`: the length of `char(n)`/`varchar(n)`, the first number of any
    /// other parameterised non-decimal type, 1 for `CHAR`/`VARCHAR`/`BINARY`/
    /// `VARBINARY` without one (the server requires it), and for a top-level column
    /// 1 for every non-numeric type, as OpenMetadata's Glue connector sends.
    pub data_length: Option<i32>,
    /// `precision` of `decimal`/`numeric`/`number`.
    pub precision: Option<i32>,
    /// `scale` of `decimal`/`numeric`/`number`; never set without `precision`, never
    /// above it.
    pub scale: Option<i32>,
    /// `dataTypeDisplay`: the type's own text from the input, case and spacing kept,
    /// surrounding whitespace removed.
    pub data_type_display: String,
    /// `children`: struct fields; a map's `key` and `value`; a union's members
    /// `field0`, `field1`, ...; for an array, its element's children, or a single
    /// `element` child when the element is itself an array. `Some` (possibly empty)
    /// for every `STRUCT`, because the server rejects a struct column without it.
    pub children: Option<Vec<MappedColumn>>,
}

/// A nested column: a struct field, map key/value, union member or array element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    /// The field name, quoting removed, case kept.
    pub name: String,
    /// The field's `COMMENT`, if the type string had one.
    pub description: Option<String>,
    /// The field's type.
    pub ty: MappedType,
}

impl MappedType {
    /// Maps a parsed type as a table's top-level column.
    pub fn from_node(node: &TypeNode<'_>) -> MappedType {
        let mut mapped = map_node(node);
        if mapped.data_length.is_none() && !mapped.data_type.is_numeric_without_length() {
            mapped.data_length = Some(1);
        }
        mapped
    }

    /// The column for a type that could not be parsed: `UNKNOWN`, with the text
    /// kept in `dataTypeDisplay`.
    pub fn unknown(raw: &str) -> MappedType {
        MappedType {
            data_type: OmDataType::Unknown,
            array_data_type: None,
            data_length: Some(1),
            precision: None,
            scale: None,
            data_type_display: raw.trim_ascii().to_owned(),
            children: None,
        }
    }
}

/// Parses `raw` and maps it as a top-level column.
pub fn map_type(raw: &str) -> Result<MappedType, ParseError> {
    parse(raw).map(|node| MappedType::from_node(&node))
}

/// Like [`map_type`], but a type that cannot be parsed becomes
/// [`MappedType::unknown`] and the error is handed back for the caller's warning
/// (which should name the table and column).
pub fn parse_or_unknown(raw: &str) -> (MappedType, Option<ParseError>) {
    match map_type(raw) {
        Ok(mapped) => (mapped, None),
        Err(error) => (MappedType::unknown(raw), Some(error)),
    }
}

/// Maps a node as a nested column: only the lengths the type states or the server
/// requires.
fn map_node(node: &TypeNode<'_>) -> MappedType {
    let mut mapped = MappedType {
        data_type: node.data_type(),
        array_data_type: None,
        data_length: None,
        precision: None,
        scale: None,
        data_type_display: node.text.to_owned(),
        children: None,
    };
    match &node.kind {
        TypeKind::Primitive(primitive) => {
            let data_type = primitive.data_type;
            match (data_type.takes_precision_scale(), primitive.params) {
                (true, Params::One(precision)) => mapped.precision = Some(precision),
                (true, Params::Two(precision, scale)) => {
                    mapped.precision = Some(precision);
                    mapped.scale = Some(scale);
                }
                (false, Params::One(length) | Params::Two(length, _)) => {
                    mapped.data_length = Some(length);
                }
                _ => {}
            }
            if data_type.requires_length() && mapped.data_length.is_none() {
                mapped.data_length = Some(1);
            }
            // A bare `array` or `struct` keyword (Snowflake, PostgreSQL
            // information_schema) still has to satisfy the server's checks.
            if data_type == OmDataType::Array {
                mapped.array_data_type = Some(OmDataType::Unknown);
            }
            if data_type == OmDataType::Struct {
                mapped.children = Some(Vec::new());
            }
        }
        TypeKind::Array(element) => {
            mapped.array_data_type = Some(element.data_type());
            mapped.children = match &element.kind {
                TypeKind::Primitive(_) => None,
                TypeKind::Array(_) => Some(vec![nested("element", None, element)]),
                _ => children(element),
            };
        }
        TypeKind::Map(_) | TypeKind::Struct(_) | TypeKind::Union(_) => {
            mapped.children = children(node);
        }
    }
    mapped
}

/// The nested columns of a map, struct or union node.
fn children(node: &TypeNode<'_>) -> Option<Vec<MappedColumn>> {
    match &node.kind {
        TypeKind::Primitive(_) | TypeKind::Array(_) => None,
        TypeKind::Map(map) => Some(vec![
            nested("key", None, &map.key),
            nested("value", None, &map.value),
        ]),
        TypeKind::Struct(fields) => Some(
            fields
                .iter()
                .map(|field| nested(&field.name, field.comment.as_deref(), &field.ty))
                .collect(),
        ),
        TypeKind::Union(members) => Some(
            members
                .iter()
                .enumerate()
                .map(|(i, member)| nested(&format!("field{i}"), None, member))
                .collect(),
        ),
    }
}

fn nested(name: &str, description: Option<&str>, node: &TypeNode<'_>) -> MappedColumn {
    MappedColumn {
        name: name.to_owned(),
        description: description.map(str::to_owned),
        ty: map_node(node),
    }
}

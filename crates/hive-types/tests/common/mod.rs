//! Shared by the integration tests: a mapped column as the JSON OpenMetadata's
//! `Column` would carry, so expectations read like the upstream outputs.

use hive_types::{MappedColumn, MappedType};
use serde_json::{Map, Value, json};

/// A top-level column's type fields, without `name`.
pub fn to_json(mapped: &MappedType) -> Value {
    Value::Object(fields(mapped))
}

fn child_json(child: &MappedColumn) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), json!(child.name));
    if let Some(description) = &child.description {
        object.insert("description".into(), json!(description));
    }
    object.extend(fields(&child.ty));
    Value::Object(object)
}

fn fields(mapped: &MappedType) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("dataType".into(), json!(mapped.data_type.as_str()));
    if let Some(t) = mapped.array_data_type {
        object.insert("arrayDataType".into(), json!(t.as_str()));
    }
    if let Some(n) = mapped.data_length {
        object.insert("dataLength".into(), json!(n));
    }
    if let Some(n) = mapped.precision {
        object.insert("precision".into(), json!(n));
    }
    if let Some(n) = mapped.scale {
        object.insert("scale".into(), json!(n));
    }
    object.insert("dataTypeDisplay".into(), json!(mapped.data_type_display));
    if let Some(children) = &mapped.children {
        object.insert(
            "children".into(),
            Value::Array(children.iter().map(child_json).collect()),
        );
    }
    object
}

//! A Markdown table of the fields of a JSON Schema, for `omctl plugins describe`:
//! one row per field, nested objects flattened to dotted paths
//! (`awsConfig.awsRegion`), local `$ref`s followed.

use serde_json::Value;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub path: String,
    pub kind: String,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
}

/// How deep nested objects are flattened; deeper ones show as `object`.
const MAX_DEPTH: usize = 6;

/// The fields of `schema` in document order.
pub fn field_rows(schema: &Value) -> Vec<FieldRow> {
    let mut rows = Vec::new();
    collect(schema, schema, "", 0, &mut rows);
    rows
}

/// Follows a local `$ref` (`#/definitions/x`, `#/$defs/x`), once per level.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

/// The object schema among `anyOf`/`oneOf` members (the non-null one), if any.
fn nullable_inner<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = node.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = members
                .iter()
                .map(|m| resolve(root, m))
                .filter(|m| m.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [one] = non_null.as_slice() {
                return one;
            }
        }
    }
    node
}

fn type_name(root: &Value, node: &Value) -> String {
    let node = nullable_inner(root, resolve(root, node));
    if node.get("format").and_then(Value::as_str) == Some("password") {
        return "string (secret)".to_string();
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|v| {
                v.as_str()
                    .map_or_else(|| v.to_string(), |s| format!("`{s}`"))
            })
            .collect();
        return format!("one of {}", names.join(", "));
    }
    if let Some(c) = node.get("const") {
        return format!(
            "`{}`",
            c.as_str().map_or_else(|| c.to_string(), str::to_string)
        );
    }
    match node.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let items = node
                .get("items")
                .map(|i| type_name(root, i))
                .unwrap_or_else(|| "any".into());
            format!("array of {items}")
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if node.get("properties").is_some() => "object".to_string(),
        _ => "any".to_string(),
    }
}

fn collect(root: &Value, node: &Value, prefix: &str, depth: usize, rows: &mut Vec<FieldRow>) {
    let node = nullable_inner(root, resolve(root, node));
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, field) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let resolved = nullable_inner(root, resolve(root, field));
        let description = field
            .get("description")
            .or_else(|| resolved.get("description"))
            .or_else(|| field.get("title"))
            .or_else(|| resolved.get("title"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let default = field
            .get("default")
            .or_else(|| resolved.get("default"))
            .map(|d| match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        rows.push(FieldRow {
            path: path.clone(),
            kind: type_name(root, field),
            required: required.contains(&name.as_str()),
            default,
            description,
        });
        if depth < MAX_DEPTH && resolved.get("properties").is_some() {
            collect(root, resolved, &path, depth + 1, rows);
        }
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown table.
pub fn markdown_table(schema: &Value) -> String {
    let rows = field_rows(schema);
    if rows.is_empty() {
        return "This plugin declares no connection fields.\n".to_string();
    }
    let mut out = String::from(
        "| Field | Type | Required | Default | Description |\n|---|---|---|---|---|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            row.path,
            cell(&row.kind),
            if row.required { "yes" } else { "no" },
            row.default
                .map(|d| format!("`{}`", cell(&d)))
                .unwrap_or_default(),
            cell(&row.description),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["Glue"], "default": "Glue"},
                "awsConfig": {"$ref": "#/definitions/aws"},
                "databaseName": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Names | the database"},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["awsConfig"],
            "definitions": {
                "aws": {
                    "type": "object",
                    "properties": {
                        "awsRegion": {"type": "string", "description": "AWS region"},
                        "awsSecretAccessKey": {"type": "string", "format": "password"}
                    },
                    "required": ["awsRegion"]
                }
            }
        })
    }

    #[test]
    fn rows_follow_refs_and_nesting() {
        let rows = field_rows(&schema());
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "type",
                "awsConfig",
                "awsConfig.awsRegion",
                "awsConfig.awsSecretAccessKey",
                "databaseName",
                "tags"
            ]
        );
        assert!(rows[1].required && rows[2].required && !rows[3].required);
        assert_eq!(rows[0].kind, "one of `Glue`");
        assert_eq!(rows[0].default.as_deref(), Some("Glue"));
        assert_eq!(rows[3].kind, "string (secret)");
        assert_eq!(rows[4].kind, "string");
        assert_eq!(rows[5].kind, "array of string");
    }

    #[test]
    fn markdown_escapes_cells() {
        let md = markdown_table(&schema());
        assert!(md.starts_with("| Field | Type | Required | Default | Description |"));
        assert!(
            md.contains("| `awsConfig.awsRegion` | string | yes |  | AWS region |"),
            "{md}"
        );
        assert!(md.contains("Names \\| the database"), "{md}");
        assert_eq!(
            markdown_table(&Value::Null),
            "This plugin declares no connection fields.\n"
        );
    }
}

//! `omctl schema`: the workflow file's JSON Schema, bundled from spec/ at build
//! time (build.rs) into one document with no external references.

use crate::exit::{self, CliError};

/// The bundled schema.
pub const WORKFLOW_SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/workflow.schema.json"));

pub fn run() -> Result<u8, CliError> {
    print!("{WORKFLOW_SCHEMA}");
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn schema() -> Value {
        serde_json::from_str(WORKFLOW_SCHEMA).expect("the bundled schema is JSON")
    }

    fn follow<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => root
                .pointer(r.strip_prefix('#').expect("local ref"))
                .unwrap_or_else(|| panic!("dangling {r}")),
            None => node,
        }
    }

    fn all_refs<'a>(node: &'a Value, out: &mut Vec<&'a str>) {
        match node {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "$ref" {
                        out.extend(v.as_str());
                    } else {
                        all_refs(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| all_refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_is_local_and_resolves() {
        let s = schema();
        let mut refs = Vec::new();
        all_refs(&s, &mut refs);
        assert!(refs.len() > 20, "the workflow references many schemas");
        for r in refs {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("not local: {r}"));
            assert!(s.pointer(pointer).is_some(), "dangling {r}");
        }
        assert!(
            !WORKFLOW_SCHEMA.contains("\"$id\""),
            "inner $ids would break resolution"
        );
    }

    #[test]
    fn root_is_the_workflow_document() {
        let s = schema();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(required, ["source", "workflowConfig"]);
        let source = follow(&s, &s["properties"]["source"]);
        assert!(source["properties"]["serviceConnection"].is_object());
        let workflow_config = follow(&s, &s["properties"]["workflowConfig"]);
        assert_eq!(
            workflow_config["properties"]["successThreshold"]["maximum"],
            100
        );
    }

    #[test]
    fn glue_connection_and_its_secret_are_described() {
        let text = WORKFLOW_SCHEMA;
        assert!(text.contains("\"awsSecretAccessKey\""));
        assert!(
            text.contains("\"password\""),
            "secrets keep format: password for editors"
        );
        let s = schema();
        let defs = s["definitions"].as_object().unwrap();
        assert!(
            defs.keys().any(|k| k.contains("glueConnection")),
            "{:?}",
            defs.keys().collect::<Vec<_>>()
        );
    }
}

//! Bundles the workflow file's JSON Schema (spec/metadataIngestion/workflow.json and
//! every schema it references) into one self-contained document for `omctl schema`,
//! so editors get completion and checks without fetching anything.
//!
//! Each referenced schema becomes an entry of `definitions`, named after its file and
//! JSON pointer (`type.basic.componentConfig`), and every `$ref` points there. Inner
//! `$id`s are dropped: they would change how an editor resolves the rewritten refs.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

const ROOT_FILE: &str = "metadataIngestion/workflow.json";
const ROOT_POINTER: &str = "/definitions/openMetadataWorkflowConfig";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let spec = manifest_dir.join("../../spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    let bundled = bundle(&spec).unwrap_or_else(|e| {
        panic!(
            "cannot bundle the workflow schema from {}: {e}",
            spec.display()
        )
    });
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("workflow.schema.json");
    std::fs::write(&out, serde_json::to_string_pretty(&bundled).unwrap() + "\n").unwrap();
}

/// A schema node: a file under spec/ and a JSON pointer in it.
type Target = (String, String);

struct Bundler<'a> {
    spec: &'a Path,
    files: BTreeMap<String, Value>,
    names: BTreeMap<Target, String>,
    queue: VecDeque<Target>,
}

impl Bundler<'_> {
    fn file(&mut self, rel: &str) -> Result<&Value, String> {
        if !self.files.contains_key(rel) {
            let path = self.spec.join(rel);
            println!("cargo:rerun-if-changed={}", path.display());
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let value: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            self.files.insert(rel.to_string(), value);
        }
        Ok(&self.files[rel])
    }

    /// The definition name of a target, queueing it the first time.
    fn name_of(&mut self, target: Target) -> String {
        if let Some(name) = self.names.get(&target) {
            return name.clone();
        }
        let mut name = target.0.trim_end_matches(".json").replace('/', ".");
        for part in target
            .1
            .split('/')
            .filter(|p| !p.is_empty() && *p != "definitions")
        {
            name.push('.');
            name.push_str(part);
        }
        self.names.insert(target.clone(), name.clone());
        self.queue.push_back(target);
        name
    }

    /// Copies `node` (from file `file`), pointing every `$ref` at `#/definitions/..`.
    fn rewrite(&mut self, file: &str, node: &Value) -> Result<Value, String> {
        Ok(match node {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match k.as_str() {
                        "$id" | "$schema" => {}
                        "$ref" => {
                            let reference = v.as_str().ok_or("a $ref that is not a string")?;
                            let target = resolve(file, reference);
                            let name = self.name_of(target);
                            out.insert(k.clone(), Value::String(format!("#/definitions/{name}")));
                        }
                        _ => {
                            out.insert(k.clone(), self.rewrite(file, v)?);
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.rewrite(file, v))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// Resolves `reference` (`../type/basic.json#/definitions/uuid`, `#/definitions/x`)
/// against `file` (a path under spec/).
fn resolve(file: &str, reference: &str) -> Target {
    let (path, pointer) = reference.split_once('#').unwrap_or((reference, ""));
    if path.is_empty() {
        return (file.to_string(), pointer.to_string());
    }
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for seg in path.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    (parts.join("/"), pointer.to_string())
}

fn bundle(spec: &Path) -> Result<Value, String> {
    let mut b = Bundler {
        spec,
        files: BTreeMap::new(),
        names: BTreeMap::new(),
        queue: VecDeque::new(),
    };
    let root_target: Target = (ROOT_FILE.to_string(), ROOT_POINTER.to_string());
    // The root is inlined; its name is reserved so a self-reference still resolves.
    let root_name = b.name_of(root_target.clone());
    b.queue.clear();
    let root_node = b
        .file(ROOT_FILE)?
        .pointer(ROOT_POINTER)
        .cloned()
        .ok_or("no openMetadataWorkflowConfig")?;
    let root = b.rewrite(ROOT_FILE, &root_node)?;
    let mut definitions = Map::new();
    definitions.insert(root_name, root.clone());
    while let Some(target) = b.queue.pop_front() {
        let node = b
            .file(&target.0)?
            .pointer(&target.1)
            .cloned()
            .ok_or_else(|| format!("{}#{} does not exist", target.0, target.1))?;
        let copy = b.rewrite(&target.0, &node)?;
        definitions.insert(b.names[&target].clone(), copy);
    }
    let Value::Object(root) = root else {
        return Err("the workflow schema is not an object".into());
    };
    let mut doc = Map::new();
    doc.insert(
        "$schema".into(),
        Value::String("http://json-schema.org/draft-07/schema#".into()),
    );
    doc.insert(
        "title".into(),
        Value::String("OpenMetadata ingestion workflow (omctl)".into()),
    );
    doc.extend(root.into_iter().filter(|(k, _)| k != "title"));
    doc.insert("definitions".into(), Value::Object(definitions));
    Ok(Value::Object(doc))
}

//! Loading the spec tree and resolving `$ref`s by file path (never by `$id`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A schema node: a file (relative to spec/, `/`-separated) and a JSON pointer into it
/// (`""` for the file root).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub file: String,
    pub pointer: String,
}

impl NodeId {
    pub fn new(file: &str, pointer: &str) -> Self {
        NodeId {
            file: file.to_owned(),
            pointer: pointer.to_owned(),
        }
    }

    pub fn child(&self, segments: &[&str]) -> Self {
        let mut pointer = self.pointer.clone();
        for s in segments {
            pointer.push('/');
            pointer.push_str(&s.replace('~', "~0").replace('/', "~1"));
        }
        NodeId {
            file: self.file.clone(),
            pointer,
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file, self.pointer)
    }
}

pub struct Spec {
    pub files: BTreeMap<String, Value>,
}

impl Spec {
    /// Reads every `*.json` below `dir`, keyed by its `/`-separated relative path.
    pub fn load(dir: &Path) -> Result<Spec, String> {
        let mut files = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            for entry in entries {
                let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let value: Value = serde_json::from_str(&text)
                        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
                    let rel = path
                        .strip_prefix(dir)
                        .expect("walked below dir")
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    files.insert(rel, value);
                }
            }
        }
        Ok(Spec { files })
    }

    pub fn get(&self, id: &NodeId) -> Option<&Value> {
        self.files.get(&id.file)?.pointer(&id.pointer)
    }

    /// Resolves `reference` as written in `from_file`: the path part against the referring
    /// file's directory, the fragment as a JSON pointer.
    pub fn resolve(&self, from_file: &str, reference: &str) -> Result<NodeId, String> {
        let (path, fragment) = match reference.split_once('#') {
            Some((p, f)) => (p, f),
            None => (reference, ""),
        };
        if path.starts_with("http://") || path.starts_with("https://") {
            return Err(format!(
                "{from_file}: `$ref` {reference}: URLs are not supported"
            ));
        }
        let file = if path.is_empty() {
            from_file.to_owned()
        } else {
            let mut parts: Vec<&str> = from_file.split('/').collect();
            parts.pop();
            for seg in path.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        if parts.pop().is_none() {
                            return Err(format!(
                                "{from_file}: `$ref` {reference} points outside spec/"
                            ));
                        }
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        };
        let id = NodeId {
            file,
            pointer: fragment.to_owned(),
        };
        if !self.files.contains_key(&id.file) {
            return Err(format!(
                "{from_file}: `$ref` {reference}: no file spec/{}",
                id.file
            ));
        }
        if self.get(&id).is_none() {
            return Err(format!(
                "{from_file}: `$ref` {reference}: no {} in spec/{}",
                id.pointer, id.file
            ));
        }
        Ok(id)
    }

    /// Follows `$ref` chains from `id` to the node that defines something.
    pub fn deref(&self, id: &NodeId) -> Result<NodeId, String> {
        let mut cur = id.clone();
        for _ in 0..64 {
            let node = self
                .get(&cur)
                .ok_or_else(|| format!("no schema at {cur}"))?;
            match node.get("$ref").and_then(Value::as_str) {
                Some(r) => cur = self.resolve(&cur.file, r)?,
                None => return Ok(cur),
            }
        }
        Err(format!("`$ref` loop starting at {id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Spec {
        let mut files = BTreeMap::new();
        files.insert(
            "type/basic.json".into(),
            json!({"definitions": {"uuid": {"type": "string"}}}),
        );
        files.insert(
            "entity/services/connections/database/glueConnection.json".into(),
            json!({"properties": {}}),
        );
        files.insert(
            "security/credentials/awsCredentials.json".into(),
            json!({"type": "object"}),
        );
        Spec { files }
    }

    #[test]
    fn resolves_relative_paths_and_pointers() {
        let s = spec();
        let from = "entity/services/connections/database/glueConnection.json";
        assert_eq!(
            s.resolve(from, "../../../../security/credentials/awsCredentials.json")
                .unwrap(),
            NodeId::new("security/credentials/awsCredentials.json", "")
        );
        assert_eq!(
            s.resolve(from, "./../../../../type/basic.json#/definitions/uuid")
                .unwrap(),
            NodeId::new("type/basic.json", "/definitions/uuid")
        );
        assert_eq!(s.resolve(from, "#").unwrap(), NodeId::new(from, ""));
    }

    #[test]
    fn dangling_refs_are_errors() {
        let s = spec();
        let from = "type/basic.json";
        assert!(
            s.resolve(from, "missing.json")
                .unwrap_err()
                .contains("no file")
        );
        assert!(
            s.resolve(from, "#/definitions/nope")
                .unwrap_err()
                .contains("/definitions/nope")
        );
        assert!(
            s.resolve(from, "../../x.json")
                .unwrap_err()
                .contains("outside")
        );
    }
}

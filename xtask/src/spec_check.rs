//! `cargo xtask spec-check`: proves that `spec/` says what the OpenMetadata facts files say.
//!
//! The facts files (`../shared/reference/om-2.0.6-models.json` and `-dbt.json`) hold the
//! pydantic JSON schemas of OpenMetadata 2.0.6's generated models, keyed by upstream schema
//! path. Pydantic writes an optional field as `anyOf: [X, {"type": "null"}]` with
//! `"default": null`, and flattens every definition into `$defs` under its class name. Our
//! files are draft-07 in upstream's layout, with file-relative `$ref`s and no null branches.
//!
//! For every schema in the facts, the check walks the fact's root and our file's root in
//! parallel, following `$ref`s on both sides, and compares what a program that reads or
//! writes the JSON relies on: property names, JSON types, required lists, enum values,
//! defaults, `additionalProperties`, and which fields are secrets (`format: password`).
//! It also checks that every `$ref` anywhere in `spec/` resolves.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

const FACTS_FILES: [&str; 2] = ["om-2.0.6-models.json", "om-2.0.6-models-dbt.json"];
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// Unions where `spec/` keeps only the members omctl supports, as (fact class, property);
/// an empty property names a class that is itself the union. Everywhere else a union must
/// list exactly the fact's members.
const RESTRICTED_UNIONS: [(&str, &str); 4] = [
    ("ServiceConnection", ""),
    ("DatabaseConnection", "config"),
    ("PipelineConnection", "config"),
    ("SourceConfig", "config"),
];

/// The facts were made by deleting every key named `description` from the pydantic output,
/// which also deleted the `description` properties of entities and requests. Ours keep them.
const STRIPPED_PROPERTY: &str = "description";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let facts_paths: Vec<PathBuf> = if args.is_empty() {
        default_facts_paths(root)
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let spec = load_spec(&root.join("spec"))?;
    let facts = facts_paths
        .iter()
        .map(|p| load_facts(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = check(&spec, &facts);
    for mismatch in &report.mismatches {
        eprintln!("{mismatch}");
    }
    if report.mismatches.is_empty() {
        println!("{}", report.summary());
        Ok(())
    } else {
        Err(format!(
            "{} mismatches between spec/ and the facts ({} files, {} properties compared)",
            report.mismatches.len(),
            report.files,
            report.properties
        ))
    }
}

/// `<root>/../shared/reference/om-2.0.6-models.json` and `-dbt.json`.
pub fn default_facts_paths(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("..").join("shared").join("reference");
    FACTS_FILES.iter().map(|f| dir.join(f)).collect()
}

/// One facts file: schemas keyed by upstream path such as `entity/data/table.json`.
pub struct Facts {
    name: String,
    schemas: Map<String, Value>,
}

impl Facts {
    pub fn new(name: impl Into<String>, document: Value) -> Result<Self, String> {
        let name = name.into();
        match document {
            Value::Object(mut doc) => match doc.remove("schemas") {
                Some(Value::Object(schemas)) => Ok(Facts { name, schemas }),
                _ => Err(format!("{name}: no `schemas` object")),
            },
            _ => Err(format!("{name}: not a JSON object")),
        }
    }
}

pub fn load_facts(path: &Path) -> Result<Facts, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read facts file {}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Facts::new(name, doc)
}

/// Every `*.json` under `dir`, keyed by its path relative to `dir` with `/` separators.
pub fn load_spec(dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Value>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if path.is_dir() {
                walk(&path, &key, out)?;
            } else if key.ends_with(".json") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let doc = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
                out.insert(key, doc);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out)?;
    Ok(out)
}

#[derive(Debug, Default)]
pub struct Report {
    pub files: usize,
    pub properties: usize,
    pub mismatches: Vec<String>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "spec-check: {} files, {} properties compared, {} mismatches",
            self.files,
            self.properties,
            self.mismatches.len()
        )
    }
}

/// Compares `spec` (our files by relative path) with every schema of every facts file.
pub fn check(spec: &BTreeMap<String, Value>, facts: &[Facts]) -> Report {
    let mut report = Report::default();
    check_spec_files(spec, &mut report.mismatches);
    for facts in facts {
        for (path, fact) in &facts.schemas {
            report.files += 1;
            let Some(ours) = spec.get(path) else {
                report.mismatches.push(format!(
                    "{path}: missing from spec/ (named in {})",
                    facts.name
                ));
                continue;
            };
            let title = fact
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some((node, ptr)) = our_root(ours, title) else {
                report.mismatches.push(format!(
                    "{path}: spec/{path} has neither a root schema nor a definition for `{title}`"
                ));
                continue;
            };
            let (key, _) = spec.get_key_value(path).expect("looked up above");
            let mut walker = Walker::new(spec, path, fact.get("$defs").and_then(Value::as_object));
            let fact_root = FactNode {
                node: fact,
                class: Some(title),
            };
            let our = OurNode {
                file: key,
                node,
                ptr,
            };
            walker.compare(fact_root, our, "$", false);
            report.properties += walker.properties;
            report.mismatches.append(&mut walker.mismatches);
        }
    }
    report
}

/// Our schema for a fact's root: the file's root, or for files that only hold definitions
/// (like `type/filterPattern.json`) the definition the fact's root class was generated from.
fn our_root<'a>(doc: &'a Value, title: &str) -> Option<(&'a Value, String)> {
    const SCHEMA_KEYS: [&str; 7] = [
        "type",
        "properties",
        "oneOf",
        "anyOf",
        "enum",
        "items",
        "$ref",
    ];
    if SCHEMA_KEYS.iter().any(|k| doc.get(k).is_some()) {
        return Some((doc, String::new()));
    }
    doc.get("definitions")?
        .as_object()?
        .iter()
        .find(|(key, def)| {
            upper_camel(key) == title || def.get("title").and_then(Value::as_str) == Some(title)
        })
        .map(|(key, def)| (def, format!("/definitions/{}", escape_pointer(key))))
}

/// `$schema` of every file, and every `$ref` anywhere in `spec/` must resolve.
fn check_spec_files(spec: &BTreeMap<String, Value>, out: &mut Vec<String>) {
    fn refs<'v>(node: &'v Value, ptr: String, found: &mut Vec<(String, &'v str)>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    found.push((ptr.clone(), r));
                }
                for (k, v) in map {
                    // enum and default values are data, not schemas
                    if k != "enum" && k != "default" && k != "const" {
                        refs(v, format!("{ptr}/{}", escape_pointer(k)), found);
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    refs(v, format!("{ptr}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    for (file, doc) in spec {
        if doc.get("$schema").and_then(Value::as_str) != Some(DRAFT_07) {
            out.push(format!("spec/{file}: `$schema` is not {DRAFT_07}"));
        }
        let mut found = Vec::new();
        refs(doc, String::new(), &mut found);
        for (ptr, reference) in found {
            if let Err(e) = lookup(spec, file, reference) {
                out.push(format!(
                    "spec/{file}#{ptr}: $ref `{reference}` does not resolve: {e}"
                ));
            }
        }
    }
}

/// Resolves a file-relative `$ref` written in `from`.
fn lookup<'a>(
    spec: &'a BTreeMap<String, Value>,
    from: &str,
    reference: &str,
) -> Result<(&'a str, &'a Value, String), String> {
    let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let file = if file_part.is_empty() {
        from.to_string()
    } else {
        join_relative(from, file_part)?
    };
    let (key, doc) = spec
        .get_key_value(&file)
        .ok_or_else(|| format!("no file spec/{file}"))?;
    let node = if fragment.is_empty() {
        doc
    } else {
        doc.pointer(fragment)
            .ok_or_else(|| format!("spec/{file} has nothing at {fragment}"))?
    };
    Ok((key.as_str(), node, fragment.to_string()))
}

/// `entity/data/table.json` + `../../type/basic.json` -> `type/basic.json`.
fn join_relative(from: &str, relative: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts
                    .pop()
                    .ok_or_else(|| format!("`{relative}` leaves spec/ when read from {from}"))?;
            }
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn upper_camel(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The fact class a `$defs` name stands for: pydantic prefixes colliding class names with
/// their module path (`metadata__generated__schema__..__GlueType`).
fn short_class(name: &str) -> &str {
    name.rsplit("__").next().unwrap_or(name)
}

/// A node of a fact schema, with the `$defs` class it belongs to when reached through `$ref`
/// (or the root class).
#[derive(Clone, Copy)]
struct FactNode<'a> {
    node: &'a Value,
    class: Option<&'a str>,
}

/// A node of one of our files, with its JSON pointer for messages.
#[derive(Clone)]
struct OurNode<'a> {
    file: &'a str,
    node: &'a Value,
    ptr: String,
}

impl OurNode<'_> {
    fn at(&self) -> String {
        format!("spec/{}#{}", self.file, self.ptr)
    }
}

enum Additional<'a> {
    Closed,
    Open,
    Map(&'a Value),
}

fn additional(node: &Value) -> Additional<'_> {
    match node.get("additionalProperties") {
        Some(Value::Bool(false)) => Additional::Closed,
        None | Some(Value::Bool(true)) => Additional::Open,
        Some(schema) => Additional::Map(schema),
    }
}

/// Members of a union, without pydantic's `{"type": "null"}` branch; `None` when the node is
/// not a union of two or more members.
fn union_members(node: &Value) -> Option<Vec<&Value>> {
    let list = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))?
        .as_array()?;
    let members: Vec<&Value> = list.iter().filter(|m| !is_null_type(m)).collect();
    (members.len() >= 2).then_some(members)
}

/// The one non-null member of `anyOf`/`oneOf: [X, {"type": "null"}]` or `oneOf: [X]`.
fn single_member(node: &Value) -> Option<&Value> {
    let list = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))?
        .as_array()?;
    let mut members = list.iter().filter(|m| !is_null_type(m));
    match (members.next(), members.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

fn is_null_type(node: &Value) -> bool {
    node.get("type").and_then(Value::as_str) == Some("null")
        && node.as_object().is_some_and(|o| o.len() == 1)
}

/// A schema that accepts anything: `{}` or only annotations.
fn is_any(node: &Value) -> bool {
    json_type(node) == "any" && union_members(node).is_none() && node.get("$ref").is_none()
}

/// JSON type a node accepts: its `type`, or what its enum values are, or `any`.
fn json_type(node: &Value) -> String {
    match node.get("type") {
        Some(Value::String(t)) => return t.clone(),
        Some(Value::Array(types)) => {
            let names: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            return names.join("|");
        }
        _ => {}
    }
    if let Some(first) = enum_values(node).and_then(|v| v.first().copied()) {
        return match first {
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            Value::Null => "null",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
        .to_string();
    }
    if node.get("properties").is_some() {
        "object".to_string()
    } else if node.get("items").is_some() {
        "array".to_string()
    } else {
        "any".to_string()
    }
}

/// `enum` values, or the one value of `const`.
fn enum_values(node: &Value) -> Option<Vec<&Value>> {
    if let Some(Value::Array(values)) = node.get("enum") {
        return Some(values.iter().collect());
    }
    node.get("const").map(|c| vec![c])
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn show_set(values: &BTreeSet<String>) -> String {
    values.iter().cloned().collect::<Vec<_>>().join(", ")
}

struct Walker<'a> {
    spec: &'a BTreeMap<String, Value>,
    /// Path of the fact schema being checked, for messages.
    file: &'a str,
    defs: Option<&'a Map<String, Value>>,
    /// (fact node, our node) pairs already compared: stops recursion (Column.children) and
    /// repeated reports for shared definitions.
    visited: HashSet<(usize, usize)>,
    properties: usize,
    mismatches: Vec<String>,
}

impl<'a> Walker<'a> {
    fn new(
        spec: &'a BTreeMap<String, Value>,
        file: &'a str,
        defs: Option<&'a Map<String, Value>>,
    ) -> Self {
        Walker {
            spec,
            file,
            defs,
            visited: HashSet::new(),
            properties: 0,
            mismatches: Vec::new(),
        }
    }

    fn mismatch(&mut self, path: &str, our: &OurNode<'_>, what: String) {
        self.mismatches
            .push(format!("{}: {path}: {what} [{}]", self.file, our.at()));
    }

    /// Follows `$ref`s and unwraps nullable `anyOf`s. The flag says a `$ref` was followed,
    /// i.e. the result is a named definition.
    fn resolve_fact(&self, mut n: FactNode<'a>) -> Result<(FactNode<'a>, bool), String> {
        let mut followed = false;
        for _ in 0..64 {
            if let Some(only) = single_member(n.node) {
                n.node = only;
            } else if let Some(Value::String(r)) = n.node.get("$ref") {
                let name = r
                    .strip_prefix("#/$defs/")
                    .ok_or_else(|| format!("fact $ref `{r}` is not a #/$defs/ reference"))?;
                let def = self
                    .defs
                    .and_then(|d| d.get(name))
                    .ok_or_else(|| format!("fact $ref `{r}` names no definition"))?;
                n = FactNode {
                    node: def,
                    class: Some(name),
                };
                followed = true;
            } else {
                return Ok((n, followed));
            }
        }
        Err("fact $ref chain does not end".to_string())
    }

    fn resolve_ours(&self, mut n: OurNode<'a>) -> Result<(OurNode<'a>, bool), String> {
        let mut followed = false;
        for _ in 0..64 {
            if let Some(only) = single_member(n.node) {
                n.node = only;
            } else if let Some(Value::String(r)) = n.node.get("$ref") {
                let (file, node, ptr) = lookup(self.spec, n.file, r)?;
                n = OurNode { file, node, ptr };
                followed = true;
            } else {
                return Ok((n, followed));
            }
        }
        Err(format!("$ref chain from {} does not end", n.at()))
    }

    /// A property's default: its own `default`, else the default of what it refers to.
    fn fact_default(&self, n: FactNode<'a>) -> Option<&'a Value> {
        let mut node = n.node;
        for _ in 0..64 {
            if let Some(d) = node.get("default") {
                return (!d.is_null()).then_some(d);
            }
            if let Some(only) = single_member(node) {
                node = only;
            } else if let Some(name) = node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                node = self.defs?.get(name)?;
            } else {
                return None;
            }
        }
        None
    }

    fn our_default(&self, n: &OurNode<'a>) -> Option<&'a Value> {
        let (mut file, mut node) = (n.file, n.node);
        for _ in 0..64 {
            if let Some(d) = node.get("default") {
                return (!d.is_null()).then_some(d);
            }
            if let Some(only) = single_member(node) {
                node = only;
            } else if let Some(r) = node.get("$ref").and_then(Value::as_str) {
                let (f, target, _) = lookup(self.spec, file, r).ok()?;
                (file, node) = (f, target);
            } else {
                return None;
            }
        }
        None
    }

    fn fact_secret(&self, n: FactNode<'a>) -> bool {
        self.resolve_fact(n)
            .is_ok_and(|(r, _)| r.node.get("format").and_then(Value::as_str) == Some("password"))
    }

    fn our_secret(&self, n: &OurNode<'a>) -> bool {
        self.resolve_ours(n.clone())
            .is_ok_and(|(o, _)| o.node.get("format").and_then(Value::as_str) == Some("password"))
    }

    fn compare(&mut self, fact: FactNode<'a>, our: OurNode<'a>, path: &str, restricted: bool) {
        let (fact, fact_followed) = match self.resolve_fact(fact) {
            Ok(r) => r,
            Err(e) => return self.mismatch(path, &our, e),
        };
        let (our, our_followed) = match self.resolve_ours(our.clone()) {
            Ok(r) => r,
            Err(e) => return self.mismatch(path, &our, e),
        };
        let pair = (
            fact.node as *const Value as usize,
            our.node as *const Value as usize,
        );
        if !self.visited.insert(pair) {
            return;
        }
        let restricted = restricted
            || fact
                .class
                .is_some_and(|c| RESTRICTED_UNIONS.contains(&(short_class(c), "")));
        match (union_members(fact.node), union_members(our.node)) {
            (Some(fact_members), Some(our_members)) => {
                return self.compare_union(&fact_members, &our, &our_members, path, restricted);
            }
            (Some(fact_members), None) if !restricted => {
                let what = format!(
                    "the facts have a union of {} members, the spec a single {}",
                    fact_members.len(),
                    json_type(our.node)
                );
                return self.mismatch(path, &our, what);
            }
            (Some(fact_members), None) => {
                // a restricted union reduced to one supported member
                return self.compare_union(&fact_members, &our, &[our.node], path, true);
            }
            (None, Some(our_members)) => {
                let what = format!(
                    "the spec has a union of {} members, the facts a single {}",
                    our_members.len(),
                    json_type(fact.node)
                );
                return self.mismatch(path, &our, what);
            }
            (None, None) => {}
        }
        let (fact_type, our_type) = (json_type(fact.node), json_type(our.node));
        if fact_type != our_type {
            return self.mismatch(
                path,
                &our,
                format!("type is {our_type}, the facts say {fact_type}"),
            );
        }
        self.compare_enum(fact.node, &our, path);
        self.compare_constraints(fact.node, &our, path);
        if fact_followed && our_followed {
            self.compare_defaults(
                fact.node.get("default"),
                our.node.get("default"),
                &our,
                path,
            );
        }
        match fact_type.as_str() {
            "object" => self.compare_object(fact, &our, path),
            "array" => match (fact.node.get("items"), our.node.get("items")) {
                (Some(fact_items), Some(our_items)) => {
                    let ptr = format!("{}/items", our.ptr);
                    let items = OurNode {
                        file: our.file,
                        node: our_items,
                        ptr,
                    };
                    let fact_items = FactNode {
                        node: fact_items,
                        class: None,
                    };
                    self.compare(fact_items, items, &format!("{path}[]"), false);
                }
                (Some(items), None) | (None, Some(items)) if !is_any(items) => {
                    let what = "array items are described on one side only".to_string();
                    self.mismatch(path, &our, what);
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn compare_enum(&mut self, fact: &Value, our: &OurNode<'a>, path: &str) {
        let (fact_values, our_values) = (enum_values(fact), enum_values(our.node));
        if fact_values.is_none() && our_values.is_none() {
            return;
        }
        let set = |v: Option<Vec<&Value>>| -> BTreeSet<String> {
            v.unwrap_or_default()
                .iter()
                .map(|x| x.to_string())
                .collect()
        };
        let (fact_set, our_set) = (set(fact_values), set(our_values));
        if fact_set != our_set {
            let missing: BTreeSet<String> = fact_set.difference(&our_set).cloned().collect();
            let extra: BTreeSet<String> = our_set.difference(&fact_set).cloned().collect();
            let what = format!(
                "enum values differ: missing [{}], not in the facts [{}]",
                show_set(&missing),
                show_set(&extra)
            );
            self.mismatch(path, our, what);
        }
    }

    /// Formats and bounds. Pydantic adds `minLength: 1` to every URI string, which upstream
    /// does not have; secrets are compared per property with a clearer message.
    fn compare_constraints(&mut self, fact: &Value, our: &OurNode<'a>, path: &str) {
        const KEYS: [&str; 8] = [
            "format",
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "multipleOf",
            "minItems",
        ];
        let uri = fact.get("format").and_then(Value::as_str) == Some("uri");
        for key in KEYS {
            let mut fact_value = fact.get(key);
            if key == "minLength" && uri && fact_value.and_then(Value::as_u64) == Some(1) {
                fact_value = None;
            }
            let our_value = our.node.get(key);
            let password = |v: Option<&Value>| v.and_then(Value::as_str) == Some("password");
            if key == "format" && (password(fact_value) || password(our_value)) {
                continue;
            }
            let same = match (fact_value, our_value) {
                (None, None) => true,
                (Some(a), Some(b)) => same_value(a, b),
                _ => false,
            };
            if !same {
                let show =
                    |v: Option<&Value>| v.map_or_else(|| "none".to_string(), Value::to_string);
                let what = format!(
                    "{key} is {}, the facts say {}",
                    show(our_value),
                    show(fact_value)
                );
                self.mismatch(path, our, what);
            }
        }
    }

    fn compare_defaults(
        &mut self,
        fact: Option<&Value>,
        our: Option<&Value>,
        at: &OurNode<'a>,
        path: &str,
    ) {
        let fact = fact.filter(|v| !v.is_null());
        let our = our.filter(|v| !v.is_null());
        let same = match (fact, our) {
            (None, None) => true,
            (Some(a), Some(b)) => same_value(a, b),
            _ => false,
        };
        if !same {
            let show = |v: Option<&Value>| v.map_or_else(|| "none".to_string(), Value::to_string);
            let what = format!("default is {}, the facts say {}", show(our), show(fact));
            self.mismatch(path, at, what);
        }
    }

    fn compare_object(&mut self, fact: FactNode<'a>, our: &OurNode<'a>, path: &str) {
        let fact_props = fact.node.get("properties").and_then(Value::as_object);
        let our_props = our.node.get("properties").and_then(Value::as_object);
        let fact_names: BTreeSet<&str> = fact_props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let our_names: BTreeSet<&str> = our_props
            .map(|p| {
                p.keys()
                    .map(String::as_str)
                    .filter(|k| *k != STRIPPED_PROPERTY)
                    .collect()
            })
            .unwrap_or_default();
        if fact_names != our_names {
            let list = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
                a.difference(b).copied().collect::<Vec<_>>().join(", ")
            };
            let what = format!(
                "properties differ: missing [{}], not in the facts [{}]",
                list(&fact_names, &our_names),
                list(&our_names, &fact_names)
            );
            self.mismatch(path, our, what);
        }
        let required = |node: &Value| -> BTreeSet<String> {
            node.get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (fact_required, our_required) = (required(fact.node), required(our.node));
        if fact_required != our_required {
            let what = format!(
                "required is [{}], the facts say [{}]",
                show_set(&our_required),
                show_set(&fact_required)
            );
            self.mismatch(path, our, what);
        }
        match (additional(fact.node), additional(our.node)) {
            (Additional::Closed, Additional::Closed) | (Additional::Open, Additional::Open) => {}
            (Additional::Map(fact_values), Additional::Map(our_values)) => {
                let ptr = format!("{}/additionalProperties", our.ptr);
                let values = OurNode {
                    file: our.file,
                    node: our_values,
                    ptr,
                };
                let fact_values = FactNode {
                    node: fact_values,
                    class: None,
                };
                self.compare(fact_values, values, &format!("{path}{{*}}"), false);
            }
            (fact_ap, our_ap) => {
                let show = |a: &Additional<'_>| match a {
                    Additional::Closed => "false",
                    Additional::Open => "open",
                    Additional::Map(_) => "a value schema",
                };
                let what = format!(
                    "additionalProperties is {}, the facts say {}",
                    show(&our_ap),
                    show(&fact_ap)
                );
                self.mismatch(path, our, what);
            }
        }
        let (Some(fact_props), Some(our_props)) = (fact_props, our_props) else {
            return;
        };
        for name in fact_names.intersection(&our_names) {
            self.properties += 1;
            let prop_path = format!("{path}.{name}");
            let fact_prop = FactNode {
                node: &fact_props[*name],
                class: None,
            };
            let ptr = format!("{}/properties/{}", our.ptr, escape_pointer(name));
            let our_prop = OurNode {
                file: our.file,
                node: &our_props[*name],
                ptr,
            };
            let fact_default = self.fact_default(fact_prop);
            let our_default = self.our_default(&our_prop);
            self.compare_defaults(fact_default, our_default, &our_prop, &prop_path);
            let (fact_secret, our_secret) =
                (self.fact_secret(fact_prop), self.our_secret(&our_prop));
            if fact_secret != our_secret {
                let what = if fact_secret {
                    "the facts mark it a secret (format: password), the spec does not"
                } else {
                    "the spec marks it a secret (format: password), the facts do not"
                };
                self.mismatch(&prop_path, &our_prop, what.to_string());
            }
            let restricted = fact
                .class
                .is_some_and(|c| RESTRICTED_UNIONS.contains(&(short_class(c), *name)));
            self.compare(fact_prop, our_prop, &prop_path, restricted);
        }
    }

    /// Pairs union members, then compares each pair. Members are paired by the value of their
    /// `type` discriminator when they have one, else by finding the member that compares
    /// without a mismatch. In a restricted union ours must be a subset of the facts' members.
    fn compare_union(
        &mut self,
        fact_members: &[&'a Value],
        our: &OurNode<'a>,
        our_members: &[&'a Value],
        path: &str,
        restricted: bool,
    ) {
        let our_nodes: Vec<OurNode<'a>> = our_members
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let ptr = if our_members.len() == 1 && std::ptr::eq(*node, our.node) {
                    our.ptr.clone()
                } else {
                    let key = if our.node.get("oneOf").is_some() {
                        "oneOf"
                    } else {
                        "anyOf"
                    };
                    format!("{}/{key}/{i}", our.ptr)
                };
                OurNode {
                    file: our.file,
                    node,
                    ptr,
                }
            })
            .collect();
        let fact_nodes: Vec<FactNode<'a>> = fact_members
            .iter()
            .map(|node| FactNode { node, class: None })
            .collect();
        let mut partner: Vec<Option<usize>> = vec![None; our_nodes.len()];
        let mut taken = vec![false; fact_nodes.len()];
        for (oi, o) in our_nodes.iter().enumerate() {
            let Some(tag) = self.our_discriminator(o) else {
                continue;
            };
            let found = (0..fact_nodes.len()).find(|&fi| {
                !taken[fi] && self.fact_discriminator(fact_nodes[fi]).as_deref() == Some(&tag)
            });
            if let Some(fi) = found {
                taken[fi] = true;
                partner[oi] = Some(fi);
            }
        }
        for oi in 0..our_nodes.len() {
            let Some(name) = partner[oi]
                .is_none()
                .then(|| self.our_name(&our_nodes[oi]))
                .flatten()
            else {
                continue;
            };
            let found = (0..fact_nodes.len())
                .find(|&fi| !taken[fi] && self.fact_name(fact_nodes[fi]).as_deref() == Some(&name));
            if let Some(fi) = found {
                taken[fi] = true;
                partner[oi] = Some(fi);
            }
        }
        for oi in 0..our_nodes.len() {
            if partner[oi].is_some() {
                continue;
            }
            let found = (0..fact_nodes.len()).find(|&fi| {
                !taken[fi] && self.compares_clean(fact_nodes[fi], our_nodes[oi].clone())
            });
            if let Some(fi) = found {
                taken[fi] = true;
                partner[oi] = Some(fi);
            }
        }
        // pair what is left one to one, so that the detailed differences get reported
        // (a restricted union legitimately leaves members of the facts unpaired)
        let left_fact: Vec<usize> = (0..fact_nodes.len()).filter(|&fi| !taken[fi]).collect();
        let left_ours: Vec<usize> = (0..our_nodes.len())
            .filter(|&oi| partner[oi].is_none())
            .collect();
        if !restricted && left_fact.len() == 1 && left_ours.len() == 1 {
            taken[left_fact[0]] = true;
            partner[left_ours[0]] = Some(left_fact[0]);
        }
        for (oi, o) in our_nodes.iter().enumerate() {
            match partner[oi] {
                Some(fi) => {
                    let label = self.fact_label(fact_nodes[fi]);
                    self.compare(
                        fact_nodes[fi],
                        o.clone(),
                        &format!("{path}<{label}>"),
                        false,
                    );
                }
                None => {
                    let label = self
                        .our_discriminator(o)
                        .or_else(|| self.our_name(o))
                        .unwrap_or_else(|| json_type(o.node));
                    self.mismatch(
                        path,
                        o,
                        format!("union member <{label}> matches no member in the facts"),
                    );
                }
            }
        }
        if !restricted {
            for fi in (0..fact_nodes.len()).filter(|&fi| !taken[fi]) {
                let label = self.fact_label(fact_nodes[fi]);
                self.mismatch(
                    path,
                    our,
                    format!("union member <{label}> of the facts is missing"),
                );
            }
        }
    }

    /// Dry run: does this pair compare without any mismatch?
    fn compares_clean(&self, fact: FactNode<'a>, our: OurNode<'a>) -> bool {
        let mut trial = Walker::new(self.spec, self.file, self.defs);
        trial.compare(fact, our, "$", false);
        trial.mismatches.is_empty()
    }

    /// The single value of a member's `type` property (`Glue`, `DatabaseMetadata`...).
    fn fact_discriminator(&self, member: FactNode<'a>) -> Option<String> {
        let (member, _) = self.resolve_fact(member).ok()?;
        let tag = FactNode {
            node: member.node.get("properties")?.get("type")?,
            class: None,
        };
        let (tag, _) = self.resolve_fact(tag).ok()?;
        single_value(tag.node)
    }

    fn our_discriminator(&self, member: &OurNode<'a>) -> Option<String> {
        let (member, _) = self.resolve_ours(member.clone()).ok()?;
        let node = member.node.get("properties")?.get("type")?;
        let tag = OurNode {
            file: member.file,
            node,
            ptr: String::new(),
        };
        let (tag, _) = self.resolve_ours(tag).ok()?;
        single_value(tag.node)
    }

    /// The class a member refers to (`DatabaseConnection`, `DbtS3Config`...).
    fn fact_name(&self, member: FactNode<'a>) -> Option<String> {
        member.node.get("$ref")?;
        let (resolved, _) = self.resolve_fact(member).ok()?;
        resolved.class.map(|c| short_class(c).to_string())
    }

    /// The name of the definition or file a member refers to, in the facts' class style:
    /// `#/definitions/databaseConnection` -> `DatabaseConnection`, a file -> its title.
    fn our_name(&self, member: &OurNode<'a>) -> Option<String> {
        member.node.get("$ref")?;
        let (resolved, _) = self.resolve_ours(member.clone()).ok()?;
        match resolved.ptr.rsplit('/').next() {
            Some(key) if !key.is_empty() => {
                Some(upper_camel(&key.replace("~1", "/").replace("~0", "~")))
            }
            _ => {
                let title = self.spec.get(resolved.file)?.get("title")?.as_str()?;
                Some(title.split_whitespace().collect())
            }
        }
    }

    fn fact_label(&self, member: FactNode<'a>) -> String {
        if let Some(tag) = self
            .fact_discriminator(member)
            .or_else(|| self.fact_name(member))
        {
            return tag;
        }
        match self.resolve_fact(member) {
            Ok((resolved, _)) => json_type(resolved.node),
            Err(_) => "?".to_string(),
        }
    }
}

fn single_value(node: &Value) -> Option<String> {
    match enum_values(node)?.as_slice() {
        [Value::String(only)] => Some(only.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_of(files: &[(&str, Value)]) -> BTreeMap<String, Value> {
        files
            .iter()
            .map(|(path, doc)| {
                let mut doc = doc.clone();
                doc["$schema"] = json!(DRAFT_07);
                (path.to_string(), doc)
            })
            .collect()
    }

    fn facts_of(schemas: Value) -> Facts {
        Facts::new("facts.json", json!({ "schemas": schemas })).unwrap()
    }

    /// A fact in pydantic's shape: optional fields as nullable anyOf, classes in $defs.
    fn glue_fact() -> Value {
        json!({
            "title": "GlueConnection", "type": "object", "additionalProperties": false,
            "required": ["awsConfig"],
            "properties": {
                "type": {"anyOf": [{"$ref": "#/$defs/GlueType"}, {"type": "null"}], "default": "Glue"},
                "awsConfig": {"$ref": "#/$defs/AWSCredentials"},
                "databaseName": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}
            },
            "$defs": {
                "GlueType": {"enum": ["Glue"], "title": "GlueType", "type": "string"},
                "AWSCredentials": {
                    "title": "AWSCredentials", "type": "object", "additionalProperties": false,
                    "required": ["awsRegion"],
                    "properties": {
                        "awsRegion": {"type": "string"},
                        "awsSecretAccessKey": {"anyOf": [
                            {"type": "string", "format": "password", "writeOnly": true},
                            {"type": "null"}], "default": null}
                    }
                }
            }
        })
    }

    fn glue_spec() -> Vec<(&'static str, Value)> {
        vec![
            (
                "conn/glue.json",
                json!({
                    "title": "GlueConnection", "type": "object", "additionalProperties": false,
                    "definitions": {"glueType": {"type": "string", "enum": ["Glue"]}},
                    "required": ["awsConfig"],
                    "properties": {
                        "type": {"$ref": "#/definitions/glueType", "default": "Glue"},
                        "awsConfig": {"$ref": "../security/aws.json"},
                        "description": {"type": "string"},
                        "databaseName": {"type": "string"}
                    }
                }),
            ),
            (
                "security/aws.json",
                json!({
                    "title": "AWSCredentials", "type": "object", "additionalProperties": false,
                    "required": ["awsRegion"],
                    "properties": {
                        "awsRegion": {"type": "string"},
                        "awsSecretAccessKey": {"type": "string", "format": "password"}
                    }
                }),
            ),
        ]
    }

    fn run_check(spec: Vec<(&str, Value)>, fact: Value) -> Report {
        check(
            &spec_of(&spec),
            &[facts_of(json!({ "conn/glue.json": fact }))],
        )
    }

    #[test]
    fn agreeing_files_have_no_mismatch() {
        let report = run_check(glue_spec(), glue_fact());
        assert_eq!(report.mismatches, Vec::<String>::new());
        assert_eq!(report.files, 1);
        assert_eq!(report.properties, 5);
    }

    #[test]
    fn reports_each_kind_of_difference() {
        let mut spec = glue_spec();
        spec[0].1["properties"]["type"]["default"] = json!("Other");
        spec[0].1["definitions"]["glueType"]["enum"] = json!(["Glue", "Extra"]);
        spec[0].1["required"] = json!([]);
        spec[0].1["properties"]["databaseName"]["type"] = json!("integer");
        spec[1].1["additionalProperties"] = json!(true);
        spec[1].1["properties"]["awsSecretAccessKey"] = json!({"type": "string"});
        spec[1].1["properties"]["profile"] = json!({"type": "string"});
        let report = run_check(spec, glue_fact());
        let all = report.mismatches.join("\n");
        for expected in [
            "$.type: default is \"Other\", the facts say \"Glue\"",
            "$.type: enum values differ: missing [], not in the facts [\"Extra\"]",
            "$: required is [], the facts say [awsConfig]",
            "$.databaseName: type is integer, the facts say string",
            "$.awsConfig: additionalProperties is open, the facts say false",
            "$.awsConfig.awsSecretAccessKey: the facts mark it a secret",
            "$.awsConfig: properties differ: missing [], not in the facts [profile]",
        ] {
            assert!(all.contains(expected), "no `{expected}` in:\n{all}");
        }
        assert_eq!(report.mismatches.len(), 7, "{all}");
    }

    #[test]
    fn missing_file_and_dangling_ref_are_reported() {
        let mut spec = glue_spec();
        spec[0].1["properties"]["awsConfig"]["$ref"] = json!("../security/nowhere.json");
        let facts = facts_of(
            json!({ "conn/glue.json": glue_fact(), "type/absent.json": {"title": "Absent"} }),
        );
        let report = check(&spec_of(&spec), &[facts]);
        let all = report.mismatches.join("\n");
        assert!(
            all.contains("type/absent.json: missing from spec/"),
            "{all}"
        );
        assert!(
            all.contains("$ref `../security/nowhere.json` does not resolve"),
            "{all}"
        );
    }

    fn union_fact() -> Value {
        json!({
            "title": "SourceConfig", "type": "object", "additionalProperties": false,
            "properties": {"config": {"anyOf": [
                {"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}, {"type": "null"}], "default": null}},
            "$defs": {
                "A": {"type": "object", "properties": {"type": {"anyOf": [{"$ref": "#/$defs/AType"}, {"type": "null"}], "default": "A"}}},
                "AType": {"type": "string", "enum": ["A"]},
                "B": {"type": "object", "properties": {"type": {"type": "string", "const": "B"}}}
            }
        })
    }

    fn union_spec(members: Value) -> Vec<(&'static str, Value)> {
        vec![(
            "conn/glue.json",
            json!({
                "title": "SourceConfig", "type": "object", "additionalProperties": false,
                "definitions": {
                    "a": {"type": "object", "properties": {"type": {"type": "string", "enum": ["A"], "default": "A"}}},
                    "b": {"type": "object", "properties": {"type": {"type": "string", "enum": ["B"]}}},
                    "c": {"type": "object", "properties": {"type": {"type": "string", "enum": ["C"]}}}
                },
                "properties": {"config": {"oneOf": members}}
            }),
        )]
    }

    #[test]
    fn restricted_union_may_keep_a_subset_matched_by_type() {
        let spec = union_spec(json!([{"$ref": "#/definitions/b"}]));
        assert_eq!(
            run_check(spec, union_fact()).mismatches,
            Vec::<String>::new()
        );
        let spec = union_spec(json!([{"$ref": "#/definitions/b"}, {"$ref": "#/definitions/c"}]));
        let all = run_check(spec, union_fact()).mismatches.join("\n");
        assert!(
            all.contains("union member <C> matches no member in the facts"),
            "{all}"
        );
    }

    #[test]
    fn other_unions_must_list_every_member() {
        let mut fact = union_fact();
        fact["title"] = json!("Other");
        let spec = union_spec(json!([{"$ref": "#/definitions/b"}]));
        let all = run_check(spec, fact).mismatches.join("\n");
        assert!(all.contains("the facts have a union of 2 members"), "{all}");
        let mut fact = union_fact();
        fact["title"] = json!("Other");
        let spec = union_spec(json!([{"$ref": "#/definitions/b"}, {"$ref": "#/definitions/a"}]));
        assert_eq!(run_check(spec, fact).mismatches, Vec::<String>::new());
    }

    #[test]
    fn recursive_definitions_terminate() {
        let fact = json!({
            "title": "Column", "type": "object",
            "properties": {"children": {"anyOf": [{"items": {"$ref": "#/$defs/Column"}, "type": "array"}, {"type": "null"}], "default": null}},
            "$defs": {"Column": {"type": "object", "properties": {"children": {"anyOf": [{"items": {"$ref": "#/$defs/Column"}, "type": "array"}, {"type": "null"}], "default": null}}}}
        });
        let spec = vec![(
            "conn/glue.json",
            json!({"title": "Column", "type": "object",
                   "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}),
        )];
        assert_eq!(run_check(spec, fact).mismatches, Vec::<String>::new());
    }

    #[test]
    fn relative_refs_resolve_against_the_referring_file() {
        assert_eq!(
            join_relative("entity/data/table.json", "../../type/basic.json").unwrap(),
            "type/basic.json"
        );
        assert_eq!(
            join_relative(
                "entity/services/databaseService.json",
                "./connections/database/glueConnection.json"
            )
            .unwrap(),
            "entity/services/connections/database/glueConnection.json"
        );
        assert!(join_relative("type/basic.json", "../../x.json").is_err());
    }

    /// The real spec/ against the real facts files. CI has them at ../shared/reference; a
    /// developer machine without them skips, CI must not.
    #[test]
    fn spec_agrees_with_the_facts() {
        let root = crate::project_root();
        let paths = default_facts_paths(&root);
        if let Some(missing) = paths.iter().find(|p| !p.exists()) {
            assert!(
                std::env::var_os("CI").is_none(),
                "facts file {} is missing; CI must run spec-check",
                missing.display()
            );
            eprintln!("skipping: facts file {} not found", missing.display());
            return;
        }
        let spec = load_spec(&root.join("spec")).unwrap();
        let facts: Vec<Facts> = paths.iter().map(|p| load_facts(p).unwrap()).collect();
        let report = check(&spec, &facts);
        assert!(
            report.mismatches.is_empty(),
            "{}\n{}",
            report.mismatches.join("\n"),
            report.summary()
        );
        assert!(
            report.files >= 42 && report.properties > 0,
            "{}",
            report.summary()
        );
    }
}

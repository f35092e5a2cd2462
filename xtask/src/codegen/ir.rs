//! From JSON Schema to a small IR of named Rust types.
//!
//! Every definition, file root and inline object/enum/union that is reachable from the root
//! files becomes a [`TypeDef`] keyed by its schema node. Uses of a type are [`Ty`]s. Names,
//! strictness and `Box`ing are decided later, in `plan`.

use super::names;
use super::schema::{NodeId, Spec};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Any,
    Secret,
    Named(NodeId),
    Vec(Box<Ty>),
    Map(Box<Ty>),
}

impl Ty {
    /// Named types this type mentions, and whether each mention is direct (stored inline, so
    /// a cycle through it needs a `Box`) rather than behind a `Vec`/`BTreeMap`.
    pub fn refs(&self, direct: bool, out: &mut Vec<(NodeId, bool)>) {
        match self {
            Ty::Named(id) => out.push((id.clone(), direct)),
            Ty::Vec(t) | Ty::Map(t) => t.refs(false, out),
            _ => {}
        }
    }
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    /// The spec default (use-site sibling of `$ref`, else the referenced primitive's), `null`
    /// dropped. Coerced to the field type when emitted.
    pub default: Option<Value>,
    pub doc: Option<String>,
}

#[derive(Debug)]
pub enum Shape {
    Alias(Ty),
    Struct {
        fields: Vec<Field>,
        /// Indexes into `fields` of the required ones, in the order of the spec's `required`.
        required: Vec<usize>,
        /// `additionalProperties: false`
        closed: bool,
        /// `additionalProperties: true` or a schema next to `properties`: kept in a map.
        extra: Option<Ty>,
    },
    Enum {
        values: Vec<String>,
    },
    Union {
        branches: Vec<Ty>,
        dispatch: Option<Dispatch>,
    },
}

/// Credentials that OpenMetadata's spec does not mark `format: password` but that
/// are as sensitive as those it does (a session token grants what the keys grant).
/// They become `Secret` too, so that `Debug` masks them; their wire form is the
/// same plain string, and the spec itself is left as upstream has it.
const UNMARKED_SECRETS: &[(&str, &str)] = &[(
    "security/credentials/awsCredentials.json",
    "/properties/awsSessionToken",
)];

/// How a union picks its branch: the string at `path` (`["type"]`, or `["config", "type"]`
/// for the service-connection wrappers) names it; `tags[i]` are the strings of branch `i`.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub path: Vec<String>,
    pub tags: Vec<Vec<String>>,
}

#[derive(Debug)]
pub struct TypeDef {
    pub id: NodeId,
    /// Module path of the schema file (snake_case segments).
    pub module: Vec<String>,
    pub preferred: String,
    pub fallback: String,
    /// Lower wins a contested name: file roots, then definitions, then inline types.
    pub priority: u8,
    pub doc: Option<String>,
    pub shape: Shape,
}

pub struct Ir {
    pub types: BTreeMap<NodeId, TypeDef>,
    pub notes: Vec<String>,
}

/// Module path of a schema file: `api/data/createTable.json` -> `api::data::create_table`.
pub fn module_of(file: &str) -> Vec<String> {
    let stem = file.strip_suffix(".json").unwrap_or(file);
    stem.split('/').map(names::snake).collect()
}

/// Does a file root define a type (rather than only holding `definitions`)?
pub fn root_is_type(s: &Value) -> bool {
    [
        "type",
        "properties",
        "enum",
        "oneOf",
        "anyOf",
        "allOf",
        "$ref",
        "items",
        "const",
    ]
    .iter()
    .any(|k| s.get(k).is_some())
}

struct Hint {
    parent: String,
    field: String,
}

struct Builder<'a> {
    spec: &'a Spec,
    types: BTreeMap<NodeId, TypeDef>,
    queue: VecDeque<NodeId>,
    notes: Vec<String>,
}

pub fn build(spec: &Spec, seeds: &[NodeId]) -> Result<Ir, String> {
    let mut b = Builder {
        spec,
        types: BTreeMap::new(),
        queue: VecDeque::new(),
        notes: Vec::new(),
    };
    for s in seeds {
        b.ensure_named(s.clone())?;
    }
    while let Some(id) = b.queue.pop_front() {
        b.build_shape(&id)?;
    }
    b.compute_dispatch();
    Ok(Ir {
        types: b.types,
        notes: b.notes,
    })
}

fn doc_of(s: &Value) -> Option<String> {
    let d = s.get("description")?.as_str()?;
    let collapsed = d.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

/// A `oneOf` branch that only lists `required` names (workflow.json) and defines nothing.
fn required_only(s: &Value) -> bool {
    s.as_object().is_some_and(|o| {
        o.keys().all(|k| {
            matches!(
                k.as_str(),
                "required" | "description" | "title" | "$comment"
            )
        })
    })
}

fn union_branches(s: &Value) -> Option<Vec<Value>> {
    let list = s.get("oneOf").or_else(|| s.get("anyOf"))?.as_array()?;
    let kept: Vec<Value> = list.iter().filter(|b| !required_only(b)).cloned().collect();
    (!kept.is_empty()).then_some(kept)
}

fn string_enum(s: &Value) -> Option<Vec<String>> {
    if let Some(c) = s.get("const") {
        return c.as_str().map(|c| vec![c.to_owned()]);
    }
    let values = s.get("enum")?.as_array()?;
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::String(x) => out.push(x.clone()),
            Value::Null => {} // a `null` member only makes the use site optional
            _ => return None,
        }
    }
    Some(out)
}

fn primary_type(s: &Value) -> Option<String> {
    match s.get("type")? {
        Value::String(t) => Some(t.clone()),
        Value::Array(ts) => {
            let non_null: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            (non_null.len() == 1).then(|| non_null[0].to_owned())
        }
        _ => None,
    }
}

/// Declares at least one property (`properties: {}` is a free-form map).
fn has_properties(s: &Value) -> bool {
    s.get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

fn is_object_schema(s: &Value) -> bool {
    primary_type(s).as_deref() == Some("object") || s.get("properties").is_some()
}

impl Builder<'_> {
    fn schema(&self, id: &NodeId) -> Result<&Value, String> {
        self.spec
            .get(id)
            .ok_or_else(|| format!("no schema at {id}"))
    }

    /// Registers a referenced node (definition, file root, ...) as a named type.
    fn ensure_named(&mut self, id: NodeId) -> Result<Ty, String> {
        if !self.types.contains_key(&id) {
            let s = self.schema(&id)?;
            let preferred = if id.pointer.is_empty() {
                let title = s.get("title").and_then(Value::as_str).map(names::type_name);
                let java = s
                    .get("javaType")
                    .and_then(Value::as_str)
                    .and_then(|j| j.rsplit('.').next())
                    .map(names::type_name);
                let stem = id
                    .file
                    .rsplit('/')
                    .next()
                    .unwrap_or(&id.file)
                    .trim_end_matches(".json");
                title
                    .filter(|t| !t.is_empty())
                    .or(java)
                    .unwrap_or_else(|| names::type_name(stem))
            } else {
                let last = id.pointer.rsplit('/').next().unwrap_or("");
                names::type_name(&last.replace("~1", "/").replace("~0", "~"))
            };
            let priority = if id.pointer.is_empty() {
                0
            } else if id.pointer.matches('/').count() == 2
                && id.pointer.starts_with("/definitions/")
            {
                1
            } else {
                2
            };
            let def = TypeDef {
                module: module_of(&id.file),
                fallback: preferred.clone(),
                preferred,
                priority,
                doc: doc_of(s),
                shape: Shape::Alias(Ty::Any),
                id: id.clone(),
            };
            self.types.insert(id.clone(), def);
            self.queue.push_back(id.clone());
        }
        Ok(Ty::Named(id))
    }

    fn build_shape(&mut self, id: &NodeId) -> Result<(), String> {
        let s = self.schema(id)?.clone();
        let name = self.types[id].preferred.clone();
        let shape = self.shape_of(id, &s, &name)?;
        self.types.get_mut(id).expect("registered").shape = shape;
        Ok(())
    }

    /// The shape of a named node whose schema is `s`.
    fn shape_of(&mut self, id: &NodeId, s: &Value, name: &str) -> Result<Shape, String> {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = self.spec.resolve(&id.file, r)?;
            return Ok(Shape::Alias(self.ensure_named(target)?));
        }
        if let Some(values) = string_enum(s) {
            return Ok(Shape::Enum { values });
        }
        if let Some(branches) = union_branches(s)
            && !is_object_schema(s)
        {
            let key = if s.get("oneOf").is_some() {
                "oneOf"
            } else {
                "anyOf"
            };
            let all = s[key].as_array().expect("checked by union_branches");
            let mut tys = Vec::new();
            for (i, b) in all.iter().enumerate() {
                if required_only(b) {
                    continue;
                }
                let field = b
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("Variant{i}"));
                let hint = Hint {
                    parent: name.to_owned(),
                    field,
                };
                tys.push(self.ty(&id.child(&[key, &i.to_string()]), b, &hint)?);
            }
            debug_assert_eq!(tys.len(), branches.len());
            return Ok(Shape::Union {
                branches: tys,
                dispatch: None,
            });
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            return self.merged_all_of(id, s, all, name);
        }
        if is_object_schema(s) && has_properties(s) {
            return self.struct_of(id, s, name);
        }
        let hint = Hint {
            parent: name.to_owned(),
            field: String::new(),
        };
        Ok(Shape::Alias(self.ty_inner(id, s, &hint, false)?))
    }

    fn struct_of(&mut self, id: &NodeId, s: &Value, name: &str) -> Result<Shape, String> {
        let required: BTreeSet<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        let mut used = BTreeSet::new();
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (key, ps) in props {
                let hint = Hint {
                    parent: name.to_owned(),
                    field: key.clone(),
                };
                let ty = self.ty(&id.child(&["properties", key]), ps, &hint)?;
                let mut rust = names::snake(key);
                let mut n = 2;
                while !used.insert(rust.clone()) {
                    rust = format!("{}_{n}", names::snake(key));
                    n += 1;
                }
                fields.push(Field {
                    wire: key.clone(),
                    rust,
                    default: self.default_of(id, ps)?,
                    required: required.contains(key.as_str()),
                    doc: doc_of(ps),
                    ty,
                });
            }
        }
        let (closed, extra) = self.additional(id, s, name)?;
        let mut required_order = Vec::new();
        if let Some(list) = s.get("required").and_then(Value::as_array) {
            for r in list.iter().filter_map(Value::as_str) {
                if let Some(i) = fields.iter().position(|f| f.wire == r)
                    && !required_order.contains(&i)
                {
                    required_order.push(i);
                }
            }
        }
        Ok(Shape::Struct {
            fields,
            required: required_order,
            closed,
            extra,
        })
    }

    /// `allOf`: the properties of every branch (after `$ref`s) in one struct.
    fn merged_all_of(
        &mut self,
        id: &NodeId,
        s: &Value,
        all: &[Value],
        name: &str,
    ) -> Result<Shape, String> {
        let mut merged = serde_json::Map::new();
        let mut props = serde_json::Map::new();
        let mut required = Vec::new();
        for b in all {
            let (bid, bs) = match b.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let t = self.spec.deref(&self.spec.resolve(&id.file, r)?)?;
                    let v = self.schema(&t)?.clone();
                    (t, v)
                }
                None => (id.clone(), b.clone()),
            };
            if bid.file != id.file {
                // Inline types below a merged branch would be named in another module.
                self.notes
                    .push(format!("{id}: allOf branch from {bid} merged"));
            }
            if let Some(p) = bs.get("properties").and_then(Value::as_object) {
                props.extend(p.clone());
            }
            if let Some(r) = bs.get("required").and_then(Value::as_array) {
                required.extend(r.clone());
            }
        }
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            props.extend(p.clone());
        }
        merged.insert("type".into(), Value::from("object"));
        merged.insert("properties".into(), Value::Object(props));
        merged.insert("required".into(), Value::Array(required));
        if let Some(a) = s.get("additionalProperties") {
            merged.insert("additionalProperties".into(), a.clone());
        }
        self.struct_of(id, &Value::Object(merged), name)
    }

    /// What `additionalProperties` allows next to declared properties.
    fn additional(
        &mut self,
        id: &NodeId,
        s: &Value,
        name: &str,
    ) -> Result<(bool, Option<Ty>), String> {
        match s.get("additionalProperties") {
            Some(Value::Bool(false)) => Ok((true, None)),
            Some(Value::Bool(true)) => Ok((false, Some(Ty::Any))),
            Some(schema @ Value::Object(_)) => {
                let hint = Hint {
                    parent: name.to_owned(),
                    field: "AdditionalProperties".into(),
                };
                let ty = self.map_value_ty(&id.child(&["additionalProperties"]), schema, &hint)?;
                Ok((false, Some(ty)))
            }
            _ => Ok((false, None)),
        }
    }

    /// The value type of a map from its `additionalProperties` schema, treating the
    /// `{".{1,}": {...}}` misuse (a patternProperties body) as "any value".
    fn map_value_ty(&mut self, at: &NodeId, schema: &Value, hint: &Hint) -> Result<Ty, String> {
        let obj = schema.as_object().expect("caller checked");
        let looks_like_pattern_map =
            !obj.is_empty() && obj.keys().all(|k| k.contains(['.', '*', '^', '$', '{']));
        if obj.is_empty() || looks_like_pattern_map {
            return Ok(Ty::Any);
        }
        self.ty(at, schema, hint)
    }

    /// The default at a use site: its own `default` (also as a sibling of `$ref`), else the
    /// default of a referenced non-object definition (`supportsMetadataExtraction`).
    fn default_of(&self, at: &NodeId, ps: &Value) -> Result<Option<Value>, String> {
        if let Some(d) = ps.get("default") {
            return Ok((!d.is_null()).then(|| d.clone()));
        }
        if let Some(r) = ps.get("$ref").and_then(Value::as_str) {
            let t = self.spec.deref(&self.spec.resolve(&at.file, r)?)?;
            let ts = self.schema(&t)?;
            if !is_object_schema(ts)
                && let Some(d) = ts.get("default")
            {
                return Ok((!d.is_null()).then(|| d.clone()));
            }
        }
        Ok(None)
    }

    /// The type of a use site (a property, array items, a union branch).
    fn ty(&mut self, at: &NodeId, s: &Value, hint: &Hint) -> Result<Ty, String> {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = self.spec.resolve(&at.file, r)?;
            return self.ensure_named(target);
        }
        self.ty_inner(at, s, hint, true)
    }

    fn inline_named(&mut self, at: &NodeId, s: &Value, hint: &Hint) -> Result<Ty, String> {
        let preferred = names::type_name(&hint.field);
        let def = TypeDef {
            id: at.clone(),
            module: module_of(&at.file),
            fallback: format!("{}{preferred}", hint.parent),
            preferred: preferred.clone(),
            priority: 2,
            doc: doc_of(s),
            shape: Shape::Alias(Ty::Any),
        };
        self.types.insert(at.clone(), def);
        let shape = self.shape_of(at, s, &preferred)?;
        self.types.get_mut(at).expect("just inserted").shape = shape;
        Ok(Ty::Named(at.clone()))
    }

    /// `may_name`: whether an inline enum/object/union here becomes its own named type (false
    /// when `s` already is the body of a named alias).
    fn ty_inner(
        &mut self,
        at: &NodeId,
        s: &Value,
        hint: &Hint,
        may_name: bool,
    ) -> Result<Ty, String> {
        if may_name
            && (string_enum(s).is_some()
                || (union_branches(s).is_some() && !is_object_schema(s))
                || s.get("allOf").is_some()
                || (is_object_schema(s) && has_properties(s)))
        {
            if self.types.contains_key(at) {
                return Ok(Ty::Named(at.clone()));
            }
            return self.inline_named(at, s, hint);
        }
        let t = primary_type(s);
        Ok(match t.as_deref() {
            Some("string") => {
                if s.get("format").and_then(Value::as_str) == Some("password")
                    || UNMARKED_SECRETS.contains(&(at.file.as_str(), at.pointer.as_str()))
                {
                    Ty::Secret
                } else {
                    Ty::Str
                }
            }
            Some("integer") => Ty::Int,
            Some("number") => Ty::Num,
            Some("boolean") => Ty::Bool,
            Some("array") => match s.get("items") {
                Some(items @ Value::Object(_)) => {
                    let item_hint = Hint {
                        parent: hint.parent.clone(),
                        field: format!("{}Item", hint.field),
                    };
                    Ty::Vec(Box::new(self.ty(
                        &at.child(&["items"]),
                        items,
                        &item_hint,
                    )?))
                }
                _ => Ty::Vec(Box::new(Ty::Any)),
            },
            Some("object") | None
                if is_object_schema(s) || s.get("additionalProperties").is_some() =>
            {
                match s.get("additionalProperties") {
                    Some(schema @ Value::Object(_)) => {
                        let h = Hint {
                            parent: hint.parent.clone(),
                            field: format!("{}Value", hint.field),
                        };
                        Ty::Map(Box::new(self.map_value_ty(
                            &at.child(&["additionalProperties"]),
                            schema,
                            &h,
                        )?))
                    }
                    _ => Ty::Map(Box::new(Ty::Any)),
                }
            }
            _ => Ty::Any,
        })
    }

    /// Finds unions whose branches are told apart by a `type` string (directly, or through
    /// a `config` wrapper whose own union is told apart that way).
    fn compute_dispatch(&mut self) {
        let ids: Vec<NodeId> = self
            .types
            .iter()
            .filter(|(_, t)| matches!(t.shape, Shape::Union { .. }))
            .map(|(id, _)| id.clone())
            .collect();
        // Wrapper unions depend on inner ones; a few rounds settle any nesting depth we have.
        for _ in 0..4 {
            for id in &ids {
                let d = self.dispatch_of(id);
                if let Shape::Union { dispatch, .. } =
                    &mut self.types.get_mut(id).expect("listed").shape
                {
                    *dispatch = d;
                }
            }
        }
    }

    fn resolve_alias<'t>(&'t self, ty: &'t Ty) -> &'t Ty {
        let mut cur = ty;
        for _ in 0..16 {
            match cur {
                Ty::Named(id) => match &self.types.get(id).map(|t| &t.shape) {
                    Some(Shape::Alias(inner)) => cur = inner,
                    _ => return cur,
                },
                _ => return cur,
            }
        }
        cur
    }

    fn dispatch_of(&self, id: &NodeId) -> Option<Dispatch> {
        let Shape::Union { branches, .. } = &self.types[id].shape else {
            return None;
        };
        self.direct_dispatch(branches)
            .or_else(|| self.wrapped_dispatch(branches))
    }

    /// Fields of a struct whose type is an enum with a single value, and that value
    /// (`GlueConnection`: `type` = `Glue`; `DbtLocalConfig`: `dbtConfigType` = `local`).
    fn single_value_fields(&self, ty: &Ty) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Ty::Named(id) = self.resolve_alias(ty) else {
            return out;
        };
        let Some(Shape::Struct { fields, .. }) = self.types.get(id).map(|t| &t.shape) else {
            return out;
        };
        for f in fields {
            if let Ty::Named(e) = self.resolve_alias(&f.ty)
                && let Some(Shape::Enum { values }) = self.types.get(e).map(|t| &t.shape)
                && values.len() == 1
            {
                out.insert(f.wire.clone(), values[0].clone());
            }
        }
        out
    }

    /// Members told apart by one of their own fields: `type` if all have it, else the first
    /// (by name) single-valued field they all have, with distinct values.
    fn direct_dispatch(&self, branches: &[Ty]) -> Option<Dispatch> {
        let per: Vec<BTreeMap<String, String>> = branches
            .iter()
            .map(|b| self.single_value_fields(b))
            .collect();
        let first = per.first()?;
        let common: Vec<&String> = first
            .keys()
            .filter(|k| per.iter().all(|m| m.contains_key(*k)))
            .collect();
        let key = if common.iter().any(|k| *k == "type") {
            "type".to_owned()
        } else {
            (*common.first()?).clone()
        };
        let tags: Vec<Vec<String>> = per.iter().map(|m| vec![m[&key].clone()]).collect();
        let distinct: BTreeSet<&String> = tags.iter().flatten().collect();
        (distinct.len() == tags.len()).then(|| Dispatch {
            path: vec![key],
            tags,
        })
    }

    /// Members that wrap a `config` told apart by its own field (the service-connection
    /// wrappers `{config: ...}`): the union dispatches on `config.<field>`.
    fn wrapped_dispatch(&self, branches: &[Ty]) -> Option<Dispatch> {
        let mut path: Option<Vec<String>> = None;
        let mut tags = Vec::new();
        let mut seen = BTreeSet::new();
        for b in branches {
            let Ty::Named(id) = self.resolve_alias(b) else {
                return None;
            };
            let Shape::Struct { fields, .. } = &self.types.get(id)?.shape else {
                return None;
            };
            let config = fields.iter().find(|f| f.wire == "config")?;
            let (inner_path, inner_tags) = match self.resolve_alias(&config.ty) {
                Ty::Named(u) => match &self.types.get(u)?.shape {
                    Shape::Union {
                        dispatch: Some(d), ..
                    } => (d.path.clone(), d.tags.concat()),
                    Shape::Struct { .. } => {
                        let m = self.single_value_fields(&config.ty);
                        let v = m.get("type")?;
                        (vec!["type".to_owned()], vec![v.clone()])
                    }
                    _ => return None,
                },
                _ => return None,
            };
            let mut p = vec!["config".to_owned()];
            p.extend(inner_path);
            if path.as_ref().is_some_and(|q| *q != p) {
                return None;
            }
            path = Some(p);
            if !inner_tags.iter().all(|t| seen.insert(t.clone())) {
                return None;
            }
            tags.push(inner_tags);
        }
        Some(Dispatch { path: path?, tags })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(files: Vec<(&str, Value)>) -> Spec {
        Spec {
            files: files.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    #[test]
    fn connection_unions_dispatch_on_type_and_config_type() {
        let s = spec(vec![
            (
                "c/glue.json",
                json!({"title": "GlueConnection", "type": "object",
                  "definitions": {"glueType": {"type": "string", "enum": ["Glue"], "default": "Glue"}},
                  "properties": {"type": {"$ref": "#/definitions/glueType", "default": "Glue"}}}),
            ),
            (
                "c/other.json",
                json!({"title": "OtherConnection", "type": "object",
                  "properties": {"type": {"type": "string", "enum": ["Other"]}}}),
            ),
            (
                "svc.json",
                json!({"definitions": {
                  "databaseConnection": {"type": "object", "properties": {"config": {"oneOf": [
                      {"$ref": "c/glue.json"}, {"$ref": "c/other.json"}]}}},
                  "serviceConnection": {"oneOf": [{"$ref": "#/definitions/databaseConnection"}]}}}),
            ),
        ]);
        let seeds = [NodeId::new("svc.json", "/definitions/serviceConnection")];
        let ir = build(&s, &seeds).unwrap();
        let Shape::Union {
            dispatch: Some(d), ..
        } = &ir.types[&seeds[0]].shape
        else {
            panic!("no dispatch")
        };
        assert_eq!(d.path, ["config", "type"]);
        assert_eq!(d.tags, [vec!["Glue".to_owned(), "Other".to_owned()]]);
        let glue = &ir.types[&NodeId::new("c/glue.json", "")];
        let Shape::Struct { fields, .. } = &glue.shape else {
            panic!()
        };
        assert_eq!(fields[0].default, Some(json!("Glue")));
    }

    #[test]
    fn members_may_be_told_apart_by_another_single_valued_field() {
        let member = |v: &str| {
            json!({"type": "object", "title": format!("Dbt{v}Config"),
                   "properties": {"dbtConfigType": {"type": "string", "enum": [v]},
                                  "path": {"type": "string"}}})
        };
        let s = spec(vec![
            ("local.json", member("local")),
            ("http.json", member("http")),
            (
                "dbt.json",
                json!({"definitions": {"source": {"oneOf": [
                {"$ref": "local.json"}, {"$ref": "http.json"}]}}}),
            ),
        ]);
        let seeds = [NodeId::new("dbt.json", "/definitions/source")];
        let ir = build(&s, &seeds).unwrap();
        let Shape::Union {
            dispatch: Some(d), ..
        } = &ir.types[&seeds[0]].shape
        else {
            panic!("no dispatch")
        };
        assert_eq!(d.path, ["dbtConfigType"]);
        assert_eq!(d.tags, [vec!["local".to_owned()], vec!["http".to_owned()]]);
    }

    #[test]
    fn overlapping_members_are_not_dispatched() {
        let member =
            json!({"type": "object", "properties": {"type": {"type": "string", "enum": ["A"]}}});
        let s = spec(vec![
            ("a.json", member.clone()),
            ("b.json", member),
            (
                "u.json",
                json!({"definitions": {"u": {"oneOf": [{"$ref": "a.json"}, {"$ref": "b.json"}]}}}),
            ),
        ]);
        let seeds = [NodeId::new("u.json", "/definitions/u")];
        let ir = build(&s, &seeds).unwrap();
        assert!(matches!(
            &ir.types[&seeds[0]].shape,
            Shape::Union { dispatch: None, .. }
        ));
    }

    #[test]
    fn required_only_one_of_is_ignored() {
        let s = spec(vec![(
            "w.json",
            json!({"type": "object", "title": "W", "properties": {"a": {"type": "string"}},
                   "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}),
        )]);
        let ir = build(&s, &[NodeId::new("w.json", "")]).unwrap();
        assert!(matches!(
            ir.types[&NodeId::new("w.json", "")].shape,
            Shape::Struct { .. }
        ));
    }
}

//! Decisions made on the whole type graph: which types are strict or lenient (or both),
//! their names, which edges need a `Box`, usable defaults and which types get `Default`.

use super::ir::{Ir, Shape, Ty};
use super::schema::NodeId;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Written by the user (reachable from the workflow file): unknown keys and enum values
    /// are errors where the spec says so; spec defaults are filled in.
    Strict,
    /// Written by the server or by us for the server: unknown keys are ignored, unknown enum
    /// values and union members are kept as they came, defaults are left to the server.
    Lenient,
}

pub type Inst = (NodeId, Mode);

/// Names that generated code uses unqualified (or that would confuse a reader).
const RESERVED: &[&str] = &[
    "String",
    "Vec",
    "Option",
    "Box",
    "Result",
    "Ok",
    "Err",
    "Some",
    "None",
    "Self",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Fn",
    "Iterator",
    "Secret",
];

pub struct Plan {
    /// Which copies of each type are emitted.
    pub modes: BTreeMap<NodeId, Vec<Mode>>,
    /// Types emitted twice: the strict copy at the canonical path, the lenient one in the
    /// file module's `lenient` submodule.
    pub dual: BTreeSet<NodeId>,
    pub names: BTreeMap<NodeId, String>,
    /// Direct edges (from instance, to instance) that close a cycle: stored as `Box<T>`.
    pub boxed: BTreeSet<(Inst, Inst)>,
    /// Per strict struct field (type, field index): the default coerced to the field's type.
    pub defaults: BTreeMap<(NodeId, usize), Value>,
    /// Instances for which `Default` is implemented (derived, or from the spec defaults).
    pub defaultable: BTreeSet<Inst>,
    pub notes: Vec<String>,
}

impl Plan {
    /// The mode of the copy of `target` that an instance in `from` mode refers to.
    pub fn target_mode(&self, target: &NodeId, from: Mode) -> Mode {
        if self.dual.contains(target) {
            from
        } else {
            self.modes[target][0]
        }
    }

    pub fn has_default(&self, id: &NodeId, field: usize, mode: Mode) -> bool {
        mode == Mode::Strict && self.defaults.contains_key(&(id.clone(), field))
    }
}

fn shape_refs(shape: &Shape) -> Vec<(NodeId, bool)> {
    let mut out = Vec::new();
    match shape {
        Shape::Alias(t) => t.refs(true, &mut out),
        Shape::Struct { fields, extra, .. } => {
            for f in fields {
                f.ty.refs(true, &mut out);
            }
            if let Some(e) = extra {
                e.refs(false, &mut out);
            }
        }
        Shape::Enum { .. } => {}
        Shape::Union { branches, .. } => {
            for b in branches {
                b.refs(true, &mut out);
            }
        }
    }
    out
}

fn closure(ir: &Ir, seeds: &[NodeId]) -> BTreeSet<NodeId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<NodeId> = seeds.to_vec();
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            for (r, _) in shape_refs(&ir.types[&id].shape) {
                stack.push(r);
            }
        }
    }
    seen
}

pub fn plan(ir: &Ir, strict_seeds: &[NodeId], lenient_seeds: &[NodeId]) -> Plan {
    let mut notes = Vec::new();
    let strict = closure(ir, strict_seeds);
    let lenient_seeds: Vec<NodeId> = lenient_seeds
        .iter()
        .filter(|s| !strict.contains(*s))
        .cloned()
        .collect();
    let lenient = closure(ir, &lenient_seeds);

    let defaults = usable_defaults(ir, &mut notes);

    // Types whose code differs between the modes.
    let mut dependent: BTreeSet<NodeId> = BTreeSet::new();
    loop {
        let mut changed = false;
        for (id, t) in &ir.types {
            if dependent.contains(id) {
                continue;
            }
            let own = match &t.shape {
                Shape::Enum { .. } | Shape::Union { .. } => true,
                Shape::Struct { fields, closed, .. } => {
                    *closed
                        || fields
                            .iter()
                            .enumerate()
                            .any(|(i, f)| !f.required && defaults.contains_key(&(id.clone(), i)))
                }
                Shape::Alias(_) => false,
            };
            if own
                || shape_refs(&t.shape)
                    .iter()
                    .any(|(r, _)| dependent.contains(r))
            {
                dependent.insert(id.clone());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    let mut modes = BTreeMap::new();
    let mut dual = BTreeSet::new();
    for id in ir.types.keys() {
        let (s, l) = (strict.contains(id), lenient.contains(id));
        let m = match (s, l) {
            (true, true) if dependent.contains(id) => {
                dual.insert(id.clone());
                vec![Mode::Strict, Mode::Lenient]
            }
            (true, _) => vec![Mode::Strict],
            (false, true) => vec![Mode::Lenient],
            (false, false) => continue,
        };
        modes.insert(id.clone(), m);
    }

    let names = assign_names(ir, &modes);

    let mut plan = Plan {
        modes,
        dual,
        names,
        boxed: BTreeSet::new(),
        defaults,
        defaultable: BTreeSet::new(),
        notes,
    };
    plan.boxed = boxed_edges(ir, &plan);
    plan.defaultable = defaultable(ir, &plan);
    plan
}

fn assign_names(ir: &Ir, modes: &BTreeMap<NodeId, Vec<Mode>>) -> BTreeMap<NodeId, String> {
    let mut by_module: BTreeMap<&Vec<String>, Vec<&NodeId>> = BTreeMap::new();
    for id in modes.keys() {
        by_module.entry(&ir.types[id].module).or_default().push(id);
    }
    let mut names = BTreeMap::new();
    for (_, mut ids) in by_module {
        ids.sort_by(|a, b| {
            let (ta, tb) = (&ir.types[*a], &ir.types[*b]);
            (ta.priority, &a.pointer).cmp(&(tb.priority, &b.pointer))
        });
        let mut taken: BTreeSet<String> = RESERVED.iter().map(|s| (*s).to_owned()).collect();
        for id in ids {
            let t = &ir.types[id];
            let name = [&t.preferred, &t.fallback]
                .into_iter()
                .find(|n| !n.is_empty() && !taken.contains(*n))
                .cloned()
                .unwrap_or_else(|| {
                    let base = if t.fallback.is_empty() {
                        "Type".to_owned()
                    } else {
                        t.fallback.clone()
                    };
                    (2..)
                        .map(|n| format!("{base}{n}"))
                        .find(|n| !taken.contains(n))
                        .expect("unbounded")
                });
            taken.insert(name.clone());
            names.insert(id.clone(), name);
        }
    }
    names
}

/// Tarjan's SCC over emitted instances and their direct edges; a direct edge inside an SCC
/// (a self-loop included) is boxed unless it starts at an alias (aliases are transparent).
fn boxed_edges(ir: &Ir, plan: &Plan) -> BTreeSet<(Inst, Inst)> {
    let mut insts: Vec<Inst> = Vec::new();
    for (id, ms) in &plan.modes {
        for m in ms {
            insts.push((id.clone(), *m));
        }
    }
    let index_of: BTreeMap<Inst, usize> = insts
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, x)| (x, i))
        .collect();
    let edges: Vec<Vec<usize>> = insts
        .iter()
        .map(|(id, m)| {
            shape_refs(&ir.types[id].shape)
                .into_iter()
                .filter(|(_, direct)| *direct)
                .map(|(r, _)| index_of[&(r.clone(), plan.target_mode(&r, *m))])
                .collect()
        })
        .collect();

    // Iterative Tarjan.
    let n = insts.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if *ei < edges[v].len() {
                let w = edges[v][*ei];
                *ei += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    loop {
                        let w = stack.pop().expect("tarjan stack");
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }

    let mut boxed = BTreeSet::new();
    for (v, targets) in edges.iter().enumerate() {
        if matches!(ir.types[&insts[v].0].shape, Shape::Alias(_)) {
            continue;
        }
        for &w in targets {
            if comp[v] == comp[w] {
                boxed.insert((insts[v].clone(), insts[w].clone()));
            }
        }
    }
    boxed
}

/// Follows alias chains to the type a use site really has.
pub fn resolve<'a>(ir: &'a Ir, ty: &'a Ty) -> &'a Ty {
    let mut cur = ty;
    for _ in 0..32 {
        match cur {
            Ty::Named(id) => match &ir.types[id].shape {
                Shape::Alias(inner) => cur = inner,
                _ => return cur,
            },
            _ => return cur,
        }
    }
    cur
}

/// Coerces each non-null default to its field's type (`"1000"` for an integer becomes
/// 1000); defaults that cannot be expressed are dropped with a note.
fn usable_defaults(ir: &Ir, notes: &mut Vec<String>) -> BTreeMap<(NodeId, usize), Value> {
    let mut out = BTreeMap::new();
    for (id, t) in &ir.types {
        let Shape::Struct { fields, .. } = &t.shape else {
            continue;
        };
        for (i, f) in fields.iter().enumerate() {
            let Some(d) = &f.default else { continue };
            if f.required {
                continue;
            }
            match coerce(ir, &f.ty, d) {
                Some(v) => {
                    if &v != d {
                        notes.push(format!(
                            "{id}: default of `{}` coerced from {d} to {v}",
                            f.wire
                        ));
                    }
                    out.insert((id.clone(), i), v);
                }
                None => notes.push(format!(
                    "{id}: default {d} of `{}` does not fit its type; left to the server",
                    f.wire
                )),
            }
        }
    }
    out
}

fn coerce(ir: &Ir, ty: &Ty, d: &Value) -> Option<Value> {
    match resolve(ir, ty) {
        Ty::Bool => match d {
            Value::Bool(_) => Some(d.clone()),
            Value::String(s) => s.parse::<bool>().ok().map(Value::from),
            _ => None,
        },
        Ty::Int => match d {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(d.clone()),
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.fract() == 0.0)
                .map(|f| Value::from(f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok().map(Value::from),
            _ => None,
        },
        Ty::Num => match d {
            Value::Number(_) => Some(d.clone()),
            Value::String(s) => s.trim().parse::<f64>().ok().map(Value::from),
            _ => None,
        },
        Ty::Str | Ty::Secret => match d {
            Value::String(_) => Some(d.clone()),
            Value::Number(_) | Value::Bool(_) => Some(Value::from(d.to_string())),
            _ => None,
        },
        Ty::Any => Some(d.clone()),
        Ty::Vec(inner) => {
            let items = d.as_array()?;
            let coerced: Option<Vec<Value>> = items.iter().map(|v| coerce(ir, inner, v)).collect();
            coerced.map(Value::Array)
        }
        Ty::Map(inner) => {
            let obj = d.as_object()?;
            let mut m = serde_json::Map::new();
            for (k, v) in obj {
                m.insert(k.clone(), coerce(ir, inner, v)?);
            }
            Some(Value::Object(m))
        }
        Ty::Named(id) => match &ir.types[id].shape {
            Shape::Enum { values } => {
                let s = d.as_str()?;
                values.iter().any(|v| v == s).then(|| d.clone())
            }
            // An empty object for a struct without required fields is its `Default`;
            // anything richer is not worth generating code for.
            Shape::Struct { required, .. } if required.is_empty() => {
                d.as_object().filter(|o| o.is_empty()).map(|_| d.clone())
            }
            _ => None,
        },
    }
}

fn defaultable(ir: &Ir, plan: &Plan) -> BTreeSet<Inst> {
    let mut ok: BTreeSet<Inst> = BTreeSet::new();
    loop {
        let mut changed = false;
        for (id, ms) in &plan.modes {
            for m in ms {
                let inst = (id.clone(), *m);
                if ok.contains(&inst) {
                    continue;
                }
                let yes = match &ir.types[id].shape {
                    Shape::Struct { fields, .. } => fields.iter().enumerate().all(|(i, f)| {
                        let optional = !f.required && !plan.has_default(id, i, *m);
                        optional
                            || plan.has_default(id, i, *m)
                                && default_value_ok(ir, plan, &ok, &f.ty, *m)
                            || ty_defaultable(plan, &ok, &f.ty, *m)
                    }),
                    Shape::Alias(t) => ty_defaultable(plan, &ok, t, *m),
                    _ => false,
                };
                if yes {
                    ok.insert(inst);
                    changed = true;
                }
            }
        }
        if !changed {
            return ok;
        }
    }
}

/// A spec default for a struct-typed field is `{}`, i.e. the struct's own `Default`.
fn default_value_ok(ir: &Ir, plan: &Plan, ok: &BTreeSet<Inst>, ty: &Ty, m: Mode) -> bool {
    match resolve(ir, ty) {
        Ty::Named(id) if matches!(ir.types[id].shape, Shape::Struct { .. }) => {
            ok.contains(&(id.clone(), plan.target_mode(id, m)))
        }
        _ => true,
    }
}

fn ty_defaultable(plan: &Plan, ok: &BTreeSet<Inst>, ty: &Ty, m: Mode) -> bool {
    match ty {
        Ty::Named(id) => ok.contains(&(id.clone(), plan.target_mode(id, m))),
        _ => true,
    }
}

//! The walk over a parsed query: scopes, name resolution, `*` expansion.
//!
//! Queries nest by recursion (bounded: each level is a parser recursion level,
//! and [`MAX_QUERY_NESTING`] as well); expressions and set-operation chains are
//! walked with explicit stacks, since their trees can be as deep as
//! [`crate::depth::MAX_CHAIN_DEPTH`].

use std::collections::BTreeMap;
use std::rc::Rc;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, GroupByExpr, Ident, InTarget, JoinConstraint, JoinOperator, JsonPathElem,
    NamedWindowDefinition, NamedWindowExpr, ObjectName, OneOrManyWithParens, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier, Subscript,
    TableAlias, TableFactor, TableWithJoins, WildcardAdditionalOptions, WindowSpec, WindowType,
};

use crate::{Analysis, ColumnLineage, Columns, Dialect, LineageError, RelationName, SourceColumn};

/// Queries nested in queries (CTEs, subqueries). The parser's own recursion
/// limit is lower in practice; this keeps the walk safe on its own.
const MAX_QUERY_NESTING: usize = 200;

/// Names that read no column when nothing in scope has a column so named.
const NILADIC: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_user",
    "session_user",
    "current_role",
    "current_schema",
    "current_catalog",
    "user",
];

pub(crate) fn analyze_query(
    query: &Query,
    dialect: Dialect,
    columns: &dyn Columns,
) -> Result<Analysis, LineageError> {
    let mut analyzer = Analyzer {
        arrow_is_lambda: dialect == Dialect::Athena,
        catalog: columns,
        relations: Vec::new(),
        relation_ids: BTreeMap::new(),
        ctes: Vec::new(),
        nesting: 0,
    };
    let output = analyzer.query(query, None)?;

    let mut relations: Vec<RelationName> =
        analyzer.relations.iter().map(|r| r.name.clone()).collect();
    relations.sort();
    let mut unresolved = Vec::new();
    let columns = output
        .columns
        .iter()
        .map(|column| {
            if column.sources.unresolved {
                unresolved.push(column.name.clone());
            }
            let mut sources: Vec<SourceColumn> = column
                .sources
                .columns
                .iter()
                .map(|((rel, _), name)| SourceColumn {
                    relation: analyzer.relations[*rel].name.clone(),
                    column: name.clone(),
                })
                .collect();
            sources.sort();
            sources.dedup();
            ColumnLineage {
                column: column.name.clone(),
                sources,
            }
        })
        .collect();
    unresolved.extend(output.unexpanded_stars.iter().cloned());
    Ok(Analysis {
        relations,
        columns,
        unresolved,
    })
}

type RelId = usize;

/// Lower-cased identifier, for comparisons.
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The base columns a value is computed from.
#[derive(Debug, Clone, Default)]
struct Sources {
    /// Keyed by relation and lower-cased column; the value keeps the spelling.
    columns: BTreeMap<(RelId, String), String>,
    /// Some column reference could not be resolved.
    unresolved: bool,
}

impl Sources {
    fn add(&mut self, rel: RelId, column: &str) {
        self.columns
            .entry((rel, key(column)))
            .or_insert_with(|| column.to_string());
    }

    fn extend(&mut self, other: &Sources) {
        for (k, v) in &other.columns {
            self.columns.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self.unresolved |= other.unresolved;
    }
}

#[derive(Debug, Clone)]
struct OutputColumn {
    name: String,
    sources: Sources,
}

/// The columns a query (or CTE, subquery, table function) produces.
#[derive(Debug, Clone, Default)]
struct Derived {
    columns: Vec<OutputColumn>,
    /// Set when a `*` could not be expanded: a name not in `columns` may still be
    /// one of its columns, read from these base relations (none for a table
    /// function).
    open: Option<Vec<RelId>>,
    /// What every column of an open relation reads besides `open`'s columns
    /// (`JSON_TABLE(doc …)`: `doc`).
    open_sources: Sources,
    /// The `*`s that could not be expanded, as written.
    unexpanded_stars: Vec<String>,
}

impl Derived {
    fn find(&self, name: &str) -> Option<&OutputColumn> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Marks `self` open to `rels`' columns.
    fn add_open(&mut self, rels: &[RelId]) {
        let open = self.open.get_or_insert_with(Vec::new);
        for rel in rels {
            if !open.contains(rel) {
                open.push(*rel);
            }
        }
    }

    /// Takes on `other`'s openness and unexpanded stars.
    fn absorb_open(&mut self, other: &Derived) {
        if let Some(open) = &other.open {
            self.add_open(open);
        }
        self.open_sources.extend(&other.open_sources);
        self.unexpanded_stars
            .extend(other.unexpanded_stars.iter().cloned());
    }
}

struct BaseRelation {
    name: RelationName,
    /// From the catalog; `None` when it does not know the relation.
    columns: Option<Vec<String>>,
}

enum RelationKind {
    Base(RelId),
    Derived(Rc<Derived>),
}

/// A relation visible in a `FROM` scope.
struct ScopeRelation {
    /// The alias, or the name's parts as written (lower-cased), that qualifies
    /// its columns; empty for an unaliased subquery.
    qualifier: Vec<String>,
    kind: RelationKind,
}

/// What a column name means in one relation.
enum Lookup {
    Found(Sources),
    /// The relation's columns are not all known; it may have it.
    Maybe(Sources),
    Missing,
}

struct Scope<'p> {
    relations: Vec<ScopeRelation>,
    /// Lower-cased `USING` join columns: unqualified, they belong to every side.
    using: Vec<String>,
    /// A `NATURAL` join: every shared name belongs to every side.
    natural: bool,
    outer: Option<&'p Scope<'p>>,
}

impl<'p> Scope<'p> {
    fn new(outer: Option<&'p Scope<'p>>) -> Scope<'p> {
        Scope {
            relations: Vec::new(),
            using: Vec::new(),
            natural: false,
            outer,
        }
    }
}

/// What the expression walk needs from the `SELECT` it is in.
#[derive(Default)]
struct SelectContext<'a> {
    windows: &'a [NamedWindowDefinition],
    /// Earlier select items by alias (lateral column aliases).
    aliases: &'a [OutputColumn],
}

struct Analyzer<'c> {
    catalog: &'c dyn Columns,
    relations: Vec<BaseRelation>,
    /// Lower-cased name parts → id, so a relation spelled two ways is one.
    relation_ids: BTreeMap<Vec<String>, RelId>,
    /// CTEs in scope, innermost last: lower-cased name and columns.
    ctes: Vec<(String, Rc<Derived>)>,
    nesting: usize,
    /// `a -> b` is a lambda (Athena/Trino), not JSON access.
    arrow_is_lambda: bool,
}

impl Analyzer<'_> {
    fn query(&mut self, query: &Query, outer: Option<&Scope>) -> Result<Derived, LineageError> {
        self.nesting += 1;
        if self.nesting > MAX_QUERY_NESTING {
            return Err(LineageError::TooDeep {
                limit: MAX_QUERY_NESTING,
            });
        }
        let visible_ctes = self.ctes.len();
        let result = self.query_inner(query, outer);
        self.ctes.truncate(visible_ctes);
        self.nesting -= 1;
        result
    }

    fn query_inner(
        &mut self,
        query: &Query,
        outer: Option<&Scope>,
    ) -> Result<Derived, LineageError> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = key(&cte.alias.name.value);
                let mut derived = if with.recursive {
                    // The anchor (first branch) gives the columns the recursive
                    // branch refers to.
                    let anchor = self.set_expr(leftmost(&cte.query.body), outer)?;
                    self.ctes
                        .push((name.clone(), Rc::new(rename(anchor, &cte.alias))));
                    let full = self.query(&cte.query, outer);
                    self.ctes.pop();
                    full?
                } else {
                    self.query(&cte.query, outer)?
                };
                derived = rename(derived, &cte.alias);
                self.ctes.push((name, Rc::new(derived)));
            }
        }
        self.set_expr(&query.body, outer)
    }

    /// A chain of set operations, folded left to right without recursing down the
    /// left spine (its length is unbounded).
    fn set_expr(&mut self, body: &SetExpr, outer: Option<&Scope>) -> Result<Derived, LineageError> {
        let mut rights = Vec::new();
        let mut leaf = body;
        while let SetExpr::SetOperation {
            left,
            op,
            set_quantifier,
            right,
        } = leaf
        {
            rights.push((op, set_quantifier, right.as_ref()));
            leaf = left;
        }
        let mut result = self.set_leaf(leaf, outer)?;
        for (op, quantifier, right) in rights.into_iter().rev() {
            // The right side's own chain is bounded by operator precedence
            // levels, so recursing into it is shallow.
            let right = self.set_expr(right, outer)?;
            if matches!(op, SetOperator::Except | SetOperator::Minus) {
                // Rows of the left side only.
                continue;
            }
            let by_name = matches!(
                quantifier,
                SetQuantifier::ByName | SetQuantifier::AllByName | SetQuantifier::DistinctByName
            );
            result = combine(result, right, by_name);
        }
        Ok(result)
    }

    fn set_leaf(&mut self, leaf: &SetExpr, outer: Option<&Scope>) -> Result<Derived, LineageError> {
        match leaf {
            SetExpr::Select(select) => self.select(select, outer),
            SetExpr::Query(query) => self.query(query, outer),
            SetExpr::Values(values) => {
                let scope = Scope::new(outer);
                let ctx = SelectContext::default();
                let mut columns: Vec<OutputColumn> = Vec::new();
                for row in &values.rows {
                    for (i, expr) in row.content.iter().enumerate() {
                        let sources = self.expr(expr, &scope, &ctx)?;
                        match columns.get_mut(i) {
                            Some(column) => column.sources.extend(&sources),
                            None => columns.push(OutputColumn {
                                name: format!("column{}", i + 1),
                                sources,
                            }),
                        }
                    }
                }
                Ok(Derived {
                    columns,
                    ..Derived::default()
                })
            }
            SetExpr::Table(table) => {
                let Some(name) = &table.table_name else {
                    return Ok(Derived::default());
                };
                let mut parts: Vec<&Ident> = table.schema_name.iter().collect();
                parts.push(name);
                let mut scope = Scope::new(outer);
                self.base_or_cte(&parts, None, &mut scope);
                let mut derived = Derived::default();
                if let Some(relation) = scope.relations.first() {
                    self.expand(relation, &mut derived, "*".to_string());
                }
                Ok(derived)
            }
            SetExpr::SetOperation { .. } => self.set_expr(leaf, outer),
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                Err(LineageError::NotAQuery)
            }
        }
    }

    fn select(&mut self, select: &Select, outer: Option<&Scope>) -> Result<Derived, LineageError> {
        let mut scope = Scope::new(outer);
        for table in &select.from {
            self.table_with_joins(table, &mut scope)?;
        }
        let none = SelectContext {
            windows: &select.named_window,
            aliases: &[],
        };
        for view in &select.lateral_views {
            let sources = self.expr(&view.lateral_view, &scope, &none)?;
            let columns = view
                .lateral_col_alias
                .iter()
                .map(|alias| OutputColumn {
                    name: alias.value.clone(),
                    sources: sources.clone(),
                })
                .collect();
            scope.relations.push(ScopeRelation {
                qualifier: object_name_keys(&view.lateral_view_name),
                kind: RelationKind::Derived(Rc::new(Derived {
                    columns,
                    ..Derived::default()
                })),
            });
        }

        // Filters and groupings feed no output column, but their subqueries read
        // relations.
        let mut filters: Vec<&Expr> = Vec::new();
        filters.extend(&select.prewhere);
        filters.extend(&select.selection);
        filters.extend(&select.having);
        filters.extend(&select.qualify);
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            filters.extend(exprs);
        }
        for expr in filters {
            self.expr(expr, &scope, &none)?;
        }

        let mut output = Derived::default();
        for item in &select.projection {
            let ctx = SelectContext {
                windows: &select.named_window,
                aliases: &output.columns,
            };
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    let sources = self.expr(expr, &scope, &ctx)?;
                    output.columns.push(OutputColumn {
                        name: expr_name(expr),
                        sources,
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let sources = self.expr(expr, &scope, &ctx)?;
                    output.columns.push(OutputColumn {
                        name: alias.value.clone(),
                        sources,
                    });
                }
                SelectItem::ExprWithAliases { expr, aliases } => {
                    let sources = self.expr(expr, &scope, &ctx)?;
                    for alias in aliases {
                        output.columns.push(OutputColumn {
                            name: alias.value.clone(),
                            sources: sources.clone(),
                        });
                    }
                }
                SelectItem::Wildcard(options) => {
                    let mut expanded = Derived::default();
                    for relation in &scope.relations {
                        let mut one = Derived::default();
                        self.expand(relation, &mut one, item.to_string());
                        // A `USING`/`NATURAL` join column appears once, from
                        // every side.
                        for column in std::mem::take(&mut one.columns) {
                            let shared = scope.natural || scope.using.contains(&key(&column.name));
                            let existing = expanded
                                .columns
                                .iter_mut()
                                .find(|c| c.name.eq_ignore_ascii_case(&column.name));
                            match existing {
                                Some(existing) if shared => {
                                    existing.sources.extend(&column.sources)
                                }
                                _ => expanded.columns.push(column),
                            }
                        }
                        expanded.absorb_open(&one);
                    }
                    expanded.unexpanded_stars.dedup();
                    self.apply_wildcard_options(&mut expanded, options, &scope, &ctx)?;
                    append(&mut output, expanded);
                }
                SelectItem::QualifiedWildcard(kind, options) => {
                    let mut expanded = Derived::default();
                    match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            let qualifier = object_name_keys(name);
                            match find_qualified(&scope, &qualifier) {
                                Some(relation) => {
                                    self.expand(relation, &mut expanded, item.to_string())
                                }
                                None => expanded.unexpanded_stars.push(item.to_string()),
                            }
                        }
                        SelectItemQualifiedWildcardKind::Expr(expr) => {
                            // `struct_col.*`: every field comes from the struct.
                            let sources = self.expr(expr, &scope, &ctx)?;
                            output.columns.push(OutputColumn {
                                name: item.to_string(),
                                sources,
                            });
                            continue;
                        }
                    }
                    self.apply_wildcard_options(&mut expanded, options, &scope, &ctx)?;
                    append(&mut output, expanded);
                }
            }
        }
        Ok(output)
    }

    fn apply_wildcard_options(
        &mut self,
        expanded: &mut Derived,
        options: &WildcardAdditionalOptions,
        scope: &Scope,
        ctx: &SelectContext,
    ) -> Result<(), LineageError> {
        let mut excluded: Vec<String> = Vec::new();
        if let Some(exclude) = &options.opt_exclude {
            let names = match exclude {
                sqlparser::ast::ExcludeSelectItem::Single(name) => std::slice::from_ref(name),
                sqlparser::ast::ExcludeSelectItem::Multiple(names) => names.as_slice(),
            };
            excluded.extend(names.iter().filter_map(|n| object_name_keys(n).pop()));
        }
        if let Some(except) = &options.opt_except {
            excluded.push(key(&except.first_element.value));
            excluded.extend(except.additional_elements.iter().map(|i| key(&i.value)));
        }
        expanded
            .columns
            .retain(|c| !excluded.contains(&key(&c.name)));
        if let Some(replace) = &options.opt_replace {
            for element in &replace.items {
                let sources = self.expr(&element.expr, scope, ctx)?;
                if let Some(column) = expanded
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&element.column_name.value))
                {
                    column.sources = sources;
                }
            }
        }
        if let Some(rename) = &options.opt_rename {
            let pairs = match rename {
                sqlparser::ast::RenameSelectItem::Single(pair) => std::slice::from_ref(pair),
                sqlparser::ast::RenameSelectItem::Multiple(pairs) => pairs.as_slice(),
            };
            for pair in pairs {
                if let Some(column) = expanded
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&pair.ident.value))
                {
                    column.name = pair.alias.value.clone();
                }
            }
        }
        Ok(())
    }

    /// `relation`'s columns onto `into`; a relation whose columns are not known
    /// leaves `into` open to it.
    fn expand(&self, relation: &ScopeRelation, into: &mut Derived, star: String) {
        match &relation.kind {
            RelationKind::Base(id) => match &self.relations[*id].columns {
                Some(columns) => into.columns.extend(columns.iter().map(|c| {
                    let mut sources = Sources::default();
                    sources.add(*id, c);
                    OutputColumn {
                        name: c.clone(),
                        sources,
                    }
                })),
                None => {
                    into.add_open(&[*id]);
                    into.unexpanded_stars.push(star);
                }
            },
            RelationKind::Derived(derived) => {
                into.columns.extend(derived.columns.iter().cloned());
                if derived.open.is_some() {
                    into.absorb_open(derived);
                    into.unexpanded_stars.push(star);
                }
            }
        }
    }

    fn table_with_joins(
        &mut self,
        table: &TableWithJoins,
        scope: &mut Scope,
    ) -> Result<(), LineageError> {
        self.table_factor(&table.relation, scope)?;
        for join in &table.joins {
            self.table_factor(&join.relation, scope)?;
            let constraint = match &join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c)
                | JoinOperator::Semi(c)
                | JoinOperator::LeftSemi(c)
                | JoinOperator::RightSemi(c)
                | JoinOperator::Anti(c)
                | JoinOperator::LeftAnti(c)
                | JoinOperator::RightAnti(c)
                | JoinOperator::StraightJoin(c) => Some(c),
                JoinOperator::AsOf {
                    match_condition,
                    constraint,
                } => {
                    self.expr(match_condition, scope, &SelectContext::default())?;
                    Some(constraint)
                }
                JoinOperator::CrossApply
                | JoinOperator::OuterApply
                | JoinOperator::ArrayJoin
                | JoinOperator::LeftArrayJoin
                | JoinOperator::InnerArrayJoin => None,
            };
            match constraint {
                Some(JoinConstraint::On(expr)) => {
                    self.expr(expr, scope, &SelectContext::default())?;
                }
                Some(JoinConstraint::Using(names) | JoinConstraint::UsingAlias(names, _)) => {
                    scope
                        .using
                        .extend(names.iter().filter_map(|n| object_name_keys(n).pop()));
                }
                Some(JoinConstraint::Natural) => scope.natural = true,
                Some(JoinConstraint::None) | None => {}
            }
        }
        Ok(())
    }

    fn table_factor(
        &mut self,
        factor: &TableFactor,
        scope: &mut Scope,
    ) -> Result<(), LineageError> {
        let ctx = SelectContext::default();
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if let Some(args) = args {
                    // A table function: its columns are unknown and read nothing
                    // we can name.
                    self.function_args(&args.args, scope)?;
                    push_opaque(scope, alias.as_ref(), Vec::new(), Sources::default());
                } else {
                    let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
                    self.base_or_cte(&parts, alias.as_ref(), scope);
                }
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                let derived = if *lateral {
                    self.query(subquery, Some(&*scope))?
                } else {
                    self.query(subquery, scope.outer)?
                };
                let qualifier = alias.iter().map(|a| key(&a.name.value)).collect();
                let derived = match alias {
                    Some(alias) => rename(derived, alias),
                    None => derived,
                };
                scope.relations.push(ScopeRelation {
                    qualifier,
                    kind: RelationKind::Derived(Rc::new(derived)),
                });
            }
            TableFactor::TableFunction { expr, alias } => {
                self.expr(expr, scope, &ctx)?;
                push_opaque(scope, alias.as_ref(), Vec::new(), Sources::default());
            }
            TableFactor::Function { args, alias, .. } => {
                self.function_args(args, scope)?;
                push_opaque(scope, alias.as_ref(), Vec::new(), Sources::default());
            }
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => {
                let mut per_array = Vec::with_capacity(array_exprs.len());
                for expr in array_exprs {
                    per_array.push(self.expr(expr, scope, &ctx)?);
                }
                let columns = match alias {
                    Some(alias) if !alias.columns.is_empty() => alias
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, column)| OutputColumn {
                            name: column.name.value.clone(),
                            // Past the arrays: `WITH ORDINALITY`'s counter.
                            sources: per_array.get(i).cloned().unwrap_or_default(),
                        })
                        .collect(),
                    _ => {
                        let mut sources = Sources::default();
                        for s in &per_array {
                            sources.extend(s);
                        }
                        let name = alias
                            .as_ref()
                            .map_or_else(|| "unnest".to_string(), |a| a.name.value.clone());
                        vec![OutputColumn { name, sources }]
                    }
                };
                scope.relations.push(ScopeRelation {
                    qualifier: alias.iter().map(|a| key(&a.name.value)).collect(),
                    kind: RelationKind::Derived(Rc::new(Derived {
                        columns,
                        ..Derived::default()
                    })),
                });
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                if let Some(alias) = alias {
                    // An aliased join is one relation: collect it apart, then
                    // expose its columns under the alias.
                    let mut inner = Scope::new(scope.outer);
                    self.table_with_joins(table_with_joins, &mut inner)?;
                    let mut derived = Derived::default();
                    for relation in &inner.relations {
                        self.expand(relation, &mut derived, format!("{}.*", alias.name));
                    }
                    scope.relations.push(ScopeRelation {
                        qualifier: vec![key(&alias.name.value)],
                        kind: RelationKind::Derived(Rc::new(rename(derived, alias))),
                    });
                } else {
                    self.table_with_joins(table_with_joins, scope)?;
                }
            }
            TableFactor::Pivot { table, alias, .. }
            | TableFactor::Unpivot { table, alias, .. }
            | TableFactor::MatchRecognize { table, alias, .. } => {
                // The reshaped columns are not worked out: names pass through to
                // the underlying base relations.
                let mut inner = Scope::new(scope.outer);
                self.table_factor(table, &mut inner)?;
                let mut bases = Vec::new();
                for relation in &inner.relations {
                    match &relation.kind {
                        RelationKind::Base(id) => bases.push(*id),
                        RelationKind::Derived(d) => bases.extend(d.open.iter().flatten()),
                    }
                }
                push_opaque(scope, alias.as_ref(), bases, Sources::default());
            }
            TableFactor::JsonTable {
                json_expr, alias, ..
            }
            | TableFactor::OpenJsonTable {
                json_expr, alias, ..
            } => {
                let sources = self.expr(json_expr, scope, &ctx)?;
                push_opaque(scope, alias.as_ref(), Vec::new(), sources);
            }
            TableFactor::XmlTable {
                row_expression,
                alias,
                ..
            } => {
                let sources = self.expr(row_expression, scope, &ctx)?;
                push_opaque(scope, alias.as_ref(), Vec::new(), sources);
            }
            TableFactor::UnpivotExpr { expression, .. } => {
                self.expr(expression, scope, &ctx)?;
            }
            TableFactor::SemanticView { name, alias, .. } => {
                let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
                self.base_or_cte(&parts, alias.as_ref(), scope);
            }
        }
        Ok(())
    }

    /// A named relation in `FROM`: a CTE when one part names one in scope, else
    /// a base relation.
    fn base_or_cte(&mut self, parts: &[&Ident], alias: Option<&TableAlias>, scope: &mut Scope) {
        let Some(last) = parts.last() else {
            return;
        };
        let qualifier = match alias {
            Some(alias) => vec![key(&alias.name.value)],
            None => parts.iter().map(|p| key(&p.value)).collect(),
        };
        if parts.len() == 1 {
            let name = key(&last.value);
            if let Some((_, cte)) = self.ctes.iter().rev().find(|(n, _)| *n == name) {
                let derived = match alias {
                    Some(alias) if !alias.columns.is_empty() => {
                        Rc::new(rename((**cte).clone(), alias))
                    }
                    _ => Rc::clone(cte),
                };
                scope.relations.push(ScopeRelation {
                    qualifier,
                    kind: RelationKind::Derived(derived),
                });
                return;
            }
        }
        let start = parts.len().saturating_sub(3);
        let mut written = parts[start..].iter().map(|p| p.value.clone()).rev();
        let name = written.next().unwrap_or_default();
        let schema = written.next();
        let database = written.next();
        let id = self.base(RelationName {
            database,
            schema,
            name,
        });
        let kind = match alias {
            Some(alias) if !alias.columns.is_empty() => {
                // `t AS x(a, b)` renames the table's columns by position.
                let mut derived = Derived::default();
                self.expand(
                    &ScopeRelation {
                        qualifier: Vec::new(),
                        kind: RelationKind::Base(id),
                    },
                    &mut derived,
                    String::new(),
                );
                if derived.open.is_some() {
                    // Positions unknown: the renamed columns cannot be traced.
                    derived.columns = alias
                        .columns
                        .iter()
                        .map(|c| OutputColumn {
                            name: c.name.value.clone(),
                            sources: Sources {
                                unresolved: true,
                                ..Sources::default()
                            },
                        })
                        .collect();
                    derived.open = None;
                    derived.unexpanded_stars.clear();
                }
                RelationKind::Derived(Rc::new(rename(derived, alias)))
            }
            _ => RelationKind::Base(id),
        };
        scope.relations.push(ScopeRelation { qualifier, kind });
    }

    fn base(&mut self, name: RelationName) -> RelId {
        let ids_key: Vec<String> = [&name.database, &name.schema]
            .into_iter()
            .flatten()
            .map(|p| key(p))
            .chain([key(&name.name)])
            .collect();
        if let Some(id) = self.relation_ids.get(&ids_key) {
            return *id;
        }
        let columns = self.catalog.columns(&name);
        let id = self.relations.len();
        self.relations.push(BaseRelation { name, columns });
        self.relation_ids.insert(ids_key, id);
        id
    }

    fn function_args(
        &mut self,
        args: &[FunctionArg],
        scope: &Scope,
    ) -> Result<Sources, LineageError> {
        let mut sources = Sources::default();
        for arg in args {
            if let Some(expr) = function_arg_expr(arg) {
                sources.extend(&self.expr(expr, scope, &SelectContext::default())?);
            }
        }
        Ok(sources)
    }

    /// The base columns `root` reads. Iterative: operator chains can be deep.
    fn expr(
        &mut self,
        root: &Expr,
        scope: &Scope,
        ctx: &SelectContext,
    ) -> Result<Sources, LineageError> {
        let mut sources = Sources::default();
        // Lambda parameters shadow columns: each work item carries the index of
        // its innermost set of parameters (0: none).
        let mut shadows: Vec<(usize, Vec<String>)> = vec![(0, Vec::new())];
        let mut work: Vec<(&Expr, usize)> = vec![(root, 0)];
        let mut windows_followed = 0usize;
        while let Some((expr, shadow)) = work.pop() {
            let mut push = work_item(shadow);
            match expr {
                Expr::Identifier(ident) => {
                    if !is_shadowed(&shadows, shadow, &ident.value) {
                        self.resolve(std::slice::from_ref(ident), scope, ctx, &mut sources);
                    }
                }
                Expr::CompoundIdentifier(parts) => {
                    if let Some(first) = parts.first()
                        && !is_shadowed(&shadows, shadow, &first.value)
                    {
                        self.resolve(parts, scope, ctx, &mut sources);
                    }
                }
                Expr::CompoundFieldAccess { root, access_chain } => {
                    // `t.col[1]` parses as `t` then `.col`, `[1]`: the leading
                    // names together make the column reference.
                    let mut parts: Vec<Ident> = match root.as_ref() {
                        Expr::Identifier(ident) => vec![ident.clone()],
                        Expr::CompoundIdentifier(idents) => idents.clone(),
                        _ => Vec::new(),
                    };
                    if parts.is_empty() {
                        work.push(push(root));
                    } else {
                        parts.extend(access_chain.iter().map_while(|access| match access {
                            AccessExpr::Dot(Expr::Identifier(field)) => Some(field.clone()),
                            _ => None,
                        }));
                        if !is_shadowed(&shadows, shadow, &parts[0].value) {
                            self.resolve(&parts, scope, ctx, &mut sources);
                        }
                    }
                    for access in access_chain {
                        match access {
                            // A field name, not a column.
                            AccessExpr::Dot(_) => {}
                            AccessExpr::Subscript(Subscript::Index { index }) => {
                                work.push(push(index))
                            }
                            AccessExpr::Subscript(Subscript::Slice {
                                lower_bound,
                                upper_bound,
                                stride,
                            }) => {
                                for e in [lower_bound, upper_bound, stride].into_iter().flatten() {
                                    work.push(push(e));
                                }
                            }
                        }
                    }
                }
                Expr::JsonAccess { value, path } => {
                    work.push(push(value));
                    for element in &path.path {
                        match element {
                            JsonPathElem::Dot { .. } => {}
                            JsonPathElem::Bracket { key } | JsonPathElem::ColonBracket { key } => {
                                work.push(push(key))
                            }
                        }
                    }
                }
                Expr::IsFalse(e)
                | Expr::IsNotFalse(e)
                | Expr::IsTrue(e)
                | Expr::IsNotTrue(e)
                | Expr::IsNull(e)
                | Expr::IsNotNull(e)
                | Expr::IsUnknown(e)
                | Expr::IsNotUnknown(e)
                | Expr::IsJson { expr: e, .. }
                | Expr::IsNormalized { expr: e, .. }
                | Expr::UnaryOp { expr: e, .. }
                | Expr::Cast { expr: e, .. }
                | Expr::Extract { expr: e, .. }
                | Expr::Ceil { expr: e, .. }
                | Expr::Floor { expr: e, .. }
                | Expr::Collate { expr: e, .. }
                | Expr::Nested(e)
                | Expr::Prefixed { value: e, .. }
                | Expr::Named { expr: e, .. }
                | Expr::OuterJoin(e)
                | Expr::Prior(e) => work.push(push(e)),
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Arrow,
                    right,
                } if self.arrow_is_lambda => {
                    // Trino has no JSON arrow: `x -> f(x)` is a lambda.
                    let params: Vec<String> = match left.as_ref() {
                        Expr::Identifier(p) => vec![key(&p.value)],
                        Expr::Nested(inner) => match inner.as_ref() {
                            Expr::Identifier(p) => vec![key(&p.value)],
                            _ => Vec::new(),
                        },
                        Expr::Tuple(items) => items
                            .iter()
                            .filter_map(|i| match i {
                                Expr::Identifier(p) => Some(key(&p.value)),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    shadows.push((shadow, params));
                    work.push((right, shadows.len() - 1));
                }
                Expr::IsDistinctFrom(a, b)
                | Expr::IsNotDistinctFrom(a, b)
                | Expr::BinaryOp {
                    left: a, right: b, ..
                }
                | Expr::AnyOp {
                    left: a, right: b, ..
                }
                | Expr::AllOp {
                    left: a, right: b, ..
                }
                | Expr::AtTimeZone {
                    timestamp: a,
                    time_zone: b,
                }
                | Expr::Position { expr: a, r#in: b }
                | Expr::RLike {
                    expr: a,
                    pattern: b,
                    ..
                } => {
                    work.push(push(b));
                    work.push(push(a));
                }
                Expr::Like {
                    expr,
                    pattern,
                    escape_char,
                    ..
                }
                | Expr::ILike {
                    expr,
                    pattern,
                    escape_char,
                    ..
                }
                | Expr::SimilarTo {
                    expr,
                    pattern,
                    escape_char,
                    ..
                } => {
                    work.extend(escape_char.as_deref().map(&mut push));
                    work.push(push(pattern));
                    work.push(push(expr));
                }
                Expr::In {
                    expr: inner,
                    target,
                    ..
                } => {
                    match target {
                        InTarget::List(list) => work.extend(list.iter().rev().map(&mut push)),
                        InTarget::Subquery(query) => {
                            let derived = self.query(query, Some(scope))?;
                            add_all(&mut sources, &derived);
                        }
                        InTarget::Unnest(e) => work.push(push(e)),
                        InTarget::Table { name, args } => {
                            // `x IN t` reads `t`: it is listed among the query's
                            // relations, though no column of it is named here.
                            let parts: Vec<&Ident> =
                                name.0.iter().filter_map(|p| p.as_ident()).collect();
                            let mut inner_scope = Scope::new(None);
                            self.base_or_cte(&parts, None, &mut inner_scope);
                            if let Some(args) = args {
                                sources.extend(&self.function_args(args, scope)?);
                            }
                        }
                    }
                    work.push(push(inner));
                }
                Expr::Between {
                    expr: e, low, high, ..
                } => {
                    work.push(push(high));
                    work.push(push(low));
                    work.push(push(e));
                }
                Expr::Convert {
                    expr: e, styles, ..
                } => {
                    work.extend(styles.iter().rev().map(&mut push));
                    work.push(push(e));
                }
                Expr::Substring {
                    expr: e,
                    substring_from,
                    substring_for,
                    ..
                } => {
                    work.extend(substring_for.as_deref().map(&mut push));
                    work.extend(substring_from.as_deref().map(&mut push));
                    work.push(push(e));
                }
                Expr::Trim {
                    expr: e,
                    trim_what,
                    trim_characters,
                    ..
                } => {
                    work.extend(trim_characters.iter().flatten().rev().map(&mut push));
                    work.extend(trim_what.as_deref().map(&mut push));
                    work.push(push(e));
                }
                Expr::Overlay {
                    expr: e,
                    overlay_what,
                    overlay_from,
                    overlay_for,
                } => {
                    work.extend(overlay_for.as_deref().map(&mut push));
                    work.push(push(overlay_from));
                    work.push(push(overlay_what));
                    work.push(push(e));
                }
                Expr::Value(_) | Expr::TypedString(_) => {}
                // `count(*)`-style arguments read no particular column.
                Expr::Wildcard(_) | Expr::QualifiedWildcard(..) => {}
                Expr::Function(function) => {
                    for args in [&function.parameters, &function.args] {
                        match args {
                            FunctionArguments::None => {}
                            FunctionArguments::Subquery(query) => {
                                let derived = self.query(query, Some(scope))?;
                                add_all(&mut sources, &derived);
                            }
                            FunctionArguments::List(list) => {
                                for clause in &list.clauses {
                                    match clause {
                                        FunctionArgumentClause::OrderBy(order) => {
                                            work.extend(order.iter().map(|o| push(&o.expr)))
                                        }
                                        FunctionArgumentClause::Where(e) => work.push(push(e)),
                                        _ => {}
                                    }
                                }
                                work.extend(
                                    list.args
                                        .iter()
                                        .filter_map(function_arg_expr)
                                        .map(&mut push),
                                );
                            }
                        }
                    }
                    work.extend(function.within_group.iter().map(|o| push(&o.expr)));
                    work.extend(function.filter.as_deref().map(&mut push));
                    match &function.over {
                        Some(WindowType::WindowSpec(spec)) => {
                            push_window(spec, ctx, &mut windows_followed, &mut |e| {
                                work.push((e, shadow))
                            })
                        }
                        Some(WindowType::NamedWindow(name)) => {
                            if let Some(spec) = named_window(ctx, name, &mut windows_followed) {
                                push_window(spec, ctx, &mut windows_followed, &mut |e| {
                                    work.push((e, shadow))
                                })
                            }
                        }
                        None => {
                            if matches!(function.args, FunctionArguments::None)
                                && let [part] = function.name.0.as_slice()
                                && let Some(ident) = part.as_ident()
                                && ident.quote_style.is_none()
                            {
                                // `current_date` parses as a call; it may also be a
                                // column of that name.
                                let mut found = Sources::default();
                                self.resolve(std::slice::from_ref(ident), scope, ctx, &mut found);
                                if !found.unresolved {
                                    sources.extend(&found);
                                }
                            }
                        }
                    }
                }
                Expr::Case {
                    operand,
                    conditions,
                    else_result,
                    ..
                } => {
                    work.extend(else_result.as_deref().map(&mut push));
                    for when in conditions.iter().rev() {
                        work.push(push(&when.result));
                        work.push(push(&when.condition));
                    }
                    work.extend(operand.as_deref().map(&mut push));
                }
                Expr::Exists { subquery, .. } => {
                    // A yes/no answer: it reads relations but passes on no column.
                    self.query(subquery, Some(scope))?;
                }
                Expr::Subquery(query) => {
                    let derived = self.query(query, Some(scope))?;
                    add_all(&mut sources, &derived);
                }
                Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                    work.extend(sets.iter().flatten().map(&mut push))
                }
                Expr::Tuple(items) => work.extend(items.iter().rev().map(&mut push)),
                Expr::Struct { values, .. } => work.extend(values.iter().rev().map(&mut push)),
                Expr::Dictionary(fields) => work.extend(fields.iter().map(|f| push(&f.value))),
                Expr::Map(map) => {
                    for entry in &map.entries {
                        work.push(push(&entry.value));
                        work.push(push(&entry.key));
                    }
                }
                Expr::Array(array) => work.extend(array.elem.iter().rev().map(&mut push)),
                Expr::Interval(interval) => work.push(push(&interval.value)),
                Expr::MatchAgainst { columns, .. } => {
                    for name in columns {
                        let parts: Vec<Ident> = name
                            .0
                            .iter()
                            .filter_map(|p| p.as_ident().cloned())
                            .collect();
                        self.resolve(&parts, scope, ctx, &mut sources);
                    }
                }
                Expr::Lambda(lambda) => {
                    let params = match &lambda.params {
                        OneOrManyWithParens::One(p) => vec![key(&p.name.value)],
                        OneOrManyWithParens::Many(ps) => {
                            ps.iter().map(|p| key(&p.name.value)).collect()
                        }
                    };
                    shadows.push((shadow, params));
                    work.push((&lambda.body, shadows.len() - 1));
                }
                Expr::MemberOf(member) => {
                    work.push(push(&member.array));
                    work.push(push(&member.value));
                }
            }
        }
        Ok(sources)
    }

    /// Resolves a column reference (`col`, `t.col`, `db.s.t.col`, `col.field`,
    /// `t.col.field`) in `scope` and the scopes around it.
    fn resolve(&self, parts: &[Ident], scope: &Scope, ctx: &SelectContext, out: &mut Sources) {
        let Some(first) = parts.first() else {
            return;
        };
        if parts.len() > 1 {
            let keys: Vec<String> = parts.iter().map(|p| key(&p.value)).collect();
            // Longest qualifier first: `s.t.col` before `s.t` as column `t`.
            let mut current = Some(scope);
            while let Some(s) = current {
                for split in (1..keys.len().min(4)).rev() {
                    if let Some(relation) = find_qualified(s, &keys[..split]) {
                        match self.lookup(relation, &parts[split].value) {
                            Lookup::Found(found) | Lookup::Maybe(found) => out.extend(&found),
                            Lookup::Missing => out.unresolved = true,
                        }
                        return;
                    }
                }
                current = s.outer;
            }
        }
        // Unqualified, or a struct column's field (`col.field` reads `col`).
        let mut current = Some(scope);
        let mut is_outer = false;
        while let Some(s) = current {
            let mut found: Vec<Sources> = Vec::new();
            let mut maybe: Vec<Sources> = Vec::new();
            for relation in &s.relations {
                match self.lookup(relation, &first.value) {
                    Lookup::Found(sources) => found.push(sources),
                    Lookup::Maybe(sources) => maybe.push(sources),
                    Lookup::Missing => {}
                }
            }
            let shared = s.natural || s.using.contains(&key(&first.value));
            let chosen = match (found.len(), maybe.len()) {
                (1, _) => found,
                (n, _) if n > 1 && shared => found,
                (0, 1) => maybe,
                (0, 0) => Vec::new(),
                // Ambiguous.
                _ => {
                    out.unresolved = true;
                    return;
                }
            };
            if !chosen.is_empty() {
                for sources in &chosen {
                    out.extend(sources);
                }
                return;
            }
            // Aliases of earlier select items, where the engine allows them.
            if !is_outer
                && parts.len() == 1
                && let Some(column) = ctx
                    .aliases
                    .iter()
                    .rev()
                    .find(|c| c.name.eq_ignore_ascii_case(&first.value))
            {
                out.extend(&column.sources);
                return;
            }
            current = s.outer;
            is_outer = true;
        }
        let niladic = parts.len() == 1
            && first.quote_style.is_none()
            && NILADIC.iter().any(|n| n.eq_ignore_ascii_case(&first.value));
        if !niladic {
            out.unresolved = true;
        }
    }

    fn lookup(&self, relation: &ScopeRelation, column: &str) -> Lookup {
        match &relation.kind {
            RelationKind::Base(id) => {
                let mut sources = Sources::default();
                match &self.relations[*id].columns {
                    Some(columns) => {
                        match columns.iter().find(|c| c.eq_ignore_ascii_case(column)) {
                            Some(spelled) => {
                                sources.add(*id, spelled);
                                Lookup::Found(sources)
                            }
                            None => Lookup::Missing,
                        }
                    }
                    None => {
                        sources.add(*id, column);
                        Lookup::Maybe(sources)
                    }
                }
            }
            RelationKind::Derived(derived) => match derived.find(column) {
                Some(found) => Lookup::Found(found.sources.clone()),
                None => match &derived.open {
                    Some(open) => {
                        let mut sources = derived.open_sources.clone();
                        for id in open {
                            sources.add(*id, column);
                        }
                        Lookup::Maybe(sources)
                    }
                    None => Lookup::Missing,
                },
            },
        }
    }
}

/// A closure that pairs an expression with the lambda parameters in scope.
fn work_item<'e>(shadow: usize) -> impl Fn(&'e Expr) -> (&'e Expr, usize) + Copy {
    move |e| (e, shadow)
}

fn is_shadowed(shadows: &[(usize, Vec<String>)], mut index: usize, name: &str) -> bool {
    // Parents always precede children, so this walk ends.
    while index != 0 {
        let (parent, params) = &shadows[index];
        if params.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            return true;
        }
        index = *parent;
    }
    false
}

fn push_window<'a>(
    spec: &'a WindowSpec,
    ctx: &SelectContext<'a>,
    followed: &mut usize,
    push: &mut dyn FnMut(&'a Expr),
) {
    // `OVER (w ORDER BY x)` extends the named window `w`.
    if let Some(base) = &spec.window_name
        && let Some(base) = named_window(ctx, base, followed)
    {
        push_window(base, ctx, followed, push);
    }
    for e in &spec.partition_by {
        push(e);
    }
    for o in &spec.order_by {
        push(&o.expr);
    }
}

/// The named window `name` from the `WINDOW` clause. Windows naming windows
/// could loop; `followed` caps how many are followed per expression.
fn named_window<'a>(
    ctx: &SelectContext<'a>,
    name: &Ident,
    followed: &mut usize,
) -> Option<&'a WindowSpec> {
    let mut name = name;
    loop {
        *followed += 1;
        if *followed > ctx.windows.len() * 2 + 2 {
            return None;
        }
        let NamedWindowDefinition(_, definition) = ctx
            .windows
            .iter()
            .find(|w| w.0.value.eq_ignore_ascii_case(&name.value))?;
        match definition {
            NamedWindowExpr::WindowSpec(spec) => return Some(spec),
            NamedWindowExpr::NamedWindow(other) => name = other,
        }
    }
}

fn function_arg_expr(arg: &FunctionArg) -> Option<&Expr> {
    let arg = match arg {
        FunctionArg::Named { arg, .. }
        | FunctionArg::ExprNamed { arg, .. }
        | FunctionArg::Unnamed(arg) => arg,
    };
    match arg {
        FunctionArgExpr::Expr(e) => Some(e),
        FunctionArgExpr::QualifiedWildcard(_)
        | FunctionArgExpr::Wildcard
        | FunctionArgExpr::WildcardWithOptions(_) => None,
    }
}

/// Every column of a subquery used as a value.
fn add_all(sources: &mut Sources, derived: &Derived) {
    for column in &derived.columns {
        sources.extend(&column.sources);
    }
    if derived.open.is_some() {
        sources.unresolved = true;
    }
}

fn append(output: &mut Derived, mut expanded: Derived) {
    output.columns.append(&mut expanded.columns);
    output.absorb_open(&expanded);
}

/// The relation `qualifier` (lower-cased parts) names: by alias, or by the
/// trailing parts of its name (`orders`, `cafe.orders`).
fn find_qualified<'s>(scope: &'s Scope, qualifier: &[String]) -> Option<&'s ScopeRelation> {
    scope.relations.iter().find(|relation| {
        !relation.qualifier.is_empty()
            && qualifier.len() <= relation.qualifier.len()
            && relation.qualifier[relation.qualifier.len() - qualifier.len()..] == *qualifier
    })
}

fn object_name_keys(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| key(&i.value))
        .collect()
}

/// The first `SELECT` of a set-operation chain (a recursive CTE's anchor).
fn leftmost(body: &SetExpr) -> &SetExpr {
    let mut leaf = body;
    while let SetExpr::SetOperation { left, .. } = leaf {
        leaf = left;
    }
    leaf
}

/// Applies an alias's column list (`AS t(a, b)`) by position.
fn rename(mut derived: Derived, alias: &TableAlias) -> Derived {
    for (column, name) in derived.columns.iter_mut().zip(&alias.columns) {
        column.name = name.name.value.clone();
    }
    derived
}

/// A relation whose columns are unknown (a table function, `PIVOT`): any name
/// resolves, to `bases`' columns of that name plus `sources`.
fn push_opaque(scope: &mut Scope, alias: Option<&TableAlias>, bases: Vec<RelId>, sources: Sources) {
    let columns = alias
        .map(|a| {
            a.columns
                .iter()
                .map(|c| OutputColumn {
                    name: c.name.value.clone(),
                    sources: sources.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let derived = Derived {
        columns,
        open: Some(bases),
        open_sources: sources,
        unexpanded_stars: Vec::new(),
    };
    scope.relations.push(ScopeRelation {
        qualifier: alias.iter().map(|a| key(&a.name.value)).collect(),
        kind: RelationKind::Derived(Rc::new(derived)),
    });
}

/// `left UNION right`: column *i* (or the column of the same name) of each.
fn combine(mut left: Derived, mut right: Derived, by_name: bool) -> Derived {
    if by_name {
        for column in std::mem::take(&mut right.columns) {
            match left
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&column.name))
            {
                Some(existing) => existing.sources.extend(&column.sources),
                None => left.columns.push(column),
            }
        }
    } else {
        let aligned = left.open.is_none() && right.open.is_none();
        for (i, column) in right.columns.iter().enumerate() {
            if let Some(existing) = left.columns.get_mut(i) {
                existing.sources.extend(&column.sources);
                // Behind an unexpanded `*`, positions do not line up.
                existing.sources.unresolved |= !aligned;
            }
        }
        if !aligned {
            for column in &mut left.columns {
                column.sources.unresolved = true;
            }
        }
    }
    left.absorb_open(&right);
    left
}

/// The name an engine gives an unaliased select item: the column it selects,
/// else the expression's text.
fn expr_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(ident) => ident.value.clone(),
        Expr::CompoundIdentifier(parts) => {
            parts.last().map(|p| p.value.clone()).unwrap_or_default()
        }
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(field))) => field.value.clone(),
            _ => expr.to_string(),
        },
        _ => expr.to_string(),
    }
}

//! Column-level lineage of one SQL query (dbt's compiled SQL), parsed with
//! [`sqlparser`].
//!
//! [`analyze`] parses one `SELECT` (or `WITH … SELECT`, `UNION`, …) and says, for
//! each output column in select-list order, which columns of which base relations
//! its value is computed from:
//!
//! * Names are resolved through CTEs (chained, and dbt's inlined ephemeral models
//!   `__dbt__cte__x`), subqueries in `FROM`, joins with aliases, `LATERAL` /
//!   `UNNEST` / Hive `LATERAL VIEW`, correlated subqueries, and aliases of earlier
//!   select items (`select a + 1 as b, b * 2 as c`).
//! * An unqualified column belongs to the one relation in scope that has it:
//!   [`Columns`] answers for base tables, the analysis itself for CTEs and
//!   subqueries. `USING` join columns belong to every side.
//! * `*` and `t.*` (with `EXCLUDE`/`EXCEPT`/`REPLACE`/`RENAME`) expand to the
//!   catalog's columns.
//! * An expression's sources are every column it reads, including `CASE`
//!   conditions, `FILTER`, and a window's `PARTITION BY` / `ORDER BY` (the value
//!   depends on them); literals and `count(*)` have none.
//! * `col.field` on a struct column has the source `col`.
//! * Output column *i* of `UNION` / `INTERSECT` takes column *i* of every branch
//!   (by name for `UNION BY NAME`); `EXCEPT` takes the left branch only.
//!
//! Identifiers are matched ignoring ASCII case, quoted or not (Glue, Athena and
//! dbt lower-case them). Base relation and column names are reported as written
//! in the SQL, or as [`Columns`] spells them when it knows the column.
//!
//! Input is untrusted: nothing panics, and SQL nested deeper than this crate can
//! walk safely gives [`LineageError::TooDeep`] (or sqlparser's recursion-limit
//! [`LineageError::Parse`]) rather than exhausting the stack.
//!
//! ```
//! use sql_lineage::{Dialect, RelationName, analyze};
//!
//! // The catalog: columns of the relations the SQL reads, for `*`.
//! let catalog = |relation: &RelationName| match relation.name.as_str() {
//!     "orders" => Some(vec!["id".to_string(), "amount".to_string()]),
//!     _ => None,
//! };
//! let sql = r#"
//!     with __dbt__cte__totals as (select id, sum(amount) as total from "db"."raw"."orders" group by 1)
//!     select t.*, count(*) as n from __dbt__cte__totals t group by all
//! "#;
//! let analysis = analyze(sql, Dialect::Athena, &catalog)?;
//! let lineage: Vec<String> = analysis
//!     .columns
//!     .iter()
//!     .map(|c| {
//!         let sources: Vec<String> = c.sources.iter().map(|s| s.to_string()).collect();
//!         format!("{} <- [{}]", c.column, sources.join(", "))
//!     })
//!     .collect();
//! assert_eq!(lineage, ["id <- [db.raw.orders.id]", "total <- [db.raw.orders.amount]", "n <- []"]);
//! assert_eq!(analysis.relations[0].to_string(), "db.raw.orders");
//! assert!(analysis.unresolved.is_empty());
//! # Ok::<(), sql_lineage::LineageError>(())
//! ```

mod analyzer;
mod depth;

use std::fmt;

use sqlparser::ast::Statement;
use sqlparser::dialect as sd;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Tokenizer;

/// A base relation as the SQL names it: the parts of `"db"."schema"."table"`,
/// unquoted, as written. Names with more than three parts keep the last three.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationName {
    pub database: Option<String>,
    pub schema: Option<String>,
    pub name: String,
}

impl fmt::Display for RelationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in [&self.database, &self.schema].into_iter().flatten() {
            write!(f, "{part}.")?;
        }
        f.write_str(&self.name)
    }
}

/// The catalog: the columns of a base relation, in table order (used to expand
/// `*` and to find which relation an unqualified column belongs to). `None` when
/// the relation is unknown; its columns are then taken as the SQL names them.
///
/// Called at most once per distinct relation in an [`analyze`] call. Closures
/// `Fn(&RelationName) -> Option<Vec<String>>` implement it.
pub trait Columns {
    fn columns(&self, relation: &RelationName) -> Option<Vec<String>>;
}

impl<F: Fn(&RelationName) -> Option<Vec<String>>> Columns for F {
    fn columns(&self, relation: &RelationName) -> Option<Vec<String>> {
        self(relation)
    }
}

/// The SQL dialect to parse with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Permissive: accepts most dialects' syntax.
    #[default]
    Generic,
    Ansi,
    /// Athena, Trino and Presto: the generic dialect, which accepts Trino's
    /// syntax (`"quoted"` names, `ARRAY[…]`, `UNNEST`), with `x -> f(x)` read as
    /// a lambda (Trino has no JSON arrow).
    Athena,
    BigQuery,
    ClickHouse,
    Databricks,
    DuckDb,
    Hive,
    MsSql,
    MySql,
    Oracle,
    Postgres,
    Redshift,
    Snowflake,
    /// Spark SQL (also dbt-glue, which runs Spark on Glue).
    Spark,
    Sqlite,
    Teradata,
}

impl Dialect {
    /// The dialect of SQL compiled by a dbt adapter (`metadata.adapter_type` of
    /// the manifest: `athena`, `glue`, `duckdb`, …). The adapter names the SQL's
    /// dialect exactly, so prefer it to [`Dialect::from_service_type`].
    /// Unknown adapters parse as [`Dialect::Generic`].
    pub fn from_dbt_adapter_type(adapter: &str) -> Dialect {
        match adapter.to_ascii_lowercase().as_str() {
            "athena" | "trino" | "presto" | "starburst" => Dialect::Athena,
            "bigquery" => Dialect::BigQuery,
            "clickhouse" => Dialect::ClickHouse,
            "databricks" => Dialect::Databricks,
            "duckdb" | "motherduck" => Dialect::DuckDb,
            "hive" | "impala" => Dialect::Hive,
            "sqlserver" | "fabric" | "synapse" => Dialect::MsSql,
            "mysql" | "mariadb" | "tidb" | "singlestore" => Dialect::MySql,
            "oracle" => Dialect::Oracle,
            "postgres" | "materialize" | "greenplum" => Dialect::Postgres,
            "redshift" => Dialect::Redshift,
            "snowflake" => Dialect::Snowflake,
            "spark" | "glue" => Dialect::Spark,
            "sqlite" => Dialect::Sqlite,
            "teradata" => Dialect::Teradata,
            _ => Dialect::Generic,
        }
    }

    /// The dialect of an OpenMetadata database service type (`Glue`, `Athena`,
    /// `Redshift`, …). A Glue catalog is queried through Athena. Unknown types
    /// parse as [`Dialect::Generic`].
    pub fn from_service_type(service_type: &str) -> Dialect {
        match service_type.to_ascii_lowercase().as_str() {
            "glue" | "athena" | "trino" | "presto" => Dialect::Athena,
            "bigquery" => Dialect::BigQuery,
            "clickhouse" => Dialect::ClickHouse,
            "databricks" | "unitycatalog" => Dialect::Databricks,
            "duckdb" => Dialect::DuckDb,
            "hive" | "impala" => Dialect::Hive,
            "mssql" | "azuresql" | "synapse" => Dialect::MsSql,
            "mysql" | "mariadb" | "singlestore" => Dialect::MySql,
            "oracle" => Dialect::Oracle,
            "postgres" | "greenplum" => Dialect::Postgres,
            "redshift" => Dialect::Redshift,
            "snowflake" => Dialect::Snowflake,
            "sparksql" => Dialect::Spark,
            "sqlite" => Dialect::Sqlite,
            "teradata" => Dialect::Teradata,
            _ => Dialect::Generic,
        }
    }

    fn parser_dialect(self) -> Box<dyn sd::Dialect> {
        match self {
            Dialect::Generic | Dialect::Athena => Box::new(sd::GenericDialect),
            Dialect::Ansi => Box::new(sd::AnsiDialect {}),
            Dialect::BigQuery => Box::new(sd::BigQueryDialect),
            Dialect::ClickHouse => Box::new(sd::ClickHouseDialect {}),
            Dialect::Databricks => Box::new(sd::DatabricksDialect),
            Dialect::DuckDb => Box::new(sd::DuckDbDialect),
            Dialect::Hive => Box::new(sd::HiveDialect {}),
            Dialect::MsSql => Box::new(sd::MsSqlDialect {}),
            Dialect::MySql => Box::new(sd::MySqlDialect {}),
            Dialect::Oracle => Box::new(sd::OracleDialect),
            Dialect::Postgres => Box::new(sd::PostgreSqlDialect {}),
            Dialect::Redshift => Box::new(sd::RedshiftSqlDialect {}),
            Dialect::Snowflake => Box::new(sd::SnowflakeDialect),
            Dialect::Spark => Box::new(sd::SparkSqlDialect),
            Dialect::Sqlite => Box::new(sd::SQLiteDialect {}),
            Dialect::Teradata => Box::new(sd::TeradataDialect),
        }
    }
}

/// One column of a base relation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceColumn {
    pub relation: RelationName,
    pub column: String,
}

impl fmt::Display for SourceColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.relation, self.column)
    }
}

/// Where one output column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnLineage {
    /// The output column's name: its alias, the column it selects, or (for an
    /// expression without an alias) the expression's SQL text.
    pub column: String,
    /// Sorted, without repeats; empty for literals and `count(*)`.
    pub sources: Vec<SourceColumn>,
}

/// What [`analyze`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// Every base relation the query reads (anywhere: joins, CTEs, subqueries),
    /// sorted, without repeats. CTE names are not relations.
    pub relations: Vec<RelationName>,
    /// The output columns in select-list order (`*` expanded).
    pub columns: Vec<ColumnLineage>,
    /// Output columns (in order) with a column reference that could not be
    /// resolved — unknown, or ambiguous between relations. Their other sources
    /// are still in [`Analysis::columns`]. A `*` or `t.*` that could not be
    /// expanded (no catalog columns) is listed as written.
    pub unresolved: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineageError {
    /// sqlparser's message, with the line and column it stopped at.
    #[error("SQL does not parse: {0}")]
    Parse(String),
    #[error("expected one SQL statement, found {0}")]
    StatementCount(usize),
    #[error("the SQL statement is not a query (SELECT)")]
    NotAQuery,
    #[error("the SQL nests too deeply to analyse (limit: {limit} levels)")]
    TooDeep { limit: usize },
}

/// How deep sqlparser may recurse (parentheses, subqueries, function calls). Its
/// default, 50, is tight for generated SQL; `recursive-protection` keeps the
/// parser itself off the thread's stack limit.
const PARSER_RECURSION_LIMIT: usize = 100;

/// Column lineage of one query. See the crate documentation for what is
/// resolved and how.
pub fn analyze(
    sql: &str,
    dialect: Dialect,
    columns: &dyn Columns,
) -> Result<Analysis, LineageError> {
    let parser_dialect = dialect.parser_dialect();
    let tokens = Tokenizer::new(parser_dialect.as_ref(), sql)
        .tokenize_with_location()
        .map_err(|e| LineageError::Parse(e.to_string()))?;
    // Before parsing: operator chains (`a + b + …`) parse in a loop but make an
    // AST as deep as the chain, which dropping or printing would recurse through.
    depth::check_operator_chains(&tokens)?;
    let mut statements = Parser::new(parser_dialect.as_ref())
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| LineageError::Parse(e.to_string()))?;
    if statements.len() != 1 {
        return Err(LineageError::StatementCount(statements.len()));
    }
    match statements.pop() {
        Some(Statement::Query(query)) => analyzer::analyze_query(&query, dialect, columns),
        _ => Err(LineageError::NotAQuery),
    }
}

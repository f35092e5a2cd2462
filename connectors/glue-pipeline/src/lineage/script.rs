//! Datasets of a script job, read from the script's text where they are evident:
//!
//! * GlueContext: `create_dynamic_frame.from_catalog` / `create_data_frame.from_catalog`
//!   (sources), `write_dynamic_frame.from_catalog` and `purge_table` (targets),
//!   `…from_options` with S3 paths or a JDBC `dbtable`, `write_dynamic_frame.from_jdbc_conf`;
//!   the `_from_` spellings (`create_dynamic_frame_from_catalog`) too.
//! * Spark: `spark.read…` chains ending in `load`/`parquet`/`csv`/`json`/`orc`/`avro`/
//!   `text` on an S3 path, `jdbc(url, table)`, `table("db.t")` or a `format("jdbc")`
//!   with a `dbtable` option; `…write…` chains ending in a file format or `save` on an
//!   S3 path, `jdbc`, `saveAsTable`, `insertInto`; `writeTo("db.t")`; `spark.table`.
//!
//! Arguments are read as Python: quotes, nested brackets and line continuations, so
//! a call may span lines. A name given as a variable resolves when the script
//! assigns that variable a string literal once. Anything computed at run time is
//! not guessed at. Commented-out lines are ignored.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{DataRef, JobLineage};

/// A Python string literal starting at `i` (after an optional `r`/`b`/`f`/`u`
/// prefix): its value and the index after it.
fn literal_at(s: &str, i: usize) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    let mut j = i;
    while j < bytes.len()
        && j < i + 2
        && matches!(bytes[j].to_ascii_lowercase(), b'r' | b'b' | b'f' | b'u')
    {
        j += 1;
    }
    let quote = *bytes.get(j)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let raw = j > i && s[i..j].to_ascii_lowercase().contains('r');
    let triple = bytes.get(j + 1) == Some(&quote) && bytes.get(j + 2) == Some(&quote);
    let (open, close): (usize, &[u8]) = if triple {
        (3, &bytes[j..j + 3])
    } else {
        (1, &bytes[j..j + 1])
    };
    let mut k = j + open;
    let mut value = String::new();
    while k < bytes.len() {
        if bytes[k..].starts_with(close) {
            return Some((value, k + close.len()));
        }
        let c = s[k..].chars().next()?;
        if c == '\\' && !raw && k + 1 < bytes.len() {
            let next = s[k + 1..].chars().next()?;
            value.push(next);
            k += 1 + next.len_utf8();
            continue;
        }
        if c == '\n' && !triple {
            return None;
        }
        value.push(c);
        k += c.len_utf8();
    }
    None
}

/// The script without comments (a `#` outside string literals up to the line end).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        if c == '"' || c == '\'' {
            let start = i;
            let end = literal_at(text, i).map_or(i + 1, |(_, e)| e);
            out.push_str(&text[start..end]);
            i = end;
        } else if c == '#' {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else {
            // A string prefix (r"...") is part of an identifier run; the quote
            // itself is handled above.
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The argument text of the call whose `(` is at `open`, and the index after its
/// `)`. Brackets inside string literals do not count.
fn call_args(s: &str, open: usize) -> Option<(&str, usize)> {
    let mut depth = 0usize;
    let mut i = open;
    while i < s.len() {
        let c = s[i..].chars().next()?;
        match c {
            '"' | '\'' => {
                i = literal_at(s, i).map_or(i + 1, |(_, e)| e);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[open + 1..i], i + 1));
                }
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// Arguments split at top-level commas.
fn split_args(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < args.len() {
        let c = args[i..].chars().next().expect("in bounds");
        match c {
            '"' | '\'' => {
                i = literal_at(args, i).map_or(i + 1, |(_, e)| e);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    let last = args[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// One call's arguments: positional and keyword, as source text.
struct Args<'a> {
    positional: Vec<&'a str>,
    keyword: Vec<(&'a str, &'a str)>,
}

fn parse_args(args: &str) -> Args<'_> {
    let mut out = Args {
        positional: Vec::new(),
        keyword: Vec::new(),
    };
    for part in split_args(args) {
        let ident_end = part
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(part.len(), |(i, _)| i);
        let rest = part[ident_end..].trim_start();
        if ident_end > 0 && rest.starts_with('=') && !rest.starts_with("==") {
            out.keyword.push((&part[..ident_end], rest[1..].trim()));
        } else {
            out.positional.push(part);
        }
    }
    out
}

/// Compiled once: a job run reads thousands of scripts.
fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// `name = "literal"` at the start of a line.
fn assignment() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r#"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*([rRbBfFuU]{0,2}["'])"#,
    )
}

/// `"key":` in a dict literal.
fn key_value() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r#"["']([A-Za-z0-9_.]+)["']\s*:\s*"#)
}

/// `.name` of the next call in a method chain.
fn chain_call() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"^\.\s*([A-Za-z_]\w*)\s*")
}

/// `.read` / `.write` of a Spark session or data frame.
fn read_or_write() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"\.\s*(read|write)\b")
}

/// Reads a script's calls and resolves simple variables.
struct Reader {
    text: String,
    /// `name = "literal"` assignments that occur once.
    vars: HashMap<String, Option<String>>,
}

impl Reader {
    fn new(script: &str) -> Reader {
        let text = strip_comments(script);
        let mut vars: HashMap<String, Option<String>> = HashMap::new();
        for cap in assignment().captures_iter(&text) {
            let name = cap[1].to_string();
            let at = cap.get(2).expect("group").start();
            let value = literal_at(&text, at).map(|(v, _)| v);
            // Assigned twice: which value a call sees is not evident.
            vars.entry(name).and_modify(|v| *v = None).or_insert(value);
        }
        Reader { text, vars }
    }

    /// A string argument: a literal, or a variable assigned one literal.
    fn string(&self, expr: &str) -> Option<String> {
        let expr = expr.trim();
        if let Some((v, end)) = literal_at(expr, 0) {
            return (end == expr.len()).then_some(v);
        }
        self.vars.get(expr).cloned().flatten()
    }

    /// `{"key": "value"}` entries anywhere in `text` (dict literals of options).
    fn dict_value(&self, text: &str, key: &str) -> Option<String> {
        for cap in key_value().captures_iter(text) {
            if &cap[1] != key {
                continue;
            }
            let at = cap.get(0).expect("match").end();
            if let Some((v, _)) = literal_at(text, at) {
                return Some(v);
            }
            let ident: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if let Some(v) = self.vars.get(&ident).cloned().flatten() {
                return Some(v);
            }
        }
        None
    }

    /// Every `name(` call: (arguments, index after the call).
    fn calls<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, usize)> + 'a {
        self.text.match_indices(name).filter_map(move |(at, _)| {
            // A whole name: not the tail of a longer identifier.
            let before = self.text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') && !name.starts_with('.') {
                return None;
            }
            let after = at + name.len();
            let open = after + self.text[after..].len() - self.text[after..].trim_start().len();
            (self.text[open..].starts_with('('))
                .then(|| call_args(&self.text, open))
                .flatten()
        })
    }

    fn keyword(&self, args: &Args<'_>, names: &[&str]) -> Option<String> {
        args.keyword
            .iter()
            .find(|(k, _)| names.contains(k))
            .and_then(|(_, v)| self.string(v))
    }

    fn positional(&self, args: &Args<'_>, i: usize) -> Option<String> {
        args.positional.get(i).and_then(|v| self.string(v))
    }

    /// The method calls chained after `.read`/`.write` at `start`:
    /// `.format("csv").option(...).load("s3://...")`.
    fn chain(&self, mut at: usize) -> Vec<(&str, &str)> {
        let mut calls = Vec::new();
        loop {
            let rest = &self.text[at..];
            let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r', '\\']).len();
            at += skipped;
            let Some(cap) = chain_call().captures(&self.text[at..]) else {
                break;
            };
            let name = cap.get(1).expect("group").as_str();
            let open = at + cap.get(0).expect("match").end();
            if !self.text[open..].starts_with('(') {
                break;
            }
            let Some((args, end)) = call_args(&self.text, open) else {
                break;
            };
            calls.push((name, args));
            at = end;
        }
        calls
    }
}

fn is_s3(path: &str) -> bool {
    let lower = path.trim().to_ascii_lowercase();
    ["s3://", "s3a://", "s3n://"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// `db.table` as a Data Catalog table: no dot means the `default` database; with
/// more dots (`catalog.db.table`) the last two parts count.
fn catalog_name(name: &str) -> Option<DataRef> {
    let parts: Vec<&str> = name
        .split('.')
        .map(|p| p.trim().trim_matches('`'))
        .collect();
    match parts.as_slice() {
        [table] => DataRef::catalog("default", table),
        [.., db, table] => DataRef::catalog(db, table),
        [] => None,
    }
}

const JDBC_TYPES: &[&str] = &[
    "jdbc",
    "mysql",
    "postgresql",
    "oracle",
    "sqlserver",
    "redshift",
];

const FILE_READS: &[&str] = &["load", "parquet", "csv", "json", "orc", "avro", "text"];
const FILE_WRITES: &[&str] = &["save", "parquet", "csv", "json", "orc", "avro", "text"];

impl Reader {
    fn glue_catalog_refs(&self, names: &[&str], out: &mut Vec<DataRef>) {
        for name in names {
            for (args, _) in self.calls(name) {
                let a = parse_args(args);
                let database = self
                    .keyword(&a, &["database", "name_space"])
                    .or_else(|| self.positional(&a, 0));
                let table = self
                    .keyword(&a, &["table_name"])
                    .or_else(|| self.positional(&a, 1));
                if let (Some(d), Some(t)) = (database, table)
                    && let Some(r) = DataRef::catalog(&d, &t)
                {
                    out.push(r);
                }
            }
        }
    }

    fn jdbc_ref(&self, args: &str, a: &Args<'_>) -> Option<DataRef> {
        let table = self.dict_value(args, "dbtable")?;
        let connection = self
            .keyword(a, &["catalog_connection", "connection_name"])
            .or_else(|| self.dict_value(args, "connectionName"));
        let url = self.dict_value(args, "url");
        let database = self.dict_value(args, "database");
        DataRef::jdbc(
            connection.as_deref(),
            url.as_deref(),
            database.as_deref(),
            None,
            &table,
        )
    }

    /// `…from_options(...)`: S3 paths or a JDBC table.
    fn options_refs(&self, names: &[&str], reading: bool, out: &mut Vec<DataRef>) {
        for name in names {
            for (args, _) in self.calls(name) {
                let a = parse_args(args);
                let kind = self
                    .keyword(&a, &["connection_type"])
                    .or_else(|| {
                        if reading {
                            self.positional(&a, 0)
                        } else {
                            self.positional(&a, 1)
                        }
                    })
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if kind == "s3" {
                    let paths = if reading {
                        self.all_s3_literals(args)
                    } else {
                        self.s3_paths(args)
                    };
                    out.extend(paths.iter().filter_map(|p| DataRef::s3(p)));
                } else if JDBC_TYPES.contains(&kind.as_str())
                    && let Some(r) = self.jdbc_ref(args, &a)
                {
                    out.push(r);
                }
            }
        }
    }

    /// The `"path"` (or `"paths"`) options of a call, else its S3 literals.
    fn s3_paths(&self, args: &str) -> Vec<String> {
        match self.dict_value(args, "path") {
            Some(p) if is_s3(&p) => vec![p],
            _ => self.all_s3_literals(args),
        }
    }

    fn all_s3_literals(&self, args: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let c = args[i..].chars().next().expect("in bounds");
            if (c == '"' || c == '\'')
                && let Some((v, end)) = literal_at(args, i)
            {
                if is_s3(&v) && !out.contains(&v) {
                    out.push(v);
                }
                i = end;
                continue;
            }
            i += c.len_utf8();
        }
        out
    }

    /// Spark `…read…` and `…write…` chains.
    fn spark(&self, l: &mut JobLineage) {
        for m in read_or_write().captures_iter(&self.text) {
            let writing = &m[1] == "write";
            let calls = self.chain(m.get(0).expect("match").end());
            let mut format = None;
            let mut options: HashMap<String, String> = HashMap::new();
            for (name, args) in &calls {
                let a = parse_args(args);
                let first = || {
                    self.positional(&a, 0)
                        .or_else(|| self.keyword(&a, &["path", "name", "tableName"]))
                };
                match *name {
                    "format" => format = first().map(|f| f.to_ascii_lowercase()),
                    "option" => {
                        if let (Some(k), Some(v)) = (self.positional(&a, 0), self.positional(&a, 1))
                        {
                            options.insert(k.to_ascii_lowercase(), v);
                        }
                    }
                    "options" => {
                        for key in ["dbtable", "url", "path"] {
                            if let Some(v) = self
                                .keyword(&a, &[key])
                                .or_else(|| self.dict_value(args, key))
                            {
                                options.insert(key.to_string(), v);
                            }
                        }
                    }
                    "jdbc" => {
                        let url = self
                            .positional(&a, 0)
                            .or_else(|| self.keyword(&a, &["url"]));
                        let table = self
                            .positional(&a, 1)
                            .or_else(|| self.keyword(&a, &["table"]));
                        if let Some(t) = table {
                            let r = DataRef::jdbc(None, url.as_deref(), None, None, &t);
                            if writing { l.target(r) } else { l.source(r) }
                        }
                    }
                    "table" if !writing => l.source(first().and_then(|t| catalog_name(&t))),
                    "saveAsTable" | "insertInto" if writing => {
                        l.target(first().and_then(|t| catalog_name(&t)))
                    }
                    n if (writing && FILE_WRITES.contains(&n))
                        || (!writing && FILE_READS.contains(&n)) =>
                    {
                        let path = first().or_else(|| options.get("path").cloned());
                        match path {
                            Some(p) if is_s3(&p) => {
                                if writing {
                                    l.target(DataRef::s3(&p))
                                } else {
                                    l.source(DataRef::s3(&p))
                                }
                            }
                            // `format("jdbc")…load()` / `…save()`.
                            _ if format.as_deref() == Some("jdbc")
                                || options.contains_key("dbtable") =>
                            {
                                if let Some(t) = options.get("dbtable") {
                                    let r = DataRef::jdbc(
                                        None,
                                        options.get("url").map(String::as_str),
                                        None,
                                        None,
                                        t,
                                    );
                                    if writing { l.target(r) } else { l.source(r) }
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        for (args, _) in self.calls(".writeTo") {
            let a = parse_args(args);
            l.target(self.positional(&a, 0).and_then(|t| catalog_name(&t)));
        }
        for (args, _) in self.calls("spark.table") {
            let a = parse_args(args);
            l.source(self.positional(&a, 0).and_then(|t| catalog_name(&t)));
        }
    }
}

/// The datasets a Glue or Spark script reads and writes.
pub fn script_lineage(script: &str) -> JobLineage {
    let r = Reader::new(script);
    let mut l = JobLineage::default();
    let mut found = Vec::new();

    r.glue_catalog_refs(
        &[
            "create_dynamic_frame.from_catalog",
            "create_dynamic_frame_from_catalog",
            "create_data_frame.from_catalog",
            "create_data_frame_from_catalog",
        ],
        &mut found,
    );
    r.options_refs(
        &[
            "create_dynamic_frame.from_options",
            "create_dynamic_frame_from_options",
            "create_data_frame.from_options",
            "create_data_frame_from_options",
        ],
        true,
        &mut found,
    );
    for f in found.drain(..) {
        l.source(Some(f));
    }

    r.glue_catalog_refs(
        &[
            "write_dynamic_frame.from_catalog",
            "write_dynamic_frame_from_catalog",
            "write_data_frame.from_catalog",
            "write_data_frame_from_catalog",
            "purge_table",
        ],
        &mut found,
    );
    r.options_refs(
        &[
            "write_dynamic_frame.from_options",
            "write_dynamic_frame_from_options",
            "write_from_options",
        ],
        false,
        &mut found,
    );
    for name in [
        "write_dynamic_frame.from_jdbc_conf",
        "write_dynamic_frame_from_jdbc_conf",
        "write_from_jdbc_conf",
    ] {
        for (args, _) in r.calls(name) {
            let a = parse_args(args);
            if let Some(x) = r.jdbc_ref(args, &a) {
                found.push(x);
            }
        }
    }
    for f in found.drain(..) {
        l.target(Some(f));
    }

    r.spark(&mut l);
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(d: &str, t: &str) -> DataRef {
        DataRef::Catalog {
            database: d.into(),
            table: t.into(),
        }
    }

    fn s3(p: &str) -> DataRef {
        DataRef::S3 { path: p.into() }
    }

    #[test]
    fn literals_and_arguments() {
        assert_eq!(literal_at(r#""a\"b" x"#, 0), Some((r#"a"b"#.into(), 6)));
        assert_eq!(literal_at(r#"r'\d' "#, 0), Some((r"\d".into(), 5)));
        assert_eq!(literal_at(r#"'''a'b'''"#, 0), Some(("a'b".into(), 9)));
        let a = parse_args(r#" "x", f(1, 2), key = {"a": (1, 2)}, y == 2 "#);
        assert_eq!(a.positional, [r#""x""#, "f(1, 2)", "y == 2"]);
        assert_eq!(a.keyword, [("key", r#"{"a": (1, 2)}"#)]);
        assert_eq!(
            strip_comments("a = 1 # c\nb = '#x' # d\n"),
            "a = 1 \nb = '#x' \n"
        );
    }

    #[test]
    fn glue_context_calls_spanning_lines_and_variables() {
        let script = r#"
DB = "sales"
src = glueContext.create_dynamic_frame.from_catalog(
    database=DB,
    table_name="orders",   # the raw orders
    transformation_ctx="src",
)
# glueContext.create_dynamic_frame.from_catalog(database="old", table_name="gone")
other = glueContext.create_dynamic_frame_from_catalog("sales", "customers")
glueContext.write_dynamic_frame.from_options(
    frame=src, connection_type="s3",
    connection_options={"path": "s3://out/orders/", "partitionKeys": []},
    format="parquet")
"#;
        let l = script_lineage(script);
        assert_eq!(
            l.sources,
            [catalog("sales", "orders"), catalog("sales", "customers")]
        );
        assert_eq!(l.targets, [s3("s3://out/orders/")]);
    }

    #[test]
    fn spark_chains() {
        let script = r#"
df = spark.read \
    .option("header", "true") \
    .csv("s3a://in/csv/")
j = (spark.read.format("jdbc").option("url", "jdbc:postgresql://h:5432/crm")
     .option("dbtable", "public.accounts").load())
df.write.mode("overwrite").partitionBy("day").parquet("s3://out/p/")
j.write.format("jdbc").option("dbtable", "public.copy").option("url", "jdbc:postgresql://h:5432/crm").save()
df.writeTo("lake.events_v2").append()
t = spark.table("glue_catalog.lake.events")
"#;
        let l = script_lineage(script);
        assert_eq!(
            l.sources,
            [
                s3("s3a://in/csv/"),
                DataRef::jdbc(
                    None,
                    Some("jdbc:postgresql://h:5432/crm"),
                    None,
                    None,
                    "public.accounts"
                )
                .unwrap(),
                catalog("lake", "events"),
            ]
        );
        assert_eq!(
            l.targets,
            [
                s3("s3://out/p/"),
                DataRef::jdbc(
                    None,
                    Some("jdbc:postgresql://h:5432/crm"),
                    None,
                    None,
                    "public.copy"
                )
                .unwrap(),
                catalog("lake", "events_v2"),
            ]
        );
    }

    #[test]
    fn run_time_values_are_not_guessed() {
        let script = r#"
table = args["table"]
glueContext.create_dynamic_frame.from_catalog(database="sales", table_name=table)
path = "s3://a/"
path = "s3://b/"
df.write.parquet(path)
"#;
        assert!(script_lineage(script).is_empty());
    }
}

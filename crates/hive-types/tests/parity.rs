//! Parity with OpenMetadata 2.0.6's Glue column mapping (`_get_column_object`).
//!
//! Every row of the recorded upstream outputs is here. Where we differ on purpose the
//! row names the difference (an id of the README's table) and gives our output.

mod common;

use common::to_json;
use hive_types::{ErrorKind, map_type};
use serde_json::Value;

/// What OpenMetadata's connector produced for a type string.
enum Upstream {
    Column(&'static str),
    /// `ValueError`: upstream fails the whole table.
    Fails,
}

/// What we produce, when it is not the same.
enum Ours {
    Same,
    Differs {
        id: &'static str,
        column: &'static str,
    },
    Fails,
}

struct Row {
    input: &'static str,
    upstream: Upstream,
    ours: Ours,
}

const fn same(input: &'static str, upstream: &'static str) -> Row {
    Row {
        input,
        upstream: Upstream::Column(upstream),
        ours: Ours::Same,
    }
}

const fn differs(
    input: &'static str,
    upstream: &'static str,
    id: &'static str,
    column: &'static str,
) -> Row {
    Row {
        input,
        upstream: Upstream::Column(upstream),
        ours: Ours::Differs { id, column },
    }
}

const ROWS: &[Row] = &[
    same(
        "tinyint",
        r#"{"dataType": "TINYINT", "dataLength": 1, "dataTypeDisplay": "tinyint"}"#,
    ),
    same(
        "smallint",
        r#"{"dataType": "SMALLINT", "dataLength": 1, "dataTypeDisplay": "smallint"}"#,
    ),
    same(
        "int",
        r#"{"dataType": "INT", "dataLength": 1, "dataTypeDisplay": "int"}"#,
    ),
    same(
        "integer",
        r#"{"dataType": "INT", "dataLength": 1, "dataTypeDisplay": "integer"}"#,
    ),
    same(
        "bigint",
        r#"{"dataType": "BIGINT", "dataLength": 1, "dataTypeDisplay": "bigint"}"#,
    ),
    same(
        "float",
        r#"{"dataType": "FLOAT", "dataTypeDisplay": "float"}"#,
    ),
    same(
        "double",
        r#"{"dataType": "DOUBLE", "dataTypeDisplay": "double"}"#,
    ),
    same(
        "real",
        r#"{"dataType": "FLOAT", "dataTypeDisplay": "real"}"#,
    ),
    same(
        "decimal",
        r#"{"dataType": "DECIMAL", "dataTypeDisplay": "decimal"}"#,
    ),
    same(
        "decimal(10,2)",
        r#"{"dataType": "DECIMAL", "precision": 10, "scale": 2, "dataTypeDisplay": "decimal(10,2)"}"#,
    ),
    differs(
        "decimal(38, 0)",
        r#"{"dataType": "DECIMAL", "precision": 38, "scale": 0, "dataTypeDisplay": "decimal(38,0)"}"#,
        "D1",
        r#"{"dataType": "DECIMAL", "precision": 38, "scale": 0, "dataTypeDisplay": "decimal(38, 0)"}"#,
    ),
    same(
        "numeric(5)",
        r#"{"dataType": "NUMERIC", "precision": 5, "dataTypeDisplay": "numeric(5)"}"#,
    ),
    differs(
        "char(10)",
        r#"{"dataType": "CHAR", "dataLength": 10, "dataTypeDisplay": "CHAR"}"#,
        "D2",
        r#"{"dataType": "CHAR", "dataLength": 10, "dataTypeDisplay": "char(10)"}"#,
    ),
    differs(
        "varchar(255)",
        r#"{"dataType": "VARCHAR", "dataLength": 255, "dataTypeDisplay": "VARCHAR"}"#,
        "D2",
        r#"{"dataType": "VARCHAR", "dataLength": 255, "dataTypeDisplay": "varchar(255)"}"#,
    ),
    same(
        "varchar",
        r#"{"dataType": "VARCHAR", "dataLength": 1, "dataTypeDisplay": "varchar"}"#,
    ),
    same(
        "string",
        r#"{"dataType": "STRING", "dataLength": 1, "dataTypeDisplay": "string"}"#,
    ),
    same(
        "boolean",
        r#"{"dataType": "BOOLEAN", "dataLength": 1, "dataTypeDisplay": "boolean"}"#,
    ),
    same(
        "bool",
        r#"{"dataType": "BOOLEAN", "dataLength": 1, "dataTypeDisplay": "bool"}"#,
    ),
    same(
        "binary",
        r#"{"dataType": "BINARY", "dataLength": 1, "dataTypeDisplay": "binary"}"#,
    ),
    same(
        "date",
        r#"{"dataType": "DATE", "dataLength": 1, "dataTypeDisplay": "date"}"#,
    ),
    same(
        "timestamp",
        r#"{"dataType": "TIMESTAMP", "dataLength": 1, "dataTypeDisplay": "timestamp"}"#,
    ),
    differs(
        "timestamptz",
        r#"{"dataType": "TIMESTAMP", "dataLength": 1, "dataTypeDisplay": "timestamptz"}"#,
        "D3",
        r#"{"dataType": "TIMESTAMPZ", "dataLength": 1, "dataTypeDisplay": "timestamptz"}"#,
    ),
    same(
        "timestamp_ntz",
        r#"{"dataType": "TIMESTAMP", "dataLength": 1, "dataTypeDisplay": "timestamp_ntz"}"#,
    ),
    same(
        "time",
        r#"{"dataType": "TIME", "dataLength": 1, "dataTypeDisplay": "time"}"#,
    ),
    same(
        "uuid",
        r#"{"dataType": "UUID", "dataLength": 1, "dataTypeDisplay": "uuid"}"#,
    ),
    same(
        "long",
        r#"{"dataType": "LONG", "dataLength": 1, "dataTypeDisplay": "long"}"#,
    ),
    differs(
        "fixed(16)",
        r#"{"dataType": "UNKNOWN", "dataLength": 16, "dataTypeDisplay": "UNKNOWN"}"#,
        "D4",
        r#"{"dataType": "FIXED", "dataLength": 16, "dataTypeDisplay": "fixed(16)"}"#,
    ),
    differs(
        "fixed[16]",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D4",
        r#"{"dataType": "FIXED", "dataLength": 16, "dataTypeDisplay": "fixed[16]"}"#,
    ),
    same(
        "interval",
        r#"{"dataType": "INTERVAL", "dataLength": 1, "dataTypeDisplay": "interval"}"#,
    ),
    same(
        "void",
        r#"{"dataType": "NULL", "dataLength": 1, "dataTypeDisplay": "void"}"#,
    ),
    same(
        "json",
        r#"{"dataType": "JSON", "dataLength": 1, "dataTypeDisplay": "json"}"#,
    ),
    differs(
        "STRING",
        r#"{"dataType": "STRING", "dataLength": 1, "dataTypeDisplay": "string"}"#,
        "D1",
        r#"{"dataType": "STRING", "dataLength": 1, "dataTypeDisplay": "STRING"}"#,
    ),
    differs(
        "Array<String>",
        r#"{"dataType": "ARRAY", "arrayDataType": "STRING", "dataLength": 1, "dataTypeDisplay": "array<string>"}"#,
        "D1",
        r#"{"dataType": "ARRAY", "arrayDataType": "STRING", "dataLength": 1, "dataTypeDisplay": "Array<String>"}"#,
    ),
    same(
        "array<struct<id:int,name:string>>",
        r#"{"dataType": "ARRAY", "arrayDataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "array<struct<id:int,name:string>>", "children": [{"name": "id", "dataType": "INT", "dataTypeDisplay": "int"}, {"name": "name", "dataType": "STRING", "dataTypeDisplay": "string"}]}"#,
    ),
    differs(
        "array<array<string>>",
        r#"{"dataType": "ARRAY", "arrayDataType": "ARRAY", "dataLength": 1, "dataTypeDisplay": "array<array<string>>"}"#,
        "D5",
        r#"{"dataType": "ARRAY", "arrayDataType": "ARRAY", "dataLength": 1, "dataTypeDisplay": "array<array<string>>", "children": [{"name": "element", "dataType": "ARRAY", "arrayDataType": "STRING", "dataTypeDisplay": "array<string>"}]}"#,
    ),
    differs(
        "array<map<string,string>>",
        r#"{"dataType": "ARRAY", "arrayDataType": "MAP", "dataLength": 1, "dataTypeDisplay": "array<map<string,string>>"}"#,
        "D5",
        r#"{"dataType": "ARRAY", "arrayDataType": "MAP", "dataLength": 1, "dataTypeDisplay": "array<map<string,string>>", "children": [{"name": "key", "dataType": "STRING", "dataTypeDisplay": "string"}, {"name": "value", "dataType": "STRING", "dataTypeDisplay": "string"}]}"#,
    ),
    same(
        "array<decimal(10,2)>",
        r#"{"dataType": "ARRAY", "arrayDataType": "DECIMAL", "dataLength": 1, "dataTypeDisplay": "array<decimal(10,2)>"}"#,
    ),
    differs(
        "map<string,int>",
        r#"{"dataType": "MAP", "dataLength": 1, "dataTypeDisplay": "map<string,int>"}"#,
        "D5",
        r#"{"dataType": "MAP", "dataLength": 1, "dataTypeDisplay": "map<string,int>", "children": [{"name": "key", "dataType": "STRING", "dataTypeDisplay": "string"}, {"name": "value", "dataType": "INT", "dataTypeDisplay": "int"}]}"#,
    ),
    same(
        "struct<a:int,b:string>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:int,b:string>", "children": [{"name": "a", "dataType": "INT", "dataTypeDisplay": "int"}, {"name": "b", "dataType": "STRING", "dataTypeDisplay": "string"}]}"#,
    ),
    same(
        "struct<a:struct<b:int>>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:struct<b:int>>", "children": [{"name": "a", "dataType": "STRUCT", "dataTypeDisplay": "struct<b:int>", "children": [{"name": "b", "dataType": "INT", "dataTypeDisplay": "int"}]}]}"#,
    ),
    same(
        "struct<a:array<struct<b:int>>>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:array<struct<b:int>>>", "children": [{"name": "a", "dataType": "ARRAY", "arrayDataType": "STRUCT", "dataTypeDisplay": "array<struct<b:int>>", "children": [{"name": "b", "dataType": "INT", "dataTypeDisplay": "int"}]}]}"#,
    ),
    differs(
        "struct<a:decimal(10,2),c:varchar(5)>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:decimal(10,2),c:varchar(5)>", "children": [{"name":"a","dataType":"DECIMAL","precision":10,"scale":2,"dataTypeDisplay":"decimal(10,2)"},{"name":"c","dataType":"VARCHAR","dataLength":5,"dataTypeDisplay":"VARCHAR"}]}"#,
        "D2",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:decimal(10,2),c:varchar(5)>", "children": [{"name":"a","dataType":"DECIMAL","precision":10,"scale":2,"dataTypeDisplay":"decimal(10,2)"},{"name":"c","dataType":"VARCHAR","dataLength":5,"dataTypeDisplay":"varchar(5)"}]}"#,
    ),
    differs(
        "struct<>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<unknown>", "children": []}"#,
        "D6",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<>", "children": []}"#,
    ),
    differs(
        "uniontype<int, string>",
        r#"{"dataType": "UNION", "dataLength": 1, "dataTypeDisplay": "uniontype<int,string>"}"#,
        "D1, D5",
        r#"{"dataType": "UNION", "dataLength": 1, "dataTypeDisplay": "uniontype<int, string>", "children": [{"name": "field0", "dataType": "INT", "dataTypeDisplay": "int"}, {"name": "field1", "dataType": "STRING", "dataTypeDisplay": "string"}]}"#,
    ),
    differs(
        "set<string>",
        r#"{"dataType": "SET", "dataLength": 1, "dataTypeDisplay": "SET"}"#,
        "D2",
        r#"{"dataType": "SET", "dataLength": 1, "dataTypeDisplay": "set<string>"}"#,
    ),
    differs(
        "smallint(5)",
        r#"{"dataType": "SMALLINT", "dataLength": 5, "dataTypeDisplay": "SMALLINT"}"#,
        "D2",
        r#"{"dataType": "SMALLINT", "dataLength": 5, "dataTypeDisplay": "smallint(5)"}"#,
    ),
    differs(
        "timestamp(3)",
        r#"{"dataType": "TIMESTAMP", "dataLength": 3, "dataTypeDisplay": "TIMESTAMP"}"#,
        "D2",
        r#"{"dataType": "TIMESTAMP", "dataLength": 3, "dataTypeDisplay": "timestamp(3)"}"#,
    ),
    differs(
        "enum('a','b')",
        r#"{"dataType": "ENUM", "dataLength": 1, "dataTypeDisplay": "ENUM"}"#,
        "D2",
        r#"{"dataType": "ENUM", "dataLength": 1, "dataTypeDisplay": "enum('a','b')"}"#,
    ),
    differs(
        "double precision",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "DOUBLE", "dataTypeDisplay": "double precision"}"#,
    ),
    differs(
        "bigint unsigned",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "BIGINT", "dataLength": 1, "dataTypeDisplay": "bigint unsigned"}"#,
    ),
    differs(
        "short",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "SMALLINT", "dataLength": 1, "dataTypeDisplay": "short"}"#,
    ),
    differs(
        "byte",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "TINYINT", "dataLength": 1, "dataTypeDisplay": "byte"}"#,
    ),
    differs(
        "timestamp with time zone",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "TIMESTAMPZ", "dataLength": 1, "dataTypeDisplay": "timestamp with time zone"}"#,
    ),
    Row {
        input: "struct<a int>",
        upstream: Upstream::Fails,
        ours: Ours::Differs {
            id: "D8",
            column: r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a int>", "children": [{"name": "a", "dataType": "INT", "dataTypeDisplay": "int"}]}"#,
        },
    },
    Row {
        input: "struct<a:int",
        upstream: Upstream::Fails,
        ours: Ours::Fails,
    },
    Row {
        input: "map<string>",
        upstream: Upstream::Fails,
        ours: Ours::Fails,
    },
    Row {
        input: "array<int",
        upstream: Upstream::Fails,
        ours: Ours::Fails,
    },
];

/// Rows of the reference's summary table and algorithm notes (§1.8) that Appendix A
/// does not spell out in JSON; the upstream JSON here is derived from those notes.
const SUMMARY_ROWS: &[Row] = &[
    same(
        "datetime",
        r#"{"dataType": "DATETIME", "dataLength": 1, "dataTypeDisplay": "datetime"}"#,
    ),
    same(
        "varbinary",
        r#"{"dataType": "VARBINARY", "dataLength": 1, "dataTypeDisplay": "varbinary"}"#,
    ),
    same(
        "geometry",
        r#"{"dataType": "GEOMETRY", "dataLength": 1, "dataTypeDisplay": "geometry"}"#,
    ),
    same(
        "text",
        r#"{"dataType": "TEXT", "dataLength": 1, "dataTypeDisplay": "text"}"#,
    ),
    differs(
        "tinyint(1)",
        r#"{"dataType": "TINYINT", "dataLength": 1, "dataTypeDisplay": "TINYINT"}"#,
        "D2",
        r#"{"dataType": "TINYINT", "dataLength": 1, "dataTypeDisplay": "tinyint(1)"}"#,
    ),
    differs(
        "union<int,string>",
        r#"{"dataType": "UNION", "dataLength": 1, "dataTypeDisplay": "union<int,string>"}"#,
        "D5",
        r#"{"dataType": "UNION", "dataLength": 1, "dataTypeDisplay": "union<int,string>", "children": [{"name": "field0", "dataType": "INT", "dataTypeDisplay": "int"}, {"name": "field1", "dataType": "STRING", "dataTypeDisplay": "string"}]}"#,
    ),
    differs(
        "map<string,struct<a:int>>",
        r#"{"dataType": "MAP", "dataLength": 1, "dataTypeDisplay": "map<string,struct<a:int>>"}"#,
        "D5",
        r#"{"dataType": "MAP", "dataLength": 1, "dataTypeDisplay": "map<string,struct<a:int>>", "children": [{"name": "key", "dataType": "STRING", "dataTypeDisplay": "string"}, {"name": "value", "dataType": "STRUCT", "dataTypeDisplay": "struct<a:int>", "children": [{"name": "a", "dataType": "INT", "dataTypeDisplay": "int"}]}]}"#,
    ),
    differs(
        "timestamp with local time zone",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "TIMESTAMPZ", "dataLength": 1, "dataTypeDisplay": "timestamp with local time zone"}"#,
    ),
    differs(
        "interval day to second",
        r#"{"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "UNKNOWN"}"#,
        "D7",
        r#"{"dataType": "INTERVAL", "dataLength": 1, "dataTypeDisplay": "interval day to second"}"#,
    ),
    differs(
        "struct<`My Col`:int>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<`mycol`:int>", "children": [{"name": "mycol", "dataType": "INT", "dataTypeDisplay": "int"}]}"#,
        "D9",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<`My Col`:int>", "children": [{"name": "My Col", "dataType": "INT", "dataTypeDisplay": "int"}]}"#,
    ),
    differs(
        "struct<a:binary>",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:binary>", "children": [{"name": "a", "dataType": "BINARY", "dataTypeDisplay": "binary"}]}"#,
        "D10",
        r#"{"dataType": "STRUCT", "dataLength": 1, "dataTypeDisplay": "struct<a:binary>", "children": [{"name": "a", "dataType": "BINARY", "dataLength": 1, "dataTypeDisplay": "binary"}]}"#,
    ),
];

fn parse_json(text: &str, input: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad expectation for {input:?}: {e}"))
}

fn check(rows: &[Row]) {
    let readme = include_str!("../README.md");
    for row in rows {
        let ours = map_type(row.input);
        let expected = match (&row.upstream, &row.ours) {
            (Upstream::Column(upstream), Ours::Same) => Some(parse_json(upstream, row.input)),
            (_, Ours::Differs { id, column }) => {
                for id in id.split(", ") {
                    assert!(
                        readme.contains(&format!("| {id} |")),
                        "{id} (for {:?}) is not in the README's table",
                        row.input
                    );
                }
                if let Upstream::Column(upstream) = row.upstream {
                    let upstream = parse_json(upstream, row.input);
                    let column = parse_json(column, row.input);
                    assert_ne!(
                        upstream, column,
                        "{:?} is marked {id} but equals upstream",
                        row.input
                    );
                }
                Some(parse_json(column, row.input))
            }
            (_, Ours::Fails) => None,
            (Upstream::Fails, Ours::Same) => unreachable!("use Ours::Fails"),
        };
        match (expected, ours) {
            (Some(expected), Ok(mapped)) => {
                assert_eq!(to_json(&mapped), expected, "type {:?}", row.input);
            }
            (None, Err(_)) => {}
            (expected, ours) => panic!("type {:?}: expected {expected:?}, got {ours:?}", row.input),
        }
    }
}

#[test]
fn appendix_a_rows() {
    check(ROWS);
}

#[test]
fn summary_table_rows() {
    check(SUMMARY_ROWS);
}

#[test]
fn upstream_errors_are_errors_with_the_position() {
    let cases = [
        (
            "struct<a:int",
            12,
            "expected `,` or `>`, found end of input at offset 12",
        ),
        ("map<string>", 10, "expected `,`, found '>' at offset 10"),
        (
            "array<int",
            9,
            "expected `>`, found end of input at offset 9",
        ),
    ];
    for (input, offset, message) in cases {
        let error = map_type(input).unwrap_err();
        assert_eq!(error.offset, offset, "{input}");
        assert!(
            matches!(error.kind, ErrorKind::Unexpected { .. }),
            "{input}"
        );
        assert_eq!(error.to_string(), message, "{input}");
    }
}

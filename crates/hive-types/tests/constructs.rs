//! Every construct the parser accepts or rejects, through the public API.

mod common;

use common::to_json;
use hive_types::{
    ErrorKind, Expected, Found, MAX_DEPTH, MappedColumn, MappedType, OmDataType as T, Params,
    TypeKind, map_type, parse, parse_or_unknown,
};
use serde_json::json;

fn mapped(input: &str) -> MappedType {
    map_type(input).unwrap_or_else(|e| panic!("{input:?} failed: {e}"))
}

fn children(m: &MappedType) -> &[MappedColumn] {
    m.children.as_deref().expect("children")
}

fn names(m: &MappedType) -> Vec<&str> {
    children(m).iter().map(|c| c.name.as_str()).collect()
}

fn error(input: &str) -> hive_types::ParseError {
    match map_type(input) {
        Ok(m) => panic!("{input:?} parsed as {m:?}"),
        Err(e) => e,
    }
}

#[test]
fn primitives_with_length_precision_and_scale() {
    let v = mapped("varchar(20)");
    assert_eq!((v.data_type, v.data_length), (T::Varchar, Some(20)));
    let c = mapped("char(3)");
    assert_eq!((c.data_type, c.data_length), (T::Char, Some(3)));
    let d = mapped("decimal(10,2)");
    assert_eq!(
        (d.data_type, d.precision, d.scale, d.data_length),
        (T::Decimal, Some(10), Some(2), None)
    );
    let d = mapped("DECIMAL ( 38 , 0 )");
    assert_eq!((d.precision, d.scale), (Some(38), Some(0)));
    assert_eq!(d.data_type_display, "DECIMAL ( 38 , 0 )");
    let d = mapped("decimal");
    assert_eq!(
        (d.data_type, d.precision, d.scale),
        (T::Decimal, None, None)
    );
    let n = mapped("number(38,0)");
    assert_eq!(
        (n.data_type, n.precision, n.scale),
        (T::Number, Some(38), Some(0))
    );
    let t = mapped("timestamp(6)");
    assert_eq!((t.data_type, t.data_length), (T::Timestamp, Some(6)));
}

#[test]
fn lengths_the_server_requires_are_always_present() {
    // OpenMetadata rejects CHAR/VARCHAR/BINARY/VARBINARY columns without dataLength,
    // nested ones included.
    let s = mapped("struct<a:char,b:varchar,c:binary,d:varbinary,e:varchar(max),f:string>");
    let lengths: Vec<_> = children(&s).iter().map(|c| c.ty.data_length).collect();
    assert_eq!(lengths, [Some(1), Some(1), Some(1), Some(1), Some(1), None]);
    assert_eq!(mapped("varchar(max)").data_length, Some(1));
}

#[test]
fn arrays_at_any_depth() {
    let a = mapped("array<int>");
    assert_eq!((a.data_type, a.array_data_type), (T::Array, Some(T::Int)));
    assert_eq!(a.children, None);

    let a = mapped("array<array<array<int>>>");
    assert_eq!(a.array_data_type, Some(T::Array));
    let inner = &children(&a)[0];
    assert_eq!(inner.name, "element");
    assert_eq!(inner.ty.data_type_display, "array<array<int>>");
    assert_eq!(inner.ty.array_data_type, Some(T::Array));
    let innermost = &children(&inner.ty)[0];
    assert_eq!(innermost.ty.array_data_type, Some(T::Int));
    assert_eq!(innermost.ty.data_type_display, "array<int>");

    let a = mapped("array<map<string,array<struct<x:double>>>>");
    assert_eq!(a.array_data_type, Some(T::Map));
    assert_eq!(names(&a), ["key", "value"]);
    let value = &children(&a)[1].ty;
    assert_eq!(value.array_data_type, Some(T::Struct));
    assert_eq!(names(value), ["x"]);

    let a = mapped("array<array<struct<a:int>>>");
    let element = &children(&a)[0].ty;
    assert_eq!(element.array_data_type, Some(T::Struct));
    assert_eq!(names(element), ["a"]);

    let a = mapped("array<uniontype<int,string>>");
    assert_eq!(a.array_data_type, Some(T::Union));
    assert_eq!(names(&a), ["field0", "field1"]);

    let a = mapped("array<varchar(10)>");
    assert_eq!(a.array_data_type, Some(T::Varchar));
    assert_eq!(a.data_length, Some(1), "top-level default, as upstream");
}

#[test]
fn maps_show_key_and_value() {
    let m = mapped("map<string,struct<a:int,b:map<int,decimal(5,1)>>>");
    assert_eq!(m.data_type, T::Map);
    assert_eq!(m.array_data_type, None);
    assert_eq!(names(&m), ["key", "value"]);
    let value = &children(&m)[1].ty;
    assert_eq!(value.data_type, T::Struct);
    let b = &children(value)[1].ty;
    assert_eq!(names(b), ["key", "value"]);
    let decimal = &children(b)[1].ty;
    assert_eq!((decimal.precision, decimal.scale), (Some(5), Some(1)));
}

#[test]
fn structs_at_any_depth_keep_names() {
    let s = mapped("struct<Outer:struct<Mid:struct<innerMost:bigint>>>");
    let outer = &children(&s)[0];
    assert_eq!(outer.name, "Outer");
    let mid = &children(&outer.ty)[0];
    assert_eq!(mid.name, "Mid");
    assert_eq!(children(&mid.ty)[0].name, "innerMost");
    assert_eq!(children(&mid.ty)[0].ty.data_type, T::BigInt);
}

#[test]
fn struct_field_names_quoted_and_unquoted() {
    let s = mapped(
        "struct<`My Col`:int,`a``b`:string,\"quoted name\":int,a.b-c:int,x:y:int,\
         with space:int,`select`:int,日本語:string>",
    );
    assert_eq!(
        names(&s),
        [
            "My Col",
            "a`b",
            "quoted name",
            "a.b-c",
            "x:y",
            "with space",
            "select",
            "日本語"
        ]
    );
    // As upstream, an unquoted name runs to the last `:` before the type, so a
    // missing comma folds two fields into one name rather than failing.
    assert_eq!(names(&mapped("struct<a:int;b:int>")), ["a:int;b"]);
    // Whitespace around names is not part of them.
    let s = mapped("struct<  a  :int,\n\t`b` : int>");
    assert_eq!(names(&s), ["a", "b"]);
}

#[test]
fn struct_fields_written_without_colon() {
    // Spark DDL, BigQuery and Trino separate name and type with a space.
    let s = mapped("STRUCT<id INT64, tags ARRAY<STRING>, `full name` STRING>");
    assert_eq!(names(&s), ["id", "tags", "full name"]);
    assert_eq!(children(&s)[0].ty.data_type, T::BigInt);
    assert_eq!(children(&s)[1].ty.array_data_type, Some(T::String));
    let r = mapped("row(a integer, b varchar(3), c row(d double))");
    assert_eq!(r.data_type, T::Struct);
    assert_eq!(names(&r), ["a", "b", "c"]);
    assert_eq!(children(&r)[1].ty.data_length, Some(3));
    assert_eq!(names(&children(&r)[2].ty), ["d"]);
}

#[test]
fn struct_field_comments_and_not_null() {
    let s = mapped(
        "struct<a:int COMMENT 'the a',b:string NOT NULL COMMENT 'it\\'s b, with: punctuation',\
         c:timestamp with local time zone comment \"zoned\">",
    );
    let fields = children(&s);
    assert_eq!(fields[0].description.as_deref(), Some("the a"));
    assert_eq!(fields[0].ty.data_type_display, "int");
    assert_eq!(
        fields[1].description.as_deref(),
        Some("it's b, with: punctuation")
    );
    assert_eq!(fields[1].ty.data_type, T::String);
    assert_eq!(fields[2].ty.data_type, T::TimestampZ);
    assert_eq!(fields[2].description.as_deref(), Some("zoned"));

    let node = parse("struct<a:int NOT NULL>").unwrap();
    let TypeKind::Struct(fields) = &node.kind else {
        panic!("not a struct")
    };
    assert!(fields[0].not_null);
}

#[test]
fn unions() {
    let u = mapped("uniontype<int,array<string>,struct<a:int>>");
    assert_eq!(u.data_type, T::Union);
    assert_eq!(names(&u), ["field0", "field1", "field2"]);
    assert_eq!(children(&u)[1].ty.array_data_type, Some(T::String));
    assert_eq!(names(&children(&u)[2].ty), ["a"]);
}

#[test]
fn multi_word_types() {
    for (input, expected) in [
        ("timestamp with local time zone", T::TimestampZ),
        ("TIMESTAMP WITH TIME ZONE", T::TimestampZ),
        ("timestamp(3) with time zone", T::TimestampZ),
        ("timestamp without time zone", T::Timestamp),
        ("time without time zone", T::Time),
        ("double precision", T::Double),
        ("interval day to second", T::Interval),
        ("interval year to month", T::Interval),
        ("interval day(2) to second(3)", T::Interval),
        ("character varying(256)", T::Varchar),
        ("bigint unsigned", T::BigInt),
        ("int(11) unsigned", T::Int),
    ] {
        let m = mapped(input);
        assert_eq!(m.data_type, expected, "{input}");
        assert_eq!(m.data_type_display, input);
    }
    assert_eq!(mapped("character varying(256)").data_length, Some(256));
    // Inside containers too, and a struct field's modifiers are not type words.
    let s = mapped("struct<t:timestamp with local time zone COMMENT 'x',d:double precision>");
    assert_eq!(
        children(&s)[0].ty.data_type_display,
        "timestamp with local time zone"
    );
    assert_eq!(children(&s)[1].ty.data_type, T::Double);
}

#[test]
fn whitespace_anywhere_and_keywords_in_any_case() {
    let spaced = mapped("  Array < STRUCT < user_id : String ,\n\tScore:DECIMAL( 5 ,2 ) > >  ");
    let compact = mapped("array<struct<user_id:string,Score:decimal(5,2)>>");
    assert_eq!(spaced.array_data_type, compact.array_data_type);
    assert_eq!(names(&spaced), names(&compact));
    assert_eq!(
        spaced.data_type_display,
        "Array < STRUCT < user_id : String ,\n\tScore:DECIMAL( 5 ,2 ) > >"
    );
    assert_eq!(children(&spaced)[1].ty.precision, Some(5));
    assert_eq!(mapped("MAP<STRING,INT>").data_type, T::Map);
    assert_eq!(mapped("UnionType<INT>").data_type, T::Union);
}

#[test]
fn iceberg_spark_and_delta_names() {
    for (input, expected) in [
        ("timestamptz", T::TimestampZ),
        ("uuid", T::Uuid),
        ("binary", T::Binary),
        ("long", T::Long),
        ("time", T::Time),
        ("bigint", T::BigInt),
        ("integer", T::Int),
        ("short", T::SmallInt),
        ("byte", T::TinyInt),
        ("real", T::Float),
        ("tinyint", T::TinyInt),
        ("smallint", T::SmallInt),
        ("string", T::String),
        ("date", T::Date),
        ("timestamp", T::Timestamp),
        ("timestamp_ntz", T::Timestamp),
        ("boolean", T::Boolean),
        ("void", T::Null),
        ("float", T::Float),
        ("double", T::Double),
        ("variant", T::Json),
        ("int64", T::BigInt),
        ("geography", T::Geography),
        ("hllsketch", T::HllSketch),
    ] {
        assert_eq!(mapped(input).data_type, expected, "{input}");
    }
    let f = mapped("fixed(16)");
    assert_eq!((f.data_type, f.data_length), (T::Fixed, Some(16)));
    let f = mapped("fixed[16]");
    assert_eq!((f.data_type, f.data_length), (T::Fixed, Some(16)));
}

#[test]
fn unknown_names_map_to_unknown_and_keep_their_text() {
    let m = mapped("my_custom_type");
    assert_eq!(m.data_type, T::Unknown);
    assert_eq!(m.data_type_display, "my_custom_type");
    assert_eq!(m.data_length, Some(1));
    let s = mapped("struct<a:geo_point>");
    assert_eq!(children(&s)[0].ty.data_type, T::Unknown);
    assert_eq!(children(&s)[0].ty.data_type_display, "geo_point");
}

#[test]
fn trino_and_postgres_spellings() {
    let a = mapped("array(varchar)");
    assert_eq!(
        (a.data_type, a.array_data_type),
        (T::Array, Some(T::Varchar))
    );
    let m = mapped("map(varchar, integer)");
    assert_eq!(names(&m), ["key", "value"]);
    let p = mapped("integer[]");
    assert_eq!((p.data_type, p.array_data_type), (T::Array, Some(T::Int)));
    assert_eq!(p.data_type_display, "integer[]");
    let p = mapped("text[][]");
    assert_eq!(p.array_data_type, Some(T::Array));
    assert_eq!(children(&p)[0].ty.data_type_display, "text[]");
    assert_eq!(
        mapped("character varying(64)[3]").array_data_type,
        Some(T::Varchar)
    );
}

#[test]
fn bare_container_keywords_satisfy_the_server() {
    let a = mapped("ARRAY");
    assert_eq!(
        (a.data_type, a.array_data_type),
        (T::Array, Some(T::Unknown))
    );
    let s = mapped("record");
    assert_eq!(s.data_type, T::Struct);
    assert_eq!(s.children, Some(vec![]));
}

#[test]
fn opaque_parameters() {
    let e = mapped("enum('a','b,c','it''s')");
    assert_eq!((e.data_type, e.data_length), (T::Enum, Some(1)));
    let node = parse("enum('a','b')").unwrap();
    assert!(matches!(
        node.kind,
        TypeKind::Primitive(p) if p.params == Params::Other
    ));
    assert_eq!(mapped("set<array<string>>").data_type, T::Set);
    assert_eq!(mapped("datetime64(3, 'UTC')").data_type, T::Unknown);
}

#[test]
fn errors_say_where_and_what() {
    let cases: &[(&str, usize, Expected, Found)] = &[
        ("", 0, Expected::Type, Found::End),
        ("   ", 3, Expected::Type, Found::End),
        ("array<>", 6, Expected::Type, Found::Char('>')),
        (
            "array<int,string>",
            9,
            Expected::Char('>'),
            Found::Char(','),
        ),
        // `int string` reads as one (unknown) multi-word primitive.
        ("map<int string>", 14, Expected::Char(','), Found::Char('>')),
        ("struct<a:int,>", 13, Expected::FieldName, Found::Char('>')),
        ("struct<:int>", 7, Expected::FieldName, Found::Char(':')),
        ("struct<a>", 8, Expected::FieldSeparator, Found::Char('>')),
        (
            "struct<a:int)>",
            12,
            Expected::CommaOr('>'),
            Found::Char(')'),
        ),
        (
            "struct<`a:int>",
            14,
            Expected::ClosingQuote('`'),
            Found::End,
        ),
        (
            "struct<a:int COMMENT x>",
            21,
            Expected::Comment,
            Found::Char('x'),
        ),
        (
            "struct<a:int COMMENT 'x>",
            24,
            Expected::ClosingQuote('\''),
            Found::End,
        ),
        ("struct<a:int NOT x>", 17, Expected::Null, Found::Char('x')),
        (
            "uniontype<int;string>",
            13,
            Expected::CommaOr('>'),
            Found::Char(';'),
        ),
        ("int>", 3, Expected::End, Found::Char('>')),
        ("decimal(10,2", 12, Expected::Char(')'), Found::End),
        ("int[x]", 4, Expected::ArrayDimension, Found::Char('x')),
        ("array<é>", 6, Expected::Type, Found::Char('é')),
        ("USER-DEFINED", 4, Expected::End, Found::Char('-')),
    ];
    for (input, offset, expected, found) in cases {
        let e = error(input);
        assert_eq!(
            e.kind,
            ErrorKind::Unexpected {
                expected: *expected,
                found: *found
            },
            "{input:?}: {e}"
        );
        assert_eq!(e.offset, *offset, "{input:?}: {e}");
    }
    assert_eq!(
        error("struct<a int").to_string(),
        "expected `,` or `>`, found end of input at offset 12"
    );
}

#[test]
fn values_openmetadata_would_reject_are_errors() {
    let e = error("decimal(2,5)");
    assert_eq!(
        e.kind,
        ErrorKind::ScaleExceedsPrecision {
            precision: 2,
            scale: 5
        }
    );
    let e = error("struct<a:int,b:int,a:string>");
    assert_eq!(e.kind, ErrorKind::DuplicateField { name: "a".into() });
    assert_eq!(e.offset, 19);
    // Names differing only in case are distinct, as on the server.
    assert!(map_type("struct<a:int,A:int>").is_ok());
    let many: Vec<String> = (0..100).map(|i| format!("f{i}:int")).collect();
    let e = error(&format!("struct<{},f42:int>", many.join(",")));
    assert_eq!(e.kind, ErrorKind::DuplicateField { name: "f42".into() });
    let e = error("struct<`a::b`:int>");
    assert_eq!(
        e.kind,
        ErrorKind::InvalidFieldName {
            name: "a::b".into()
        }
    );
    let e = error("varchar(2147483648)");
    assert_eq!((e.kind, e.offset), (ErrorKind::NumberOutOfRange, 8));
    assert_eq!(mapped("varchar(2147483647)").data_length, Some(i32::MAX));
}

#[test]
fn parse_or_unknown_keeps_the_raw_text() {
    let (m, e) = parse_or_unknown(" struct<a:int ");
    assert_eq!(
        to_json(&m),
        json!({"dataType": "UNKNOWN", "dataLength": 1, "dataTypeDisplay": "struct<a:int"})
    );
    assert_eq!(e.unwrap().offset, 14);
    let (m, e) = parse_or_unknown("array<string>");
    assert!(e.is_none());
    assert_eq!(m.data_type, T::Array);
}

fn nest(open: &str, inner: &str, close: &str, levels: usize) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let deepest = nest("array<", "int", ">", MAX_DEPTH);
    let node = parse(&deepest).unwrap();
    assert_eq!(node.height(), MAX_DEPTH);
    let mut m = &mapped(&deepest);
    let mut levels = 1;
    while let Some(children) = &m.children {
        m = &children[0].ty;
        levels += 1;
    }
    assert_eq!(levels, MAX_DEPTH);
    assert_eq!(m.array_data_type, Some(T::Int));
    let structs = nest("struct<a:", "int", ">", MAX_DEPTH);
    assert_eq!(parse(&structs).unwrap().height(), MAX_DEPTH);
    let pg = format!("int{}", "[]".repeat(MAX_DEPTH));
    assert_eq!(parse(&pg).unwrap().height(), MAX_DEPTH);
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_stack_overflow() {
    let too_deep = [
        nest("array<", "int", ">", MAX_DEPTH + 1),
        nest("array<", "int", ">", 10_000),
        "array<".repeat(10_000),
        nest("struct<a:", "int", ">", 10_000),
        nest("map<int,", "int", ">", 10_000),
        nest("uniontype<", "int", ">", 10_000),
        nest("row(a ", "int", ")", 10_000),
        format!("{}int{}", "array<".repeat(100), "[]".repeat(10_000)),
    ];
    for input in &too_deep {
        let e = error(input);
        assert_eq!(
            e.kind,
            ErrorKind::TooDeep { limit: MAX_DEPTH },
            "{}",
            &input[..40]
        );
        let (m, _) = parse_or_unknown(input);
        assert_eq!(m.data_type, T::Unknown);
    }
    // Opaque parameter lists nest without recursion and need no limit.
    let opaque = nest("set<", "int", ">", 100_000);
    assert_eq!(mapped(&opaque).data_type, T::Set);
    assert!(map_type(&"(".repeat(100_000)).is_err());
    assert!(map_type(&format!("enum{}", "(".repeat(100_000))).is_err());
}

#[test]
fn wide_types_parse() {
    // 3,000 fields, as in the largest Glue schemas reported.
    let fields: Vec<String> = (0..3000)
        .map(|i| format!("field_{i}:struct<a:int,b:array<string>>"))
        .collect();
    let input = format!("struct<{}>", fields.join(","));
    let m = mapped(&input);
    assert_eq!(children(&m).len(), 3000);
    assert_eq!(children(&m)[2999].name, "field_2999");
}

#[test]
fn display_is_canonical_and_parses_back() {
    let node = parse(
        "STRUCT < `My Col` : Array < INT > , b:map<string , uniontype<int,string>> COMMENT 'it\\'s',\
         c:int[] >",
    )
    .unwrap();
    let canonical = node.to_string();
    assert_eq!(
        canonical,
        "struct<`My Col`:array<INT>,b:map<string,uniontype<int,string>> COMMENT 'it\\'s',c:array<int>>"
    );
    assert_eq!(parse(&canonical).unwrap().to_string(), canonical);
}

#[test]
fn the_deepest_accepted_type_fits_a_small_thread_stack() {
    // Connectors run on runtime worker threads (2 MiB stacks). At the depth limit,
    // parsing alone needs about 32 KiB optimised; parsing, mapping, conversion to
    // the OpenMetadata column and drop together under 400 KiB optimised and under
    // 768 KiB unoptimised, so 1 MiB holds in any build.
    let input = nest("struct<a:map<string,", "int", ">>", MAX_DEPTH / 2);
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let node = parse(&input).unwrap();
            let column = map_type(&input).unwrap().into_om_column("c", None, Some(1));
            (node.height(), column.children.map(|c| c.len()))
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), (MAX_DEPTH, Some(1)));
}

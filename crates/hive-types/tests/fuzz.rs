//! Generated inputs: well-formed types with random spacing, case and names must parse
//! to the structure they were built from and survive a round trip through the
//! canonical spelling; mutated and random inputs must never panic, and whatever they
//! parse to must satisfy what the OpenMetadata server checks.
//!
//! A small deterministic generator instead of a property-testing crate: the seeds are
//! fixed, so a failure reproduces, and the test adds no dependencies.

use std::collections::HashSet;

use hive_types::{
    ErrorKind, MAX_DEPTH, MappedColumn, MappedType, OmDataType as T, map_type, parse,
    parse_or_unknown,
};

/// splitmix64: tiny, fast and good enough to drive a generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, X>(&mut self, items: &'a [X]) -> &'a X {
        &items[self.below(items.len())]
    }
}

/// What a generated type must map to (as a nested column).
struct Expect {
    data_type: T,
    array_data_type: Option<T>,
    data_length: Option<i32>,
    precision: Option<i32>,
    scale: Option<i32>,
    /// The generated text of this type: its `dataTypeDisplay`.
    text: String,
    children: Option<Vec<(String, Expect)>>,
}

const WHITESPACE: &[&str] = &["", "", "", " ", "  ", "\t", "\n ", " \r\n"];
/// Whitespace where at least one character is required.
const SOME_WHITESPACE: &[&str] = &[" ", " ", "  ", "\t", "\n"];

fn whitespace(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(WHITESPACE)
}

fn some_whitespace(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(SOME_WHITESPACE)
}

fn random_case(rng: &mut Rng, word: &str) -> String {
    match rng.below(4) {
        0 => word.to_ascii_uppercase(),
        1 => word
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        _ => word.to_owned(),
    }
}

/// A type with only its data type, text and children set.
fn node(data_type: T, text: String, children: Option<Vec<(String, Expect)>>) -> Expect {
    Expect {
        data_type,
        array_data_type: None,
        data_length: None,
        precision: None,
        scale: None,
        text,
        children,
    }
}

fn primitive(rng: &mut Rng) -> Expect {
    let leaf = |data_type, text| node(data_type, text, None);
    let words = |rng: &mut Rng, words: &[&str]| {
        let mut text = random_case(rng, words[0]);
        for word in &words[1..] {
            text.push_str(some_whitespace(rng));
            text.push_str(&random_case(rng, word));
        }
        text
    };
    match rng.below(20) {
        0 => {
            let n = 1 + rng.below(65535) as i32;
            let text = format!(
                "{}({}{n}{})",
                random_case(rng, "varchar"),
                whitespace(rng),
                whitespace(rng)
            );
            Expect {
                data_length: Some(n),
                ..leaf(T::Varchar, text)
            }
        }
        1 => {
            let n = 1 + rng.below(255) as i32;
            let text = format!("{}({n})", random_case(rng, "char"));
            Expect {
                data_length: Some(n),
                ..leaf(T::Char, text)
            }
        }
        2 => {
            let p = 1 + rng.below(38) as i32;
            let s = rng.below(p as usize + 1) as i32;
            let (a, b, c) = (whitespace(rng), whitespace(rng), whitespace(rng));
            let text = format!(
                "{}{a}({b}{p}{c},{}{s}{})",
                random_case(rng, "decimal"),
                whitespace(rng),
                whitespace(rng)
            );
            Expect {
                precision: Some(p),
                scale: Some(s),
                ..leaf(T::Decimal, text)
            }
        }
        3 => {
            let p = 1 + rng.below(38) as i32;
            Expect {
                precision: Some(p),
                ..leaf(T::Numeric, format!("numeric({p})"))
            }
        }
        4 => {
            let n = 1 + rng.below(64) as i32;
            Expect {
                data_length: Some(n),
                ..leaf(T::Fixed, format!("fixed[{n}]"))
            }
        }
        5 => leaf(
            T::TimestampZ,
            words(rng, &["timestamp", "with", "local", "time", "zone"]),
        ),
        6 => leaf(T::Double, words(rng, &["double", "precision"])),
        7 => leaf(
            T::Interval,
            words(rng, &["interval", "day", "to", "second"]),
        ),
        8 => leaf(
            T::Interval,
            words(rng, &["interval", "year", "to", "month"]),
        ),
        9 => Expect {
            data_length: Some(1),
            ..leaf(T::Binary, random_case(rng, "binary"))
        },
        _ => {
            let (name, data_type) = *rng.pick(&[
                ("int", T::Int),
                ("integer", T::Int),
                ("bigint", T::BigInt),
                ("smallint", T::SmallInt),
                ("tinyint", T::TinyInt),
                ("string", T::String),
                ("boolean", T::Boolean),
                ("date", T::Date),
                ("timestamp", T::Timestamp),
                ("timestamptz", T::TimestampZ),
                ("uuid", T::Uuid),
                ("long", T::Long),
                ("float", T::Float),
                ("double", T::Double),
                ("void", T::Null),
                ("short", T::SmallInt),
                ("decimal", T::Decimal),
            ]);
            leaf(data_type, random_case(rng, name))
        }
    }
}

/// A field name and how to write it; unique within its struct thanks to `index`.
fn field_name(rng: &mut Rng, index: usize) -> (String, String) {
    let name = match rng.below(6) {
        0 => format!("Field{index}"),
        1 => format!("my col {index}"),
        2 => format!("a.b-{index}"),
        3 => format!("tick`{index}"),
        4 => format!("名前{index}"),
        _ => format!("f{index}"),
    };
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let written = if plain && rng.chance(70) {
        name.clone()
    } else if !name.contains('`') && !name.contains('"') && rng.chance(30) && !plain {
        // Unquoted names with spaces and punctuation, as Glue writes them.
        name.clone()
    } else {
        format!("`{}`", name.replace('`', "``"))
    };
    (name, written)
}

fn generate(rng: &mut Rng, depth_left: usize) -> Expect {
    if depth_left == 0 || rng.chance(40) {
        return primitive(rng);
    }
    let (w1, w2, w3) = (whitespace(rng), whitespace(rng), whitespace(rng));
    match rng.below(4) {
        0 => {
            let element = generate(rng, depth_left - 1);
            let text = format!(
                "{}{w1}<{w2}{}{w3}>",
                random_case(rng, "array"),
                element.text
            );
            let element_type = element.data_type;
            let children = if element_type == T::Array {
                Some(vec![("element".to_owned(), element)])
            } else {
                element.children
            };
            Expect {
                array_data_type: Some(element_type),
                ..node(T::Array, text, children)
            }
        }
        1 => {
            let key = primitive(rng);
            let value = generate(rng, depth_left - 1);
            let text = format!(
                "{}{w1}<{w2}{}{},{}{}{w3}>",
                random_case(rng, "map"),
                key.text,
                whitespace(rng),
                whitespace(rng),
                value.text
            );
            let children = vec![("key".to_owned(), key), ("value".to_owned(), value)];
            node(T::Map, text, Some(children))
        }
        2 => {
            let count = rng.below(5);
            let mut text = format!("{}{w1}<{w2}", random_case(rng, "struct"));
            let mut children = Vec::new();
            for i in 0..count {
                if i > 0 {
                    text.push_str(whitespace(rng));
                    text.push(',');
                    text.push_str(whitespace(rng));
                }
                let (name, written) = field_name(rng, i);
                let ty = generate(rng, depth_left - 1);
                text.push_str(&written);
                text.push_str(whitespace(rng));
                text.push(':');
                text.push_str(whitespace(rng));
                text.push_str(&ty.text);
                children.push((name, ty));
            }
            text.push_str(w3);
            text.push('>');
            node(T::Struct, text, Some(children))
        }
        _ => {
            let count = 1 + rng.below(3);
            let mut text = format!("{}{w1}<", random_case(rng, "uniontype"));
            let mut children = Vec::new();
            for i in 0..count {
                if i > 0 {
                    text.push(',');
                }
                let member = generate(rng, depth_left - 1);
                text.push_str(whitespace(rng));
                text.push_str(&member.text);
                text.push_str(whitespace(rng));
                children.push((format!("field{i}"), member));
            }
            text.push('>');
            node(T::Union, text, Some(children))
        }
    }
}

fn check_nested(expect: &Expect, got: &MappedType, path: &str) {
    assert_eq!(got.data_type, expect.data_type, "{path}");
    assert_eq!(got.array_data_type, expect.array_data_type, "{path}");
    assert_eq!(got.data_length, expect.data_length, "{path}");
    assert_eq!(got.precision, expect.precision, "{path}");
    assert_eq!(got.scale, expect.scale, "{path}");
    assert_eq!(got.data_type_display, expect.text, "{path}");
    match (&expect.children, &got.children) {
        (None, None) => {}
        (Some(expected), Some(got)) => {
            assert_eq!(expected.len(), got.len(), "{path}");
            for ((name, child), column) in expected.iter().zip(got) {
                assert_eq!(&column.name, name, "{path}");
                check_nested(child, &column.ty, &format!("{path}.{name}"));
            }
        }
        (e, g) => panic!("{path}: children {:?} vs {:?}", e.is_some(), g.is_some()),
    }
}

/// The mapped tree without display texts, to compare two spellings of one type.
fn shape(m: &MappedType) -> String {
    let mut out = format!(
        "{}/{:?}/{:?}/{:?}/{:?}",
        m.data_type, m.array_data_type, m.data_length, m.precision, m.scale
    );
    if let Some(children) = &m.children {
        out.push('[');
        for child in children {
            out.push_str(&format!("{:?}:{};", child.name, shape(&child.ty)));
        }
        out.push(']');
    }
    out
}

/// What the OpenMetadata server checks on a column, applied to the whole tree.
fn assert_server_accepts(m: &MappedType, input: &str, depth: usize) {
    assert!(depth <= MAX_DEPTH + 1, "{input:?}: too deep");
    assert_eq!(
        m.array_data_type.is_some(),
        m.data_type == T::Array,
        "{input:?}: arrayDataType"
    );
    if m.data_type.requires_length() {
        assert!(m.data_length.is_some(), "{input:?}: dataLength");
    }
    if m.data_type == T::Struct {
        assert!(m.children.is_some(), "{input:?}: struct children");
    }
    if let Some(scale) = m.scale {
        let precision = m.precision.expect("scale without precision");
        assert!(scale <= precision, "{input:?}: scale > precision");
    }
    assert!(!m.data_type_display.is_empty(), "{input:?}: empty display");
    assert!(
        input.contains(&m.data_type_display),
        "{input:?}: display not from input"
    );
    if let Some(children) = &m.children {
        let mut seen = HashSet::new();
        for MappedColumn { name, ty, .. } in children {
            assert!(
                !name.is_empty() && !name.contains("::"),
                "{input:?}: name {name:?}"
            );
            assert!(seen.insert(name.as_str()), "{input:?}: repeated {name:?}");
            assert_server_accepts(ty, input, depth + 1);
        }
    }
}

/// Checks one arbitrary input; returns whether it parsed.
fn assert_handled(input: &str) -> bool {
    match map_type(input) {
        Ok(mapped) => {
            assert_server_accepts(&mapped, input, 1);
            let node = parse(input).expect("map_type parsed it");
            assert!(node.height() <= MAX_DEPTH);
            true
        }
        Err(error) => {
            assert!(error.offset <= input.len(), "{input:?}: {error}");
            assert!(input.is_char_boundary(error.offset), "{input:?}: {error}");
            assert!(!error.to_string().is_empty());
            let (unknown, reported) = parse_or_unknown(input);
            assert_eq!(unknown.data_type, T::Unknown);
            assert_eq!(unknown.data_type_display, input.trim_ascii());
            assert_eq!(reported, Some(error));
            false
        }
    }
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    ",",
    ":",
    "(",
    ")",
    "[",
    "]",
    "`",
    "'",
    "\"",
    " ",
    "\\",
    "array<",
    "struct<",
    "map<",
    "uniontype<",
    "row(",
    " COMMENT ",
    " NOT ",
    "NULL",
    "é",
    "日",
    "\u{0}",
    "1",
    "99",
    "2147483648",
    "::",
    "decimal(",
    "int",
    "a",
    "\u{feff}",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(4)).min(chars.len());
                let start = at.min(end);
                chars.drain(start..end);
            }
            1 if at < chars.len() => {
                let end = (at + rng.below(8)).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                let to = rng.below(chars.len() + 1);
                chars.splice(to..to, copy);
            }
            _ => {
                let token = rng.pick(TOKENS);
                chars.splice(at..at, token.chars());
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn generated_types_parse_to_what_they_were_built_from() {
    let mut rng = Rng(0x5EED_0001);
    for case in 0..30_000 {
        let depth = 1 + rng.below(6);
        let mut expect = generate(&mut rng, depth);
        // A top-level column gets dataLength 1 unless numeric, as upstream sends.
        if expect.data_length.is_none() && !expect.data_type.is_numeric_without_length() {
            expect.data_length = Some(1);
        }
        let input = format!(
            "{}{}{}",
            whitespace(&mut rng),
            expect.text,
            whitespace(&mut rng)
        );
        let mapped = map_type(&input).unwrap_or_else(|e| panic!("case {case} {input:?}: {e}"));
        check_nested(&expect, &mapped, &format!("case {case} {input:?}"));
        assert_server_accepts(&mapped, &input, 1);

        // Round trip through the canonical spelling.
        let canonical = parse(&input).unwrap().to_string();
        let again = parse(&canonical).unwrap_or_else(|e| panic!("{canonical:?}: {e}"));
        assert_eq!(again.to_string(), canonical);
        assert_eq!(
            shape(&map_type(&canonical).unwrap()),
            shape(&mapped),
            "{input:?}"
        );
    }
}

#[test]
fn deep_chains_stop_at_the_limit() {
    let mut rng = Rng(0x5EED_0002);
    for _ in 0..200 {
        let levels = MAX_DEPTH - 3 + rng.below(7);
        let mut input = String::from("int");
        for _ in 0..levels {
            input = match rng.below(4) {
                0 => format!("array<{input}>"),
                1 => format!("map<string,{input}>"),
                2 => format!("struct<x:{input}>"),
                _ => format!("uniontype<{input}>"),
            };
        }
        match map_type(&input) {
            Ok(mapped) => {
                assert!(levels <= MAX_DEPTH);
                assert_server_accepts(&mapped, &input, 1);
            }
            Err(e) => {
                assert!(levels > MAX_DEPTH, "{levels} levels: {e}");
                assert_eq!(e.kind, ErrorKind::TooDeep { limit: MAX_DEPTH });
            }
        }
    }
}

#[test]
fn mutated_types_never_panic() {
    let mut rng = Rng(0x5EED_0003);
    let mut parsed = 0;
    let cases = 60_000;
    for _ in 0..cases {
        let depth = 1 + rng.below(5);
        let expect = generate(&mut rng, depth);
        let input = mutate(&mut rng, &expect.text);
        parsed += usize::from(assert_handled(&input));
    }
    // Both outcomes must be well exercised for the checks above to mean anything.
    assert!(
        parsed > cases / 10 && parsed < cases * 9 / 10,
        "{parsed} of {cases} parsed"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5EED_0004);
    let alphabet = b"<>,:()[]`'\" \\abcdefgimnorstuy0123456789\xc3\xa9\xe6\x97\xa5\xff";
    for _ in 0..10_000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| *rng.pick(alphabet)).collect();
        let _ = assert_handled(&String::from_utf8_lossy(&bytes));
    }
}

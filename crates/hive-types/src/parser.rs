//! Recursive-descent parser from a type string to a [`TypeNode`] tree.
//!
//! One pass over the bytes, no backtracking beyond a bounded look-ahead for the
//! name/type separator of a struct field, and recursion only into containers, which
//! is limited to [`MAX_DEPTH`] levels. Primitives allocate nothing.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::data_type::OmDataType;
use crate::error::{ErrorKind, Expected, Found, ParseError};
use crate::keywords::{self, MAX_WORDS};

/// How deep containers (`array`, `map`, `struct`, `uniontype`, `[]`) may nest.
///
/// Deeper input is an error rather than a stack overflow. Real schemas stay far
/// below this; OpenMetadata's own parser is reported to handle 60 levels.
pub const MAX_DEPTH: usize = 128;

/// Struct size above which duplicate names are found with a hash set rather than by
/// comparing every pair.
const PAIRWISE_DUPLICATE_CHECK_MAX: usize = 16;

/// A parsed type and the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeNode<'a> {
    /// This type's text in the input, without surrounding whitespace, case and
    /// spacing as given.
    pub text: &'a str,
    /// Byte offset of `text` in the input.
    pub offset: usize,
    /// What the type is.
    pub kind: TypeKind<'a>,
}

/// The shape of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind<'a> {
    /// A type without nested types: `int`, `varchar(20)`, `decimal(10,2)`,
    /// `timestamp with local time zone`, `enum('a','b')`, ...
    Primitive(Primitive),
    /// `array<T>`, also written `array(T)` (Trino) or `T[]` (PostgreSQL).
    Array(Box<TypeNode<'a>>),
    /// `map<K,V>`, also written `map(K, V)`.
    Map(Box<MapType<'a>>),
    /// `struct<name:T,...>`, also `struct<name T>` (Spark DDL, BigQuery) and
    /// `row(name T, ...)` (Trino).
    Struct(Vec<StructField<'a>>),
    /// `uniontype<T,...>` (also `union<...>`).
    Union(Vec<TypeNode<'a>>),
}

/// A primitive type, already resolved to OpenMetadata's data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Primitive {
    /// The OpenMetadata type for the primitive's name (`UNKNOWN` for a name we do
    /// not know; that is not a parse error).
    pub data_type: OmDataType,
    /// The numbers in the first parameter list, e.g. `(10,2)`.
    pub params: Params,
}

/// The parameters of a primitive, e.g. the `(10,2)` of `decimal(10,2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// No parameter list.
    None,
    /// One number: a length (`varchar(20)`) or a precision (`decimal(10)`).
    One(i32),
    /// Two numbers: precision and scale.
    Two(i32, i32),
    /// A parameter list that is not one or two numbers (`enum('a','b')`,
    /// `varchar(max)`, `set<string>`); kept only in the text.
    Other,
}

/// The key and value types of a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapType<'a> {
    pub key: TypeNode<'a>,
    pub value: TypeNode<'a>,
}

/// One field of a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructField<'a> {
    /// The name with quoting removed; case and inner spaces kept.
    pub name: Cow<'a, str>,
    /// Byte offset of the name (or its opening quote) in the input.
    pub name_offset: usize,
    /// The field's type.
    pub ty: TypeNode<'a>,
    /// The field's `COMMENT '...'`, unescaped.
    pub comment: Option<Cow<'a, str>>,
    /// Whether the field was declared `NOT NULL`.
    pub not_null: bool,
}

impl TypeNode<'_> {
    /// How many container levels this type has: 0 for a primitive.
    pub fn height(&self) -> usize {
        match &self.kind {
            TypeKind::Primitive(_) => 0,
            TypeKind::Array(element) => 1 + element.height(),
            TypeKind::Map(map) => 1 + map.key.height().max(map.value.height()),
            TypeKind::Struct(fields) => 1 + fields.iter().map(|f| f.ty.height()).max().unwrap_or(0),
            TypeKind::Union(members) => 1 + members.iter().map(|m| m.height()).max().unwrap_or(0),
        }
    }

    /// The OpenMetadata type of this node itself: the primitive's type, or the
    /// container kind.
    pub fn data_type(&self) -> OmDataType {
        match &self.kind {
            TypeKind::Primitive(p) => p.data_type,
            TypeKind::Array(_) => OmDataType::Array,
            TypeKind::Map(_) => OmDataType::Map,
            TypeKind::Struct(_) => OmDataType::Struct,
            TypeKind::Union(_) => OmDataType::Union,
        }
    }
}

/// Canonical Hive spelling: containers as `array<...>`, `map<k,v>`,
/// `struct<name:type,...>`, `uniontype<...>` without spaces; primitives and field
/// names as written, names backticked when they are not plain identifiers. Parsing
/// the output gives the same tree.
impl fmt::Display for TypeNode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TypeKind::Primitive(_) => f.write_str(self.text),
            TypeKind::Array(element) => write!(f, "array<{element}>"),
            TypeKind::Map(map) => write!(f, "map<{},{}>", map.key, map.value),
            TypeKind::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_field_name(f, &field.name)?;
                    write!(f, ":{}", field.ty)?;
                    if field.not_null {
                        f.write_str(" NOT NULL")?;
                    }
                    if let Some(comment) = &field.comment {
                        f.write_str(" COMMENT '")?;
                        for c in comment.chars() {
                            if c == '\'' || c == '\\' {
                                f.write_str("\\")?;
                            }
                            write!(f, "{c}")?;
                        }
                        f.write_str("'")?;
                    }
                }
                f.write_str(">")
            }
            TypeKind::Union(members) => {
                f.write_str("uniontype<")?;
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{member}")?;
                }
                f.write_str(">")
            }
        }
    }
}

fn write_field_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let plain = name.bytes().next().is_some_and(is_word_start) && name.bytes().all(is_word_byte);
    if plain {
        return f.write_str(name);
    }
    f.write_str("`")?;
    f.write_str(&name.replace('`', "``"))?;
    f.write_str("`")
}

/// Parses a whole type string. Leading and trailing whitespace is ignored; anything
/// else after the type is an error.
pub fn parse(input: &str) -> Result<TypeNode<'_>, ParseError> {
    let mut parser = Parser {
        src: input,
        bytes: input.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let node = parser.parse_type(false)?;
    parser.skip_ws();
    if parser.pos < parser.bytes.len() {
        return Err(parser.unexpected(Expected::End));
    }
    Ok(node)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Containers currently open.
    depth: usize,
}

#[derive(Clone, Copy)]
enum Container {
    Array,
    Map,
    Struct,
    Union,
}

fn is_ws(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0x0b
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn closer(open: u8) -> u8 {
    if open == b'(' { b')' } else { b'>' }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    /// `src[start..end]`; every position the parser slices at follows an ASCII byte
    /// or is the start or end of the input, so this never falls inside a character.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or_default()
    }

    fn found(&self) -> Found {
        self.found_at(self.pos)
    }

    fn unexpected(&self, expected: Expected) -> ParseError {
        ParseError {
            offset: self.pos,
            kind: ErrorKind::Unexpected {
                expected,
                found: self.found(),
            },
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(Expected::Char(char::from(byte))))
        }
    }

    /// Opens one container level, failing past [`MAX_DEPTH`].
    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError {
                offset: at,
                kind: ErrorKind::TooDeep { limit: MAX_DEPTH },
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads an identifier-like word and returns its span.
    fn word(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if !self.peek().is_some_and(is_word_start) {
            return None;
        }
        self.pos += 1;
        while self.peek().is_some_and(is_word_byte) {
            self.pos += 1;
        }
        Some((start, self.pos))
    }

    /// Whether the keyword `kw` (lower case) starts at the current position as a
    /// whole word.
    fn at_keyword(&self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        self.bytes
            .get(self.pos..end)
            .is_some_and(|b| b.eq_ignore_ascii_case(kw.as_bytes()))
            && !self.bytes.get(end).copied().is_some_and(is_word_byte)
    }

    /// Parses one type. `in_field` is set for the type of a struct field, where the
    /// words `COMMENT` and `NOT` start field modifiers rather than continue the type.
    fn parse_type(&mut self, in_field: bool) -> Result<TypeNode<'a>, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let Some((word_start, word_end)) = self.word() else {
            return Err(self.unexpected(Expected::Type));
        };
        let word = self.slice(word_start, word_end);
        let after_word = self.pos;
        self.skip_ws();
        if let Some(open) = self.peek()
            && let Some(container) = container_kind(word, open)
        {
            return self.container(container, start, open);
        }
        self.pos = after_word;
        self.primitive(start, word, in_field)
    }

    fn container(
        &mut self,
        container: Container,
        start: usize,
        open: u8,
    ) -> Result<TypeNode<'a>, ParseError> {
        self.enter(start)?;
        let close = closer(open);
        self.pos += 1;
        let kind = match container {
            Container::Array => {
                let element = self.parse_type(false)?;
                self.skip_ws();
                self.expect(close)?;
                TypeKind::Array(Box::new(element))
            }
            Container::Map => {
                let key = self.parse_type(false)?;
                self.skip_ws();
                self.expect(b',')?;
                let value = self.parse_type(false)?;
                self.skip_ws();
                self.expect(close)?;
                TypeKind::Map(Box::new(MapType { key, value }))
            }
            Container::Struct => TypeKind::Struct(self.struct_body(close)?),
            Container::Union => {
                let mut members = vec![self.parse_type(false)?];
                while self.list_continues(close)? {
                    members.push(self.parse_type(false)?);
                }
                TypeKind::Union(members)
            }
        };
        self.depth -= 1;
        Ok(TypeNode {
            text: self.slice(start, self.pos),
            offset: start,
            kind,
        })
    }

    /// After an item of a comma-separated list: consumes `,` (more items follow) or
    /// `close` (the list ended).
    fn list_continues(&mut self, close: u8) -> Result<bool, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(Expected::CommaOr(char::from(close)))),
        }
    }

    /// The fields of a struct, after its opening bracket, through the closing one.
    fn struct_body(&mut self, close: u8) -> Result<Vec<StructField<'a>>, ParseError> {
        let mut fields = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(fields);
        }
        fields.push(self.field()?);
        while self.list_continues(close)? {
            fields.push(self.field()?);
        }
        check_unique_names(&fields)?;
        Ok(fields)
    }

    fn field(&mut self) -> Result<StructField<'a>, ParseError> {
        self.skip_ws();
        let name_offset = self.pos;
        let name = match self.peek() {
            Some(quote @ (b'`' | b'"')) => {
                let name = self.quoted(quote)?;
                self.skip_ws();
                if self.peek() == Some(b':') {
                    self.pos += 1;
                } else if !self.peek().is_some_and(is_word_start) {
                    return Err(self.unexpected(Expected::FieldSeparator));
                }
                name
            }
            _ => Cow::Borrowed(self.plain_field_name()?),
        };
        if name.is_empty() {
            return Err(ParseError {
                offset: name_offset,
                kind: ErrorKind::Unexpected {
                    expected: Expected::FieldName,
                    found: self.found_at(name_offset),
                },
            });
        }
        if name.contains("::") {
            return Err(ParseError {
                offset: name_offset,
                kind: ErrorKind::InvalidFieldName {
                    name: name.into_owned(),
                },
            });
        }
        let ty = self.parse_type(true)?;
        let mut comment = None;
        let mut not_null = false;
        loop {
            let before = self.pos;
            self.skip_ws();
            if self.at_keyword("not") {
                self.pos += 3;
                self.skip_ws();
                if !self.at_keyword("null") {
                    return Err(self.unexpected(Expected::Null));
                }
                self.pos += 4;
                not_null = true;
            } else if self.at_keyword("comment") {
                self.pos += 7;
                self.skip_ws();
                match self.peek() {
                    Some(quote @ (b'\'' | b'"')) => comment = Some(self.string_literal(quote)?),
                    _ => return Err(self.unexpected(Expected::Comment)),
                }
            } else {
                self.pos = before;
                break;
            }
        }
        Ok(StructField {
            name,
            name_offset,
            ty,
            comment,
            not_null,
        })
    }

    fn found_at(&self, offset: usize) -> Found {
        match self.src.get(offset..).and_then(|rest| rest.chars().next()) {
            Some(c) => Found::Char(c),
            None => Found::End,
        }
    }

    /// An unquoted field name. Glue writes names as they are, so a name may hold
    /// spaces, dots, dashes and even `:`; the name ends at the last `:` before the
    /// type's first bracket, comma or quote (a type never contains a `:` outside
    /// brackets). Without any `:` the field is `name type`, as Spark DDL and BigQuery
    /// write it, and the name is the first word.
    fn plain_field_name(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        let mut last_colon = None;
        for (i, &b) in self.bytes.iter().enumerate().skip(start) {
            match b {
                b':' => last_colon = Some(i),
                b'<' | b'>' | b'(' | b')' | b'[' | b']' | b',' | b'`' | b'"' | b'\'' => break,
                _ => {}
            }
        }
        if let Some(colon) = last_colon {
            self.pos = colon + 1;
            return Ok(self.slice(start, colon).trim_ascii_end());
        }
        while self
            .peek()
            .is_some_and(|b| !is_ws(b) && !b",<>()[]".contains(&b))
        {
            self.pos += 1;
        }
        let name = self.slice(start, self.pos);
        if !name.is_empty() && !self.peek().is_some_and(is_ws) {
            return Err(self.unexpected(Expected::FieldSeparator));
        }
        Ok(name)
    }

    /// A name in backticks or double quotes; a doubled quote stands for itself.
    fn quoted(&mut self, quote: u8) -> Result<Cow<'a, str>, ParseError> {
        self.pos += 1;
        let start = self.pos;
        let mut doubled = false;
        loop {
            match self.peek() {
                None => return Err(self.unexpected(Expected::ClosingQuote(char::from(quote)))),
                Some(b) if b == quote => {
                    if self.bytes.get(self.pos + 1) == Some(&quote) {
                        doubled = true;
                        self.pos += 2;
                    } else {
                        let raw = self.slice(start, self.pos);
                        self.pos += 1;
                        if !doubled {
                            return Ok(Cow::Borrowed(raw));
                        }
                        let q = char::from(quote);
                        return Ok(Cow::Owned(raw.replace(&format!("{q}{q}"), &q.to_string())));
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// A quoted string with backslash escapes, as in Hive's `COMMENT 'text'`.
    fn string_literal(&mut self, quote: u8) -> Result<Cow<'a, str>, ParseError> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err(self.unexpected(Expected::ClosingQuote(char::from(quote)))),
                Some(b'\\') => {
                    escaped = true;
                    // The escaped byte may be the first of a multi-byte character;
                    // stepping over the backslash alone keeps slicing on boundaries.
                    self.pos += 1;
                    if self.peek().is_some_and(|b| b == quote || b == b'\\') {
                        self.pos += 1;
                    }
                }
                Some(b) if b == quote => {
                    let raw = self.slice(start, self.pos);
                    self.pos += 1;
                    if !escaped {
                        return Ok(Cow::Borrowed(raw));
                    }
                    let mut text = String::with_capacity(raw.len());
                    let mut chars = raw.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            if let Some(next) = chars.next() {
                                text.push(next);
                            }
                        } else {
                            text.push(c);
                        }
                    }
                    return Ok(Cow::Owned(text));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// A primitive: one or more words, each optionally followed by a parameter
    /// list (`timestamp(3) with time zone`, `interval day(2) to second`), then
    /// optional PostgreSQL array brackets (`integer[]`).
    fn primitive(
        &mut self,
        start: usize,
        first: &'a str,
        in_field: bool,
    ) -> Result<TypeNode<'a>, ParseError> {
        let mut words = [""; MAX_WORDS];
        words[0] = first;
        let mut word_count = 1;
        let mut params = None;
        let mut end = self.pos;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'(') => {
                    let p = self.params(b'(', b')')?;
                    params.get_or_insert(p);
                }
                Some(b'<') if word_count == 1 && params.is_none() => {
                    // `set<string>` and similar: not a container we model.
                    self.skip_group(b'<', b'>')?;
                    params = Some(Params::Other);
                }
                Some(b'[')
                    if word_count == 1
                        && params.is_none()
                        && first.eq_ignore_ascii_case("fixed") =>
                {
                    // Iceberg writes `fixed[16]`.
                    params = Some(self.params(b'[', b']')?);
                }
                Some(b) if is_word_start(b) => {
                    if in_field && (self.at_keyword("comment") || self.at_keyword("not")) {
                        break;
                    }
                    let Some((s, e)) = self.word() else { break };
                    if let Some(slot) = words.get_mut(word_count) {
                        *slot = self.slice(s, e);
                    }
                    word_count += 1;
                }
                _ => break,
            }
            end = self.pos;
        }
        self.pos = end;
        let kept = word_count.min(MAX_WORDS);
        let data_type = keywords::primitive_type(&words[..kept], word_count);
        let params = params.unwrap_or(Params::None);
        if let Params::Two(precision, scale) = params
            && data_type.takes_precision_scale()
            && scale > precision
        {
            return Err(ParseError {
                offset: start,
                kind: ErrorKind::ScaleExceedsPrecision { precision, scale },
            });
        }
        let mut node = TypeNode {
            text: self.slice(start, end),
            offset: start,
            kind: TypeKind::Primitive(Primitive { data_type, params }),
        };
        // PostgreSQL arrays: `integer[]`, `text[][]`, `int[3]`.
        let mut dimensions = 0;
        loop {
            self.skip_ws();
            if self.peek() != Some(b'[') {
                break;
            }
            let bracket = self.pos;
            if self.depth + dimensions >= MAX_DEPTH {
                return Err(ParseError {
                    offset: bracket,
                    kind: ErrorKind::TooDeep { limit: MAX_DEPTH },
                });
            }
            self.pos += 1;
            self.skip_ws();
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            self.skip_ws();
            if self.peek() != Some(b']') {
                return Err(self.unexpected(Expected::ArrayDimension));
            }
            self.pos += 1;
            end = self.pos;
            dimensions += 1;
            node = TypeNode {
                text: self.slice(start, end),
                offset: start,
                kind: TypeKind::Array(Box::new(node)),
            };
        }
        self.pos = end;
        Ok(node)
    }

    /// A parameter list from `open` through its matching `close`. One or two
    /// integers become [`Params::One`] / [`Params::Two`]; anything else is skipped
    /// as balanced text and becomes [`Params::Other`].
    fn params(&mut self, open: u8, close: u8) -> Result<Params, ParseError> {
        let group_start = self.pos;
        self.pos += 1;
        let mut numbers = [0i32; 2];
        let mut count = 0;
        loop {
            self.skip_ws();
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                break;
            }
            let number_start = self.pos;
            let mut value: i64 = 0;
            while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
                value = value * 10 + i64::from(b - b'0');
                if value > i64::from(i32::MAX) {
                    return Err(ParseError {
                        offset: number_start,
                        kind: ErrorKind::NumberOutOfRange,
                    });
                }
                self.pos += 1;
            }
            if let Some(slot) = numbers.get_mut(count) {
                // Bounded by the check above.
                *slot = value as i32;
            }
            count += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(match count {
                        1 => Params::One(numbers[0]),
                        2 => Params::Two(numbers[0], numbers[1]),
                        _ => Params::Other,
                    });
                }
                _ => break,
            }
        }
        self.pos = group_start;
        self.skip_group(open, close)?;
        Ok(Params::Other)
    }

    /// Skips from `open` through its matching `close`, stepping over quoted strings.
    /// Iterative, so nesting depth costs no stack.
    fn skip_group(&mut self, open: u8, close: u8) -> Result<(), ParseError> {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            if b == b'\'' || b == b'"' {
                self.string_literal(b)?;
                continue;
            }
            if b == open {
                depth += 1;
            } else if b == close {
                depth -= 1;
                if depth == 0 {
                    self.pos += 1;
                    return Ok(());
                }
            }
            self.pos += 1;
        }
        Err(self.unexpected(Expected::Char(char::from(close))))
    }
}

fn container_kind(word: &str, open: u8) -> Option<Container> {
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    match open {
        b'<' | b'(' if is("array") => Some(Container::Array),
        b'<' | b'(' if is("map") => Some(Container::Map),
        b'<' | b'(' if is("struct") || is("row") => Some(Container::Struct),
        b'<' if is("uniontype") || is("union") => Some(Container::Union),
        _ => None,
    }
}

/// OpenMetadata rejects a whole table when two sibling columns share a name.
fn check_unique_names(fields: &[StructField<'_>]) -> Result<(), ParseError> {
    let duplicate = |field: &StructField<'_>| ParseError {
        offset: field.name_offset,
        kind: ErrorKind::DuplicateField {
            name: field.name.clone().into_owned(),
        },
    };
    if fields.len() <= PAIRWISE_DUPLICATE_CHECK_MAX {
        for (i, field) in fields.iter().enumerate() {
            if fields[..i].iter().any(|earlier| earlier.name == field.name) {
                return Err(duplicate(field));
            }
        }
        return Ok(());
    }
    let mut seen = HashSet::with_capacity(fields.len());
    for field in fields {
        if !seen.insert(field.name.as_ref()) {
            return Err(duplicate(field));
        }
    }
    Ok(())
}

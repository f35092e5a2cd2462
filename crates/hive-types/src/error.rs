//! Why a type string was rejected, and where.

use std::fmt;

/// A type string that could not be parsed, or that would make OpenMetadata reject
/// the column. `offset` is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at offset {offset}")]
pub struct ParseError {
    /// Byte offset into the type string where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a type string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The parser needed one thing and found another.
    #[error("expected {expected}, found {found}")]
    Unexpected { expected: Expected, found: Found },
    /// Containers nested deeper than [`crate::MAX_DEPTH`].
    #[error("types nested more than {limit} levels deep")]
    TooDeep { limit: usize },
    /// A length, precision or scale larger than OpenMetadata's 32-bit integers.
    #[error("number too large for a length, precision or scale")]
    NumberOutOfRange,
    /// `decimal(p,s)` with `s > p`: OpenMetadata rejects the whole table for it.
    #[error("scale {scale} is greater than precision {precision}")]
    ScaleExceedsPrecision { precision: i32, scale: i32 },
    /// Two struct fields with the same name: OpenMetadata rejects the whole table.
    #[error("struct field `{name}` appears more than once")]
    DuplicateField { name: String },
    /// A field name OpenMetadata does not accept as a column name.
    #[error("struct field name `{name}` contains `::`, which OpenMetadata does not allow")]
    InvalidFieldName { name: String },
}

/// What the parser was looking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The start of a type.
    Type,
    /// A struct field name.
    FieldName,
    /// `:` or whitespace between a field name and its type.
    FieldSeparator,
    /// One specific character, e.g. the `>` closing `array<`.
    Char(char),
    /// `,` or the given closing character.
    CommaOr(char),
    /// The quote (or backtick) that closes a quoted name or string.
    ClosingQuote(char),
    /// The quoted text after `COMMENT`.
    Comment,
    /// `NULL` after `NOT`.
    Null,
    /// Digits or `]` inside `[...]`.
    ArrayDimension,
    /// Nothing more: the type is complete.
    End,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Type => f.write_str("a type"),
            Expected::FieldName => f.write_str("a field name"),
            Expected::FieldSeparator => f.write_str("`:` and the field's type"),
            Expected::Char(c) => write!(f, "`{c}`"),
            Expected::CommaOr(c) => write!(f, "`,` or `{c}`"),
            Expected::ClosingQuote(c) => write!(f, "a closing {c}"),
            Expected::Comment => f.write_str("a quoted comment"),
            Expected::Null => f.write_str("NULL after NOT"),
            Expected::ArrayDimension => f.write_str("a number or `]`"),
            Expected::End => f.write_str("the end of the type"),
        }
    }
}

/// What the parser found instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The input ended.
    End,
    /// This character.
    Char(char),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::End => f.write_str("end of input"),
            Found::Char(c) => write!(f, "{c:?}"),
        }
    }
}

//! Hive/Glue column type strings, parsed in full and mapped to OpenMetadata's column
//! model.
//!
//! ```
//! use hive_types::{OmDataType, map_type};
//!
//! let column = map_type("array<struct<id:int,`Display Name`:varchar(20)>>").unwrap();
//! assert_eq!(column.data_type, OmDataType::Array);
//! assert_eq!(column.array_data_type, Some(OmDataType::Struct));
//! let fields = column.children.unwrap();
//! assert_eq!(fields[1].name, "Display Name");
//! assert_eq!(fields[1].ty.data_length, Some(20));
//! assert_eq!(fields[1].ty.data_type_display, "varchar(20)");
//! ```
//!
//! * [`parse`] gives the syntax tree ([`TypeNode`]), borrowing from the input.
//! * [`map_type`] parses and maps a top-level column's type ([`MappedType`]), with
//!   nested columns ([`MappedColumn`]) for struct fields, map keys and values, union
//!   members and array elements.
//! * [`parse_or_unknown`] never fails: an unparseable type becomes `UNKNOWN` with the
//!   raw text kept, and the [`ParseError`] (offset + what was expected) comes back
//!   for the caller's warning.
//! * [`MappedType::into_om_column`] turns the result into `om-spec`'s generated
//!   `Column`, and `From<OmDataType>` gives its `DataType`.
//!
//! No input panics, and nesting beyond [`MAX_DEPTH`] is an error rather than deep
//! recursion. Differences from OpenMetadata's own parser are listed in the crate's
//! README.

mod data_type;
mod error;
mod keywords;
mod mapping;
mod om;
mod parser;

pub use data_type::OmDataType;
pub use error::{ErrorKind, Expected, Found, ParseError};
pub use mapping::{MappedColumn, MappedType, map_type, parse_or_unknown};
pub use parser::{MAX_DEPTH, MapType, Params, Primitive, StructField, TypeKind, TypeNode, parse};

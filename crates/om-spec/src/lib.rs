//! OpenMetadata's types for omctl: generated from the JSON Schemas in spec/ (module
//! [`generated`]) plus hand-written helpers ([`Secret`], [`fqn`]).
//!
//! # Regenerating
//!
//! `cargo xtask codegen` rewrites `src/generated/` from `spec/`; never edit it by hand.
//! `cargo xtask codegen --check` (and the test `generated_code_is_fresh` in xtask) fails
//! when the committed code is stale.
//!
//! # Modules and names
//!
//! One module per schema file, mirroring spec/'s folders in snake_case:
//! `spec/api/data/createTable.json` is [`generated::api::data::create_table`], and
//! `spec/type/...` is `generated::r#type::...`. In a module:
//!
//! * the file's root type is named after its `title` (`CreateTableRequest`,
//!   `AWSCredentials`), else the last segment of `javaType`, else the file name;
//! * each definition after its key in UpperCamel (`column` -> `Column`, `dataType` ->
//!   `DataType`), as OpenMetadata's pydantic models name them;
//! * an inline object, enum or union after its property (`Incremental`,
//!   `OwnershipUpdateMode`; array items get `Item`), or `Parent` + property when that is
//!   taken; any remaining clash gets a number (`Name2`), in a fixed order.
//!
//! Fields are snake_case with the wire name in `#[serde(rename)]` (`r#type` for `type`).
//! Enum variants are the values in UpperCamel (`MEASURE HIDDEN` -> `MeasureHidden`,
//! `csv.gz` -> `CsvGz`, `1` -> `V1`, `""` -> `Empty`) and serialise as the exact value;
//! `as_str()` and `Display` give the value. `format: password` is [`Secret`].
//! `Box` appears only where a type contains itself other than through a `Vec` or map.
//!
//! A struct with required fields has `new(...)` taking them in the order of the spec's
//! `required` list and leaving the rest unset (`Column::new(name, DataType::Bigint)`); a
//! struct whose fields all have an empty or default value also implements `Default`.
//!
//! Clippy lints allowed in `generated` (and only there): `large_enum_variant` (union
//! members differ in size), `type_complexity` (maps of maps as the spec nests them),
//! `too_many_arguments` (`new` takes every required field) and `enum_variant_names`
//! (variants named after member types that share a suffix).
//!
//! # Strict where the user writes, lenient where the server writes
//!
//! Types reachable from `metadataIngestion/workflow.json` (the workflow file) are
//! *strict*:
//! * `additionalProperties: false` becomes `#[serde(deny_unknown_fields)]`, so a
//!   misspelt key is an error that names it;
//! * enums accept only the spec's values;
//! * a union (service connection, `sourceConfig.config`) picks its member by the `type`
//!   string and rejects an unknown one; without `type` the first member that accepts the
//!   value wins, as OpenMetadata's left-to-right unions do;
//! * a field that is not required but has a spec default is a plain `T` that the default
//!   fills in when the key is absent (`markDeletedTables` is `bool`, `true` if unset), so
//!   code reads one value and serialising shows what the run used. `impl Default` gives
//!   the same values.
//!
//! Every other type (entities, create requests, responses) is *lenient*, because a newer
//! server adds fields and enum values:
//! * unknown fields are ignored;
//! * enums have an extra `Unrecognized(String)` that keeps an unknown value and writes
//!   it back unchanged; unions have `Unrecognized(serde_json::Value)`;
//! * every field that is not required is `Option<T>`, with no default filled in and
//!   `None` left out when serialising, so a create request carries only what we set and
//!   the server applies its own defaults (sending `tags: []` or `default: false` on a
//!   PUT would overwrite what is on the server).
//!
//! A type reachable from both (e.g. `GlueConnection`: in the workflow file and in a
//! `DatabaseService` read from the server) is generated twice: the strict one at its
//! normal path, the lenient one in the file module's `lenient` submodule
//! (`glue_connection::lenient::GlueConnection`), which lenient types refer to. Types whose
//! code would be the same in both modes are generated once. To move a value from one
//! copy to the other, go through JSON ([`convert`]).
//!
//! Free-form maps (`additionalProperties: true` or a value schema, and the `".{1,}"`
//! pattern misuse) are `BTreeMap<String, serde_json::Value>` or a typed map; objects with
//! declared properties that also allow extra keys keep them in `additional_properties`.

pub(crate) mod de;
pub mod filter;
pub mod fqn;
// prettyplease formats the generated code; rustfmt would fight it and fail `codegen --check`.
#[rustfmt::skip]
pub mod generated;
pub mod secret;

pub use secret::Secret;

/// Re-types a value through its JSON form, e.g. a strict connection from the workflow file
/// into the lenient copy a create request holds.
pub fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned>(
    value: &A,
) -> Result<B, serde_json::Error> {
    serde_json::from_value(serde_json::to_value(value)?)
}

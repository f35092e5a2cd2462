//! Helpers the generated union types call to pick a member by its `type` string.

use serde::de::{DeserializeOwned, Error};
use serde_json::Value;

/// The string at `path` (`["type"]`, `["config", "type"]`) inside `value`, if any.
pub(crate) fn tag<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = value;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str()
}

/// Deserialises the chosen member. The error keeps the path inside the member
/// (`markDeletedTabels: unknown field ...`), which buffering through a `Value` would
/// otherwise lose.
pub(crate) fn branch<T: DeserializeOwned, E: Error>(value: Value) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            E::custom(e.into_inner())
        } else {
            E::custom(format_args!("{path}: {}", e.into_inner()))
        }
    })
}

/// The member if `value` is one (used when the tag is missing).
pub(crate) fn attempt<T: DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(value).ok()
}

pub(crate) fn missing_tag<E: Error>(path: &[&str], expected: &[&str]) -> E {
    E::custom(format_args!(
        "missing field `{}` (one of {}), and the value matches no member without it",
        path.join("."),
        expected
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

//! Names as OpenMetadata's Python ingestion stores them, so that entities made by
//! either tool are the same entities on the server.

/// OpenMetadata's longest table name from Glue: longer names are cut
/// (`standardize_table_name`).
pub const TABLE_NAME_MAX: usize = 128;

/// Column names are cut to this (`truncate_column_name`); the full name is kept as
/// `displayName`.
pub const COLUMN_NAME_MAX: usize = 256;

/// Character sequences that OpenMetadata's clients replace in table and column
/// names, because its FQN grammar and UI treat them specially.
const RESERVED: &[(&str, &str)] = &[
    ("::", "__reserved__colon__"),
    (">", "__reserved__arrow__"),
    ("\"", "__reserved__quote__"),
    ("\n", "__reserved__newline__"),
    ("\r", "__reserved__carriage_return__"),
    ("\t", "__reserved__tab__"),
];

/// The first `max` characters (not bytes) of `s`.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Replaces reserved sequences with OpenMetadata's tokens.
pub fn encode_reserved(name: &str) -> String {
    if !RESERVED.iter().any(|(from, _)| name.contains(from)) {
        return name.to_string();
    }
    let mut out = name.to_string();
    for (from, to) in RESERVED {
        out = out.replace(from, to);
    }
    out
}

/// The stored name of a Glue table: cut to [`TABLE_NAME_MAX`], then encoded.
pub fn table_name(raw: &str) -> String {
    encode_reserved(truncate_chars(raw, TABLE_NAME_MAX))
}

/// The stored name of a column or nested field: cut to [`COLUMN_NAME_MAX`], then
/// encoded.
pub fn column_name(raw: &str) -> String {
    encode_reserved(truncate_chars(raw, COLUMN_NAME_MAX))
}

/// An identifier for generated SQL: bare when it is a plain identifier, else in
/// double quotes with inner quotes doubled.
pub fn sql_identifier(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(table_name(&"v".repeat(200)), "v".repeat(128));
        assert_eq!(truncate_chars("ééé", 2), "éé");
        assert_eq!(
            column_name(&format!("{}_first", "a".repeat(256))),
            "a".repeat(256)
        );
    }

    #[test]
    fn reserved_sequences_are_encoded() {
        assert_eq!(table_name("odd\"name"), "odd__reserved__quote__name");
        assert_eq!(
            column_name("a::b>c\td"),
            "a__reserved__colon__b__reserved__arrow__c__reserved__tab__d"
        );
        assert_eq!(column_name("plain"), "plain");
    }

    #[test]
    fn sql_identifiers() {
        assert_eq!(sql_identifier("default"), "default");
        assert_eq!(sql_identifier("zipcode-db"), "\"zipcode-db\"");
        assert_eq!(sql_identifier("odd\"name"), "\"odd\"\"name\"");
        assert_eq!(sql_identifier("1abc"), "\"1abc\"");
    }
}

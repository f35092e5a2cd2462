//! Turning schema file names, property names and enum values into Rust identifiers.

/// Words of an identifier-ish string: split on anything that is not a letter or digit and
/// on case changes (`openMetadataJWTClientConfig` -> open, Metadata, JWT, Client, Config).
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && !cur.is_empty() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1).copied();
                let boundary = (c.is_ascii_uppercase()
                    && (prev.is_ascii_lowercase() || prev.is_ascii_digit()))
                    || (c.is_ascii_uppercase()
                        && prev.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase()));
                if boundary {
                    out.push(std::mem::take(&mut cur));
                }
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// `createTable` -> `create_table`, `endPointURL` -> `end_point_url`.
pub fn snake(s: &str) -> String {
    let w: Vec<String> = words(s)
        .into_iter()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let mut out = w.join("_");
    if out.is_empty() {
        out.push_str("empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Type names: keep the spelling of names that are already UpperCamel (`AWSCredentials`,
/// `VerifySSL`, as the pydantic models do) and only upper-case the first letter of each word
/// otherwise (`glueType` -> `GlueType`, `ssl-config` -> `SslConfig`).
pub fn type_name(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    fix_leading_digit(out)
}

/// Enum variant names from wire values: every word is capitalised and the rest lower-cased so
/// that all-caps values do not produce all-caps identifiers (`BIGINT` -> `Bigint`,
/// `MEASURE HIDDEN` -> `MeasureHidden`, `no-ssl` -> `NoSsl`, `1` -> `V1`, `` -> `Empty`).
pub fn variant_name(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() {
        return "Empty".to_owned();
    }
    fix_leading_digit(out)
}

fn fix_leading_digit(mut s: String) -> String {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    s
}

/// Rust keywords (2024 edition, strict and reserved) that need `r#` as identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers; they get a `_` suffix instead.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// How an identifier is written in Rust source: plain, raw (`r#type`) or suffixed (`self_`).
pub enum Ident {
    Plain(String),
    Raw(String),
}

pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::Plain(format!("{name}_"))
    } else if KEYWORDS.contains(&name) {
        Ident::Raw(name.to_owned())
    } else {
        Ident::Plain(name.to_owned())
    }
}

impl Ident {
    pub fn to_syn(&self) -> proc_macro2::Ident {
        match self {
            Ident::Plain(s) => proc_macro2::Ident::new(s, proc_macro2::Span::call_site()),
            Ident::Raw(s) => proc_macro2::Ident::new_raw(s, proc_macro2::Span::call_site()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_spec_names() {
        assert_eq!(snake("createTable"), "create_table");
        assert_eq!(
            snake("openMetadataJWTClientConfig"),
            "open_metadata_jwt_client_config"
        );
        assert_eq!(snake("dbtS3Config"), "dbt_s3_config");
        assert_eq!(snake("endPointURL"), "end_point_url");
        assert_eq!(snake("supportsDBTExtraction"), "supports_dbt_extraction");
        assert_eq!(snake("updated_records"), "updated_records");
        assert_eq!(snake("metadataIngestion"), "metadata_ingestion");
        assert_eq!(snake("type"), "type");
    }

    #[test]
    fn type_names_keep_upper_camel_spelling() {
        assert_eq!(type_name("AWSCredentials"), "AWSCredentials");
        assert_eq!(type_name("glueType"), "GlueType");
        assert_eq!(type_name("verifySSL"), "VerifySSL");
        assert_eq!(type_name("Custom Database"), "CustomDatabase");
        assert_eq!(type_name("dataType"), "DataType");
    }

    #[test]
    fn variant_names_of_awkward_values() {
        assert_eq!(variant_name("MEASURE HIDDEN"), "MeasureHidden");
        assert_eq!(variant_name("TIME-UNIT"), "TimeUnit");
        assert_eq!(variant_name("csv.gz"), "CsvGz");
        assert_eq!(variant_name("no-ssl"), "NoSsl");
        assert_eq!(variant_name("1"), "V1");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("DatabaseMetadata"), "DatabaseMetadata");
        assert_eq!(variant_name("BIGINT"), "Bigint");
        assert_eq!(variant_name("PG_LSN"), "PgLsn");
        assert_eq!(variant_name("mysql+pymysql"), "MysqlPymysql");
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert!(matches!(ident("type"), Ident::Raw(s) if s == "type"));
        assert!(matches!(ident("self"), Ident::Plain(s) if s == "self_"));
        assert!(matches!(ident("name"), Ident::Plain(s) if s == "name"));
    }
}

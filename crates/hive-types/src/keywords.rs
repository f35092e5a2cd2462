//! Primitive type names (one or more words, any case) to OpenMetadata data types.
//!
//! Covers Hive, Glue, Spark/Delta, Iceberg, Athena/Trino, and the warehouse spellings
//! that dbt catalogs carry (PostgreSQL, Redshift, Snowflake, BigQuery, MySQL). A name
//! that is none of these but is itself an OpenMetadata type name (`hllsketch`, `cidr`,
//! `geography`, ...) maps to that type; anything else is `UNKNOWN`.

use crate::data_type::OmDataType;

/// How many words of a primitive name are kept for matching. The longest name we
/// recognise is `timestamp with local time zone` plus sign modifiers.
pub(crate) const MAX_WORDS: usize = 8;

/// The OpenMetadata type for a primitive made of `words` (`word_count` words in the
/// input, of which at most [`MAX_WORDS`] are in `words`).
pub(crate) fn primitive_type(words: &[&str], word_count: usize) -> OmDataType {
    if word_count > words.len() {
        return OmDataType::Unknown;
    }
    let mut words = words;
    // MySQL's sign and zero-fill modifiers do not change the type family.
    while let [rest @ .., last] = words {
        if !rest.is_empty() && is_any(last, &["unsigned", "signed", "zerofill"]) {
            words = rest;
        } else {
            break;
        }
    }
    match words {
        [] => OmDataType::Unknown,
        [word] => single_word(word),
        [first, rest @ ..] => several_words(first, rest),
    }
}

fn single_word(word: &str) -> OmDataType {
    use OmDataType as T;
    let mut buf = [0u8; 24];
    let Some(lower) = buf.get_mut(..word.len()) else {
        return T::Unknown;
    };
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"tinyint" | b"byte" | b"int1" => T::TinyInt,
        b"smallint" | b"short" | b"int2" | b"smallserial" => T::SmallInt,
        b"int" | b"integer" | b"int4" | b"int32" | b"mediumint" | b"serial" => T::Int,
        b"bigint" | b"int8" | b"int64" | b"bigserial" => T::BigInt,
        b"long" => T::Long,
        b"float" | b"real" | b"float4" | b"float32" => T::Float,
        b"double" | b"float8" | b"float64" => T::Double,
        b"decimal" | b"dec" => T::Decimal,
        b"numeric" | b"bignumeric" | b"bigdecimal" => T::Numeric,
        b"number" => T::Number,
        b"string" => T::String,
        b"varchar" | b"varchar2" | b"nvarchar" | b"nvarchar2" => T::Varchar,
        b"char" | b"character" | b"nchar" | b"bpchar" => T::Char,
        b"text" | b"tinytext" | b"longtext" => T::Text,
        b"binary" => T::Binary,
        b"varbinary" => T::Varbinary,
        b"blob" | b"tinyblob" => T::Blob,
        b"boolean" | b"bool" => T::Boolean,
        b"date" => T::Date,
        b"datetime" | b"datetime2" | b"smalldatetime" => T::DateTime,
        b"time" | b"timetz" => T::Time,
        b"timestamp" | b"timestamp_ntz" | b"timestampntz" | b"timestamp_ns" => T::Timestamp,
        b"timestamptz" | b"timestamp_ltz" | b"timestamp_tz" | b"timestamptz_ns"
        | b"datetimeoffset" => T::TimestampZ,
        b"interval" => T::Interval,
        b"uuid" | b"uniqueidentifier" => T::Uuid,
        // OpenMetadata's own connectors map semi-structured types to JSON.
        b"json" | b"jsonb" | b"object" | b"variant" => T::Json,
        b"void" | b"null" => T::Null,
        b"enum" => T::Enum,
        b"set" => T::Set,
        b"fixed" => T::Fixed,
        b"record" | b"row" | b"struct" => T::Struct,
        b"array" => T::Array,
        b"map" => T::Map,
        b"union" | b"uniontype" => T::Union,
        _ => T::from_name(word).unwrap_or(T::Unknown),
    }
}

fn several_words(first: &str, rest: &[&str]) -> OmDataType {
    use OmDataType as T;
    let is = |word: &str, expected: &str| word.eq_ignore_ascii_case(expected);
    let rest_is = |expected: &[&str]| {
        rest.len() == expected.len() && rest.iter().zip(expected).all(|(w, e)| is(w, e))
    };
    if is(first, "interval") {
        let units = [
            "year", "years", "month", "months", "day", "days", "hour", "hours", "minute",
            "minutes", "second", "seconds", "to",
        ];
        return if rest.iter().all(|w| is_any(w, &units)) {
            T::Interval
        } else {
            T::Unknown
        };
    }
    let with_zone =
        rest_is(&["with", "time", "zone"]) || rest_is(&["with", "local", "time", "zone"]);
    let without_zone = rest_is(&["without", "time", "zone"]);
    if is(first, "timestamp") {
        if with_zone {
            return T::TimestampZ;
        }
        if without_zone {
            return T::Timestamp;
        }
    }
    if is(first, "time") && (with_zone || without_zone) {
        return T::Time;
    }
    if is(first, "double") && rest_is(&["precision"]) {
        return T::Double;
    }
    if is_any(first, &["character", "char", "nchar"]) && rest_is(&["varying"]) {
        return T::Varchar;
    }
    if is(first, "national") {
        if rest_is(&["character"]) || rest_is(&["char"]) {
            return T::Char;
        }
        if rest_is(&["character", "varying"]) || rest_is(&["char", "varying"]) {
            return T::Varchar;
        }
    }
    if is(first, "binary") && rest_is(&["varying"]) {
        return T::Varbinary;
    }
    if is(first, "bit") && rest_is(&["varying"]) {
        return T::Bit;
    }
    T::Unknown
}

fn is_any(word: &str, candidates: &[&str]) -> bool {
    candidates.iter().any(|c| word.eq_ignore_ascii_case(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use OmDataType as T;

    fn words(s: &str) -> OmDataType {
        let w: Vec<&str> = s.split_whitespace().collect();
        primitive_type(&w, w.len())
    }

    #[test]
    fn single_words_ignore_case() {
        assert_eq!(words("BIGINT"), T::BigInt);
        assert_eq!(words("Timestamp_NTZ"), T::Timestamp);
        assert_eq!(words("hllsketch"), T::HllSketch);
        assert_eq!(words("no_such_type"), T::Unknown);
        assert_eq!(words("a_type_name_longer_than_the_buffer"), T::Unknown);
    }

    #[test]
    fn multi_word_names() {
        assert_eq!(words("timestamp with local time zone"), T::TimestampZ);
        assert_eq!(words("TIMESTAMP WITH TIME ZONE"), T::TimestampZ);
        assert_eq!(words("timestamp without time zone"), T::Timestamp);
        assert_eq!(words("time with time zone"), T::Time);
        assert_eq!(words("double precision"), T::Double);
        assert_eq!(words("interval day to second"), T::Interval);
        assert_eq!(words("interval year to month"), T::Interval);
        assert_eq!(words("interval fortnight"), T::Unknown);
        assert_eq!(words("character varying"), T::Varchar);
        assert_eq!(words("national character varying"), T::Varchar);
        assert_eq!(words("bigint unsigned"), T::BigInt);
        assert_eq!(words("int unsigned zerofill"), T::Int);
        assert_eq!(words("unsigned"), T::Unknown);
        assert_eq!(words("double double"), T::Unknown);
    }

    #[test]
    fn too_many_words_is_unknown() {
        let w = ["interval"; MAX_WORDS];
        assert_eq!(primitive_type(&w, MAX_WORDS + 1), T::Unknown);
    }
}

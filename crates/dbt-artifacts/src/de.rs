//! Lenient field readers shared by the artifacts. dbt's versions (and dbt Fusion)
//! disagree on small things: `null` where a list or map was, one string where a
//! list of tags was, a number where a string was. These absorb that so one layout
//! reads them all.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// `meta`, test `kwargs`, `adapter_response`: free-form maps, small enough for
/// `serde_json`'s own representation.
pub type Meta = serde_json::Map<String, serde_json::Value>;

/// A value read from a string by `parse`, which takes any string (an enum with
/// an `Other` case).
pub(crate) fn via_str<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: fn(&str) -> T,
    what: &'static str,
) -> Result<T, D::Error> {
    struct V<T> {
        parse: fn(&str) -> T,
        what: &'static str,
    }
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.what)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok((self.parse)(v))
        }
    }
    d.deserialize_str(V { parse, what })
}

/// A missing or `null` value becomes the type's default.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list of strings, one string, or `null` (`config.tags` is any of these).
/// Non-string items are skipped rather than failing the whole artifact.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(vec![v])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(item) = seq.next_element::<LooseString>()? {
                if let Some(s) = item.0 {
                    out.push(s);
                }
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// A string, or a number or boolean written as one; `null` and anything else is
/// `None`. For fields whose type drifted (`message` was an integer in run_results
/// v1, a model `version` is `2` or `"2"`).
#[derive(Debug, Default)]
pub(crate) struct LooseString(pub Option<String>);

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseString, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<LooseString, E> {
                Ok(LooseString(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseString, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseString, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseString, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LooseString, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<LooseString, E> {
                Ok(LooseString(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseString, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseString(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseString, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LooseString(None))
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(LooseString::deserialize(d)?.0)
}

/// A non-negative count that may be `null`, a float (`4.0`) or a numeric string.
pub(crate) fn loose_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(LooseString::deserialize(d)?.0.and_then(|s| {
        s.parse::<u64>().ok().or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| *f >= 0.0)
                .map(|f| f as u64)
        })
    }))
}

/// A number that may be `null` or a numeric string.
pub(crate) fn loose_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(LooseString::deserialize(d)?
        .0
        .and_then(|s| s.parse::<f64>().ok()))
}

/// A JSON object read into `(key, value)` pairs in file order; `null` is empty.
/// Values never go through `serde_json::Value`.
pub(crate) struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, T>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `a` followed by the items of `b` not already in it (tags from a node and from
/// its config, which dbt versions fill differently).
pub(crate) fn union(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
    for item in b {
        if !a.contains(&item) {
            a.push(item);
        }
    }
    a
}

/// `meta` merged with `config.meta`: dbt-core fills both with the same content,
/// dbt Fusion (v20) only `config.meta`, dbt before 1.x only `meta`. The node's own
/// `meta` wins a conflict.
pub(crate) fn merge_meta(top: Meta, config: Meta) -> Meta {
    if config.is_empty() {
        return top;
    }
    if top.is_empty() {
        return config;
    }
    let mut merged = config;
    for (k, v) in top {
        merged.insert(k, v);
    }
    merged
}

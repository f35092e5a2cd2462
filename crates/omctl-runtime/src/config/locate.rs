//! Finds the line and column of a path (`source.serviceConnection.config.awsConfig`)
//! in a YAML or JSON text.
//!
//! The typed configuration is built from a rewritten tree (deprecated keys renamed),
//! so its errors know the path but not the position. This walks the original text
//! once more with the YAML parser and stops with an error at the node the path names;
//! the parser stamps that error with the node's position. Walking the real parser's
//! events (rather than searching the text) keeps flow style, JSON, anchors and
//! multi-line scalars right.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A 1-based position in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where `path` is in `text`: the key of its last step when that step is a map key
/// (so an unknown or mistyped key points at itself), otherwise the node. When the
/// path leaves the document (a missing key), the deepest node that exists.
pub fn locate(text: &str, path: &[Segment]) -> Option<Position> {
    let de = serde_yaml::Deserializer::from_str(text);
    match (Probe { path }).deserialize(de) {
        Ok(()) => None,
        Err(e) if e.to_string().contains(HIT) => e.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        }),
        Err(_) => None,
    }
}

/// The message of the error that marks the spot; never shown to a user.
const HIT: &str = "omctl-locate-hit";

fn hit<E: de::Error>() -> E {
    E::custom(HIT)
}

struct Probe<'p> {
    path: &'p [Segment],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ProbeVisitor { path: self.path })
    }
}

/// Walks the node at the current step; with nothing left of the path it fails on
/// any content, which marks the node itself.
struct ProbeVisitor<'p> {
    path: &'p [Segment],
}

macro_rules! scalar_hits {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<(), E> {
            Err(hit())
        })*
    };
}

impl<'de> Visitor<'de> for ProbeVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    scalar_hits!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(hit())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(hit())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        // A tagged node (`!Tag value`): the path does not go into tags.
        Err(hit())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Segment::Key(target), rest)) = self.path.split_first() else {
            return Err(hit());
        };
        while let Some(key) = map.next_key_seed(KeySeed {
            target,
            stop_at_key: rest.is_empty(),
        })? {
            if key {
                return map.next_value_seed(Probe { path: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        // The key is not there (a missing field): this map is the place.
        Err(hit())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Segment::Index(target), rest)) = self.path.split_first() else {
            return Err(hit());
        };
        let mut index = 0;
        loop {
            if index == *target {
                return match seq.next_element_seed(Probe { path: rest })? {
                    Some(()) => Ok(()),
                    None => Err(hit()),
                };
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(hit());
            }
            index += 1;
        }
    }
}

/// Reads one map key; says whether it is the one looked for, and fails on it (to mark
/// the key) when the path ends there.
struct KeySeed<'p> {
    target: &'p str,
    stop_at_key: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl KeySeed<'_> {
    fn check<E: de::Error>(&self, key: &str) -> Result<bool, E> {
        let found = key == self.target;
        if found && self.stop_at_key {
            return Err(hit());
        }
        Ok(found)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        self.check(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.check(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.check(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.check(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.check(&v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        self.check("null")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // A complex key is never a path step; skip it.
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    fn at(text: &str, path: &[Segment]) -> (usize, usize) {
        let p = locate(text, path).expect("located");
        (p.line, p.column)
    }

    const DOC: &str = "\
source:
  type: glue
  serviceConnection:
    config:
      awsConfig:
        awsRegion: x
        awsRegoin: y
  list:
    - a
    - {b: 1, c: [1, 2]}
sink: {type: file}
";

    #[test]
    fn keys_and_nodes() {
        assert_eq!(at(DOC, &[key("source"), key("type")]), (2, 3));
        let p = [
            key("source"),
            key("serviceConnection"),
            key("config"),
            key("awsConfig"),
            key("awsRegoin"),
        ];
        assert_eq!(at(DOC, &p), (7, 9));
        assert_eq!(
            at(
                DOC,
                &[key("source"), key("list"), Segment::Index(1), key("c")]
            ),
            (10, 14)
        );
        assert_eq!(
            at(DOC, &[key("source"), key("list"), Segment::Index(0)]),
            (9, 7)
        );
        assert_eq!(at(DOC, &[key("sink"), key("type")]), (11, 8));
    }

    #[test]
    fn a_missing_key_points_at_its_map() {
        let p = [
            key("source"),
            key("serviceConnection"),
            key("config"),
            key("awsConfig"),
            key("nope"),
            key("deeper"),
        ];
        assert_eq!(at(DOC, &p).0, 6);
        assert_eq!(at(DOC, &[key("workflowConfig")]).0, 1);
    }

    #[test]
    fn json_text() {
        let json = "{\n\t\"source\": {\n\t\t\"type\": \"glue\",\n\t\t\"n\": [1, 2]\n\t}\n}\n";
        assert_eq!(
            at(json, &[key("source"), key("n"), Segment::Index(1)]),
            (4, 12)
        );
        assert_eq!(at(json, &[key("source"), key("type")]).0, 3);
    }

    #[test]
    fn broken_text_gives_nothing() {
        assert_eq!(locate("a: [1\nb: 2\n", &[key("b")]), None);
    }
}

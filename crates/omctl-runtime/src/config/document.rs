//! A workflow file read into a tree: expanded, syntax-checked, deprecated keys
//! rewritten; it turns the tree into typed values and points at places in the file.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::deprecated::{self, Deprecation};
use super::error::{ConfigError, ConfigErrorKind, Place};
use super::expand::{self, Expanded};
use super::locate::{self, Segment};

/// A deprecated key that was accepted, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecationWarning {
    pub place: Place,
    /// The YAML path of the key as written.
    pub path: String,
    pub advice: String,
}

impl fmt::Display for DeprecationWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: `{}` is deprecated; {}",
            self.place, self.path, self.advice
        )
    }
}

/// The parsed workflow file. It holds the expanded text, which may contain secrets:
/// it is never shown, and `Debug` prints only the origin.
pub struct Document {
    origin: String,
    expanded: Expanded,
    tree: Value,
    /// (new path, old path) of renamed keys, to point at what the user wrote.
    renames: Vec<(Vec<Segment>, Vec<Segment>)>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Renders a path as `a.b[0].c`.
pub fn path_string(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    if s.is_empty() {
        s.push_str("(top level)");
    }
    s
}

impl Document {
    /// Expands variables (looked up with `env`), parses the text and rewrites
    /// deprecated keys. `origin` names the input in messages.
    pub fn parse(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Document, Vec<DeprecationWarning>), ConfigError> {
        let expanded = expand::expand(text, env).map_err(|issues| {
            ConfigError::from(ConfigErrorKind::Environment {
                origin: origin.to_string(),
                issues,
            })
        })?;
        let mut tree: Value = serde_yaml::from_str(&expanded.text).map_err(|e| {
            let (line, column) = match e.location() {
                Some(l) => {
                    let (line, column) = expanded.input_position(l.line(), l.column());
                    (Some(line), column)
                }
                None => (None, None),
            };
            ConfigError::from(ConfigErrorKind::Syntax {
                place: Place {
                    origin: origin.to_string(),
                    line,
                    column,
                },
                message: syntax_message(&e),
            })
        })?;
        // `<<: *defaults` merge keys, which YAML users share settings with.
        tree.apply_merge().map_err(|e| {
            ConfigError::from(ConfigErrorKind::Syntax {
                place: Place {
                    origin: origin.to_string(),
                    line: None,
                    column: None,
                },
                message: e.to_string(),
            })
        })?;
        if tree.is_null() {
            return Err(ConfigErrorKind::Syntax {
                place: Place {
                    origin: origin.to_string(),
                    line: None,
                    column: None,
                },
                message: "the file is empty".to_string(),
            }
            .into());
        }
        let rewrite = deprecated::rewrite(&mut tree);
        let mut doc = Document {
            origin: origin.to_string(),
            expanded,
            tree,
            renames: Vec::new(),
        };
        let found = match rewrite {
            Ok(found) => found,
            Err(conflict) => {
                return Err(doc.invalid(
                    &conflict.path,
                    format!(
                        "`{}` is deprecated and `{}` is also set",
                        conflict.key, conflict.replacement
                    ),
                    Some(format!("remove `{}`", conflict.key)),
                ));
            }
        };
        let warnings = found
            .iter()
            .map(|d: &Deprecation| DeprecationWarning {
                place: doc.place_of(&d.path),
                path: path_string(&d.path),
                advice: d.advice.clone(),
            })
            .collect();
        doc.renames = found
            .into_iter()
            .filter_map(|d| d.renamed_to.map(|to| (to, d.path)))
            .collect();
        Ok((doc, warnings))
    }

    /// The file name or `<stdin>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree after expansion and rewriting.
    pub fn tree(&self) -> &Value {
        &self.tree
    }

    /// Builds a typed value from the tree (or a part of it at `at`), turning a
    /// mismatch into an error with path and position.
    pub fn typed_at<T: DeserializeOwned>(&self, at: &[Segment]) -> Result<T, ConfigError> {
        let node = self.node(at).cloned().unwrap_or(Value::Null);
        self.typed_node(node, at)
    }

    /// Builds the whole workflow as `T` with the map entry at `left_out` removed
    /// (a section checked elsewhere).
    pub fn typed_without<T: DeserializeOwned>(
        &self,
        left_out: &[Segment],
    ) -> Result<T, ConfigError> {
        let mut tree = self.tree.clone();
        if let Some((Segment::Key(last), parent)) = left_out.split_last() {
            let mut node = Some(&mut tree);
            for seg in parent {
                node = node.and_then(|n| match seg {
                    Segment::Key(k) => n.get_mut(k.as_str()),
                    Segment::Index(i) => n.get_mut(*i),
                });
            }
            if let Some(map) = node.and_then(Value::as_mapping_mut) {
                map.remove(last.as_str());
            }
        }
        self.typed_node(tree, &[])
    }

    /// The node at `path`, if there is one.
    pub fn node(&self, path: &[Segment]) -> Option<&Value> {
        let mut node = &self.tree;
        for seg in path {
            node = match seg {
                Segment::Key(k) => node.get(k.as_str())?,
                Segment::Index(i) => node.get(*i)?,
            };
        }
        Some(node)
    }

    fn typed_node<T: DeserializeOwned>(
        &self,
        node: Value,
        at: &[Segment],
    ) -> Result<T, ConfigError> {
        serde_path_to_error::deserialize::<_, T>(node).map_err(|e| {
            let mut path: Vec<Segment> = at.to_vec();
            path.extend(e.path().iter().filter_map(|seg| match seg {
                serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            }));
            // Types that buffer (unions picked by `type`) put the path inside them
            // at the front of the message: move it into the path.
            let mut raw = e.inner().to_string();
            while let Some((inner, rest)) = split_path_prefix(&raw) {
                path.extend(inner);
                raw = rest;
            }
            let hint = unknown_field_hint(&raw);
            let place = self.place_of(&path);
            // A value that came from an environment variable may be a secret put
            // in the wrong place: hide it as if its key were a secret.
            let from_env = place.line.is_some() && place.column.is_none();
            let message = sanitize(&raw, from_env || path_holds_secret(&path));
            ConfigErrorKind::Invalid {
                place,
                path: path_string(&self.as_written(&path)),
                message,
                hint,
            }
            .into()
        })
    }

    /// Builds the whole workflow as `T`.
    pub fn typed<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.typed_at(&[])
    }

    /// Where `path` is in the file the user wrote.
    pub fn place_of(&self, path: &[Segment]) -> Place {
        let written = self.as_written(path);
        let (line, column) = match locate::locate(&self.expanded.text, &written) {
            Some(p) => {
                let (line, column) = self.expanded.input_position(p.line, p.column);
                (Some(line), column)
            }
            None => (None, None),
        };
        Place {
            origin: self.origin.clone(),
            line,
            column,
        }
    }

    /// An error about `path`, with its place in the file.
    pub fn invalid(
        &self,
        path: &[Segment],
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ConfigError {
        ConfigErrorKind::Invalid {
            place: self.place_of(path),
            path: path_string(&self.as_written(path)),
            message: message.into(),
            hint,
        }
        .into()
    }

    /// Maps a path through renamed keys back to the key the user wrote.
    fn as_written(&self, path: &[Segment]) -> Vec<Segment> {
        for (new, old) in &self.renames {
            if path.starts_with(new) {
                let mut p = old.clone();
                p.extend_from_slice(&path[new.len()..]);
                return p;
            }
        }
        path.to_vec()
    }
}

/// Splits `a.b[0].c: message` into the path and the message. The prefix must look
/// like a path (no spaces or backticks), so ordinary messages are left alone.
fn split_path_prefix(message: &str) -> Option<(Vec<Segment>, String)> {
    let (prefix, rest) = message.split_once(": ")?;
    if prefix.is_empty() || prefix.contains([' ', '`', '"']) {
        return None;
    }
    let mut path = Vec::new();
    for part in prefix.split('.') {
        let (key, mut indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            path.push(Segment::Key(key.to_string()));
        }
        while let Some(stripped) = indexes.strip_prefix('[') {
            let (n, after) = stripped.split_once(']')?;
            path.push(Segment::Index(n.parse().ok()?));
            indexes = after;
        }
        if !indexes.is_empty() {
            return None;
        }
    }
    Some((path, rest.to_string()))
}

/// The YAML parser's message without its own position suffix (we print our own,
/// mapped back through variable expansion).
fn syntax_message(e: &serde_yaml::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// Key names whose values are secrets. Matched case-insensitively as substrings of
/// the last keys of a path, which errs on the side of hiding.
const SECRET_KEY_PARTS: &[&str] = &[
    "secret",
    "password",
    "token",
    "privatekey",
    "apikey",
    "credential",
];

/// Whether a key's value may be a secret.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|p| lower.contains(p))
}

fn path_holds_secret(path: &[Segment]) -> bool {
    path.iter()
        .any(|s| matches!(s, Segment::Key(k) if is_secret_key(k)))
}

/// Removes values from a deserializer message. String values are always dropped
/// (a secret may sit where a map was expected: `securityConfig: <token>`); under a
/// secret key every quoted value is dropped.
pub fn sanitize(message: &str, secret: bool) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    // serde writes an unexpected string as `string "<debug-escaped value>"`.
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        let after = &rest[i + "string \"".len()..];
        let mut escaped = false;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = j + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if !secret {
        return out;
    }
    // Backticks quote values (`integer `5``, unknown variants) and names; under a
    // secret key, hide them all.
    let mut hidden = String::with_capacity(out.len());
    let mut inside = false;
    for c in out.chars() {
        if c == '`' {
            if !inside {
                hidden.push_str("(hidden)");
            }
            inside = !inside;
        } else if !inside {
            hidden.push(c);
        }
    }
    hidden
}

/// For `unknown field `x`, expected ...`, the closest expected name.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let (_, expected) = rest.split_once("expected")?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let best = candidates
        .iter()
        .map(|c| {
            (
                edit_distance(&unknown.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                *c,
            )
        })
        .min()?;
    let limit = (unknown.chars().count() / 3).clamp(1, 3);
    (best.0 <= limit).then(|| format!("did you mean `{}`?", best.1))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let substitution = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = substitution.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Aws {
        aws_region: String,
        #[allow(dead_code)]
        aws_secret_access_key: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Glue {
        #[allow(dead_code)]
        aws_config: Aws,
        database_name: Option<String>,
        #[serde(rename = "type")]
        #[allow(dead_code)]
        kind: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Conn {
        config: Glue,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Src {
        #[serde(rename = "type")]
        #[allow(dead_code)]
        kind: String,
        service_connection: Conn,
        #[allow(dead_code)]
        threads: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wf {
        source: Src,
    }

    fn env(name: &str) -> Option<String> {
        (name == "REGION").then(|| "eu-west-1".to_string())
    }

    fn parse(text: &str) -> Result<Wf, ConfigError> {
        let (doc, _) = Document::parse(text, "wf.yaml", env)?;
        doc.typed()
    }

    const GOOD: &str = "\
source:
  type: glue
  serviceConnection:
    config:
      awsConfig:
        awsRegion: $REGION
";

    #[test]
    fn a_good_file_parses_with_variables() {
        let wf = parse(GOOD).unwrap();
        assert_eq!(
            wf.source.service_connection.config.aws_config.aws_region,
            "eu-west-1"
        );
    }

    #[test]
    fn unknown_key_names_file_line_path_and_suggests() {
        let err = parse(&GOOD.replace("awsRegion: $REGION", "awsRegion: x\n        awsRegoin: y"))
            .unwrap_err();
        let msg = err.to_string();
        assert_eq!(
            err.path(),
            Some("source.serviceConnection.config.awsConfig.awsRegoin")
        );
        assert_eq!(err.line(), Some(7));
        assert!(msg.starts_with("wf.yaml:7:9: source.serviceConnection.config.awsConfig.awsRegoin: unknown field `awsRegoin`"), "{msg}");
        assert!(msg.contains("did you mean `awsRegion`?"), "{msg}");
        assert!(
            msg.contains("awsSecretAccessKey"),
            "expected keys listed: {msg}"
        );
    }

    #[test]
    fn wrong_type_and_missing_field() {
        let err =
            parse(&GOOD.replace("  type: glue\n", "  type: glue\n  threads: many\n")).unwrap_err();
        assert_eq!(err.path(), Some("source.threads"));
        assert_eq!(err.line(), Some(3));
        let msg = err.to_string();
        assert!(
            msg.contains("invalid type: a string, expected u32"),
            "{msg}"
        );
        assert!(!msg.contains("many"), "values are not echoed: {msg}");

        let err = parse(&GOOD.replace("        awsRegion: $REGION\n", "        {}\n")).unwrap_err();
        assert_eq!(
            err.path(),
            Some("source.serviceConnection.config.awsConfig")
        );
        assert!(
            err.to_string().contains("missing field `awsRegion`"),
            "{err}"
        );
        // The key of the incomplete map.
        assert_eq!(err.line(), Some(5));
    }

    #[test]
    fn secret_values_never_reach_messages() {
        let text = GOOD.to_string() + "        awsSecretAccessKey: [hunter2]\n";
        let msg = parse(&text).unwrap_err().to_string();
        assert!(msg.contains("awsSecretAccessKey"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let text = GOOD.to_string() + "        awsSecretAccessKey: 987654321\n";
        let msg = parse(&text).unwrap_err().to_string();
        assert!(!msg.contains("987654321"), "{msg}");
        // A secret where a map is expected.
        let text = GOOD.replace(
            "      awsConfig:\n        awsRegion: $REGION\n",
            "      awsConfig: sekrit-value\n",
        );
        let msg = parse(&text).unwrap_err().to_string();
        assert!(!msg.contains("sekrit-value"), "{msg}");
    }

    #[test]
    fn deprecated_key_is_accepted_with_a_warning_and_errors_point_at_it() {
        let text = GOOD.to_string() + "      database: cat\n";
        let (doc, warnings) = Document::parse(&text, "wf.yaml", env).unwrap();
        assert_eq!(warnings.len(), 1);
        let w = warnings[0].to_string();
        assert_eq!(warnings[0].place.line, Some(7));
        assert!(w.starts_with("wf.yaml:7:7: `source.serviceConnection.config.database` is deprecated; use `databaseName`"), "{w}");
        let wf: Wf = doc.typed().unwrap();
        assert_eq!(
            wf.source.service_connection.config.database_name.as_deref(),
            Some("cat")
        );

        // A wrong value under the renamed key is reported where the user wrote it.
        let text = GOOD.to_string() + "      database: [1]\n";
        let err = parse(&text).unwrap_err();
        assert_eq!(err.path(), Some("source.serviceConnection.config.database"));
        assert_eq!(err.line(), Some(7));
    }

    #[test]
    fn deprecated_and_new_key_together_is_an_error() {
        let text = GOOD.to_string() + "      database: cat\n      databaseName: db\n";
        let err = parse(&text).unwrap_err();
        assert_eq!(err.path(), Some("source.serviceConnection.config.database"));
        assert!(err.to_string().contains("remove `database`"), "{err}");
    }

    #[test]
    fn syntax_errors_and_unset_variables_have_lines() {
        let err = parse("source:\n  type: [glue\n").unwrap_err();
        assert!(
            matches!(err.kind(), ConfigErrorKind::Syntax { .. }),
            "{err:?}"
        );
        assert!(err.line().is_some(), "{err}");
        let err = parse(&GOOD.replace("$REGION", "${MISSING_REGION}")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("MISSING_REGION") && msg.contains("line 6"),
            "{msg}"
        );
        let err = parse("# only a comment\n").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn lines_follow_multi_line_variable_values() {
        let env = |n: &str| (n == "TWO_LINES").then(|| "a\n  b".to_string());
        let text = "source:\n  type: \"$TWO_LINES\"\n  threads: many\n";
        let (doc, _) = Document::parse(text, "wf.yaml", env).unwrap();
        let err = doc.typed::<Wf>().unwrap_err();
        assert_eq!(err.path(), Some("source.threads"), "{err}");
        assert_eq!(err.line(), Some(3), "{err}");
    }

    #[test]
    fn merge_keys_are_applied() {
        let text = "\
source:
  type: &t glue
  serviceConnection:
    config:
      awsConfig:
        <<: {awsRegion: eu-west-1}
";
        let wf = parse(text).unwrap();
        assert_eq!(
            wf.source.service_connection.config.aws_config.aws_region,
            "eu-west-1"
        );
    }

    #[test]
    fn json_input_works_too() {
        let text = r#"{"source": {"type": "glue", "serviceConnection": {"config": {"awsConfig": {"awsRegion": "x", "awsRegoin": 1}}}}}"#;
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.path(),
            Some("source.serviceConnection.config.awsConfig.awsRegoin")
        );
        assert_eq!(err.line(), Some(1));
    }

    #[test]
    fn values_from_the_environment_are_not_echoed() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        enum Level {
            #[serde(rename = "DEBUG")]
            Debug,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct L {
            level: Level,
        }
        let env = |n: &str| (n == "TOKEN").then(|| "tok-123456".to_string());
        let (doc, _) = Document::parse("level: $TOKEN\n", "wf.yaml", env).unwrap();
        let msg = doc.typed::<L>().unwrap_err().to_string();
        assert!(!msg.contains("tok-123456"), "{msg}");
        assert!(msg.contains("unknown variant"), "{msg}");
        // Written in the file: shown, it helps to spot a typo.
        let (doc, _) = Document::parse("level: DEBG\n", "wf.yaml", env).unwrap();
        let msg = doc.typed::<L>().unwrap_err().to_string();
        assert!(msg.contains("`DEBG`"), "{msg}");
    }

    #[test]
    fn sanitize_rules() {
        assert_eq!(
            sanitize(r#"invalid type: string "a \"q\" b", expected a map"#, false),
            "invalid type: a string, expected a map"
        );
        assert_eq!(
            sanitize("unknown variant `DEBG`, expected `DEBUG`", false),
            "unknown variant `DEBG`, expected `DEBUG`"
        );
        assert_eq!(
            sanitize("invalid type: integer `5`, expected a string", true),
            "invalid type: integer (hidden), expected a string"
        );
    }

    #[test]
    fn path_prefixes_from_buffered_types() {
        let (path, rest) = split_path_prefix("config.awsConfig[2].x: unknown field `x`").unwrap();
        assert_eq!(
            path,
            vec![key("config"), key("awsConfig"), Segment::Index(2), key("x")]
        );
        assert_eq!(rest, "unknown field `x`");
        assert_eq!(
            split_path_prefix("invalid type: map, expected a string"),
            None
        );
        assert_eq!(split_path_prefix("missing field `a`"), None);
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            unknown_field_hint("unknown field `awsregion`, expected `awsRegion` or `profileName`")
                .as_deref(),
            Some("did you mean `awsRegion`?")
        );
        assert_eq!(
            unknown_field_hint("unknown field `zzz`, expected `awsRegion`"),
            None
        );
        assert_eq!(
            unknown_field_hint("unknown field `x`, there are no fields"),
            None
        );
    }
}

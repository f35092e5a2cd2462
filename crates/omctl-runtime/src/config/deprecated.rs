//! Keys that older OpenMetadata releases accepted in a workflow file and the current
//! schema rejects. Workflow files written for those releases (and the docs that
//! still show them) must keep working, so such keys are rewritten before the file
//! is checked against the schema, each with a warning that says what to write
//! instead. A new rule is one more entry in [`RULES`].

use serde_yaml::{Mapping, Value};

use super::locate::Segment;

/// What to do with a deprecated key.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// The key was renamed; its value means what the new key means.
    Rename(&'static str),
    /// The key has no effect any more and is dropped.
    Drop,
}

/// A deprecated key inside `source.serviceConnection.config` of one connection type.
struct Rule {
    /// `serviceConnection.config.type` values the rule applies to.
    connection_types: &'static [&'static str],
    key: &'static str,
    action: Action,
    /// What the user should write instead, shown with the warning.
    advice: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        connection_types: &["Glue"],
        key: "database",
        action: Action::Rename("databaseName"),
        advice: "use `databaseName`, which names the OpenMetadata database that holds the Glue \
                 databases; to choose which Glue databases are read, use \
                 `sourceConfig.config.schemaFilterPattern`",
    },
    Rule {
        connection_types: &["Glue"],
        key: "storageServiceName",
        action: Action::Drop,
        advice: "remove it: tables are linked to storage containers found by path in any \
                 storage service",
    },
    Rule {
        connection_types: &["Glue", "GluePipeline"],
        key: "pipelineServiceName",
        action: Action::Drop,
        advice: "remove it: Glue jobs and workflows are read by their own workflow with \
                 `source.type: gluepipeline`, whose `serviceName` names the pipeline service",
    },
];

/// Which `source.type` implies which connection type when the connection omits
/// `type` (it defaults to the connector's own).
const DEFAULT_CONNECTION_TYPE: &[(&str, &str)] =
    &[("glue", "Glue"), ("gluepipeline", "GluePipeline")];

/// One deprecated key found and rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// Where the key was.
    pub path: Vec<Segment>,
    /// Where its value is now, for a renamed key.
    pub renamed_to: Option<Vec<Segment>>,
    /// The key as written.
    pub key: String,
    pub advice: String,
}

/// A deprecated key and its replacement are both set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecationConflict {
    pub path: Vec<Segment>,
    pub key: String,
    pub replacement: String,
}

fn connection_path() -> Vec<Segment> {
    ["source", "serviceConnection", "config"]
        .iter()
        .map(|k| Segment::Key((*k).to_string()))
        .collect()
}

fn get_map<'v>(v: &'v Value, key: &str) -> Option<&'v Mapping> {
    v.as_mapping()?.get(key)?.as_mapping()
}

/// Rewrites deprecated keys of `doc` in place and says what it did.
pub fn rewrite(doc: &mut Value) -> Result<Vec<Deprecation>, DeprecationConflict> {
    let source_type = get_map(doc, "source")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let Some(config) = doc
        .get_mut("source")
        .and_then(|s| s.get_mut("serviceConnection"))
        .and_then(|s| s.get_mut("config"))
        .and_then(Value::as_mapping_mut)
    else {
        return Ok(Vec::new());
    };
    let connection_type = match config.get("type").and_then(Value::as_str) {
        Some(t) => Some(t.to_string()),
        None => source_type.as_deref().and_then(|st| {
            DEFAULT_CONNECTION_TYPE
                .iter()
                .find(|(s, _)| *s == st)
                .map(|(_, c)| (*c).to_string())
        }),
    };
    let Some(connection_type) = connection_type else {
        return Ok(Vec::new());
    };

    let base = connection_path();
    let mut found = Vec::new();
    for rule in RULES
        .iter()
        .filter(|r| r.connection_types.contains(&connection_type.as_str()))
    {
        let Some(value) = config.get(rule.key).cloned() else {
            continue;
        };
        let mut path = base.clone();
        path.push(Segment::Key(rule.key.to_string()));
        let renamed_to = match rule.action {
            Action::Rename(new_key) => {
                if config.contains_key(new_key) {
                    return Err(DeprecationConflict {
                        path,
                        key: rule.key.to_string(),
                        replacement: new_key.to_string(),
                    });
                }
                config.insert(Value::String(new_key.to_string()), value);
                let mut to = base.clone();
                to.push(Segment::Key(new_key.to_string()));
                Some(to)
            }
            Action::Drop => None,
        };
        config.remove(rule.key);
        found.push(Deprecation {
            path,
            renamed_to,
            key: rule.key.to_string(),
            advice: rule.advice.to_string(),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    const OLD_GLUE: &str = "\
source:
  type: glue
  serviceName: local_glue
  serviceConnection:
    config:
      type: Glue
      awsConfig: {awsRegion: us-east-1}
      storageServiceName: s3
      pipelineServiceName: glue_pipelines
      database: my_catalog
";

    #[test]
    fn old_glue_keys_are_rewritten() {
        let mut d = doc(OLD_GLUE);
        let found = rewrite(&mut d).unwrap();
        let keys: Vec<_> = found.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            ["database", "storageServiceName", "pipelineServiceName"]
        );
        let config = &d["source"]["serviceConnection"]["config"];
        assert_eq!(config["databaseName"].as_str(), Some("my_catalog"));
        assert!(config.get("database").is_none());
        assert!(config.get("storageServiceName").is_none());
        assert!(config.get("pipelineServiceName").is_none());
        assert!(found[0].advice.contains("databaseName"));
        assert!(found[0].renamed_to.is_some() && found[1].renamed_to.is_none());
    }

    #[test]
    fn connection_type_defaults_from_source_type() {
        let mut d = doc(&OLD_GLUE.replace("      type: Glue\n", ""));
        assert_eq!(rewrite(&mut d).unwrap().len(), 3);
    }

    #[test]
    fn other_connectors_are_untouched() {
        let text = OLD_GLUE
            .replace("type: Glue", "type: Mysql")
            .replace("type: glue", "type: mysql");
        let mut d = doc(&text);
        let before = d.clone();
        assert!(rewrite(&mut d).unwrap().is_empty());
        assert_eq!(d, before);
    }

    #[test]
    fn old_and_new_key_together_is_a_conflict() {
        let mut d = doc(&format!("{OLD_GLUE}      databaseName: other\n"));
        let err = rewrite(&mut d).unwrap_err();
        assert_eq!(err.key, "database");
        assert_eq!(err.replacement, "databaseName");
    }

    #[test]
    fn current_files_are_left_alone() {
        let mut d = doc(
            "source:\n  type: glue\n  serviceConnection:\n    config:\n      databaseName: x\n",
        );
        let before = d.clone();
        assert!(rewrite(&mut d).unwrap().is_empty());
        assert_eq!(d, before);
    }
}

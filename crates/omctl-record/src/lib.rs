//! The records a connector emits and a sink consumes.
//!
//! This is the vocabulary that crosses the plugin boundary (as one JSON object per
//! line) and that every sink understands. Payloads that OpenMetadata defines (create
//! requests, pipeline statuses, lineage details) travel as JSON values: a connector
//! builds them from the typed `om-spec` structs, and a newer plugin can carry fields
//! that this host does not know yet.
//!
//! Compatibility: new record variants and new optional fields are additions. A host
//! that meets a record variant it does not know reports it as a failure of that one
//! record and goes on (see [`Record::from_line`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of an OpenMetadata entity, spelled as OpenMetadata spells entity types
/// (`entityReference.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    DatabaseService,
    Database,
    DatabaseSchema,
    Table,
    PipelineService,
    Pipeline,
    StorageService,
    Container,
    DashboardService,
    Dashboard,
    MlmodelService,
    #[serde(rename = "mlmodel")]
    MlModel,
    TestDefinition,
    TestSuite,
    TestCase,
    Classification,
    Tag,
}

impl EntityKind {
    /// The entity type string OpenMetadata uses in entity references.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::DatabaseService => "databaseService",
            EntityKind::Database => "database",
            EntityKind::DatabaseSchema => "databaseSchema",
            EntityKind::Table => "table",
            EntityKind::PipelineService => "pipelineService",
            EntityKind::Pipeline => "pipeline",
            EntityKind::StorageService => "storageService",
            EntityKind::Container => "container",
            EntityKind::DashboardService => "dashboardService",
            EntityKind::Dashboard => "dashboard",
            EntityKind::MlmodelService => "mlmodelService",
            EntityKind::MlModel => "mlmodel",
            EntityKind::TestDefinition => "testDefinition",
            EntityKind::TestSuite => "testSuite",
            EntityKind::TestCase => "testCase",
            EntityKind::Classification => "classification",
            EntityKind::Tag => "tag",
        }
    }

    /// Whether this kind is a service (the root of an FQN).
    pub fn is_service(self) -> bool {
        matches!(
            self,
            EntityKind::DatabaseService
                | EntityKind::PipelineService
                | EntityKind::StorageService
                | EntityKind::DashboardService
                | EntityKind::MlmodelService
        )
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entity named by kind and fully qualified name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub fqn: String,
}

impl EntityRef {
    pub fn new(kind: EntityKind, fqn: impl Into<String>) -> Self {
        EntityRef {
            kind,
            fqn: fqn.into(),
        }
    }
}

/// One thing a source found or has to say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "camelCase")]
pub enum Record {
    /// Create or update an entity. `request` is the OpenMetadata create request
    /// (`CreateTableRequest`...) for `kind`; `fqn` is the FQN the entity will have and
    /// `parent` the FQN of the entity it belongs to (none for a service). A service
    /// record carries no connection: the sink attaches the workflow's connection
    /// itself, so secrets never pass through records.
    #[serde(rename_all = "camelCase")]
    Entity {
        kind: EntityKind,
        fqn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        request: Value,
    },
    /// A run of a pipeline (`pipeline.json#/definitions/pipelineStatus`).
    #[serde(rename_all = "camelCase")]
    PipelineStatus { pipeline: String, status: Value },
    /// A lineage edge between two entities named by FQN. `details` is
    /// `entityLineage.json#/definitions/lineageDetails` with entity references
    /// (such as `pipeline`) given as `{"type": .., "fqn": ..}` for the sink to resolve.
    #[serde(rename_all = "camelCase")]
    Lineage {
        from: EntityRef,
        to: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<Value>,
    },
    /// The source has listed every entity of `kind` directly under `parent` without
    /// error. Only such scopes may have unseen entities marked deleted.
    #[serde(rename_all = "camelCase")]
    ScopeComplete { kind: EntityKind, parent: String },
    /// A warning, a failure or a filtered-out entity.
    Event(Event),
    /// Changes to an entity that already exists on the server, written by another
    /// workflow (the table a dbt model builds). `fqn` is spelled as the source
    /// knows it: the sink finds the entity case-insensitively, keeps the server's
    /// spelling, and reports an entity it cannot find as "not found" (a warning).
    /// Since interface 1.1.
    #[serde(rename_all = "camelCase")]
    Update {
        kind: EntityKind,
        fqn: String,
        update: EntityUpdate,
    },
    /// The result of one run of a test case (`testCase.json#/definitions/testCaseResult`
    /// without `testCaseFQN`). `test_case` is the FQN of an entity record of kind
    /// `testCase` sent earlier in this run, spelled as that record spelled it. A
    /// result with the same timestamp as one the server has is not sent again.
    /// Since interface 1.1.
    #[serde(rename_all = "camelCase")]
    TestCaseResult { test_case: String, result: Value },
    /// Remove the lineage edges into `to` whose `lineageDetails.source` is `source`
    /// (`overrideLineage`), before this run writes its own. Lineage records into
    /// `to` that come after this record wait until the removal is done, so a run
    /// never removes an edge it has written. Since interface 1.1.
    #[serde(rename_all = "camelCase")]
    LineageReset { to: EntityRef, source: String },
}

/// What to change on an existing entity ([`Record::Update`]). Every part is
/// optional; the sink sends only what differs from what the server holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityUpdate {
    /// A table's data model (`table.json#/definitions/dataModel`), written with
    /// `PUT /tables/{id}/dataModel`. Its `upstream` FQNs are spelled as the source
    /// knows them; the sink rewrites the ones it finds to the server's spelling and
    /// drops the others. `owners` is filled by the sink from [`EntityUpdate::owners`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_model: Option<Value>,
    /// The entity's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<TextUpdate>,
    /// Per-column changes, matched case-insensitively by column name (a nested
    /// column by its dotted path of names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnUpdate>,
    /// Owners by name: each is looked up as a team (of type `Group`), then as a
    /// user. Set when the entity has no owner, or always with `overwrite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<OwnersUpdate>,
    /// Tag labels (`tagLabel.json`: classification tags, tiers, glossary terms) to
    /// add; labels the entity has already are kept. A tier replaces the tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Value>,
}

impl EntityUpdate {
    /// Whether the update asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.data_model.is_none()
            && self.description.is_none()
            && self.columns.is_empty()
            && self.owners.is_none()
            && self.tags.is_empty()
    }
}

/// A text to set. Without `overwrite` it is set only where the server has none
/// (no description, or an empty one). An empty text is never written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextUpdate {
    pub text: String,
    #[serde(default)]
    pub overwrite: bool,
}

/// Changes to one column of an [`EntityUpdate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnUpdate {
    /// The column name; a nested column by the dotted path of its names.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<TextUpdate>,
    /// Tag labels to add to the column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Value>,
}

/// Owners named by the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnersUpdate {
    /// User or team names (or emails), as the source wrote them.
    pub names: Vec<String>,
    /// Replace the owners the entity has; without it, owners are set only on an
    /// entity that has none.
    #[serde(default)]
    pub overwrite: bool,
}

/// How serious an [`Event`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventLevel {
    /// Something was lost or degraded, but the entity was still produced.
    Warning,
    /// An entity (or a part of the source) could not be produced.
    Failure,
    /// An entity was left out on purpose by a filter or an include flag. A filtered
    /// entity is never marked deleted.
    Filtered,
}

/// A status event about one entity or step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub level: EventLevel,
    /// The entity the event is about, when it has a kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EntityKind>,
    /// The entity's FQN where it has one, otherwise its name or the step's name.
    pub name: String,
    /// One line that says what happened and, where it can, what to do.
    pub reason: String,
    /// Longer detail, such as an error chain or a stack trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Event {
    pub fn warning(
        kind: Option<EntityKind>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Event::new(EventLevel::Warning, kind, name, reason)
    }

    pub fn failure(
        kind: Option<EntityKind>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Event::new(EventLevel::Failure, kind, name, reason)
    }

    pub fn filtered(kind: EntityKind, fqn: impl Into<String>, reason: impl Into<String>) -> Self {
        Event::new(EventLevel::Filtered, Some(kind), fqn, reason)
    }

    pub fn new(
        level: EventLevel,
        kind: Option<EntityKind>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Event {
            level,
            kind,
            name: name.into(),
            reason: reason.into(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A record line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("record is not valid: {source} (line starts with {start:?})")]
pub struct DecodeError {
    #[source]
    pub source: serde_json::Error,
    /// The first characters of the line, for the message.
    pub start: String,
}

impl Record {
    /// Builds an entity record from a typed create request.
    pub fn entity<T: Serialize>(
        kind: EntityKind,
        fqn: impl Into<String>,
        parent: Option<String>,
        request: &T,
    ) -> Result<Record, serde_json::Error> {
        Ok(Record::Entity {
            kind,
            fqn: fqn.into(),
            parent,
            request: serde_json::to_value(request)?,
        })
    }

    /// Encodes the record as one line of JSON (no trailing newline).
    pub fn to_line(&self) -> String {
        // Serializing a tree of strings, numbers and maps cannot fail.
        serde_json::to_string(self).expect("a record always serializes")
    }

    /// Decodes one line of JSON.
    pub fn from_line(line: &str) -> Result<Record, DecodeError> {
        serde_json::from_str(line).map_err(|source| DecodeError {
            source,
            start: line.chars().take(80).collect(),
        })
    }

    /// The entity this record is about, for messages and counters.
    pub fn subject(&self) -> String {
        match self {
            Record::Entity { kind, fqn, .. } => format!("{kind} {fqn}"),
            Record::PipelineStatus { pipeline, .. } => format!("status of pipeline {pipeline}"),
            Record::Lineage { from, to, .. } => format!("lineage {} -> {}", from.fqn, to.fqn),
            Record::ScopeComplete { kind, parent } => format!("all {kind}s of {parent}"),
            Record::Event(e) => e.name.clone(),
            Record::Update { kind, fqn, .. } => format!("{kind} {fqn}"),
            Record::TestCaseResult { test_case, .. } => format!("result of test case {test_case}"),
            Record::LineageReset { to, source } => format!("{source} lineage into {}", to.fqn),
        }
    }
}

/// Encodes a batch as newline-separated records, the form that crosses the plugin
/// boundary.
pub fn encode_batch(records: &[Record]) -> String {
    let mut out = String::with_capacity(records.len() * 256);
    for r in records {
        out.push_str(&r.to_line());
        out.push('\n');
    }
    out
}

/// Decodes a newline-separated batch. Each line decodes on its own, so one bad
/// record does not lose the others.
pub fn decode_batch(batch: &str) -> impl Iterator<Item = Result<Record, DecodeError>> + '_ {
    batch
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Record::from_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entity_record_wire_shape() {
        let r = Record::Entity {
            kind: EntityKind::Table,
            fqn: "svc.db.sch.\"a.b\"".into(),
            parent: Some("svc.db.sch".into()),
            request: json!({"name": "a.b", "databaseSchema": "svc.db.sch", "columns": []}),
        };
        let line = r.to_line();
        assert_eq!(
            line,
            r#"{"record":"entity","kind":"table","fqn":"svc.db.sch.\"a.b\"","parent":"svc.db.sch","request":{"name":"a.b","databaseSchema":"svc.db.sch","columns":[]}}"#
        );
        assert_eq!(Record::from_line(&line).unwrap(), r);
    }

    #[test]
    fn batch_keeps_good_lines_around_a_bad_one() {
        let good = Record::ScopeComplete {
            kind: EntityKind::Table,
            parent: "svc.db.sch".into(),
        };
        let batch = format!(
            "{}\n{{\"record\":\"nope\"}}\n{}\n",
            good.to_line(),
            good.to_line()
        );
        let out: Vec<_> = decode_batch(&batch).collect();
        assert_eq!(out.len(), 3);
        assert!(out[0].is_ok() && out[1].is_err() && out[2].is_ok());
        let err = out[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn event_wire_shape() {
        let e = Record::Event(
            Event::filtered(
                EntityKind::Table,
                "svc.db.sch.t",
                "excluded by tableFilterPattern",
            )
            .with_detail("pattern ^t$"),
        );
        assert_eq!(
            e.to_line(),
            r#"{"record":"event","level":"filtered","kind":"table","name":"svc.db.sch.t","reason":"excluded by tableFilterPattern","detail":"pattern ^t$"}"#
        );
    }

    #[test]
    fn interface_1_1_records_wire_shape() {
        let update = Record::Update {
            kind: EntityKind::Table,
            fqn: "svc.awsdatacatalog.cafe.orders".into(),
            update: EntityUpdate {
                description: Some(TextUpdate {
                    text: "Orders".into(),
                    overwrite: false,
                }),
                columns: vec![ColumnUpdate {
                    name: "order_id".into(),
                    description: None,
                    tags: vec![json!({"tagFQN": "dbtTags.pii"})],
                }],
                owners: Some(OwnersUpdate {
                    names: vec!["ops-team".into()],
                    overwrite: true,
                }),
                ..EntityUpdate::default()
            },
        };
        assert_eq!(
            update.to_line(),
            r#"{"record":"update","kind":"table","fqn":"svc.awsdatacatalog.cafe.orders","update":{"description":{"text":"Orders","overwrite":false},"columns":[{"name":"order_id","tags":[{"tagFQN":"dbtTags.pii"}]}],"owners":{"names":["ops-team"],"overwrite":true}}}"#
        );
        assert_eq!(Record::from_line(&update.to_line()).unwrap(), update);
        let result = Record::TestCaseResult {
            test_case: "svc.db.sch.t.c.not_null_t_c".into(),
            result: json!({"timestamp": 1, "testCaseStatus": "Success"}),
        };
        assert_eq!(
            result.to_line(),
            r#"{"record":"testCaseResult","testCase":"svc.db.sch.t.c.not_null_t_c","result":{"timestamp":1,"testCaseStatus":"Success"}}"#
        );
        let reset = Record::LineageReset {
            to: EntityRef::new(EntityKind::Table, "svc.db.sch.t"),
            source: "DbtLineage".into(),
        };
        assert_eq!(
            reset.to_line(),
            r#"{"record":"lineageReset","to":{"kind":"table","fqn":"svc.db.sch.t"},"source":"DbtLineage"}"#
        );
        assert!(EntityUpdate::default().is_empty());
    }

    #[test]
    fn mlmodel_kind_spelling() {
        assert_eq!(
            serde_json::to_string(&EntityKind::MlModel).unwrap(),
            "\"mlmodel\""
        );
        assert_eq!(EntityKind::MlModel.as_str(), "mlmodel");
        assert_eq!(
            serde_json::to_string(&EntityKind::DatabaseSchema).unwrap(),
            format!("\"{}\"", EntityKind::DatabaseSchema.as_str())
        );
    }
}

pub mod sink;
pub mod status;

//! Changes to tables another workflow wrote ([`Record::Update`], what a dbt model
//! knows about the table it builds).
//!
//! Per table: find it ([`super::resolve`]), look its owners up by name, write the
//! data model with `PUT /tables/{id}/dataModel` when it differs from the stored one,
//! then send everything else as one JSON Patch computed from the table as the
//! server holds it after that write, with `If-Match` so that a concurrent change
//! is not overwritten (HTTP 412: read again, compute again). A table that already
//! has what the record asks for gets no write at all.
//!
//! [`Record::Update`]: omctl_record::Record::Update

use omctl_record::{EntityKind, EntityUpdate, OwnersUpdate, TextUpdate};
use serde_json::{Value, json};

use super::resolve::{column_indices, columns_of_nested};
use super::work::{Outcome, Shared, lock};
use crate::client::Include;
use crate::error::ClientError;

/// Patch attempts per table: the first and two after a 412.
const PATCH_ATTEMPTS: usize = 3;

/// An owner looked up by name: `{id, type, name}`, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FoundOwner {
    Found(Value),
    Missing(String),
}

/// The JSON Patch for one table and what it changes, in words.
#[derive(Debug, Default, PartialEq)]
struct PatchPlan {
    ops: Vec<Value>,
    /// "description", "2 column descriptions", "owners kai"...
    changes: Vec<String>,
    /// Columns the update names that the table does not have.
    unknown_columns: Vec<String>,
}

impl Shared {
    /// Runs one [`Record::Update`](omctl_record::Record::Update).
    pub(crate) async fn update(
        &self,
        kind: EntityKind,
        fqn: String,
        update: EntityUpdate,
    ) -> Outcome {
        let subject = format!("{kind} {fqn}");
        if kind != EntityKind::Table {
            lock(&self.summary).fail(
                subject,
                format!("updates of {kind} are not supported (only tables can be updated)"),
            );
            return Outcome::default();
        }
        match self.update_table(&fqn, &subject, &update).await {
            Ok(()) => Outcome::default(),
            Err(e) if e.is_fatal() => Outcome::fatal(e),
            Err(e) => {
                lock(&self.summary).fail(subject, e.to_string());
                Outcome::default()
            }
        }
    }

    async fn update_table(
        &self,
        fqn: &str,
        subject: &str,
        update: &EntityUpdate,
    ) -> Result<(), ClientError> {
        let Some(mut table) = self.find_table(fqn).await? else {
            self.table_not_found(fqn, subject);
            return Ok(());
        };
        let owners = match &update.owners {
            Some(o) => self.owners_named(o, subject).await?,
            None => Vec::new(),
        };
        let mut planned: Vec<String> = Vec::new();
        let mut changed = false;
        if let Some(model) = &update.data_model {
            let model = self.data_model_to_send(model, &owners).await?;
            if !is_subset(&model, &table.entity["dataModel"]) {
                planned.push("dataModel".to_string());
                if !self.dry_run {
                    let answer = self
                        .client
                        .put_data_model(&table.id, &table.fqn, &model)
                        .await?;
                    table = self.table_written(&table, &answer);
                    changed = true;
                }
            }
        }
        let mut attempt = 1;
        loop {
            let plan = plan_patch(&table.entity, update, &owners);
            if attempt == 1 {
                for column in &plan.unknown_columns {
                    lock(&self.summary).warn(
                        subject,
                        format!(
                            "table {} has no column {column}: its description and tags were not set",
                            table.fqn
                        ),
                    );
                }
                planned.extend(plan.changes.iter().cloned());
            }
            if plan.ops.is_empty() || self.dry_run {
                break;
            }
            let version = table.entity.get("version").map(Value::to_string);
            match self
                .client
                .patch_with_version(
                    EntityKind::Table,
                    &table.id,
                    &table.fqn,
                    &Value::Array(plan.ops),
                    version.as_deref(),
                )
                .await
            {
                Ok(answer) => {
                    table = self.table_written(&table, &answer);
                    changed = true;
                    break;
                }
                Err(e) if e.status() == Some(412) && attempt < PATCH_ATTEMPTS => {
                    attempt += 1;
                    tracing::debug!(
                        "table {} changed on the server meanwhile; reading it again",
                        table.fqn
                    );
                    match self.reread_table(&table).await? {
                        Some(t) => table = t,
                        None => {
                            lock(&self.summary).fail(
                                subject,
                                format!(
                                    "table {} was deleted on the server while it was being updated",
                                    table.fqn
                                ),
                            );
                            return Ok(());
                        }
                    }
                }
                Err(e) if e.status() == Some(412) => {
                    lock(&self.summary).fail(
                        subject,
                        format!(
                            "{e}; gave up after {PATCH_ATTEMPTS} attempts: table {} kept changing on the server",
                            table.fqn
                        ),
                    );
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let mut s = lock(&self.summary);
        s.records += 1;
        if self.dry_run {
            if !planned.is_empty() {
                tracing::info!(
                    "dry run: would set {} on table {}",
                    planned.join(", "),
                    table.fqn
                );
            }
        } else if changed {
            s.updated_records += 1;
            tracing::debug!("set {} on table {}", planned.join(", "), table.fqn);
        }
        Ok(())
    }

    /// The data model as it is sent: owners filled in, upstream FQNs in the
    /// server's spelling (the ones not found are left out).
    async fn data_model_to_send(
        &self,
        model: &Value,
        owners: &[Value],
    ) -> Result<Value, ClientError> {
        let mut model = model.clone();
        let Some(obj) = model.as_object_mut() else {
            return Ok(model);
        };
        if !owners.is_empty() {
            obj.insert("owners".to_string(), Value::Array(owners.to_vec()));
        }
        if let Some(Value::Array(upstream)) = obj.get("upstream") {
            let mut found = Vec::with_capacity(upstream.len());
            for name in upstream.iter().filter_map(Value::as_str) {
                match self.find_table(name).await? {
                    Some(t) => found.push(Value::String(t.fqn.clone())),
                    None => tracing::debug!("upstream table {name} is not on the server"),
                }
            }
            obj.insert("upstream".to_string(), Value::Array(found));
        }
        Ok(model)
    }

    /// The owners named in `wanted`, as `{id, type, name}`; a name that is no
    /// owner is a warning on `subject`.
    async fn owners_named(
        &self,
        wanted: &OwnersUpdate,
        subject: &str,
    ) -> Result<Vec<Value>, ClientError> {
        let mut out: Vec<Value> = Vec::new();
        for name in wanted
            .names
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
        {
            let found = self
                .owners
                .get_or_read(name, || self.look_up_owner(name))
                .await?;
            match found.as_ref() {
                FoundOwner::Found(r) => {
                    if !out.iter().any(|o| o["id"] == r["id"]) {
                        out.push(r.clone());
                    }
                }
                FoundOwner::Missing(why) => lock(&self.summary).warn(
                    subject,
                    format!("owner {name} of {subject} was not set: {why}"),
                ),
            }
        }
        Ok(out)
    }

    /// A team of type `Group` by that name, else a user by that name; for an
    /// email `a@b`, also the user `a` when its email is `a@b`.
    async fn look_up_owner(&self, name: &str) -> Result<FoundOwner, ClientError> {
        let read = |collection: &'static str, what: &'static str, n: String| async move {
            self.client
                .get_by_name_in(collection, what, &n, None, Include::NonDeleted)
                .await
        };
        let mut other_team_type = None;
        if let Some(team) = read("teams", "team", name.to_string()).await? {
            match team.get("teamType").and_then(Value::as_str) {
                Some("Group") => return Ok(owner_reference("team", &team)),
                other => other_team_type = Some(other.unwrap_or("unknown").to_string()),
            }
        }
        if let Some(user) = read("users", "user", name.to_string()).await? {
            return Ok(owner_reference("user", &user));
        }
        if let Some((local, _)) = name.split_once('@')
            && !local.is_empty()
            && let Some(user) = read("users", "user", local.to_string()).await?
            && user
                .get("email")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(name))
        {
            return Ok(owner_reference("user", &user));
        }
        Ok(FoundOwner::Missing(match other_team_type {
            Some(t) => format!(
                "{name} is a team of type {t} (only teams of type Group can own data assets) and no user has that name"
            ),
            None => format!("the server has no team or user named {name}"),
        }))
    }
}

fn owner_reference(kind: &str, entity: &Value) -> FoundOwner {
    match (entity.get("id"), entity.get("name")) {
        (Some(id), Some(name)) => FoundOwner::Found(json!({"id": id, "type": kind, "name": name})),
        _ => FoundOwner::Missing(format!("the server's {kind} has no id or name")),
    }
}

/// Whether `ours` is already in `stored`: every field we set has the same value
/// there (the server adds fields of its own, such as the names of references),
/// arrays element by element. A null of ours stands for "not set".
fn is_subset(ours: &Value, stored: &Value) -> bool {
    match (ours, stored) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| v.is_null() || b.get(k).is_some_and(|w| is_subset(v, w))),
        (Value::Object(a), Value::Null) => a.values().all(Value::is_null),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| is_subset(v, w))
        }
        (a, b) => a == b,
    }
}

/// The text to write over `current`, if any: never an empty one; over an existing
/// one only with `overwrite`.
fn text_to_set<'a>(current: Option<&Value>, wanted: &'a TextUpdate) -> Option<&'a str> {
    let text = wanted.text.as_str();
    let current = current.and_then(Value::as_str).unwrap_or_default();
    let settable = current.trim().is_empty() || wanted.overwrite;
    (!text.trim().is_empty() && settable && current != text).then_some(text)
}

fn tag_fqn(label: &Value) -> Option<&str> {
    label.get("tagFQN").and_then(Value::as_str)
}

fn is_tier(tag_fqn: &str) -> bool {
    tag_fqn.starts_with("Tier.")
}

/// `existing` with the labels of `ours` it lacks; a tier of ours replaces the
/// tier there. `None` when nothing is added.
fn merge_tags(existing: Option<&Value>, ours: &[Value]) -> Option<(Vec<Value>, Vec<String>)> {
    let mut out: Vec<Value> = existing
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut added = Vec::new();
    for label in ours {
        let Some(fqn) = tag_fqn(label) else { continue };
        if out.iter().any(|l| tag_fqn(l) == Some(fqn)) {
            continue;
        }
        if is_tier(fqn) {
            out.retain(|l| !tag_fqn(l).is_some_and(is_tier));
        }
        out.push(label.clone());
        added.push(fqn.to_string());
    }
    (!added.is_empty()).then_some((out, added))
}

/// The JSON pointer and value of the column named `name` (a nested one by the
/// dotted path of names) under `pointer`, matched ignoring case (the exact
/// spelling first).
fn find_column<'a>(columns: &'a Value, name: &str, pointer: &str) -> Option<(String, &'a Value)> {
    let mut level = columns.as_array()?.as_slice();
    let mut pointer = pointer.to_string();
    let mut found = None;
    for i in column_indices(level, name)? {
        if found.is_some() {
            pointer.push_str("/children");
        }
        pointer.push_str(&format!("/{i}"));
        found = Some(&level[i]);
        level = columns_of_nested(&level[i]);
    }
    Some((pointer, found?))
}

/// What to patch on `table` (as the server holds it) for `update`.
fn plan_patch(table: &Value, update: &EntityUpdate, owners: &[Value]) -> PatchPlan {
    let mut plan = PatchPlan::default();
    if let Some(text) = update
        .description
        .as_ref()
        .and_then(|d| text_to_set(table.get("description"), d))
    {
        plan.ops
            .push(json!({"op": "add", "path": "/description", "value": text}));
        plan.changes.push("description".to_string());
    }
    let (mut descriptions, mut tagged) = (0, 0);
    for column in &update.columns {
        let Some((pointer, current)) = find_column(&table["columns"], &column.name, "/columns")
        else {
            plan.unknown_columns.push(column.name.clone());
            continue;
        };
        if let Some(text) = column
            .description
            .as_ref()
            .and_then(|d| text_to_set(current.get("description"), d))
        {
            plan.ops.push(
                json!({"op": "add", "path": format!("{pointer}/description"), "value": text}),
            );
            descriptions += 1;
        }
        if let Some((tags, _)) = merge_tags(current.get("tags"), &column.tags) {
            plan.ops
                .push(json!({"op": "add", "path": format!("{pointer}/tags"), "value": tags}));
            tagged += 1;
        }
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if descriptions > 0 {
        plan.changes.push(format!(
            "{descriptions} column description{}",
            plural(descriptions)
        ));
    }
    if tagged > 0 {
        plan.changes
            .push(format!("tags of {tagged} column{}", plural(tagged)));
    }
    if let Some((tags, added)) = merge_tags(table.get("tags"), &update.tags) {
        plan.ops
            .push(json!({"op": "add", "path": "/tags", "value": tags}));
        plan.changes.push(format!("tags {}", added.join(", ")));
    }
    if let Some(wanted) = &update.owners
        && !owners.is_empty()
    {
        let current = table
            .get("owners")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let ids = |list: &[Value]| {
            let mut ids: Vec<String> = list.iter().map(|o| o["id"].to_string()).collect();
            ids.sort();
            ids
        };
        if (current.is_empty() || wanted.overwrite) && ids(&current) != ids(owners) {
            let refs: Vec<Value> = owners
                .iter()
                .map(|o| json!({"id": o["id"], "type": o["type"]}))
                .collect();
            plan.ops
                .push(json!({"op": "add", "path": "/owners", "value": refs}));
            let names: Vec<&str> = owners.iter().filter_map(|o| o["name"].as_str()).collect();
            plan.changes.push(format!("owners {}", names.join(", ")));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use omctl_record::ColumnUpdate;

    fn table() -> Value {
        json!({
            "description": "",
            "columns": [
                {"name": "id"},
                {"name": "a.b", "description": "dotted"},
                {"name": "Address", "children": [{"name": "Zip", "tags": [{"tagFQN": "pii.zip"}]}]}
            ],
            "tags": [{"tagFQN": "Tier.Tier3"}, {"tagFQN": "dbtTags.x"}],
            "owners": []
        })
    }

    #[test]
    fn columns_are_found_by_whole_name_then_by_dotted_path() {
        let t = table();
        assert_eq!(
            find_column(&t["columns"], "A.B", "/columns").unwrap().0,
            "/columns/1"
        );
        assert_eq!(
            find_column(&t["columns"], "address.zip", "/columns")
                .unwrap()
                .0,
            "/columns/2/children/0"
        );
        assert!(find_column(&t["columns"], "address.street", "/columns").is_none());
    }

    #[test]
    fn the_plan_says_what_it_changes() {
        let update = EntityUpdate {
            description: Some(TextUpdate {
                text: "T".into(),
                overwrite: false,
            }),
            columns: vec![
                ColumnUpdate {
                    name: "ID".into(),
                    description: Some(TextUpdate {
                        text: "key".into(),
                        overwrite: false,
                    }),
                    tags: vec![],
                },
                ColumnUpdate {
                    name: "a.b".into(),
                    description: Some(TextUpdate {
                        text: "new".into(),
                        overwrite: false,
                    }),
                    tags: vec![json!({"tagFQN": "pii.zip"})],
                },
                ColumnUpdate {
                    name: "address.zip".into(),
                    description: None,
                    tags: vec![json!({"tagFQN": "pii.zip"})],
                },
            ],
            owners: Some(OwnersUpdate {
                names: vec!["kai".into()],
                overwrite: false,
            }),
            tags: vec![
                json!({"tagFQN": "Tier.Tier1"}),
                json!({"tagFQN": "dbtTags.x"}),
            ],
            data_model: None,
        };
        let owners = [json!({"id": "u1", "type": "user", "name": "kai"})];
        let plan = plan_patch(&table(), &update, &owners);
        assert_eq!(
            plan.changes,
            [
                "description",
                "1 column description",
                "tags of 1 column",
                "tags Tier.Tier1",
                "owners kai"
            ]
        );
        assert_eq!(
            plan.ops,
            [
                json!({"op": "add", "path": "/description", "value": "T"}),
                json!({"op": "add", "path": "/columns/0/description", "value": "key"}),
                json!({"op": "add", "path": "/columns/1/tags", "value": [{"tagFQN": "pii.zip"}]}),
                json!({"op": "add", "path": "/tags", "value": [{"tagFQN": "dbtTags.x"}, {"tagFQN": "Tier.Tier1"}]}),
                json!({"op": "add", "path": "/owners", "value": [{"id": "u1", "type": "user"}]}),
            ]
        );
    }

    #[test]
    fn a_stored_model_with_server_fields_is_unchanged() {
        let ours =
            json!({"modelType": "DBT", "owners": [{"id": "u1", "type": "user"}], "sql": null});
        let stored =
            json!({"modelType": "DBT", "owners": [{"id": "u1", "type": "user", "name": "kai"}]});
        assert!(is_subset(&ours, &stored));
        assert!(!is_subset(
            &json!({"modelType": "DBT", "sql": "x"}),
            &stored
        ));
        assert!(!is_subset(&ours, &Value::Null));
    }
}

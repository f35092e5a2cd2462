//! dbt tags and `meta.openmetadata` labels: the classification and tags to
//! create, and the labels that go on tables and columns.

use std::collections::BTreeSet;

use dbt_artifacts::OpenMetadataMeta;
use om_spec::generated::api::classification::create_classification::CreateClassificationRequest;
use om_spec::generated::api::classification::create_tag::CreateTagRequest;
use om_spec::generated::r#type::tag_label::{TagLabel, TagSource};
use omctl_record::{EntityKind, Event, Record};

use crate::config::DbtConfig;
use crate::names::{dbt_tag_fqn, tag_label};

/// The dbt tags of a list that become tags: non-blank, not excluded by
/// `tagFilterPattern`, and only with `includeTags`.
pub fn kept_dbt_tags<'a>(cfg: &DbtConfig, tags: &'a [String]) -> Vec<&'a str> {
    if !cfg.pipeline.include_tags {
        return Vec::new();
    }
    tags.iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && !cfg.filters.tag.excludes(t))
        .collect()
}

/// Labels for dbt tags under `dbtClassificationName`.
pub fn dbt_tag_labels(cfg: &DbtConfig, tags: &[String]) -> Vec<TagLabel> {
    let classification = &cfg.pipeline.dbt_classification_name;
    let mut labels = Vec::new();
    for tag in kept_dbt_tags(cfg, tags) {
        if let Ok(fqn) = dbt_tag_fqn(classification, tag) {
            push_unique(&mut labels, tag_label(&fqn, TagSource::Classification));
        }
    }
    labels
}

/// Labels from `meta.openmetadata`: the tier and glossary terms always, the
/// classification tags only with `includeTags` (as OpenMetadata's own workflow).
pub fn meta_labels(cfg: &DbtConfig, meta: &OpenMetadataMeta<'_>) -> Vec<TagLabel> {
    let mut labels = Vec::new();
    if let Some(tier) = meta.tier {
        push_unique(&mut labels, tag_label(tier, TagSource::Classification));
    }
    for term in &meta.glossary_terms {
        push_unique(&mut labels, tag_label(term, TagSource::Glossary));
    }
    if cfg.pipeline.include_tags {
        for tag in &meta.tags {
            push_unique(&mut labels, tag_label(tag, TagSource::Classification));
        }
    }
    labels
}

/// Adds a label unless one with the same FQN is there.
pub fn push_unique(labels: &mut Vec<TagLabel>, label: TagLabel) {
    if !labels.iter().any(|l| l.tag_fqn == label.tag_fqn) {
        labels.push(label);
    }
}

/// The classification, then one tag per distinct dbt tag (sorted), as entity
/// records. A tag whose name cannot be part of an FQN is a warning.
pub fn tag_records(cfg: &DbtConfig, tags: &BTreeSet<&str>, events: &mut Vec<Event>) -> Vec<Record> {
    if tags.is_empty() {
        return Vec::new();
    }
    let classification = cfg.pipeline.dbt_classification_name.as_str();
    let Ok(classification_fqn) = om_spec::fqn::build(&[classification]) else {
        events.push(Event::warning(
            Some(EntityKind::Classification),
            classification,
            "dbtClassificationName is not a valid OpenMetadata name (it may not contain `\"`); \
             no dbt tags are created",
        ));
        return Vec::new();
    };
    let mut records = Vec::with_capacity(tags.len() + 1);
    let request = CreateClassificationRequest::new(
        classification.to_string(),
        "Tags from dbt: the `tags` of models, sources, seeds, snapshots and their columns."
            .to_string(),
    );
    records.extend(
        Record::entity(
            EntityKind::Classification,
            classification_fqn.clone(),
            None,
            &request,
        )
        .ok(),
    );
    for &tag in tags {
        let Ok(fqn) = dbt_tag_fqn(classification, tag) else {
            events.push(Event::warning(
                Some(EntityKind::Tag),
                tag,
                "this dbt tag cannot be an OpenMetadata tag name (it contains `\"`); it is left out",
            ));
            continue;
        };
        let mut request = CreateTagRequest::new(tag.to_string(), format!("The dbt tag `{tag}`."));
        request.classification = Some(classification_fqn.clone());
        records.extend(
            Record::entity(
                EntityKind::Tag,
                fqn,
                Some(classification_fqn.clone()),
                &request,
            )
            .ok(),
        );
    }
    records
}

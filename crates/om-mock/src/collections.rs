//! The entity collections the emulator serves and how each one names its parent.

/// How an entity of a collection finds its parent, which gives it its FQN.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ParentRule {
    /// A root entity: its FQN is its quoted name.
    Root,
    /// The request names the parent's FQN in `field`; the parent lives in one of
    /// `collections`.
    Field {
        field: &'static str,
        collections: &'static [&'static str],
    },
    /// The request names its service by entity reference (`{"id", "type"}`), as
    /// `CreateIngestionPipelineRequest` does.
    ServiceReference,
    /// The request names the entity it tests with an entity link
    /// (`<#E::table::svc.db.sch.t::columns::col>`), as `CreateTestCaseRequest` does.
    EntityLink,
}

/// One collection: its path under `/api/v1/`, the entity type it holds and its
/// parent rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Collection {
    pub path: &'static str,
    pub entity_type: &'static str,
    pub parent: ParentRule,
}

pub(crate) const SERVICE_COLLECTIONS: &[&str] = &[
    "services/databaseServices",
    "services/pipelineServices",
    "services/storageServices",
    "services/dashboardServices",
    "services/messagingServices",
    "services/mlmodelServices",
    "services/metadataServices",
    "services/searchServices",
    "services/apiServices",
];

const fn root(path: &'static str, entity_type: &'static str) -> Collection {
    Collection {
        path,
        entity_type,
        parent: ParentRule::Root,
    }
}

const fn child(
    path: &'static str,
    entity_type: &'static str,
    field: &'static str,
    collections: &'static [&'static str],
) -> Collection {
    Collection {
        path,
        entity_type,
        parent: ParentRule::Field { field, collections },
    }
}

pub(crate) const COLLECTIONS: &[Collection] = &[
    root("services/databaseServices", "databaseService"),
    root("services/pipelineServices", "pipelineService"),
    root("services/storageServices", "storageService"),
    root("services/dashboardServices", "dashboardService"),
    root("services/messagingServices", "messagingService"),
    root("services/mlmodelServices", "mlmodelService"),
    root("services/metadataServices", "metadataService"),
    root("services/searchServices", "searchService"),
    root("services/apiServices", "apiService"),
    child(
        "databases",
        "database",
        "service",
        &["services/databaseServices"],
    ),
    child(
        "databaseSchemas",
        "databaseSchema",
        "database",
        &["databases"],
    ),
    child("tables", "table", "databaseSchema", &["databaseSchemas"]),
    child(
        "storedProcedures",
        "storedProcedure",
        "databaseSchema",
        &["databaseSchemas"],
    ),
    child(
        "pipelines",
        "pipeline",
        "service",
        &["services/pipelineServices"],
    ),
    child(
        "containers",
        "container",
        "service",
        &["services/storageServices"],
    ),
    child(
        "dashboards",
        "dashboard",
        "service",
        &["services/dashboardServices"],
    ),
    child(
        "charts",
        "chart",
        "service",
        &["services/dashboardServices"],
    ),
    child(
        "dashboard/datamodels",
        "dashboardDataModel",
        "service",
        &["services/dashboardServices"],
    ),
    child(
        "topics",
        "topic",
        "service",
        &["services/messagingServices"],
    ),
    child(
        "mlmodels",
        "mlmodel",
        "service",
        &["services/mlmodelServices"],
    ),
    Collection {
        path: "services/ingestionPipelines",
        entity_type: "ingestionPipeline",
        parent: ParentRule::ServiceReference,
    },
    root("users", "user"),
    root("teams", "team"),
    root("classifications", "classification"),
    child("tags", "tag", "classification", &["classifications"]),
    root("dataQuality/testDefinitions", "testDefinition"),
    root("dataQuality/testSuites", "testSuite"),
    Collection {
        path: "dataQuality/testCases",
        entity_type: "testCase",
        parent: ParentRule::EntityLink,
    },
];

/// Finds the collection that `segments` (the path after `/api/v1/`) starts with,
/// and how many segments it takes. Two-segment collections are tried first so that
/// `services/databaseServices` wins over a one-segment name.
pub(crate) fn match_collection(segments: &[&str]) -> Option<(&'static Collection, usize)> {
    if segments.len() >= 2 {
        let two = format!("{}/{}", segments[0], segments[1]);
        if let Some(c) = COLLECTIONS.iter().find(|c| c.path == two) {
            return Some((c, 2));
        }
    }
    let first = segments.first()?;
    COLLECTIONS
        .iter()
        .find(|c| c.path == *first)
        .map(|c| (c, 1))
}

pub(crate) fn by_path(path: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.path == path)
}

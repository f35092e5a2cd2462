//! Where each kind of entity lives in the REST API (paths under `/api/v1/`).

use omctl_record::EntityKind;

/// The collection path of an entity kind: `PUT` creates or updates there, and
/// `name/{fqn}`, `{id}` and listings hang below it.
pub fn collection(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::DatabaseService => "services/databaseServices",
        EntityKind::Database => "databases",
        EntityKind::DatabaseSchema => "databaseSchemas",
        EntityKind::Table => "tables",
        EntityKind::PipelineService => "services/pipelineServices",
        EntityKind::Pipeline => "pipelines",
        EntityKind::StorageService => "services/storageServices",
        EntityKind::Container => "containers",
        EntityKind::DashboardService => "services/dashboardServices",
        EntityKind::Dashboard => "dashboards",
        EntityKind::MlmodelService => "services/mlmodelServices",
        EntityKind::MlModel => "mlmodels",
        EntityKind::TestDefinition => "dataQuality/testDefinitions",
        EntityKind::TestSuite => "dataQuality/testSuites",
        EntityKind::TestCase => "dataQuality/testCases",
        EntityKind::Classification => "classifications",
        EntityKind::Tag => "tags",
    }
}

/// The listing parameter that selects the entities of `kind` directly under one
/// parent (`GET /tables?databaseSchema=<fqn>`), for the kinds mark-deleted works on.
pub fn scope_filter(kind: EntityKind) -> Option<&'static str> {
    match kind {
        EntityKind::Table => Some("databaseSchema"),
        EntityKind::DatabaseSchema => Some("database"),
        EntityKind::Database
        | EntityKind::Pipeline
        | EntityKind::Container
        | EntityKind::Dashboard => Some("service"),
        EntityKind::MlModel => Some("service"),
        _ => None,
    }
}

/// Kinds written through `PUT {collection}/bulk` when the server has it: the
/// high-volume children of a database service, as OpenMetadata's own sink does.
pub fn bulk_capable(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Database | EntityKind::DatabaseSchema | EntityKind::Table
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_match_the_server_routes() {
        assert_eq!(
            collection(EntityKind::DatabaseService),
            "services/databaseServices"
        );
        assert_eq!(collection(EntityKind::Table), "tables");
        assert_eq!(collection(EntityKind::TestCase), "dataQuality/testCases");
        assert_eq!(scope_filter(EntityKind::Table), Some("databaseSchema"));
        assert_eq!(scope_filter(EntityKind::Pipeline), Some("service"));
        assert_eq!(scope_filter(EntityKind::Tag), None);
    }
}

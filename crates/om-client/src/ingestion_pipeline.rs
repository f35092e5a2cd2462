//! Registering a scheduled ingestion pipeline, as OpenMetadata's deploy step does:
//! the service (when the server has none yet) and the `ingestionPipeline` entity
//! with its `airflowConfig` schedule, so that the pipeline and its runs show on the
//! service's page. The runs then report their status to it
//! ([`crate::PipelineRunReporter`]) through the workflow's `ingestionPipelineFQN`.

use om_spec::fqn;
use om_spec::generated::entity::services::ingestion_pipelines::ingestion_pipeline::AirflowConfig;
use serde_json::{Map, Value, json};

use crate::client::{Include, OmClient};
use crate::error::ClientError;
use crate::reporter::IngestionPipelineSpec;

/// The schedule part of `airflowConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSchedule {
    /// `scheduleInterval`: a cron expression; `None` for a pipeline run only on
    /// demand.
    pub schedule_interval: Option<String>,
    /// `startDate`, RFC 3339 (`2026-01-01T00:00:00Z`).
    pub start_date: String,
    /// `endDate`, RFC 3339.
    pub end_date: Option<String>,
    /// `retries` of a failed run.
    pub retries: u32,
    /// `retryDelay` in seconds.
    pub retry_delay_secs: u32,
}

impl PipelineSchedule {
    /// The `airflowConfig` object. Times are UTC, as in OpenMetadata's UI; runs
    /// never catch up and go one at a time.
    pub fn airflow_config(&self) -> Value {
        let config = AirflowConfig {
            schedule_interval: self.schedule_interval.clone(),
            start_date: Some(self.start_date.clone()),
            end_date: self.end_date.clone(),
            pipeline_timezone: Some("UTC".into()),
            pipeline_catchup: Some(false),
            max_active_runs: Some(1),
            retries: Some(i64::from(self.retries)),
            retry_delay: Some(i64::from(self.retry_delay_secs)),
            ..AirflowConfig::default()
        };
        serde_json::to_value(config).expect("airflowConfig serializes")
    }
}

/// One pipeline to register.
#[derive(Debug, Clone)]
pub struct PipelineRegistration {
    /// `source.serviceName`.
    pub service_name: String,
    /// The pipeline's name under its service.
    pub pipeline_name: String,
    pub display_name: Option<String>,
    /// Pipeline type, service kind and `sourceConfig`.
    pub spec: IngestionPipelineSpec,
    /// `source.serviceConnection.config.type` (`Glue`, `GluePipeline`): the
    /// `serviceType` of a service that has to be created.
    pub service_type: Option<String>,
    /// `source.serviceConnection`, stored with a service that has to be created
    /// unless the server settings say `storeServiceConnection: false`. It holds
    /// secrets: never logged.
    pub service_connection: Option<Value>,
    pub schedule: PipelineSchedule,
    /// `workflowConfig.loggerLevel`, if the workflow sets one.
    pub logger_level: Option<String>,
}

/// What registering did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The pipeline's FQN (`service.pipeline`), for `ingestionPipelineFQN`.
    pub fqn: String,
    pub id: Option<String>,
    /// The pipeline did not exist before.
    pub created: bool,
    /// The service did not exist and was created.
    pub service_created: bool,
}

impl PipelineRegistration {
    /// The pipeline's FQN.
    pub fn fqn(&self) -> Result<String, ClientError> {
        fqn::build(&[self.service_name.as_str(), self.pipeline_name.as_str()])
            .map_err(|e| ClientError::Config(format!("ingestion pipeline name: {e}")))
    }

    /// The `CreateIngestionPipelineRequest` for a service with this id.
    fn request(&self, service_id: &str) -> Value {
        pipeline_request(
            &self.pipeline_name,
            self.display_name.as_deref(),
            &self.spec,
            service_id,
            self.schedule.airflow_config(),
            self.logger_level.as_deref(),
        )
    }
}

/// A `CreateIngestionPipelineRequest`, as both `omctl airflow dag --register`
/// ([`register`]) and the run reporter (creating a missing pipeline, with an
/// empty `airflowConfig`) send it.
pub(crate) fn pipeline_request(
    name: &str,
    display_name: Option<&str>,
    spec: &IngestionPipelineSpec,
    service_id: &str,
    airflow_config: Value,
    logger_level: Option<&str>,
) -> Value {
    let mut r = Map::new();
    r.insert("name".into(), json!(name));
    if let Some(d) = display_name {
        r.insert("displayName".into(), json!(d));
    }
    r.insert("pipelineType".into(), json!(spec.pipeline_type));
    r.insert(
        "service".into(),
        json!({"id": service_id, "type": spec.service_kind.as_str()}),
    );
    r.insert("sourceConfig".into(), spec.source_config.clone());
    r.insert("airflowConfig".into(), airflow_config);
    if let Some(level) = logger_level {
        r.insert("loggerLevel".into(), json!(level));
    }
    Value::Object(r)
}

/// Creates or updates the ingestion pipeline (its schedule and source config
/// follow the registration), creating its service first when the server has none.
pub async fn register(
    client: &OmClient,
    registration: &PipelineRegistration,
) -> Result<Registered, ClientError> {
    let fqn = registration.fqn()?;
    let kind = registration.spec.service_kind;
    let (service_id, service_created) = match client
        .get_by_name(kind, &registration.service_name, None, Include::NonDeleted)
        .await?
    {
        Some(service) => (entity_id(&service), false),
        None => (create_service(client, registration).await?, true),
    };
    let service_id = service_id.ok_or_else(|| ClientError::Decode {
        method: "GET".into(),
        path: format!("{kind} {}", registration.service_name),
        reason: "the service has no id".into(),
    })?;
    let existed = client.ingestion_pipeline(&fqn).await?.is_some();
    let stored = client
        .put_ingestion_pipeline(&registration.request(&service_id), &fqn)
        .await?;
    Ok(Registered {
        fqn: stored
            .get("fullyQualifiedName")
            .and_then(Value::as_str)
            .map_or(fqn, str::to_string),
        id: entity_id(&stored),
        created: !existed,
        service_created,
    })
}

async fn create_service(
    client: &OmClient,
    registration: &PipelineRegistration,
) -> Result<Option<String>, ClientError> {
    let kind = registration.spec.service_kind;
    let Some(service_type) = &registration.service_type else {
        return Err(ClientError::Config(format!(
            "the server has no {kind} {} and the workflow has no source.serviceConnection.config.type to create it with",
            registration.service_name
        )));
    };
    let mut request = Map::new();
    request.insert("name".into(), json!(registration.service_name));
    request.insert("serviceType".into(), json!(service_type));
    if let (true, Some(connection)) = (
        client.config().store_service_connection,
        &registration.service_connection,
    ) {
        request.insert("connection".into(), connection.clone());
    }
    let service_fqn = fqn::quote_name(&registration.service_name)
        .map_err(|e| ClientError::Config(format!("source.serviceName: {e}")))?;
    let written = client
        .put_entity(kind, &service_fqn, &Value::Object(request))
        .await?;
    Ok(written.id)
}

pub(crate) fn entity_id(entity: &Value) -> Option<String> {
    entity.get("id").and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use om_mock::OmMock;
    use omctl_record::EntityKind;

    fn registration(schedule_interval: Option<&str>) -> PipelineRegistration {
        PipelineRegistration {
            service_name: "local_glue".into(),
            pipeline_name: "glue_metadata".into(),
            display_name: Some("Glue metadata (omctl)".into()),
            spec: IngestionPipelineSpec {
                pipeline_type: "metadata".into(),
                service_kind: EntityKind::DatabaseService,
                source_config: json!({"config": {"type": "DatabaseMetadata"}}),
            },
            service_type: Some("Glue".into()),
            service_connection: Some(json!({"config": {"type": "Glue", "awsConfig": {
                "awsRegion": "us-east-2", "awsSecretAccessKey": "kept-on-the-server"}}})),
            schedule: PipelineSchedule {
                schedule_interval: schedule_interval.map(str::to_string),
                start_date: "2026-01-01T00:00:00Z".into(),
                end_date: Some("2026-12-31T00:00:00Z".into()),
                retries: 2,
                retry_delay_secs: 300,
            },
            logger_level: Some("INFO".into()),
        }
    }

    async fn client(om: &OmMock, store_connection: bool) -> OmClient {
        let config = ServerConfig::from_json(&json!({
            "hostPort": om.url(),
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "t"},
            "storeServiceConnection": store_connection,
        }))
        .unwrap();
        OmClient::connect(config).await.unwrap().0
    }

    #[test]
    fn airflow_config_carries_the_schedule_in_utc() {
        let c = registration(Some("0 0 * * *")).schedule.airflow_config();
        assert_eq!(c["scheduleInterval"], "0 0 * * *");
        assert_eq!(c["startDate"], "2026-01-01T00:00:00Z");
        assert_eq!(c["endDate"], "2026-12-31T00:00:00Z");
        assert_eq!(c["pipelineTimezone"], "UTC");
        assert_eq!(c["retries"], 2);
        let manual = registration(None).schedule.airflow_config();
        assert!(manual.get("scheduleInterval").is_none());
    }

    #[tokio::test]
    async fn creates_the_service_and_the_pipeline_then_updates_the_schedule() {
        let om = OmMock::start().await;
        let client = client(&om, true).await;

        let first = register(&client, &registration(Some("0 0 * * *")))
            .await
            .unwrap();
        assert_eq!(first.fqn, "local_glue.glue_metadata");
        assert!(first.created && first.service_created);
        let service = om
            .entity("services/databaseServices", "local_glue")
            .expect("service created");
        assert_eq!(service["serviceType"], "Glue");
        assert_eq!(
            service["connection"]["config"]["awsConfig"]["awsRegion"],
            "us-east-2"
        );
        let pipeline = om
            .entity("services/ingestionPipelines", "local_glue.glue_metadata")
            .expect("pipeline created");
        assert_eq!(pipeline["pipelineType"], "metadata");
        assert_eq!(pipeline["service"]["type"], "databaseService");
        assert_eq!(pipeline["airflowConfig"]["scheduleInterval"], "0 0 * * *");
        assert_eq!(
            pipeline["sourceConfig"]["config"]["type"],
            "DatabaseMetadata"
        );

        // Registering again with another schedule updates the same pipeline.
        let again = register(&client, &registration(Some("0 * * * *")))
            .await
            .unwrap();
        assert!(!again.created && !again.service_created);
        assert_eq!(again.id, first.id);
        let pipeline = om
            .entity("services/ingestionPipelines", "local_glue.glue_metadata")
            .unwrap();
        assert_eq!(pipeline["airflowConfig"]["scheduleInterval"], "0 * * * *");
    }

    #[tokio::test]
    async fn an_existing_service_is_used_as_it_is() {
        let om = OmMock::start().await;
        om.seed(
            "services/databaseServices",
            json!({"name": "local_glue", "serviceType": "Glue", "description": "set in the UI"}),
        )
        .unwrap();
        let client = client(&om, true).await;
        let r = register(&client, &registration(Some("0 0 * * 0")))
            .await
            .unwrap();
        assert!(!r.service_created);
        let service = om
            .entity("services/databaseServices", "local_glue")
            .unwrap();
        assert_eq!(service["description"], "set in the UI");
        assert!(service.get("connection").is_none());
    }

    #[tokio::test]
    async fn the_connection_is_not_stored_when_the_settings_say_so() {
        let om = OmMock::start().await;
        let client = client(&om, false).await;
        register(&client, &registration(None)).await.unwrap();
        let service = om
            .entity("services/databaseServices", "local_glue")
            .unwrap();
        assert!(service.get("connection").is_none());
    }
}

//! Choosing and opening the sink a workflow names (`sink.type`). Every sink
//! implements `omctl_record::sink::Sink`; a new sink is one more arm here.

use std::io::Write;

use om_client::{
    DeletionLog, IngestionPipelineSpec, MetadataRestSink, OmClient, ServerConfig, SinkOptions,
    SinkSettings,
};
use omctl_record::EntityKind;
use omctl_record::sink::Sink;
use omctl_runtime::config::WorkflowFile;
use omctl_runtime::sinks::file::{FileSink, FileSinkConfig};
use serde_json::Value;

use crate::exit::CliError;

/// The sink types omctl has.
pub const SINK_TYPES: &[&str] = &[om_client::SINK_NAME, FileSink::NAME];

/// A sink's checked settings, before anything is opened.
pub enum SinkPlan {
    File(FileSinkConfig),
    MetadataRest(Box<(ServerConfig, SinkOptions)>),
}

impl SinkPlan {
    /// Reads `sink` from the workflow and checks its settings; no network.
    pub fn from_workflow(workflow: &WorkflowFile) -> Result<SinkPlan, CliError> {
        let (sink_type, config_path) = workflow.sink()?;
        let config = workflow
            .config
            .sink
            .as_ref()
            .and_then(|s| s.config.as_ref());
        match sink_type.as_str() {
            t if t == FileSink::NAME => {
                if config.is_none() {
                    return Err(workflow
                        .invalid(&["sink"], "the file sink needs `config.filename`", None)
                        .into());
                }
                Ok(SinkPlan::File(workflow.document.typed_at(&config_path)?))
            }
            t if t == om_client::SINK_NAME => {
                let server_json = serde_json::to_value(
                    &workflow.config.workflow_config.open_metadata_server_config,
                )
                .map_err(|e| CliError::other(crate::exit::INTERNAL, e.to_string()))?;
                let server = ServerConfig::from_json(&server_json)?;
                let sink_config = config.map_or(Value::Null, |c| {
                    Value::Object(c.clone().into_iter().collect())
                });
                SinkSettings::from_json(&sink_config)?;
                let source = workflow.source_json();
                let options = SinkOptions {
                    dry_run: false,
                    sink_config,
                    source_config: source["sourceConfig"]["config"].clone(),
                    service_name: workflow.config.source.service_name.clone(),
                    service_connection: source
                        .get("serviceConnection")
                        .filter(|v| !v.is_null())
                        .cloned(),
                };
                Ok(SinkPlan::MetadataRest(Box::new((server, options))))
            }
            other => Err(workflow
                .invalid(
                    &["sink", "type"],
                    format!("unknown sink type `{other}`"),
                    Some(format!("omctl has {}", SINK_TYPES.join(", "))),
                )
                .into()),
        }
    }

    /// What `validate` prints about the sink.
    pub fn describe(&self) -> String {
        match self {
            SinkPlan::File(c) => format!("file sink writing {}", c.filename.display()),
            SinkPlan::MetadataRest(plan) => format!("metadata-rest sink to {}", plan.0.base_url()),
        }
    }

    /// Opens the sink. A dry run writes nothing: the file sink shows its lines on
    /// `stdout` instead, the metadata-rest sink only reads from the server.
    pub async fn open(
        self,
        dry_run: bool,
        stdout: Box<dyn Write + Send>,
    ) -> Result<OpenSink, CliError> {
        match self {
            SinkPlan::File(config) => {
                let sink = if dry_run {
                    FileSink::to_writer(stdout, "stdout (dry run)")
                } else {
                    FileSink::create(&config.filename).map_err(CliError::Sink)?
                };
                Ok(OpenSink {
                    sink: Box::new(sink),
                    client: None,
                    deletions: None,
                })
            }
            SinkPlan::MetadataRest(plan) => {
                let (server, mut options) = *plan;
                options.dry_run = dry_run;
                let sink = MetadataRestSink::connect(server, options).await?;
                let client = sink.client().clone();
                let deletions = sink.deletion_log();
                Ok(OpenSink {
                    sink: Box::new(sink),
                    client: Some(client),
                    deletions: Some(deletions),
                })
            }
        }
    }
}

/// An opened sink, with the server client (for the run status) and the log of
/// mark-deleted when the sink has them.
pub struct OpenSink {
    pub sink: Box<dyn Sink>,
    pub client: Option<OmClient>,
    pub deletions: Option<DeletionLog>,
}

/// What the server needs to create the ingestion pipeline of `ingestionPipelineFQN`
/// when it does not exist yet.
pub fn ingestion_pipeline_spec(
    workflow: &WorkflowFile,
    service_kind: Option<&str>,
) -> Option<IngestionPipelineSpec> {
    let service_kind: EntityKind =
        serde_json::from_value(Value::String(service_kind?.to_string())).ok()?;
    let source = workflow.source_json();
    let pipeline_type = match source["sourceConfig"]["config"]["type"].as_str() {
        Some("DBT") => "dbt",
        _ => "metadata",
    };
    Some(IngestionPipelineSpec {
        pipeline_type: pipeline_type.to_string(),
        service_kind,
        source_config: source["sourceConfig"].clone(),
    })
}

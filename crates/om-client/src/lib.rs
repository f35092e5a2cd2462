//! OpenMetadata REST client and the `metadata-rest` sink.
//!
//! # Using the sink (what the runtime does)
//!
//! ```no_run
//! # async fn run(workflow: serde_json::Value, records: Vec<omctl_record::Record>) -> Result<(), Box<dyn std::error::Error>> {
//! use om_client::{MetadataRestSink, PipelineRunReporter, RunState, ServerConfig, SinkOptions};
//! use omctl_record::sink::Sink;
//!
//! // 1. Server settings from workflowConfig.openMetadataServerConfig. Errors here are
//! //    configuration errors (bad hostPort, unreadable JWT file, unsupported authProvider).
//! let server = ServerConfig::from_json(&workflow["workflowConfig"]["openMetadataServerConfig"])?;
//! // 2. Connect: version check (unless enableVersionValidation: false) and
//! //    connectivity. ClientError::Connect / Auth here mean "connection failure".
//! let mut sink = MetadataRestSink::connect(server, SinkOptions {
//!     dry_run: false,
//!     sink_config: workflow["sink"]["config"].clone(),
//!     source_config: workflow["source"]["sourceConfig"]["config"].clone(),
//!     service_name: workflow["source"]["serviceName"].as_str().map(String::from),
//!     service_connection: Some(workflow["source"]["serviceConnection"].clone()),
//! }).await?;
//! let deletions = sink.deletion_log();
//! // 3. Optional run status when ingestionPipelineFQN is set (log errors, go on).
//! let reporter = PipelineRunReporter::start(sink.client(), "svc.pipeline", None, None).await.ok();
//! // 4. Every record, events included, in source order.
//! for r in records { sink.write(r).await?; }
//! let summary = sink.close().await?;
//! if let Some(rep) = reporter {
//!     let _ = rep.finish(&[summary.clone()], RunState::from_steps(&[summary], 90.0)).await;
//! }
//! println!("{} deletions", deletions.entries().len());
//! # Ok(()) }
//! ```
//!
//! # What the sink guarantees
//!
//! * Create-or-update with `PUT /v1/{collection}` ([`routes::collection`]); the
//!   services of the run are got-or-created: an existing service is used as it is
//!   (its connection is never overwritten unless `forceEntityOverwriting: true`),
//!   a missing one is created with the workflow's `serviceConnection` unless
//!   `storeServiceConnection: false`.
//! * Parents before children, siblings concurrently (`sink.config.concurrency`,
//!   default 16), bulk writes with a fallback to single writes on 404/405, a failed
//!   parent failing its children at once by name. See [`sink`] for the mechanics.
//! * Pipeline statuses (`PUT /v1/pipelines/{fqn}/status`) after their pipeline,
//!   lineage (`PUT /v1/lineage`) after both ends with ids resolved by name; a
//!   missing end is a warning naming it. A container end named by a storage
//!   location (`s3://...`, external-table lineage) is looked up by `fullPath`
//!   with the search API; no container there skips the edge quietly (debug log).
//! * Updates of existing tables (`Record::Update`, dbt): the table is found
//!   ignoring case from bulk listings read once per schema (`sink::resolve`), a
//!   table not on the server is a warning counted in `StepSummary::not_found`; the
//!   data model is written only when it differs, everything else as one JSON Patch
//!   with `If-Match` (412: read again, at most 3 tries); an unchanged table gets no
//!   write. A dbt workflow whose `source.serviceName` is not on the server fails
//!   at connect ([`ClientError::MissingService`]).
//! * Test cases (dbt) land on their table in the server's spelling (entity link
//!   and FQN); a column the table lacks fails that test case, naming both. A test
//!   result waits for its test case, is skipped with a warning when the test case
//!   was not written, and is not posted again when the server has a result with
//!   its timestamp.
//! * Lineage of a dbt workflow: a reset (`overrideLineage`) removes the edges of
//!   its source into a table once per run, before the run's own edges into it;
//!   ends are found ignoring case, column lineage takes the server's spelling
//!   (unknown columns left out, with a warning), and an edge the server already
//!   has is not sent again (its column lineage is merged otherwise).
//! * Mark-deleted only in scopes the source reported complete, never for entities
//!   seen (written, filtered, failed), refused above the fail-safe threshold, planned
//!   only under dry run, counted in `StepSummary::deleted`
//!   ([`sink::DeletionLog`] lists them). A refusal by the fail-safe is a failure
//!   and a `StepSummary::safety_stops`, which fails the run.
//! * Counters: `records` counts every successful write (entities, statuses,
//!   lineage edges); `updated_records` counts those of them that changed an
//!   entity which already existed (HTTP 200 with a change description; a bulk
//!   answer does not say, so bulk updates count as records only). An existing
//!   service used as it is was not written and is not counted. Under dry run they
//!   count what would be written.
//! * Only an unreachable server or refused credentials stop the sink
//!   ([`SinkError::Connection`](omctl_record::sink::SinkError)); any other error
//!   is a failure of that one record.
//! * The JWT never appears in errors, logs or `Debug` output; the service
//!   connection is sent to the server (which stores its secrets encrypted) and
//!   never printed.

pub mod client;
pub mod config;
pub mod error;
pub mod ingestion_pipeline;
pub mod reporter;
pub mod routes;
pub mod sink;

pub use client::{Answer, Include, OmClient, Page, TARGET_OM_VERSION, Written};
pub use config::{RetryPolicy, ServerConfig, VerifySsl};
pub use error::ClientError;
pub use reporter::{IngestionPipelineSpec, PipelineRunReporter, RunState};
pub use sink::{Deletion, DeletionLog, MetadataRestSink, SINK_NAME, SinkOptions, SinkSettings};

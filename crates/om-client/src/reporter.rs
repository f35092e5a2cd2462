//! Run status of an ingestion pipeline (`ingestionPipelineFQN`), reported the way
//! OpenMetadata's own runner does: `running` at the start, then `success`,
//! `partialSuccess` or `failed` with one step summary per step.

use om_spec::fqn;
use omctl_record::EntityKind;
use omctl_record::status::StepSummary;
use serde_json::{Value, json};

use crate::client::{Include, OmClient};
use crate::error::ClientError;
use crate::ingestion_pipeline::{entity_id, pipeline_request};

/// The final state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Success,
    PartialSuccess,
    Failed,
}

impl RunState {
    /// The `pipelineState` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Success => "success",
            RunState::PartialSuccess => "partialSuccess",
            RunState::Failed => "failed",
        }
    }

    /// The state the step summaries give: `success` without errors,
    /// `partialSuccess` when every step with errors still reaches
    /// `success_threshold` (percent), `failed` otherwise or when a safety rule
    /// refused an operation ([`StepSummary::safety_stops`]). A run that stopped
    /// early (connection lost, source crashed) is `Failed` whatever its summaries
    /// say.
    pub fn from_steps(steps: &[StepSummary], success_threshold: f64) -> RunState {
        if steps.iter().any(|s| s.safety_stops > 0) {
            RunState::Failed
        } else if steps.iter().all(|s| s.errors == 0) {
            RunState::Success
        } else if steps
            .iter()
            .all(|s| s.errors == 0 || s.success_pct() >= success_threshold)
        {
            RunState::PartialSuccess
        } else {
            RunState::Failed
        }
    }
}

/// What is needed to create the ingestion pipeline when the server does not have
/// it yet (OpenMetadata's runner does the same when the service exists).
#[derive(Debug, Clone)]
pub struct IngestionPipelineSpec {
    /// `pipelineType`: `metadata`, `dbt`, `lineage`...
    pub pipeline_type: String,
    /// The kind of the service the pipeline belongs to (`databaseService`...).
    pub service_kind: EntityKind,
    /// `source.sourceConfig` (with its `config`).
    pub source_config: Value,
}

/// Reports one run. Errors from it should be logged, never fail the run.
#[derive(Debug)]
pub struct PipelineRunReporter {
    client: OmClient,
    fqn: String,
    run_id: String,
    started_ms: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A random UUID v4 for `runId`.
fn new_run_id() -> String {
    let hi = (fastrand::u64(..) & 0xffff_ffff_ffff_0fff) | 0x4000;
    let lo = (fastrand::u64(..) & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// A step summary in the server's shape (`StepSummary` of `status.json`, which
/// accepts no other fields).
fn server_step_summary(s: &StepSummary) -> Value {
    json!({
        "name": s.name,
        "records": s.records,
        "updated_records": s.updated_records,
        "warnings": s.warnings,
        "errors": s.errors,
        "filtered": s.filtered,
        "failures": s.failures,
    })
}

impl PipelineRunReporter {
    /// Marks the run `running`. When the ingestion pipeline does not exist, it is
    /// created from `create` if given and its service exists.
    pub async fn start(
        client: &OmClient,
        pipeline_fqn: &str,
        run_id: Option<String>,
        create: Option<&IngestionPipelineSpec>,
    ) -> Result<PipelineRunReporter, ClientError> {
        if client.ingestion_pipeline(pipeline_fqn).await?.is_none() {
            let Some(spec) = create else {
                return Err(ClientError::Config(format!(
                    "ingestionPipelineFQN: the server has no ingestion pipeline {pipeline_fqn}"
                )));
            };
            create_pipeline(client, pipeline_fqn, spec).await?;
        }
        let now = now_ms();
        let run_id = run_id.unwrap_or_else(new_run_id);
        let status = match client.ingestion_run_status(pipeline_fqn, &run_id).await? {
            Some(mut s) => {
                s["pipelineState"] = json!("running");
                s
            }
            None => {
                json!({"runId": run_id, "pipelineState": "running", "startDate": now, "timestamp": now})
            }
        };
        client
            .put_ingestion_run_status(pipeline_fqn, &status)
            .await?;
        Ok(PipelineRunReporter {
            client: client.clone(),
            fqn: pipeline_fqn.to_string(),
            run_id,
            started_ms: now,
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Writes the final state with the step summaries.
    pub async fn finish(&self, steps: &[StepSummary], state: RunState) -> Result<(), ClientError> {
        let mut status = self
            .client
            .ingestion_run_status(&self.fqn, &self.run_id)
            .await?
            .unwrap_or_else(|| json!({"runId": self.run_id, "startDate": self.started_ms, "timestamp": self.started_ms}));
        status["pipelineState"] = json!(state.as_str());
        status["endDate"] = json!(now_ms());
        status["status"] = Value::Array(steps.iter().map(server_step_summary).collect());
        self.client
            .put_ingestion_run_status(&self.fqn, &status)
            .await
    }
}

async fn create_pipeline(
    client: &OmClient,
    pipeline_fqn: &str,
    spec: &IngestionPipelineSpec,
) -> Result<(), ClientError> {
    let parts = fqn::split(pipeline_fqn)
        .map_err(|e| ClientError::Config(format!("ingestionPipelineFQN: {e}")))?;
    let [service, name] = parts.as_slice() else {
        return Err(ClientError::Config(format!(
            "ingestionPipelineFQN {pipeline_fqn:?} must be <service>.<pipeline name>"
        )));
    };
    let Some(svc) = client
        .get_by_name(spec.service_kind, service, None, Include::NonDeleted)
        .await?
    else {
        return Err(ClientError::Config(format!(
            "ingestionPipelineFQN: the server has no ingestion pipeline {pipeline_fqn}, and no {} {service} to create it under",
            spec.service_kind
        )));
    };
    let id = entity_id(&svc).unwrap_or_default();
    let request = pipeline_request(fqn::unquote_name(name), None, spec, &id, json!({}), None);
    client
        .put_ingestion_pipeline(&request, pipeline_fqn)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_follows_errors_and_threshold() {
        let ok = StepSummary {
            records: 10,
            ..StepSummary::new("source")
        };
        let mut some_errors = StepSummary {
            records: 9,
            ..StepSummary::new("sink")
        };
        some_errors.fail("t", "boom");
        assert_eq!(
            RunState::from_steps(std::slice::from_ref(&ok), 90.0),
            RunState::Success
        );
        assert_eq!(
            RunState::from_steps(&[ok.clone(), some_errors.clone()], 90.0),
            RunState::PartialSuccess
        );
        assert_eq!(
            RunState::from_steps(&[ok.clone(), some_errors.clone()], 95.0),
            RunState::Failed
        );
        some_errors.safety_stops = 1;
        assert_eq!(
            RunState::from_steps(&[ok, some_errors], 90.0),
            RunState::Failed
        );
    }

    #[test]
    fn server_summary_has_only_the_server_fields() {
        let mut s = StepSummary::new("sink");
        s.deleted = 3;
        s.warn("x", "y");
        let v = server_step_summary(&s);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "name",
                "records",
                "updated_records",
                "warnings",
                "errors",
                "filtered",
                "failures"
            ]
        );
    }

    #[test]
    fn run_ids_are_uuid_shaped() {
        let id = new_run_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}

"""AWS Glue workflows, jobs, triggers and crawlers -> OpenMetadata pipelines, daily,
with omctl (Airflow 3).

The ``gluepipeline`` workflow of OpenMetadata's Glue Pipeline connector, run once
a day at 00:00 UTC without catch-up. Secrets and settings arrive as in
``glue_database_dag.py``: the YAML refers to ``${VAR}``, ``env`` fills them from the
``aws_glue`` and ``openmetadata`` Airflow connections.
"""

from __future__ import annotations

import datetime

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x (see the package README)
    from airflow import DAG

from omctl_airflow import OmctlOperator

WORKFLOW = """
source:
  type: gluepipeline
  serviceName: local_glue_pipelines
  serviceConnection:
    config:
      type: GluePipeline
      awsConfig:
        awsAccessKeyId: ${AWS_ACCESS_KEY_ID}
        awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY}
        awsRegion: ${AWS_REGION:-us-east-2}
        endPointURL: ${GLUE_ENDPOINT_URL:-}
  sourceConfig:
    config:
      type: PipelineMetadata
      includeLineage: true
      markDeletedPipelines: true
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: ${OM_HOST_PORT:-http://localhost:8585/api}
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${OM_JWT_TOKEN}
"""

with DAG(
    dag_id="glue_pipeline_metadata",
    description="Glue workflows, jobs and crawlers -> OpenMetadata with omctl",
    default_args={"owner": "data-platform", "retries": 2, "retry_delay": datetime.timedelta(minutes=10)},
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="0 0 * * *",
    catchup=False,
    max_active_runs=1,
    tags=["omctl", "openmetadata", "glue"],
) as dag:
    OmctlOperator(
        task_id="ingest_glue_pipelines",
        workflow_yaml=WORKFLOW,
        env={
            "AWS_ACCESS_KEY_ID": "{{ conn.aws_glue.login }}",
            "AWS_SECRET_ACCESS_KEY": "{{ conn.aws_glue.password }}",
            "OM_JWT_TOKEN": "{{ conn.openmetadata.password }}",
        },
    )

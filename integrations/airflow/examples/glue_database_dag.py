"""AWS Glue Data Catalog -> OpenMetadata every 5 minutes, with omctl (Airflow 3).

OpenMetadata's "Run Glue Connector using Airflow SDK" recipe, with omctl in place
of the Python ingestion framework: the same workflow YAML, the same schedule
(every 5 minutes, no catch-up), and nothing of OpenMetadata's ingestion package
installed into Airflow. The Airflow workers need the ``omctl`` binary (on PATH or
``omctl_path``), the Glue plugin (``OMCTL_PLUGIN_PATH`` or ``plugin_paths``) and
``pip install omctl-airflow``.

Secrets are not in the YAML: it says ``${AWS_SECRET_ACCESS_KEY}`` and
``${OM_JWT_TOKEN}``, and omctl expands them from the environment that ``env``
gives it. Here they come from two Airflow connections, so they never sit in the
DAG file:

* ``aws_glue``: login = AWS access key id, password = AWS secret access key;
* ``openmetadata``: password = the ingestion bot's JWT.

(For example ``AIRFLOW_CONN_AWS_GLUE='{"conn_type": "aws", "login": "AKIA...",
"password": "..."}'``.) Airflow hides connection passwords in task logs. Other
settings come from the workers' environment with defaults: ``AWS_REGION``,
``GLUE_ENDPOINT_URL`` (empty: AWS's regional endpoint) and ``OM_HOST_PORT``.
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
  type: glue
  serviceName: local_glue
  serviceConnection:
    config:
      type: Glue
      awsConfig:
        awsAccessKeyId: ${AWS_ACCESS_KEY_ID}
        awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY}
        awsRegion: ${AWS_REGION:-us-east-2}
        endPointURL: ${GLUE_ENDPOINT_URL:-}
  sourceConfig:
    config:
      type: DatabaseMetadata
      markDeletedTables: true
      includeTables: true
      includeViews: true
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

default_args = {
    "owner": "data-platform",
    "retries": 3,
    "retry_delay": datetime.timedelta(minutes=5),
    "execution_timeout": datetime.timedelta(minutes=60),
}

with DAG(
    dag_id="glue_database_metadata",
    description="Glue Data Catalog -> OpenMetadata with omctl",
    default_args=default_args,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="*/5 * * * *",
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    tags=["omctl", "openmetadata", "glue"],
) as dag:
    OmctlOperator(
        task_id="ingest_glue_catalog",
        workflow_yaml=WORKFLOW,
        env={
            "AWS_ACCESS_KEY_ID": "{{ conn.aws_glue.login }}",
            "AWS_SECRET_ACCESS_KEY": "{{ conn.aws_glue.password }}",
            "OM_JWT_TOKEN": "{{ conn.openmetadata.password }}",
        },
    )

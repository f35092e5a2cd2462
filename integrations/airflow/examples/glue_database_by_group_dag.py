"""A Glue Data Catalog too large for one task, split across tasks (Airflow 3).

Each mapped task runs omctl on the same workflow, narrowed with
``schemaFilterPattern.includes`` to one group of Glue databases (OpenMetadata
shows a Glue database as a schema). The groups come from the Airflow Variable
``omctl_glue_schema_groups`` (a JSON list of lists of regular expressions) when
it is set, from ``DEFAULT_GROUPS`` otherwise, and are read when the DAG runs, so
changing them needs no new DAG file. Airflow's dynamic task mapping makes one task
per group; ``max_active_tis_per_dagrun`` bounds how many call Glue at once.

Mark-deleted stays safe: a task deletes only tables of the schemas it listed
completely, and a schema outside its group is "filtered", never "unseen", so no
task deletes what another task owns. Every schema must match exactly one group:
one that matches none is not ingested (nor cleaned up) by any task.

Secrets and settings arrive as in ``glue_database_dag.py``.
"""

from __future__ import annotations

import datetime
import json

try:  # Airflow 3
    from airflow.sdk import DAG, Variable, task
except ImportError:  # Airflow 2.x (see the package README)
    from airflow import DAG
    from airflow.decorators import task
    from airflow.models import Variable

from omctl_airflow import OmctlOperator

# One list of regular expressions per task, matched against Glue database names.
DEFAULT_GROUPS = [
    ["^analytics$", "^empty_db$"],
    ["^sales$", "^lake\\..*"],
]

WORKFLOW_TEMPLATE = """
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
      schemaFilterPattern:
        includes: __INCLUDES__
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


def workflow_for(group: list[str]) -> str:
    """The workflow of one group. The patterns go in as a JSON list, which is YAML
    too; `$$` keeps a regex's `$` literal for omctl's ${VAR} expansion."""
    includes = json.dumps([p.replace("$", "$$") for p in group])
    return WORKFLOW_TEMPLATE.replace("__INCLUDES__", includes)


with DAG(
    dag_id="glue_database_metadata_by_group",
    description="Glue Data Catalog -> OpenMetadata with omctl, one task per group of databases",
    default_args={"owner": "data-platform", "retries": 2, "retry_delay": datetime.timedelta(minutes=5)},
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="0 * * * *",
    catchup=False,
    max_active_runs=1,
    tags=["omctl", "openmetadata", "glue"],
) as dag:

    @task
    def schema_groups() -> list[list[str]]:
        groups = Variable.get("omctl_glue_schema_groups", default=DEFAULT_GROUPS, deserialize_json=True)
        if not groups or not all(isinstance(g, list) and g for g in groups):
            raise ValueError("omctl_glue_schema_groups must be a non-empty list of non-empty lists")
        return groups

    OmctlOperator.partial(
        task_id="ingest_group",
        max_active_tis_per_dagrun=4,
        env={
            "AWS_ACCESS_KEY_ID": "{{ conn.aws_glue.login }}",
            "AWS_SECRET_ACCESS_KEY": "{{ conn.aws_glue.password }}",
            "OM_JWT_TOKEN": "{{ conn.openmetadata.password }}",
        },
    ).expand(workflow_yaml=schema_groups().map(workflow_for))

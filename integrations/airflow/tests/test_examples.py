"""The example DAGs load in Airflow and schedule what the recipe schedules.
(run_airflow_e2e.sh runs them for real.)"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from omctl_airflow import OmctlOperator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        # The recipe: every 5 minutes, no catch-up.
        ("glue_database_dag", "*/5 * * * *"),
        # The pipeline workflow: daily.
        ("glue_pipeline_dag", "0 0 * * *"),
        ("glue_database_by_group_dag", "0 * * * *"),
    ],
)
def test_schedules_without_catch_up(name, schedule):
    dag = load(name).dag
    assert dag.schedule == schedule
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.start_date.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("name", ["glue_database_dag", "glue_pipeline_dag"])
def test_secrets_come_from_connections_not_the_dag(name):
    (task,) = load(name).dag.tasks
    assert isinstance(task, OmctlOperator)
    assert "${AWS_SECRET_ACCESS_KEY}" in task.workflow_yaml
    assert "${OM_JWT_TOKEN}" in task.workflow_yaml
    assert task.env["AWS_SECRET_ACCESS_KEY"] == "{{ conn.aws_glue.password }}"
    assert task.env["OM_JWT_TOKEN"] == "{{ conn.openmetadata.password }}"


def test_groups_become_mapped_tasks_with_their_own_filter():
    module = load("glue_database_by_group_dag")
    task_ids = {t.task_id for t in module.dag.tasks}
    assert task_ids == {"schema_groups", "ingest_group"}
    assert type(module.dag.get_task("ingest_group")).__name__ == "MappedOperator"
    workflow = module.workflow_for(["^sales$", "^lake\\..*"])
    # A JSON list is YAML too; `$$` is omctl's literal `$`.
    line = next(l for l in workflow.splitlines() if l.strip().startswith("includes:"))
    assert json.loads(line.split("includes:", 1)[1]) == ["^sales$$", "^lake\\..*"]
    assert "markDeletedTables: true" in workflow

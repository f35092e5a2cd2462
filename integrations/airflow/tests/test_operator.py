"""OmctlOperator against a fake omctl: exit codes, XCom, secrets, stdin, streaming."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from omctl_airflow import operator as operator_module
from omctl_airflow.operator import (
    FAILED_REPORT_XCOM_KEY,
    AirflowException,
    AirflowFailException,
    OmctlOperator,
)

SECRET = "s3cr3t-aws-key-never-shown"
JWT = "jwt-token-never-shown"

WORKFLOW = """\
source:
  type: glue
  serviceName: local_glue
  serviceConnection:
    config:
      type: Glue
      awsConfig:
        awsAccessKeyId: KEY
        awsSecretAccessKey: ${AWS_SECRET_ACCESS_KEY}
        awsRegion: us-east-2
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${OM_JWT_TOKEN}
"""


class FakeTaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def make(fake_omctl: Path, record_path: Path, extra_env: dict[str, str] | None = None, **kwargs: Any) -> OmctlOperator:
    env = {"FAKE_RECORD": str(record_path), **(extra_env or {})}
    kwargs.setdefault("workflow_yaml", WORKFLOW)
    return OmctlOperator(task_id="ingest", omctl_path=str(fake_omctl), env=env, **kwargs)


def test_success_returns_the_report_as_xcom(fake_omctl, record_path, log):
    op = make(fake_omctl, record_path)
    result = op.execute({"ti": FakeTaskInstance()})
    assert result == {"status": "success", "steps": [{"name": "glue", "records": 3}], "fake": True}


def test_without_a_report_the_summary_line_is_the_xcom(fake_omctl, record_path, log):
    op = make(fake_omctl, record_path, {"FAKE_WRITE_REPORT": "0"})
    assert op.execute({}) == {"status": "success", "summary": True}


@pytest.mark.parametrize(
    ("code", "retried"),
    [(1, True), (2, False), (3, True), (4, False), (5, True), (130, True), (42, True)],
)
def test_exit_codes_map_to_airflow_outcomes(fake_omctl, record_path, log, code, retried):
    op = make(fake_omctl, record_path, {"FAKE_EXIT": str(code)})
    with pytest.raises(AirflowException) as raised:
        op.execute({})
    # AirflowFailException is an AirflowException that skips the retries.
    assert isinstance(raised.value, AirflowFailException) is (not retried)
    assert f"omctl exited with {code}" in str(raised.value)


def test_killed_omctl_fails_and_may_retry(fake_omctl, record_path, log):
    op = make(fake_omctl, record_path, {"FAKE_KILL_SELF": "1"})
    with pytest.raises(AirflowException) as raised:
        op.execute({})
    assert not isinstance(raised.value, AirflowFailException)
    assert "killed by signal 9" in str(raised.value)


def test_failure_message_carries_omctls_error(fake_omctl, record_path, log):
    op = make(
        fake_omctl,
        record_path,
        {"FAKE_EXIT": "2", "FAKE_ERROR": "glue.yaml line 3: unknown key `sourceConfg`"},
    )
    with pytest.raises(AirflowFailException, match="line 3: unknown key `sourceConfg`"):
        op.execute({})


def test_failed_run_still_publishes_its_report(fake_omctl, record_path, log):
    ti = FakeTaskInstance()
    op = make(fake_omctl, record_path, {"FAKE_EXIT": "1"})
    with pytest.raises(AirflowException):
        op.execute({"ti": ti})
    assert ti.pushed[FAILED_REPORT_XCOM_KEY]["status"] == "failed"


def test_yaml_goes_on_stdin_and_secrets_stay_off_the_command_line(
    fake_omctl, record_path, read_record, log, monkeypatch
):
    masked: list[str] = []
    monkeypatch.setattr(operator_module, "mask_secret", lambda value, name=None: masked.append(value))
    op = make(
        fake_omctl,
        record_path,
        {"AWS_SECRET_ACCESS_KEY": SECRET, "OM_JWT_TOKEN": JWT, "AWS_REGION": "us-east-2"},
    )
    op.execute({})
    record = read_record()
    argv = record["argv"][1:]
    assert argv[:3] == ["run", "-c", "-"]
    assert record["stdin"] == WORKFLOW
    # omctl gets the secret through its environment...
    assert record["secret_in_env"] == SECRET
    # ...and nowhere else: not on its command line, not in the task log.
    for secret in (SECRET, JWT):
        assert not any(secret in a for a in argv)
        assert secret not in log.text
    # Secret-looking variables are registered with Airflow's masker; others not.
    assert sorted(masked) == sorted([SECRET, JWT])


def test_omctl_output_is_in_the_task_log(fake_omctl, record_path, log):
    make(fake_omctl, record_path).execute({})
    assert "INFO read workflow -" in log.lines
    assert "some record on stdout" in log.lines
    assert any(line.startswith("running ") and " run -c - --report " in line for line in log.lines)


def test_output_is_logged_while_omctl_runs(fake_omctl, record_path, log, tmp_path):
    # The fake waits (up to 20 s, then exits 9) until it learns that its line was
    # logged: an operator that logged only after omctl exited would fail here.
    ack = tmp_path / "ack"

    def acknowledge(line: str) -> None:
        if line == "waiting for the log to see this line":
            ack.touch()

    log.on_line = acknowledge
    make(fake_omctl, record_path, {"FAKE_WAIT_FOR": str(ack)}).execute({})


def test_workflow_file_is_passed_by_path(fake_omctl, record_path, read_record, log, tmp_path):
    workflow = tmp_path / "glue.yaml"
    workflow.write_text(WORKFLOW)
    op = make(fake_omctl, record_path, workflow_yaml=None, workflow_file=workflow)
    op.execute({})
    record = read_record()
    assert record["argv"][1:4] == ["run", "-c", str(workflow)]
    assert record["stdin"] is None


def test_pipeline_fqn_is_added_on_stdin_and_the_file_is_untouched(
    fake_omctl, record_path, read_record, log, tmp_path
):
    workflow = tmp_path / "glue.yaml"
    workflow.write_text(WORKFLOW)
    op = make(
        fake_omctl,
        record_path,
        workflow_yaml=None,
        workflow_file=workflow,
        ingestion_pipeline_fqn="local_glue.glue_metadata",
    )
    op.execute({})
    record = read_record()
    assert record["argv"][2:4] == ["-c", "-"]
    assert record["stdin"] == WORKFLOW + 'ingestionPipelineFQN: "local_glue.glue_metadata"\n'
    assert workflow.read_text() == WORKFLOW


def test_plugins_and_dry_run_are_flags(fake_omctl, record_path, read_record, log, tmp_path):
    plugin = tmp_path / "libglue_database.so"
    op = make(fake_omctl, record_path, plugin_paths=[plugin, "/opt/omctl/plugins"], dry_run=True)
    op.execute({})
    argv = read_record()["argv"][1:]
    assert argv[argv.index("--plugin") + 1] == str(plugin)
    assert argv[-3:] == ["--plugin", "/opt/omctl/plugins", "--dry-run"]


def test_omctl_is_found_on_path(fake_omctl, record_path, read_record, log):
    op = OmctlOperator(
        task_id="ingest",
        workflow_yaml=WORKFLOW,
        env={"FAKE_RECORD": str(record_path), "PATH": str(fake_omctl.parent)},
    )
    op.execute({})
    assert read_record()["argv"][0] == str(fake_omctl)


def test_missing_omctl_fails_without_retry(record_path, log, tmp_path):
    op = OmctlOperator(task_id="ingest", workflow_yaml=WORKFLOW, env={"PATH": str(tmp_path)})
    with pytest.raises(AirflowFailException, match="omctl was not found on PATH"):
        op.execute({})


def test_exactly_one_workflow_source():
    with pytest.raises(ValueError, match="exactly one of workflow_yaml and workflow_file"):
        OmctlOperator(task_id="a")
    with pytest.raises(ValueError, match="exactly one"):
        OmctlOperator(task_id="b", workflow_yaml="x", workflow_file="y.yaml")


def test_on_kill_interrupts_omctl_which_reports_and_exits_130(fake_omctl, record_path, log):
    running = threading.Event()
    log.on_line = lambda line: running.set() if line == "running until interrupted" else None
    op = make(fake_omctl, record_path, {"FAKE_UNTIL_SIGINT": "1"}, kill_timeout=20)
    ti = FakeTaskInstance()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            op.execute({"ti": ti})
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            outcome.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    assert running.wait(20), "the fake omctl never started"
    op.on_kill()
    worker.join(20)
    assert len(outcome) == 1
    assert isinstance(outcome[0], AirflowException)
    assert not isinstance(outcome[0], AirflowFailException)
    assert "omctl exited with 130 (interrupted)" in str(outcome[0])
    assert ti.pushed[FAILED_REPORT_XCOM_KEY]["status"] == "failed"


def test_an_exception_in_the_task_stops_omctl(fake_omctl, record_path, log, tmp_path):
    # Airflow's SIGINT (a KeyboardInterrupt) or a timeout lands in the thread that
    # reads omctl's output; omctl, in its own session, must be stopped by us.
    stopped = tmp_path / "stopped"

    def interrupt(line: str) -> None:
        if line == "still running":
            raise KeyboardInterrupt

    log.on_line = interrupt
    op = make(
        fake_omctl,
        record_path,
        {"FAKE_UNTIL_SIGINT": "1", "FAKE_STOPPED_MARK": str(stopped)},
        kill_timeout=20,
    )
    with pytest.raises(KeyboardInterrupt):
        op.execute({})
    assert stopped.exists(), "omctl got no SIGINT"
    assert op._process is None


def test_env_and_workflow_are_templated():
    assert set(OmctlOperator.template_fields) == {"workflow_yaml", "workflow_file", "env"}

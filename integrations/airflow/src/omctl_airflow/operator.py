"""``OmctlOperator``: runs an OpenMetadata ingestion workflow with the omctl binary.

The operator starts ``omctl run``, hands it the workflow on standard input (or by
file path), copies omctl's output into the task log line by line as it comes, and
returns omctl's JSON report as the task's XCom. Secrets reach omctl only through
its environment or the workflow text on stdin, never through its command line,
which any user of the machine can read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # Airflow 3: the Task SDK.
    from airflow.sdk import BaseOperator
except ImportError:  # Airflow 2.x
    from airflow.models import BaseOperator

try:  # Airflow 3.1+: the SDK's exceptions (the core ones are deprecated aliases).
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow 2.x and 3.0
    from airflow.exceptions import AirflowException, AirflowFailException

try:  # Airflow 3
    from airflow.sdk.log import mask_secret
except ImportError:
    try:  # Airflow 2.x
        from airflow.utils.log.secrets_masker import mask_secret
    except ImportError:  # pragma: no cover - very old Airflow: nothing to register with

        def mask_secret(secret: Any, name: str | None = None) -> None:
            return None


from omctl_airflow.exit_codes import Outcome, verdict
from omctl_airflow.workflow_text import with_pipeline_fqn

# Environment variables whose values are registered with Airflow's secrets masker,
# so that they are hidden in task logs and rendered fields if anything prints them.
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|JWT|KEY|CREDENTIAL", re.IGNORECASE)

# XCom key under which the report of a failed run is pushed (a failed task has no
# return value, but its report says what failed).
FAILED_REPORT_XCOM_KEY = "omctl_report"


class OmctlOperator(BaseOperator):
    """Runs ``omctl run`` on an OpenMetadata workflow.

    :param workflow_yaml: the workflow as YAML (or JSON) text; templated. It may
        refer to environment variables as ``${NAME}``, which omctl expands: keep
        secrets there and pass them with ``env``.
    :param workflow_file: path of a workflow file instead of ``workflow_yaml``;
        templated. omctl reads and expands the file itself.
    :param omctl_path: the omctl binary; by default ``omctl`` found on ``PATH``
        (the task's ``PATH``, after ``env`` is applied).
    :param plugin_paths: connector plugin files or directories, passed as
        ``--plugin`` (omctl also reads ``OMCTL_PLUGIN_PATH`` from ``env``).
    :param env: extra environment variables for omctl, on top of the task's own;
        templated (``{"AWS_SECRET_ACCESS_KEY": "{{ conn.glue.password }}"}``).
        Values of variables whose names contain SECRET, TOKEN, PASSWORD, JWT, KEY
        or CREDENTIAL are registered with Airflow's secrets masker.
    :param dry_run: read the source and report what would be written, write nothing.
    :param ingestion_pipeline_fqn: the OpenMetadata ingestion pipeline
        (``service.pipeline``) this run reports its status to, for a workflow that
        does not name one itself (``ingestionPipelineFQN``).
    :param kill_timeout: seconds omctl gets to close its sink and write its
        report after the task is stopped, before it is killed.

    Returns (XCom ``return_value``) omctl's JSON report. Exit codes: 0 succeeds;
    2 (configuration) and 4 (plugin) fail without retry; 1 (workflow below
    ``successThreshold``), 3 (connection or authentication), 5 (internal) and 130
    (interrupted) fail and are retried when the task has retries left.
    """

    template_fields: Sequence[str] = ("workflow_yaml", "workflow_file", "env")
    template_fields_renderers = {"workflow_yaml": "yaml", "env": "json"}
    ui_color = "#d7e8f5"

    def __init__(
        self,
        *,
        workflow_yaml: str | None = None,
        workflow_file: str | os.PathLike[str] | None = None,
        omctl_path: str | os.PathLike[str] | None = None,
        plugin_paths: Sequence[str | os.PathLike[str]] = (),
        env: Mapping[str, str] | None = None,
        dry_run: bool = False,
        ingestion_pipeline_fqn: str | None = None,
        kill_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (workflow_yaml is None) == (workflow_file is None):
            raise ValueError(
                f"{self.task_id}: give exactly one of workflow_yaml and workflow_file"
            )
        self.workflow_yaml = workflow_yaml
        self.workflow_file = None if workflow_file is None else os.fspath(workflow_file)
        self.omctl_path = None if omctl_path is None else os.fspath(omctl_path)
        self.plugin_paths = [os.fspath(p) for p in plugin_paths]
        self.env = dict(env or {})
        self.dry_run = dry_run
        self.ingestion_pipeline_fqn = ingestion_pipeline_fqn
        self.kill_timeout = kill_timeout
        self._process: subprocess.Popen[str] | None = None
        self._interrupted_pid: int | None = None

    # -- what omctl gets -------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in self.env.items():
            value = "" if value is None else str(value)
            if value and _SECRET_NAME.search(name):
                mask_secret(value, name)
            env[str(name)] = value
        return env

    def _binary(self, env: Mapping[str, str]) -> str:
        if self.omctl_path:
            if not Path(self.omctl_path).is_file():
                raise AirflowFailException(f"omctl_path {self.omctl_path} is not a file")
            return self.omctl_path
        found = shutil.which("omctl", path=env.get("PATH"))
        if found is None:
            raise AirflowFailException(
                "omctl was not found on PATH: install it on the workers or set omctl_path"
            )
        return found

    def _workflow_input(self) -> tuple[str, str | None]:
        """The ``-c`` argument and the text to send on stdin (None: nothing)."""
        if self.workflow_yaml is not None:
            text = self.workflow_yaml
            if self.ingestion_pipeline_fqn:
                text, _ = with_pipeline_fqn(text, self.ingestion_pipeline_fqn)
            return "-", text
        path = self.workflow_file
        assert path is not None
        if not self.ingestion_pipeline_fqn:
            # omctl reads the file itself, so its errors name the file and line.
            return path, None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise AirflowFailException(f"cannot read the workflow file {path}: {e}") from e
        text, added = with_pipeline_fqn(text, self.ingestion_pipeline_fqn)
        if not added:
            return path, None
        self.log.info(
            "workflow %s sent on stdin with ingestionPipelineFQN %s added",
            path,
            self.ingestion_pipeline_fqn,
        )
        return "-", text

    def command(self, binary: str, config_arg: str, report_path: str) -> list[str]:
        """omctl's command line. It carries paths and flags only, never a secret."""
        argv = [binary, "run", "-c", config_arg, "--report", report_path]
        for p in self.plugin_paths:
            argv += ["--plugin", p]
        if self.dry_run:
            argv.append("--dry-run")
        return argv

    # -- running it ------------------------------------------------------------

    def execute(self, context: Mapping[str, Any]) -> Any:
        env = self._environment()
        binary = self._binary(env)
        config_arg, stdin_text = self._workflow_input()
        with tempfile.TemporaryDirectory(prefix="omctl-airflow-") as tmp:
            report_path = os.path.join(tmp, "report.json")
            argv = self.command(binary, config_arg, report_path)
            self.log.info("running %s", " ".join(argv))
            returncode, last_stdout, last_error = self._run(argv, env, stdin_text)
            report = _read_report(report_path, last_stdout)

        result = verdict(returncode)
        if result.outcome is Outcome.SUCCEED:
            if report is None:
                self.log.warning("omctl succeeded but wrote no report")
            return report

        if report is not None:
            _push_failed_report(context, report)
        message = f"omctl exited with {returncode} ({result.meaning})"
        if last_error:
            message += f": {last_error}"
        if result.outcome is Outcome.FAIL_WITHOUT_RETRY:
            raise AirflowFailException(message + " (not retried: fix the workflow or plugin)")
        raise AirflowException(message)

    def _run(
        self, argv: list[str], env: dict[str, str], stdin_text: str | None
    ) -> tuple[int, str | None, str | None]:
        """Runs omctl, logging its output as it comes. Returns the exit code, the
        last non-empty stdout line and the last stderr line that starts with
        ``error:``."""
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                # Its own session: Airflow signals the task's whole process group,
                # and omctl must get one SIGINT, from this operator (a second one
                # makes it quit without closing its sink). _stop sees that it
                # never outlives the task.
                start_new_session=True,
            )
        except OSError as e:
            raise AirflowFailException(f"cannot start {argv[0]}: {e}") from e
        self._process = process

        last_error: list[str] = []

        def pump_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                line = line.rstrip("\n")
                if line.startswith("error:"):
                    last_error[:] = [line[len("error:") :].strip()]
                self.log.info("%s", line)

        def feed_stdin() -> None:
            assert process.stdin is not None
            try:
                process.stdin.write(stdin_text or "")
            except BrokenPipeError:
                # omctl stopped before reading it all; its exit code says why.
                pass
            finally:
                try:
                    process.stdin.close()
                except BrokenPipeError:
                    pass

        helpers = [threading.Thread(target=pump_stderr, daemon=True)]
        if stdin_text is not None:
            helpers.append(threading.Thread(target=feed_stdin, daemon=True))
        for t in helpers:
            t.start()

        last_stdout: str | None = None
        assert process.stdout is not None
        try:
            for line in process.stdout:
                line = line.rstrip("\n")
                if line.strip():
                    last_stdout = line
                self.log.info("%s", line)
            returncode = process.wait()
        except BaseException:
            # A timeout, a KeyboardInterrupt from Airflow's SIGINT: omctl runs in
            # its own session, so nothing else stops it; it must not outlive us.
            self._stop(process)
            raise
        finally:
            self._process = None
        for t in helpers:
            t.join()
        return returncode, last_stdout, (last_error[0] if last_error else None)

    def on_kill(self) -> None:
        """Stops omctl the way Ctrl-C does (it closes the sink and writes its
        report), and kills it if it has not exited after ``kill_timeout``."""
        process = self._process
        if process is not None:
            self._stop(process)

    def _stop(self, process: subprocess.Popen[str]) -> None:
        if process.poll() is not None:
            return
        # One SIGINT only: a second one makes omctl quit without closing its sink.
        if self._interrupted_pid != process.pid:
            self._interrupted_pid = process.pid
            self.log.info("stopping omctl (pid %s)", process.pid)
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=self.kill_timeout)
        except subprocess.TimeoutExpired:
            self.log.warning("omctl did not stop within %ss: killing it", self.kill_timeout)
            process.kill()
            process.wait()


def _read_report(report_path: str, last_stdout: str | None) -> dict[str, Any] | None:
    """omctl's full report, or else its one-line summary (the last stdout line),
    or None when it wrote neither (it stopped before the run, as on a bad file)."""
    try:
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
        if isinstance(report, dict):
            return report
    except (OSError, ValueError):
        pass
    if last_stdout:
        try:
            summary = json.loads(last_stdout)
        except ValueError:
            return None
        if isinstance(summary, dict):
            return summary
    return None


def _push_failed_report(context: Mapping[str, Any], report: dict[str, Any]) -> None:
    ti = context.get("ti") if hasattr(context, "get") else None
    if ti is None:
        return
    try:
        ti.xcom_push(key=FAILED_REPORT_XCOM_KEY, value=report)
    except Exception:  # noqa: BLE001 - the failure itself matters more than its report
        pass

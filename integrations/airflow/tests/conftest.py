"""Shared fixtures: a fake ``omctl`` that records how it was called, and a log
recorder in place of the task logger."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

# A stand-in for the omctl binary, driven by FAKE_* variables in its environment
# (which the operator's `env` sets, so they also show that `env` arrives). It
# records its argv, stdin and a few variables, prints log lines to stderr and a
# summary line to stdout, writes a report to the `--report` path and exits with
# FAKE_EXIT.
FAKE_OMCTL = textwrap.dedent(
    """\
    #!{python}
    import json, os, signal, sys, time

    argv = sys.argv[1:]
    env = os.environ
    config = argv[argv.index("-c") + 1]
    report_path = argv[argv.index("--report") + 1]
    stdin_text = sys.stdin.read() if config == "-" else None
    with open(env["FAKE_RECORD"], "w") as f:
        json.dump({{
            "argv": sys.argv,
            "stdin": stdin_text,
            "secret_in_env": env.get("AWS_SECRET_ACCESS_KEY"),
        }}, f)

    def report(status):
        return {{"status": status, "steps": [{{"name": "glue", "records": 3}}], "fake": True}}

    def write_report(status):
        if env.get("FAKE_WRITE_REPORT", "1") == "1":
            with open(report_path, "w") as f:
                json.dump(report(status), f)

    print("INFO read workflow", config, file=sys.stderr, flush=True)
    if env.get("FAKE_WAIT_FOR"):
        # Streaming check: this line must reach the task log while omctl runs.
        print("waiting for the log to see this line", file=sys.stderr, flush=True)
        deadline = time.time() + 20
        while not os.path.exists(env["FAKE_WAIT_FOR"]):
            if time.time() > deadline:
                print("error: nobody read my output", file=sys.stderr, flush=True)
                sys.exit(9)
            time.sleep(0.02)
    if env.get("FAKE_UNTIL_SIGINT"):
        def stop(signum, frame):
            if env.get("FAKE_STOPPED_MARK"):
                open(env["FAKE_STOPPED_MARK"], "w").close()
            write_report("failed")
            print(json.dumps({{"status": "failed", "stopped": "interrupted"}}), flush=True)
            sys.exit(130)
        signal.signal(signal.SIGINT, stop)
        print("running until interrupted", file=sys.stderr, flush=True)
        print("still running", flush=True)
        while True:
            time.sleep(0.05)
    if env.get("FAKE_KILL_SELF"):
        os.kill(os.getpid(), signal.SIGKILL)
    if env.get("FAKE_ERROR"):
        print("error: " + env["FAKE_ERROR"], file=sys.stderr, flush=True)
    code = int(env.get("FAKE_EXIT", "0"))
    status = "success" if code == 0 else "failed"
    write_report(status)
    print("some record on stdout", flush=True)
    print(json.dumps({{"status": status, "summary": True}}), flush=True)
    sys.exit(code)
    """
)


class LogRecorder:
    """Collects what the operator logs, as formatted lines; calls `on_line` for
    each one so a test can react while omctl still runs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.on_line: Callable[[str], None] | None = None

    def _add(self, msg: str, *args: Any, **_: Any) -> None:
        line = msg % args if args else msg
        self.lines.append(line)
        if self.on_line is not None:
            self.on_line(line)

    info = warning = error = debug = exception = _add

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def fake_omctl(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "omctl"
    path.parent.mkdir()
    path.write_text(FAKE_OMCTL.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def record_path(tmp_path: Path) -> Path:
    return tmp_path / "record.json"


@pytest.fixture
def read_record(record_path: Path) -> Callable[[], dict[str, Any]]:
    return lambda: json.loads(record_path.read_text())


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> LogRecorder:
    from omctl_airflow.operator import OmctlOperator

    recorder = LogRecorder()
    monkeypatch.setattr(OmctlOperator, "log", property(lambda self: recorder))
    return recorder


@pytest.fixture(autouse=True)
def _no_real_omctl_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests that look omctl up on PATH must find the fake, never an installed one.
    monkeypatch.setenv("PATH", os.defpath)

"""omctl's exit codes and what each one means for an Airflow task.

Kept free of Airflow imports so that the table can be read (and tested) anywhere.
The codes are omctl's own (``omctl --help`` lists them); 99 is never one of them,
because Airflow's BashOperator reads 99 as "skipped".
"""

from __future__ import annotations

import enum
from typing import NamedTuple

SUCCESS = 0
WORKFLOW_FAILED = 1
CONFIG = 2
CONNECTION = 3
PLUGIN = 4
INTERNAL = 5
INTERRUPTED = 130


class Outcome(enum.Enum):
    """What the task does with a finished omctl process."""

    SUCCEED = "succeed"
    # The input is wrong: running it again gives the same answer.
    FAIL_WITHOUT_RETRY = "fail without retry"
    # Something outside the input went wrong (a server, the network, part of the
    # catalog): a later try may pass, so the task's `retries` apply.
    FAIL_MAY_RETRY = "fail, may retry"


class Verdict(NamedTuple):
    outcome: Outcome
    meaning: str


_VERDICTS = {
    SUCCESS: Verdict(Outcome.SUCCEED, "success"),
    WORKFLOW_FAILED: Verdict(
        Outcome.FAIL_MAY_RETRY,
        "the workflow failed (success below successThreshold)",
    ),
    CONFIG: Verdict(Outcome.FAIL_WITHOUT_RETRY, "configuration or usage error"),
    CONNECTION: Verdict(Outcome.FAIL_MAY_RETRY, "connection or authentication failure"),
    PLUGIN: Verdict(Outcome.FAIL_WITHOUT_RETRY, "plugin error"),
    INTERNAL: Verdict(Outcome.FAIL_MAY_RETRY, "internal error in omctl"),
    INTERRUPTED: Verdict(Outcome.FAIL_MAY_RETRY, "interrupted"),
}


def verdict(returncode: int) -> Verdict:
    """The verdict for a process return code (negative: killed by that signal)."""
    if returncode in _VERDICTS:
        return _VERDICTS[returncode]
    if returncode < 0:
        return Verdict(Outcome.FAIL_MAY_RETRY, f"killed by signal {-returncode}")
    return Verdict(Outcome.FAIL_MAY_RETRY, f"unknown exit code {returncode}")

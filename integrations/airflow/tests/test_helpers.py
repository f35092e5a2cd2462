"""The Airflow-free parts: the exit-code table and the workflow text edit."""

from __future__ import annotations

import json

import pytest

from omctl_airflow.exit_codes import Outcome, verdict
from omctl_airflow.workflow_text import with_pipeline_fqn


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (0, Outcome.SUCCEED),
        (1, Outcome.FAIL_MAY_RETRY),
        (2, Outcome.FAIL_WITHOUT_RETRY),
        (3, Outcome.FAIL_MAY_RETRY),
        (4, Outcome.FAIL_WITHOUT_RETRY),
        (5, Outcome.FAIL_MAY_RETRY),
        (130, Outcome.FAIL_MAY_RETRY),
        # Not an omctl code; in particular never "skipped" as BashOperator reads 99.
        (99, Outcome.FAIL_MAY_RETRY),
        (-15, Outcome.FAIL_MAY_RETRY),
    ],
)
def test_exit_code_outcomes(code, outcome):
    assert verdict(code).outcome is outcome


def test_verdicts_say_what_happened():
    assert verdict(3).meaning == "connection or authentication failure"
    assert verdict(-9).meaning == "killed by signal 9"
    assert verdict(77).meaning == "unknown exit code 77"


def test_fqn_is_appended_to_yaml_keeping_the_text():
    text = "source:\n  type: glue  # ${NOT_EXPANDED_HERE}\nsink:\n  type: metadata-rest"
    out, added = with_pipeline_fqn(text, 'my "glue".metadata')
    assert added
    assert out == text + '\ningestionPipelineFQN: "my \\"glue\\".metadata"\n'


@pytest.mark.parametrize(
    "text",
    [
        "source: {}\ningestionPipelineFQN: svc.other\n",
        "source: {}\n'ingestionPipelineFQN': svc.other\n",
        '{"source": {}, "ingestionPipelineFQN": "svc.other"}',
    ],
)
def test_a_workflow_that_names_its_pipeline_wins(text):
    assert with_pipeline_fqn(text, "svc.mine") == (text, False)


def test_a_nested_key_of_that_name_does_not_count():
    text = "source:\n  ingestionPipelineFQN: odd\n"
    out, added = with_pipeline_fqn(text, "svc.p")
    assert added and out.endswith('\ningestionPipelineFQN: "svc.p"\n')


def test_fqn_is_added_to_json():
    out, added = with_pipeline_fqn('{"source": {"type": "glue"}}', "svc.p")
    assert added
    assert json.loads(out) == {"source": {"type": "glue"}, "ingestionPipelineFQN": "svc.p"}

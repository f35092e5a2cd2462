"""Small edits to a workflow's text before it goes to omctl. No Airflow imports."""

from __future__ import annotations

import json
import re

PIPELINE_FQN_KEY = "ingestionPipelineFQN"

# A top-level key starts at column 0; in OpenMetadata's workflow files the top level
# is always a block mapping (`source:`, `sink:`, `workflowConfig:`).
_TOP_LEVEL_FQN = re.compile(r"^['\"]?" + PIPELINE_FQN_KEY + r"['\"]?\s*:", re.MULTILINE)


def with_pipeline_fqn(text: str, fqn: str) -> tuple[str, bool]:
    """Returns the workflow text with ``ingestionPipelineFQN`` set to ``fqn``, and
    whether it was added.

    A workflow that already names its ingestion pipeline is left as it is: the
    file wins over the operator. JSON is re-encoded (it has no comments to lose);
    YAML gets one line appended, so comments, anchors and ``${VAR}`` references
    stay exactly as written.
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            # Not JSON after all (a YAML flow mapping): leave it for omctl to judge.
            return text, False
        if isinstance(doc, dict):
            if PIPELINE_FQN_KEY in doc:
                return text, False
            doc[PIPELINE_FQN_KEY] = fqn
            return json.dumps(doc, indent=2) + "\n", True
        return text, False
    if _TOP_LEVEL_FQN.search(text):
        return text, False
    if not text.endswith("\n"):
        text += "\n"
    # A JSON string is a valid YAML double-quoted scalar, whatever the name holds.
    return f"{text}{PIPELINE_FQN_KEY}: {json.dumps(fqn)}\n", True

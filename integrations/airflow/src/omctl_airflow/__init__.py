"""Run OpenMetadata ingestion workflows from Airflow with the omctl binary.

``from omctl_airflow import OmctlOperator`` imports Airflow; the rest of the
package (exit codes, workflow text helpers) does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["OmctlOperator", "__version__"]

if TYPE_CHECKING:
    from omctl_airflow.operator import OmctlOperator


def __getattr__(name: str) -> Any:
    # Airflow is imported only when the operator is asked for.
    if name == "OmctlOperator":
        from omctl_airflow.operator import OmctlOperator

        return OmctlOperator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Checks what the Airflow end-to-end run (run_airflow_e2e.sh) left behind: the
task states in Airflow's metadata database, the XCom, the OpenMetadata emulator's
state, and that no secret reached a log.

Standard library only; run with any Python 3.10+:

    python e2e_check.py --airflow-db airflow.db --om-state om-state.json \
        --sample-catalog sample-catalog.json --logs DIR --secret S [--secret S...]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

# The DAGs the script runs (ids from the example files, the generated DAG and the
# failing one the script writes).
EXAMPLE_DAG = ("glue_database_metadata", "ingest_glue_catalog")
GROUP_DAG = ("glue_database_metadata_by_group", "ingest_group")
GENERATED_DAG = ("omctl_e2e_registered", "ingest")
BAD_CONFIG_DAG = ("omctl_e2e_bad_config", "ingest")
REGISTERED_PIPELINE = "demo_glue.omctl_e2e_registered"

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def quote(name: str) -> str:
    # OpenMetadata quotes an FQN part that holds a dot.
    return f'"{name}"' if "." in name else name


def task_instances(db: sqlite3.Connection, dag_id: str, task_id: str) -> list[sqlite3.Row]:
    return db.execute(
        "select state, try_number, max_tries, map_index, run_id from task_instance "
        "where dag_id = ? and task_id = ? order by map_index",
        (dag_id, task_id),
    ).fetchall()


def check_airflow(db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    for dag_id, task_id in (EXAMPLE_DAG, GENERATED_DAG):
        tis = task_instances(db, dag_id, task_id)
        check(
            len(tis) == 1 and tis[0]["state"] == "success",
            f"{dag_id}.{task_id} succeeded ({[dict(t) for t in tis]})",
        )
    tis = task_instances(db, *GROUP_DAG)
    check(
        len(tis) == 2 and [t["map_index"] for t in tis] == [0, 1] and all(t["state"] == "success" for t in tis),
        f"{GROUP_DAG[0]} mapped one task per group, both succeeded ({[dict(t) for t in tis]})",
    )
    tis = task_instances(db, *BAD_CONFIG_DAG)
    check(
        len(tis) == 1 and tis[0]["state"] == "failed" and tis[0]["try_number"] == 1 and tis[0]["max_tries"] == 3,
        f"{BAD_CONFIG_DAG[0]}: a configuration error failed at the first try though 3 retries were allowed "
        f"({[dict(t) for t in tis]})",
    )

    row = db.execute(
        "select value from xcom where dag_id = ? and task_id = ? and key = 'return_value'",
        EXAMPLE_DAG,
    ).fetchone()
    report = json.loads(row[0]) if row else None
    if isinstance(report, str):  # some versions store the JSON text as a JSON string
        report = json.loads(report)
    check(
        isinstance(report, dict)
        and report.get("status") == "success"
        and report.get("sourceType") == "glue"
        and any(s.get("name") == "metadata-rest" and s.get("records", 0) > 0 for s in report.get("steps", [])),
        "the example task's XCom is omctl's report (status success, records written)",
    )

    for task_id, fields in db.execute("select task_id, rendered_fields from rendered_task_instance_fields"):
        env = json.loads(fields).get("env") or {}
        secret_vars = {k: v for k, v in env.items() if "SECRET" in k or "JWT" in k}
        if secret_vars:
            check(
                all(v == "***" for v in secret_vars.values()),
                f"{task_id}: secret variables are masked in the rendered fields ({sorted(secret_vars)})",
            )


def check_openmetadata(state_path: Path, catalog_path: Path) -> None:
    state = json.loads(state_path.read_text())
    entities = state["entities"]

    catalog = json.loads(catalog_path.read_text())
    own = next(c for c in catalog["Catalogs"] if c["CatalogId"] == catalog["AccountId"])
    expected = {
        f"local_glue.{own['CatalogId']}.{quote(db['Name'])}.{quote(t['Name'])}"
        for db in own["Databases"]
        for t in db.get("Tables", [])
    }
    tables = [t for t in entities.get("tables", []) if t["fullyQualifiedName"].startswith("local_glue.")]
    arrived = {t["fullyQualifiedName"] for t in tables}
    check(arrived == expected, f"every table of the sample catalog arrived ({len(arrived)} of {len(expected)})")
    deleted = sorted(t["fullyQualifiedName"] for t in tables if t.get("deleted"))
    check(not deleted, f"the per-group runs marked no table of another group deleted ({deleted})")

    services = {s["name"]: s for s in entities.get("services/databaseServices", [])}
    check({"local_glue", "demo_glue"} <= set(services), f"both database services exist ({sorted(services)})")

    pipelines = {p["fullyQualifiedName"]: p for p in entities.get("services/ingestionPipelines", [])}
    pipeline = pipelines.get(REGISTERED_PIPELINE)
    check(pipeline is not None, f"ingestion pipeline {REGISTERED_PIPELINE} registered ({sorted(pipelines)})")
    if pipeline is not None:
        airflow = pipeline.get("airflowConfig", {})
        check(
            airflow.get("scheduleInterval") == "0 0 * * *"
            and airflow.get("startDate") == "2026-01-01T00:00:00Z"
            and airflow.get("endDate") == "2027-01-01T00:00:00Z",
            f"its airflowConfig holds the schedule ({airflow})",
        )
        check(
            pipeline.get("service", {}).get("type") == "databaseService",
            "it belongs to the database service",
        )
    statuses = state["ingestionPipelineStatuses"].get(REGISTERED_PIPELINE) or {}
    runs = list(statuses.values()) if isinstance(statuses, dict) else statuses
    check(
        any(r.get("pipelineState") == "success" for r in runs),
        f"the generated DAG's run reported success to it ({[r.get('pipelineState') for r in runs]})",
    )


def check_secrets(logs: Path, secrets: list[str]) -> None:
    leaks = []
    for path in sorted(p for p in logs.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        leaks += [f"{path}: {s[:4]}..." for s in secrets if s in text]
    check(not leaks, f"no secret in the Airflow output and task logs ({leaks})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--airflow-db", type=Path, required=True)
    parser.add_argument("--om-state", type=Path, required=True)
    parser.add_argument("--sample-catalog", type=Path, required=True)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--secret", action="append", default=[])
    args = parser.parse_args()
    check_airflow(args.airflow_db)
    check_openmetadata(args.om_state, args.sample_catalog)
    check_secrets(args.logs, args.secret)
    passed = "all checks passed" if not failures else f"{len(failures)} checks failed"
    print(passed)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

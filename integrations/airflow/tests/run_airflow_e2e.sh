#!/usr/bin/env bash
# The omctl Airflow integration, tested for real:
#
#  1. builds omctl, the Glue plugin and the two emulators (a no-op when built);
#  2. installs apache-airflow (pinned) into target/tools/airflow-venv, once: later
#     runs reuse it; then installs this package (omctl-airflow) into it;
#  3. runs the package's unit tests (pytest);
#  4. starts the Glue emulator (glue-mock) and the OpenMetadata emulator (om-mock)
#     on 127.0.0.1, makes a fresh AIRFLOW_HOME with SQLite, `airflow db migrate`;
#  5. `airflow dags test` on:
#     - examples/glue_database_dag.py (the recipe's DAG; secrets from Airflow
#       connections),
#     - a DAG written by `omctl airflow dag --register` for
#       examples/workflows/glue-database.yaml (registers the ingestion pipeline
#       with its schedule; the run reports its status to it),
#     - examples/glue_database_by_group_dag.py (one mapped task per group),
#     - a DAG whose workflow has a configuration error (must fail without retry);
#  6. checks (tests/e2e_check.py): task states, the XCom report, the tables and the
#     ingestion pipeline in the emulator's state, no secret in any log.
#
# Self-contained and idempotent: everything but the venv lives in a temporary
# directory, removed on success (kept on failure, or with OMCTL_E2E_KEEP=1).
# Environment: PYTHON (python3), CARGO (cargo), OMCTL_AIRFLOW_VENV (the venv),
# OMCTL_E2E_SKIP_BUILD=1 (use what target/debug has).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PKG="$(dirname "$HERE")"
ROOT="$(cd "$PKG/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/debug"
VENV="${OMCTL_AIRFLOW_VENV:-$TARGET/tools/airflow-venv}"
PYTHON="${PYTHON:-python3}"
CARGO="${CARGO:-cargo}"

# Pinned so that a new release cannot change the environment under the test; the
# constraint files Airflow publishes are not reachable here, and this set was
# checked to install and pass.
VENV_SPEC=(apache-airflow==3.3.2 pytest==9.0.3 setuptools==84.2.1 wheel==0.48.0)

START=$SECONDS
say() { printf '[airflow-e2e %4ss] %s\n' "$((SECONDS - START))" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# --- 1. binaries ------------------------------------------------------------
if [[ "${OMCTL_E2E_SKIP_BUILD:-}" != 1 ]]; then
    say "building omctl, glue-database, glue-mock, om-mock"
    (cd "$ROOT" && "$CARGO" build --quiet -p omctl -p glue-database -p glue-mock -p om-mock)
fi
for f in omctl glue-mock om-mock libglue_database.so; do
    [[ -e "$BIN/$f" ]] || fail "$BIN/$f is missing (build it, or unset OMCTL_E2E_SKIP_BUILD)"
done

# --- 2. Airflow --------------------------------------------------------------
STAMP="$VENV/installed.txt"
if [[ -x "$VENV/bin/airflow" && "$(cat "$STAMP" 2>/dev/null)" == "${VENV_SPEC[*]}" ]]; then
    say "reusing $VENV (${VENV_SPEC[*]})"
else
    say "installing ${VENV_SPEC[*]} into $VENV (once; about 2 minutes)"
    t=$SECONDS
    [[ -x "$VENV/bin/pip" ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${VENV_SPEC[@]}"
    echo "${VENV_SPEC[*]}" >"$STAMP"
    say "installed in $((SECONDS - t))s"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/omctl-airflow-e2e.XXXXXX")"
GLUE_PID=""
OM_PID=""
cleanup() {
    local code=$?
    exec 3>&- || true
    [[ -n "$GLUE_PID" ]] && kill -INT "$GLUE_PID" 2>/dev/null || true
    [[ -n "$OM_PID" ]] && kill -TERM "$OM_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [[ $code -eq 0 && "${OMCTL_E2E_KEEP:-}" != 1 ]]; then
        rm -rf "$WORK"
    else
        say "work directory kept: $WORK (logs in $WORK/logs)"
    fi
}
trap cleanup EXIT

# A copy, so that building the wheel leaves nothing in the source tree.
mkdir -p "$WORK/pkg"
cp -R "$PKG/pyproject.toml" "$PKG/README.md" "$PKG/src" "$WORK/pkg/"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall "$WORK/pkg" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; fail "cannot install omctl-airflow"; }
say "installed omctl-airflow into the venv"

# --- 3. unit tests -----------------------------------------------------------
say "unit tests"
(cd "$PKG" && "$VENV/bin/python" -m pytest -q tests)

# --- 4. emulators and Airflow home ------------------------------------------
mkdir -p "$WORK/logs" "$WORK/dags" "$WORK/airflow"

first_line() { # FILE PID NAME: waits for the first line the emulator prints
    local i
    for ((i = 0; i < 300; i++)); do
        if [[ -s "$1" ]] && IFS= read -r line <"$1" && [[ -n "$line" ]]; then
            printf '%s\n' "$line"
            return 0
        fi
        kill -0 "$2" 2>/dev/null || { cat "$1.err" >&2 || true; fail "$3 exited before printing its URL"; }
        sleep 0.1
    done
    fail "$3 printed no URL within 30s"
}

"$BIN/glue-mock" >"$WORK/glue.out" 2>"$WORK/glue.out.err" </dev/null &
GLUE_PID=$!
# om-mock serves until its stdin closes: fd 3 keeps it open, and closing it (or
# this script dying) stops the emulator, which then writes its state.
mkfifo "$WORK/om.stdin"
"$BIN/om-mock" --state "$WORK/om-state.json" <"$WORK/om.stdin" >"$WORK/om.out" 2>"$WORK/om.out.err" &
OM_PID=$!
exec 3>"$WORK/om.stdin"
GLUE_URL="$(first_line "$WORK/glue.out" "$GLUE_PID" glue-mock)"
OM_URL="$(first_line "$WORK/om.out" "$OM_PID" om-mock)"
say "Glue emulator $GLUE_URL, OpenMetadata emulator $OM_URL"

AWS_KEY_ID="AKIAE2EOMCTLAIRFLOW1"
AWS_SECRET="e2e-aws-secret-$RANDOM$RANDOM-never-logged"
JWT="e2e-jwt-$RANDOM$RANDOM-never-logged"

export AIRFLOW_HOME="$WORK/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$WORK/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$WORK/logs/airflow"
# Secrets as Airflow connections (what the example DAGs read)...
export AIRFLOW_CONN_AWS_GLUE="{\"conn_type\": \"aws\", \"login\": \"$AWS_KEY_ID\", \"password\": \"$AWS_SECRET\"}"
export AIRFLOW_CONN_OPENMETADATA="{\"conn_type\": \"http\", \"password\": \"$JWT\"}"
# ...and in the workers' environment (what the generated DAG's workflow file reads).
export AWS_ACCESS_KEY_ID="$AWS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET" OM_JWT_TOKEN="$JWT"
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export GLUE_ENDPOINT_URL="$GLUE_URL" GLUE_ENDPOINT="$GLUE_URL" OM_HOST_PORT="$OM_URL"
# The groups of the per-group DAG, matching the emulator's sample catalog.
export AIRFLOW_VAR_OMCTL_GLUE_SCHEMA_GROUPS='[["^analytics$", "^empty_db$"], ["^sales$", "^lake\\..*"]]'
# The examples find omctl on PATH; omctl finds its plugins next to itself.
export PATH="$BIN:$VENV/bin:$PATH"
unset OMCTL_PLUGIN_PATH

say "airflow db migrate"
airflow db migrate >"$WORK/logs/db-migrate.log" 2>&1 || { tail -20 "$WORK/logs/db-migrate.log" >&2; fail "airflow db migrate"; }

# --- 5. the DAGs -------------------------------------------------------------
cp "$PKG/examples/glue_database_dag.py" "$PKG/examples/glue_database_by_group_dag.py" "$WORK/dags/"

say "omctl airflow dag --register"
omctl airflow dag -c "$ROOT/examples/workflows/glue-database.yaml" --dags-folder "$WORK/dags" \
    --schedule daily --start-date 2026-01-01 --end-date 2027-01-01 \
    --dag-id omctl_e2e_registered --omctl-path "$BIN/omctl" --register \
    >"$WORK/logs/omctl-airflow-dag.out" 2>"$WORK/logs/omctl-airflow-dag.err" ||
    { cat "$WORK/logs/omctl-airflow-dag.err" >&2; fail "omctl airflow dag"; }
grep -q '"ingestionPipelineFQN":"demo_glue.omctl_e2e_registered"' "$WORK/logs/omctl-airflow-dag.out" ||
    fail "omctl airflow dag did not report the pipeline: $(cat "$WORK/logs/omctl-airflow-dag.out")"

cat >"$WORK/dags/omctl_e2e_bad_config.py" <<'EOF'
import datetime

from airflow.sdk import DAG

from omctl_airflow import OmctlOperator

# `sourceConfg` is a typo: omctl exits 2, and the task must fail at once even
# though it has retries.
WORKFLOW = """
source:
  type: glue
  serviceName: local_glue
  sourceConfg:
    config:
      type: DatabaseMetadata
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://127.0.0.1:9/api
    authProvider: openmetadata
"""

with DAG(
    dag_id="omctl_e2e_bad_config",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule=None,
    default_args={"retries": 3, "retry_delay": datetime.timedelta(seconds=1)},
) as dag:
    OmctlOperator(task_id="ingest", workflow_yaml=WORKFLOW)
EOF

LOGICAL_DATE=2026-06-01
dags_test() { # DAG_ID MUST_SUCCEED
    local t=$SECONDS code=0
    airflow dags test "$1" "$LOGICAL_DATE" >"$WORK/logs/$1.log" 2>&1 || code=$?
    say "airflow dags test $1: exit $code, $((SECONDS - t))s"
    if [[ "$2" == yes && $code -ne 0 ]]; then
        tail -40 "$WORK/logs/$1.log" >&2
        fail "airflow dags test $1"
    fi
}
dags_test glue_database_metadata yes
dags_test omctl_e2e_registered yes
dags_test glue_database_metadata_by_group yes
dags_test omctl_e2e_bad_config no
grep -q 'omctl exited with 2 (configuration or usage error)' "$WORK/logs/omctl_e2e_bad_config.log" ||
    fail "the bad-config task did not fail with omctl's configuration error (see $WORK/logs/omctl_e2e_bad_config.log)"

# --- 6. checks ---------------------------------------------------------------
exec 3>&- # om-mock writes its state and exits
wait "$OM_PID" || fail "om-mock exited with an error: $(cat "$WORK/om.out.err")"
OM_PID=""
say "checking"
"$VENV/bin/python" "$HERE/e2e_check.py" \
    --airflow-db "$AIRFLOW_HOME/airflow.db" \
    --om-state "$WORK/om-state.json" \
    --sample-catalog "$ROOT/crates/glue-mock/data/sample-catalog.json" \
    --logs "$WORK/logs" \
    --secret "$AWS_SECRET" --secret "$JWT"
say "passed in $((SECONDS - START))s"

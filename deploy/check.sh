#!/usr/bin/env bash
# Check the scheduling examples in deploy/ as far as this machine allows. Rerunnable; touches nothing
# outside $CHECK_DIR (default /tmp/cleanpipe-deploy-check) except, as root, a crontab for user "nobody"
# that it installs and removes again (only when nobody has none).
#
#   deploy/check.sh                 # cleanpipe from the work tree; Airflow checks if its venv exists
#   deploy/check.sh --airflow       # also create the Airflow venv (pip install apache-airflow, ~300 MB)
#   deploy/check.sh --source head   # cleanpipe from the last commit instead of the work tree
#
# What it does:
#   1. installs cleanpipe the way deploy/README.md says (a virtualenv made with the system python3, then
#      `pip install <copy of the source>`), in $CHECK_DIR/app;
#   2. installs the checker's own tool (croniter) in $CHECK_DIR/tools;
#   3. runs deploy/check_schedules.py: exit statuses of the real `cleanpipe run`, the cron line (croniter,
#      Debian's crontab parser, and the command itself run as cron would), the systemd units
#      (systemd-analyze verify and calendar, and the ExecStart run as a non-root user), and the Airflow DAG
#      (DagBag import, the exit-status mapping, `airflow dags test`) when Airflow is available.
# Exit status: 0 every check passed, 1 some failed (each printed as FAIL).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
CHECK_DIR="${CHECK_DIR:-/tmp/cleanpipe-deploy-check}"
AIRFLOW_VENV="${AIRFLOW_VENV:-/tmp/cleanpipe-airflow-venv}"
SYSTEM_PYTHON="${SYSTEM_PYTHON:-/usr/bin/python3}"
SOURCE=worktree
WANT_AIRFLOW=0
while [ $# -gt 0 ]; do
    case "$1" in
        --airflow) WANT_AIRFLOW=1 ;;
        --source) SOURCE="$2"; shift ;;
        *) echo "usage: $0 [--airflow] [--source worktree|head]" >&2; exit 2 ;;
    esac
    shift
done
quiet_pip() { grep -v '^WARNING: Location .* is ignored' || true; }
[ -x "$SYSTEM_PYTHON" ] || SYSTEM_PYTHON="$(command -v python3)"

mkdir -p "$CHECK_DIR"
chmod 755 "$CHECK_DIR"  # the non-root runs must reach the venv

echo "== installing cleanpipe ($SOURCE) into $CHECK_DIR/app with $SYSTEM_PYTHON"
rm -rf "$CHECK_DIR/src" "$CHECK_DIR/app"
mkdir -p "$CHECK_DIR/src"
if [ "$SOURCE" = head ]; then
    git -C "$REPO" archive HEAD pyproject.toml README.md src | tar -x -C "$CHECK_DIR/src"
else
    # A copy, so that building the wheel leaves no build/ folder in the repository.
    cp -r "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/src" "$CHECK_DIR/src/"
    rm -rf "$CHECK_DIR/src/src/"*.egg-info
fi
"$SYSTEM_PYTHON" -m venv "$CHECK_DIR/app"
"$CHECK_DIR/app/bin/pip" install -q --disable-pip-version-check "$CHECK_DIR/src" 2>&1 | quiet_pip
chmod -R a+rX "$CHECK_DIR/app"

echo "== installing the checker's tools (croniter) into $CHECK_DIR/tools"
if [ ! -x "$CHECK_DIR/tools/bin/python" ]; then
    "$SYSTEM_PYTHON" -m venv "$CHECK_DIR/tools"
fi
"$CHECK_DIR/tools/bin/pip" install -q --disable-pip-version-check croniter 2>&1 | quiet_pip

if [ "$WANT_AIRFLOW" = 1 ] && [ ! -x "$AIRFLOW_VENV/bin/airflow" ]; then
    echo "== installing apache-airflow into $AIRFLOW_VENV (its own venv; may take several minutes)"
    python3 -m venv "$AIRFLOW_VENV"
    timeout 1500 "$AIRFLOW_VENV/bin/pip" install -q --disable-pip-version-check apache-airflow \
        || echo "apache-airflow could not be installed; the DAG is only compiled"
fi
AIRFLOW_ARGS=()
if [ -x "$AIRFLOW_VENV/bin/airflow" ]; then
    AIRFLOW_ARGS=(--airflow-venv "$AIRFLOW_VENV")
fi

exec "$CHECK_DIR/tools/bin/python" "$HERE/check_schedules.py" \
    --cleanpipe "$CHECK_DIR/app/bin/cleanpipe" --work "$CHECK_DIR/work" --repo "$REPO" "${AIRFLOW_ARGS[@]}"

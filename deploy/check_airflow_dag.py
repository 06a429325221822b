"""Helper of deploy/check_schedules.py, run with the Python of a virtualenv that has apache-airflow.

    python check_airflow_dag.py DAG_FILE CLEANPIPE_BIN RAW_PAGES SCRATCH

Loads the DAG with Airflow's DagBag, then calls its task's function with the real cleanpipe (exit 0, 1, 2)
and with stand-in scripts for what the real one cannot produce on demand (a lock held: 3; a crash: 1 with
no failed.jsonl). Prints one `ok NAME` or `FAIL NAME` line per check, and notes.
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import shutil
import signal
import sys
import time
from pathlib import Path

failures = 0


def report(condition: bool, name: str, note: str = "") -> None:
    global failures
    failures += not condition
    print(f"{'ok' if condition else 'FAIL'} {name}")
    if note:
        print(f"  {note}")


def load_dagbag(dag_file: Path) -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3

        bag = DagBag(dag_folder=str(dag_file))
    except ImportError:
        from airflow.models import DagBag  # Airflow 2

        bag = DagBag(dag_folder=str(dag_file), include_examples=False)
    report(not bag.import_errors, "DagBag loads the DAG file with no import errors", str(bag.import_errors or ""))
    dag = bag.dags.get("cleanpipe_nightly")
    report(dag is not None, "DAG cleanpipe_nightly found", f"DAGs: {sorted(bag.dags)}")
    if dag is None:
        return
    timetable = dag.timetable
    schedule = getattr(timetable, "description", None) or getattr(timetable, "summary", None) or repr(timetable)
    task = dag.tasks[0]
    print(
        f"  schedule: {schedule}; catchup: {dag.catchup}; max_active_runs: {dag.max_active_runs}; "
        f"tasks: {[t.task_id for t in dag.tasks]}; retries: {task.retries}; retry_delay: {task.retry_delay}; "
        f"execution_timeout: {task.execution_timeout}"
    )


def stand_in(folder: Path, name: str, body: str) -> str:
    script = folder / name
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def main() -> int:
    dag_file, cleanpipe, raw, scratch = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    scratch.mkdir(parents=True, exist_ok=True)
    import airflow

    print(f"apache-airflow {airflow.__version__}, Python {sys.version.split()[0]}")
    sys.dont_write_bytecode = True  # leave no __pycache__ in the DAG folder
    py_compile.compile(str(dag_file), cfile=str(scratch / "cleanpipe_dag.pyc"), doraise=True)
    report(True, "py_compile")
    load_dagbag(dag_file)

    try:  # the same classes the DAG raises
        from airflow.sdk.exceptions import AirflowException, AirflowFailException
    except ImportError:
        from airflow.exceptions import AirflowException, AirflowFailException

    spec = importlib.util.spec_from_file_location("cleanpipe_dag_under_test", dag_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def workdir(name: str, empty_page: bool = False) -> Path:
        root = scratch / name
        shutil.rmtree(root, ignore_errors=True)
        (root / "raw").mkdir(parents=True)
        for page in raw.iterdir():
            if page.suffix in (".txt", ".md", ".html", ".htm"):
                shutil.copy(page, root / "raw" / page.name)
        if empty_page:
            (root / "raw/empty_page.txt").write_bytes(b"")
        return root

    def outcome(root: Path, binary: str = cleanpipe, extra: str = "", limit: str | None = None) -> str:
        module.CLEANPIPE_BIN, module.CLEANPIPE_WORKDIR = binary, str(root)
        module.CLEANPIPE_INPUT, module.CLEANPIPE_OUTPUT, module.CLEANPIPE_EXTRA_ARGS = "raw", "clean", extra
        if limit is None:
            os.environ.pop("CLEANPIPE_MAX_FAILED_PAGES", None)
        else:
            os.environ["CLEANPIPE_MAX_FAILED_PAGES"] = limit
        try:
            return f"success {module.run_cleanpipe()}"
        except AirflowFailException as error:
            return f"fail-no-retry: {error}"
        except AirflowException as error:
            return f"fail-retry: {error}"

    fakes = scratch / "stand-ins"
    fakes.mkdir(parents=True, exist_ok=True)

    got = outcome(workdir("exit0"))
    report(got.startswith("success {'exit_status': 0"), "real cleanpipe, sample pages: task succeeds", got)
    got = outcome(workdir("exit1", empty_page=True))
    report(
        got.startswith("success {'exit_status': 1"),
        "real cleanpipe, an empty page (exit 1 + failed.jsonl): task succeeds with a warning",
        got,
    )
    got = outcome(workdir("exit1-limit", empty_page=True), limit="0")
    report(got.startswith("fail-no-retry"), "same with CLEANPIPE_MAX_FAILED_PAGES=0: fails, no retry", got)
    got = outcome(workdir("exit2"), extra="--no-such-flag")
    report(got.startswith("fail-no-retry"), "real cleanpipe, unknown flag (exit 2): fails, no retry", got)
    got = outcome(workdir("exit3"), binary=stand_in(fakes, "locked", "echo 'error: locked' >&2; exit 3"))
    report(got.startswith("fail-retry"), "stand-in exiting 3 (lock held): fails, retried", got)
    crash = stand_in(fakes, "crash", "echo 'Traceback (most recent call last):' >&2; exit 1")
    got = outcome(workdir("crash"), binary=crash)
    report(got.startswith("fail-retry"), "stand-in crashing with exit 1 and no failed.jsonl: fails, retried", got)
    stale = workdir("stale")
    (stale / "clean").mkdir()
    (stale / "clean/failed.jsonl").write_text('{"page": "old"}\n', encoding="utf-8")
    old = time.time() - 86400
    os.utime(stale / "clean/failed.jsonl", (old, old))
    got = outcome(stale, binary=crash)
    report(got.startswith("fail-retry"), "stand-in crashing with exit 1 and yesterday's failed.jsonl: retried", got)
    got = outcome(workdir("killed"), binary=stand_in(fakes, "killed", "kill -TERM $$"))
    report(got.startswith("fail-retry"), "stand-in killed by SIGTERM: fails, retried", got)

    # A task timeout (Airflow 2 raises it from SIGALRM) while cleanpipe runs: its whole process group stops.
    pidfile = scratch / "child.pid"
    slow = stand_in(fakes, "slow", f"sleep 300 & echo $! > {pidfile}; wait")

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("task timed out (test)")

    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(2)
    try:
        got = outcome(workdir("timeout"), binary=slow)
    except TimeoutError as error:
        got = f"raised {error}"
    finally:
        signal.alarm(0)
    child = int(pidfile.read_text().strip())
    time.sleep(0.5)
    report(
        got.startswith("raised") and not alive(child),
        "task timeout while cleanpipe runs: the exception propagates and cleanpipe's child processes are gone",
        f"{got}; child {child} {'still running' if alive(child) else 'gone'}",
    )
    if alive(child):
        os.kill(child, signal.SIGKILL)
    return 1 if failures else 0


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    sys.exit(main())

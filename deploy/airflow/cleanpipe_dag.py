"""Airflow DAG: run the cleanpipe batch every night at 02:30 (UTC, Airflow's default time zone).

Copy this file into the dags/ folder of an Airflow 2.7+ or 3.x deployment. cleanpipe need not be installed
in Airflow's own environment: the task runs the `cleanpipe` executable of its own virtualenv (see
CLEANPIPE_BIN below), so the two never share dependencies.

Exit statuses of `cleanpipe run` and what the task does with them:

  0  all pages cleaned                      -> success
  1  some pages failed, the rest written    -> success, with a WARNING in the task log naming the count and
     (listed in OUT/failed.jsonl)              OUT/failed.jsonl. Bad pages are a property of the scraped data:
                                               a retry gives the same failures, and a red task every night
                                               would hide the failures that matter. The task's return value
                                               (XCom) carries {"exit_status": 1, "failed_pages": N} for a
                                               downstream check. Set CLEANPIPE_MAX_FAILED_PAGES to make more
                                               than that many failed pages a (non-retried) task failure.
                                               A bug inside cleanpipe exits 4, but Python itself exits 1 when
                                               it cannot even start cleanpipe (a broken install), so 1 counts
                                               as "some pages failed" only when this run wrote
                                               OUT/failed.jsonl; otherwise the task fails and is retried.
  2  usage or config error                  -> failed at once, no retries (AirflowFailException): retrying
                                               the same command cannot fix it.
  3  another run holds the lock on OUT      -> failed and retried (retries=3, every 15 minutes): the other
                                               run will finish; the retry then has little left to do, as
                                               runs are incremental.
  4  internal error (a bug in cleanpipe)    -> failed and retried.
  5  the output cannot be written (read-    -> failed and retried (a full disk may be cleared meanwhile).
     only or full disk, permissions)
  128+N  stopped by signal N; or killed     -> failed and retried; runs are safe to kill and resume.

Settings come from environment variables of the Airflow worker, with the defaults below.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pendulum

try:  # Airflow 3
    from airflow.sdk import dag, task
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task
    from airflow.exceptions import AirflowException, AirflowFailException

log = logging.getLogger(__name__)

CLEANPIPE_BIN = os.environ.get("CLEANPIPE_BIN", "/opt/cleanpipe/venv/bin/cleanpipe")
CLEANPIPE_WORKDIR = os.environ.get("CLEANPIPE_WORKDIR", "/srv/cleanpipe")  # holds an optional cleanpipe.toml
CLEANPIPE_INPUT = os.environ.get("CLEANPIPE_INPUT", "raw")  # relative to CLEANPIPE_WORKDIR, or absolute
CLEANPIPE_OUTPUT = os.environ.get("CLEANPIPE_OUTPUT", "clean")
CLEANPIPE_EXTRA_ARGS = os.environ.get("CLEANPIPE_EXTRA_ARGS", "")  # e.g. "--workers 2"

EXIT_OK, EXIT_PAGES_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def run_cleanpipe() -> dict[str, int]:
    """Run `cleanpipe run`, stream its output into the task log, and map its exit status (see above)."""
    workdir = Path(CLEANPIPE_WORKDIR)
    output = workdir / CLEANPIPE_OUTPUT
    command = [CLEANPIPE_BIN, "run", "--quiet", *CLEANPIPE_EXTRA_ARGS.split(), CLEANPIPE_INPUT, "-o", CLEANPIPE_OUTPUT]
    log.info("running %s in %s", " ".join(command), workdir)
    started = time.time() - 2  # slack for file systems with coarse timestamps
    process = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group, so that stopping it reaches its worker processes
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.info("cleanpipe: %s", line.rstrip("\n"))
        status = process.wait()
    except BaseException:
        # Task timeout or the task being stopped: stop cleanpipe and its workers too (a run is safe to kill;
        # the retry carries on where it stopped), then re-raise.
        _stop_group(process)
        raise

    if status == EXIT_OK:
        return {"exit_status": status, "failed_pages": 0}
    if status == EXIT_PAGES_FAILED:
        failed_list = output / "failed.jsonl"
        try:
            if failed_list.stat().st_mtime < started:
                raise FileNotFoundError(failed_list)  # left by an earlier run
            with failed_list.open(encoding="utf-8") as handle:
                failed = sum(1 for line in handle if line.strip())
        except OSError as error:
            raise AirflowException(
                f"cleanpipe run exited 1 but wrote no {failed_list}: it crashed (see the log above); will retry"
            ) from error
        log.warning("cleanpipe: %d pages failed and were not written; see %s", failed, failed_list)
        limit = os.environ.get("CLEANPIPE_MAX_FAILED_PAGES")
        if limit is not None and failed > int(limit):
            raise AirflowFailException(f"{failed} pages failed, more than CLEANPIPE_MAX_FAILED_PAGES={limit}")
        return {"exit_status": status, "failed_pages": failed}
    if status == EXIT_USAGE:
        raise AirflowFailException("cleanpipe run: usage or config error (exit 2); see the log above. Not retried.")
    if status == EXIT_LOCKED:
        raise AirflowException(f"cleanpipe run: another run holds the lock on {output} (exit 3); will retry")
    raise AirflowException(f"cleanpipe run ended with status {status} (negative: killed by that signal)")


def _stop_group(process: subprocess.Popen[str]) -> None:
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dag(
    dag_id="cleanpipe_nightly",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,  # each run cleans whatever is new; there is nothing to backfill
    max_active_runs=1,
    tags=["cleanpipe"],
    doc_md=__doc__,
)
def cleanpipe_nightly() -> None:
    @task(
        retries=3,
        retry_delay=timedelta(minutes=15),
        execution_timeout=timedelta(hours=4),
    )
    def clean_pages() -> dict[str, int]:
        return run_cleanpipe()

    clean_pages()


cleanpipe_nightly()

"""The local executor: tasks run in this process (one worker) or in a pool of processes on this machine.

Workers are started with spawn (a fresh interpreter, not a copy of a process that may run a progress
thread) and end with the process that started them, even when it is killed with SIGKILL (Linux's
PR_SET_PDEATHSIG), so a killed run leaves no worker behind. They ignore SIGTERM and SIGINT: those reach
every process of the group at once (systemd, `timeout`, Ctrl-C), and a worker that died of them would
break the pool before the run could stop in order. The process that started them decides, and stop()
ends them with SIGKILL.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from cleanpipe.executors.base import Executor

_PR_SET_PDEATHSIG = 1


class LocalExecutor(Executor["Future[Any]"]):
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("--workers must be at least 1")
        self.workers = workers
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor | None:
        if self.workers == 1:
            return None
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"), initializer=_start_worker)
        # The pool starts a process per task submitted while none is idle: all of them now, so they import
        # cleanpipe while the run lists and surveys its inputs, not when the first shards are ready.
        for _ in range(self.workers):
            pool.submit(_ready)
        return pool

    @property
    def parallelism(self) -> int:
        return self.workers

    def submit(self, step: Callable[[Any], Any], task: Any) -> Future[Any]:
        if self.pool is not None:
            return self.pool.submit(step, task)
        future: Future[Any] = Future()
        try:
            future.set_result(step(task))
        except Exception as error:  # raised where the result is asked for, as from the pool
            future.set_exception(error)
        return future

    def done(self, handle: Future[Any]) -> bool:
        return handle.done()

    def result(self, handle: Future[Any], timeout: float | None) -> Any:
        try:
            return handle.result(timeout=timeout)
        except FutureTimeout as error:  # not the built-in TimeoutError before Python 3.11
            raise TimeoutError from error

    def stop(self) -> None:
        """Kill the workers at once: the run is being stopped, waiting for their tasks would delay it.
        ProcessPoolExecutor has no public way to do this, so its process table is used."""
        if self.pool is None:
            return
        # Before Python 3.11.4 the pool's queue feeder thread could block for ever sending to workers that
        # are gone, and shutdown waited for it: cancelling the queue's join lets the run end.
        call_queue = getattr(self.pool, "_call_queue", None)
        if call_queue is not None:
            call_queue.cancel_join_thread()
        processes = list(getattr(self.pool, "_processes", {}).values())
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)
        # A worker killed while writing its result leaves half a message in the result pipe, and the pool's
        # manager thread waits for the rest for ever, so shutdown never returns. With every worker gone,
        # closing this process's own copy of the pipe's writing end leaves no writer: the manager reads
        # end-of-file and winds the pool down.
        result_queue = getattr(self.pool, "_result_queue", None)
        writer = getattr(result_queue, "_writer", None)
        if writer is not None and not any(process.is_alive() for process in processes):
            writer.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def lost_worker(self, error: BaseException) -> bool:
        return isinstance(error, BrokenProcessPool)

    def restart(self) -> None:
        """A new pool: a worker died, and a pool that lost one runs nothing more."""
        self.stop()
        self.close()
        self.pool = self._new_pool()


def _ready() -> None:
    """Nothing: a task that makes the pool start a worker process, which imports what tasks need."""


def _start_worker() -> None:
    """A worker leaves SIGTERM and SIGINT to the process that started it, and ends when that process does,
    even if it is killed with SIGKILL (Linux's PR_SET_PDEATHSIG)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers still end when the run ends normally
        pass
    import cleanpipe.executors.steps  # noqa: F401 - the pipeline, its rules and the readers, loaded once here

"""The executor seam: one interface that runs a step over a stream of tasks on some workers and gives the
results back in the tasks' order.

Every part of cleanpipe that spreads work (cleaning pages in `cleanpipe run`, the learn pass) goes through
it, and no part knows which executor it has: `LocalExecutor` runs tasks in this process or a pool of
processes on this machine, `RayExecutor` runs them as Ray tasks on a cluster. A step given to an executor
is a plain top-level function of one picklable task that returns a picklable result; it reads what it
needs from its task and writes nothing but its own outputs, so a task run twice (a retry after a lost
node) gives the same result.

Results come back in order, with a bounded number of tasks in flight, so the caller can read its inputs
as a stream, commit results as they arrive and keep memory flat; and they come back the same whichever
executor ran them, which is what makes outputs byte-identical across executors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from cleanpipe.config import EXECUTOR_NAMES

Task = TypeVar("Task")
Result = TypeVar("Result")
Handle = TypeVar("Handle")

EXECUTORS = EXECUTOR_NAMES
# Tasks in flight per slot of parallelism: enough to keep every worker busy while the caller collects.
IN_FLIGHT_PER_WORKER = 2
# How often a wait for a result looks for a stop request (seconds).
_POLL_SECONDS = 0.2


class Executor(ABC, Generic[Handle]):
    """Runs `step(task)` for a stream of tasks on `parallelism` workers. Use as a context manager."""

    name: str = ""

    @property
    @abstractmethod
    def parallelism(self) -> int:
        """How many tasks run at once."""

    @abstractmethod
    def submit(self, step: Callable[[Any], Any], task: Any) -> Handle:
        """Start one task; the handle is given to done() and result()."""

    @abstractmethod
    def done(self, handle: Handle) -> bool:
        """Whether the task has finished (its result is ready, or it failed)."""

    @abstractmethod
    def result(self, handle: Handle, timeout: float | None) -> Any:
        """The task's result; TimeoutError when it is not ready within `timeout` seconds (None: wait as
        long as it takes). A task that failed raises its error here."""

    def stop(self) -> None:  # noqa: B027 (an executor with nothing running in the background has nothing to stop)
        """End the running tasks at once (the run is being stopped)."""

    def close(self) -> None:  # noqa: B027
        """Release the workers."""

    def lost_worker(self, error: BaseException) -> bool:
        """Whether `error` says a worker process died under a task (killed by the OS, out of memory) and
        the executor must be restarted, rather than the task failing. An executor that replaces lost
        workers itself (Ray retries the task) says no."""
        return False

    def restart(self) -> None:
        """Replace the workers after a lost one (see lost_worker)."""
        raise NotImplementedError(f"the {self.name} executor cannot be restarted")

    def __enter__(self) -> Executor[Handle]:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            self.stop()
        self.close()

    def map_ordered(
        self,
        step: Callable[[Task], Result],
        tasks: Iterable[Task],
        *,
        in_flight: int | None = None,
        check: Callable[[], None] | None = None,
    ) -> Iterator[Result]:
        """`step` over `tasks`, results in the tasks' order. Tasks are drawn from `tasks` only while fewer
        than `in_flight` (default: IN_FLIGHT_PER_WORKER per worker) are unfinished, and a finished task
        at the head of the queue is handed back before more are drawn, so the caller commits early.
        `check` is called while waiting; it stops the map by raising (a stop request, say)."""
        window = in_flight or IN_FLIGHT_PER_WORKER * self.parallelism
        pending: deque[Handle] = deque()
        for task in tasks:
            pending.append(self.submit(step, task))
            while pending and (len(pending) > window or self.done(pending[0])):
                yield self._wait(pending.popleft(), check)
        while pending:
            yield self._wait(pending.popleft(), check)

    def _wait(self, handle: Handle, check: Callable[[], None] | None) -> Any:
        if check is None:
            return self.result(handle, timeout=None)
        while True:
            check()
            try:
                return self.result(handle, timeout=_POLL_SECONDS)
            except TimeoutError:
                continue


def map_isolating(
    executor: Executor[Any],
    step: Callable[[Task], Result],
    tasks: Iterable[Task],
    *,
    split: Callable[[Task], Iterable[Task]],
    failed: Callable[[Task], Result],
    check: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """`executor.map_ordered(step, tasks)`, but a worker lost under a task (see Executor.lost_worker: a
    process killed by the operating system, as when out of memory, breaks a local pool and every task in
    flight with it) restarts the executor and runs the tasks in flight again split into tasks of one item
    each (`split`), so the item that kills a worker again costs that item only: its result is then
    `failed(task)`, and the map goes on."""
    in_flight: deque[Task] = deque()
    source = iter(tasks)

    def feed() -> Iterator[Task]:
        for task in source:
            in_flight.append(task)
            yield task

    while True:
        try:
            for result in executor.map_ordered(step, feed(), check=check):
                in_flight.popleft()
                yield result
            return
        except Exception as error:
            if not executor.lost_worker(error):
                raise
        executor.restart()
        while in_flight:
            for part in split(in_flight.popleft()):
                yield run_alone(executor, step, part, failed, check)


def run_alone(
    executor: Executor[Any],
    step: Callable[[Task], Result],
    task: Task,
    failed: Callable[[Task], Result],
    check: Callable[[], None] | None = None,
) -> Result:
    """`step(task)` on the executor; `failed(task)` when it kills the worker (the executor is restarted)."""
    try:
        return next(executor.map_ordered(step, [task], check=check))
    except Exception as error:
        if not executor.lost_worker(error):
            raise
    executor.restart()
    return failed(task)


class ExecutorError(ValueError):
    """An executor that cannot be had: an unknown name, Ray not installed, a cluster out of reach."""


def make_executor(name: str, *, workers: int = 1, address: str | None = None) -> Executor[Any]:
    """The executor called `name`: 'local' (`workers` processes on this machine) or 'ray' (the Ray cluster
    at `address`, else RAY_ADDRESS, else a Ray started on this machine). Ray is imported only when asked for."""
    if name == "local":
        from cleanpipe.executors.local import LocalExecutor

        return LocalExecutor(workers)
    if name == "ray":
        from cleanpipe.executors.ray import RayExecutor

        return RayExecutor(address)
    raise ExecutorError(f"executor must be one of {', '.join(EXECUTORS)}, not {name!r}")

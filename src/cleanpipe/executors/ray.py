"""The Ray executor: tasks run as Ray tasks on a cluster (`pip install 'cleanpipe[ray]'`).

Ray does the distributed work and nothing here re-implements it: tasks are placed by Ray's scheduler,
their results travel through Ray's object store, and a task whose worker or node is lost is run again
by Ray (`max_retries`). A task of cleanpipe's is deterministic and writes its outputs atomically, so a
retried task gives the same result and the same files. Errors a step raises are not retried: they are
bugs, and they reach the caller.

Every node needs cleanpipe installed (the same version as the driver) and must see the input and output
paths at the same place (a shared filesystem), since workers read pages' files and write their Markdown.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from typing import Any

from cleanpipe.executors.base import Executor, ExecutorError

# Times Ray runs a task again when its worker process or node dies (Ray's own default is 3).
MAX_RETRIES = 5
# Seconds to wait for a cluster's address to answer: Ray itself retries an unreachable address for ever.
CONNECT_TIMEOUT = 10.0
_HOST_PORT = re.compile(r"(?:ray://)?\[?(?P<host>[^/\[\]]+?)\]?:(?P<port>\d+)")


class RayExecutor(Executor[Any]):
    name = "ray"

    def __init__(self, address: str | None = None, *, max_retries: int = MAX_RETRIES) -> None:
        try:
            import ray
        except ImportError as error:
            raise ExecutorError("--executor ray needs Ray: pip install 'cleanpipe[ray]'") from error
        self.ray = ray
        self.max_retries = max_retries
        self.started = not ray.is_initialized()
        if self.started:
            address = address or os.environ.get("RAY_ADDRESS") or None
            options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
            if address is None:  # a Ray of our own on this machine: no dashboard to serve
                options["include_dashboard"] = False
            else:
                _check_reachable(address)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise ExecutorError(f"cannot reach the Ray cluster at {address}: {error}") from error
        self.remote: dict[Callable[[Any], Any], Any] = {}
        self.running: set[Any] = set()

    @property
    def parallelism(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def submit(self, step: Callable[[Any], Any], task: Any) -> Any:
        remote = self.remote.get(step)
        if remote is None:
            # SPREAD: a task reads its pages from shared storage, so no node is nearer to it than another,
            # and Ray's default packs tasks on the driver's node first, which left a second 1-CPU node
            # idle for 5 s of a 44 s run on the bench corpus.
            remote = self.remote[step] = self.ray.remote(
                num_cpus=1, max_retries=self.max_retries, scheduling_strategy="SPREAD"
            )(step)
        handle = remote.remote(task)
        self.running.add(handle)
        return handle

    def done(self, handle: Any) -> bool:
        ready, _ = self.ray.wait([handle], timeout=0, fetch_local=False)
        return bool(ready)

    def result(self, handle: Any, timeout: float | None) -> Any:
        try:
            value = self.ray.get(handle, timeout=timeout)
        except self.ray.exceptions.GetTimeoutError as error:
            raise TimeoutError from error
        self.running.discard(handle)
        return value

    def stop(self) -> None:
        for handle in self.running:
            self.ray.cancel(handle, force=True)
        self.running.clear()

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False


def _check_reachable(address: str) -> None:
    """ExecutorError unless something answers at a cluster address (host:port or ray://host:port); other
    forms ('auto', 'local') are left to Ray."""
    found = _HOST_PORT.fullmatch(address)
    if found is None:
        return
    try:
        socket.create_connection((found["host"], int(found["port"])), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        raise ExecutorError(f"cannot reach the Ray cluster at {address}: {error.strerror or error}") from error

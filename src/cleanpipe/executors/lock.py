"""A lock on an output folder, so two scheduled runs never write the same outputs at once.

It is an fcntl lock on a file in the folder's state directory: the kernel releases it when the holding
process ends, however it ends (SIGKILL included), so a lock left by a dead run is simply taken over. The
file also records the holder's pid, host and start time for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType


class LockHeld(RuntimeError):
    """Another live process holds the lock on this output folder."""


class OutputLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: int | None = None
        self.took_over: dict[str, object] | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(handle)
            os.close(handle)
            who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('started', '?')}"
            raise LockHeld(f"{self.path.parent.parent}: another cleanpipe run holds the lock ({who})") from None
        previous = _read_holder(handle)
        if previous:
            self.took_over = previous  # a lock file nobody holds: its run died; say so, then take it
        os.ftruncate(handle, 0)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        os.pwrite(handle, json.dumps(record).encode(), 0)
        self._handle = handle
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._handle is not None:
            os.ftruncate(self._handle, 0)  # an empty file: the run ended cleanly
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
            self._handle = None


def _read_holder(handle: int) -> dict[str, object]:
    try:
        raw = os.pread(handle, 4096, 0)
        value = json.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}

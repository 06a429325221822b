"""File basics shared by the readers and the executor: page suffixes, the input error, atomic writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePath
from typing import TypeVar

PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")
GLOB_CHARACTERS = frozenset("*?[")
# What a run writes in its output folder besides the pages (executors/batch.py): its state folder and its
# records, which a folder walk never reads back as pages.
STATE_DIR = ".cleanpipe"
AUDIT_FILE = "removed.jsonl"
FAILED_FILE = "failed.jsonl"
RUN_FILE = "run.json"
DUPLICATES_FILE = "duplicates.jsonl"
RUN_RECORDS = (AUDIT_FILE, FAILED_FILE, RUN_FILE, DUPLICATES_FILE)


_AnyPath = TypeVar("_AnyPath", bound=PurePath)


def glob_base(pattern: _AnyPath) -> _AnyPath:
    """The folder a pattern's matches are relative to: its leading parts without wildcards ('.' if none).
    A local pattern is a Path, one on a URL's file system a PurePosixPath."""
    parts: list[str] = []
    for part in pattern.parts:
        if GLOB_CHARACTERS & set(part):
            break
        parts.append(part)
    return type(pattern)(*parts) if parts else type(pattern)(".")


class InputError(ValueError):
    """An input path that does not exist or holds no pages."""


def write_atomic(path: Path, data: str | bytes, *, temporary_folder: Path | None = None) -> None:
    """Write to a temporary file, then rename it into place: readers never see half a file.

    The temporary file sits beside `path`, or in `temporary_folder` (on the same file system) when the
    caller wants every unfinished file in one place to clear after a crash.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # One writer per process and path at a time, so the process id makes the temporary name unique.
    name = f".{path.name}.{os.getpid()}.tmp"
    if temporary_folder is not None:
        name = f"{hashlib.sha1(str(path).encode()).hexdigest()[:16]}.{os.getpid()}.tmp"
    temporary = (temporary_folder or path.parent) / name
    if temporary_folder is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        try:
            os.replace(temporary, path)
        except FileNotFoundError:  # the output's folder does not exist yet
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise

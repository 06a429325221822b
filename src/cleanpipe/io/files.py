"""Pages from files and folders, output names that mirror them, and atomic writes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")


@dataclass(frozen=True)
class PageFile:
    path: Path
    relative: Path  # where its output goes, relative to the output folder (suffix not yet changed)


class InputError(ValueError):
    """An input path that does not exist or holds no pages."""


def discover(inputs: Iterable[Path], *, exclude: Path | None = None) -> Iterator[PageFile]:
    """Page files under the inputs, each folder walked in sorted order so runs are reproducible."""
    excluded = exclude.resolve() if exclude else None
    for root in inputs:
        if not root.exists():
            raise InputError(f"{root}: no such file or folder")
        if root.is_file():
            yield PageFile(root, Path(root.name))
            continue
        # Earlier outputs inside an input folder are not pages; an output folder that *is* the input
        # folder is caught later, as outputs that would overwrite inputs.
        skip = excluded if excluded and excluded != root.resolve() else None
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in PAGE_SUFFIXES:
                continue
            if skip and skip in path.resolve().parents:
                continue
            yield PageFile(path, path.relative_to(root))


def output_names(pages: list[PageFile]) -> dict[Path, Path]:
    """Map each page to its Markdown output: 'a/b.txt' -> 'a/b.md', and 'a/b.html.md' where two pages
    of one folder would otherwise share a name."""
    stems: dict[Path, int] = {}
    for page in pages:
        key = page.relative.with_suffix(".md")
        stems[key] = stems.get(key, 0) + 1
    names: dict[Path, Path] = {}
    for page in pages:
        plain = page.relative.with_suffix(".md")
        names[page.path] = plain if stems[plain] == 1 else page.relative.with_name(page.relative.name + ".md")
    return names


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

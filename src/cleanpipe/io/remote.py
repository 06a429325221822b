"""Inputs given as URLs (s3://bucket/crawl/, gs://..., hdfs://..., file:///..., memory://...), read through
fsspec (`pip install 'cleanpipe[remote]'`, plus the file system's own package: s3fs, gcsfs, ...).

A file under a URL is a UrlPath: the few things the readers and the batch ask of a local Path (its name,
its bytes, a stream, its size and time) answered by its file system, so the rest of cleanpipe reads a
bucket as it reads a folder: the same kinds of files, the same order (sorted paths), the same ids
(paths relative to the URL given) and the same skipping of unchanged files (size, time and a digest of
the bytes).
"""

from __future__ import annotations

import io
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, cast

from cleanpipe.io.files import InputError, glob_base

_PROTOCOL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")


def is_url(item: object) -> bool:
    """Whether an input names a file system by its protocol ('s3://...', 'file:///...'; also as a Path has
    made it, 's3:/...'). One letter before the colon is a Windows drive, not a protocol."""
    return _PROTOCOL.match(str(item)) is not None


@dataclass(frozen=True)
class _Stat:
    st_size: int
    st_mtime_ns: int


class UrlPath:
    """A file under a URL, with the part of pathlib.Path's interface the readers use."""

    def __init__(self, fs: Any, path: str) -> None:
        self.fs, self.path = fs, path
        self.name = posixpath.basename(path)

    def __str__(self) -> str:
        return str(self.fs.unstrip_protocol(self.path))

    def __repr__(self) -> str:
        return f"UrlPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlPath) and str(other) == str(self)

    def __hash__(self) -> int:
        return hash(str(self))

    def resolve(self) -> UrlPath:
        return self

    def open(self, mode: str = "rb") -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"{self}: inputs are only read")
        stream = self.fs.open(self.path, "rb")
        # The readers peek at a file's first bytes (its compression); a file system's stream may not.
        return cast(io.BufferedReader, stream) if hasattr(stream, "peek") else io.BufferedReader(stream)

    def read_bytes(self) -> bytes:
        return bytes(self.fs.cat_file(self.path))

    def stat(self) -> _Stat:
        info = self.fs.info(self.path)
        return _Stat(int(info.get("size") or 0), _mtime_ns(info))


def _mtime_ns(info: dict[str, Any]) -> int:
    """A file's modification time in nanoseconds, under the names file systems give it (0 when none does:
    a file is then known unchanged by its size and digest alone)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modificationTime", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, int | float):
            return int(value * 1e9) if value < 1e12 else int(value * 1e6) if value < 1e15 else int(value)
        if isinstance(value, str) and value:
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
            except ValueError:
                continue
    return 0


def file_system(url: str) -> tuple[Any, str]:
    """The file system of a URL and the path on it; InputError when fsspec or the file system's package
    is not installed, or the URL is not one fsspec knows."""
    try:
        from fsspec.core import url_to_fs
    except ImportError as error:
        raise InputError(f"{url}: reading URLs needs fsspec: pip install 'cleanpipe[remote]'") from error
    try:
        fs, path = url_to_fs(url)
    except ImportError as error:  # s3fs, gcsfs, ... not installed
        raise InputError(f"{url}: {error}") from error
    except (ValueError, TypeError) as error:
        raise InputError(f"{url}: not a URL cleanpipe can read: {error}") from error
    return fs, str(path)


def check_url(url: str, globbing: bool) -> None:
    """InputError unless the URL names a file or folder (or, as a pattern, matches something)."""
    fs, path = file_system(url)
    try:
        found = fs.glob(path) if globbing else fs.exists(path)
    except OSError as error:
        raise InputError(f"{url}: cannot read: {error}") from error
    if not found:
        raise InputError(f"{url}: {'no file or folder matches this pattern' if globbing else 'no such file or folder'}")


def url_files(url: str, globbing: bool) -> tuple[list[tuple[UrlPath, PurePosixPath]], bool]:
    """The files under a URL (a file, a folder or a pattern), in the order a local folder walk gives
    (sorted path by path part), each with its path relative to the URL's folder (or the pattern's leading
    folder); and whether the URL names one file itself."""
    fs, path = file_system(url)
    if globbing:
        base = str(glob_base(PurePosixPath(path)))
        found: list[str] = []
        for match in fs.glob(path):
            found += fs.find(match) if fs.isdir(match) else [match]
    elif fs.isdir(path):
        base, found = path, fs.find(path)
    else:
        return [(UrlPath(fs, path), PurePosixPath(posixpath.basename(path)))], True
    ordered = sorted(set(found), key=lambda item: item.split("/"))
    return [(UrlPath(fs, item), PurePosixPath(posixpath.relpath(item, base))) for item in ordered], False

"""Outputs given as URLs (s3://bucket/clean, gs://..., file:///..., memory://...): the run works in a folder
on this machine (its working copy), then publishes what changed to the URL through fsspec.

Why a working copy: a run's outputs are renamed into place, its state is SQLite, and a kill at any moment
must leave a state the next run resumes from; none of that holds on an object store, where a file is
written whole or not at all and a rename is a copy. So the run itself is unchanged, and publishing is a
second, idempotent step:

- every file of the working copy whose size or time differs from what was published last is uploaded
  (on a local file system through a temporary name, so a reader never sees half a file; object stores
  put a file whole); a file the run removed (a page dropped as a duplicate, an input gone) is deleted at
  the URL. What was published is kept in the working copy's `.cleanpipe/published.sqlite`, committed as
  it goes: a run killed while publishing uploads the rest next time.
- the run's state (`.cleanpipe/state.sqlite`, the near-duplicate index, the pages set aside) is published
  with the pages, the state last, so a working copy lost with its machine is restored from the URL: a run
  whose working copy has no state downloads the URL's tree first (state last, so a restore cut short is
  done again) and resumes from it, skipping what was done.

The working copy is `--work-dir`, else a folder under the user's cache named from the URL. On a Ray cluster
the workers write pages into it, so there it must be a folder every node reaches (a shared file system).
One machine publishes to a URL at a time: the lock is on the working copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleanpipe.io.files import STATE_DIR
from cleanpipe.io.remote import file_system, is_url

STATE_FILE = "state.sqlite"
PUBLISHED_FILE = "published.sqlite"
# Files of the working copy never published: the lock, unfinished files, SQLite's journals and the
# record of what was published itself.
_LOCAL_ONLY = re.compile(
    rf"^{re.escape(STATE_DIR)}/(lock|tmp/.*|{re.escape(PUBLISHED_FILE)}.*|{re.escape(STATE_FILE)}-(wal|shm|journal))$"
)
_STATE = f"{STATE_DIR}/{STATE_FILE}"
_COMMIT_EVERY = 500


def output_url(output: str | os.PathLike[str]) -> str | None:
    """The URL an output names, written out whole ('s3:/b/x', as a Path makes 's3://b/x', back to
    's3://b/x'), or None for a folder."""
    text = os.fspath(output)
    if not is_url(text):
        return None
    protocol, rest = text.split(":", 1)
    if not rest.startswith("//") and protocol != "file":  # fsspec reads 'file:/abs' itself
        return f"{protocol}://{rest.lstrip('/')}"
    return text


def default_work_folder(url: str) -> Path:
    """The working copy of an output URL when none is given: under the user's cache, named from the URL."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return cache / "cleanpipe" / "outputs" / digest


@dataclass
class Published:
    """What a publish did: files uploaded (and their bytes) and deleted."""

    uploaded: int = 0
    bytes: int = 0
    deleted: int = 0

    def to_json(self, url: str) -> dict[str, Any]:
        return {
            "url": url,
            "uploaded": self.uploaded,
            "bytes": self.bytes,
            "deleted": self.deleted,
        }


class Publisher:
    """Publishes a working copy to an output URL, and restores a working copy from it."""

    def __init__(self, url: str, work: Path) -> None:
        self.url, self.work = url, work
        self.fs, root = file_system(url)
        self.root = root.rstrip("/")
        self.local = type(self.fs).__name__ == "LocalFileSystem"

    def remote(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    # -- before the run ---------------------------------------------------------------------------------

    def restore(self) -> int:
        """Download the URL's tree into a working copy that has no state, state last; the number of files
        downloaded (0 when the working copy has its state, or the URL holds no run)."""
        if (self.work / _STATE).exists() or not self.fs.exists(self.remote(_STATE)):
            return 0
        found = sorted(self.fs.find(self.root))
        relatives = [path[len(self.root) + 1 :] for path in found if path.startswith(self.root + "/")]
        relatives = [item for item in relatives if item != _STATE and not _LOCAL_ONLY.match(item)] + [_STATE]
        with closing(self._record()) as db:
            for count, relative in enumerate(relatives, 1):
                target = self.work / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(f".{target.name}.restore.tmp")
                self.fs.get_file(self.remote(relative), str(temporary))
                os.replace(temporary, target)
                status = target.stat()
                db.execute(
                    "INSERT OR REPLACE INTO published VALUES (?, ?, ?, 0)",
                    (relative, status.st_size, status.st_mtime_ns),
                )
                if count % _COMMIT_EVERY == 0:
                    db.commit()
            db.commit()
        return len(relatives)

    # -- after the run ----------------------------------------------------------------------------------

    def publish(self) -> Published:
        """Upload what changed since the last publish, delete what the working copy no longer has, and
        the state last."""
        done = Published()
        with closing(self._record()) as db:
            stamp = int(db.execute("SELECT COALESCE(MAX(seen), 0) + 1 FROM published").fetchone()[0])
            pending = 0
            for relative, path in self._files():
                status = path.stat()
                row = db.execute("SELECT size, mtime_ns FROM published WHERE path = ?", (relative,)).fetchone()
                if row != (status.st_size, status.st_mtime_ns):
                    self._upload(path, relative)
                    done.uploaded += 1
                    done.bytes += status.st_size
                db.execute(
                    "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?)",
                    (relative, status.st_size, status.st_mtime_ns, stamp),
                )
                pending += 1
                if pending % _COMMIT_EVERY == 0:
                    db.commit()
            gone = [path for (path,) in db.execute("SELECT path FROM published WHERE seen != ?", (stamp,))]
            for relative in gone:
                if relative != _STATE:
                    if self.fs.exists(self.remote(relative)):
                        self.fs.rm_file(self.remote(relative))
                    done.deleted += 1
                db.execute("DELETE FROM published WHERE path = ?", (relative,))
            db.commit()
            snapshot = self._state_snapshot()
            if snapshot is not None:
                self._upload(snapshot, _STATE)
                done.uploaded += 1
                done.bytes += snapshot.stat().st_size
                snapshot.unlink()
        return done

    def _files(self) -> Iterator[tuple[str, Path]]:
        """The working copy's files to publish, as paths relative to it, in sorted order; the state is
        published apart, last."""
        for folder, folders, files in os.walk(self.work):
            folders.sort()
            base = Path(folder)
            for name in sorted(files):
                path = base / name
                relative = path.relative_to(self.work).as_posix()
                if relative != _STATE and not _LOCAL_ONLY.match(relative):
                    yield relative, path

    def _state_snapshot(self) -> Path | None:
        """A consistent copy of the state (SQLite's backup, whatever its journal holds), to upload."""
        state = self.work / _STATE
        if not state.exists():
            return None
        snapshot = self.work / STATE_DIR / "tmp" / "state.snapshot.sqlite"
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.unlink(missing_ok=True)
        source, copy = sqlite3.connect(state), sqlite3.connect(snapshot)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        return snapshot

    def _upload(self, path: Path, relative: str) -> None:
        target = self.remote(relative)
        if not self.local:  # an object store puts a file whole
            self.fs.put_file(str(path), target)
            return
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        temporary = f"{parent}/.{relative.rsplit('/', 1)[-1]}.{os.getpid()}.publish.tmp"
        self.fs.put_file(str(path), temporary)
        self.fs.mv(temporary, target)

    def _record(self) -> sqlite3.Connection:
        (self.work / STATE_DIR).mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.work / STATE_DIR / PUBLISHED_FILE)
        db.execute(
            "CREATE TABLE IF NOT EXISTS published (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, seen INTEGER)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS target (url TEXT)")
        known = db.execute("SELECT url FROM target").fetchone()
        if known is None or known[0] != self.url:  # a working copy reused for another URL publishes it whole
            db.execute("DELETE FROM published")
            db.execute("DELETE FROM target")
            db.execute("INSERT INTO target VALUES (?)", (self.url,))
            db.commit()
        return db


def check_url_apart(inputs: Any, url: str) -> None:
    """InputError when an output URL is an input URL or holds one (the next run would read its outputs)."""
    from cleanpipe.io.files import InputError

    target = url.rstrip("/") + "/"
    for item in inputs:
        source = output_url(item)
        if source is not None and (source.rstrip("/") + "/").startswith(target):
            where = "is" if source.rstrip("/") + "/" == target else "holds"
            raise InputError(f"--output {url} {where} the input {item}: its outputs would be read back as pages")

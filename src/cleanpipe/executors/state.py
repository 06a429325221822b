"""What a run remembers between runs, in SQLite in the output folder (.cleanpipe/state.sqlite).

Per input file: its size, modification time and content digest, and the config and version its pages
were cleaned with; a file unchanged in all of these whose pages all succeeded is not even read again.
Per page: the hash of its input, the config and version, its output name, its place in its file, its
audit lines and (for the jsonl and parquet formats) its output record; a page unchanged in a changed file
is skipped too. SQLite because it is in the standard library, keeps the manifest on disk rather than in
memory whatever the corpus size, and commits atomically: a run killed at any moment leaves either the
old rows or the new ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cleanpipe import __version__

# The pages of one run, in input order (file by file): the FROM ... ORDER BY of this_run's queries.
_THIS_RUN = (
    "FROM pages JOIN files ON pages.file = files.path WHERE pages.run = ? AND files.run = ? "
    "ORDER BY files.ordinal, pages.pos"
)
# Bumped when the tables change: a state of another version is only a cache, so it is started afresh.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY,
    input_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    output TEXT NOT NULL,
    file TEXT NOT NULL,
    pos INTEGER NOT NULL,
    run INTEGER NOT NULL,
    audit TEXT NOT NULL,
    record TEXT
);
CREATE INDEX IF NOT EXISTS pages_file ON pages (file);
CREATE INDEX IF NOT EXISTS pages_run ON pages (run);
CREATE INDEX IF NOT EXISTS pages_output ON pages (output);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    run INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    complete INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    finished REAL,
    layout TEXT
);
"""


@dataclass(frozen=True)
class Done:
    """A page as the last run that cleaned it left it."""

    input_hash: str
    config_hash: str
    version: str
    output: str


@dataclass(frozen=True)
class FileState:
    """An input file as a run read it."""

    path: str
    size: int
    mtime_ns: int
    digest: str
    config_hash: str
    version: str


class State:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            for table in ("pages", "files", "runs"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def begin_run(self, started: float) -> int:
        cursor = self.db.execute("INSERT INTO runs (started) VALUES (?)", (started,))
        return int(cursor.lastrowid or 0)

    def last_finished_layout(self, before: int) -> str | None:
        row = self.db.execute(
            "SELECT layout FROM runs WHERE run < ? AND finished IS NOT NULL ORDER BY run DESC LIMIT 1", (before,)
        ).fetchone()
        return row[0] if row else None

    def finish_run(self, run: int, finished: float, layout: str) -> None:
        self.db.execute("UPDATE runs SET finished = ?, layout = ? WHERE run = ?", (finished, layout, run))

    def unchanged_file(self, file: FileState) -> int | None:
        """The number of pages of `file` when it is unchanged since a run that cleaned all of them."""
        row = self.db.execute(
            "SELECT pages FROM files WHERE path = ? AND size = ? AND mtime_ns = ? AND digest = ? "
            "AND config_hash = ? AND version = ? AND complete = 1",
            (file.path, file.size, file.mtime_ns, file.digest, file.config_hash, file.version),
        ).fetchone()
        return int(row[0]) if row else None

    def known_file(self, path: str, config_hash: str) -> FileState | None:
        """The file as a run that cleaned all of it with these settings and this version left it."""
        row = self.db.execute(
            "SELECT size, mtime_ns, digest FROM files WHERE path = ? AND config_hash = ? AND version = ? "
            "AND complete = 1",
            (path, config_hash, __version__),
        ).fetchone()
        if row is None:
            return None
        size, mtime_ns, digest = row
        return FileState(path, size, mtime_ns, digest, config_hash, __version__)

    def file_pages(self, path: str) -> list[tuple[str, str]]:
        """(id, output) of the pages of one input file."""
        return list(self.db.execute("SELECT id, output FROM pages WHERE file = ?", (path,)))

    def keep_file(self, path: str, run: int, ordinal: int) -> None:
        """An unchanged file and its pages belong to this run, at this place, without being read."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE files SET run = ?, ordinal = ? WHERE path = ?", (run, ordinal, path))
            self.db.execute("UPDATE pages SET run = ? WHERE file = ?", (run, path))

    def save_file(self, file: FileState, run: int, ordinal: int, pages: int, complete: bool) -> None:
        self.db.execute(
            "INSERT INTO files (path, size, mtime_ns, digest, config_hash, version, run, ordinal, pages, complete) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, digest = excluded.digest, config_hash = excluded.config_hash, "
            "version = excluded.version, run = excluded.run, ordinal = excluded.ordinal, pages = excluded.pages, "
            "complete = excluded.complete",
            (
                file.path,
                file.size,
                file.mtime_ns,
                file.digest,
                file.config_hash,
                file.version,
                run,
                ordinal,
                pages,
                int(complete),
            ),
        )

    def done(self, page_id: str) -> Done | None:
        row = self.db.execute(
            "SELECT input_hash, config_hash, version, output FROM pages WHERE id = ?", (page_id,)
        ).fetchone()
        return Done(*row) if row else None

    def output_taken(self, output: str, page_id: str, run: int) -> bool:
        """Whether another page of this run already writes to `output`."""
        row = self.db.execute(
            "SELECT 1 FROM pages WHERE output = ? AND id != ? AND run = ? LIMIT 1", (output, page_id, run)
        ).fetchone()
        return row is not None

    def save(
        self,
        rows: Iterable[tuple[str, str, str, str, str, str, int, int, str, str | None]],
        also: Callable[[], object] | None = None,
    ) -> None:
        """Store cleaned pages: (id, input_hash, config_hash, version, output, file, pos, run, audit, record),
        and run `also` in the same transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO pages (id, input_hash, config_hash, version, output, file, pos, run, audit, record) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "input_hash = excluded.input_hash, config_hash = excluded.config_hash, version = excluded.version, "
                "output = excluded.output, file = excluded.file, pos = excluded.pos, run = excluded.run, "
                "audit = excluded.audit, record = excluded.record",
                rows,
            )
            if also is not None:
                also()

    def mark_seen(self, rows: Iterable[tuple[int, str, int, str]]) -> None:
        """Pages skipped as unchanged still belong to this run, at their place: (run, file, pos, id)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE pages SET run = ?, file = ?, pos = ? WHERE id = ?", rows)

    def forget(self, page_ids: Iterable[str], also: Callable[[], object] | None = None) -> None:
        """Pages that failed this run: they are redone next time."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM pages WHERE id = ?", ((page_id,) for page_id in page_ids))
            if also is not None:
                also()

    def page_output(self, page_id: str) -> tuple[str, str | None] | None:
        """(output, record) of a page, for reading its clean text back."""
        row = self.db.execute("SELECT output, record FROM pages WHERE id = ?", (page_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def this_run(self, run: int) -> Iterator[tuple[str, str, str | None, str]]:
        """(id, audit, record, output) of every page of `run`, in input order (file by file), streamed."""
        yield from self.db.execute(f"SELECT pages.id, pages.audit, pages.record, pages.output {_THIS_RUN}", (run, run))

    def this_run_ids(self, run: int) -> Iterator[str]:
        """The ids of this_run's pages, in the same order, without reading their audits and records."""
        yield from (page_id for (page_id,) in self.db.execute(f"SELECT pages.id {_THIS_RUN}", (run, run)))

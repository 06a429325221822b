"""What a run remembers between runs, in SQLite in the output folder (.cleanpipe/state.sqlite).

One row per page: the hash of its input, the config digest and cleanpipe version it was cleaned with,
its output name, its audit lines, and (for the jsonl and parquet formats) its output record. A page whose
input, config and version are unchanged is skipped on the next run. SQLite because it is in the standard
library, keeps the manifest on disk rather than in memory whatever the corpus size, and commits
atomically: a run killed at any moment leaves either the old row or the new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY,
    input_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    output TEXT NOT NULL,
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    audit TEXT NOT NULL,
    record TEXT
);
CREATE INDEX IF NOT EXISTS pages_run_seq ON pages (run, seq);
CREATE INDEX IF NOT EXISTS pages_output ON pages (output);
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


class State:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
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

    def save(self, rows: Iterable[tuple[str, str, str, str, str, int, int, str, str | None]]) -> None:
        """Store cleaned pages: (id, input_hash, config_hash, version, output, run, seq, audit, record)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO pages (id, input_hash, config_hash, version, output, run, seq, audit, record) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET input_hash = excluded.input_hash, "
                "config_hash = excluded.config_hash, version = excluded.version, output = excluded.output, "
                "run = excluded.run, seq = excluded.seq, audit = excluded.audit, record = excluded.record",
                rows,
            )

    def mark_seen(self, rows: Iterable[tuple[int, int, str]]) -> None:
        """Pages skipped as unchanged still belong to this run, at this position: (run, seq, id)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE pages SET run = ?, seq = ? WHERE id = ?", rows)

    def forget(self, page_ids: Iterable[str]) -> None:
        """Pages that failed this run: they are redone next time."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM pages WHERE id = ?", ((page_id,) for page_id in page_ids))

    def this_run(self, run: int) -> Iterator[tuple[str, str, str | None]]:
        """(id, audit, record) of every page of `run`, in input order, streamed."""
        yield from self.db.execute("SELECT id, audit, record FROM pages WHERE run = ? ORDER BY seq", (run,))

"""Near-duplicate documents across a corpus and across runs, with the index on disk.

The pass is a chain of steps with files in between; steps 1, 3 and 4 are tasks on the run's executor
(worker processes, or nodes of a Ray cluster):

1. sign (map, per page, in the worker that cleaned it): the clean text's band keys (one per LSH band of
   its MinHash signature, plus one exact key of its folded letters), stored with the page's entry in
   SQLite, atomically with the page; its shingle set is stored in a file of its shard for the pass;
2. export (shuffle): new entries' keys are appended to shard files sorted by key, one folder per
   partition of the key space (`bands/pNNN/<first entry>.npy`); a partition with many files is compacted
   into one file per key range (`c<last entry>-<range>.npy`, live entries only);
3. group (task per group of partitions, pairs.find_pairs): the rows of one key range are read alone (at
   most about pairs.GROUP_ROWS of them), sorted by key, and every bucket holding a new entry yields
   candidate pairs (a new entry and earlier ones of its bucket), routed by the new entry to a file per route;
4. verify (task per route, pairs.verify_pairs): a candidate counts only when the exact Jaccard similarity
   of the two pages' shingles reaches the threshold; a route hands back what only the whole pass can
   decide, which the cluster step checks; verified pairs are kept as edges in SQLite;
5. cluster: the live entries joined by edges are labelled with their cluster in SQLite (label
   propagation); one page per cluster is kept by the policy (first seen, longest or most recent), the
   others are its duplicates. The clusters are the same whatever the executor and number of routes.

An entry is one version of one page's clean text: a page cleaned again with a different text gets a new
entry and its old one stops being live, so its old keys and edges no longer count. Entries are numbered in
the order pages are added, which is input order run after run: 'first seen' is the page's first entry.
Memory holds one key range's rows, one route's pairs, a union-find over the pages met in verified pairs,
a shingle cache bounded in bytes and one cluster at a time, never the corpus or a value per page of it
(liveness is one bit per entry): a page whose shingle set was not stored by this run is read back
through a callback when a pair is verified.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from cleanpipe.corpus.minhash import (
    VERIFIED_FALSE_POSITIVE_WEIGHT,
    MinHashParams,
    Signer,
    exact_key,
    find_root,
    folded_letters,
    jaccard,
    optimal_bands,
    shingle_hashes,
    signature,
    sorted_distinct,
)
from cleanpipe.corpus.pairs import (
    EDGE_ROW,
    KEY_ROW,
    Joins,
    PairsTask,
    ShingleCache,
    StoredShingles,
    VerifyTask,
    apart,
    end_pass,
    find_pairs,
    handed_back,
    joined,
    partition_folder,
    save_atomic,
    start_pass,
    verify_pairs,
)
from cleanpipe.io.files import write_atomic

if TYPE_CHECKING:
    from cleanpipe.executors.base import Executor

KEEP_POLICIES = ("first", "longest", "recent")
# Bumped when what a page's keys are made of changes (shingling, folding, banding): an index of another
# format is started afresh.
INDEX_FORMAT = 3
# Entries exported to the shards per chunk: bounds the memory of the export step.
_EXPORT_CHUNK = 10_000
# Routes of verify tasks per worker, and at most this many new entries per route (a route's pairs are
# held at once by its task).
_ROUTES_PER_WORKER = 2
_ROUTE_ENTRIES = 1 << 16
# Decisions written to SQLite this many at a time.
_DECISION_BATCH = 10_000
# Under the index's folder: shingle sets stored by the workers for the pass of the run that signed them.
SHINGLES_FOLDER = "shingles"
_BAND_SALT = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(0x100000001B3)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup_entries (
    entry INTEGER PRIMARY KEY,
    page TEXT NOT NULL,
    first INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    exact INTEGER NOT NULL,
    live INTEGER NOT NULL,
    keys BLOB,
    shingles TEXT
);
CREATE INDEX IF NOT EXISTS dedup_entries_page ON dedup_entries (page, live);
CREATE INDEX IF NOT EXISTS dedup_entries_keys ON dedup_entries (entry) WHERE keys IS NOT NULL;
CREATE TABLE IF NOT EXISTS dedup_edges (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedup_decisions (
    page TEXT PRIMARY KEY,
    entry INTEGER NOT NULL,
    kept TEXT NOT NULL,
    kept_entry INTEGER NOT NULL,
    similarity REAL NOT NULL,
    rule TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dedup_applied (
    page TEXT PRIMARY KEY,
    kept TEXT NOT NULL,
    similarity REAL NOT NULL,
    rule TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class NearDupSettings:
    """What the index depends on. Changing any of these starts the index afresh (keep does not: it is
    applied to the clusters each time)."""

    threshold: float = 0.8
    params: MinHashParams = field(default_factory=MinHashParams)
    # Key partitions: a pass holds one partition's keys at a time (about 240 bytes per page / partitions).
    partitions: int = 256

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], not {self.threshold!r}")
        if self.partitions < 1:
            raise ValueError("partitions must be at least 1")

    def bands(self) -> tuple[int, int]:
        return optimal_bands(self.threshold, self.params.num_perm, VERIFIED_FALSE_POSITIVE_WEIGHT)

    def digest(self) -> str:
        data = {
            "format": INDEX_FORMAT,
            "threshold": self.threshold,
            "params": asdict(self.params),
            "partitions": self.partitions,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PageKeys:
    """One page's clean text as the index sees it: its band keys (empty when it has no shingles), the
    exact key of its folded letters, and how many letters and digits it has (its length for --keep longest)."""

    keys: bytes
    exact: int
    chars: int
    # Where the worker that signed the page stored its shingle set for this run's pass
    # ('<file>:<first hash>:<count>' in the index's shingles folder; see store_shingle_sets), or "".
    shingles: str = ""


@lru_cache(maxsize=4)
def _signer(settings: NearDupSettings) -> Signer:
    return Signer(settings.params)


def page_keys(text: str, settings: NearDupSettings) -> PageKeys:
    """Step 1, per page: the band keys of `text` (in a worker process, next to the cleaning)."""
    return signed_page(text, settings, shingle_set=False)[0]


def signed_page(text: str, settings: NearDupSettings, *, shingle_set: bool = True) -> tuple[PageKeys, np.ndarray]:
    """The page's keys and, when `shingle_set`, its shingle set (sorted, distinct: what verifying a pair
    needs), from one shingling of the text; an empty array otherwise."""
    signer = _signer(settings)
    params = settings.params
    letters = folded_letters(text)  # folded once, for the exact key and the character shingles
    hashes = shingle_hashes(text, params, distinct=False, letters=letters)
    exact, count = exact_key(letters)
    distinct = sorted_distinct(hashes) if shingle_set else np.zeros(0, np.uint64)
    if hashes.size == 0:
        return PageKeys(b"", exact, count), distinct
    sig = signature(hashes, params.num_perm, signer.mixer, signer.probes)
    bands, rows = settings.bands()
    block = sig[: bands * rows].reshape(bands, rows).astype(np.uint64)
    keys = np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SALT
    for row in range(rows):
        keys = keys * _BASE + block[:, row]
    # The exact key is one more 'band': equal folded texts always meet in one bucket.
    keys = np.append(keys, np.uint64(exact & 0xFFFFFFFFFFFFFFFF) ^ _BAND_SALT)
    return PageKeys(_mix64(keys).astype("<u8").tobytes(), exact, count), distinct


def store_shingle_sets(folder: Path, sets: list[np.ndarray], *, name: str) -> list[str]:
    """Step 1's second output, per shard of pages: their shingle sets in one file of `folder` (the index's
    SHINGLES_FOLDER), written atomically by the worker that signed them, so the pass reads a set instead of
    reading the page back and shingling it again on one core. Returns each set's location for its
    PageKeys. `name` is the same for the same shard, so a task run again writes the same file."""
    folder.mkdir(parents=True, exist_ok=True)
    table = np.concatenate(sets).astype("<u8") if sets else np.zeros(0, "<u8")
    write_atomic(folder / f"{name}.u64", table.tobytes())
    starts = np.cumsum([0] + [item.size for item in sets])[:-1]
    return [f"{name}:{start}:{item.size}" for start, item in zip(starts.tolist(), sets, strict=True)]


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads keys evenly over the partitions."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


@dataclass(frozen=True)
class Duplicate:
    """A page that is a duplicate of the page kept for its cluster."""

    page: str
    kept: str
    similarity: float
    rule: str  # 'exact-duplicate' or 'near-duplicate'


@dataclass
class PassReport:
    """What one pass over the index found and changed."""

    new_entries: int = 0
    candidates: int = 0
    verified: int = 0
    clusters: int = 0
    duplicates: int = 0
    changed: int = 0  # pages whose decision differs from the previous pass
    previous: dict[str, Duplicate] = field(default_factory=dict)  # decisions no longer in force


TextOf = Callable[[str], "str | None"]


class NearDupIndex:
    """The index of one output folder: shard files under `folder`, tables in `db` (the batch state's
    connection, so a page and its keys commit together; a file of its own when None)."""

    def __init__(self, folder: Path, settings: NearDupSettings, db: sqlite3.Connection | None = None) -> None:
        self.folder = folder
        self.settings = settings
        folder.mkdir(parents=True, exist_ok=True)
        self.own_db = db is None
        self.db = db if db is not None else sqlite3.connect(folder / "index.sqlite", isolation_level=None)
        if self.own_db:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._stored = StoredShingles(folder / SHINGLES_FOLDER)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(dedup_entries)")}
        if "shingles" not in columns:  # an index from before shingle sets were stored
            self.db.execute("ALTER TABLE dedup_entries ADD COLUMN shingles TEXT")
        if self._meta("settings") != settings.digest():
            self.reset()

    def close(self) -> None:
        if self.own_db:
            self.db.close()

    def reset(self) -> None:
        """Start the index afresh (its settings changed): every page is signed again from its text. The
        decisions stay until the next pass replaces them, so outputs can be restored."""
        shutil.rmtree(self.folder / "bands", ignore_errors=True)
        self._remove_shingle_files()
        with self.db:
            self.db.execute("BEGIN")
            applied = self._meta("applied")
            for table in ("dedup_entries", "dedup_edges", "dedup_meta"):
                self.db.execute(f"DELETE FROM {table}")
            self._set_meta("settings", self.settings.digest())
            if applied is not None:
                self._set_meta("applied", applied)

    # -- step 1: entries -------------------------------------------------------------------------------

    def add(self, pages: Iterable[tuple[str, PageKeys | None]]) -> int:
        """Record pages' new texts (inside the caller's transaction when the connection is shared). A page
        whose live entry has the same exact key and length keeps it; None forgets the page."""
        if not self.db.in_transaction:
            with self.db:
                self.db.execute("BEGIN")
                return self.add(pages)
        added = 0
        for page, keys in pages:
            live = self.db.execute(
                "SELECT entry, exact, chars, first FROM dedup_entries WHERE page = ? AND live = 1", (page,)
            ).fetchone()
            if keys is not None and live is not None and (live[1], live[2]) == (keys.exact, keys.chars):
                continue
            if live is not None:
                self.db.execute("UPDATE dedup_entries SET live = 0 WHERE entry = ?", (live[0],))
            if keys is None:
                continue
            first = live[3] if live is not None else self._first_entry(page)
            cursor = self.db.execute(
                "INSERT INTO dedup_entries (page, first, chars, exact, live, keys, shingles) "
                "VALUES (?, ?, ?, ?, 1, ?, ?)",
                (
                    page,
                    first if first is not None else -1,
                    keys.chars,
                    keys.exact,
                    keys.keys or None,
                    keys.shingles or None,
                ),
            )
            if first is None:
                self.db.execute("UPDATE dedup_entries SET first = entry WHERE entry = ?", (cursor.lastrowid,))
            added += 1
        return added

    def _first_entry(self, page: str) -> int | None:
        row = self.db.execute("SELECT MIN(first) FROM dedup_entries WHERE page = ?", (page,)).fetchone()
        return row[0] if row and row[0] is not None else None

    def unsigned(self, pages: Iterable[str]) -> Iterator[str]:
        """The pages among `pages` with no live entry (cleaned while the pass was off, or after a reset)."""
        for page in pages:
            if self.db.execute("SELECT 1 FROM dedup_entries WHERE page = ? AND live = 1", (page,)).fetchone() is None:
                yield page

    # -- the pass --------------------------------------------------------------------------------------

    def run_pass(
        self,
        text_of: TextOf,
        keep: str = "first",
        *,
        executor: Executor[Any] | None = None,
        check: Callable[[], None] | None = None,
    ) -> PassReport:
        """Steps 2-5 over the entries added since the last pass; decisions replace the previous ones.

        Steps 3 and 4 are tasks (pairs.find_pairs per group of partitions, pairs.verify_pairs per route) run
        on `executor` (None: here, one after the other), with files in between; `check` is called while
        waiting for them, and between the cluster step's routes and clusters (a stop request raises: the
        decisions are left as they were, and the next pass does this one again). The cluster step joins
        what the routes found. Memory holds one key range's rows, one route's pairs, the union-find of the
        pages met in verified pairs and a bounded shingle cache: nothing per page of the index but one bit."""
        if keep not in KEEP_POLICIES:
            raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {keep!r}")
        report = PassReport()
        grouped = int(self._meta("grouped") or 0)
        self.export()
        live, top = self._live_bits()
        report.new_entries = self._count_live_after(grouped)
        start_pass(self.folder, live, self._stored_locations(), self._stored_count())
        workers = executor.parallelism if executor is not None else 1
        routes = max(_ROUTES_PER_WORKER * workers if workers > 1 else 1, -(-report.new_entries // _ROUTE_ENTRIES))
        parts = self.settings.partitions
        groups = min(parts, _ROUTES_PER_WORKER * workers)
        where = str(self.folder.resolve())
        tasks = [
            PairsTask(where, tuple(range(parts * n // groups, parts * (n + 1) // groups)), grouped, top, routes)
            for n in range(groups)
        ]
        for _ in _map(executor, find_pairs, tasks, check):
            pass
        shingles = str((self.folder / SHINGLES_FOLDER).resolve())
        threshold = self.settings.threshold
        checks = [VerifyTask(where, route, threshold, shingles) for route in range(routes)]
        edges: list[np.ndarray] = []
        for verified in _map(executor, verify_pairs, checks, check):
            self._insert_edges(verified.edges)
            edges.append(verified.edges)
            report.candidates += verified.compared
        found = np.concatenate(edges) if edges else np.zeros(0, EDGE_ROW)
        cache = ShingleCache(lambda entry: self.shingle_set(entry, text_of))
        more = self._check_handed_back(joined(found["a"], found["b"]), routes, cache, report, check)
        self._insert_edges(more)
        report.verified = found.size + more.size
        self._set_meta("grouped", str(max(top, grouped)))
        self.decide(keep, cache, report, check)
        end_pass(self.folder)
        self.drop_shingle_sets()
        return report

    def _insert_edges(self, edges: np.ndarray) -> None:
        for start in range(0, edges.size, _DECISION_BATCH):
            rows = edges[start : start + _DECISION_BATCH]
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(
                    "INSERT OR REPLACE INTO dedup_edges (a, b, similarity) VALUES (?, ?, ?)",
                    zip(rows["a"].tolist(), rows["b"].tolist(), rows["similarity"].tolist(), strict=True),
                )

    def _check_handed_back(
        self,
        joins: Joins,
        routes: int,
        cache: ShingleCache,
        report: PassReport,
        check: Callable[[], None] | None = None,
    ) -> np.ndarray:
        """The cluster step's checks: the pairs the routes handed back whose pages the edges do not join
        (a page with no stored shingle set is read back from its text), route by route."""
        threshold = self.settings.threshold
        edges = []
        for route in range(routes):
            if check is not None:
                check()
            pairs, later_places, earlier_places = apart(joins, handed_back(self.folder, route))
            parent = joins.parent
            for pair, later_at, earlier_at in zip(
                pairs.tolist(), later_places.tolist(), earlier_places.tolist(), strict=True
            ):
                if find_root(parent, earlier_at) == find_root(parent, later_at):
                    continue
                first, second = cache.get(pair & 0xFFFFFFFF), cache.get(pair >> 32)
                if first is None or second is None:
                    continue
                report.candidates += 1
                score = jaccard(first, second)
                if score >= threshold:
                    edges.append((pair & 0xFFFFFFFF, pair >> 32, round(score, 4)))
                    parent[find_root(parent, later_at)] = find_root(parent, earlier_at)
        return np.array(edges, dtype=EDGE_ROW)

    def _stored_count(self) -> int:
        return int(
            self.db.execute("SELECT COUNT(*) FROM dedup_entries WHERE shingles IS NOT NULL AND live = 1").fetchone()[0]
        )

    def _stored_locations(self) -> Iterator[list[tuple[int, str]]]:
        """Where the workers stored this run's shingle sets: (entry, location) by entry, in batches."""
        cursor = self.db.execute(
            "SELECT entry, shingles FROM dedup_entries WHERE shingles IS NOT NULL AND live = 1 ORDER BY entry"
        )
        while rows := cursor.fetchmany(_DECISION_BATCH):
            yield rows

    def drop_shingle_sets(self) -> None:
        """The pass is done: the shingle sets the workers stored for it go (later passes read old pages
        back from their text, as they are few among the pairs of a night's new pages)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE dedup_entries SET shingles = NULL WHERE shingles IS NOT NULL")
        self._remove_shingle_files()

    def _remove_shingle_files(self) -> None:
        """The stored shingle files go, and the maps of them with them."""
        self._stored = StoredShingles(self.folder / SHINGLES_FOLDER)
        shutil.rmtree(self.folder / SHINGLES_FOLDER, ignore_errors=True)

    def export(self) -> None:
        """Step 2: append new entries' keys to the partition shards, chunk by chunk."""
        parts = self.settings.partitions
        while True:
            rows = self.db.execute(
                "SELECT entry, keys FROM dedup_entries WHERE keys IS NOT NULL ORDER BY entry LIMIT ?",
                (_EXPORT_CHUNK,),
            ).fetchall()
            if not rows:
                return
            width = len(rows[0][1]) // 8
            keys = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<u8")
            entries = np.repeat(np.array([entry for entry, _ in rows], dtype=np.uint64), width)
            part_of = keys % np.uint64(parts)
            name = f"{rows[0][0]:012d}.npy"
            # One sort by partition, then key (stable: equal keys keep entry order), split at the partitions'
            # bounds: each partition's rows come out sorted by key, so a key range is read alone.
            order = np.lexsort((keys, part_of))
            table = np.zeros(keys.size, dtype=KEY_ROW)
            table["key"], table["entry"] = keys[order], entries[order]
            bounds = np.searchsorted(part_of[order], np.arange(parts + 1, dtype=np.uint64))
            for part, (start, end) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)):
                if start == end:
                    continue
                partition_folder(self.folder, part).mkdir(parents=True, exist_ok=True)
                save_atomic(partition_folder(self.folder, part) / name, table[start:end])
            # A kill before this line exports the chunk again under the same name: the shards stay right.
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute(
                    "UPDATE dedup_entries SET keys = NULL WHERE entry BETWEEN ? AND ?", (rows[0][0], rows[-1][0])
                )

    def _live_bits(self) -> tuple[np.ndarray, int]:
        """Which entries are live, one bit each (an eighth of a byte per entry), and the last entry."""
        top = self.db.execute("SELECT MAX(entry) FROM dedup_entries").fetchone()[0] or 0
        bits = np.zeros(top // 8 + 1, dtype=np.uint8)
        cursor = self.db.execute("SELECT entry FROM dedup_entries WHERE live = 1")
        while rows := cursor.fetchmany(_DECISION_BATCH):
            entries = np.array(rows, dtype=np.int64).ravel()
            np.bitwise_or.at(bits, entries >> 3, (1 << (entries & 7)).astype(np.uint8))
        return bits, top

    def _count_live_after(self, grouped: int) -> int:
        return int(
            self.db.execute("SELECT COUNT(*) FROM dedup_entries WHERE live = 1 AND entry > ?", (grouped,)).fetchone()[0]
        )

    def decide(
        self, keep: str, shingles: ShingleCache, report: PassReport, check: Callable[[], None] | None = None
    ) -> None:
        """Step 5: clusters of live entries joined by edges, the page kept in each, and the decisions.
        Clusters are labelled in SQLite and read back one at a time; decisions are streamed into SQLite:
        memory holds one cluster, whatever the number of pages and edges. `check` is called before each
        cluster; when it raises, the decisions are rolled back to the last pass's."""
        self._label_clusters()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS decided AS SELECT * FROM dedup_decisions WHERE 0")
            self.db.execute("DELETE FROM decided")
            batch: list[tuple[str, int, str, int, float, str]] = []
            for members in self._clusters_labelled():
                if check is not None:
                    check()
                batch += self._cluster_decisions(members, keep, shingles)
                report.clusters += 1
                if len(batch) >= _DECISION_BATCH:
                    self._insert_decided(batch)
                    report.duplicates += len(batch)
                    batch = []
            self._insert_decided(batch)
            report.duplicates += len(batch)
            for page, kept, similarity, rule in self.db.execute(
                # A row-value IN (not a correlated subquery): SQLite indexes the subquery once, so this
                # stays O(n log n) with tens of thousands of decisions.
                "SELECT page, kept, similarity, rule FROM dedup_decisions "
                "WHERE (page, kept, rule) NOT IN (SELECT page, kept, rule FROM decided)"
            ):
                report.previous[page] = Duplicate(page, kept, similarity, rule)
            report.changed = (
                len(report.previous)
                + self.db.execute(
                    "SELECT COUNT(*) FROM (SELECT page FROM decided EXCEPT SELECT page FROM dedup_decisions)"
                ).fetchone()[0]
            )
            self.db.execute("DELETE FROM dedup_decisions")
            self.db.execute("INSERT INTO dedup_decisions SELECT * FROM decided")
            self.db.execute("DELETE FROM decided")

    def _label_clusters(self) -> None:
        """Label every live entry joined by an edge with the smallest entry of its cluster: label
        propagation over the live edges, with pointer jumping, in temporary tables (on disk past SQLite's
        page cache), a few rounds as clusters of duplicates are shallow."""
        db = self.db
        with db:
            db.execute("BEGIN")
            db.execute("CREATE TEMP TABLE IF NOT EXISTS dedup_links (x INTEGER NOT NULL, y INTEGER NOT NULL)")
            db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS dedup_labels (entry INTEGER PRIMARY KEY, label INTEGER NOT NULL)"
            )
            db.execute("DROP INDEX IF EXISTS temp.dedup_links_x")
            db.execute("DROP INDEX IF EXISTS temp.dedup_labels_label")
            db.execute("DELETE FROM dedup_links")
            db.execute("DELETE FROM dedup_labels")
            db.execute(
                "INSERT INTO dedup_links (x, y) SELECT a, b FROM dedup_edges JOIN dedup_entries ea ON ea.entry = a "
                "JOIN dedup_entries eb ON eb.entry = b WHERE ea.live = 1 AND eb.live = 1"
            )
            db.execute("INSERT INTO dedup_links (x, y) SELECT y, x FROM dedup_links")
            db.execute("CREATE INDEX temp.dedup_links_x ON dedup_links (x, y)")
            db.execute("INSERT INTO dedup_labels (entry, label) SELECT DISTINCT x, x FROM dedup_links")
            while True:
                lowered = db.execute(
                    "UPDATE dedup_labels SET label = best.low FROM (SELECT k.x AS entry, MIN(l.label) AS low "
                    "FROM dedup_links k JOIN dedup_labels l ON l.entry = k.y GROUP BY k.x) AS best "
                    "WHERE dedup_labels.entry = best.entry AND best.low < dedup_labels.label"
                ).rowcount
                if lowered == 0:
                    break
                db.execute(
                    "UPDATE dedup_labels SET label = (SELECT j.label FROM dedup_labels j WHERE j.entry = "
                    "dedup_labels.label) WHERE label <> entry"
                )
            db.execute("CREATE INDEX temp.dedup_labels_label ON dedup_labels (label, entry)")

    def _clusters_labelled(self) -> Iterator[list[int]]:
        """The clusters _label_clusters found, one list of entries at a time."""
        members: list[int] = []
        current = None
        for label, entry in self.db.execute("SELECT label, entry FROM dedup_labels ORDER BY label, entry"):
            if label != current and members:
                yield members
                members = []
            current = label
            members.append(entry)
        if members:
            yield members

    def _cluster_decisions(
        self, members: list[int], keep: str, shingles: ShingleCache
    ) -> list[tuple[str, int, str, int, float, str]]:
        info = {entry: (page, first, chars, exact) for entry, page, first, chars, exact in self._entries(members)}
        kept = _kept(info, keep)
        decisions = []
        for entry in sorted(info):
            if entry == kept:
                continue
            page = info[entry][0]
            decisions.append(
                (
                    page,
                    entry,
                    info[kept][0],
                    kept,
                    self._known_similarity(page, entry, kept) or _similarity(shingles, entry, kept),
                    "exact-duplicate" if info[entry][3] == info[kept][3] else "near-duplicate",
                )
            )
        return decisions

    def _known_similarity(self, page: str, entry: int, kept: int) -> float | None:
        """The similarity of two entries when it was measured before: their edge, or the last decision."""
        row = (
            self.db.execute(
                "SELECT similarity FROM dedup_edges WHERE a = ? AND b = ?", (min(entry, kept), max(entry, kept))
            ).fetchone()
            or self.db.execute(
                "SELECT similarity FROM dedup_decisions WHERE page = ? AND entry = ? AND kept_entry = ?",
                (page, entry, kept),
            ).fetchone()
        )
        return float(row[0]) if row else None

    def _insert_decided(self, rows: list[tuple[str, int, str, int, float, str]]) -> None:
        self.db.executemany(
            "INSERT INTO decided (page, entry, kept, kept_entry, similarity, rule) VALUES (?, ?, ?, ?, ?, ?)", rows
        )

    def _entries(self, entries: list[int]) -> list[tuple[int, str, int, int, int]]:
        found = []
        for start in range(0, len(entries), 500):
            chunk = entries[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += self.db.execute(
                f"SELECT entry, page, first, chars, exact FROM dedup_entries WHERE entry IN ({marks})", chunk
            ).fetchall()
        return found

    def page_of(self, entry: int) -> str | None:
        row = self.db.execute("SELECT page FROM dedup_entries WHERE entry = ?", (entry,)).fetchone()
        return row[0] if row else None

    def shingle_set(self, entry: int, text_of: TextOf) -> np.ndarray | None:
        """An entry's shingle set: as a worker stored it, else from its page's text (None: no text)."""
        row = self.db.execute("SELECT page, shingles FROM dedup_entries WHERE entry = ?", (entry,)).fetchone()
        if row is None:
            return None
        if row[1]:
            stored = self._stored.get_at(row[1])
            if stored is not None:
                return stored
        text = text_of(row[0])
        return shingle_hashes(text, self.settings.params) if text is not None else None

    def duplicates(self) -> Iterator[Duplicate]:
        """The decisions in force: every page that is a duplicate, with the page kept for it."""
        for page, kept, similarity, rule in self.db.execute(
            "SELECT page, kept, similarity, rule FROM dedup_decisions ORDER BY kept_entry, entry"
        ):
            yield Duplicate(page, kept, similarity, rule)

    def duplicate_of(self, page: str) -> Duplicate | None:
        row = self.db.execute(
            "SELECT page, kept, similarity, rule FROM dedup_decisions WHERE page = ?", (page,)
        ).fetchone()
        return Duplicate(*row) if row else None

    def clusters(self) -> Iterator[dict[str, object]]:
        """duplicates.jsonl's records: each cluster's kept page and its duplicates, with similarities to it."""
        current: dict[str, object] | None = None
        for item in self.duplicates():
            if current is None or current["kept"] != item.kept:
                if current is not None:
                    yield current
                current = {"kept": item.kept, "dropped": []}
            dropped = current["dropped"]
            assert isinstance(dropped, list)
            dropped.append({"id": item.page, "similarity": item.similarity, "rule": item.rule})
        if current is not None:
            yield current

    def clear_decisions(self) -> PassReport:
        """No page is a duplicate any more (the pass is switched off); the report lists what was."""
        report = PassReport()
        report.previous = {item.page: item for item in self.duplicates()}
        report.changed = len(report.previous)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM dedup_decisions")
        return report

    def unapplied(self, mode: str) -> set[str]:
        """Pages whose outputs do not yet show the decisions in force: decided otherwise, or no longer
        duplicates, since the outputs were last brought in line (mark_applied), or all of them when the
        executor's mode (drop, flag, off) changed. Kept on disk, so a run killed halfway is finished next time."""
        if self._meta("applied") != mode:
            query = "SELECT page FROM dedup_decisions UNION SELECT page FROM dedup_applied"
        else:
            query = (
                "SELECT page FROM (SELECT page, kept, rule FROM dedup_decisions EXCEPT "
                "SELECT page, kept, rule FROM dedup_applied) UNION SELECT page FROM (SELECT page, kept, rule "
                "FROM dedup_applied EXCEPT SELECT page, kept, rule FROM dedup_decisions)"
            )
        return {page for (page,) in self.db.execute(query)}

    def mark_applied(self, mode: str) -> None:
        """The outputs now show the decisions in force, with `mode`."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM dedup_applied")
            self.db.execute(
                "INSERT INTO dedup_applied (page, kept, similarity, rule) "
                "SELECT page, kept, similarity, rule FROM dedup_decisions"
            )
            self._set_meta("applied", mode)

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM dedup_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO dedup_meta (key, value) VALUES (?, ?)", (key, value))


def _similarity(shingles: ShingleCache, entry: int, kept: int) -> float:
    first, second = shingles.get(entry), shingles.get(kept)
    return round(jaccard(first, second), 4) if first is not None and second is not None else 0.0


def _kept(info: dict[int, tuple[str, int, int, int]], keep: str) -> int:
    """The entry kept for a cluster. first: the page seen first; longest: the longest text (ties: first
    seen); recent: the text added last."""
    if keep == "longest":
        return min(info, key=lambda entry: (-info[entry][2], info[entry][1], entry))
    if keep == "recent":
        return max(info)
    return min(info, key=lambda entry: (info[entry][1], entry))


_T = TypeVar("_T")
_R = TypeVar("_R")


def _map(
    executor: Executor[Any] | None, step: Callable[[_T], _R], tasks: list[_T], check: Callable[[], None] | None
) -> Iterator[_R]:
    """`step` over `tasks` on the executor, or here one after the other when there is none."""
    if executor is None:
        return map(step, tasks)
    return executor.map_ordered(step, tasks, check=check)

"""Steps 3 and 4 of the near-duplicate pass as tasks any executor runs, with files in between.

- find_pairs (one task per group of partitions): each partition of the key space is grouped key range by
  key range (a partition with many files from exports is compacted on the way), and every bucket holding a
  new entry yields candidate pairs (later << 32 | earlier). Each pair goes to a route by its later entry,
  in files per route: `<pass>/r<route>-p<first partition>-<chunk>.npy`.
- verify_pairs (one task per route): all the pairs of a later entry are in its route, from every band's
  partition, so each distinct pair is met once. A pair is checked by the exact Jaccard similarity of the
  two pages' stored shingle sets, with a union-find over the route's own pairs: a pair whose pages are
  already joined is not checked. Once a later entry has an edge, its other pairs are handed back unchecked
  (they matter only if the earlier page is in another cluster, which only the whole pass knows), and so is
  a pair with a page whose shingle set was not stored by this run.
- The cluster step (NearDupIndex.run_pass, once): joins the routes' edges, drops every handed-back pair
  whose pages are now joined, and checks the few left in order. Its clusters are the connected components
  of all verified candidate pairs, as a single serial pass finds them, whatever the number of routes.

Tasks read and write only files under the index's folder, so a task run again (a retry after a lost node)
writes the same files, and a pass killed halfway is done again from the start by the next run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleanpipe.corpus.minhash import find_root, jaccard, sorted_contains, sorted_distinct

KEY_ROW = np.dtype([("key", "<u8"), ("entry", "<u8")])
# Rows of a partition grouped at a time (16 bytes each): a larger partition is grouped key range by range.
GROUP_ROWS = 1 << 14
# A partition with more shard files from exports than this is compacted (live entries only).
COMPACT_AFTER = 16
# How many earlier entries of a bucket a new entry is verified against: a bucket of many copies then costs
# linear time, and union-find links the copies through those checks.
BUCKET_COMPARE = 8
# Bytes of shingle sets kept in memory while verifying pairs (pairs are sorted, so neighbours share pages):
# a bound in bytes, not pages, as a long page's set is a hundred times a short one's.
SHINGLE_CACHE_BYTES = 8 << 20
# Stored shingle files kept mapped while a pass reads them.
MAPPED_FILES = 256
# Pairs a verify_pairs task turns into Python values at a time.
VERIFY_CHUNK = 1 << 16
# Pairs a find_pairs task holds before writing them out to the routes' files.
FLUSH_PAIRS = 1 << 20
# Under the index's folder: the files one pass's steps pass to each other.
PASS_FOLDER = "pass"
_LIVE_FILE = "live.bits"
_LOCATION_ROW = np.dtype([("entry", "<u8"), ("file", "<u4"), ("start", "<u8"), ("count", "<u8")])
_LOCATIONS_FILE = "locations.npy"
_LOCATION_NAMES_FILE = "locations.json"
_LOW = np.uint64(0xFFFFFFFF)
# A verified pair: 16 bytes, not a Python tuple's hundred, as a corpus of reposts has an edge for most pages.
EDGE_ROW = np.dtype([("a", "<u4"), ("b", "<u4"), ("similarity", "<f8")])


@dataclass(frozen=True)
class PairsTask:
    """find_pairs' task: some partitions of one index, the entries already grouped by an earlier pass
    (`grouped`), the last entry (`top`, which names compacted files) and the number of routes."""

    index: str  # the index's folder
    partitions: tuple[int, ...]
    grouped: int
    top: int
    routes: int


@dataclass(frozen=True)
class VerifyTask:
    """verify_pairs' task: one route of one pass."""

    index: str
    route: int
    threshold: float
    shingles: str  # the folder of the stored shingle sets


@dataclass
class Verified:
    """What a route found: edges (EDGE_ROW: earlier, later, similarity) and how many pairs it compared.
    The pairs it hands back to the cluster step unchecked are in the route's file (see handed_back)."""

    edges: np.ndarray
    compared: int


def pass_folder(index: Path) -> Path:
    return index / PASS_FOLDER


def start_pass(index: Path, live: np.ndarray, locations: Iterator[list[tuple[int, str]]], count: int) -> None:
    """The files every task of a pass reads: which entries are live (one bit each), and where the shingle
    sets stored by this run's workers are: `count` rows of (entry, '<file>:<start>:<count>') by entry, in
    batches, written into a memory-mapped table (read the same way by the tasks)."""
    folder = pass_folder(index)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    live.tofile(folder / _LIVE_FILE)
    names: dict[str, int] = {}
    if count:
        table = np.lib.format.open_memmap(folder / _LOCATIONS_FILE, mode="w+", dtype=_LOCATION_ROW, shape=(count,))
        row = 0
        for batch in locations:
            for entry, location in batch:
                name, start, size = location_parts(location)
                table[row] = (entry, names.setdefault(name, len(names)), start, size)
                row += 1
        table.flush()
        del table
    else:
        np.save(folder / _LOCATIONS_FILE, np.zeros(0, dtype=_LOCATION_ROW))
    (folder / _LOCATION_NAMES_FILE).write_text(json.dumps(list(names)), encoding="utf-8")


def location_parts(location: str) -> tuple[str, int, int]:
    """A stored set's location, '<file>:<start>:<count>' (see neardup.store_shingle_sets), in parts."""
    name, start, count = location.rsplit(":", 2)
    return name, int(start), int(count)


def end_pass(index: Path) -> None:
    shutil.rmtree(pass_folder(index), ignore_errors=True)


def partition_folder(index: Path, part: int) -> Path:
    return index / "bands" / f"p{part:03d}"


# -- step 3 ----------------------------------------------------------------------------------------------


def find_pairs(task: PairsTask) -> int:
    """Step 3 for the task's partitions: candidate pairs written to files by route, a bounded number
    held at a time. Returns how many pairs (a pair met in several bands' partitions counts each time)."""
    index = Path(task.index)
    live = np.fromfile(pass_folder(index) / _LIVE_FILE, dtype=np.uint8)
    held: list[np.ndarray] = []
    found = chunk = 0
    for part in task.partitions:
        for pairs in partition_pairs(partition_folder(index, part), task.grouped, live, task.top):
            held.append(pairs)
            found += pairs.size
            if sum(item.size for item in held) >= FLUSH_PAIRS:
                _write_routes(index, task, held, chunk)
                held, chunk = [], chunk + 1
    _write_routes(index, task, held, chunk)
    return found


def _write_routes(index: Path, task: PairsTask, held: list[np.ndarray], chunk: int) -> None:
    """Held pairs, one file per route (named by the task and chunk: a task run again writes the same)."""
    pairs = sorted_distinct(np.concatenate(held)) if held else np.zeros(0, np.uint64)
    route_of = (pairs >> np.uint64(32)) % np.uint64(task.routes)
    for route in range(task.routes):
        chosen = pairs[route_of == route]
        if chosen.size:
            save_atomic(pass_folder(index) / f"r{route:04d}-p{task.partitions[0]:03d}-{chunk:04d}.npy", chosen)


def partition_pairs(folder: Path, grouped: int, live: np.ndarray, top: int) -> Iterator[np.ndarray]:
    """One partition's pairs (later << 32 | earlier) of live entries sharing a bucket, where the later one
    is new since the last pass (`live`: one bit per entry), sorted and distinct, one key range at a time:
    a range holds at most about GROUP_ROWS rows, so memory does not grow with the partition. Compacts the
    partition (live rows only, one sorted file per range) when it has many files from exports; `top` names
    the compacted files."""
    files = sorted(folder.glob("*.npy")) if folder.is_dir() else []
    if not files:
        return
    shards = {path: _shard(path) for path in files}
    ranges = max(1, -(-sum(rows for _, rows in shards.values()) // GROUP_ROWS))
    compact = sum(not path.name.startswith("c") for path in files) > COMPACT_AFTER
    written = set()
    for number in range(ranges):
        low, high = number * 2**64 // ranges, (number + 1) * 2**64 // ranges
        table = np.concatenate([_read_range(path, *shards[path], low, high) for path in files])
        table = table[is_live(live, table["entry"])]
        table = table[np.lexsort((table["entry"], table["key"]))]  # far faster than a structured sort
        # A compaction killed halfway leaves rows in two files: they count once.
        table = table[np.r_[True, table[1:] != table[:-1]]] if table.size else table
        if compact:
            name = folder / f"c{top:012d}-{number:04d}.npy"
            save_atomic(name, table)
            written.add(name)
        yield bucket_pairs(table["key"], table["entry"], grouped)
    for path in files:
        if compact and path not in written:
            path.unlink()


def bucket_pairs(keys: np.ndarray, entries: np.ndarray, grouped: int) -> np.ndarray:
    """Pairs (later << 32 | earlier) of entries sharing a key (rows sorted by key, then entry), where the
    later one is above `grouped`; each is paired with the first BUCKET_COMPARE entries of its bucket."""
    if keys.size < 2:
        return np.zeros(0, np.uint64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, keys.size])
    pairs: list[int] = []
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        members = entries[start : start + size].tolist()
        if members[-1] <= grouped:
            continue  # no new entry: its pairs were verified by an earlier pass
        for position in range(1, size):
            later = members[position]
            if later <= grouped:
                continue
            for earlier in members[: min(position, BUCKET_COMPARE)]:
                if earlier != later:
                    pairs.append(later << 32 | earlier)
    return sorted_distinct(np.array(pairs, dtype=np.uint64))


# -- step 4 ----------------------------------------------------------------------------------------------


def verify_pairs(task: VerifyTask) -> Verified:
    """Step 4 for one route: its pairs, sorted by later entry, checked against the stored shingle sets,
    VERIFY_CHUNK pairs at a time (as Python values; the route's pairs stay in arrays, 8 bytes each)."""
    folder = pass_folder(Path(task.index))
    files = sorted(folder.glob(f"r{task.route:04d}-*.npy"))
    pairs = sorted_distinct(np.concatenate([np.load(path) for path in files])) if files else np.zeros(0, np.uint64)
    sets = ShingleCache(_Locations(folder, Path(task.shingles)).get)
    # A union-find over the route's pages: their sorted ids, each one's parent a position among them.
    ids = sorted_distinct(np.concatenate([pairs >> np.uint64(32), pairs & _LOW]).astype(np.uint32))
    parent = np.arange(ids.size, dtype=np.int32)
    edges: list[tuple[int, int, float]] = []
    back: list[np.ndarray] = []
    compared, linked = 0, -1
    for start in range(0, pairs.size, VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        later_places = np.searchsorted(ids, (chunk >> np.uint64(32)).astype(np.uint32))
        earlier_places = np.searchsorted(ids, (chunk & _LOW).astype(np.uint32))
        chunk_back: list[int] = []
        for pair, later_at, earlier_at in zip(
            chunk.tolist(), later_places.tolist(), earlier_places.tolist(), strict=True
        ):
            if find_root(parent, earlier_at) == find_root(parent, later_at):
                continue
            later, earlier = pair >> 32, pair & 0xFFFFFFFF
            if later == linked:  # it has an edge: whether this earlier page is in another cluster is not known here
                chunk_back.append(pair)
                continue
            first, second = sets.get(earlier), sets.get(later)
            if first is None or second is None:  # not stored by this run: the cluster step reads the pages
                chunk_back.append(pair)
                continue
            compared += 1
            score = jaccard(first, second)
            if score >= task.threshold:
                edges.append((earlier, later, round(score, 4)))
                parent[find_root(parent, later_at)] = find_root(parent, earlier_at)
                linked = later
        back.append(np.array(chunk_back, dtype=np.uint64))
    save_atomic(folder / f"h{task.route:04d}.npy", np.concatenate(back) if back else np.zeros(0, np.uint64))
    return Verified(np.array(edges, dtype=EDGE_ROW), compared)


def handed_back(index: Path, route: int) -> np.ndarray:
    """The pairs a route handed back to the cluster step, sorted."""
    return np.load(pass_folder(index) / f"h{route:04d}.npy")


def joined(earlier: np.ndarray, later: np.ndarray) -> Joins:
    """The cluster step's start: a union-find of the routes' edges (their two ends, as arrays)."""
    joins = Joins()
    joins.positions(np.concatenate([earlier, later]).astype(np.uint32))
    parent = joins.parent
    for start in range(0, earlier.size, VERIFY_CHUNK):
        firsts = np.searchsorted(joins.ids, earlier[start : start + VERIFY_CHUNK].astype(np.uint32)).tolist()
        seconds = np.searchsorted(joins.ids, later[start : start + VERIFY_CHUNK].astype(np.uint32)).tolist()
        for first, second in zip(firsts, seconds, strict=True):
            parent[find_root(parent, second)] = find_root(parent, first)
    return joins


def apart(joins: Joins, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs whose pages `joins` does not join, with their later and earlier pages' positions in it
    (all pages of `pairs` are added to it)."""
    ends = np.concatenate([pairs >> np.uint64(32), pairs & _LOW]).astype(np.uint32)
    later, earlier = np.split(joins.positions(ends), 2)
    roots = _roots(joins.parent)
    kept = roots[later] != roots[earlier]
    return pairs[kept], later[kept], earlier[kept]


def _roots(parent: np.ndarray) -> np.ndarray:
    """Every position's root in a union-find forest, by pointer jumping (whole arrays, log depth rounds)."""
    roots = parent.copy()
    while True:
        jumped = roots[roots]
        if np.array_equal(jumped, roots):
            return roots
        roots = jumped


class Joins:
    """Union-find over the entries met in candidate pairs, not over every entry of the index: their
    sorted ids and each one's parent (a position in the ids). Grows as pairs bring new entries."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.uint32)
        self.parent = np.zeros(0, np.int32)

    def positions(self, entries: np.ndarray) -> np.ndarray:
        """The positions of `entries` (added when new), in their order."""
        wanted = sorted_distinct(entries)
        missing = wanted[~sorted_contains(self.ids, wanted)] if self.ids.size else wanted
        if missing.size:
            # Both are sorted: each old id moves up by the new ids below it, and the other way round.
            old_to = np.arange(self.ids.size, dtype=np.int64) + np.searchsorted(missing, self.ids)
            new_to = np.arange(missing.size, dtype=np.int64) + np.searchsorted(self.ids, missing)
            ids = np.empty(self.ids.size + missing.size, dtype=np.uint32)
            parent = np.empty(ids.size, dtype=np.int32)
            ids[old_to], ids[new_to] = self.ids, missing
            parent[old_to], parent[new_to] = old_to[self.parent], new_to
            self.ids, self.parent = ids, parent
        return np.searchsorted(self.ids, entries)


class ShingleCache:
    """Shingle sets of entries from `lookup`, the most recently used kept up to a number of bytes."""

    def __init__(self, lookup: Callable[[int], np.ndarray | None], budget: int = SHINGLE_CACHE_BYTES) -> None:
        self.lookup, self.budget = lookup, budget
        self.cache: OrderedDict[int, np.ndarray | None] = OrderedDict()
        self.bytes = 0

    def get(self, entry: int) -> np.ndarray | None:
        if entry in self.cache:
            self.cache.move_to_end(entry)
            return self.cache[entry]
        value = self.lookup(entry)
        self.cache[entry] = value
        self.bytes += value.nbytes if value is not None else 0
        while self.bytes > self.budget and len(self.cache) > 1:
            _, dropped = self.cache.popitem(last=False)
            self.bytes -= dropped.nbytes if dropped is not None else 0
        return value


class StoredShingles:
    """Reads stored shingle sets through memory maps of their files, the most recently used kept open:
    a pass reads a set from each shard file many times, one system call for each would cost more than
    the comparison."""

    def __init__(self, folder: Path, files: int = MAPPED_FILES) -> None:
        self.folder, self.files = folder, files
        self.maps: OrderedDict[str, np.ndarray | None] = OrderedDict()

    def get(self, name: str, first: int, size: int) -> np.ndarray | None:
        """A stored set, or None when its file is gone."""
        table = self._map(name)
        if table is None or first + size > table.size:
            return None
        return np.array(table[first : first + size], dtype=np.uint64)

    def get_at(self, location: str) -> np.ndarray | None:
        """A stored set by its location, '<file>:<start>:<count>'."""
        return self.get(*location_parts(location))

    def _map(self, name: str) -> np.ndarray | None:
        if name in self.maps:
            self.maps.move_to_end(name)
            return self.maps[name]
        path = self.folder / f"{name}.u64"
        try:
            table: np.ndarray | None = np.memmap(path, dtype="<u8", mode="r") if path.stat().st_size else None
        except (FileNotFoundError, ValueError):
            table = None
        self.maps[name] = table
        if len(self.maps) > self.files:
            self.maps.popitem(last=False)
        return table


class _Locations:
    """Where this run's workers stored the shingle sets, as start_pass wrote it: entry to set."""

    def __init__(self, folder: Path, shingles: Path) -> None:
        self.table = np.load(folder / _LOCATIONS_FILE, mmap_mode="r")
        self.entries = self.table["entry"]
        self.names = json.loads((folder / _LOCATION_NAMES_FILE).read_text(encoding="utf-8"))
        self.stored = StoredShingles(shingles)

    def get(self, entry: int) -> np.ndarray | None:
        place = int(np.searchsorted(self.entries, entry))
        if place == self.entries.size or int(self.entries[place]) != entry:
            return None
        row = self.table[place]
        return self.stored.get(self.names[int(row["file"])], int(row["start"]), int(row["count"]))


def is_live(bits: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """Which of `entries` have their bit set in `bits`."""
    entries = entries.astype(np.int64)
    inside = entries < bits.size * 8
    found = np.zeros(entries.size, dtype=bool)
    found[inside] = ((bits[entries[inside] >> 3] >> (entries[inside] & 7).astype(np.uint8)) & 1) == 1
    return found


def _shard(path: Path) -> tuple[int, int]:
    """Where a shard file's rows start, and how many there are, from its header."""
    with path.open("rb") as stream:
        version = np.lib.format.read_magic(stream)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(stream)
        if dtype != KEY_ROW or len(shape) != 1:
            raise ValueError(f"{path} is not a near-duplicate shard file")
        return stream.tell(), int(shape[0])


def _read_range(path: Path, start: int, rows: int, low: int, high: int) -> np.ndarray:
    """The rows of a shard file (sorted by key) whose key is in [low, high)."""
    table = np.fromfile(path, dtype=KEY_ROW, count=rows, offset=start)
    keys = table["key"]
    first = int(np.searchsorted(keys, np.uint64(low))) if low else 0
    last = int(np.searchsorted(keys, np.uint64(high))) if high < 2**64 else keys.size
    return table if (first, last) == (0, keys.size) else table[first:last].copy()


def save_atomic(path: Path, table: np.ndarray) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as stream:
        np.save(stream, table)
    os.replace(temporary, path)

"""The pieces that keep the near-duplicate pass's memory bounded: partitions grouped key range by range,
a union-find over the pages met in pairs only, liveness as bits, clusters labelled in SQLite, a shingle
cache bounded in bytes. Each must give what the plain in-memory way gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_neardup import ARTICLE, OTHERS, SEED, _cut_last, _decisions, _pass, _respaced

from cleanpipe.corpus import neardup
from cleanpipe.corpus import pairs as steps
from cleanpipe.corpus.minhash import find_root
from cleanpipe.corpus.neardup import NearDupIndex, NearDupSettings, PageKeys

TEXTS = {
    "article": ARTICLE,
    "seed": SEED,
    "repost": _cut_last(ARTICLE),
    "copy": _respaced(SEED),
    **{f"other{n}": text for n, text in enumerate(OTHERS)},
    "other0_cut": _cut_last(OTHERS[0]),
}
FIRST = ["article", "seed"] + [f"other{n}" for n in range(len(OTHERS))]
SECOND = ["repost", "copy", "other0_cut"]


def _two_passes(folder: Path) -> tuple[dict[str, tuple[str, str]], int]:
    """The decisions after a pass over FIRST and one over SECOND, and the pairs the second compared."""
    index = NearDupIndex(folder, NearDupSettings())
    _pass(index, TEXTS, FIRST)
    compared = _pass(index, TEXTS, SECOND).candidates
    return _decisions(index), compared


def test_partitions_grouped_key_range_by_range_give_the_same_clusters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, _ = _two_passes(tmp_path / "whole")
    assert whole["repost"] == ("article", "near-duplicate") and whole["copy"] == ("seed", "exact-duplicate")
    monkeypatch.setattr(steps, "GROUP_ROWS", 2)  # every partition split into several key ranges
    monkeypatch.setattr(steps, "COMPACT_AFTER", 2)
    monkeypatch.setattr(neardup, "_EXPORT_CHUNK", 1)
    ranged = tmp_path / "ranged"
    assert _two_passes(ranged)[0] == whole
    compacted = list((ranged / "bands").glob("*/c*.npy"))
    assert any(path.stem.endswith("-0001") for path in compacted)  # more than one range was written
    for path in compacted:  # each range file holds its own keys, sorted
        keys = np.load(path)["key"]
        assert np.all(keys[1:] >= keys[:-1])


def test_a_compaction_killed_before_removing_old_files_counts_their_rows_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, compared = _two_passes(tmp_path / "whole")
    monkeypatch.setattr(neardup, "_EXPORT_CHUNK", 1)
    index = NearDupIndex(tmp_path / "killed", NearDupSettings())
    _pass(index, TEXTS, FIRST)
    for folder in (tmp_path / "killed" / "bands").iterdir():  # the new files written, the old not yet removed
        for path in list(folder.glob("*.npy")):
            shutil.copy(path, folder / f"c000000000000-{path.stem[-4:]}.npy")
    report = _pass(index, TEXTS, SECOND)
    assert _decisions(index) == whole
    assert report.candidates == compared  # each pair compared once, though its rows were read twice


@given(st.lists(st.tuples(st.integers(1, 60), st.integers(1, 60)), max_size=40), st.integers(1, 5))
@settings(max_examples=60, deadline=None)
def test_the_sparse_union_find_joins_what_a_full_one_joins(pairs: list[tuple[int, int]], batches: int) -> None:
    joins = steps.Joins()
    full = list(range(61))
    size = max(1, len(pairs) // batches)
    for start in range(0, len(pairs), size):  # entries arrive in batches, as partitions bring them
        batch = pairs[start : start + size]
        ends = np.array([entry for pair in batch for entry in pair], dtype=np.uint32)
        places = joins.positions(ends).tolist()
        for (first, second), (at_first, at_second) in zip(
            batch, zip(places[::2], places[1::2], strict=True), strict=True
        ):
            full[find_root(full, first)] = find_root(full, second)
            joins.parent[find_root(joins.parent, at_first)] = find_root(joins.parent, at_second)
    assert np.all(joins.ids[1:] > joins.ids[:-1])
    met = joins.ids.tolist()
    for first in met:
        for second in met:
            together = find_root(full, first) == find_root(full, second)
            at = joins.positions(np.array([first, second], dtype=np.uint32)).tolist()
            assert (find_root(joins.parent, at[0]) == find_root(joins.parent, at[1])) == together


@given(st.sets(st.integers(0, 200)), st.lists(st.integers(0, 400), max_size=30))
def test_live_bits_say_which_entries_are_live(live: set[int], asked: list[int]) -> None:
    top = max(live, default=0)
    bits = np.zeros(top // 8 + 1, dtype=np.uint8)
    for entry in live:
        bits[entry >> 3] |= 1 << (entry & 7)
    found = steps.is_live(bits, np.array(asked, dtype=np.uint64))
    assert found.tolist() == [entry in live for entry in asked]


def _components(edges: list[tuple[int, int]], dead: set[int]) -> set[frozenset[int]]:
    parent = list(range(100))
    for a, b in edges:
        if a not in dead and b not in dead:
            parent[find_root(parent, a)] = find_root(parent, b)
    nodes = {entry for edge in edges for entry in edge if not dead & set(edge)}
    groups: dict[int, set[int]] = {}
    for entry in nodes:
        groups.setdefault(find_root(parent, entry), set()).add(entry)
    return {frozenset(group) for group in groups.values()}


@given(
    st.lists(st.tuples(st.integers(1, 99), st.integers(1, 99)).filter(lambda e: e[0] < e[1]), max_size=60),
    st.sets(st.integers(1, 99), max_size=10),
)
@settings(max_examples=40, deadline=None)
def test_clusters_labelled_in_sqlite_are_the_connected_components(
    tmp_path_factory: pytest.TempPathFactory, edges: list[tuple[int, int]], dead: set[int]
) -> None:
    index = NearDupIndex(tmp_path_factory.mktemp("labels"), NearDupSettings())
    index.add((f"p{n}", PageKeys(b"", n, 10)) for n in range(1, 100))  # entries 1..99, in order
    with index.db:
        index.db.execute("BEGIN")
        index.db.executemany("UPDATE dedup_entries SET live = 0 WHERE entry = ?", [(n,) for n in dead])
        index.db.executemany("INSERT OR IGNORE INTO dedup_edges (a, b, similarity) VALUES (?, ?, 1.0)", edges)
    index._label_clusters()
    found = {frozenset(members) for members in index._clusters_labelled()}
    assert found == _components(edges, dead)


def test_the_shingle_cache_stays_within_its_bytes(tmp_path: Path) -> None:
    index = NearDupIndex(tmp_path / "index", NearDupSettings())
    pages = list(TEXTS)
    index.add((page, neardup.page_keys(TEXTS[page], index.settings)) for page in pages)
    budget = 3 * neardup.shingle_hashes(ARTICLE, index.settings.params).nbytes
    cache = steps.ShingleCache(lambda entry: index.shingle_set(entry, TEXTS.get), budget)
    for entry in list(range(1, len(pages) + 1)) * 2:
        shingles = cache.get(entry)
        assert shingles is not None
        assert cache.bytes == sum(value.nbytes for value in cache.cache.values() if value is not None)
        assert cache.bytes <= budget or len(cache.cache) == 1
    assert len(cache.cache) < len(pages)  # it did drop entries

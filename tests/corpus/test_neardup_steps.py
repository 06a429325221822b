"""The near-duplicate pass as steps on an executor (pairs found per group of partitions, verified per
route, joined in the cluster step): the clusters are those of one serial pass whatever the number of
routes, including a page that joins two clusters, and the files in between are gone afterwards. The
executor is a real pool of two worker processes (four routes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_neardup import ARTICLE, OTHERS, SEED, _cut_last, _respaced

from cleanpipe.corpus import pairs as steps
from cleanpipe.corpus.minhash import jaccard, shingle_hashes
from cleanpipe.corpus.neardup import SHINGLES_FOLDER, NearDupIndex, NearDupSettings, signed_page, store_shingle_sets
from cleanpipe.corpus.pairs import PASS_FOLDER
from cleanpipe.executors.local import LocalExecutor

SETTINGS = NearDupSettings()
PARAGRAPHS = [part for part in ARTICLE.split("\n") if part.strip()]
# Three versions of the article: the first and last share too little to be near-duplicates, the middle
# one is a near-duplicate of both, so all three are one cluster.
BRIDGE = {
    "head": "\n".join(PARAGRAPHS[:-8]),
    "tail": "\n".join(PARAGRAPHS[8:]),
    "middle": "\n".join(PARAGRAPHS[4:-4]),
}


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalExecutor]:
    with LocalExecutor(2) as executor:
        yield executor


def _stored_pass(
    folder: Path, texts: dict[str, str], pages: list[str], executor: LocalExecutor | None, text_only: set[str]
) -> NearDupIndex:
    """A pass over `pages` as a run makes it: shingle sets stored by the workers, except for the pages of
    `text_only`, which are read back from their text."""
    index = NearDupIndex(folder, SETTINGS)
    signed = {page: signed_page(texts[page], SETTINGS) for page in pages}
    places = store_shingle_sets(folder / SHINGLES_FOLDER, [signed[page][1] for page in pages], name="shard")
    index.add(
        (page, replace(signed[page][0], shingles="" if page in text_only else place))
        for page, place in zip(pages, places, strict=True)
    )
    index.run_pass(texts.get, executor=executor)
    return index


def test_a_page_near_two_pages_that_are_not_near_each_other_joins_them(tmp_path: Path, pool: LocalExecutor) -> None:
    sets = {page: shingle_hashes(text, SETTINGS.params) for page, text in BRIDGE.items()}
    assert jaccard(sets["head"], sets["tail"]) < SETTINGS.threshold
    assert jaccard(sets["head"], sets["middle"]) >= SETTINGS.threshold <= jaccard(sets["tail"], sets["middle"])
    # The middle page comes last: its route verifies it against the head, and hands its pair with the tail
    # back, as only the cluster step knows the tail is in no cluster yet.
    index = _stored_pass(tmp_path / "index", BRIDGE, ["head", "tail", "middle"], pool, set())
    assert {item.page: item.kept for item in index.duplicates()} == {"tail": "head", "middle": "head"}


def test_the_clusters_do_not_depend_on_the_executor_or_where_the_sets_come_from(
    tmp_path: Path, pool: LocalExecutor
) -> None:
    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "respaced": _respaced(ARTICLE), "seed": SEED}
    texts |= {"seed-cut": _cut_last(SEED), "seed-wide": _respaced(SEED)}
    texts |= {f"other{n}": text for n, text in enumerate(OTHERS)}
    texts |= BRIDGE
    pages = list(texts)
    serial = _stored_pass(tmp_path / "serial", texts, pages, None, set(pages))  # every set from its text
    expected = list(serial.clusters())
    assert [(cluster["kept"], len(cluster["dropped"])) for cluster in expected] == [("article", 5), ("seed", 2)]  # type: ignore[arg-type]
    for name, text_only in (("stored", set()), ("mixed", set(pages[::2]))):
        index = _stored_pass(tmp_path / name, texts, pages, pool, text_only)
        assert list(index.clusters()) == expected, name
        assert not (index.folder / PASS_FOLDER).exists()


def test_an_incremental_pass_on_the_pool_matches_one_in_this_process(tmp_path: Path, pool: LocalExecutor) -> None:
    texts = {"article": ARTICLE, "seed": SEED, **{f"other{n}": text for n, text in enumerate(OTHERS)}}
    later = {"cut": _cut_last(ARTICLE), "seed-wide": _respaced(SEED), **BRIDGE}
    found = []
    for executor in (None, pool):
        folder = tmp_path / ("pool" if executor else "here")
        _stored_pass(folder, texts, list(texts), executor, set()).close()
        index = _stored_pass(folder, texts | later, list(later), executor, set())
        found.append(list(index.clusters()))
    assert found[0] == found[1]
    assert {item["kept"] for item in found[0]} == {"article", "seed"}


def test_routes_checked_a_few_pairs_at_a_time_give_the_same_clusters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "seed": SEED, "seed-wide": _respaced(SEED), **BRIDGE}
    texts |= {f"other{n}": text for n, text in enumerate(OTHERS)}
    pages = list(texts)
    whole = list(_stored_pass(tmp_path / "whole", texts, pages, None, set()).clusters())
    monkeypatch.setattr(steps, "VERIFY_CHUNK", 2)  # a route's pairs, and the cluster step's edges, two at a time
    assert list(_stored_pass(tmp_path / "chunked", texts, pages, None, set(pages[::3])).clusters()) == whole


def test_a_pass_stopped_while_its_tasks_run_is_done_again_by_the_next(tmp_path: Path) -> None:
    """A stop request (SIGTERM) while the pass's tasks run: the run stops its workers; the next pass over
    the same index (its entries, stored shingle sets and half-written pass files left as they were)
    finds the clusters an uninterrupted pass finds."""
    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "seed": SEED, "seed-wide": _respaced(SEED), **BRIDGE}
    pages = list(texts)
    expected = list(_stored_pass(tmp_path / "whole", texts, pages, None, set()).clusters())

    index = NearDupIndex(tmp_path / "stopped", SETTINGS)
    signed = {page: signed_page(texts[page], SETTINGS) for page in pages}
    places = store_shingle_sets(index.folder / SHINGLES_FOLDER, [signed[page][1] for page in pages], name="s")
    index.add((page, replace(signed[page][0], shingles=place)) for page, place in zip(pages, places, strict=True))
    waits = 0

    def stop_on_the_second_wait() -> None:
        nonlocal waits
        waits += 1
        if waits == 2:
            raise InterruptedError("stop requested")

    with LocalExecutor(2) as executor, pytest.raises(InterruptedError):
        try:
            index.run_pass(texts.get, executor=executor, check=stop_on_the_second_wait)
        except InterruptedError:
            executor.stop()  # as the run does
            raise
    assert waits == 2 and not list(index.duplicates())
    with LocalExecutor(2) as executor:
        index.run_pass(texts.get, executor=executor)
    assert list(index.clusters()) == expected


def test_a_pass_stopped_in_its_cluster_step_keeps_the_last_decisions_and_is_done_again(tmp_path: Path) -> None:
    """A stop request while the pass decides (in this process, after its tasks): the decisions are those
    of the pass before, and the next pass finds the clusters an uninterrupted pass finds."""
    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "seed": SEED, "seed-wide": _respaced(SEED), **BRIDGE}
    pages = list(texts)
    expected = list(_stored_pass(tmp_path / "whole", texts, pages, None, set()).clusters())
    assert len(expected) >= 2
    index = _stored_pass(tmp_path / "stopped", texts, pages[:2], None, set())
    before = list(index.duplicates())
    assert before  # the article and its cut copy
    signed = {page: signed_page(texts[page], SETTINGS) for page in pages[2:]}
    index.add((page, signed[page][0]) for page in pages[2:])
    calls = 0

    def stop_on_the_third_call() -> None:  # the route's check, the first cluster, then the second
        nonlocal calls
        calls += 1
        if calls == 3:
            raise InterruptedError("stop requested")

    with pytest.raises(InterruptedError):
        index.run_pass(texts.get, check=stop_on_the_third_call)
    assert calls == 3 and list(index.duplicates()) == before
    index.run_pass(texts.get)
    assert list(index.clusters()) == expected

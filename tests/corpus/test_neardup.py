"""The on-disk near-duplicate index: exact and near duplicates, the keep policies, pages never matched with
themselves, incremental passes, index resets and compaction, Chinese and English shingling. Pages are real:
a Chinese tech article and an English news item (tests/fixtures), the seed page, and the clean corpus
pages of tests/fixtures/boilerplate_clean_pages.jsonl as unrelated pages."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_PAGE, fixture_text

from cleanpipe.corpus import neardup
from cleanpipe.corpus import pairs as steps
from cleanpipe.corpus.minhash import MinHashParams, near_duplicate_clusters
from cleanpipe.corpus.neardup import NearDupIndex, NearDupSettings, page_keys

ARTICLE = fixture_text("tech_article_plain.txt")
ENGLISH = fixture_text("english_article_plain.txt")
SEED = SEED_PAGE.read_text(encoding="utf-8")
OTHERS = [
    json.loads(line)["text"]
    for line in (FIXTURES / "boilerplate_clean_pages.jsonl").read_text(encoding="utf-8").splitlines()
]
SETTINGS = NearDupSettings()


def _paragraphs(text: str) -> list[str]:
    return [part for part in text.split("\n") if part.strip()]


def _cut_last(text: str) -> str:
    """A repost without its last paragraph."""
    return "\n".join(_paragraphs(text)[:-1])


def _respaced(text: str) -> str:
    """The same text with other spacing and punctuation, and its digits and Latin letters full-width
    ('２０２３', 'ＡＩ'): an exact duplicate once letters are folded."""
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)
    return wide.replace("，", ", ").replace("。", ".\n")


def _index(tmp_path: Path, settings: NearDupSettings = SETTINGS) -> NearDupIndex:
    return NearDupIndex(tmp_path / "index", settings)


def _pass(index: NearDupIndex, texts: dict[str, str], new: list[str], keep: str = "first") -> neardup.PassReport:
    index.add((page, page_keys(texts[page], index.settings)) for page in new)
    return index.run_pass(texts.get, keep)


def _decisions(index: NearDupIndex) -> dict[str, tuple[str, str]]:
    return {item.page: (item.kept, item.rule) for item in index.duplicates()}


def test_exact_and_near_duplicates_are_found_and_unrelated_pages_are_not(tmp_path: Path) -> None:
    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "respaced": _respaced(ARTICLE), "seed": SEED}
    texts.update({f"other{n}": text for n, text in enumerate(OTHERS)})
    index = _index(tmp_path)
    report = _pass(index, texts, list(texts))
    assert _decisions(index) == {"cut": ("article", "near-duplicate"), "respaced": ("article", "exact-duplicate")}
    assert report.clusters == 1 and report.duplicates == 2
    similarities = {item.page: item.similarity for item in index.duplicates()}
    assert similarities["respaced"] == 1.0
    assert 0.8 <= similarities["cut"] < 1.0
    assert list(index.clusters()) == [
        {
            "kept": "article",
            "dropped": [
                {"id": "cut", "similarity": similarities["cut"], "rule": "near-duplicate"},
                {"id": "respaced", "similarity": 1.0, "rule": "exact-duplicate"},
            ],
        }
    ]


def test_pages_below_the_threshold_are_not_joined(tmp_path: Path) -> None:
    # Half the article is a different page: candidates, if any, fail the exact Jaccard check.
    half = "\n".join(_paragraphs(ARTICLE)[: len(_paragraphs(ARTICLE)) // 2])
    texts = {"article": ARTICLE, "half": half}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    assert _decisions(index) == {}


@pytest.mark.parametrize(
    ("keep", "kept"),
    [("first", "a_short"), ("longest", "b_long"), ("recent", "c_respaced")],
)
def test_keep_policy_chooses_the_page_kept(tmp_path: Path, keep: str, kept: str) -> None:
    texts = {"a_short": _cut_last(ARTICLE), "b_long": ARTICLE, "c_respaced": _respaced(_cut_last(ARTICLE))}
    index = _index(tmp_path)
    _pass(index, texts, list(texts), keep=keep)
    decisions = _decisions(index)
    assert set(decisions) == set(texts) - {kept}
    assert {kept_page for kept_page, _ in decisions.values()} == {kept}


def test_a_page_is_never_a_duplicate_of_itself(tmp_path: Path) -> None:
    texts = {"article": ARTICLE, "seed": SEED}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    # the same pages added again (a re-run) and again with an edit: still one live entry each
    _pass(index, texts, list(texts))
    texts["article"] = _cut_last(ARTICLE)
    report = _pass(index, texts, ["article"])
    assert report.new_entries == 1
    assert _decisions(index) == {}
    live = index.db.execute("SELECT page, COUNT(*) FROM dedup_entries WHERE live = 1 GROUP BY page").fetchall()
    assert sorted(live) == [("article", 1), ("seed", 1)]


def test_an_incremental_pass_finds_a_duplicate_of_an_earlier_page(tmp_path: Path) -> None:
    texts = {"night1_article": ARTICLE, "night1_seed": SEED, "night2_repost": _cut_last(ARTICLE)}
    index = _index(tmp_path)
    first = _pass(index, texts, ["night1_article", "night1_seed"])
    assert first.duplicates == 0
    index.close()
    index = _index(tmp_path)  # the next night opens the index from disk
    second = _pass(index, texts, ["night2_repost"])
    assert second.new_entries == 1
    assert _decisions(index) == {"night2_repost": ("night1_article", "near-duplicate")}
    # the old pages were not signed again: their keys went to the shards in the first pass
    assert index.db.execute("SELECT COUNT(*) FROM dedup_entries WHERE keys IS NOT NULL").fetchone()[0] == 0
    third = _pass(index, texts, [])
    assert third.candidates == 0 and third.duplicates == 1  # nothing new to compare; decisions stand


def test_an_edited_page_leaves_its_cluster(tmp_path: Path) -> None:
    texts = {"article": ARTICLE, "repost": _cut_last(ARTICLE)}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    assert "repost" in _decisions(index)
    texts["repost"] = SEED  # the page now holds another text: its old keys and edges no longer count
    report = _pass(index, texts, ["repost"])
    assert _decisions(index) == {}
    assert report.previous["repost"].kept == "article" and report.changed == 1


def test_changed_settings_start_the_index_afresh(tmp_path: Path) -> None:
    texts = {"article": ARTICLE, "repost": _cut_last(ARTICLE)}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    similarity = next(index.duplicates()).similarity
    assert similarity < 0.999
    index.close()
    stricter = NearDupSettings(threshold=0.999)
    index = _index(tmp_path, stricter)
    assert index.db.execute("SELECT COUNT(*) FROM dedup_entries").fetchone()[0] == 0
    assert not list((tmp_path / "index" / "bands").glob("*/*.npy"))
    _pass(index, texts, list(texts))
    assert _decisions(index) == {}  # the repost is below 0.999


def test_compacted_shards_give_the_same_clusters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "COMPACT_AFTER", 2)
    monkeypatch.setattr(neardup, "_EXPORT_CHUNK", 1)  # one shard file per page and partition
    texts = {"article": ARTICLE, "seed": SEED, "repost": _cut_last(ARTICLE), "copy": _respaced(SEED)}
    index = _index(tmp_path)
    _pass(index, texts, ["article", "seed"])
    _pass(index, texts, ["repost", "copy"])
    assert _decisions(index) == {"repost": ("article", "near-duplicate"), "copy": ("seed", "exact-duplicate")}
    assert all(len(list(folder.glob("*.npy"))) <= 2 for folder in (tmp_path / "index" / "bands").iterdir())


def test_english_pages_are_shingled_by_words(tmp_path: Path) -> None:
    reordered = "\n\n".join(reversed(ENGLISH.split("\n\n")))  # same paragraphs, other order
    texts = {"en": ENGLISH, "en_cut": _cut_last(ENGLISH), "en_reordered": reordered, "zh": ARTICLE}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    decisions = _decisions(index)
    assert decisions["en_cut"] == ("en", "near-duplicate")
    assert decisions["en_reordered"][0] == "en"
    assert "zh" not in decisions
    # word shingles: forcing characters on English changes the keys
    by_chars = NearDupSettings(params=MinHashParams(shingling="char"))
    assert page_keys(ENGLISH, by_chars).keys != page_keys(ENGLISH, SETTINGS).keys


def test_the_on_disk_index_agrees_with_the_in_memory_clusters(tmp_path: Path) -> None:
    pages = [("article", ARTICLE), ("seed", SEED), ("cut", _cut_last(ARTICLE)), ("seed_copy", _respaced(SEED))]
    pages += [(f"other{n}", text) for n, text in enumerate(OTHERS)]
    pages += [("other0_cut", _cut_last(OTHERS[0]))]
    texts = dict(pages)
    index = _index(tmp_path)
    _pass(index, texts, [page for page, _ in pages])
    in_memory = {(cluster.kept, page) for cluster in near_duplicate_clusters(pages) for page, _ in cluster.dropped}
    on_disk = {(item.kept, item.page) for item in index.duplicates()}
    assert on_disk == in_memory
    assert len(on_disk) >= 2


def test_pages_without_text_are_never_duplicates(tmp_path: Path) -> None:
    texts = {"empty1": "", "empty2": "", "punctuation": "。。。！", "article": ARTICLE}
    index = _index(tmp_path)
    _pass(index, texts, list(texts))
    assert _decisions(index) == {}


def test_stored_shingle_sets_are_used_for_verifying_and_give_the_same_decisions(tmp_path: Path) -> None:
    """Shingle sets stored by the workers (one file per shard) stand in for reading a page back: the pass
    never asks for a stored page's text, finds the same pairs and similarities as from the texts, falls
    back to the text when a file is gone, and removes the files once it is done."""
    from cleanpipe.corpus.minhash import shingle_hashes
    from cleanpipe.corpus.neardup import SHINGLES_FOLDER, signed_page, store_shingle_sets

    texts = {"article": ARTICLE, "cut": _cut_last(ARTICLE), "respaced": _respaced(ARTICLE), "seed": SEED}
    texts.update({f"other{n}": text for n, text in enumerate(OTHERS)})
    signed = {page: signed_page(text, SETTINGS) for page, text in texts.items()}
    for page, (_, shingles) in signed.items():
        assert shingles.tolist() == shingle_hashes(texts[page], SETTINGS.params).tolist()
    from_texts = _index(tmp_path / "texts")
    _pass(from_texts, texts, list(texts))

    stored = _index(tmp_path / "stored")
    folder = stored.folder / SHINGLES_FOLDER
    pages = list(texts)
    places = store_shingle_sets(folder, [signed[page][1] for page in pages[:2]], name="first")
    places += store_shingle_sets(folder, [signed[page][1] for page in pages[2:]], name="second")
    (folder / "second.u64").unlink()  # gone: those pages are read back from their text
    stored.add((page, replace(signed[page][0], shingles=place)) for page, place in zip(pages, places, strict=True))
    asked: list[str] = []
    stored.run_pass(lambda page: asked.append(page) or texts[page])
    assert "respaced" in asked and not {"article", "cut"} & set(asked)
    assert list(stored.clusters()) == list(from_texts.clusters())
    assert not folder.exists()

"""MinHash core for near-duplicate documents: shingling by script, signatures that estimate Jaccard
similarity, LSH bands for a threshold, and verified clusters. Pages are real: the seed page and lines
from the development corpus (tests/fixtures/property_lines.txt, tech_article_plain.txt)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from conftest import SEED_PAGE, fixture_text

from cleanpipe.corpus.minhash import (
    MinHashParams,
    Signer,
    jaccard,
    near_duplicate_clusters,
    optimal_bands,
    shingle_hashes,
)

ARTICLE = fixture_text("tech_article_plain.txt")
SEED = SEED_PAGE.read_text(encoding="utf-8")
ENGLISH = (
    "The quick brown fox jumps over the lazy dog while the farmer watches from the porch. "
    "Later that evening the fox returns to the same field and finds the dog asleep under the old oak tree."
)


def test_chinese_is_shingled_by_characters_and_english_by_words() -> None:
    params = MinHashParams(char_ngram=5, word_ngram=3)
    chinese = "首先我想问句到底什么是微商"
    assert shingle_hashes(chinese, params).size == len(chinese) - 5 + 1
    words = ENGLISH.replace(".", "").split()
    assert shingle_hashes(ENGLISH, params).size == len(set(zip(words, words[1:], words[2:], strict=False)))
    # spaces and punctuation do not make a Chinese page different
    assert np.array_equal(shingle_hashes("首先，我想问句：到底 什么是微商？", params), shingle_hashes(chinese, params))


def test_shingling_can_be_forced() -> None:
    chars = MinHashParams(shingling="char", char_ngram=5)
    text = "abcdefgh"
    assert shingle_hashes(text, chars).size == 4  # character 5-grams of an English word
    assert np.array_equal(shingle_hashes("ABC-DEF GH", chars), shingle_hashes(text, chars))  # case, spaces, dashes


def test_signatures_are_the_same_in_another_process() -> None:
    here = Signer(MinHashParams())(ARTICLE)
    code = (
        "import sys; from cleanpipe.corpus.minhash import Signer, MinHashParams;"
        "print(Signer(MinHashParams())(sys.stdin.read()).tobytes().hex())"
    )
    there = subprocess.run([sys.executable, "-c", code], input=ARTICLE, capture_output=True, text=True, check=True)
    assert there.stdout.strip() == here.tobytes().hex()


def test_signature_agreement_estimates_jaccard() -> None:
    params = MinHashParams(num_perm=256)
    signer = Signer(params)
    sentences = [s for s in ARTICLE.split("。") if s]
    edited = (
        "。".join(sentences[: len(sentences) * 2 // 3])
        + "。"
        + "这是编辑后加上的一段完全不同的结尾文字，用来降低相似度。"
    )
    exact = jaccard(shingle_hashes(ARTICLE, params), shingle_hashes(edited, params))
    estimate = float(np.mean(signer(ARTICLE) == signer(edited)))
    assert 0.3 < exact < 0.9  # a real partial overlap
    assert abs(estimate - exact) < 0.1
    assert float(np.mean(signer(ARTICLE) == signer(SEED))) < 0.1  # unrelated pages rarely agree


def test_bands_put_the_s_curve_at_the_threshold() -> None:
    for threshold in (0.5, 0.8, 0.9):
        bands, rows = optimal_bands(threshold, 128)
        assert bands * rows <= 128
        knee = (1 / bands) ** (1 / rows)  # where the probability of becoming a candidate rises fastest
        assert abs(knee - threshold) < 0.12, (threshold, bands, rows, knee)


def test_reposts_cluster_and_unrelated_pages_do_not() -> None:
    paragraphs = [line for line in ARTICLE.splitlines() if line.strip()]
    repost = "\n".join(paragraphs[:-1]).replace("奔驰", "奔驰汽车", 1) + "\n本文转载自网络，如有侵权请联系删除。"
    punctuation = ARTICLE.replace("，", ",").replace("。", ".")
    pages = [
        ("original", ARTICLE),
        ("seed", SEED),
        ("repost", repost),
        ("punctuation", punctuation),
        ("english", ENGLISH),
        ("english-copy", ENGLISH + " "),
    ]
    clusters = near_duplicate_clusters(pages, threshold=0.8)
    found = {cluster.kept: {page for page, _ in cluster.dropped} for cluster in clusters}
    assert found == {"original": {"repost", "punctuation"}, "english": {"english-copy"}}
    scores = {page: score for cluster in clusters for page, score in cluster.dropped}
    assert all(0.8 <= score <= 1.0 for score in scores.values())


def test_a_page_is_never_its_own_duplicate_and_the_first_copy_is_kept() -> None:
    clusters = near_duplicate_clusters([("only", ARTICLE)])
    assert clusters == []
    copies = near_duplicate_clusters([(f"copy{n}", ARTICLE) for n in range(30)])
    assert len(copies) == 1 and copies[0].kept == "copy0"
    assert sorted(page for page, _ in copies[0].dropped) == sorted(f"copy{n}" for n in range(1, 30))

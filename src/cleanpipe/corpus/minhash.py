"""MinHash signatures and LSH banding for near-duplicate documents, vectorised with numpy.

Shingles are character n-grams for CJK text (Chinese has no spaces to split words on) and word n-grams
for space-separated languages, chosen per page. They are hashed without a Python loop: the page's code
points (or word ids) become a numpy array and a polynomial rolling hash gives every n-gram's 64-bit hash
at once. The signature is one-permutation hashing with optimal densification (Shrivastava, 2017): each
shingle hash is mixed once, its top bits pick one of `num_perm` bins and its low bits are the value; a
bin keeps its minimum, and an empty bin borrows the value of the first non-empty bin in its own fixed
random probe order. The probability that two pages agree in a bin is their Jaccard similarity, as with
`num_perm` separate permutations, at the cost of one pass. Everything is deterministic across processes
and machines (no Python hash()).

This module is the in-memory core: signatures, bands, and verified clusters for a set of pages.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex

_WORD = regex.compile(r"[\p{L}\p{N}]+")
_MASK32 = np.uint64(0xFFFFFFFF)
# The language of a page (CJK or not) is judged on its start: enough to tell, and cheap on long pages.
_LANGUAGE_SAMPLE = 2000
# The rolling hash's base: an odd 64-bit constant (arithmetic wraps modulo 2**64).
_BASE = np.uint64(0x100000001B3)
# How many earlier pages of an LSH bucket a page is verified against.
_BUCKET_COMPARE = 8
# Candidate pairs are verified by their exact Jaccard similarity, so a false positive of the LSH bands costs
# only a check while a false negative is a duplicate missed: bands are chosen weighting false positives
# this much (datasketch, which does not verify, weights both alike: 0.5). At 0.8 and 128 hashes this gives
# 14 bands of 9 rows: pairs at 0.85 become candidates 97% of the time instead of 62%.
VERIFIED_FALSE_POSITIVE_WEIGHT = 0.1
# Pages with this share of CJK letters are shingled by characters, others by words.
CJK_SHARE_FOR_CHARACTERS = 0.3


@dataclass(frozen=True)
class MinHashParams:
    num_perm: int = 128
    char_ngram: int = 5
    word_ngram: int = 3
    seed: int = 1
    shingling: str = "auto"  # "auto", "char" or "word"

    def __post_init__(self) -> None:
        if self.shingling not in ("auto", "char", "word"):
            raise ValueError(f"shingling must be auto, char or word, not {self.shingling!r}")
        if self.num_perm < 2 or self.char_ngram < 1 or self.word_ngram < 1:
            raise ValueError("num_perm must be at least 2 and n-gram sizes at least 1")

    def mixer(self) -> np.uint64:
        """An odd 64-bit multiplier that spreads shingle hashes over the bins, from the seed."""
        rng = np.random.Generator(np.random.PCG64(self.seed))
        return np.uint64(int(rng.integers(1, 2**62, dtype=np.uint64)) * 2 + 1)

    def probes(self) -> np.ndarray:
        """For each bin, the order in which an empty bin looks for a non-empty one to borrow from."""
        rng = np.random.Generator(np.random.PCG64(self.seed + 1))
        return np.stack([rng.permutation(self.num_perm) for _ in range(self.num_perm)])


def shingle_hashes(
    text: str, params: MinHashParams, *, distinct: bool = True, letters: np.ndarray | None = None
) -> np.ndarray:
    """The 64-bit hashes of the page's shingles (characters for CJK, words otherwise); sorted and distinct
    unless `distinct` is false (a signature does not need it, and sorting costs more than the signature).
    `letters`: the text's folded_letters, when the caller has them already."""
    # Arithmetic on uint64 arrays wraps modulo 2**64 without a warning (numpy warns on scalars only).
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mode = params.shingling
    if mode == "auto":
        mode = "char" if _cjk_share(points[:_LANGUAGE_SAMPLE]) >= CJK_SHARE_FOR_CHARACTERS else "word"
    if mode == "char":
        units = (letters if letters is not None else _letters_folded(points)).astype(np.uint64)
        n = params.char_ngram
    else:
        words = _WORD.findall(text.casefold())
        units = np.array([_word_id(word) for word in words], dtype=np.uint64)
        n = params.word_ngram
    if units.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if units.size < n:
        n = int(units.size)
    hashes = np.zeros(units.size - n + 1, dtype=np.uint64)
    for offset in range(n):  # n is small (3-5): a loop over positions in the n-gram, not over the text
        hashes = hashes * _BASE + units[offset : units.size - n + 1 + offset]
    return sorted_distinct(hashes) if distinct else hashes


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """np.unique, by sorting: numpy 2's hash-based np.unique is several times slower on these arrays."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered


def sorted_contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of `values` are in `sorted_values` (sorted, not empty): a binary search each."""
    places = np.searchsorted(sorted_values, values)
    places[places == sorted_values.size] = 0
    return sorted_values[places] == values


def folded_letters(text: str) -> np.ndarray:
    """The text's letters and digits as code points, folded as character shingles are."""
    return _letters_folded(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))


def exact_key(letters: np.ndarray) -> tuple[int, int]:
    """A 64-bit key of a page's folded_letters (spaces, punctuation and case ignored), and how many there
    are: two pages with equal keys are exact duplicates for the corpus pass, and the count is the page's
    length in what it says rather than in how it is spaced."""
    digest = hashlib.blake2b(letters.astype("<u4").tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True), int(letters.size)


def _letters_folded(points: np.ndarray) -> np.ndarray:
    """The code points without spaces, punctuation and symbols, lower-cased, full-width letters and digits
    as half-width: copies of a text that differ only in those still share their shingles (the page's own
    text is never changed: this is only what is hashed). Done with lookup tables over the Basic Multilingual Plane."""
    dropped, lower = _bmp_tables()
    in_bmp = points < 0x10000
    low16 = (points & 0xFFFF).astype(np.intp)
    kept = points[~(in_bmp & dropped[low16])]
    in_bmp = kept < 0x10000
    return np.where(in_bmp, lower[(kept & 0xFFFF).astype(np.intp)], kept)


@lru_cache(maxsize=1)
def _bmp_tables() -> tuple[np.ndarray, np.ndarray]:
    """For every BMP code point: whether it is a space, punctuation, symbol or control character, and its
    single-character lower case (itself when it has none). Built once per process (tens of milliseconds)."""
    dropped = np.zeros(0x10000, dtype=bool)
    lower = np.arange(0x10000, dtype=np.uint32)
    for point in range(0x10000):
        character = chr(point)
        category = unicodedata.category(character)
        if category[0] in "PSZ" or category == "Cc" or character.isspace():
            dropped[point] = True
        if 0xFF01 <= point <= 0xFF5E:  # full-width ASCII ('Ａ２０２３') is the same text as half-width
            character = chr(point - 0xFEE0)
        folded = character.lower()
        if len(folded) == 1:
            lower[point] = ord(folded)
    return dropped, lower


# Code point ranges of CJK scripts (kana, CJK ideographs and extensions, Hangul, compatibility ideographs)
# and of Latin letters and digits, for telling a page's script by counting, in numpy.
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x2FFFF))
_LATIN_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x370, 0x52F))


def _cjk_share(points: np.ndarray) -> float:
    """Share of CJK characters among the CJK and Latin-script letters and digits of some code points. (The
    regex-based text.cjk_share is exact but costs more than the whole signature on long pages.)"""
    scripts = _script_table()
    in_bmp = points < 0x10000
    counts = np.bincount(scripts[(points[in_bmp] & 0xFFFF).astype(np.intp)], minlength=3)
    beyond = points[~in_bmp]
    cjk = int(counts[1]) + int(np.count_nonzero((beyond >= 0x20000) & (beyond <= 0x2FFFF)))
    latin = int(counts[2])
    return cjk / (cjk + latin) if cjk + latin else 0.0


@lru_cache(maxsize=1)
def _script_table() -> np.ndarray:
    """For every BMP code point: 1 in a CJK range, 2 in a Latin-script letter or digit range, else 0."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for low, high in _CJK_RANGES:
        table[low : min(high, 0xFFFF) + 1] = 1
    for low, high in _LATIN_RANGES:
        table[low : high + 1] = 2
    return table


def _word_id(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def signature(hashes: np.ndarray, num_perm: int, mixer: np.uint64, probes: np.ndarray) -> np.ndarray:
    """The signature (uint32 per bin) of a page's shingle hashes: one-permutation hashing, densified."""
    empty_value = np.iinfo(np.uint32).max
    sig = np.full(num_perm, empty_value, dtype=np.uint32)
    if hashes.size == 0:
        return sig
    mixed = hashes * mixer
    bins = (((mixed >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.intp)
    np.minimum.at(sig, bins, (mixed & _MASK32).astype(np.uint32))
    filled = np.zeros(num_perm, dtype=bool)
    filled[bins] = True
    if not filled.all():
        empty = np.flatnonzero(~filled)
        donors = probes[empty, np.argmax(filled[probes[empty]], axis=1)]
        sig[empty] = sig[donors]
    return sig


class Signer:
    """Signatures with one set of parameters (the mixer and probe table are made once)."""

    def __init__(self, params: MinHashParams) -> None:
        self.params = params
        self.mixer = params.mixer()
        self.probes = params.probes()

    def __call__(self, text: str) -> np.ndarray:
        return signature(
            shingle_hashes(text, self.params, distinct=False), self.params.num_perm, self.mixer, self.probes
        )


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int, false_positive_weight: float = 0.5) -> tuple[int, int]:
    """Bands and rows per band whose S-curve best fits `threshold`: of every split with bands * rows at
    most `num_perm` (some hashes may go unused), the one minimising the weighted probability mass of false
    positives below the threshold and false negatives above it, as datasketch's MinHashLSH chooses."""
    best = (1, num_perm)
    best_error = float("inf")
    grid = np.linspace(0.0, 1.0, 201)
    below, above = grid <= threshold, grid > threshold
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            probability = 1 - (1 - grid**rows) ** bands
            false_positive = float(np.trapezoid(probability[below], grid[below])) if below.sum() > 1 else 0.0
            false_negative = float(np.trapezoid(1 - probability[above], grid[above])) if above.sum() > 1 else 0.0
            error = false_positive_weight * false_positive + (1 - false_positive_weight) * false_negative
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, distinct hash arrays."""
    if first.size == 0 and second.size == 0:
        return 1.0
    if first.size > second.size:
        first, second = second, first
    if first.size == 0:
        return 0.0
    # Both are sorted: look the smaller one up in the larger (faster than intersect1d's sort of both).
    shared = int(np.count_nonzero(sorted_contains(second, first)))
    return shared / (first.size + second.size - shared)


@dataclass(frozen=True)
class Cluster:
    """Pages that are near-duplicates of each other: `kept` stays, `dropped` go, with their similarity
    to the page that linked them into the cluster."""

    kept: str
    dropped: tuple[tuple[str, float], ...]


def near_duplicate_clusters(
    pages: Iterable[tuple[str, str]], threshold: float = 0.8, params: MinHashParams | None = None
) -> list[Cluster]:
    """Clusters of near-duplicate pages among (id, text) pairs; the first page of a cluster is kept.

    Candidates come from LSH buckets and count only when their exact Jaccard similarity reaches
    `threshold`; clusters join pages through verified pairs (union-find). A page is never compared with
    itself. This in-memory form holds every page's shingle hashes; the corpus pass streams and shards.
    """
    params = params or MinHashParams()
    signer = Signer(params)
    bands, rows = optimal_bands(threshold, params.num_perm, VERIFIED_FALSE_POSITIVE_WEIGHT)
    ids: list[str] = []
    shingles: list[np.ndarray] = []
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for page_id, text in pages:
        hashes = shingle_hashes(text, params)
        sig = signature(hashes, params.num_perm, signer.mixer, signer.probes)
        index = len(ids)
        ids.append(page_id)
        shingles.append(hashes)
        for band in range(bands):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(index)
    parent = list(range(len(ids)))
    similarity: dict[int, float] = {}
    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for position, later in enumerate(members[1:], start=1):
            # Each page is checked against the first few pages of its bucket, not all of them: a bucket of
            # many copies then costs linear time, and union-find links the copies through those checks.
            for earlier in members[: min(position, _BUCKET_COMPARE)]:
                pair = (earlier, later)
                if pair in checked:
                    continue
                checked.add(pair)
                score = jaccard(shingles[earlier], shingles[later])
                if score >= threshold:
                    _union(parent, earlier, later)
                    similarity.setdefault(later, round(score, 4))
    return _clusters(ids, parent, similarity)


def find_root(parent: list[int] | np.ndarray, index: int) -> int:
    """The root of `index` in a union-find forest (a list or an integer array), halving the path."""
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = int(parent[index])
    return index


def _union(parent: list[int], first: int, second: int) -> None:
    root_first, root_second = find_root(parent, first), find_root(parent, second)
    if root_first != root_second:
        # The earlier page is the root, so the first page seen is the one kept.
        parent[max(root_first, root_second)] = min(root_first, root_second)


def _clusters(ids: Sequence[str], parent: list[int], similarity: dict[int, float]) -> list[Cluster]:
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(ids)):
        groups[find_root(parent, index)].append(index)
    return [
        Cluster(ids[root], tuple((ids[member], similarity.get(member, 1.0)) for member in members if member != root))
        for root, members in sorted(groups.items())
        if len(members) > 1
    ]

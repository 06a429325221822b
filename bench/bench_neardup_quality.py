#!/usr/bin/env python3
"""Near-duplicate quality: cleanpipe's near_duplicate_clusters against datasketch's MinHashLSH, on a labelled
set built from the development corpus (bench/neardup_set.py), at the same thresholds, with the same shingles
and the same number of hashes. Run: python3 bench/bench_neardup_quality.py [--shared PATH] [--seed N]
(needs `pip install -e '.[bench]'` for datasketch; writes bench/results/neardup_quality.md; about 2.5 minutes).

Methods, at each threshold t (default 0.8 and 0.7), every one on the same documents:

  cleanpipe              near_duplicate_clusters(pages, t, MinHashParams()): one-permutation MinHash with
                         densification, LSH bands, candidates verified by exact Jaccard >= t, clusters.
  datasketch LSH         MinHash(num_perm=128).update_batch(shingles) + MinHashLSH(threshold=t): a pair is
                         predicted when the index returns it as a candidate (datasketch verifies nothing).
  datasketch LSH, clustered   the same candidate pairs joined into clusters (union-find), as cleanpipe joins.
  datasketch LSH + exact Jaccard   candidates kept when their exact Jaccard >= t, clustered: cleanpipe's
                         procedure with datasketch's hashing and banding (the like-for-like row).
  exact Jaccard, all pairs    every pair with exact Jaccard >= t, clustered: no LSH; the best any verified
                         method can do with these shingles and this threshold.

The shingles are cleanpipe's: `shingle_hashes(text, MinHashParams())` (character 5-grams of the letters
and digits, case-folded, for CJK pages; word 3-grams otherwise), and datasketch is fed the same 64-bit
shingle hashes as 8-byte strings, so both hash exactly the same sets and exact Jaccard is the same for both.
Scores are pairwise over all pairs of the set's documents (see neardup_set.py for the ground truth).

Then, to explain differences: each signature scheme under each other's banding, and every method over
several hash seeds (a difference smaller than the spread between seeds is the luck
of the hash functions, not the method).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from bench_speed import machine_info, write_report  # noqa: E402
from neardup_set import (  # noqa: E402
    DEFAULT_SEED,
    DEFAULT_SHARED,
    HEAVY_KIND,
    HEAVY_MIN,
    LIGHT_KINDS,
    LIGHT_MAX,
    NeardupSet,
    Score,
    SetDoc,
    build_set,
    exact_jaccard_pairs,
    groups_of_pairs,
    labelled_pairs,
    load_corpus,
    pairs_of_groups,
    score,
    truth_pairs,
    write_jsonl,
)

from cleanpipe.corpus import minhash  # noqa: E402
from cleanpipe.corpus.minhash import (  # noqa: E402
    MinHashParams,
    Signer,
    near_duplicate_clusters,
    optimal_bands,
    shingle_hashes,
    signature,
)

RESULTS = Path(__file__).resolve().parent / "results" / "neardup_quality.md"
PACKAGES = ("cleanpipe", "numpy", "datasketch", "scipy")
NUM_PERM = MinHashParams().num_perm
Pair = tuple[str, str]

CLEANPIPE = "cleanpipe near_duplicate_clusters"
DS_RAW = "datasketch MinHashLSH (candidates)"
DS_CLUSTERED = "datasketch MinHashLSH (candidates, clustered)"
DS_VERIFIED = "datasketch MinHashLSH + exact Jaccard"
EXACT = "exact Jaccard, all pairs (no LSH)"
CLEANPIPE_THEIR_BANDS = "cleanpipe signatures, datasketch's bands, + exact Jaccard"
DS_OUR_BANDS = "datasketch signatures, cleanpipe's bands, + exact Jaccard"
DATASKETCH = (DS_RAW, DS_CLUSTERED, DS_VERIFIED)
SHORT = {
    CLEANPIPE: "cleanpipe",
    DS_RAW: "ds LSH",
    DS_CLUSTERED: "ds LSH clustered",
    DS_VERIFIED: "ds LSH + J",
    EXACT: "all pairs",
}


@dataclass
class Row:
    method: str
    threshold: float
    predicted: set[Pair]
    bands: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} ({self.bands[0]}x{self.bands[1]})" if self.bands else self.method


# ------------------------------------------------------------------------------------------ methods


def _pair(first: str, second: str) -> Pair:
    return (first, second) if first < second else (second, first)


def cleanpipe_pairs(docs: Sequence[SetDoc], threshold: float, params: MinHashParams) -> set[Pair]:
    clusters = near_duplicate_clusters(((doc.id, doc.text) for doc in docs), threshold, params)
    return pairs_of_groups([cluster.kept, *(page for page, _ in cluster.dropped)] for cluster in clusters)


def cleanpipe_signatures(hashes: Sequence[np.ndarray], seed: int = 1) -> list[np.ndarray]:
    params = MinHashParams(seed=seed)
    signer = Signer(params)
    return [signature(h, params.num_perm, signer.mixer, signer.probes) for h in hashes]


def datasketch_signatures(hashes: Sequence[np.ndarray], seed: int = 1) -> list[object]:
    """datasketch MinHashes of the very shingles cleanpipe hashes: each 64-bit shingle hash as 8 bytes
    (datasketch hashes each byte string again with its own hash function, SHA-1 by default)."""
    from datasketch import MinHash

    signatures = []
    for shingles in hashes:
        minhash = MinHash(num_perm=NUM_PERM, seed=seed)
        minhash.update_batch([value.to_bytes(8, "little") for value in shingles.tolist()])
        signatures.append(minhash)
    return signatures


def datasketch_candidates(
    signatures: Sequence[object], ids: Sequence[str], threshold: float, bands_rows: tuple[int, int] | None = None
) -> tuple[set[Pair], tuple[int, int]]:
    """Candidate pairs from MinHashLSH (its own bands for the threshold unless `bands_rows` is given)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, params=bands_rows)
    with lsh.insertion_session() as session:
        for index, minhash in enumerate(signatures):
            session.insert(index, minhash)
    pairs: set[Pair] = set()
    for index, minhash in enumerate(signatures):
        pairs.update(_pair(ids[index], ids[other]) for other in lsh.query(minhash) if other != index)
    return pairs, (lsh.b, lsh.r)


def banded_candidates(signatures: Sequence[np.ndarray], ids: Sequence[str], bands: int, rows: int) -> set[Pair]:
    """Candidate pairs from cleanpipe's signatures with any banding: every pair sharing a bucket. (cleanpipe
    itself compares a page with at most 8 earlier pages of a bucket; with families of a few pages that
    never binds, which `lsh_diagnostics` checks by reproducing near_duplicate_clusters' result.)"""
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for index, sig in enumerate(signatures):
        for band in range(bands):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(index)
    pairs: set[Pair] = set()
    for members in buckets.values():
        for position, first in enumerate(members):
            pairs.update(_pair(ids[first], ids[second]) for second in members[position + 1 :])
    return pairs


def s_curve(similarity: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that a pair of this Jaccard similarity shares at least one LSH bucket."""
    return 1 - (1 - similarity**rows) ** bands


@dataclass
class Bench:
    """The set and what every method shares: ids, ground truth, shingle hashes, and the exact Jaccard of
    every pair that shares anything (>= 0.05; pairs below count as 0, far under any threshold)."""

    dataset: NeardupSet
    ids: list[str]
    truth: set[Pair]
    hashes: list[np.ndarray]
    exact: dict[Pair, float]

    @classmethod
    def build(cls, dataset: NeardupSet) -> Bench:
        ids = [doc.id for doc in dataset.documents]
        hashes = [shingle_hashes(doc.text, MinHashParams()) for doc in dataset.documents]
        exact = {_pair(ids[i], ids[j]): s for (i, j), s in exact_jaccard_pairs(hashes, 0.05).items()}
        return cls(dataset, ids, truth_pairs(dataset.documents), hashes, exact)

    def verified(self, pairs: Iterable[Pair], threshold: float) -> set[Pair]:
        """The pairs whose exact Jaccard reaches the threshold, joined into clusters (as cleanpipe joins)."""
        kept = (pair for pair in pairs if self.exact.get(pair, 0.0) >= threshold)
        return pairs_of_groups(groups_of_pairs(self.ids, kept))

    def above(self, threshold: float) -> set[Pair]:
        return {pair for pair, s in self.exact.items() if s >= threshold}


def cleanpipe_bands(threshold: float) -> tuple[int, int]:
    """The bands near_duplicate_clusters uses: `optimal_bands` with cleanpipe's false-positive weight (a
    constant of the module when it has one; `lsh_diagnostics` checks the guess by reproducing its result)."""
    return optimal_bands(threshold, NUM_PERM, getattr(minhash, "VERIFIED_FALSE_POSITIVE_WEIGHT", 0.5))


def bandings(threshold: float, theirs: tuple[int, int]) -> dict[tuple[int, int], str]:
    """The splits worth comparing at a threshold, each named by who chooses it (equal splits merged)."""
    named: dict[tuple[int, int], list[str]] = defaultdict(list)
    named[cleanpipe_bands(threshold)].append("cleanpipe's")
    named[theirs].append("datasketch's")
    named[optimal_bands(threshold, NUM_PERM, 0.5)].append("cleanpipe's search, equal weights")
    return {split: " = ".join(names) for split, names in named.items()}


def method_rows(bench: Bench, threshold: float, hash_seed: int, theirs: Sequence[object]) -> list[Row]:
    """The rows of the results table at one threshold, both hashing schemes seeded with `hash_seed`."""
    ours = cleanpipe_pairs(bench.dataset.documents, threshold, MinHashParams(seed=hash_seed))
    raw, theirs_bands = datasketch_candidates(theirs, bench.ids, threshold)
    return [
        Row(CLEANPIPE, threshold, ours, cleanpipe_bands(threshold)),
        Row(DS_RAW, threshold, raw, theirs_bands),
        Row(DS_CLUSTERED, threshold, pairs_of_groups(groups_of_pairs(bench.ids, raw)), theirs_bands),
        Row(DS_VERIFIED, threshold, bench.verified(raw, threshold), theirs_bands),
        Row(EXACT, threshold, bench.verified(bench.exact, threshold)),
    ]


# ----------------------------------------------------------------------------------------- analyses


def lsh_diagnostics(bench: Bench, thresholds: Sequence[float], theirs: Sequence[object]) -> list[str]:
    """Candidate recall of both signature schemes under each banding worth comparing, then verified: tells
    the banding's effect from the hashing's."""
    ours = cleanpipe_signatures(bench.hashes)
    lines = [
        "",
        "## Banding and hashing (hash seed 1)",
        "",
        "Both signature schemes (cleanpipe: one-permutation hashing with densification; datasketch: 128 "
        "independent hash functions) under each split of the 128 hashes into bands: cleanpipe's (chosen with "
        "false positives weighted 0.1, since it verifies every candidate), datasketch's (equal weights, any "
        "bands x rows <= 128) and cleanpipe's search with equal weights (rows = 128 // bands only). "
        "`candidate recall` is the share of the pairs at or above the threshold that share a bucket, against "
        "the S-curve's expectation 1-(1-J^r)^b averaged over the same pairs; then the candidates are verified "
        "(exact Jaccard >= t) and clustered, as cleanpipe does.",
        "",
        "| signatures | bands x rows (whose) | threshold | pairs with J >= t | candidate recall | expected from "
        "the S-curve | candidates | of them below t | verified + clustered: precision | recall |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for threshold in thresholds:
        raw, theirs_bands = datasketch_candidates(theirs, bench.ids, threshold)
        above = bench.above(threshold)
        above_scores = np.array([bench.exact[pair] for pair in above])
        reference = cleanpipe_pairs(bench.dataset.documents, threshold, MinHashParams())
        for (bands, rows), whose in bandings(threshold, theirs_bands).items():
            for scheme in ("cleanpipe", "datasketch"):
                if scheme == "cleanpipe":
                    found = banded_candidates(ours, bench.ids, bands, rows)
                elif (bands, rows) == theirs_bands:
                    found = raw
                else:
                    found = datasketch_candidates(theirs, bench.ids, threshold, (bands, rows))[0]
                clustered = bench.verified(found, threshold)
                result = score(clustered, bench.truth)
                label = scheme
                if scheme == "cleanpipe" and (bands, rows) == cleanpipe_bands(threshold):
                    # This reimplementation (every pair of a bucket) must give near_duplicate_clusters' result.
                    label += " (= near_duplicate_clusters)" if clustered == reference else " (DIFFERS from it)"
                expected = float(s_curve(above_scores, bands, rows).mean()) if above else 0.0
                below = sum(1 for pair in found if bench.exact.get(pair, 0.0) < threshold)
                lines.append(
                    f"| {label} | {bands}x{rows} ({whose}) | {threshold} | {len(above):,} "
                    f"| {_share(len(found & above), len(above))} | {expected:.3f} | {len(found):,} | {below:,} "
                    f"| {result.precision:.4f} | {result.recall:.4f} |"
                )
    return lines


@dataclass
class SeedRuns:
    seeds: int
    scores: dict[tuple[str, float], list[Score]] = field(default_factory=lambda: defaultdict(list))
    # candidate recall of the pairs with J >= t, per (signature scheme, bands, threshold)
    candidates: dict[tuple[str, tuple[int, int], float], list[float]] = field(default_factory=lambda: defaultdict(list))


def seed_runs(bench: Bench, thresholds: Sequence[float], seeds: int) -> SeedRuns:
    """Every method with hash seeds 1..seeds (cleanpipe's MinHashParams.seed and datasketch's MinHash seed,
    changed together), plus each scheme under the other's bands."""
    runs = SeedRuns(seeds)
    for hash_seed in range(1, seeds + 1):
        theirs = datasketch_signatures(bench.hashes, hash_seed)
        ours = cleanpipe_signatures(bench.hashes, hash_seed)
        for threshold in thresholds:
            rows = method_rows(bench, threshold, hash_seed, theirs)
            raw = rows[1].predicted
            theirs_bands = rows[1].bands
            assert theirs_bands is not None
            ours_bands = cleanpipe_bands(threshold)
            found: dict[tuple[str, tuple[int, int]], set[Pair]] = {
                ("cleanpipe", ours_bands): banded_candidates(ours, bench.ids, *ours_bands),
                ("cleanpipe", theirs_bands): banded_candidates(ours, bench.ids, *theirs_bands),
                ("datasketch", theirs_bands): raw,
                ("datasketch", ours_bands): datasketch_candidates(theirs, bench.ids, threshold, ours_bands)[0],
            }
            rows += [
                Row(DS_OUR_BANDS, threshold, bench.verified(found[("datasketch", ours_bands)], threshold), ours_bands),
                Row(CLEANPIPE_THEIR_BANDS, threshold, bench.verified(found[("cleanpipe", theirs_bands)], threshold),
                    theirs_bands),
            ]  # fmt: skip
            for row in rows:
                if row.method != EXACT:  # no hash functions: the same for every seed
                    runs.scores[(row.method, threshold)].append(score(row.predicted, bench.truth))
            above = bench.above(threshold)
            for (scheme, split), pairs in found.items():
                runs.candidates[(scheme, split, threshold)].append(len(pairs & above) / len(above) if above else 1.0)
    return runs


def seed_section(runs: SeedRuns) -> list[str]:
    lines = [
        "",
        f"## Over {runs.seeds} hash seeds",
        "",
        f"The methods with hash seeds 1 to {runs.seeds} (seed 1, the default of both libraries, is the results "
        "table). Mean and range over seeds; the difference is cleanpipe's recall minus the row's, mean and "
        "standard deviation over seeds; the counts are of seeds where cleanpipe scores at least as high. "
        f"`{DS_OUR_BANDS}` and `{CLEANPIPE_THEIR_BANDS}` swap the bands, to tell the hashing from the banding.",
        "",
        "| method | threshold | precision mean [min, max] | recall mean [min, max] | recall difference "
        "| cleanpipe >= it: precision | recall |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    for (method, threshold), scores in runs.scores.items():
        ours = runs.scores[(CLEANPIPE, threshold)]
        precision = [s.precision for s in scores]
        recall = [s.recall for s in scores]
        if method == CLEANPIPE:
            compare = "- | - | -"
        else:
            difference = np.array([a.recall - b.recall for a, b in zip(ours, scores, strict=True)])
            at_least_p = sum(a.precision >= b.precision for a, b in zip(ours, scores, strict=True))
            at_least_r = sum(a.recall >= b.recall for a, b in zip(ours, scores, strict=True))
            compare = (
                f"{difference.mean():+.4f} ± {difference.std():.4f} | {at_least_p}/{runs.seeds} "
                f"| {at_least_r}/{runs.seeds}"
            )
        lines.append(
            f"| {method} | {threshold} | {np.mean(precision):.4f} [{min(precision):.4f}, {max(precision):.4f}] "
            f"| {np.mean(recall):.4f} [{min(recall):.4f}, {max(recall):.4f}] | {compare} |"
        )
    lines += [
        "",
        "LSH alone: candidate recall of the pairs with exact Jaccard >= t, mean ± standard deviation over seeds.",
        "",
        "| signatures | bands x rows | threshold | candidate recall |",
        "|---|---|---:|---:|",
    ]
    for (scheme, (bands, rows), threshold), values in sorted(
        runs.candidates.items(), key=lambda item: (-item[0][2], item[0][1], item[0][0])
    ):
        lines.append(f"| {scheme} | {bands}x{rows} | {threshold} | {np.mean(values):.4f} ± {np.std(values):.4f} |")
    return lines


def shingling_mode(text: str) -> str:
    """How cleanpipe shingles the page: "char" or "word" (its automatic choice, seen from the outside)."""
    auto = shingle_hashes(text, MinHashParams())
    return "char" if np.array_equal(auto, shingle_hashes(text, MinHashParams(shingling="char"))) else "word"


def findings(bench: Bench, rows: Sequence[Row], runs: SeedRuns | None) -> list[str]:
    """What the tables say, computed from them, so the text stays true when the code or the set changes."""
    docs = bench.dataset.documents
    by_id = {doc.id: doc for doc in docs}
    scores = {(row.method, row.threshold): score(row.predicted, bench.truth) for row in rows}
    bands = {(row.method, row.threshold): row.bands for row in rows}
    lines = ["", "## Findings", ""]
    for threshold in sorted({row.threshold for row in rows}, reverse=True):
        ours = scores[(CLEANPIPE, threshold)]
        ours_bands, theirs_bands = bands[(CLEANPIPE, threshold)], bands[(DS_RAW, threshold)]
        assert ours_bands is not None and theirs_bands is not None
        behind = {
            name: [m for m in DATASKETCH if getattr(ours, name) < getattr(scores[(m, threshold)], name)]
            for name in ("precision", "recall")
        }
        verdict = (
            "**worse than " + "; ".join(f"{', '.join(ms)} on {name}" for name, ms in behind.items() if ms) + "**"
            if any(behind.values())
            else "at least as good as every datasketch row on both precision and recall"
        )
        best = max(scores[(m, threshold)].recall for m in DATASKETCH)
        text = (
            f"- **t={threshold}** (hash seed 1): cleanpipe is {verdict}: precision {ours.precision:.4f}, recall "
            f"{ours.recall:.4f}, against datasketch's best recall {best:.4f}; exact Jaccard over all pairs, the "
            f"ceiling of any verified method, recalls {scores[(EXACT, threshold)].recall:.4f}. Bands: cleanpipe "
            f"{ours_bands[0]}x{ours_bands[1]}, datasketch {theirs_bands[0]}x{theirs_bands[1]}."
        )
        if runs:
            own = runs.scores[(CLEANPIPE, threshold)]
            both = {
                method: sum(
                    a.precision >= b.precision and a.recall >= b.recall
                    for a, b in zip(own, runs.scores[(method, threshold)], strict=True)
                )
                for method in DATASKETCH
            }
            swapped = runs.scores[(DS_OUR_BANDS, threshold)]
            hashing = np.array([a.recall - b.recall for a, b in zip(own, swapped, strict=True)])
            hashing_error = hashing.std() / np.sqrt(runs.seeds)
            matched_ours = runs.candidates[("cleanpipe", ours_bands, threshold)]
            matched_theirs = runs.candidates[("datasketch", ours_bands, threshold)]
            errors = [np.std(values) / np.sqrt(runs.seeds) for values in (matched_ours, matched_theirs)]
            # Within two standard errors of zero, the hashing schemes are not told apart by this set.
            same = abs(hashing.mean()) <= 2 * hashing_error
            text += (
                f" Over {runs.seeds} hash seeds cleanpipe is at least as good on both on "
                + ", ".join(f"{count}/{runs.seeds} seeds against {method}" for method, count in both.items())
                + f"; mean recall {np.mean([s.recall for s in own]):.4f}. "
                + (
                    "The difference from datasketch is the banding, not the hashing: "
                    if same
                    else "The hashing makes a measurable difference too: "
                )
                + f"datasketch's signatures with cleanpipe's bands and verification recall "
                f"{np.mean([s.recall for s in swapped]):.4f} on average (cleanpipe {hashing.mean():+.4f}, standard "
                f"error {hashing_error:.4f}), and with the same bands the LSH finds {np.mean(matched_ours):.4f} of "
                f"the pairs at or above t from cleanpipe's signatures and {np.mean(matched_theirs):.4f} from "
                f"datasketch's (standard errors {errors[0]:.4f}, {errors[1]:.4f})."
            )
        raw = next(row.predicted for row in rows if row.method == DS_RAW and row.threshold == threshold)
        below = [pair for pair in raw if bench.exact.get(pair, 0.0) < threshold]
        text += (
            f" Of datasketch's unverified candidates, {len(below)} are below t, "
            f"{sum(1 for pair in below if pair in bench.truth)} of them labelled duplicates: on this set "
            "verifying costs recall and buys no precision (next point)."
        )
        lines.append(text)
    negatives = [s for pair, s in bench.exact.items() if pair not in bench.truth]
    hardest = max(negatives, default=0.0)
    lines.append(
        f"- **Precision does not separate the methods on this set**: the most similar pair labelled *not* "
        f"duplicate has Jaccard {hardest:.3f} (a heavy edit keeps at most half its original, and different "
        "articles of one topic share little), so even unverified LSH candidates are almost never wrong: a pair at "
        f"J={hardest:.2f} becomes a candidate with probability "
        + ", ".join(
            f"{float(s_curve(np.array(hardest), *b)):.4f} ({b[0]}x{b[1]})"
            for b in sorted({b for (_, _), b in bands.items() if b is not None})
        )
        + ". The set tests recall; pages between a light and a heavy edit get no label under the rule."
    )
    # Duplicates that no LSH can find because their shingle sets are far apart.
    labelled = [(by_id[a], by_id[b]) for a, b, duplicate, _ in labelled_pairs(docs) if duplicate]
    far = [(a, b) for a, b in labelled if b.jaccard_to_original < 0.5]
    flipped = [(a, b) for a, b in far if shingling_mode(a.text) != shingling_mode(b.text)]
    far_kinds = Counter(b.kind for _, b in far)
    lines.append(
        f"- **Misses shared by every method (the shingles, not the LSH)**: {len(far)} labelled duplicates have "
        f"Jaccard < 0.5 to their original ({', '.join(f'{k} {n}' for k, n in far_kinds.most_common())}); in "
        f"{len(flipped)} of them cleanpipe shingles the two pages differently (word 3-grams for one, character "
        "5-grams for the other: the edit moved the page's CJK share across 0.3, so the shingle sets are "
        "disjoint). `fullwidth` variants lose every shingle that holds a letter or digit, because shingling "
        "folds case but not width (no NFKC): Ａ and A, ２ and 2 are different characters to it. `numbers` "
        "variants of number-dense pages (finance, sports results) lose the shingles around every changed figure."
    )
    return lines


# ----------------------------------------------------------------------------------------- reporting


def _share(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})" if total else "-"


def pair_category(pair: Pair, by_id: dict[str, SetDoc]) -> str:
    first, second = by_id[pair[0]], by_id[pair[1]]
    if first.family == second.family:
        return "heavy edit and its family"
    if first.topic == second.topic:
        return "same topic, other article"
    return "different topics"


def kind_recall(predicted: set[Pair], labelled: Sequence[tuple[str, str, bool, str]]) -> dict[str, tuple[int, int]]:
    """Per edit kind: (original, variant) pairs predicted together, and pairs of that kind."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for original, variant, _, kind in labelled:
        counts[kind][0] += _pair(original, variant) in predicted
        counts[kind][1] += 1
    return {kind: (found, total) for kind, (found, total) in counts.items()}


def render(bench: Bench, rows: list[Row], summary: list[str], analyses: list[str], command: str) -> str:
    """The report: results, `summary` (the findings), recall per kind, false positives, `analyses`, the set."""
    dataset, truth = bench.dataset, bench.truth
    docs = dataset.documents
    by_id = {doc.id: doc for doc in docs}
    labelled = labelled_pairs(docs)
    count = len(docs)
    lines = [
        "# Near-duplicate quality: cleanpipe vs datasketch MinHashLSH",
        "",
        f"- command: `{command}`",
        f"- set: {count:,} documents built by `bench/neardup_set.py` (seed {dataset.seed}) from the "
        f"{sum(doc.kind == 'original' for doc in docs)} pages of `shared/corpus` with at least 300 characters; "
        f"{count * (count - 1) // 2:,} pairs, {len(truth):,} of them duplicates (composition at the end)",
        f"- both methods: {NUM_PERM} hashes, cleanpipe's shingles (character 5-grams of letters and digits for "
        "CJK pages, word 3-grams otherwise), datasketch fed the same 64-bit shingle hashes as bytes; hash seed 1",
        "- a pair is predicted a duplicate when the method puts both pages in one cluster (`datasketch "
        "MinHashLSH (candidates)`: when the index returns it as a candidate); precision and recall over all pairs",
        "",
        "## Results",
        "",
        "| method (bands x rows) | threshold | precision | recall | F1 | predicted pairs | true pos. | false pos. "
        "| false neg. |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    scores = {(row.method, row.threshold): score(row.predicted, truth) for row in rows}
    for row in rows:
        result = scores[(row.method, row.threshold)]
        lines.append(
            f"| {row.label} | {row.threshold} | {result.precision:.4f} | {result.recall:.4f} | {result.f1:.4f} "
            f"| {len(row.predicted):,} | {result.true_positives:,} | {result.false_positives:,} "
            f"| {result.false_negatives:,} |"
        )
    lines += ["", "cleanpipe against each datasketch row at the same threshold (hash seed 1):", ""]
    for threshold in sorted({row.threshold for row in rows}, reverse=True):
        ours = scores[(CLEANPIPE, threshold)]
        for method in (DS_RAW, DS_CLUSTERED, DS_VERIFIED):
            theirs = scores[(method, threshold)]
            worse = [
                name
                for name, is_worse in (
                    ("precision", ours.precision < theirs.precision),
                    ("recall", ours.recall < theirs.recall),
                )
                if is_worse
            ]
            verdict = f"**worse on {' and '.join(worse)}**" if worse else "at least as good on both"
            lines.append(
                f"- t={threshold}, vs {method}: precision {ours.precision:.4f} vs {theirs.precision:.4f}, "
                f"recall {ours.recall:.4f} vs {theirs.recall:.4f}: cleanpipe {verdict}"
            )
    lines += summary

    lines += [
        "",
        "## Recall per edit kind (hash seed 1)",
        "",
        "Share of (original, variant) pairs of each kind that the method puts together. For `heavy` (labelled "
        "*not* duplicates) it is the share wrongly joined: lower is better.",
    ]
    for threshold in sorted({row.threshold for row in rows}, reverse=True):
        at = [row for row in rows if row.threshold == threshold]
        per_row = [kind_recall(row.predicted, labelled) for row in at]
        lines += ["", f"t={threshold}:", ""]
        lines += ["| kind | pairs | " + " | ".join(SHORT[row.method] for row in at) + " |"]
        lines += ["|---|---:|" + "---:|" * len(at)]
        for kind in (*LIGHT_KINDS, HEAVY_KIND):
            total = per_row[0].get(kind, (0, 0))[1]
            cells = " | ".join(f"{r[kind][0] / total:.3f}" if total else "-" for r in per_row)
            lines.append(f"| {kind} | {total} | {cells} |")

    lines += ["", "## False positives by kind of pair (hash seed 1)", ""]
    lines += ["| method | threshold | heavy edit and its family | same topic, other article | different topics |"]
    lines += ["|---|---:|---:|---:|---:|"]
    for row in rows:
        categories = Counter(pair_category(pair, by_id) for pair in row.predicted - truth)
        lines.append(
            f"| {row.label} | {row.threshold} | {categories['heavy edit and its family']} "
            f"| {categories['same topic, other article']} | {categories['different topics']} |"
        )
    lines += analyses
    lines += _set_section(bench, labelled, by_id)
    lines += ["", "## Machine", "", *(f"- {key}: {value}" for key, value in machine_info("", PACKAGES))]
    return "\n".join(lines) + "\n"


def _set_section(bench: Bench, labelled: Sequence[tuple[str, str, bool, str]], by_id: dict[str, SetDoc]) -> list[str]:
    dataset, truth = bench.dataset, bench.truth
    docs = dataset.documents
    kinds = Counter(doc.kind for doc in docs)
    lines = [
        "",
        "## The set",
        "",
        "Built by `bench/neardup_set.py` (its docstring has the details). Originals: every page of "
        "`shared/corpus` with at least 300 characters (read with `cleanpipe.io.readers.iter_pages`); "
        f"{len(dataset.excluded)} left out as already near-duplicates of another original (Jaccard >= 0.5). "
        "Each original gets two light edits of different kinds in rotation (a kind that does not apply, such "
        "as `numbers` on a page without digits, passes to the next), and every second original a heavy edit. "
        "Labels by construction: the *edit share* is the larger of the share of the original's letters and "
        f"digits removed and the share of the variant's that are new; <= {LIGHT_MAX} is a duplicate, "
        f">= {HEAVY_MIN} is not, nothing in between is generated. All pairs within an original's family "
        "(the original and its duplicates) are duplicates; every other pair is not. The Jaccard columns use "
        "cleanpipe's shingles and are for reference: they are not the labels.",
        "",
        "| kind | documents | what | edit share min / median / max | Jaccard to original min / median / max "
        "| Jaccard >= 0.8 | Jaccard >= 0.7 |",
        "|---|---:|---|---|---|---:|---:|",
    ]
    what = {
        "original": "corpus page",
        "cut": "paragraphs (or sentences) removed, 5-20% of the letters",
        "add": "a run of sentences from a page of another topic inserted, 5-20% of the result",
        "numbers": "about half the numbers changed (small increments)",
        "footer": "tail line swapped for, or followed by, 1-3 footer lines",
        "punctuation": "full/half-width punctuation swapped, some dropped, spaces, line breaks, blank lines",
        "fullwidth": "ASCII letters and digits written full-width (Ａ, ２０２３)",
        "combo": "cut 3-8%, some numbers, footer, punctuation",
        HEAVY_KIND: "at least half replaced by sentences of other pages of the same topic, at most 40% of any "
        "one (labelled *not* duplicate)",
    }
    for kind in ("original", *LIGHT_KINDS, HEAVY_KIND):
        members = [doc for doc in docs if doc.kind == kind]
        if kind == "original":
            lines.append(f"| original | {len(members)} | {what[kind]} | | | | |")
            continue
        shares = np.array([doc.edit_share for doc in members])
        similarity = np.array([doc.jaccard_to_original for doc in members])
        lines.append(
            f"| {kind} | {len(members)} | {what[kind]} | {shares.min():.2f} / {np.median(shares):.2f} / "
            f"{shares.max():.2f} | {similarity.min():.3f} / {np.median(similarity):.3f} / {similarity.max():.3f} "
            f"| {int((similarity >= 0.8).sum())} | {int((similarity >= 0.7).sum())} |"
        )
    topic_pairs = sum(n * (n - 1) // 2 for n in Counter(doc.topic for doc in docs).values())
    same_topic_truth = sum(1 for a, b in truth if by_id[a].topic == by_id[b].topic)
    heavy_family = [
        s for (a, b), s in bench.exact.items() if (a, b) not in truth and by_id[a].family == by_id[b].family
    ]
    other_articles = [
        s
        for (a, b), s in bench.exact.items()
        if by_id[a].family != by_id[b].family and by_id[a].topic == by_id[b].topic
    ]
    duplicate_scores = np.array([bench.exact.get(pair, 0.0) for pair in truth])
    lines += [
        "",
        f"- documents: {len(docs):,} ({kinds['original']} originals, {sum(kinds[k] for k in LIGHT_KINDS)} light "
        f"edits, {kinds[HEAVY_KIND]} heavy edits); labelled (original, variant) pairs: {len(labelled):,}",
        f"- duplicate pairs (transitive within families): {len(truth):,}; exact Jaccard >= 0.8: "
        f"{int((duplicate_scores >= 0.8).sum()):,}, >= 0.7: {int((duplicate_scores >= 0.7).sum()):,} (two "
        "variants of one original differ by both edits, so their Jaccard is lower than either's to the original)",
        f"- hard negatives: {topic_pairs - same_topic_truth:,} pairs of pages on the same topic (same corpus "
        f"file) that are not duplicates; {len(heavy_family):,} pairs of a heavy edit with its original or its "
        f"original's light edits share shingles, the most similar at Jaccard {max(heavy_family, default=0.0):.3f}; "
        f"the most similar pair of different articles of one topic has Jaccard {max(other_articles, default=0.0):.3f}",
        f"- originals left out: {dataset.excluded or 'none'}",
    ]  # fmt: skip
    return lines


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the folder holding corpus/")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the set's seed")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.8, 0.7])
    parser.add_argument("--hash-seeds", type=int, default=30, help="hash seeds for the spread (0: skip)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--write-set", type=Path, help="also write the labelled set as JSONL to this file")
    args = parser.parse_args()

    dataset = build_set(load_corpus(args.shared / "corpus"), seed=args.seed)
    if args.write_set:
        write_jsonl(dataset, args.write_set)
    bench = Bench.build(dataset)
    theirs = datasketch_signatures(bench.hashes)
    rows = [row for threshold in args.thresholds for row in method_rows(bench, threshold, 1, theirs)]
    runs = seed_runs(bench, args.thresholds, args.hash_seeds) if args.hash_seeds else None
    analyses = lsh_diagnostics(bench, args.thresholds, theirs) + (seed_section(runs) if runs else [])
    command = ("python3 bench/bench_neardup_quality.py " + shlex.join(sys.argv[1:])).strip()
    report = render(bench, rows, findings(bench, rows, runs), analyses, command)
    write_report(report, args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

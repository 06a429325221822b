"""Signatures per second: cleanpipe's one-permutation MinHash against datasketch's MinHash.update_batch,
on the same pages, with the same shingles (character 5-grams for CJK pages, word 3-grams otherwise) and
the same number of hashes (128), in one process. Run: python3 bench/bench_minhash.py [--shared PATH].

Two figures for datasketch: from the page text (building its shingle set, as a user would), and from
shingles built beforehand (update_batch alone). cleanpipe's figure is always from the page text.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from bench_speed import DEFAULT_SHARED, load_pages, machine_info, write_report  # noqa: E402

from cleanpipe.corpus.minhash import MinHashParams, Signer, _cjk_share, _letters_folded  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "minhash.md"
PACKAGES = ("cleanpipe", "numpy", "datasketch")


def datasketch_shingles(text: str, params: MinHashParams) -> list[bytes]:
    """The same shingles cleanpipe hashes, as byte strings for datasketch."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if _cjk_share(points[:2000]) >= 0.3:
        units = _letters_folded(points).astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
        n = min(params.char_ngram, len(units)) or 1
        return list({units[i : i + n].encode() for i in range(max(1, len(units) - n + 1))})
    import regex

    words = regex.findall(r"[\p{L}\p{N}]+", text.casefold())
    n = min(params.word_ngram, len(words)) or 1
    return list({" ".join(words[i : i + n]).encode() for i in range(max(1, len(words) - n + 1))})


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from datasketch import MinHash

    texts = [page.data.decode("utf-8") for page in load_pages(args.shared)]
    params = MinHashParams(num_perm=128)
    signer = Signer(params)
    prepared = [datasketch_shingles(text, params) for text in texts]

    def ours() -> None:
        for text in texts:
            signer(text)

    def theirs_from_text() -> None:
        for text in texts:
            MinHash(num_perm=128).update_batch(datasketch_shingles(text, params))

    def theirs_update_only() -> None:
        for shingles in prepared:
            MinHash(num_perm=128).update_batch(shingles)

    ours(), theirs_update_only()  # warm up
    rows = [
        ("cleanpipe Signer (from text)", timed(ours, args.repeat)),
        ("datasketch MinHash.update_batch (from text)", timed(theirs_from_text, args.repeat)),
        ("datasketch MinHash.update_batch (shingles prepared)", timed(theirs_update_only, args.repeat)),
    ]
    base = statistics.median(rows[0][1])
    lines = [
        "# MinHash signatures: cleanpipe vs datasketch",
        "",
        f"- command: `python3 bench/bench_minhash.py --repeat {args.repeat}`",
        f"- pages: {len(texts)} (seeds + corpus), 128 hashes, char 5-grams (CJK) / word 3-grams; best and median"
        f" of {args.repeat} runs",
        "",
        "| method | signatures/s best | signatures/s median | cleanpipe is faster by (median) |",
        "|---|---:|---:|---:|",
    ]
    for label, times in rows:
        best, median = min(times), statistics.median(times)
        lines.append(f"| {label} | {len(texts) / best:,.0f} | {len(texts) / median:,.0f} | {median / base:.1f}x |")
    lines += ["", *(f"- {key}: {value}" for key, value in machine_info("", PACKAGES))]
    write_report("\n".join(lines) + "\n", args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

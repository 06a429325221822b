"""End-to-end near-duplicate detection at 10k, 100k and 1M short pages: time and peak memory.

Run: python3 bench/bench_dedup_scale.py [--sizes 10000 100000 1000000] [--shared PATH]

The pages are made, not collected: each page is 4-8 sentences drawn (with a seed per page) from the
sentences of the development corpus (../shared/corpus), about 250 characters; one page in ten is a repost
of an earlier page with an edit (a number changed, punctuation and spacing changed, or a short line
added at the end). A page is a function of its number, so the benchmark reads any page back by
regenerating it, as cleanpipe reads clean pages back from the output folder: no list of texts is held.

cleanpipe: each page's band keys are computed and added to an on-disk index (corpus/neardup.py) in
batches, then one pass exports, groups, verifies and clusters. Each size runs in a fresh process, so the
peak resident memory is that size's alone. datasketch (MinHash.update_batch + MinHashLSH, in memory, the
same shingles and threshold, no verification) runs at the sizes given to --datasketch-sizes, for scale.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
import regex  # noqa: E402
from bench_speed import DEFAULT_SHARED, load_pages, machine_info, write_report  # noqa: E402

from cleanpipe.corpus.neardup import NearDupIndex, NearDupSettings, page_keys  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "dedup_scale.md"
PACKAGES = ("cleanpipe", "numpy", "datasketch")
_SENTENCE = regex.compile(r"[^。！？!?\n]{8,80}[。！？!?]")
REPOST_SHARE = 10  # one page in ten is a repost
_BATCH = 10_000
INCREMENT = 10_000  # pages added by the nightly run measured after each first pass


@lru_cache(maxsize=1)
def sentences(shared: str) -> tuple[str, ...]:
    found: set[str] = set()
    for page in load_pages(Path(shared)):
        found.update(match.strip() for match in _SENTENCE.findall(page.data.decode("utf-8", "replace")))
    return tuple(sorted(found))


def original(number: int, pool: tuple[str, ...]) -> str:
    rng = np.random.default_rng(number)
    count = int(rng.integers(4, 9))
    return "".join(pool[int(index)] for index in rng.integers(0, len(pool), count))


def page_text(number: int, pool: tuple[str, ...]) -> str:
    """Page `number`: a new page, or (one in ten) a repost of an earlier page with one edit."""
    if number % REPOST_SHARE != REPOST_SHARE - 1 or number < REPOST_SHARE:
        return original(number, pool)
    rng = np.random.default_rng(number + 1_000_000_007)
    base = int(rng.integers(0, number))
    while base % REPOST_SHARE == REPOST_SHARE - 1 and base >= REPOST_SHARE:
        base -= 1
    text = original(base, pool)
    edit = number // REPOST_SHARE % 3
    if edit == 0:
        return regex.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), text, count=2) + "2024"
    if edit == 1:
        return text.replace("，", ", ").replace("。", "。\n")
    return text + "(来源:网络)"


def reposts(size: int) -> Iterator[int]:
    """The pages made as reposts of an earlier page."""
    return (number for number in range(REPOST_SHARE, size) if number % REPOST_SHARE == REPOST_SHARE - 1)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_pages(index: NearDupIndex, settings: NearDupSettings, pool: tuple[str, ...], start: int, stop: int) -> int:
    """Sign pages start..stop-1 and add them to the index in batches; their characters."""
    chars = 0
    for first in range(start, stop, _BATCH):
        batch = []
        for number in range(first, min(stop, first + _BATCH)):
            text = page_text(number, pool)
            chars += len(text)
            batch.append((str(number), page_keys(text, settings)))
        index.add(batch)
    return chars


def run_cleanpipe(size: int, shared: str, folder: Path) -> dict[str, float]:
    """The first pass: `size` pages signed, indexed and passed over at once."""
    pool = sentences(shared)
    settings = NearDupSettings()
    index = NearDupIndex(folder, settings)
    started = time.perf_counter()
    chars = add_pages(index, settings, pool, 0, size)
    signed = time.perf_counter()
    report = index.run_pass(lambda page: page_text(int(page), pool))
    finished = time.perf_counter()
    peak = peak_rss_mib()  # before the checks below, which are the benchmark's, not cleanpipe's
    planted = found = 0
    for number in reposts(size):
        planted += 1
        found += index.duplicate_of(str(number)) is not None
    disk = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    index.close()
    return {
        "pages": size,
        "mean_chars": chars / size,
        "sign_seconds": signed - started,
        "pass_seconds": finished - signed,
        "seconds": finished - started,
        "candidates": report.candidates,
        "duplicates": report.duplicates,
        "planted": planted,
        "planted_found": found,
        "peak_rss_mib": peak,
        "index_mib": disk / 2**20,
    }


def run_increment(size: int, shared: str, folder: Path) -> dict[str, float]:
    """A nightly run on the index `run_cleanpipe` left: INCREMENT new pages (one in ten a repost of any
    earlier page, old or new) signed and passed over against all `size` earlier ones, in a fresh process."""
    pool = sentences(shared)
    settings = NearDupSettings()
    index = NearDupIndex(folder, settings)
    started = time.perf_counter()
    add_pages(index, settings, pool, size, size + INCREMENT)
    report = index.run_pass(lambda page: page_text(int(page), pool))
    seconds = time.perf_counter() - started
    peak = peak_rss_mib()
    new = [number for number in reposts(size + INCREMENT) if number >= size]
    found = sum(index.duplicate_of(str(number)) is not None for number in new)
    index.close()
    return {
        "pages": size,
        "seconds": seconds,
        "peak_rss_mib": peak,
        "new_entries": report.new_entries,
        "planted": len(new),
        "planted_found": found,
    }


def run_datasketch(size: int, shared: str) -> dict[str, float]:
    from bench_minhash import datasketch_shingles
    from datasketch import MinHash, MinHashLSH

    from cleanpipe.corpus.minhash import MinHashParams

    pool = sentences(shared)
    params = MinHashParams()
    lsh = MinHashLSH(threshold=0.8, num_perm=params.num_perm)
    started = time.perf_counter()
    duplicates = 0
    for number in range(size):
        sketch = MinHash(num_perm=params.num_perm)
        sketch.update_batch(datasketch_shingles(page_text(number, pool), params))
        if lsh.query(sketch):
            duplicates += 1
        lsh.insert(str(number), sketch)
    seconds = time.perf_counter() - started
    return {"pages": size, "seconds": seconds, "duplicates": duplicates, "peak_rss_mib": peak_rss_mib()}


def child(args: argparse.Namespace) -> int:
    if args.tool == "datasketch":
        result = run_datasketch(args.child, str(args.shared))
    else:
        runner = run_increment if args.tool == "increment" else run_cleanpipe
        result = runner(args.child, str(args.shared), args.folder)
    print(json.dumps(result))
    return 0


def measure(tool: str, size: int, shared: Path, folder: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(size), "--tool", tool, "--shared", str(shared)]
    command += ["--folder", str(folder)] if folder else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def render(rows: list[dict[str, float]], nightly: list[dict[str, float]], sketch_rows: list[dict[str, float]]) -> str:
    lines = [
        "# Near-duplicate detection at scale",
        "",
        "Made by `python3 bench/bench_dedup_scale.py`. Pages: 4-8 sentences of the development corpus drawn",
        "with a seed per page (about 250 characters); one in ten is a repost of an earlier page with one edit",
        "(numbers changed, punctuation and spacing changed, or a line added). cleanpipe signs every page and",
        "adds it to the on-disk index in batches of 10,000, then runs one pass (export to shards, group per",
        "partition, verify by exact Jaccard similarity reading pages back, cluster). One process, one core;",
        "each size in a fresh process.",
        "",
        "| pages | sign + index (s) | pass (s) | total (s) | pages/s | µs per page | peak RSS (MiB) "
        "| index on disk (MiB) | candidate pairs | duplicates | planted reposts found |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['pages']:,} | {row['sign_seconds']:.1f} | {row['pass_seconds']:.1f} | {row['seconds']:.1f} "
            f"| {row['pages'] / row['seconds']:,.0f} | {1e6 * row['seconds'] / row['pages']:.0f} "
            f"| {row['peak_rss_mib']:.0f} | {row['index_mib']:.0f} | {row['candidates']:,} | {row['duplicates']:,} "
            f"| {row['planted_found']:,} / {row['planted']:,} |"
        )
    lines += [
        "",
        f"Then a nightly run, in a fresh process, on the index each first pass left: {INCREMENT:,} new pages",
        "(made the same way; one in ten a repost of any earlier page) signed, indexed and passed over against",
        "all the earlier ones. Its memory should not depend on how many pages the index holds.",
        "",
        "| pages already indexed | nightly run (s) | peak RSS (MiB) | planted reposts found |",
        "|---:|---:|---:|---:|",
    ]
    for row in nightly:
        lines.append(
            f"| {row['pages']:,} | {row['seconds']:.1f} | {row['peak_rss_mib']:.0f} "
            f"| {row['planted_found']:,} / {row['planted']:,} |"
        )
    if sketch_rows:
        lines += [
            "",
            "datasketch for scale (MinHash.update_batch and MinHashLSH in memory, the same shingles and threshold,",
            "candidates not verified; a page counts as a duplicate when its query returns any earlier page):",
            "",
            "| pages | total (s) | pages/s | peak RSS (MiB) | duplicates |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in sketch_rows:
            lines.append(
                f"| {row['pages']:,} | {row['seconds']:.1f} | {row['pages'] / row['seconds']:,.0f} "
                f"| {row['peak_rss_mib']:.0f} | {row['duplicates']:,} |"
            )
    lines += ["", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine_info(packages=PACKAGES)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--datasketch-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tool", default="cleanpipe", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    rows, nightly = [], []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            rows.append(measure("cleanpipe", size, args.shared, Path(folder)))
            print(json.dumps(rows[-1]), file=sys.stderr)
            nightly.append(measure("increment", size, args.shared, Path(folder)))
            print(json.dumps(nightly[-1]), file=sys.stderr)
    sketch_rows = []
    for size in args.datasketch_sizes:
        sketch_rows.append(measure("datasketch", size, args.shared))
        print(json.dumps(sketch_rows[-1]), file=sys.stderr)
    write_report(render(rows, nightly, sketch_rows), args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fuzzing: real pages damaged at random (tests/mutations.py), each cleaned with strict=True.

Seeds: the dev HTML pages of SHARED/html_bench, the text pages of SHARED/seeds and SHARED/corpus, and the
pages in tests/fixtures. Each fuzzed page is a seed page mutated 1 to 4 times (cut, doubled, truncated,
fragments inserted, bytes flipped, markup nested deep; sometimes spliced with another page), from a
seeded random source: the same --seed gives the same pages. Each page is cleaned with
`cleanpipe.clean(data, source=name, strict=True)` (a crash propagates instead of becoming a refusal),
then its Markdown is cleaned again. Counted: crashes (any exception but CleanError), refusals
(CleanError: empty or binary), pages whose Markdown changes when cleaned again, and the slowest page
(CPU seconds per 100 KB). Every crashing or changing page is saved under --save for a test to replay.

Run from anywhere:  python3 bench/bench_fuzz.py --pages 20000      (writes bench/results/fuzz.md)
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
from mutations import mutate  # noqa: E402

DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "fuzz.md"


def seed_pages(shared: Path) -> list[tuple[str, bytes]]:
    from cleanpipe.io.readers import iter_pages

    pages: list[tuple[str, bytes]] = []
    for path in sorted((shared / "html_bench").rglob("*")):
        if path.name.endswith((".html", ".html.gz")):
            data = path.read_bytes()
            pages.append((path.name.removesuffix(".gz"), gzip.decompress(data) if path.name.endswith(".gz") else data))
    for page in iter_pages([shared / "seeds", shared / "corpus", REPO_ROOT / "tests" / "fixtures"]):
        data = getattr(page, "data", None)
        if isinstance(data, str) and data:
            pages.append((Path(page.id).name + (".html" if page.html else ".txt"), data.encode("utf-8", "replace")))
    return pages


def check(item: tuple[int, str, bytes]) -> tuple[int, str, str, float, int]:
    import cleanpipe

    number, name, data = item
    started = time.process_time()
    try:
        once = cleanpipe.clean(data, source=name, strict=True).markdown
    except cleanpipe.CleanError:
        return number, name, "refused", time.process_time() - started, len(data)
    except Exception as error:  # noqa: BLE001 - a crash is what this counts
        return (
            number,
            name,
            f"crash: {type(error).__name__}: {str(error)[:120]}",
            time.process_time() - started,
            len(data),
        )
    seconds = time.process_time() - started
    try:
        twice = cleanpipe.clean(once, strict=True).markdown
    except Exception as error:  # noqa: BLE001
        return number, name, f"crash on its output: {type(error).__name__}: {str(error)[:120]}", seconds, len(data)
    return number, name, "ok" if twice == once else "changed", seconds, len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--save", type=Path, default=REPO_ROOT / "bench" / ".work" / "fuzz")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    seeds = seed_pages(args.shared)
    rng = random.Random(args.seed)

    def fuzzed():
        for number in range(args.pages):
            name, page = rng.choice(seeds)
            other = rng.choice(seeds)[1]
            yield number, name, mutate(page, rng, other)

    counts: Counter[str] = Counter()
    problems: list[tuple[int, str, str]] = []
    slowest = (0.0, 0, "", 0.0)
    total_bytes = 0
    started = time.perf_counter()
    args.save.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.workers) as pool:
        for number, name, kind, seconds, size in pool.map(check, fuzzed(), chunksize=16):
            total_bytes += size
            counts["crash" if kind.startswith("crash") else kind] += 1
            if kind not in ("ok", "refused"):
                problems.append((number, name, kind))
            per_100k = seconds / max(size, 1) * 100_000
            if size >= 10_000 and per_100k > slowest[0]:
                slowest = (per_100k, size, name, seconds)
    # Save the problem pages: the generator is replayed (same seed), keeping those numbers.
    wanted = {number for number, _, _ in problems}
    rng = random.Random(args.seed)
    for number, name, data in fuzzed():
        if number in wanted:
            (args.save / f"{number:06d}_{name}").write_bytes(data)
    wall = time.perf_counter() - started
    lines = [
        "# Fuzzing: real pages damaged at random",
        "",
        f"{args.pages:,} pages from {len(seeds):,} seed pages (html_bench dev, seeds, corpus, test fixtures), seed "
        f"{args.seed}, {total_bytes / 1e6:.0f} MB in all; {wall:.0f} s wall on {args.workers} workers.",
        "",
        "| outcome | pages |",
        "|---|---:|",
        *(f"| {kind} | {counts[kind]:,} |" for kind in ("ok", "refused", "changed", "crash")),
        "",
        f"Slowest page of 10 KB or more: {slowest[2]} mutated, {slowest[1] / 1000:.0f} KB, {slowest[3]:.2f} s CPU "
        f"({slowest[0]:.2f} s per 100 KB).",
        "",
        "Problems (page number, seed page, outcome): "
        + ("; ".join(f"{n} {name} {kind}" for n, name, kind in problems[:50]) if problems else "none"),
        "",
        f"Command: `python3 bench/bench_fuzz.py --pages {args.pages} --seed {args.seed}`. Machine: {os.cpu_count()} "
        f"logical CPUs, {platform.platform()}, Python {platform.python_version()}.",
        "",
    ]
    print("\n".join(lines))
    if not args.no_write:
        args.output.write_text("\n".join(lines), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

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
import itertools
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
from mutations import mutate  # noqa: E402
from reporting import finish, footer  # noqa: E402

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


def containers(shared: Path, count: int, seed: int, folder: Path) -> dict[str, int]:
    """Damaged dump files written to `folder`, then one `cleanpipe` batch run over them: JSON Lines (plain
    and gzipped), JSON arrays and WARC files (plain and gzipped per record), each built from 20 real
    records (corpus text, html_bench pages) and then mutated. Returns the run's counts; a run that raises
    is an abort."""
    import io
    import json
    import shutil

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from cleanpipe.executors.batch import BatchOptions, run_batch

    rng = random.Random(seed)
    texts = [data.decode("utf-8", "replace") for _, data in seed_pages(shared)]
    shutil.rmtree(folder, ignore_errors=True)
    raw = folder / "raw"
    raw.mkdir(parents=True)

    def warc(pages: list[str], gzipped: bool) -> bytes:
        stream = io.BytesIO()
        writer = WARCWriter(stream, gzip=gzipped)
        for number, page in enumerate(pages):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            body = io.BytesIO(page.encode("utf-8", "replace"))
            writer.write_record(
                writer.create_warc_record(f"http://x.cn/{number}", "response", payload=body, http_headers=headers)
            )
        return stream.getvalue()

    for number in range(count):
        records = [{"id": f"r{k}", "text": rng.choice(texts)[:20_000]} for k in range(20)]
        kind = rng.choice(("jsonl", "jsonl.gz", "json", "warc", "warc.gz"))
        if kind.startswith("jsonl"):
            data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "replace")
        elif kind == "json":
            data = json.dumps(records, ensure_ascii=False).encode("utf-8", "replace")
        else:
            data = warc([r["text"] for r in records], kind == "warc.gz")
        if kind == "jsonl.gz":
            data = gzip.compress(data)
        (raw / f"{number:05d}.{kind}").write_bytes(mutate(data, rng))
    try:
        summary = run_batch(BatchOptions((raw,), folder / "out", workers=os.cpu_count() or 1))
    except Exception as error:  # noqa: BLE001 - an abort is what this counts
        print(f"run aborted: {type(error).__name__}: {error}")
        return {"files": count, "aborted": 1}
    return {"files": count, "aborted": 0, "pages": summary.pages, "written": summary.written, "failed": summary.failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--save", type=Path, default=REPO_ROOT / "bench" / ".work" / "fuzz")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--containers", type=int, default=0, help="also this many damaged dump files, one run")
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

    def results():  # in batches: Executor.map takes its whole input at once, and the pages are large
        pages = fuzzed()
        with ProcessPoolExecutor(args.workers) as pool:
            while batch := list(itertools.islice(pages, 512)):
                yield from pool.map(check, batch, chunksize=16)

    for number, name, kind, seconds, size in results():
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
    container_lines = []
    if args.containers:
        done = containers(args.shared, args.containers, args.seed, REPO_ROOT / "bench" / ".work" / "fuzz_containers")
        container_lines = [
            f"Damaged dump files: {done['files']:,} (JSON Lines, gzipped JSON Lines, JSON arrays, WARC, gzipped "
            f"WARC; 20 real records each, then mutated), one `cleanpipe run`-equivalent batch: aborted "
            f"{done['aborted']}"
            + (
                f", pages {done['pages']:,}, written {done['written']:,}, failed (named in failed.jsonl) "
                f"{done['failed']:,}."
                if not done["aborted"]
                else "."
            ),
            "",
        ]
        if done["aborted"]:
            problems.append((-1, "containers", "run aborted"))
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
        *container_lines,
        "Problems (page number, seed page, outcome): "
        + ("; ".join(f"{n} {name} {kind}" for n, name, kind in problems[:50]) if problems else "none"),
        "",
        *footer(f"python3 bench/bench_fuzz.py --pages {args.pages} --seed {args.seed} --containers {args.containers}"),
    ]
    finish(lines, args.output, write=not args.no_write)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

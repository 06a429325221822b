#!/usr/bin/env python3
"""State growth: how many bytes a run keeps in OUT/.cleanpipe per page, by output format.

Corpus: bench_batch.py's corpora (built by it, or here through its build_corpus): the 10k corpus (2 JSONL
shards) and the 50k corpus (10 shards), real pages of shared/seeds and shared/corpus. For each format
(md, jsonl) and corpus, one `cleanpipe run CORPUS -o OUT --workers 2 -q --format FMT` into a fresh folder;
then the sizes of `.cleanpipe/state.sqlite` (with its -wal), the near-duplicate index (`.cleanpipe/dedup`),
the pages set aside (`.cleanpipe/dropped`) and the whole `.cleanpipe`, in bytes per page. Comparing the
10k and 50k rows shows whether the per-page cost stays flat.

Run from anywhere:  python3 bench/bench_state.py        (writes bench/results/state.md)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "bench"))
from bench_batch import build_corpus  # noqa: E402
from reporting import finish, footer  # noqa: E402

DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "state.md"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) if path.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / ".work")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--skip-50k", action="store_true", help="only the 10k corpus")
    args = parser.parse_args()
    corpus = build_corpus(args.shared, args.work, regenerate=False)
    inputs = [("10k", corpus.subset, corpus.subset_pages)]
    if not args.skip_50k:
        inputs.append(("50k", corpus.folder, corpus.pages))
    rows = []
    for label, folder, pages in inputs:
        for fmt in ("md", "jsonl"):
            out = args.work / f"state-{label}-{fmt}"
            shutil.rmtree(out, ignore_errors=True)
            started = time.perf_counter()
            command = [sys.executable, "-m", "cleanpipe.cli", "run", str(folder), "-o", str(out), "-w", "2", "-q"]
            subprocess.run([*command, "--format", fmt], check=False, capture_output=True)
            seconds = time.perf_counter() - started
            state = out / ".cleanpipe"
            sqlite = _size(state / "state.sqlite") + _size(state / "state.sqlite-wal")
            sizes = (sqlite, _size(state / "dedup"), _size(state / "dropped"), _size(state))
            per_page = " | ".join(f"{size / 1e6:.1f} MB ({size / pages:,.0f} B)" for size in sizes)
            row = f"| {label} ({pages:,} pages) | {fmt} | {seconds:.0f} | {per_page} |"
            print(row, flush=True)
            rows.append(row)
    lines = [
        "# State kept per page (OUT/.cleanpipe)",
        "",
        "One `cleanpipe run CORPUS -o OUT --workers 2 -q --format FMT` into a fresh folder per row; sizes after "
        "the run, total and per page.",
        "",
        "| corpus | format | seconds | state.sqlite | near-duplicate index | pages set aside | all of .cleanpipe |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        *footer("python3 bench/bench_state.py"),
    ]
    finish(lines, args.output, write=not args.no_write, show=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

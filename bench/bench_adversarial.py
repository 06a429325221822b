#!/usr/bin/env python3
"""Adversarial pages: does cleaning cost grow linearly with page size?

Each case is a page built by repeating a short piece (a broken tag's attribute, an image opener, a URL
glued to Chinese text, a repeated sentence, ...) 1x, 2x, 4x and 8x a base count, so the 8x page is about
8 times the 1x page. Each page is cleaned once with `cleanpipe.clean` in this process and its CPU time
taken (time.process_time). Linear cost keeps "8x / 1x" near 8; a quadratic cost gives 64. The table
also gives seconds per 100 KB of the largest page.

Run from anywhere:  python3 bench/bench_adversarial.py     (writes bench/results/adversarial.md)
                    python3 bench/bench_adversarial.py --max-seconds 60 --no-write
  A case stops growing once one page takes more than --max-seconds (default 120): an older revision
  (PYTHONPATH=its src) is measured that way without taking hours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "adversarial.md"
BASE = 1000
SCALES = (1, 2, 4, 8)

CASES: dict[str, tuple[str, Callable[[int], str]]] = {
    "attr-opener": ('`esrc="` repeated (an attribute that never closes)', lambda n: 'esrc="' * n),
    "attr-opener-then-end": ('`esrc="` repeated, then `x>`', lambda n: 'esrc="' * n + "x>"),
    "image-opener": ("`![](` repeated", lambda n: "![](" * n),
    "bracket": ("`[` repeated", lambda n: "[" * n),
    "link-opener": ("`[a](` repeated", lambda n: "[a](" * n),
    "prose-image-opener": (
        "Chinese prose with a stray `![](` every 34 characters",
        lambda n: ("这是一段正常的中文内容，用于测试。" * 2 + "![](") * n,
    ),
    "attribute-list": ('`x="y"` repeated, then `z>`', lambda n: 'x="y"' * n + "z>"),
    "a-opener": ('`<a href="x">` repeated, one `</a>` at the end', lambda n: '<a href="x">' * n + "</a>"),
    "url-in-han": ("`中http://a.bc/x` repeated, then a quote", lambda n: "中http://a.bc/x" * n + '"'),
    "path-in-han": ("`中/a.bc/x` repeated, then a quote", lambda n: "中/a.bc/x" * n + '"'),
    "same-line": ("one sentence on every line", lambda n: "这是一句重复的句子，出现在每一行里。\n" * n),
    "distinct-lines": (
        "a distinct sentence on every line (one paragraph group)",
        lambda n: "".join(f"第{i}句不同的内容，出现在这一行里。\n" for i in range(n)),
    ),
}


def measure(make: Callable[[int], str], max_seconds: float) -> list[tuple[int, float | None]]:
    import cleanpipe

    rows: list[tuple[int, float | None]] = []
    for scale in SCALES:
        page = make(BASE * scale)
        if rows and (rows[-1][1] is None or rows[-1][1] > max_seconds):
            rows.append((len(page.encode("utf-8")), None))
            continue
        gc.collect()
        started = time.process_time()
        cleanpipe.clean(page)
        rows.append((len(page.encode("utf-8")), time.process_time() - started))
    return rows


def _revision() -> str:
    try:
        import cleanpipe

        source = Path(cleanpipe.__file__).resolve().parent
        found = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return found.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    lines = [
        "# Adversarial pages: cleaning CPU time against page size",
        "",
        f"Each page repeats a piece {BASE:,}x, 2x, 4x and 8x that; `cleanpipe.clean` once per page, CPU seconds "
        "(time.process_time) in one process. Linear cost keeps 8x / 1x near 8 (quadratic: 64). A case stops "
        f"growing once a page takes over {args.max_seconds:.0f} s (shown as '-').",
        "",
        "| case | 1x KB | 1x s | 2x s | 4x s | 8x s | 8x / 1x | s per 100 KB (8x) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (what, make) in CASES.items():
        rows = measure(make, args.max_seconds)
        times = [seconds for _, seconds in rows]
        shown = [f"{seconds:.2f}" if seconds is not None else "-" for seconds in times]
        first, last = times[0], times[-1]
        ratio = f"{last / first:.1f}" if first and last is not None else "-"
        per_100k = f"{last / (rows[-1][0] / 100_000):.2f}" if last is not None else "-"
        line = f"| {name}: {what} | {rows[0][0] / 1000:.0f} | " + " | ".join(shown) + f" | {ratio} | {per_100k} |"
        print(line, flush=True)
        lines.append(line)
    lines += [
        "",
        f"Command: `python3 {' '.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"{platform.platform()}, Python {platform.python_version()}; cleanpipe revision {_revision()}; "
        f"{dt.date.today().isoformat()}.",
        "",
    ]
    if not args.no_write:
        args.output.write_text("\n".join(lines), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

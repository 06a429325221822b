#!/usr/bin/env python3
"""Idempotence on real pages: does cleaning a page's Markdown again change it?

Pages: every HTML page of SHARED/html_bench (zh_cwced, scrapinghub_aeb, trafilatura_eval: the dev parts,
.html or .html.gz) and every text page of SHARED/seeds and SHARED/corpus (through cleanpipe's own
readers). Each page is cleaned with `cleanpipe.clean(..., strict=True)`, then its Markdown cleaned again;
the page counts as changed when the second Markdown differs from the first. Two worker processes.

Run from anywhere:  python3 bench/bench_idempotence.py     (writes bench/results/idempotence.md)
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
sys.path.insert(0, str(REPO_ROOT / "bench"))
from reporting import finish, footer  # noqa: E402

DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "idempotence.md"


def _html_page(path: str) -> tuple[str, str]:
    import cleanpipe

    data = Path(path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return _check(path, lambda: cleanpipe.clean(data, source=Path(path).name.removesuffix(".gz"), strict=True))


def _text_page(item: tuple[str, str]) -> tuple[str, str]:
    import cleanpipe

    name, text = item
    return _check(name, lambda: cleanpipe.clean(text, source=name, strict=True))


def _check(name: str, first: object) -> tuple[str, str]:
    import cleanpipe

    try:
        once = first().markdown  # type: ignore[operator]
    except cleanpipe.CleanError:
        return name, "refused"
    except Exception as error:  # noqa: BLE001 - a crash is what this counts
        return name, f"crashed: {type(error).__name__}"
    try:
        twice = cleanpipe.clean(once, strict=True).markdown
    except Exception as error:  # noqa: BLE001
        return name, f"crashed on its own output: {type(error).__name__}"
    return name, "same" if twice == once else "changed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from cleanpipe.io.readers import iter_pages

    bench = args.shared / "html_bench"
    html = {
        name: sorted(str(p) for p in (bench / name).rglob("*") if p.name.endswith((".html", ".html.gz")))
        for name in ("zh_cwced", "scrapinghub_aeb", "trafilatura_eval")
    }
    text = [
        (page.source + "#" + page.id, page.data)
        for page in iter_pages([args.shared / "seeds", args.shared / "corpus"])
        if isinstance(getattr(page, "data", None), str)
    ]
    rows = []
    changed_pages: list[str] = []
    with ProcessPoolExecutor(2) as pool:
        for name, paths in html.items():
            results = list(pool.map(_html_page, paths, chunksize=4))
            rows.append((f"html_bench/{name} (dev)", results))
        rows.append(("seeds and corpus (text)", list(pool.map(_text_page, text, chunksize=8))))
    lines = [
        "# Idempotence: cleaning a page's Markdown again",
        "",
        "| pages | count | same | changed | refused | crashed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, results in rows:
        counts = Counter("crashed" if kind.startswith("crashed") else kind for _, kind in results)
        changed_pages += [name for name, kind in results if kind != "same" and kind != "refused"]
        lines.append(
            f"| {label} | {len(results)} | {counts['same']} | {counts['changed']} | {counts['refused']} | "
            f"{counts['crashed']} |"
        )
    lines += ["", "Changed or crashed: " + (", ".join(changed_pages) if changed_pages else "none"), ""]
    lines += footer("python3 bench/bench_idempotence.py")[1:]
    finish(lines, args.output, write=not args.no_write)
    return 1 if changed_pages else 0


if __name__ == "__main__":
    sys.exit(main())

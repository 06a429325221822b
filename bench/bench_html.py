#!/usr/bin/env python3
"""Main text from raw HTML pages: cleanpipe against trafilatura and resiliparse, quality and speed, in one
process.

Pages: the three dev benchmarks in SHARED/html_bench (see its README): zh_cwced (Chinese, original/*.html,
cleaned_ground.json), scrapinghub_aeb (mostly English, html/*.html.gz, ground-truth.json) and
trafilatura_eval (30+ languages, html/*.html.gz, evaldata.json: segments in / not in the main text).
Every page's bytes are read (and gunzipped) before any timing. The tools, same pages, same order:

  cleanpipe                 `cleanpipe.clean(page_bytes, source="<id>.html")`: decode, extract the main
                            content, then the text stages; its Markdown is the prediction.
  trafilatura               `trafilatura.extract(page_bytes, output_format="markdown", include_images=True,
                            include_links=True)` (the settings of the html_bench README's reference figures).
  trafilatura + cleanpipe   trafilatura's Markdown, then `cleanpipe.clean(markdown, source="<id>.md")`.
  resiliparse               `extract_plain_text(html, main_content=True)` on the page decoded by
                            resiliparse's own `bytes_to_str(page_bytes, detect_encoding(page_bytes))`
                            (only when resiliparse is installed: `pip install resiliparse`).

Scores: `cleanpipe.evaluate`, the same as `cleanpipe eval`: for zh_cwced and scrapinghub_aeb the
character-bigram precision, recall, F1 per page, then the mean; for trafilatura_eval the segment counts
pooled over the pages (as trafilatura's own evaluation does).

Tune and check parts: every set's pages are split by source (the host of the page's URL; a zh_cwced page
without one by its id): a source whose md5, read as a number, is divisible by 3 is in the `check` part,
which is not looked at while tuning; the others are in `tune`. Each set is reported whole and per part.

Times: one warm-up run each (whose outputs are the ones scored), then --repeat rounds, each round running
every tool once over all pages of all sets, so a busy spell hits all alike.

Run:  python3 bench/bench_html.py                  (writes bench/results/html.md)
      python3 bench/bench_html.py --quick --per-page --tools cleanpipe   (scores only, for tuning)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import hashlib
import importlib.util
import json
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import DEFAULT_SHARED, REPO_ROOT, BenchError, machine_info, write_report  # noqa: E402

DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "html.md"
PACKAGES = (
    "cleanpipe",
    "trafilatura",
    "resiliparse",
    "lxml",
    "beautifulsoup4",
    "charset-normalizer",
    "regex",
    "htmldate",
)
# (name, folder of pages, page suffix, ground-truth file)
SETS = (
    ("zh_cwced", "zh_cwced/original", ".html", "zh_cwced/cleaned_ground.json"),
    ("scrapinghub_aeb", "scrapinghub_aeb/html", ".html.gz", "scrapinghub_aeb/ground-truth.json"),
    ("trafilatura_eval", "trafilatura_eval/html", ".html.gz", "trafilatura_eval/evaldata.json"),
)
TOOLS = ("cleanpipe", "trafilatura", "trafilatura + cleanpipe", "resiliparse")
PARTS = ("tune", "check")
_WRAPPER_URL = regex.compile(rb'^\s*<text id="([^"]+)"')


@dataclass(frozen=True)
class Page:
    set: str
    id: str
    data: bytes
    part: str = "tune"


def source_part(source: str) -> str:
    """`check` for a source whose md5, read as a number, is divisible by 3, else `tune`."""
    return "check" if int(hashlib.md5(source.encode("utf-8")).hexdigest(), 16) % 3 == 0 else "tune"


def page_source(page_id: str, url: str | None, data: bytes) -> str:
    """The page's source: its URL's host (without 'www.'), else its id."""
    if not url:
        found = _WRAPPER_URL.match(data)
        url = found.group(1).decode("utf-8", "replace") if found else None
    host = urlsplit(url).hostname if url and "://" in url else None
    return host.removeprefix("www.") if host else page_id


@dataclass
class Tool:
    name: str
    extract: Callable[[Page], str]
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)  # seconds per round, all pages of both sets
    set_times: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0


def load_sets(shared: Path, names: tuple[str, ...]) -> tuple[list[Page], dict[str, dict[str, Any]]]:
    from cleanpipe.evaluate import read_truth

    bench = shared / "html_bench"
    pages: list[Page] = []
    truths: dict[str, dict[str, Any]] = {}
    for name, folder, suffix, truth_file in SETS:
        if name not in names:
            continue
        if not (bench / folder).is_dir():
            raise BenchError(f"{bench / folder} not found; pass --shared, the folder holding html_bench/")
        truths[name] = read_truth(bench / truth_file)
        urls = {key: value.get("url") for key, value in json.loads((bench / truth_file).read_bytes()).items()}
        for page_id in sorted(truths[name]):
            raw = (bench / folder / f"{page_id}{suffix}").read_bytes()
            data = gzip.decompress(raw) if suffix.endswith(".gz") else raw
            part = source_part(page_source(page_id, urls.get(page_id), data))
            pages.append(Page(name, page_id, data, part))
    return pages, truths


def make_tools(names: tuple[str, ...]) -> list[Tool]:
    import trafilatura

    import cleanpipe

    def with_cleanpipe(page: Page) -> str:
        return cleanpipe.clean(page.data, source=f"{page.id}.html").markdown

    def with_trafilatura(page: Page) -> str:
        return trafilatura.extract(page.data, output_format="markdown", include_images=True, include_links=True) or ""

    def with_resiliparse(page: Page) -> str:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding

        return extract_plain_text(bytes_to_str(page.data, detect_encoding(page.data)), main_content=True)

    def trafilatura_then_cleanpipe(page: Page) -> str:
        extracted = with_trafilatura(page)
        if not extracted.strip():
            return ""
        return cleanpipe.clean(extracted, source=f"{page.id}.md").markdown

    chosen = {
        "cleanpipe": with_cleanpipe,
        "trafilatura": with_trafilatura,
        "trafilatura + cleanpipe": trafilatura_then_cleanpipe,
        "resiliparse": with_resiliparse,
    }
    if "resiliparse" in names:
        import resiliparse  # noqa: F401  (fails here, not on the first page, when it is not installed)
    return [Tool(name, chosen[name]) for name in names]


def run_tool(tool: Tool, pages: list[Page], *, keep: bool) -> None:
    from cleanpipe.document import CleanError

    per_set: dict[str, float] = {}
    gc.collect()
    for page in pages:
        started = time.perf_counter()
        try:
            output = tool.extract(page)
        except CleanError:
            output = ""
            tool.failures += keep
        per_set[page.set] = per_set.get(page.set, 0.0) + time.perf_counter() - started
        if keep:
            tool.outputs[(page.set, page.id)] = output
    tool.times.append(sum(per_set.values()))
    for name, seconds in per_set.items():
        tool.set_times.setdefault(name, []).append(seconds)


def score(tool: Tool, name: str, truth: dict[str, Any], page_ids: set[str] | None = None) -> Any:
    """The tool's scores on set `name` (on `page_ids` only, when given), by the set's kind of truth."""
    from cleanpipe.evaluate import Segments, evaluate, evaluate_segments

    if page_ids is not None:
        truth = {key: value for key, value in truth.items() if key in page_ids}
    predictions = {page_id: text for (set_name, page_id), text in tool.outputs.items() if set_name == name}
    predictions = {key: value for key, value in predictions.items() if key in truth}
    markdown = tool.name != "resiliparse"
    if truth and isinstance(next(iter(truth.values())), Segments):
        return evaluate_segments(predictions, truth, markdown=markdown)
    return evaluate(predictions, truth, markdown=markdown)


def render(
    tools: list[Tool], pages: list[Page], truths: dict[str, dict[str, Any]], repeat: int, command: str, per_page: bool
) -> str:
    counts = {name: sum(1 for page in pages if page.set == name) for name in truths}
    sizes = {name: sum(len(page.data) for page in pages if page.set == name) / 1e6 for name in truths}
    parts = {
        (name, part): {page.id for page in pages if page.set == name and page.part == part}
        for name in truths
        for part in PARTS
    }
    lines = [
        "# Main text from raw HTML: cleanpipe vs trafilatura and resiliparse",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{command}`",
        "- pages: "
        + ", ".join(
            f"{name} {counts[name]} pages ({sizes[name]:.2f} MB of HTML; tune {len(parts[(name, 'tune')])}, "
            f"check {len(parts[(name, 'check')])})"
            for name in truths
        )
        + " (the dev parts of ../shared/html_bench; tune/check: split by source, the check part is not looked "
        "at while tuning)",
        "- score: `cleanpipe.evaluate`, as `cleanpipe eval`. zh_cwced and scrapinghub_aeb: character-bigram "
        "precision, recall and F1 of each page (NFKC, case-folded, letters and digits only, Markdown image/link "
        "syntax reduced to labels, front matter dropped), then the mean over the pages. trafilatura_eval: "
        "segments found or not in the Markdown reduced to plain text, counts pooled over the pages",
        f"- speed: one process; 1 warm-up run per tool (the outputs scored), then {repeat} timed round(s), "
        "each running every tool once over all pages in row order; pages/s from the median round",
        "",
        "| set | tool | F1 | precision | recall | F1 tune | F1 check | pages/s (median) | pages/s (best) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    scores = {}
    for name in truths:
        for tool in tools:
            result = score(tool, name, truths[name])
            scores[(name, tool.name)] = result
            tune, check = (score(tool, name, truths[name], parts[(name, part)]).f1 for part in PARTS)
            times = tool.set_times.get(name) or [float("nan")]
            lines.append(
                f"| {name} | {tool.name} | {result.f1:.3f} | {result.precision:.3f} | {result.recall:.3f} "
                f"| {tune:.3f} | {check:.3f} "
                f"| {counts[name] / statistics.median(times):,.1f} | {counts[name] / min(times):,.1f} |"
            )
    lines += [
        "",
        "| tool | pages/s, all sets (median) | time vs trafilatura's (median of rounds) |",
        "|---|---:|---:|",
    ]
    reference = next((tool for tool in tools if tool.name == "trafilatura"), None)
    for tool in tools:
        ratio = ""
        if reference is not None and tool.times and reference.times:
            paired = statistics.median(t / r for r, t in zip(reference.times, tool.times, strict=True))
            ratio = f"{paired:.2f}x"
        lines.append(f"| {tool.name} | {len(pages) / statistics.median(tool.times):,.1f} | {ratio} |")
    failures = [f"{tool.name}: {tool.failures}" for tool in tools if tool.failures]
    if failures:
        lines += ["", "Pages refused (CleanError, scored as empty): " + ", ".join(failures)]
    if per_page:  # the tune part only: the check part is not looked at while tuning
        lines += [
            "",
            "## Per page, tune part (F1, or for segments: with-segments missed / without-segments found)",
            "",
            "| set | page | " + " | ".join(tool.name for tool in tools) + " |",
            "|---|---|" + "---:|" * len(tools),
        ]
        for name in truths:
            for index, page_id in enumerate(sorted(truths[name])):
                if page_id not in parts[(name, "tune")]:
                    continue
                row = [_page_cell(scores[(name, tool.name)].pages[index]) for tool in tools]
                lines.append(f"| {name} | {page_id[:12]} | " + " | ".join(row) + " |")
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in machine_info(packages=PACKAGES)]
    return "\n".join(lines) + "\n"


def _page_cell(page: Any) -> str:
    if hasattr(page, "f1"):
        return f"{page.f1:.3f}"
    return f"{page.false_negatives}/{page.false_positives}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder holding html_bench/")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds after the warm-up (default 3)")
    parser.add_argument("--quick", action="store_true", help="no timed rounds: score the warm-up outputs only")
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS,
        metavar="TOOL",
        help=f"tools to run, of: {', '.join(TOOLS)} (default: all, resiliparse only when it is installed)",
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=[name for name, *_ in SETS],
        default=[name for name, *_ in SETS],
        metavar="SET",
        help=f"sets to run, of: {', '.join(name for name, *_ in SETS)}",
    )
    parser.add_argument("--per-page", action="store_true", help="add each tune page's score per tool to the report")
    parser.add_argument("--dump", type=Path, help="also write each tool's output as DUMP/<tool>/<set>/<id>.md")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS, help=f"results file ({DEFAULT_RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    if args.tools is None:
        args.tools = [name for name in TOOLS if name != "resiliparse" or importlib.util.find_spec(name) is not None]
    try:
        pages, truths = load_sets(args.shared.resolve(), tuple(args.sets))
        tools = make_tools(tuple(name for name in TOOLS if name in args.tools))
    except (BenchError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for tool in tools:
        run_tool(tool, pages, keep=True)
        tool.times.clear()
        tool.set_times.clear()
    repeat = 0 if args.quick else args.repeat
    for _ in range(repeat):
        for tool in tools:
            run_tool(tool, pages, keep=False)
    if repeat == 0:  # the warm-up is the only timing there is
        for tool in tools:
            run_tool(tool, pages, keep=False)
    if args.dump:
        for tool in tools:
            for (set_name, page_id), text in tool.outputs.items():
                target = args.dump / tool.name.replace(" + ", "_then_") / set_name / f"{page_id}.md"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    command = shlex.join(["python3", "bench/bench_html.py", *(argv if argv is not None else sys.argv[1:])])
    report = render(tools, pages, truths, max(repeat, 1), command, args.per_page)
    write_report(report, args.output, args.no_write or args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

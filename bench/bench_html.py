#!/usr/bin/env python3
"""Main text from raw HTML pages: cleanpipe against trafilatura, quality and speed, in one process.

Pages: the two dev benchmarks in SHARED/html_bench (see its README): zh_cwced (Chinese, original/*.html,
cleaned_ground.json) and scrapinghub_aeb (mostly English, html/*.html.gz, ground-truth.json). Every
page's bytes are read (and gunzipped) before any timing. Three tools, same pages, same order:

  cleanpipe                 `cleanpipe.clean(page_bytes, source="<id>.html")`: decode, extract the main
                            content, then the text stages; its Markdown is the prediction.
  trafilatura               `trafilatura.extract(page_bytes, output_format="markdown")`, every other
                            argument at its default.
  trafilatura + cleanpipe   trafilatura's Markdown, then `cleanpipe.clean(markdown, source="<id>.md")`.

Scores: `cleanpipe.evaluate` (character-bigram precision, recall, F1 per page, then the mean), the same
as `cleanpipe eval`. Times: one warm-up run each (whose outputs are the ones scored), then --repeat rounds,
each round running every tool once over all pages of both sets, so a busy spell hits all alike.

Run:  python3 bench/bench_html.py                  (writes bench/results/html.md)
      python3 bench/bench_html.py --quick --per-page --tools cleanpipe   (scores only, for tuning)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import DEFAULT_SHARED, REPO_ROOT, BenchError, machine_info, write_report  # noqa: E402

DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "html.md"
PACKAGES = ("cleanpipe", "trafilatura", "lxml", "beautifulsoup4", "charset-normalizer", "regex", "htmldate")
# (name, folder of pages, page suffix, ground-truth file)
SETS = (
    ("zh_cwced", "zh_cwced/original", ".html", "zh_cwced/cleaned_ground.json"),
    ("scrapinghub_aeb", "scrapinghub_aeb/html", ".html.gz", "scrapinghub_aeb/ground-truth.json"),
)
TOOLS = ("cleanpipe", "trafilatura", "trafilatura + cleanpipe")


@dataclass(frozen=True)
class Page:
    set: str
    id: str
    data: bytes


@dataclass
class Tool:
    name: str
    extract: Callable[[Page], str]
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)  # seconds per round, all pages of both sets
    set_times: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0


def load_sets(shared: Path) -> tuple[list[Page], dict[str, dict[str, str]]]:
    from cleanpipe.evaluate import read_ground_truth

    bench = shared / "html_bench"
    pages: list[Page] = []
    truths: dict[str, dict[str, str]] = {}
    for name, folder, suffix, truth_file in SETS:
        if not (bench / folder).is_dir():
            raise BenchError(f"{bench / folder} not found; pass --shared, the folder holding html_bench/")
        truths[name] = read_ground_truth(bench / truth_file)
        for page_id in sorted(truths[name]):
            raw = (bench / folder / f"{page_id}{suffix}").read_bytes()
            pages.append(Page(name, page_id, gzip.decompress(raw) if suffix.endswith(".gz") else raw))
    return pages, truths


def make_tools(names: tuple[str, ...]) -> list[Tool]:
    import trafilatura

    import cleanpipe

    def with_cleanpipe(page: Page) -> str:
        return cleanpipe.clean(page.data, source=f"{page.id}.html").markdown

    def with_trafilatura(page: Page) -> str:
        return trafilatura.extract(page.data, output_format="markdown") or ""

    def trafilatura_then_cleanpipe(page: Page) -> str:
        extracted = with_trafilatura(page)
        if not extracted.strip():
            return ""
        return cleanpipe.clean(extracted, source=f"{page.id}.md").markdown

    chosen = {
        "cleanpipe": with_cleanpipe,
        "trafilatura": with_trafilatura,
        "trafilatura + cleanpipe": trafilatura_then_cleanpipe,
    }
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


def render(
    tools: list[Tool], pages: list[Page], truths: dict[str, dict[str, str]], repeat: int, command: str, per_page: bool
) -> str:
    from cleanpipe.evaluate import evaluate

    counts = {name: sum(1 for page in pages if page.set == name) for name in truths}
    sizes = {name: sum(len(page.data) for page in pages if page.set == name) / 1e6 for name in truths}
    lines = [
        "# Main text from raw HTML: cleanpipe vs trafilatura",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{command}`",
        "- pages: "
        + ", ".join(f"{name} {counts[name]} pages ({sizes[name]:.2f} MB of HTML)" for name in truths)
        + " (the dev parts of ../shared/html_bench)",
        "- score: `cleanpipe.evaluate`, as `cleanpipe eval`: character-bigram precision, recall and F1 of each "
        "page (NFKC, case-folded, letters and digits only, Markdown image/link syntax reduced to labels, "
        "front matter dropped), then the mean over the pages",
        f"- speed: one process; 1 warm-up run per tool (the outputs scored), then {repeat} timed round(s), "
        "each running every tool once over all pages in row order; pages/s from the median round",
        "",
        "| set | tool | F1 | precision | recall | pages/s (median) | pages/s (best) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    scores = {}
    for name in truths:
        for tool in tools:
            predictions = {page_id: text for (set_name, page_id), text in tool.outputs.items() if set_name == name}
            result = evaluate(predictions, truths[name])
            scores[(name, tool.name)] = result
            times = tool.set_times.get(name) or [float("nan")]
            lines.append(
                f"| {name} | {tool.name} | {result.f1:.3f} | {result.precision:.3f} | {result.recall:.3f} "
                f"| {counts[name] / statistics.median(times):,.1f} | {counts[name] / min(times):,.1f} |"
            )
    lines += ["", "| tool | pages/s, both sets (median) | speed vs trafilatura (median of rounds) |", "|---|---:|---:|"]
    reference = next((tool for tool in tools if tool.name == "trafilatura"), None)
    for tool in tools:
        ratio = ""
        if reference is not None and tool.times and reference.times:
            paired = statistics.median(r / t for r, t in zip(reference.times, tool.times, strict=True))
            ratio = f"{paired:.2f}x"
        lines.append(f"| {tool.name} | {len(pages) / statistics.median(tool.times):,.1f} | {ratio} |")
    failures = [f"{tool.name}: {tool.failures}" for tool in tools if tool.failures]
    if failures:
        lines += ["", "Pages refused (CleanError, scored as empty): " + ", ".join(failures)]
    if per_page:
        lines += [
            "",
            "## Per page F1",
            "",
            "| set | page | " + " | ".join(tool.name for tool in tools) + " |",
            "|---|---|" + "---:|" * len(tools),
        ]
        for name in truths:
            for index, page_id in enumerate(sorted(truths[name])):
                row = [f"{scores[(name, tool.name)].pages[index].f1:.3f}" for tool in tools]
                lines.append(f"| {name} | {page_id[:12]} | " + " | ".join(row) + " |")
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in machine_info(packages=PACKAGES)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder holding html_bench/")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds after the warm-up (default 3)")
    parser.add_argument("--quick", action="store_true", help="no timed rounds: score the warm-up outputs only")
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS,
        default=list(TOOLS),
        metavar="TOOL",
        help=f"tools to run, of: {', '.join(TOOLS)}",
    )
    parser.add_argument("--per-page", action="store_true", help="add each page's F1 per tool to the report")
    parser.add_argument("--dump", type=Path, help="also write each tool's output as DUMP/<tool>/<set>/<id>.md")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS, help=f"results file ({DEFAULT_RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    try:
        pages, truths = load_sets(args.shared.resolve())
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

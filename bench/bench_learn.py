"""Boilerplate learned per site on the development pages: what `cleanpipe learn` finds on
../shared/corpus and data/raw, and what removing it changes. Run: python3 bench/bench_learn.py
[--shared PATH] [--no-write]; it prints the report and writes bench/results/learn.md. About 30 s.

Pages are read as `cleanpipe run` reads them (iter_pages; SOURCES.md, the corpus's own notes, left out).
A site is a page's URL host, else its folder or dump file. Most dumps of the corpus hold pages of many
sites and no URL, so a dump stands for a "site" that is really a mix; two dumps (skywork zh_finance and
zh_general) carry URLs of one site each. A second scenario gives the pages of a dump without URL fields
the URL their last line names as their source ('…请注明来源：<title>https://mobile.zol.com.cn/…'), which
recovers one real site of the zh_news dump; this is the benchmark's doing, cleanpipe never reads URLs out
of the text.

For each scenario and each site with several pages: pages, lines learned with the default thresholds,
blocks and characters the learned rules remove, the boilerplate stage's removals and the Markdown size
before (no profile) and after (with the profile). Then the lines a lower `learn_min_share` would learn,
to show what the threshold keeps out. Finally a check that every learned line is on as many distinct
pages as the profile says, and never on one page only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import regex  # noqa: E402
from bench_speed import DEFAULT_SHARED, REPO_ROOT, machine_info, write_report  # noqa: E402

import cleanpipe  # noqa: E402
from cleanpipe.config import Config  # noqa: E402
from cleanpipe.corpus.learn import (  # noqa: E402
    Profile,
    apply_profile,
    learn_profile,
    page_keys,
    stages_before_boilerplate,
)
from cleanpipe.corpus.site_keys import TITLE_MARK, site_of  # noqa: E402
from cleanpipe.io.readers import iter_pages  # noqa: E402
from cleanpipe.io.records import PageRecord  # noqa: E402
from cleanpipe.pipeline import Pipeline  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results" / "learn.md"
PACKAGES = ("cleanpipe", "regex")
SHARES = (0.5, 0.3, 0.2, 0.1)
EXAMPLES = 6
# A last line naming the page's own URL as its source ('如若转载，请注明来源：<title>https://…').
_SOURCE_URL = regex.compile(r"来源[:：].*?(https?://[^\s\"'<>]+)\s*$")


@dataclass
class SiteFigures:
    pages: int = 0
    learned_lines: int = 0
    learned_blocks: int = 0
    learned_chars: int = 0
    boilerplate_before: int = 0
    boilerplate_after: int = 0
    markdown_before: int = 0
    markdown_after: int = 0
    examples: list[str] = field(default_factory=list)


def load_pages(shared: Path) -> list[PageRecord]:
    pages = iter_pages([shared / "corpus", REPO_ROOT / "data" / "raw"])
    return [page for page in pages if isinstance(page, PageRecord) and Path(page.source).name != "SOURCES.md"]


def with_recovered_urls(pages: list[PageRecord]) -> list[PageRecord]:
    """Pages of dumps without URL fields get the URL their last line names as their source, if any."""
    recovered = []
    for page in pages:
        text = page.data if isinstance(page.data, str) else ""
        lines = [line for line in text.splitlines() if line.strip()]
        match = _SOURCE_URL.search(lines[-1]) if not page.url and lines else None
        recovered.append(replace(page, url=match.group(1)) if match else page)
    return recovered


def clean(page: PageRecord, config: Config) -> cleanpipe.CleanResult:
    """As the batch executor cleans a page: its URL and title as metadata, its site's config."""
    metadata = {key: value for key, value in (("url", page.url), ("title", page.title)) if value}
    metadata.update(page.metadata)
    return cleanpipe.clean(
        page.data, source=page.source, config=config.for_url(page.url), metadata=metadata, html=page.html
    )


def measure(pages: list[PageRecord], profile: Profile) -> dict[str, SiteFigures]:
    """Per site: what the learned rules remove, and the boilerplate stage and output before and after."""
    with_profile = apply_profile(Config(), profile)
    figures: dict[str, SiteFigures] = defaultdict(SiteFigures)
    for site in profile.sites:
        figures[site.site].learned_lines = len(site.lines)
        figures[site.site].examples = [f"{line.example} ({line.pages} pages)" for line in site.lines[:EXAMPLES]]
    for page in pages:
        before, after = clean(page, Config()), clean(page, with_profile)
        site = after.document.metadata.get("url") if after.document else None
        figure = figures[site_of(site, page.source) or "?"]
        figure.pages += 1
        figure.boilerplate_before += sum(1 for r in before.removals if r.stage == "boilerplate")
        figure.boilerplate_after += sum(1 for r in after.removals if r.stage == "boilerplate")
        learned = [r for r in after.removals if r.rule.startswith("learned:")]
        figure.learned_blocks += len(learned)
        figure.learned_chars += sum(len(r.text) for r in learned)
        figure.markdown_before += len(before.markdown)
        figure.markdown_after += len(after.markdown)
    return figures


def check_distinct_pages(pages: list[PageRecord], profiles: list[Profile]) -> tuple[int, int, list[str]]:
    """Recount each learned line's distinct pages (by page hash) from scratch: (lines checked, fewest
    pages of any line, problems). A line from one page, or a count that differs, is a problem."""
    prefix = stages_before_boilerplate(Pipeline())
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for page in pages:
        found = page_keys(page, Config(learn_max_chars=10**9), prefix)
        if found is not None:
            site, page_hash, keys = found
            for key in keys:
                seen[(site, key)].add(page_hash)
    checked, fewest, problems = 0, 10**9, []
    for profile in profiles:
        for site in profile.sites:
            for line in site.lines:
                distinct = len(seen[(site.site, line.key)])
                checked += 1
                fewest = min(fewest, distinct)
                if distinct < 2 or distinct != line.pages:
                    problems.append(f"{site.site}: {line.key!r} on {distinct} pages, profile says {line.pages}")
    return checked, fewest, problems


def short(site: str, shared: Path) -> str:
    for root in (shared, REPO_ROOT):
        if site.startswith(str(root) + "/"):
            return site[len(str(root)) + 1 :]
    return site


def site_table(figures: dict[str, SiteFigures], shared: Path) -> list[str]:
    lines = [
        "| site | pages | learned lines | blocks removed by learned rules | chars removed by learned rules "
        "| boilerplate-stage removals before → after | Markdown chars before → after |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for site, figure in sorted(figures.items()):
        if figure.pages < 2:
            continue
        lines.append(
            f"| `{short(site, shared)}` | {figure.pages} | {figure.learned_lines} | {figure.learned_blocks} "
            f"| {figure.learned_chars:,} | {figure.boilerplate_before} → {figure.boilerplate_after} "
            f"| {figure.markdown_before:,} → {figure.markdown_after:,} |"
        )
    single = sum(1 for figure in figures.values() if figure.pages == 1)
    return [*lines, "", f"Sites with one page (not shown; they never learn): {single}."]


def sweep(pages: list[PageRecord], shared: Path) -> tuple[list[str], list[Profile]]:
    """Lines learned per site at lower shares (5 pages at least), with examples."""
    profiles, lines = [], []
    counts: dict[str, Counter[float]] = defaultdict(Counter)
    examples: dict[float, list[str]] = {}
    for share in SHARES:
        profile = learn_profile(pages, Config(learn_min_share=share)).profile
        profiles.append(profile)
        examples[share] = []
        for site in profile.sites:
            counts[site.site][share] = len(site.lines)
            for line in site.lines[:EXAMPLES]:
                text = line.key.replace(TITLE_MARK, "<title>")
                examples[share].append(f"`{short(site.site, shared)}`: {text} ({line.pages} of {site.pages} pages)")
    lines.append("| site | pages | " + " | ".join(f"share {share}" for share in SHARES) + " |")
    lines.append("|---|---:|" + "---:|" * len(SHARES))
    pages_of = {site.site: site.pages for site in profiles[-1].sites}
    for site in sorted(counts):
        row = " | ".join(str(counts[site][share]) for share in SHARES)
        lines.append(f"| `{short(site, shared)}` | {pages_of[site]} | {row} |")
    for share in SHARES[1:]:
        shown = examples[share][: 3 * EXAMPLES]
        lines += ["", f"Learned at share {share} (first lines of each site, by key):", ""]
        lines += [f"- {example}" for example in shown] or ["- (none)"]
    return lines, profiles


def report(shared: Path, command: str) -> str:
    started = time.perf_counter()
    as_read = load_pages(shared)
    recovered = with_recovered_urls(as_read)
    out = [
        "# Learned boilerplate on the development pages",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{command}`",
        f"- pages: {len(as_read)} (`{short(str(shared / 'corpus'), shared)}` and `data/raw`, SOURCES.md left out)",
        "- default thresholds: a line on at least 5 distinct pages of its site and on at least half of them; "
        "blocks over 200 characters never learned",
        "",
    ]
    all_profiles = []
    for title, pages in (("as read", as_read), ("with URLs recovered from the pages' source line", recovered)):
        began = time.perf_counter()
        profile = learn_profile(pages, Config()).profile
        seconds = time.perf_counter() - began
        all_profiles.append(profile)
        out += [
            f"## {title}",
            "",
            f"Learning took {seconds:.1f} s ({len(pages) / seconds:.0f} pages/s, one process): "
            f"{profile.lines} lines for {sum(1 for s in profile.sites if s.lines)} sites, from {profile.pages} "
            f"pages of {profile.sites_counted} sites ({len(profile.sites)} with at least 5 pages).",
            "",
            *site_table(measure(pages, profile), shared),
            "",
        ]
        for site in profile.sites:
            if site.lines:
                out.append(f"Learned for `{short(site.site, shared)}` ({site.pages} pages):")
                out += [f"- `{line.example}` (key `{line.key}`, {line.pages} pages)" for line in site.lines]
                out.append("")
    sweep_lines, sweep_profiles = sweep(recovered, shared)
    out += ["## Lower thresholds (with URLs recovered)", "", *sweep_lines, ""]
    checked, fewest, problems = check_distinct_pages(recovered, sweep_profiles)
    checked_as_read, fewest_as_read, problems_as_read = check_distinct_pages(as_read, all_profiles[:1])
    out += [
        "## No line learned from one page",
        "",
        f"Every learned line of every profile above was recounted from scratch (distinct pages by page hash): "
        f"{checked + checked_as_read} lines, the fewest pages of any line "
        f"{min(fewest, fewest_as_read) if checked + checked_as_read else '-'}, "
        f"{len(problems) + len(problems_as_read)} problems (a line on one page, or a count that differs).",
        *[f"- {problem}" for problem in problems + problems_as_read],
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in machine_info("; one process", PACKAGES)],
        f"- whole benchmark: {time.perf_counter() - started:.0f} s",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help=f"default: {DEFAULT_SHARED}")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    if not (args.shared / "corpus").is_dir():
        print(f"error: {args.shared / 'corpus'} not found (use --shared)", file=sys.stderr)
        return 2
    command = "python3 bench/bench_learn.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    write_report(report(args.shared.resolve(), command), args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

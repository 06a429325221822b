#!/usr/bin/env python3
"""Speed: cleanpipe against trafilatura on the same pages, in one process, in one run.

Pages: every page under SHARED/seeds (one file, one page) and SHARED/corpus (JSON/JSONL records; the field
holding the text differs per source, see SHARED/corpus/SOURCES.md). Three measurements, same pages, same
order, each warmed up once and then repeated --repeat times (best and median reported):

  cleanpipe.clean   the library in-process: `cleanpipe.clean(page_utf8_bytes, source=name)` for each page.
  trafilatura       `trafilatura.extract(html, output_format="markdown")`, other arguments at their
                    defaults, on the page wrapped as HTML (<title> + one <p> per non-empty line). The
                    wrapping is done once, before any timing.
  cleanpipe run     `cleanpipe run TMP/pages -o TMP/out-N -q` through the typer app in-process
                    (CliRunner): discovery, reading each .txt, cleaning, writing each .md and removed.jsonl.

Run from anywhere:  python3 bench/bench_speed.py            (writes bench/results/speed.md)
                    python3 bench/bench_speed.py --profile  (cProfile of cleanpipe.clean instead)
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import html
import io
import json
import os
import platform
import pstats
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "speed.md"

# trafilatura settings, stated in the output. Everything not named here is at trafilatura's default.
TRAFILATURA_KWARGS: dict[str, Any] = {"output_format": "markdown"}
PACKAGES = (
    "cleanpipe", "trafilatura", "lxml", "lxml_html_clean", "justext", "htmldate", "courlan",
    "typer", "click", "regex", "rapidfuzz", "beautifulsoup4", "charset-normalizer",
)


class BenchError(Exception):
    """A problem that stops the benchmark before it measures anything (missing pages, missing package)."""


@dataclass(frozen=True)
class Page:
    name: str  # unique, sortable file name for the temp folder, e.g. "0007_wudao_demo_via_flagai.txt"
    title: str
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


@dataclass
class Measurement:
    label: str
    pages: int
    input_bytes: int  # the bytes the tool was handed (text pages, or the wrapped HTML)
    text_bytes: int  # UTF-8 bytes of the text pages, the same for every tool
    times: list[float] = field(default_factory=list)  # wall-clock seconds per timed run
    cpu_times: list[float] = field(default_factory=list)  # this process's CPU seconds per timed run
    peak_rss_kib: int = 0
    notes: str = ""

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


# --------------------------------------------------------------------------------------------- pages


def _record_text(record: dict[str, Any]) -> str | None:
    for key in ("text", "raw_content", "content"):
        value = record.get(key)
        if isinstance(value, str):
            return value
    return None


def _pages_from_record(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(title, text) for each page in one record: one page, or one per DuReader document."""
    documents = record.get("documents")
    if isinstance(documents, list):
        for document in documents:
            paragraphs = document.get("paragraphs") or []
            yield str(document.get("title") or ""), "\n".join(str(p) for p in paragraphs)
        return
    text = _record_text(record)
    if text is not None:
        yield str(record.get("title") or ""), text


def _pages_from_json_file(path: Path) -> Iterator[tuple[str, str]]:
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        records: list[Any] = [json.loads(line) for line in raw.splitlines() if line.strip()]
    else:
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError:  # DuReader's .json is JSON Lines
            loaded = [json.loads(line) for line in raw.splitlines() if line.strip()]
        records = loaded.get("RECORDS", [loaded]) if isinstance(loaded, dict) else loaded
    for record in records:
        if isinstance(record, dict):
            yield from _pages_from_record(record)


def load_pages(shared: Path) -> list[Page]:
    """Every non-empty page under shared/seeds and shared/corpus, in a fixed order."""
    seeds, corpus = shared / "seeds", shared / "corpus"
    missing = [str(folder) for folder in (seeds, corpus) if not folder.is_dir()]
    if missing:
        raise BenchError(
            f"page folder(s) not found: {', '.join(missing)}. Pass --shared PATH, the folder holding "
            "seeds/ and corpus/ (default: ../shared relative to the repo root)."
        )
    found: list[tuple[str, str, str]] = []  # (origin, title, text)
    for path in sorted(seeds.iterdir()):
        if path.is_file() and path.suffix in (".txt", ".md", ".html", ".htm"):
            text = path.read_bytes().decode("utf-8", errors="replace")
            found.append((path.stem, "", text))
    for path in sorted(corpus.iterdir()):
        if path.is_file() and path.suffix in (".json", ".jsonl"):
            origin = path.name.split(".")[0]
            found.extend((origin, title, text) for title, text in _pages_from_json_file(path))
    pages: list[Page] = []
    for origin, title, text in found:
        if not text.strip():
            continue
        if not title:
            title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        title = title.replace("\ufeff", "").strip()
        pages.append(Page(f"{len(pages):04d}_{origin}.txt", title, text))
    if not pages:
        raise BenchError(f"no pages found under {seeds} or {corpus}")
    return pages


def wrap_html(page: Page) -> str:
    """The page as a minimal HTML document: its title, then each non-empty line as an escaped <p>."""
    body = "".join(f"<p>{html.escape(line.strip())}</p>\n" for line in page.text.splitlines() if line.strip())
    return (
        f'<html><head><meta charset="utf-8"><title>{html.escape(page.title)}</title></head>'
        f"<body>\n{body}</body></html>"
    )


# ----------------------------------------------------------------------------------------- measuring


def _peak_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


@dataclass
class Contender:
    """One tool under test: `run(number)` processes every page once; `notes()` is read after the runs."""

    measurement: Measurement
    run: Callable[[int], None]
    notes: Callable[[], str]
    after: Callable[[int], None] | None = None  # untimed clean-up after run `number`


def prepare_clean(pages: list[Page]) -> Contender:
    import cleanpipe
    from cleanpipe.document import CleanError

    inputs = [(page.data, page.name) for page in pages]
    refused: set[str] = set()

    def run(_: int) -> None:
        for data, name in inputs:
            try:
                cleanpipe.clean(data, source=name)
            except CleanError:
                refused.add(name)

    size = sum(len(data) for data, _ in inputs)
    return Contender(
        Measurement("cleanpipe.clean (library)", len(pages), size, size),
        run,
        lambda: f"input: UTF-8 bytes of each text page, default Config; {len(refused)} page(s) refused (CleanError)",
    )


def prepare_trafilatura(pages: list[Page]) -> Contender:
    import trafilatura

    documents = [wrap_html(page) for page in pages]  # wrapped here, before any timing
    empty: set[int] = set()

    def run(_: int) -> None:
        for index, document in enumerate(documents):
            if trafilatura.extract(document, **TRAFILATURA_KWARGS) is None:
                empty.add(index)

    html_bytes = sum(len(document.encode("utf-8")) for document in documents)
    text_bytes = sum(len(page.data) for page in pages)
    return Contender(
        Measurement("trafilatura.extract", len(pages), html_bytes, text_bytes),
        run,
        lambda: (
            f"input: the page wrapped as HTML (str); settings: {trafilatura_settings()}; "
            f"{len(empty)} page(s) returned None"
        ),
    )


def trafilatura_settings() -> str:
    """The arguments passed to trafilatura.extract, then the defaults of the ones that shape its work."""
    import inspect

    import trafilatura

    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(trafilatura.extract).parameters.items()
        if parameter.default is not inspect.Parameter.empty and name not in TRAFILATURA_KWARGS
    }
    shown = (
        "fast", "favor_precision", "favor_recall", "include_comments", "include_tables", "include_images",
        "include_formatting", "include_links", "deduplicate", "with_metadata", "target_language",
    )
    passed = ", ".join(f"{key}={value!r}" for key, value in TRAFILATURA_KWARGS.items())
    rest = ", ".join(f"{key}={defaults[key]!r}" for key in shown if key in defaults)
    return f"{passed}; defaults: {rest}"


def prepare_run(pages: list[Page], workdir: Path) -> Contender:
    """`cleanpipe run PAGES -o OUT -q` through the typer app in-process. Each run writes a fresh output
    folder; the previous one is deleted after its timing ends."""
    from typer.testing import CliRunner

    from cleanpipe.cli import app

    folder = workdir / "pages"
    folder.mkdir()
    for page in pages:
        (folder / page.name).write_bytes(page.data)
    runner = CliRunner()
    exit_codes: set[int] = set()
    written: list[int] = []

    def run(number: int) -> None:
        output = workdir / f"out-{number}"
        # cwd is the temp folder, so no cleanpipe.toml of the caller's is picked up: default config.
        with _working_directory(workdir):
            result = runner.invoke(app, ["run", str(folder), "-o", str(output), "-q"])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise BenchError(f"cleanpipe run crashed: {result.exception!r}\n{result.output}")
        exit_codes.add(result.exit_code)

    def after(number: int) -> None:
        output = workdir / f"out-{number}"
        written.append(len(list(output.glob("*.md"))))
        shutil.rmtree(output, ignore_errors=True)

    size = sum(len(page.data) for page in pages)
    return Contender(
        Measurement("cleanpipe run (CLI, in-process)", len(pages), size, size),
        run,
        lambda: (
            f"input: {len(pages)} .txt files in a temp folder; each run reads them and writes "
            f"{min(written, default=0)} .md + removed.jsonl to a new folder; exit status {sorted(exit_codes)}"
        ),
        after,
    )


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def measure(contenders: list[Contender], repeat: int) -> list[Measurement]:
    """Warm each tool up once (in order, noting the process's peak RSS after each), then time `repeat`
    rounds; each round runs every tool once, in the same order, so a slow spell on a shared machine
    hits all tools alike rather than whichever happened to be running."""
    for contender in contenders:
        contender.run(0)
        if contender.after:
            contender.after(0)
        contender.measurement.peak_rss_kib = _peak_rss_kib()
    for number in range(1, repeat + 1):
        for contender in contenders:
            gc.collect()
            started, cpu_started = time.perf_counter(), time.process_time()
            contender.run(number)
            contender.measurement.times.append(time.perf_counter() - started)
            contender.measurement.cpu_times.append(time.process_time() - cpu_started)
            if contender.after:
                contender.after(number)
    for contender in contenders:
        contender.measurement.notes = contender.notes()
    return [contender.measurement for contender in contenders]


# ------------------------------------------------------------------------------------------- report


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (src/ has uncommitted changes)" if dirty else head


def machine_info(
    cpu_note: str = "; the benchmark uses one", packages: tuple[str, ...] | None = None
) -> list[tuple[str, str]]:
    return [
        ("CPU", f"{_cpu_model()} ({os.cpu_count()} logical CPUs{cpu_note})"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("load average at the end (1/5/15 min)", " ".join(f"{load:.2f}" for load in os.getloadavg())),
        ("cleanpipe revision", _git_revision()),
        ("packages", ", ".join(f"{name} {_version(name)}" for name in packages or PACKAGES)),
    ]


def write_report(report: str, output: Path, no_write: bool) -> None:
    """Print a benchmark's report and, unless told not to, write it to its results file."""
    print(report, end="")
    if not no_write:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        print(f"\nwritten: {output}")


def render(
    measurements: list[Measurement], pages: list[Page], repeat: int, command: str, baseline_rss_kib: int
) -> str:
    mb = 1_000_000
    text_mb = sum(len(page.data) for page in pages) / mb
    lines = [
        "# Speed: cleanpipe vs trafilatura",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{command}`",
        f"- pages: {len(pages)} (seeds + corpus), {text_mb:.2f} MB of UTF-8 text; "
        f"one process, same pages, same order; 1 warm-up each, then {repeat} timed rounds, "
        "each round running every tool once in row order",
        "- MB/s (text) = UTF-8 bytes of the text pages / time, the same numerator for every row; "
        "MB/s (input) = bytes the tool was handed (for trafilatura: the wrapped HTML)",
        "",
        "| tool | pages/s best | pages/s median | MB/s text best | MB/s text median | MB/s input best "
        "| MB/s input median | s/run best | s/run median | CPU s/run median | peak RSS after warm-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        lines.append(
            f"| {m.label} | {m.pages / m.best:,.0f} | {m.pages / m.median:,.0f} "
            f"| {m.text_bytes / mb / m.best:.2f} | {m.text_bytes / mb / m.median:.2f} "
            f"| {m.input_bytes / mb / m.best:.2f} | {m.input_bytes / mb / m.median:.2f} "
            f"| {m.best:.3f} | {m.median:.3f} | {statistics.median(m.cpu_times):.3f} "
            f"| {m.peak_rss_kib / 1024:.0f} MiB |"
        )
    clean = next((m for m in measurements if m.label.startswith("cleanpipe.clean")), None)
    traf = next((m for m in measurements if m.label.startswith("trafilatura")), None)
    run = next((m for m in measurements if m.label.startswith("cleanpipe run")), None)
    lines += ["", "Notes:", ""]
    lines += [f"- {m.label}: {m.notes}" for m in measurements]
    if traf:
        for other in (clean, run):
            if other:
                # Paired by round: both ran back to back, so a busy spell on the machine hits both.
                paired = statistics.median(t / o for t, o in zip(traf.times, other.times, strict=True))
                verdict = "at least as fast as" if paired >= 1 else "SLOWER than"
                lines.append(
                    f"- {other.label}: {paired:.2f}x trafilatura's speed (median over rounds of "
                    f"trafilatura's time / its time; best/best {traf.best / other.best:.2f}x), "
                    f"i.e. {verdict} trafilatura"
                )
    lines.append(
        f"- peak RSS (getrusage ru_maxrss) is the process's peak after warming up each tool in row order, so "
        f"it only grows; after loading the pages it was {baseline_rss_kib / 1024:.0f} MiB"
    )
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in machine_info()]
    return "\n".join(lines) + "\n"


def profile_clean(pages: list[Page], top: int) -> str:
    import cleanpipe
    from cleanpipe.document import CleanError

    inputs = [(page.data, page.name) for page in pages]

    def run() -> None:
        for data, name in inputs:
            try:
                cleanpipe.clean(data, source=name)
            except CleanError:
                pass

    run()  # warm-up: imports, regex compilation
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    for key in ("cumulative", "tottime"):
        out.write(f"\n=== cleanpipe.clean over {len(pages)} pages, top {top} by {key} ===\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED,
        help=f"folder holding seeds/ and corpus/ (default: {DEFAULT_SHARED})",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per tool after one warm-up (default 5)"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_RESULTS, help=f"results file (default: {DEFAULT_RESULTS})"
    )
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    parser.add_argument(
        "--profile", action="store_true",
        help="instead: cProfile cleanpipe.clean over all pages and print the top functions",
    )
    parser.add_argument("--top", type=int, default=20, help="functions to show with --profile (default 20)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    try:
        pages = load_pages(args.shared.resolve())
        if args.profile:
            print(profile_clean(pages, args.top))
            return 0
        try:
            import trafilatura  # noqa: F401
        except ImportError as error:
            raise BenchError(
                f"trafilatura cannot be imported ({error}). Install it with: pip install -e '.[bench]' "
                "(trafilatura 2.x on lxml >= 5.2 also needs: pip install lxml_html_clean)"
            ) from error
        baseline = _peak_rss_kib()
        with tempfile.TemporaryDirectory(prefix="cleanpipe-bench-") as temp:
            contenders = [prepare_clean(pages), prepare_trafilatura(pages), prepare_run(pages, Path(temp))]
            measurements = measure(contenders, args.repeat)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    command = shlex.join(["python3", "bench/bench_speed.py", *(argv if argv is not None else sys.argv[1:])])
    report = render(measurements, pages, args.repeat, command, baseline)
    write_report(report, args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `cleanpipe` command. Thin: each command parses its arguments, calls the library and prints."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from cleanpipe import __version__
from cleanpipe.config import Config, ConfigError, find_config
from cleanpipe.corpus.learn import Profile, apply_profile, learn_profile, read_profile
from cleanpipe.document import CleanError
from cleanpipe.executors.base import Executor, ExecutorError, make_executor
from cleanpipe.executors.batch import (
    AUDIT_FILE,
    DUPLICATES_FILE,
    RUN_FILE,
    BatchOptions,
    Interrupted,
    RunSummary,
    near_dup_settings,
    publish_output,
    read_options,
    run_batch,
)
from cleanpipe.executors.lock import LockHeld
from cleanpipe.executors.reading import Inputs
from cleanpipe.explain import explain as explain_page
from cleanpipe.io.files import InputError
from cleanpipe.io.publish import output_url
from cleanpipe.pipeline import clean
from cleanpipe.stages.boilerplate import active_rules

app = typer.Typer(
    help="Turn scraped web pages into clean Markdown, and say what was removed and why.\n\n"
    "Example: cleanpipe run data/raw -o data/clean",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_PAGES_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERNAL, EXIT_IO = 0, 1, 2, 3, 4, 5
# Where `run --learn` writes the profile it learned and used, in the output folder.
LEARNED_FILE = "learned.json"


def _load_config(path: Path | None) -> Config:
    return find_config(path)[0]


def _fail_usage(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def run(
    inputs: list[str] | None = typer.Argument(
        None,
        help="Files, folders or glob patterns: pages (.txt .md .html .htm), JSONL/JSON dumps and WARC files, "
        "optionally .gz or .zst compressed. Default: data/raw",
    ),
    output: str = typer.Option(
        "data/clean",
        "--output",
        "-o",
        help="Folder for the outputs and the audit, or a URL (s3://, gs://, file://; pip install "
        "'cleanpipe[remote]'): the run works in --work-dir and then uploads what changed.",
    ),
    work_dir: Path | None = typer.Option(
        None,
        "--work-dir",
        help="With an output URL: the working copy the run writes and publishes from (on a Ray cluster, a "
        "folder every node reaches). Default: a folder under ~/.cache/cleanpipe/outputs named from the URL.",
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="A config file. Default: ./cleanpipe.toml, else [tool.cleanpipe] in ./pyproject.toml.",
    ),
    workers: int = typer.Option(
        0, "--workers", "-w", help="Worker processes of the local executor. Default (0): all cores."
    ),
    executor: str | None = typer.Option(
        None,
        "--executor",
        help="local: processes on this machine; ray: a Ray cluster (pip install 'cleanpipe[ray]'). "
        "Default: `executor` in the config, else local.",
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        help="The Ray cluster to run on (host:port, or ray://host:10001). Default: `ray_address` in the config, "
        "else RAY_ADDRESS, else a Ray started on this machine for the run.",
    ),
    output_format: str = typer.Option(
        "md", "--format", "-f", help="md: one Markdown file per page; jsonl: pages.jsonl; parquet: pages.parquet."
    ),
    force: bool = typer.Option(
        False, "--force", help="Clean every page again, even those unchanged since the last run."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors and the summary line."),
    log_format: str = typer.Option("text", "--log-format", help="text, or json: one JSON object per line on stderr."),
    dedup: str | None = typer.Option(
        None,
        "--dedup",
        help="Near-duplicate pages across the corpus and earlier runs: drop them (set aside in "
        "OUTPUT/.cleanpipe/dropped), flag them (duplicate_of in their metadata), or off. Default: "
        "[near_duplicates] mode in the config, else drop.",
    ),
    keep: str | None = typer.Option(
        None,
        "--keep",
        help="Which page of a cluster of duplicates stays: first (seen), longest, or recent. Default: first.",
    ),
    dedup_threshold: float | None = typer.Option(
        None, "--dedup-threshold", help="Jaccard similarity of shingles at which two pages are duplicates (0.8)."
    ),
    shingles: str | None = typer.Option(
        None, "--shingles", help="auto (characters for CJK pages, words otherwise), char or word. Default: auto."
    ),
    profile_file: Path | None = typer.Option(
        None, "--profile", help="Also remove the boilerplate learned per site in this profile (see `cleanpipe learn`)."
    ),
    learn_first: bool | None = typer.Option(
        None,
        "--learn/--no-learn",
        help="Learn each site's boilerplate in a first pass over INPUTS and remove it too; the profile is "
        f"written to OUTPUT/{LEARNED_FILE}. Default: `learn` in the config (false).",
    ),
) -> None:
    """Clean every page under INPUTS into OUTPUT, skipping pages unchanged since the last run.

    Writes one <name>.md per page (folders mirrored; records of dumps under a folder named after the dump),
    or pages.jsonl / pages.parquet with --format; removed.jsonl, every removal with its rule and reason;
    failed.jsonl, pages that failed and why; duplicates.jsonl, each cluster of near-duplicate pages with
    the page kept and the others; and run.json, what the run did.

    Example: cleanpipe run data/raw -o data/clean --workers 2

    On a Ray cluster: cleanpipe run /shared/crawl -o /shared/clean --executor ray --ray-address head:6379

    Exit status: 0 every page cleaned; 1 some pages failed (named on stderr and in failed.jsonl), the rest
    written; 2 usage or config error; 3 another run holds the lock on OUTPUT; 4 internal error (a bug);
    5 the output or its state cannot be written (read-only, full disk, permissions; the next run resumes);
    128+N stopped by signal N (the next run resumes).
    """
    if log_format not in ("text", "json"):
        _fail_usage(f"--log-format must be text or json, not {log_format!r}")
    try:
        config, _ = find_config(config_file)
        config = _with_profile(config, profile_file, learn_first)
        options = BatchOptions(
            tuple(inputs or ["data/raw"]),
            Path(output) if output_url(output) is None else output,  # type: ignore[arg-type]
            config,
            work_dir=work_dir,
            workers=workers or os.cpu_count() or 1,
            format=output_format,
            force=force,
            executor=executor or "",
            ray_address=ray_address or "",
            **_near_duplicate_options(config, mode=dedup, keep=keep, threshold=dedup_threshold, shingling=shingles),
        )
    except (ConfigError, ValueError) as error:
        _fail_usage(str(error))
    log = _Log(log_format, quiet, progress=not quiet and log_format == "text" and sys.stderr.isatty())
    try:
        # One executor for the learn pass and the run: a Ray cluster is connected to (or started) once.
        with log, make_executor(options.executor, workers=options.workers, address=options.ray_address) as running:
            options, learned = _learn_first(options, learn_first, profile_file is not None, log, running)
            if log.progress is not None:
                log.start(_count_pages(options))
            summary = run_batch(options, on_event=log.event, executor=running)
            if learned is not None:  # once the run is done, so a run refused by the lock leaves no profile
                learned.write(options.output / LEARNED_FILE)
                summary.published = publish_output(options) or summary.published
    except (InputError, ExecutorError) as error:
        _fail_usage(str(error))
    except LockHeld as error:
        log.message("error", str(error))
        raise typer.Exit(EXIT_LOCKED) from error
    except (Interrupted, KeyboardInterrupt) as error:
        signum = error.signum if isinstance(error, Interrupted) else signal.SIGINT
        log.message("error", f"{output}: run stopped by {signal.Signals(signum).name}; the next run resumes")
        raise typer.Exit(128 + signum) from error
    except OSError as error:  # the environment, not a page and not a bug: a read-only or full disk, permissions
        problem = _os_problem(error)
        log.message("error", f"{output}: cannot write the output: {problem}; once fixed, the next run resumes")
        raise typer.Exit(EXIT_IO) from error
    except Exception as error:  # a bug: say so plainly, with its own status, so it is not read as 'pages failed'
        log.message("error", f"internal error: {type(error).__name__}: {error}")
        if log_format == "text":
            traceback.print_exc()
        raise typer.Exit(EXIT_INTERNAL) from error
    log.summary(summary, options)
    raise typer.Exit(EXIT_PAGES_FAILED if summary.failed else EXIT_OK)


def _os_problem(error: OSError) -> str:
    """An OSError in one line: what went wrong and on which file."""
    problem = error.strerror or str(error)
    return f"{problem} ({error.filename})" if error.filename else problem


def _near_duplicate_options(config: Config, **given: Any) -> dict[str, Any]:
    """BatchOptions' near-duplicate settings: the command line's over the config's [near_duplicates]."""
    table = config.near_duplicate_settings()
    table.update({key: value for key, value in given.items() if value is not None})
    return {"dedup": table["mode"], "keep": table["keep"], "near_dup": near_dup_settings(table)}


def _count_pages(options: BatchOptions) -> int:
    """Pages to expect, for the progress bar's ETA: one quick pass of the readers."""
    from cleanpipe.io.readers import iter_pages

    return sum(1 for _ in iter_pages(list(options.inputs), read_options(options)))


def _with_profile(config: Config, profile_file: Path | None, learn_first: bool | None) -> Config:
    """The config with a --profile's learned lines in force; ValueError (a usage error) for a bad profile."""
    if profile_file is None:
        return config
    if learn_first:
        raise ValueError("give --profile or --learn, not both")
    return apply_profile(config, read_profile(profile_file))


def _learn_first(
    options: BatchOptions, learn_first: bool | None, has_profile: bool, log: _Log, executor: Executor[Any]
) -> tuple[BatchOptions, Profile | None]:
    """Learn the sites' boilerplate from the run's own inputs when --learn, or `learn = true` in the config
    without a --profile, asks for it; the options then carry it."""
    wanted = learn_first if learn_first is not None else options.config.learn and not has_profile
    if not wanted:
        return options, None
    pages = Inputs(list(options.inputs), read_options(options))
    profile = learn_profile(pages, options.config, executor=executor).profile
    if not log.quiet:
        log.message("info", f"{_learned_summary(profile)}; profile: {options.output / LEARNED_FILE}")
    return replace(options, config=apply_profile(options.config, profile)), profile


def _learned_summary(profile: Profile) -> str:
    learning = sum(1 for site in profile.sites if site.lines)
    return (
        f"learned {profile.lines} boilerplate lines for {learning} sites, from {profile.pages} pages of "
        f"{profile.sites_counted} sites ({len(profile.sites)} with enough pages to learn from), and "
        f"{len(profile.templates)} corpus templates"
    )


@app.command()
def learn(
    inputs: list[str] | None = typer.Argument(
        None, help="Files, folders or glob patterns, as for `cleanpipe run`. Default: data/raw"
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The profile to write (JSON)."),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="A config file (learn_min_pages, learn_min_share, learn_max_chars, template_min_*; [input]).",
    ),
    workers: int = typer.Option(0, "--workers", "-w", help="Worker processes. Default (0): all cores."),
    executor: str | None = typer.Option(
        None, "--executor", help="local or ray, as for `cleanpipe run`. Default: `executor` in the config, else local."
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="The Ray cluster, as for `cleanpipe run`. Default: `ray_address` in the config."
    ),
) -> None:
    """Learn each site's boilerplate from many of its pages and write it as a profile for `run --profile`.

    A site is a page's URL host, else its folder, else the dump file it came from. A line (digits and the
    page's title masked) is learned for a site when it is on at least learn_min_pages distinct pages of the
    site and on at least learn_min_share of them (config; default 5 pages and half of them). A corpus
    template is a line on at least template_min_pages pages of any sites, mostly at their head or tail,
    that the line model scores at least template_min_score; it is removed on every site.

    Example: cleanpipe learn crawl/ -o profile.json && cleanpipe run crawl/ --profile profile.json

    Exit status: 0 profile written; 1 written, but some pages could not be read or prepared (named on
    stderr); 2 usage or config error.
    """
    from cleanpipe.io.readers import ReadOptions

    try:
        config = _load_config(config_file)
        pages = Inputs(list(inputs or ["data/raw"]), ReadOptions(**dict(config.input), exclude=None))
        name, address = executor or config.executor, ray_address or config.ray_address or None
        with make_executor(name, workers=workers or os.cpu_count() or 1, address=address) as running:
            report = learn_profile(pages, config, executor=running)
        report.profile.write(output)
    except (ConfigError, InputError, ExecutorError) as error:
        _fail_usage(str(error))
    except OSError as error:
        _fail_usage(f"{output}: cannot write the profile: {error.strerror or error}")
    for source, problem in report.failures:
        typer.echo(f"error: {source}: {problem}", err=True)
    for site in report.profile.sites:
        typer.echo(f"{site.pages:>8} pages {len(site.lines):>6} lines  {site.site}")
    typer.echo(_learned_summary(report.profile))
    typer.echo(f"profile: {output}")
    raise typer.Exit(EXIT_PAGES_FAILED if report.failures else EXIT_OK)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class _Log:
    """Where a run's messages go: plain lines or JSON lines on stderr, and a progress bar on a terminal."""

    def __init__(self, log_format: str, quiet: bool, *, progress: bool) -> None:
        self.json = log_format == "json"
        self.quiet = quiet
        self.progress: Any = None
        self._task: Any = None
        if progress:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("cleaning"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} pages/s"),
                TimeRemainingColumn(),
                transient=True,
            )
        self._started = time.perf_counter()

    def __enter__(self) -> _Log:
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def start(self, total: int) -> None:
        self._task = self.progress.add_task("pages", total=total, rate="0")

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "progress":
            if self._task is not None:
                rate = data["done"] / max(time.perf_counter() - self._started, 1e-9)
                self.progress.update(self._task, completed=data["done"], rate=f"{rate:.0f}")
        elif kind == "error":
            self.message(
                "error",
                f"{data['source']}: {data['error']}" + (f" (stage {data['stage']})" if data["stage"] else ""),
                data,
            )
        elif kind == "warning":
            self.message("warning", f"{data['source']}: {data['message']}", data)

    def message(self, level: str, text: str, data: dict[str, Any] | None = None) -> None:
        if self.json:
            record = {"time": _now(), "level": level, "message": text, **(data or {})}
            typer.echo(json.dumps(record, ensure_ascii=False), err=True)
        elif self.progress is not None:
            self.progress.console.print(f"{level}: {text}", markup=False, highlight=False)
        else:
            typer.echo(f"{level}: {text}", err=True)

    def summary(self, summary: RunSummary, options: BatchOptions) -> None:
        rate = (summary.written + summary.skipped) / summary.seconds if summary.seconds else 0.0
        if self.json:
            record = {"time": _now(), "level": "info", "message": "run finished", **summary.to_json(options)}
            typer.echo(json.dumps(record, ensure_ascii=False), err=True)
            return
        if not self.quiet:
            typer.echo(
                f"pages: {summary.pages}  written: {summary.written}  skipped: {summary.skipped}  "
                f"failed: {summary.failed}  warnings: {summary.warnings}"
            )
            typer.echo(f"characters: {summary.chars_in:,} in, {summary.chars_out:,} out (Markdown, with front matter)")
            for stage in sorted(summary.removals):
                typer.echo(
                    f"  {stage:<12} {summary.removals[stage]:>6} removals  {summary.removed_chars[stage]:>10,} chars"
                )
            if summary.duplicates.get("duplicates"):
                action = {"drop": "dropped", "flag": "flagged"}[options.dedup]
                typer.echo(
                    f"duplicates: {summary.duplicates['duplicates']} pages {action} in "
                    f"{summary.duplicates['clusters']} clusters (kept: {options.keep}): "
                    f"{options.output / DUPLICATES_FILE}"
                )
            typer.echo(f"audit: {options.output / AUDIT_FILE}  run: {options.output / RUN_FILE}")
            if summary.published:
                done = summary.published
                typer.echo(
                    f"published to {done['url']}: {done.get('uploaded', 0)} files uploaded "
                    f"({done.get('bytes', 0):,} bytes), {done.get('deleted', 0)} deleted"
                    + (f", {done['restored']} restored before the run" if done.get("restored") else "")
                )
        typer.echo(f"done in {summary.seconds:.2f}s ({rate:.0f} pages/s)")


@app.command()
def explain(
    page: Path = typer.Argument(..., help="One page file."),
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A cleanpipe.toml file."),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Default: colour on a terminal."),
) -> None:
    """Show one page with each removed part marked and the rule that removed it.

    Example: cleanpipe explain data/raw/content_farm_qa.txt | less -R
    """
    try:
        config = _load_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    try:
        raw = page.read_bytes()
    except OSError as error:
        _fail_usage(f"{page}: {error.strerror or error}")
    try:
        result = clean(raw, source=str(page), config=config)
    except CleanError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_PAGES_FAILED) from error
    use_color = sys.stdout.isatty() if color is None else color
    typer.echo(explain_page(result, color=use_color), nl=False, color=use_color)


@app.command("eval")
def eval_command(
    predictions: Path = typer.Argument(..., help="Folder of Markdown outputs, one <id>.md per page."),
    ground_truth: Path = typer.Argument(
        ...,
        help='JSON ground truth: {id: {"articleBody": text}}, or {id: {"with": [text], "without": [text]}}.',
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as one JSON object."),
) -> None:
    """Score Markdown outputs against hand-labelled main text.

    Main-text truth ({id: {"articleBody": text}}): character-bigram precision, recall and F1 per page, then
    their means. Texts are NFKC-normalised and case-folded, image and link syntax reduced to its labels,
    front matter dropped, and only letters and digits kept; the bags of adjacent-character pairs are
    compared.

    Segment truth ({id: {"with": [...], "without": [...]}}, as trafilatura's evaluation corpus): the Markdown
    is reduced to plain text on one line; a "with" segment found in it is a true positive, a "without"
    segment found a false positive; counts pooled over the pages.

    A page with no <id>.md counts as empty and is listed.

    Example: cleanpipe eval data/clean labelled.json
    """
    from cleanpipe.evaluate import SegmentEvaluation, evaluate_folder

    if not predictions.is_dir():
        _fail_usage(f"{predictions}: not a folder")
    try:
        result = evaluate_folder(predictions, ground_truth)
    except (OSError, ValueError) as error:
        _fail_usage(f"{ground_truth}: {error}")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    if isinstance(result, SegmentEvaluation):
        typer.echo(f"{'page':<40} {'with found':>10} {'with missed':>11} {'without found':>13}")
        for segments in result.pages:
            note = "  (missing)" if segments.missing else ""
            typer.echo(
                f"{segments.id[:40]:<40} {segments.true_positives:10d} {segments.false_negatives:11d} "
                f"{segments.false_positives:13d}{note}"
            )
        typer.echo(
            f"segments of {len(result.pages)} pages, pooled: precision {result.precision:.3f} "
            f"recall {result.recall:.3f} F1 {result.f1:.3f}"
        )
    else:
        typer.echo(f"{'page':<40} {'P':>6} {'R':>6} {'F1':>6}")
        for page in result.pages:
            note = "  (missing)" if page.missing else ""
            typer.echo(f"{page.id[:40]:<40} {page.precision:6.3f} {page.recall:6.3f} {page.f1:6.3f}{note}")
        typer.echo(
            f"{'mean of ' + str(len(result.pages)) + ' pages':<40} "
            f"{result.precision:6.3f} {result.recall:6.3f} {result.f1:6.3f}"
        )
    if result.missing:
        typer.echo(f"missing predictions ({len(result.missing)}, scored as empty): {' '.join(result.missing)}")


@app.command()
def rules(
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A cleanpipe.toml file."),
) -> None:
    """List the boilerplate rules in force (built-in and from config), with what each removes.

    Example: cleanpipe rules
    """
    try:
        config = _load_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    for rule in active_rules(config):
        footer = " [footer]" if rule.footer else ""
        typer.echo(f"{rule.name:<24}{rule.description}{footer}")


config_app = typer.Typer(help="Show the configuration in force.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A config file (default: as run finds it)."),
) -> None:
    """Print the effective configuration as TOML, saying where it came from.

    Example: cleanpipe config show --config cleanpipe.toml
    """
    try:
        config, origin = find_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    typer.echo(f"# effective configuration, from {origin}")
    typer.echo(config.to_toml(), nl=False)


@app.command()
def version() -> None:
    """Print cleanpipe's version.

    Example: cleanpipe version
    """
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()

"""The batch run: clean every page under some inputs into an output folder, on any executor.

- Streams: input files are surveyed and pages cleaned in shards by an executor (executors/base.py: local
  processes or a Ray cluster), with a bounded number of tasks in flight, so memory does not grow with the
  corpus. The workers read the pages (executors/steps.py: survey, then clean and write); this module, the
  driver, lists the input files, decides what to clean from the surveys and keeps the record of what was
  done. It never reads a page.
- Incremental: a page whose input, config digest and cleanpipe version are unchanged since it was last
  cleaned is skipped (state in OUT/.cleanpipe/state.sqlite); --force redoes all.
- Safe to kill: every output is written to OUT/.cleanpipe/tmp and renamed into place; the state commits
  shard by shard; the next run clears the temporary folder and redoes what was not committed.
- Locked: one run per output folder at a time (executors/lock.py).
- Deterministic: outputs and the audit are the same, byte for byte, whatever the executor and the number
  of workers or nodes.

Writes OUT/<page>.md (or OUT/pages.jsonl / OUT/pages.parquet), OUT/removed.jsonl (the audit of every
removal, in input order), OUT/failed.jsonl (pages that failed this run, with the stage and the problem)
and OUT/run.json (what this run did). Inputs are only ever read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from cleanpipe import __version__
from cleanpipe.config import Config
from cleanpipe.corpus.minhash import MinHashParams
from cleanpipe.corpus.neardup import (
    KEEP_POLICIES,
    SHINGLES_FOLDER,
    Duplicate,
    NearDupIndex,
    NearDupSettings,
    page_keys,
)
from cleanpipe.executors.base import EXECUTORS, Executor, make_executor, map_isolating
from cleanpipe.executors.lock import OutputLock
from cleanpipe.executors.reading import shard_size_for, survey_all, survey_alone, survey_tasks
from cleanpipe.executors.state import FileState, State
from cleanpipe.executors.steps import (
    FileSurvey,
    PageOutcome,
    PageRef,
    ShardTask,
    SurveyTask,
    clean_shard,
    file_key,
)
from cleanpipe.io.files import AUDIT_FILE, DUPLICATES_FILE, FAILED_FILE, RUN_FILE, STATE_DIR, write_atomic
from cleanpipe.io.publish import Publisher, check_url_apart, default_work_folder, output_url
from cleanpipe.io.readers import (
    InputFile,
    ReadOptions,
    Uniquifier,
    check_output_apart,
    iter_files,
)
from cleanpipe.io.records import ReadFailure
from cleanpipe.io.remote import file_system
from cleanpipe.io.writers import CORPUS_FILES, FORMATS, write_jsonl, write_parquet
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.classify import load_model
from cleanpipe.stages.render import set_front_matter_fields, split_front_matter

# Pages dropped as duplicates (--dedup drop, --format md) are moved here, so a later run that keeps them
# after all (a new policy, an edited page) puts them back without cleaning them again.
DROPPED_DIR = "dropped"
DEDUP_MODES = ("drop", "flag", "off")
# Pages per task sent to a worker: large enough to amortise the process hop, small enough to keep the
# pool busy and memory low.
SHARD_SIZE = 32
# Skipped pages are marked in the state this many at a time.
_SEEN_BATCH = 2000

Event = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class BatchOptions:
    """What a batch run does. Near-duplicate settings left empty (dedup, keep, near_dup) come from the
    config's [near_duplicates] table, and the executor from its `executor` and `ray_address` keys."""

    inputs: tuple[str | Path, ...]
    # A folder, or a URL (s3://, gs://, file://, memory://, ...): the run then works in `work_dir` and
    # publishes to the URL (io/publish.py); `output` becomes the working copy and `output_url` the URL.
    output: Path
    config: Config = field(default_factory=Config)
    workers: int = 1
    format: str = "md"
    force: bool = False
    shard_size: int = SHARD_SIZE
    # Near-duplicate pages across the corpus: drop them, flag them in their metadata, or leave them.
    dedup: str = ""
    keep: str = ""
    near_dup: NearDupSettings | None = None
    # Where shards are cleaned: 'local' (processes on this machine) or 'ray' (a Ray cluster).
    executor: str = ""
    ray_address: str = ""
    work_dir: Path | None = None
    output_url: str = ""

    def __post_init__(self) -> None:
        url = output_url(self.output)
        if url is not None:
            object.__setattr__(self, "output_url", url)
            object.__setattr__(self, "output", Path(self.work_dir or default_work_folder(url)))
        else:
            object.__setattr__(self, "output", Path(self.output))
        table = self.config.near_duplicate_settings()
        defaults = {
            "dedup": self.dedup or table["mode"],
            "keep": self.keep or table["keep"],
            "near_dup": self.near_dup or near_dup_settings(table),
            "executor": self.executor or self.config.executor,
            "ray_address": self.ray_address or self.config.ray_address,
        }
        for name, value in defaults.items():
            object.__setattr__(self, name, value)  # frozen: filled in once, here
        if self.format not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.dedup not in DEDUP_MODES:
            raise ValueError(f"--dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if self.keep not in KEEP_POLICIES:
            raise ValueError(f"--keep must be one of {', '.join(KEEP_POLICIES)}, not {self.keep!r}")
        if self.executor not in EXECUTORS:
            raise ValueError(f"--executor must be one of {', '.join(EXECUTORS)}, not {self.executor!r}")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        check_output_apart(self.inputs, self.output)
        if self.output_url:
            file_system(self.output_url)  # fsspec and the file system's package are here
            check_url_apart(self.inputs, self.output_url)

    @property
    def settings(self) -> NearDupSettings:
        """The near-duplicate settings in force (filled in from the config when not given)."""
        assert self.near_dup is not None
        return self.near_dup


def near_dup_settings(table: dict[str, Any]) -> NearDupSettings:
    """The index settings of a [near_duplicates] table (Config.near_duplicate_settings())."""
    params = MinHashParams(
        num_perm=table["num_perm"],
        char_ngram=table["char_ngram"],
        word_ngram=table["word_ngram"],
        shingling=table["shingling"],
    )
    return NearDupSettings(table["threshold"], params)


@dataclass
class RunSummary:
    pages: int = 0
    written: int = 0
    skipped: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    warnings: int = 0
    chars_in: int = 0
    chars_out: int = 0
    removals: Counter[str] = field(default_factory=Counter)
    removed_chars_by_rule: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    config_hash: str = ""
    executor: str = ""
    run: int = 0
    lock_taken_over: dict[str, object] | None = None
    duplicates: dict[str, Any] = field(default_factory=dict)
    # An output URL: where the working copy was published, files restored from it, uploaded and deleted.
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def removed_chars(self) -> Counter[str]:
        """Characters removed per stage, summed from the per-rule counts ('stage/rule')."""
        per_stage: Counter[str] = Counter()
        for key, chars in self.removed_chars_by_rule.items():
            per_stage[key.split("/", 1)[0]] += chars
        return per_stage

    def to_json(self, options: BatchOptions) -> dict[str, Any]:
        return {
            "cleanpipe_version": __version__,
            "config_hash": self.config_hash,
            "run": self.run,
            "inputs": [str(item) for item in options.inputs],
            "output": options.output_url or str(options.output),
            "working_copy": str(options.output) if options.output_url else None,
            "published": self.published or None,
            "format": options.format,
            "executor": self.executor,
            "workers": options.workers,
            "force": options.force,
            "pages": {"read": self.pages, "written": self.written, "skipped": self.skipped, "failed": self.failed},
            "warnings": self.warnings,
            "chars": {"in": self.chars_in, "out": self.chars_out},
            "removals_per_stage": dict(sorted(self.removals.items())),
            "chars_removed_per_stage": dict(sorted(self.removed_chars.items())),
            "chars_removed_per_rule": dict(sorted(self.removed_chars_by_rule.items())),
            "seconds_per_stage": {k: round(v, 3) for k, v in sorted(self.stage_seconds.items())},
            "duplicates": self.duplicates,
            "seconds": round(self.seconds, 3),
            "lock_taken_over_from": self.lock_taken_over,
        }


class Interrupted(Exception):
    """The run was stopped by a signal (SIGTERM); the workers were stopped with it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signal.Signals(signum).name}")
        self.signum = signum


def run_batch(
    options: BatchOptions,
    *,
    pipeline: Pipeline | None = None,
    on_event: Event | None = None,
    executor: Executor[Any] | None = None,
) -> RunSummary:
    """Run the batch described by `options`, on `executor` (default: the one the options name, made for
    this run and released after it). Raises LockHeld when another run holds the output folder, and
    Interrupted when SIGTERM stops it (outputs written so far stay; the next run resumes)."""
    with _stop_on_signals() as stop:
        return _run_batch(options, pipeline, on_event, stop, executor)


class _Stop:
    """A stop request from a signal, acted on at safe points of the run: raising from the signal handler
    itself could land inside the process pool's own locks and hang the shutdown."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def check(self) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)


@contextmanager
def _stop_on_signals() -> Iterator[_Stop]:
    """SIGTERM and SIGINT stop the run at the next safe point; its workers are then terminated."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def request(signum: int, frame: object) -> None:
        stop.signum = signum

    previous = {number: signal.signal(number, request) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _run_batch(
    options: BatchOptions,
    pipeline: Pipeline | None,
    on_event: Event | None,
    stop: _Stop,
    executor: Executor[Any] | None,
) -> RunSummary:
    emit = on_event or (lambda kind, data: None)
    output = options.output
    output.mkdir(parents=True, exist_ok=True)
    state_dir = output / STATE_DIR
    with OutputLock(state_dir / "lock") as lock:
        temporary = state_dir / "tmp"
        shutil.rmtree(temporary, ignore_errors=True)  # a killed run's half-written files
        temporary.mkdir(parents=True)
        publisher = Publisher(options.output_url, output) if options.output_url else None
        restored = publisher.restore() if publisher else 0
        state = State(state_dir / "state.sqlite")
        try:
            if executor is None:
                with make_executor(options.executor, workers=options.workers, address=options.ray_address) as own:
                    summary = _run_locked(options, state, temporary, pipeline, emit, stop, own)
            else:
                summary = _run_locked(options, state, temporary, pipeline, emit, stop, executor)
        finally:
            state.close()
        summary.lock_taken_over = lock.took_over
        if publisher is not None:
            summary.published = {"url": publisher.url, "restored": restored}
        write_atomic(output / RUN_FILE, json.dumps(summary.to_json(options), ensure_ascii=False, indent=2) + "\n")
        shutil.rmtree(temporary, ignore_errors=True)
        if publisher is not None:
            summary.published = publisher.publish().to_json(publisher.url) | {"restored": restored}
    return summary


def publish_output(options: BatchOptions) -> dict[str, Any]:
    """Publish an output URL's working copy again (after a file was added to it once the run was done),
    under the output's lock; what was published."""
    if not options.output_url:
        return {}
    with OutputLock(options.output / STATE_DIR / "lock"):
        return Publisher(options.output_url, options.output).publish().to_json(options.output_url)


def _run_locked(
    options: BatchOptions,
    state: State,
    temporary: Path,
    pipeline: Pipeline | None,
    emit: Event,
    stop: _Stop,
    executor: Executor[Any],
) -> RunSummary:
    started = time.perf_counter()
    summary = RunSummary(config_hash=_config_hash(options), executor=executor.name)
    run = summary.run = state.begin_run(time.time())
    index = NearDupIndex(options.output / STATE_DIR / "dedup", options.settings, db=state.db)
    batch = _Batch(options, state, run, summary, emit, temporary, pipeline, stop, index, executor)
    try:
        _clean_all(executor, batch, stop)
    except BaseException:
        executor.stop()
        raise
    batch.finish()
    stop.check()
    unapplied = _near_duplicates(options, state, index, run, summary, emit, executor, stop)
    layout = batch.layout.hexdigest()
    if (
        batch.processed
        or summary.failures
        or unapplied
        or state.last_finished_layout(run) != layout
        or not _final_files_exist(options)
    ):
        _write_final_files(options, state, run, temporary, index)
    index.mark_applied(options.dedup)
    _write_failures(options.output, summary.failures)
    state.finish_run(run, time.time(), layout)
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass
class _FileProgress:
    """One input file being read: its pages are done when all were collected after reading ended."""

    state: FileState
    ordinal: int
    expected: int = 0
    collected: int = 0
    failed: bool = False
    read_done: bool = False


def _clean_all(executor: Executor[Any], batch: _Batch, stop: _Stop) -> None:
    """Every shard cleaned on the executor, its outcomes collected in input order. A worker process that
    dies under a shard (killed by the operating system, as when out of memory) breaks a local pool and
    every shard in flight with it: the pool is replaced and those shards' pages are cleaned again one page
    per task, so the page that kills a worker again fails alone, named, and the run goes on with the rest
    (base.map_isolating)."""
    for outcomes in map_isolating(
        executor, clean_shard, batch.tasks(), split=_one_page_each, failed=_died, check=stop.check
    ):
        batch.collect(outcomes)


def _one_page_each(task: ShardTask) -> list[ShardTask]:
    return [replace(task, pages=[page]) for page in task.pages]


def _died(task: ShardTask) -> list[PageOutcome]:
    file, _, ref = task.pages[0]
    problem = "the worker process cleaning this page died (killed by the operating system, as when out of memory)"
    return [PageOutcome(file, ref.pos, ref.id, ref.source, ref.input_hash, problem=problem, stage="worker")]


class _Batch:
    """The deciding side of a run: reads the inputs, skips unchanged files and pages, makes shard tasks of
    the rest for the executor, and records the outcomes that come back, in input order."""

    def __init__(
        self,
        options: BatchOptions,
        state: State,
        run: int,
        summary: RunSummary,
        emit: Event,
        temporary: Path,
        pipeline: Pipeline | None,
        stop: _Stop,
        index: NearDupIndex,
        executor: Executor[Any],
    ) -> None:
        self.options, self.state, self.run, self.summary, self.emit = options, state, run, summary, emit
        self.index, self.executor = index, executor
        self.stop_request = stop
        self.temporary, self.pipeline = temporary, pipeline
        self.read_options = read_options(options)
        # Ids and outputs stay unique across several inputs; one input is unique by construction.
        self.unique = Uniquifier() if len(options.inputs) > 1 else None
        self.layout = hashlib.sha256()
        self.processed = 0
        # Where the tasks write, as absolute paths: workers may run in another folder or on another node.
        self.where = (
            str(options.output.resolve()),
            str(temporary.resolve()),
            str((index.folder / SHINGLES_FOLDER).resolve()) if options.dedup != "off" else "",
        )
        self.shard: list[tuple[str, InputFile, PageRef]] = []
        self.spill = str((temporary / "surveys").resolve())  # large surveys' page references
        self.seen: list[tuple[int, str, int, str]] = []
        self.files: dict[str, _FileProgress] = {}

    def tasks(self) -> Iterator[ShardTask]:
        """The shards to clean, made from the files' surveys as the executor asks for them."""
        surveys = survey_all(self.executor, self._survey_tasks(), self.stop_request.check)
        for ordinal, survey in enumerate(surveys):
            yield from self._read(survey, ordinal)
        if self.shard:
            yield self._task()

    def _survey_tasks(self) -> Iterator[SurveyTask]:
        """The input files in groups, each with what the state knows of it (nothing when forced)."""

        def known(file: InputFile) -> FileState | None:
            self.stop_request.check()
            if self.options.force:
                return None
            return self.state.known_file(file_key(file), self.summary.config_hash)

        files = iter_files(list(self.options.inputs), self.read_options)
        return survey_tasks(files, self.read_options, self.summary.config_hash, known, self.spill)

    def _survey_task(self, files: list[tuple[InputFile, FileState | None]]) -> SurveyTask:
        return SurveyTask(files, self.read_options, self.summary.config_hash, self.spill)

    def _read(self, survey: FileSurvey, ordinal: int) -> Iterator[ShardTask]:
        self.stop_request.check()
        current, file = survey.state, survey.file
        self.layout.update(f"{current.path}\0{current.digest}\n".encode())
        unchanged = None if self.options.force else self.state.unchanged_file(current)
        if unchanged is not None and self._outputs_exist(current.path):
            self._keep_file(current, ordinal, unchanged)
            return
        if not survey.read:  # unchanged, but its outputs are gone: its pages are needed after all
            survey = survey_alone(self.executor, self._survey_task([(file, None)]), self.stop_request.check)
        progress = self.files[current.path] = _FileProgress(current, ordinal)
        if file.renamed:
            self.summary.warnings += 1
            message = f"file name is not UTF-8; its pages' ids and outputs use {file.relative.as_posix()!r}"
            self.emit("warning", {"page": file.relative.as_posix(), "source": file.where, "message": message})
        shard_size = shard_size_for(survey, self.options.shard_size)
        for item in survey.all_items():
            if isinstance(item, ReadFailure):
                progress.failed = True
                _fail(self.summary, self.emit, item.id, item.source, "read", item.problem)
                continue
            self._page(self.unique.unique(item) if self.unique else item, progress, file)
            if len(self.shard) >= shard_size:
                yield self._task()
        progress.read_done = True
        self._file_done(progress)

    def _keep_file(self, current: FileState, ordinal: int, pages: int) -> None:
        self.state.keep_file(current.path, self.run, ordinal)
        if self.unique:
            for page_id, output in self.state.file_pages(current.path):
                self.unique.register(page_id, PurePosixPath(output))
        self.summary.pages += pages
        self.summary.skipped += pages
        self._progress()

    def _outputs_exist(self, path: str) -> bool:
        if self.options.format != "md":
            return True
        return all(_md_output_exists(self.options.output, output) for _, output in self.state.file_pages(path))

    def _page(self, item: PageRef, progress: _FileProgress, file: InputFile) -> None:
        self.stop_request.check()
        self.summary.pages += 1
        progress.expected += 1
        if _unchanged(self.options, self.state, item.id, item.input_hash, self.summary.config_hash):
            self.seen.append((self.run, progress.state.path, item.pos, item.id))
            self.summary.skipped += 1
            progress.collected += 1
            if len(self.seen) >= _SEEN_BATCH:
                self._flush_seen()
            return
        self.shard.append((progress.state.path, file, item))
        self.processed += 1

    def _task(self) -> ShardTask:
        output, temporary, shingles = self.where
        task = ShardTask(
            self.shard,
            self.read_options,
            output,
            temporary,
            self.options.format,
            self.options.config,
            self.pipeline,
            self.options.settings if self.options.dedup != "off" else None,
            shingles,
        )
        self.shard = []
        return task

    def finish(self) -> None:
        """Every shard is collected: the files whose pages are all in are recorded."""
        self._flush_seen()
        for progress in list(self.files.values()):
            self._file_done(progress)

    def _flush_seen(self) -> None:
        self.state.mark_seen(self.seen)
        self.seen.clear()
        self._progress()

    def collect(self, outcomes: list[PageOutcome]) -> None:
        """A shard's outcomes, committed to the state with the pages' near-duplicate keys."""
        _collect(outcomes, self.options, self.state, self.run, self.summary, self.emit, self.index)
        for outcome in outcomes:
            progress = self.files[outcome.file]
            progress.collected += 1
            progress.failed = progress.failed or bool(outcome.problem)
            self._file_done(progress)

    def _file_done(self, progress: _FileProgress) -> None:
        """Record a file once all its pages are in: only a file whose pages all succeeded can be skipped."""
        if not progress.read_done or progress.collected < progress.expected:
            return
        if self.seen:
            self._flush_seen()  # its skipped pages must carry this run before the file does
        self.state.save_file(progress.state, self.run, progress.ordinal, progress.expected, not progress.failed)
        del self.files[progress.state.path]

    def _progress(self) -> None:
        self.emit("progress", {"done": self.summary.written + self.summary.skipped + self.summary.failed})


def read_options(options: BatchOptions) -> ReadOptions:
    """The readers' options for a run: field names from the config's [input] table, the output skipped."""
    fields = dict(options.config.input)
    return ReadOptions(**fields, exclude=options.output)


def _config_hash(options: BatchOptions) -> str:
    """What the outputs depend on besides the input: the settings, the output format and the line model
    shipped with cleanpipe (a retrained model re-cleans the pages, as a changed setting does)."""
    parts = f"{options.config.digest()}\0{options.format}\0{load_model().digest}"
    return hashlib.sha256(parts.encode()).hexdigest()[:16]


def _unchanged(options: BatchOptions, state: State, page_id: str, input_hash: str, config_hash: str) -> bool:
    if options.force:
        return False
    done = state.done(page_id)
    if done is None or (done.input_hash, done.config_hash, done.version) != (input_hash, config_hash, __version__):
        return False
    return options.format != "md" or _md_output_exists(options.output, done.output)


def _md_output_exists(output: Path, name: str) -> bool:
    """A page's Markdown is in the output folder, or set aside there as a dropped duplicate."""
    return any(path.is_file() for path in _md_places(output, name))


def _collect(
    outcomes: list[PageOutcome],
    options: BatchOptions,
    state: State,
    run: int,
    summary: RunSummary,
    emit: Event,
    index: NearDupIndex,
) -> None:
    rows = []
    failed = []
    for outcome in outcomes:
        for warning in outcome.warnings:
            summary.warnings += 1
            emit("warning", {"page": outcome.id, "source": outcome.source, "message": warning})
        if outcome.problem:
            failed.append(outcome.id)
            _fail(summary, emit, outcome.id, outcome.source, outcome.stage, outcome.problem)
            continue
        if state.output_taken(outcome.output, outcome.id, run):
            failed.append(outcome.id)
            _fail(
                summary,
                emit,
                outcome.id,
                outcome.source,
                "write",
                f"output {outcome.output} is written by another page",
            )
            continue
        summary.written += 1
        summary.chars_in += outcome.chars_in
        summary.chars_out += outcome.chars_out
        summary.removals.update(outcome.removals)
        summary.removed_chars_by_rule.update(outcome.removed_chars)
        summary.stage_seconds.update(outcome.timings)
        rows.append(
            (
                outcome.id,
                outcome.input_hash,
                summary.config_hash,
                __version__,
                outcome.output,
                outcome.file,
                outcome.pos,
                run,
                outcome.audit,
                outcome.record,
            )
        )
    signed = [(outcome.id, outcome.keys) for outcome in outcomes if outcome.keys is not None and not outcome.problem]
    # A page and its near-duplicate keys commit together: a killed run never leaves one without the other.
    state.save(rows, also=lambda: index.add(signed))
    state.forget(failed, also=lambda: index.add((page, None) for page in failed))
    emit("progress", {"done": summary.written + summary.skipped + summary.failed})


def _fail(summary: RunSummary, emit: Event, page_id: str, source: str, stage: str, problem: str) -> None:
    failure = {"page": page_id, "source": source, "stage": stage, "error": problem}
    summary.failures.append(failure)
    emit("error", failure)


def _final_files_exist(options: BatchOptions) -> bool:
    files = [AUDIT_FILE] + ([CORPUS_FILES[options.format]] if options.format in CORPUS_FILES else [])
    return all((options.output / name).is_file() for name in files)


def _write_final_files(options: BatchOptions, state: State, run: int, temporary: Path, index: NearDupIndex) -> None:
    """removed.jsonl (and pages.jsonl / pages.parquet) for every page of this run, in input order,
    rebuilt from the state so pages skipped as unchanged keep their lines. A page dropped as a duplicate
    has its drop in the audit and no record; a flagged one has the page it duplicates in its metadata."""
    audit_temporary = temporary / AUDIT_FILE
    with audit_temporary.open("w", encoding="utf-8") as stream:
        for page, audit, _, output in state.this_run(run):
            stream.write(audit)
            duplicate = index.duplicate_of(page) if options.dedup == "drop" else None
            if duplicate is not None:
                stream.write(json.dumps(_drop_audit(duplicate, output, options), ensure_ascii=False) + "\n")
    os.replace(audit_temporary, options.output / AUDIT_FILE)
    if options.format in CORPUS_FILES:
        name = CORPUS_FILES[options.format]
        writer = write_jsonl if options.format == "jsonl" else write_parquet
        writer(_final_records(options, state, run, index), options.output / name, temporary / name)


def _final_records(options: BatchOptions, state: State, run: int, index: NearDupIndex) -> Iterator[dict[str, Any]]:
    for page, _, record, _ in state.this_run(run):
        if not record:
            continue
        duplicate = index.duplicate_of(page) if options.dedup != "off" else None
        if duplicate is not None and options.dedup == "drop":
            continue
        data = json.loads(record)
        if duplicate is not None:
            data["metadata"].update(_flag_fields(duplicate))
        yield data


def _drop_audit(duplicate: Duplicate, output: str, options: BatchOptions) -> dict[str, Any]:
    kind = "the same text as" if duplicate.rule == "exact-duplicate" else "a near-duplicate of"
    return {
        "page": duplicate.page,
        "output": output + ".md" if options.format == "md" else output,
        "stage": "corpus-dedup",
        "rule": duplicate.rule,
        "reason": f"whole page dropped: {kind} page {duplicate.kept} (Jaccard similarity "
        f"{duplicate.similarity:.2f} of shingles), which is kept by --keep {options.keep}",
        "score": duplicate.similarity,
        "kept": duplicate.kept,
    }


def _flag_fields(duplicate: Duplicate | None) -> dict[str, Any]:
    """The metadata of a flagged page (None values remove the keys from a page no longer flagged)."""
    if duplicate is None:
        return {"duplicate_of": None, "duplicate_similarity": None}
    return {"duplicate_of": duplicate.kept, "duplicate_similarity": duplicate.similarity}


class _CleanText:
    """A page's clean text (its Markdown without front matter), read back from the output for verifying
    candidate pairs: the index never holds the corpus's texts."""

    def __init__(self, options: BatchOptions, state: State) -> None:
        self.options, self.state = options, state

    def __call__(self, page: str) -> str | None:
        found = self.state.page_output(page)
        if found is None:
            return None
        output, record = found
        if record:
            return split_front_matter(json.loads(record)["markdown"])[1]
        for path in _md_places(self.options.output, output):
            try:
                return split_front_matter(path.read_text(encoding="utf-8"))[1]
            except FileNotFoundError:
                continue
        return None


def _md_places(output: Path, name: str) -> tuple[Path, Path]:
    """Where a page's Markdown is: in the output folder, or set aside as a dropped duplicate."""
    return output / (name + ".md"), output / STATE_DIR / DROPPED_DIR / (name + ".md")


def _near_duplicates(
    options: BatchOptions,
    state: State,
    index: NearDupIndex,
    run: int,
    summary: RunSummary,
    emit: Event,
    executor: Executor[Any],
    stop: _Stop,
) -> set[str]:
    """The corpus pass after cleaning: near-duplicates among this run's pages and every earlier run's
    (its pair-finding and verifying steps on the run's executor), applied to the Markdown outputs, listed
    in duplicates.jsonl. Returns the pages whose treatment changed
    since the outputs last showed it (the caller rewrites the audit and corpus files, then marks it done)."""
    started = time.perf_counter()
    text_of = _CleanText(options, state)
    if options.dedup == "off":
        report = index.clear_decisions()
    else:
        # Pages cleaned while the pass was off, or before its settings changed, are signed from their text.
        unsigned = list(index.unsigned(state.this_run_ids(run)))
        index.add((page, page_keys(text, options.settings)) for page in unsigned if (text := text_of(page)) is not None)
        report = index.run_pass(text_of, options.keep, executor=executor, check=stop.check)
    unapplied = index.unapplied(options.dedup)
    if options.format == "md":
        _apply_to_markdown(options, state, index, set(unapplied))
    write_atomic(
        options.output / DUPLICATES_FILE,
        "".join(json.dumps(cluster, ensure_ascii=False) + "\n" for cluster in index.clusters()),
    )
    summary.duplicates = {
        "mode": options.dedup,
        "keep": options.keep,
        "threshold": options.settings.threshold,
        "new_pages_indexed": report.new_entries,
        "candidate_pairs": report.candidates,
        "verified_pairs": report.verified,
        "clusters": report.clusters,
        "duplicates": report.duplicates,
        "seconds": round(time.perf_counter() - started, 3),
    }
    emit("duplicates", summary.duplicates)
    return unapplied


def _apply_to_markdown(options: BatchOptions, state: State, index: NearDupIndex, unapplied: set[str]) -> None:
    """Put each page's Markdown where its decision says: a dropped duplicate set aside, a flagged one in
    place with the page it duplicates in its front matter, any other page in place and unflagged. Every
    duplicate is looked at (one cleaned again this run was written in place, unflagged), and the pages
    whose decision changed."""
    folders: set[Path] = set()  # folders of the pages set aside, made once each
    for duplicate in index.duplicates():
        _place_markdown(options, state, duplicate.page, duplicate, folders)
        unapplied.discard(duplicate.page)
    for page in sorted(unapplied):
        _place_markdown(options, state, page, None, folders)


def _place_markdown(
    options: BatchOptions, state: State, page: str, duplicate: Duplicate | None, folders: set[Path]
) -> None:
    found = state.page_output(page)
    if found is None:
        return
    shown, aside = _md_places(options.output, found[0])
    if duplicate is not None and options.dedup == "drop":
        if aside.parent not in folders:
            aside.parent.mkdir(parents=True, exist_ok=True)
            folders.add(aside.parent)
        try:
            os.replace(shown, aside)
        except FileNotFoundError:  # set aside by an earlier run
            pass
        return
    if aside.is_file():
        if shown.is_file():
            aside.unlink()  # the page was cleaned again since it was set aside
        else:
            os.replace(aside, shown)
    if not shown.is_file():
        return
    text = shown.read_text(encoding="utf-8")
    fields = _flag_fields(duplicate if options.dedup == "flag" else None)
    updated = set_front_matter_fields(text, fields)
    if updated != text:
        write_atomic(shown, updated, temporary_folder=options.output / STATE_DIR / "tmp")


def _write_failures(output: Path, failures: Iterable[dict[str, str]]) -> None:
    write_atomic(output / FAILED_FILE, "".join(json.dumps(failure, ensure_ascii=False) + "\n" for failure in failures))

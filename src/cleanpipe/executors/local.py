"""The local executor: clean every page under some inputs into an output folder, as a batch job.

- Streams: pages are read one at a time and cleaned in shards by a pool of processes, with a bounded
  number of shards in flight, so memory does not grow with the corpus.
- Incremental: a page whose input, config digest and cleanpipe version are unchanged since it was last
  cleaned is skipped (state in OUT/.cleanpipe/state.sqlite); --force redoes all.
- Safe to kill: every output is written to OUT/.cleanpipe/tmp and renamed into place; the state commits
  shard by shard; the next run clears the temporary folder and redoes what was not committed.
- Locked: one run per output folder at a time (executors/lock.py).
- Deterministic: outputs and the audit are the same, byte for byte, whatever the number of workers.

Writes OUT/<page>.md (or OUT/pages.jsonl / OUT/pages.parquet), OUT/removed.jsonl (the audit of every
removal, in input order), OUT/failed.jsonl (pages that failed this run, with the stage and the problem)
and OUT/run.json (what this run did). Inputs are only ever read.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import Any

from cleanpipe import __version__
from cleanpipe.config import Config
from cleanpipe.corpus.neardup import KEEP_POLICIES, Duplicate, NearDupIndex, NearDupSettings, PageKeys, page_keys
from cleanpipe.document import CleanError
from cleanpipe.executors.lock import OutputLock
from cleanpipe.executors.state import FileState, State
from cleanpipe.io.files import write_atomic
from cleanpipe.io.readers import InputFile, ReadOptions, Uniquifier, iter_files, read_file
from cleanpipe.io.records import PageRecord, ReadFailure
from cleanpipe.io.writers import CORPUS_FILES, FORMATS, page_record, write_jsonl, write_parquet
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.render import set_front_matter_fields, split_front_matter

AUDIT_FILE = "removed.jsonl"
FAILED_FILE = "failed.jsonl"
RUN_FILE = "run.json"
DUPLICATES_FILE = "duplicates.jsonl"
STATE_DIR = ".cleanpipe"
# Pages dropped as duplicates (--dedup drop, --format md) are moved here, so a later run that keeps them
# after all (a new policy, an edited page) puts them back without cleaning them again.
DROPPED_DIR = "dropped"
DEDUP_MODES = ("drop", "flag", "off")
# Pages per task sent to a worker: large enough to amortise the process hop, small enough to keep the
# pool busy and memory low.
SHARD_SIZE = 32
_PR_SET_PDEATHSIG = 1
_DIGEST_CHUNK = 1 << 20
_STOP_POLL_SECONDS = 0.2
# Skipped pages are marked in the state this many at a time.
_SEEN_BATCH = 2000

Event = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class BatchOptions:
    inputs: tuple[str | Path, ...]
    output: Path
    config: Config = field(default_factory=Config)
    workers: int = 1
    format: str = "md"
    force: bool = False
    shard_size: int = SHARD_SIZE
    # Near-duplicate pages across the corpus: drop them, flag them in their metadata, or leave them.
    dedup: str = "drop"
    keep: str = "first"
    near_dup: NearDupSettings = field(default_factory=NearDupSettings)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.dedup not in DEDUP_MODES:
            raise ValueError(f"--dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if self.keep not in KEEP_POLICIES:
            raise ValueError(f"--keep must be one of {', '.join(KEEP_POLICIES)}, not {self.keep!r}")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")


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
    run: int = 0
    lock_taken_over: dict[str, object] | None = None
    duplicates: dict[str, Any] = field(default_factory=dict)

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
            "output": str(options.output),
            "format": options.format,
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


@dataclass(frozen=True)
class _Task:
    pages: list[tuple[str, int, PageRecord, str]]  # (input file, position in it, page, input hash)
    output: str
    temporary: str
    format: str
    config: Config
    pipeline: Pipeline | None
    near_dup: NearDupSettings | None


@dataclass
class _Outcome:
    file: str
    pos: int
    id: str
    source: str
    input_hash: str
    output: str = ""
    problem: str = ""
    stage: str = ""
    audit: str = ""
    record: str | None = None
    chars_in: int = 0
    chars_out: int = 0
    removals: Counter[str] = field(default_factory=Counter)
    removed_chars: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    keys: PageKeys | None = None


class Interrupted(Exception):
    """The run was stopped by a signal (SIGTERM); the workers were stopped with it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signal.Signals(signum).name}")
        self.signum = signum


def run_batch(options: BatchOptions, *, pipeline: Pipeline | None = None, on_event: Event | None = None) -> RunSummary:
    """Run the batch described by `options`. Raises LockHeld when another run holds the output folder,
    and Interrupted when SIGTERM stops it (outputs written so far stay; the next run resumes)."""
    with _stop_on_signals() as stop:
        return _run_batch(options, pipeline, on_event, stop)


class _Stop:
    """A stop request from a signal, acted on at safe points of the run: raising from the signal handler
    itself could land inside the process pool's own locks and hang the shutdown."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def check(self) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)

    def wait(self, future: Future[list[_Outcome]]) -> list[_Outcome]:
        """A shard's result, looking for a stop request while waiting."""
        while True:
            self.check()
            try:
                return future.result(timeout=_STOP_POLL_SECONDS)
            except FutureTimeout:
                continue


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


def _run_batch(options: BatchOptions, pipeline: Pipeline | None, on_event: Event | None, stop: _Stop) -> RunSummary:
    emit = on_event or (lambda kind, data: None)
    output = options.output
    output.mkdir(parents=True, exist_ok=True)
    state_dir = output / STATE_DIR
    with OutputLock(state_dir / "lock") as lock:
        temporary = state_dir / "tmp"
        shutil.rmtree(temporary, ignore_errors=True)  # a killed run's half-written files
        temporary.mkdir(parents=True)
        state = State(state_dir / "state.sqlite")
        try:
            summary = _run_locked(options, state, temporary, pipeline, emit, stop)
        finally:
            state.close()
        summary.lock_taken_over = lock.took_over
        write_atomic(output / RUN_FILE, json.dumps(summary.to_json(options), ensure_ascii=False, indent=2) + "\n")
        shutil.rmtree(temporary, ignore_errors=True)
    return summary


def _run_locked(
    options: BatchOptions, state: State, temporary: Path, pipeline: Pipeline | None, emit: Event, stop: _Stop
) -> RunSummary:
    started = time.perf_counter()
    summary = RunSummary(config_hash=_config_hash(options))
    run = summary.run = state.begin_run(time.time())
    index = NearDupIndex(options.output / STATE_DIR / "dedup", options.near_dup, db=state.db)
    batch = _Batch(options, state, run, summary, emit, temporary, pipeline, stop, index)
    try:
        for ordinal, file in enumerate(iter_files(list(options.inputs), batch.read_options)):
            batch.read(file, ordinal)
        batch.drain()
    except BaseException:
        batch.stop()
        raise
    finally:
        batch.close()
    stop.check()
    unapplied = _near_duplicates(options, state, index, run, summary, emit)
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


class _Batch:
    """The reading side of a run: skips unchanged files and pages, sends the rest to the workers in
    shards, and records what comes back, in input order."""

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
    ) -> None:
        self.options, self.state, self.run, self.summary, self.emit = options, state, run, summary, emit
        self.index = index
        self.stop_request = stop
        self.temporary, self.pipeline = temporary, pipeline
        self.read_options = read_options(options)
        # Ids and outputs stay unique across several inputs; one input is unique by construction.
        self.unique = Uniquifier() if len(options.inputs) > 1 else None
        self.layout = hashlib.sha256()
        self.processed = 0
        self.pool = _pool(options.workers)
        self.pending: deque[Future[list[_Outcome]]] = deque()
        self.shard: list[tuple[str, int, PageRecord, str]] = []
        self.seen: list[tuple[int, str, int, str]] = []
        self.files: dict[str, _FileProgress] = {}

    def read(self, file: InputFile, ordinal: int) -> None:
        self.stop_request.check()
        current = _file_state(file, self.summary.config_hash)
        self.layout.update(f"{current.path}\0{current.digest}\n".encode())
        unchanged = None if self.options.force else self.state.unchanged_file(current)
        if unchanged is not None and self._outputs_exist(current.path):
            self._keep_file(current, ordinal, unchanged)
            return
        progress = self.files[current.path] = _FileProgress(current, ordinal)
        for pos, item in enumerate(read_file(file, self.read_options)):
            if isinstance(item, ReadFailure):
                progress.failed = True
                _fail(self.summary, self.emit, item.id, item.source, "read", item.problem)
                continue
            self._page(self.unique.unique(item) if self.unique else item, progress, pos)
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

    def _page(self, item: PageRecord, progress: _FileProgress, pos: int) -> None:
        self.stop_request.check()
        self.summary.pages += 1
        progress.expected += 1
        input_hash = _input_hash(item)
        if _unchanged(self.options, self.state, item, input_hash, self.summary.config_hash):
            self.seen.append((self.run, progress.state.path, pos, item.id))
            self.summary.skipped += 1
            progress.collected += 1
            if len(self.seen) >= _SEEN_BATCH:
                self._flush_seen()
            return
        self.shard.append((progress.state.path, pos, item, input_hash))
        self.processed += 1
        if len(self.shard) >= self.options.shard_size:
            self._send()
        # Finished shards are committed as soon as they are at the head of the queue, so a killed run loses
        # little; a full queue waits for its oldest shard, which bounds memory.
        while self.pending and (self.pending[0].done() or len(self.pending) > 2 * self.options.workers):
            self._collect(self.stop_request.wait(self.pending.popleft()))

    def _send(self) -> None:
        task = _Task(
            list(self.shard),
            str(self.options.output),
            str(self.temporary),
            self.options.format,
            self.options.config,
            self.pipeline,
            self.options.near_dup if self.options.dedup != "off" else None,
        )
        self.pending.append(_submit(self.pool, task))
        self.shard = []

    def drain(self) -> None:
        if self.shard:
            self._send()
        while self.pending:
            self._collect(self.stop_request.wait(self.pending.popleft()))
        self._flush_seen()
        for progress in list(self.files.values()):
            self._file_done(progress)

    def _flush_seen(self) -> None:
        self.state.mark_seen(self.seen)
        self.seen.clear()
        self._progress()

    def _collect(self, outcomes: list[_Outcome]) -> None:
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

    def stop(self) -> None:
        if self.pool is not None:
            _stop_workers(self.pool)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _file_state(file: InputFile, config_hash: str) -> FileState:
    """An input file's identity: where it is, its size and time, and a digest of its bytes (so a file
    rewritten with the same time and size is still seen to change)."""
    stat = file.path.stat()
    digest = hashlib.sha256()
    with file.path.open("rb") as stream:
        while chunk := stream.read(_DIGEST_CHUNK):
            digest.update(chunk)
    return FileState(
        str(file.path.resolve()), stat.st_size, stat.st_mtime_ns, digest.hexdigest(), config_hash, __version__
    )


def read_options(options: BatchOptions) -> ReadOptions:
    """The readers' options for a run: field names from the config's [input] table, the output skipped."""
    fields = dict(options.config.input)
    return ReadOptions(**fields, exclude=options.output)


def _config_hash(options: BatchOptions) -> str:
    """What the outputs depend on besides the input: the settings and the output format."""
    return hashlib.sha256(f"{options.config.digest()}\0{options.format}".encode()).hexdigest()[:16]


def _input_hash(record: PageRecord) -> str:
    digest = hashlib.sha256(
        record.data.encode("utf-8", "surrogatepass") if isinstance(record.data, str) else record.data
    )
    digest.update(json.dumps([record.url, record.title, record.html, str(record.output)], ensure_ascii=False).encode())
    return digest.hexdigest()


def _unchanged(options: BatchOptions, state: State, record: PageRecord, input_hash: str, config_hash: str) -> bool:
    if options.force:
        return False
    done = state.done(record.id)
    if done is None or (done.input_hash, done.config_hash, done.version) != (input_hash, config_hash, __version__):
        return False
    return options.format != "md" or _md_output_exists(options.output, done.output)


def _md_output_exists(output: Path, name: str) -> bool:
    """A page's Markdown is in the output folder, or set aside there as a dropped duplicate."""
    return any(path.is_file() for path in _md_places(output, name))


def _pool(workers: int) -> ProcessPoolExecutor | None:
    if workers <= 1:
        return None
    # spawn: workers start from a fresh interpreter (not a copy of a process that may run a progress
    # thread) and are children of this process, so PR_SET_PDEATHSIG ends them if it dies, even by SIGKILL.
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_die_with_parent)


def _die_with_parent() -> None:
    """A worker ends when the run does, even if the run is killed with SIGKILL (Linux's PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers still end when the run ends normally
        pass


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop workers at once (the run is being stopped): terminating them beats waiting for their shards.
    ProcessPoolExecutor has no public way to do this, so its process table is used."""
    # Before Python 3.11.4 the pool's queue feeder thread could block for ever sending to workers that are
    # gone, and shutdown waited for it: cancelling the queue's join lets the run end.
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        call_queue.cancel_join_thread()
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()


def _submit(pool: ProcessPoolExecutor | None, task: _Task) -> Future[list[_Outcome]]:
    if pool is not None:
        return pool.submit(clean_shard, task)
    future: Future[list[_Outcome]] = Future()
    future.set_result(clean_shard(task))
    return future


def clean_shard(task: _Task) -> list[_Outcome]:
    """Clean one shard of pages (in a worker process, or in this one for --workers 1)."""
    pipeline = task.pipeline or Pipeline()
    return [_clean_page(file, pos, record, input_hash, task, pipeline) for file, pos, record, input_hash in task.pages]


def _clean_page(file: str, pos: int, record: PageRecord, input_hash: str, task: _Task, pipeline: Pipeline) -> _Outcome:
    outcome = _Outcome(file=file, pos=pos, id=record.id, source=record.source, input_hash=input_hash)
    name = str(record.output) + ".md"
    target = Path(task.output) / name
    try:
        if task.format == "md" and target.exists() and Path(record.source).exists() and target.samefile(record.source):
            raise CleanError(record.source, f"output {target} would overwrite an input; choose another -o")
        metadata = {key: value for key, value in (("url", record.url), ("title", record.title)) if value}
        metadata.update(record.metadata)
        result = pipeline.clean(
            record.data,
            source=record.source,
            config=task.config.for_url(record.url),
            metadata=metadata,
            html=record.html,
        )
    except CleanError as error:
        outcome.problem, outcome.stage = error.problem, error.stage or ""
        return outcome
    if task.format == "md":
        write_atomic(target, result.markdown, temporary_folder=Path(task.temporary))
    else:
        removed_counts = Counter(removal.stage for removal in result.removals)
        outcome.record = json.dumps(
            page_record(
                record.id, record.source, result.markdown, result.metadata, dict(sorted(removed_counts.items()))
            ),
            ensure_ascii=False,
            sort_keys=True,
        )
    outcome.output = str(record.output)
    if task.near_dup is not None:
        outcome.keys = page_keys(split_front_matter(result.markdown)[1], task.near_dup)
    lines = []
    for removal in result.removals:
        outcome.removals[removal.stage] += 1
        outcome.removed_chars[f"{removal.stage}/{removal.rule}"] += len(removal.text)
        entry = {"page": record.id, "source": record.source, "output": name, **removal.to_dict()}
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    outcome.audit = "".join(lines)
    document = result.document
    outcome.chars_in = len(document.text) if document else 0
    outcome.chars_out = len(result.markdown)
    outcome.timings = result.timings
    outcome.warnings = result.warnings
    return outcome


def _collect(
    outcomes: list[_Outcome],
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
    options: BatchOptions, state: State, index: NearDupIndex, run: int, summary: RunSummary, emit: Event
) -> set[str]:
    """The corpus pass after cleaning: near-duplicates among this run's pages and every earlier run's,
    applied to the Markdown outputs, listed in duplicates.jsonl. Returns the pages whose treatment changed
    since the outputs last showed it (the caller rewrites the audit and corpus files, then marks it done)."""
    started = time.perf_counter()
    text_of = _CleanText(options, state)
    if options.dedup == "off":
        report = index.clear_decisions()
    else:
        # Pages cleaned while the pass was off, or before its settings changed, are signed from their text.
        unsigned = list(index.unsigned(state.this_run_ids(run)))
        index.add((page, page_keys(text, options.near_dup)) for page in unsigned if (text := text_of(page)) is not None)
        report = index.run_pass(text_of, options.keep)
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
        "threshold": options.near_dup.threshold,
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
    for duplicate in index.duplicates():
        _place_markdown(options, state, duplicate.page, duplicate)
        unapplied.discard(duplicate.page)
    for page in sorted(unapplied):
        _place_markdown(options, state, page, None)


def _place_markdown(options: BatchOptions, state: State, page: str, duplicate: Duplicate | None) -> None:
    found = state.page_output(page)
    if found is None:
        return
    shown, aside = _md_places(options.output, found[0])
    if duplicate is not None and options.dedup == "drop":
        if shown.is_file():
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(shown, aside)
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

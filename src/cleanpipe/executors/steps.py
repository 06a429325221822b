"""The steps a batch run gives its executor: survey files, clean a page (decide), write its Markdown (write).

The run's driver never reads a page. `survey_files` reads input files where the workers are and gives back
what the driver decides on: each file's identity (its digest) and, per page, a PageRef (id, output, input
hash, and where its record starts). The driver then sends shard tasks of PageRefs; `clean_shard` reads those
pages again from their files (seeking to them in a file stored uncompressed), cleans and writes them.

`clean_page` runs the pipeline on one page and returns what the run needs to know of it, a PageOutcome:
its Markdown or corpus record, its audit lines, its near-duplicate keys, its counts. It writes nothing.
`write_page` is the writer: it puts a page's Markdown in the output folder, atomically. `clean_shard`,
the task an executor runs, is the two steps over a shard of pages. Both are deterministic, so a task run
again (on another node after a lost one) gives the same outcome and the same file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pickle
import signal
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np

from cleanpipe import __version__
from cleanpipe.config import Config
from cleanpipe.corpus.neardup import NearDupSettings, PageKeys, signed_page, store_shingle_sets
from cleanpipe.document import CleanError, PageOvertime
from cleanpipe.executors.state import FileState
from cleanpipe.io.files import write_atomic
from cleanpipe.io.readers import InputFile, ReadOptions, ReadStart, read_places
from cleanpipe.io.records import PageRecord, ReadFailure
from cleanpipe.io.text import name_text
from cleanpipe.io.writers import page_record
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.classify import load_model
from cleanpipe.stages.render import split_front_matter

_DIGEST_CHUNK = 1 << 20
# A file's survey with more items than this is handed back in a file beside the outputs, not in memory,
# so the driver holds one survey's references at a time whatever the size of a dump.
SPILL_ITEMS = 20_000
# Two pages of one file this many records apart or more are read from their own places, not by reading
# through the records between them (when the file can seek).
SEEK_GAP = 64


# -- survey ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRef:
    """A page as the survey found it, without its text: its ordinal in its file (`pos`, counting failures),
    where its record starts, its id and output (a run may rename them to keep them unique across inputs),
    its input hash (what the incremental run compares) and a digest of its content, which the worker
    cleaning it checks, to see that it read the same page again."""

    pos: int
    place: ReadStart
    id: str
    source: str
    output: PurePosixPath
    input_hash: str
    check: str
    repairs: tuple[str, ...] = ()  # the page's warnings from reading, which a read from its place may not see


@dataclass(frozen=True)
class SurveyTask:
    """Files to survey, each with what the state holds for it (a file found the same, digest and all, is
    not read further: it is unchanged), and how to read them."""

    files: list[tuple[InputFile, FileState | None]]
    read: ReadOptions
    config_hash: str
    spill: str = ""  # a folder every worker and the driver see, for a large survey's items ('': none)


@dataclass
class FileSurvey:
    """A file's identity and its items (page references and read failures), in file order: in `items`,
    or in the file `spilled` (pickled one after another) for a large one; `read` is False for a file
    found as the state holds it (not read further). `seekable`: every page can be read from its place
    without reading what comes before it."""

    file: InputFile
    state: FileState
    read: bool = True
    items: list[PageRef | ReadFailure] = field(default_factory=list)
    spilled: str = ""
    count: int = 0
    seekable: bool = True

    def all_items(self) -> Iterator[PageRef | ReadFailure]:
        """The items, read back from the spill file (then deleted) for a large survey."""
        if not self.spilled:
            yield from self.items
            return
        with open(self.spilled, "rb") as stream:
            for _ in range(self.count):
                yield pickle.load(stream)
        os.unlink(self.spilled)


def survey_files(task: SurveyTask) -> list[FileSurvey]:
    """The task of the reading side of a run: each file's identity and its pages' references."""
    surveys = []
    for file, known in task.files:
        try:
            state = file_state(file, task.config_hash)
        except OSError as error:  # gone since it was listed, unreadable: a failure of this file only
            surveys.append(failed_survey(file, task.config_hash, f"cannot read: {error}"))
            continue
        if state == known:
            surveys.append(FileSurvey(file, state, read=False))
        else:
            surveys.append(_survey(FileSurvey(file, state), _refs(file, task.read), task.spill))
    return surveys


def failed_survey(file: InputFile, config_hash: str, problem: str, size: int = 0) -> FileSurvey:
    """The survey of a file that could not be read: one failure, and an identity no later run finds
    unchanged (no digest), so the file is read again."""
    state = FileState(file_key(file), size, 0, "", config_hash, __version__)
    return FileSurvey(file, state, items=[ReadFailure(file.relative.as_posix(), file.where, problem)], count=1)


def _survey(survey: FileSurvey, items: Iterator[PageRef | ReadFailure], spill: str) -> FileSurvey:
    """The survey with its items, kept in memory up to SPILL_ITEMS, the rest of them (and those) in a file."""
    stream = None
    try:
        for item in items:
            if isinstance(item, PageRef) and item.place.offset < 0 and item.place.position:
                survey.seekable = False
            survey.count += 1
            if stream is not None:
                pickle.dump(item, stream, pickle.HIGHEST_PROTOCOL)
                continue
            survey.items.append(item)
            if spill and len(survey.items) > SPILL_ITEMS:
                Path(spill).mkdir(parents=True, exist_ok=True)
                handle, survey.spilled = tempfile.mkstemp(dir=spill, suffix=".refs")
                stream = os.fdopen(handle, "wb")
                for kept in survey.items:
                    pickle.dump(kept, stream, pickle.HIGHEST_PROTOCOL)
                survey.items = []
    finally:
        if stream is not None:
            stream.close()
    return survey


def _refs(file: InputFile, options: ReadOptions) -> Iterator[PageRef | ReadFailure]:
    for pos, (place, item) in enumerate(read_places(file, options)):
        if isinstance(item, ReadFailure):
            yield item
        else:
            yield PageRef(
                pos, place, item.id, item.source, item.output, input_hash(item), content_check(item), item.repairs
            )


def file_state(file: InputFile, config_hash: str) -> FileState:
    """An input file's identity: where it is, its size and time, and a digest of its bytes (so a file
    rewritten with the same time and size is still seen to change)."""
    stat = file.path.stat()
    digest = hashlib.sha256()
    with file.path.open("rb") as stream:
        while chunk := stream.read(_DIGEST_CHUNK):
            digest.update(chunk)
    return FileState(file_key(file), stat.st_size, stat.st_mtime_ns, digest.hexdigest(), config_hash, __version__)


def file_key(file: InputFile) -> str:
    """How the state names an input file: its absolute path, as text."""
    return name_text(str(file.path.resolve()))


def input_hash(record: PageRecord) -> str:
    """What a page's output depends on in its input: its text, URL, title, kind and output name."""
    digest = hashlib.sha256(_data_bytes(record))
    digest.update(json.dumps([record.url, record.title, record.html, str(record.output)], ensure_ascii=False).encode())
    return digest.hexdigest()


def content_check(record: PageRecord) -> str:
    """A digest of the page's content (not its name, which depends on where reading started)."""
    digest = hashlib.blake2b(_data_bytes(record), digest_size=16)
    digest.update(json.dumps([record.url, record.title, record.html], ensure_ascii=False).encode())
    return digest.hexdigest()


def _data_bytes(record: PageRecord) -> bytes:
    return record.data.encode("utf-8", "surrogatepass") if isinstance(record.data, str) else record.data


# -- clean -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardTask:
    """Pages to clean, with what reading, cleaning and writing them needs: (the state's name of the input
    file, the file, the page's reference) each, in file order, and how to read them; the output folder
    and its temporary folder (absolute paths, as workers may run in another folder or on another node),
    the output format, the config, the pipeline (None: the default one), the near-duplicate settings
    (None: the pass is off) and the folder where the pages' shingle sets are stored for the pass."""

    pages: list[tuple[str, InputFile, PageRef]]
    read: ReadOptions
    output: str
    temporary: str
    format: str
    config: Config
    pipeline: Pipeline | None
    near_dup: NearDupSettings | None
    shingles: str = ""


@dataclass
class PageOutcome:
    file: str
    pos: int
    id: str
    source: str
    input_hash: str
    output: str = ""
    problem: str = ""
    stage: str = ""
    audit: str = ""
    markdown: str | None = None  # for the writer; None once written
    record: str | None = None  # the page's corpus record (--format jsonl/parquet)
    chars_in: int = 0
    chars_out: int = 0
    removals: Counter[str] = field(default_factory=Counter)
    removed_chars: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    keys: PageKeys | None = None
    shingle_set: np.ndarray | None = None  # for the writer; None once stored


CHANGED = "the input file changed while this run read it; the next run cleans this page"


def clean_shard(task: ShardTask) -> list[PageOutcome]:
    """The task of a batch run: every page of the shard read, cleaned, then written, and the shard's
    shingle sets stored for the near-duplicate pass."""
    pipeline = task.pipeline or Pipeline()
    outcomes = []
    for file, ref, record in shard_records(task.pages, task.read):
        if record is None:
            outcome = PageOutcome(file, ref.pos, ref.id, ref.source, ref.input_hash, problem=CHANGED, stage="read")
        else:
            outcome = clean_page(file, ref.pos, record, ref.input_hash, task, pipeline)
        if task.format == "md":
            write_page(outcome, task)
        outcomes.append(outcome)
    write_shingle_sets(outcomes, task)
    return outcomes


def shard_records(
    pages: list[tuple[str, InputFile, PageRef]], options: ReadOptions
) -> Iterator[tuple[str, PageRef, PageRecord | None]]:
    """Each page read again from its file, named as its reference says; None for a page that is not
    what the survey found (the file changed since). In the order given."""
    for key, group in itertools.groupby(pages, key=lambda page: page[0]):
        items = list(group)
        file = items[0][1]
        for run in _runs([ref for _, _, ref in items]):
            for ref, record in _read_run(file, run, options):
                yield key, ref, record


def _runs(refs: list[PageRef]) -> Iterator[list[PageRef]]:
    """The references split where reading from the next one's own place beats reading through the gap."""
    run = [refs[0]]
    for ref in refs[1:]:
        if ref.place.offset >= 0 and ref.place.position - run[-1].place.position >= SEEK_GAP:
            yield run
            run = []
        run.append(ref)
    yield run


def _read_run(
    file: InputFile, refs: list[PageRef], options: ReadOptions
) -> Iterator[tuple[PageRef, PageRecord | None]]:
    wanted = {ref.pos: ref for ref in refs}
    last = refs[-1].pos
    start = refs[0].place
    for ordinal, (_, item) in enumerate(read_places(file, options, start), start.ordinal):
        if ordinal > last:
            break
        ref = wanted.pop(ordinal, None)
        if ref is None:
            continue
        if isinstance(item, ReadFailure) or content_check(item) != ref.check:
            yield ref, None
        elif (item.id, item.output, item.repairs) != (ref.id, ref.output, ref.repairs):
            yield ref, replace(item, id=ref.id, output=ref.output, repairs=ref.repairs)
        else:
            yield ref, item
    for ref in wanted.values():  # the file is shorter than it was
        yield ref, None


def clean_page(
    file: str, pos: int, record: PageRecord, input_hash: str, task: ShardTask, pipeline: Pipeline
) -> PageOutcome:
    """One page cleaned: its Markdown (or corpus record), audit lines and keys. Writes nothing."""
    outcome = PageOutcome(file=file, pos=pos, id=record.id, source=record.source, input_hash=input_hash)
    name = str(record.output) + ".md"
    config = task.config.for_url(record.url)
    try:
        metadata = {key: value for key, value in (("url", record.url), ("title", record.title)) if value}
        metadata.update(record.metadata)
        load_model()  # once per worker, not counted against the first page that needs it
        with cpu_limit(config.max_page_seconds):
            result = pipeline.clean(
                record.data, source=record.source, config=config, metadata=metadata, html=record.html
            )
    except CleanError as error:
        outcome.problem, outcome.stage = error.problem, error.stage or ""
        return outcome
    except PageOvertime as error:  # the timer ticked again while a stage's overtime was being reported
        outcome.problem, outcome.stage = str(error), ""
        return outcome
    if task.format == "md":
        outcome.markdown = result.markdown
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
        outcome.keys, shingle_set = signed_page(
            split_front_matter(result.markdown)[1], task.near_dup, shingle_set=bool(task.shingles)
        )
        outcome.shingle_set = shingle_set if task.shingles else None
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
    outcome.warnings = [*record.repairs, *result.warnings]
    return outcome


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise PageOvertime in the code run inside once this process has spent `seconds` of CPU time in
    it (a profiling timer, SIGPROF: CPU time, so a busy machine does not fail pages). The regex engine
    checks for signals as it matches, so a stuck pattern stops too; C code that does not (lxml's parser)
    stops when it returns. The timer then keeps ticking (every 0.05 s of CPU at most) and raises again
    until someone has caught the error (Pipeline.run marks it): Python ignores an exception raised while
    a finaliser (`__del__`) runs, so a single signal landing there would let an over-long page through.
    Only in a process's main thread, where Python runs signal handlers, as in the batch workers;
    elsewhere, or with 0 seconds, no limit."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    armed = True
    raised: list[PageOvertime] = []

    def overtime(signum: int, frame: object) -> None:
        # a signal landing after the code finished, before the timer was stopped, is ignored; so is one
        # landing after the error was caught, while the catcher turns it into a page failure
        if armed and not (raised and raised[-1].caught):
            raised.append(PageOvertime(seconds))
            raise raised[-1]

    previous = signal.signal(signal.SIGPROF, overtime)
    signal.setitimer(signal.ITIMER_PROF, seconds, min(seconds, 0.05))
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def write_page(outcome: PageOutcome, task: ShardTask) -> None:
    """The writer: the page's Markdown to OUTPUT/<name>.md, atomically; the outcome then drops the text
    (it does not travel back to the run). A page whose output would overwrite its own input fails."""
    if outcome.markdown is None:
        return
    target = Path(task.output) / (outcome.output + ".md")
    if _same_file(target, outcome.file):
        outcome.problem = f"output {target} would overwrite an input; choose another -o"
        outcome.stage, outcome.markdown, outcome.keys = "write", None, None
        return
    write_atomic(target, outcome.markdown, temporary_folder=Path(task.temporary))
    outcome.markdown = None


def write_shingle_sets(outcomes: list[PageOutcome], task: ShardTask) -> None:
    """The writer of the shard's shingle sets: one file for the shard, named from its pages, so a task
    run again writes the same file; each page's keys say where its set is."""
    signed = [(o, o.keys, o.shingle_set) for o in outcomes if o.keys is not None and o.shingle_set is not None]
    if not signed or not task.shingles:
        return
    name = hashlib.sha256("\0".join(f"{o.file}\0{o.pos}\0{o.input_hash}" for o, _, _ in signed).encode())
    places = store_shingle_sets(Path(task.shingles), [item for _, _, item in signed], name=name.hexdigest()[:32])
    for (outcome, keys, _), place in zip(signed, places, strict=True):
        outcome.keys, outcome.shingle_set = replace(keys, shingles=place), None


def _same_file(target: Path, source: str) -> bool:
    try:
        return target.exists() and target.samefile(source)
    except OSError:  # the input is gone: nothing to overwrite
        return False

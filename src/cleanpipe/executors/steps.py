"""The steps a batch run gives its executor: clean a page (decide), write its Markdown (write).

`clean_page` runs the pipeline on one page and returns what the run needs to know of it, a PageOutcome:
its Markdown or corpus record, its audit lines, its near-duplicate keys, its counts. It writes nothing.
`write_page` is the writer: it puts a page's Markdown in the output folder, atomically. `clean_shard`,
the task an executor runs, is the two steps over a shard of pages. Both are deterministic, so a task run
again (on another node after a lost one) gives the same outcome and the same file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from cleanpipe.config import Config
from cleanpipe.corpus.neardup import NearDupSettings, PageKeys, signed_page, store_shingle_sets
from cleanpipe.document import CleanError
from cleanpipe.io.files import write_atomic
from cleanpipe.io.records import PageRecord
from cleanpipe.io.writers import page_record
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.render import split_front_matter


@dataclass(frozen=True)
class ShardTask:
    """Pages to clean, with what cleaning and writing them needs: (input file, position in it, page,
    input hash) each, the output folder and its temporary folder (absolute paths, as workers may run in
    another folder or on another node), the output format, the config, the pipeline (None: the default
    one), the near-duplicate settings (None: the pass is off) and the folder where the pages' shingle
    sets are stored for the pass."""

    pages: list[tuple[str, int, PageRecord, str]]
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


def clean_shard(task: ShardTask) -> list[PageOutcome]:
    """The task of a batch run: every page of the shard cleaned, then written, and the shard's shingle
    sets stored for the near-duplicate pass."""
    pipeline = task.pipeline or Pipeline()
    outcomes = []
    for file, pos, record, input_hash in task.pages:
        outcome = clean_page(file, pos, record, input_hash, task, pipeline)
        if task.format == "md":
            write_page(outcome, task)
        outcomes.append(outcome)
    write_shingle_sets(outcomes, task)
    return outcomes


def clean_page(
    file: str, pos: int, record: PageRecord, input_hash: str, task: ShardTask, pipeline: Pipeline
) -> PageOutcome:
    """One page cleaned: its Markdown (or corpus record), audit lines and keys. Writes nothing."""
    outcome = PageOutcome(file=file, pos=pos, id=record.id, source=record.source, input_hash=input_hash)
    name = str(record.output) + ".md"
    try:
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

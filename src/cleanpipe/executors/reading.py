"""The reading side of a run, on an executor: input files surveyed where the workers are, in order.

The driver lists the input files (a folder walk, a bucket listing) and sends them in groups to
`survey_files` (executors/steps.py); what comes back is each file's identity and a PageRef per page, never
the pages' text. `survey_all` gives the surveys in input order; `shards` cuts the references into shards
for the tasks that read the pages again and work on them (the batch run's cleaning, the learn pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleanpipe.executors.base import Executor, map_isolating, run_alone
from cleanpipe.executors.state import FileState
from cleanpipe.executors.steps import FileSurvey, PageRef, SurveyTask, failed_survey, survey_files
from cleanpipe.io.readers import InputFile, ReadOptions, Uniquifier, iter_files
from cleanpipe.io.records import ReadFailure

# Files surveyed per task: up to this many, and up to this many bytes (a larger file is a task alone, so
# big files are surveyed side by side).
SURVEY_FILES = 32
SURVEY_BYTES = 4 << 20
# A file that cannot seek to its pages (compressed, WARC) is worked on in about this many tasks (of at
# least a shard each), each reading it from its start to its pages. Fewer tasks read it less often; more
# spread it over more workers and end a run with shorter tasks. Reading a JSON Lines page through costs
# about 1/500 of cleaning it, so 24 tasks add about 24/1000 (2.4%) to the file's cleaning.
TASKS_PER_UNSEEKABLE_FILE = 24

Check = Callable[[], None]


@dataclass(frozen=True)
class Inputs:
    """Input files, folders and patterns (as for `cleanpipe run`), to be read by an executor's workers:
    a step given Inputs reads the pages where it runs, and the caller sees none of their text."""

    paths: Sequence[str | Path]
    read: ReadOptions = field(default_factory=ReadOptions)


def survey_all(
    executor: Executor[Any], tasks: Iterable[SurveyTask], check: Check | None = None
) -> Iterator[FileSurvey]:
    """Every file's survey, in order. A lost worker makes the surveys in flight run again one file per
    task, and a file whose reading kills a worker again fails alone (base.map_isolating)."""
    for surveys in map_isolating(executor, survey_files, tasks, split=_one_file_each, failed=_died, check=check):
        yield from surveys


def survey_alone(executor: Executor[Any], task: SurveyTask, check: Check | None = None) -> FileSurvey:
    """The survey of a task's one file, on a fresh worker; a failure when reading it kills that worker too."""
    return run_alone(executor, survey_files, task, _died, check)[0]


def _one_file_each(task: SurveyTask) -> list[SurveyTask]:
    return [replace(task, files=[file]) for file in task.files]


def _died(task: SurveyTask) -> list[FileSurvey]:
    problem = "the worker process reading this file died (killed by the operating system, as when out of memory)"
    return [failed_survey(task.files[0][0], task.config_hash, problem, file_size(task.files[0][0]))]


def survey_tasks(
    files: Iterable[InputFile],
    options: ReadOptions,
    config_hash: str = "",
    known: Callable[[InputFile], FileState | None] = lambda file: None,
    spill: str = "",
) -> Iterator[SurveyTask]:
    """The files in groups (SURVEY_FILES, SURVEY_BYTES), each with what `known` says of it; a large
    survey's items go to a file in `spill` (see SurveyTask)."""
    group: list[tuple[InputFile, FileState | None]] = []
    size = 0
    for file in files:
        group.append((file, known(file)))
        size += file_size(file)
        if len(group) >= SURVEY_FILES or size >= SURVEY_BYTES:
            yield SurveyTask(group, options, config_hash, spill)
            group, size = [], 0
    if group:
        yield SurveyTask(group, options, config_hash, spill)


def shard_size_for(survey: FileSurvey, shard_size: int) -> int:
    """How many of the file's pages a task takes: `shard_size`, or more when the file cannot seek."""
    if survey.seekable:
        return shard_size
    return max(shard_size, -(-survey.count // TASKS_PER_UNSEEKABLE_FILE))


def shards(
    inputs: Sequence[str | Path],
    options: ReadOptions,
    executor: Executor[Any],
    shard_size: int,
    failures: list[ReadFailure],
    check: Check | None = None,
) -> Iterator[list[tuple[str, InputFile, PageRef]]]:
    """Every page under the inputs as references, in input order and in shards, surveyed on `executor`;
    ids and outputs unique across the inputs as `iter_pages` makes them; read failures go to `failures`."""
    unique = Uniquifier() if len(inputs) > 1 else None
    shard: list[tuple[str, InputFile, PageRef]] = []
    for survey in survey_all(executor, survey_tasks(iter_files(inputs, options), options), check):
        size = shard_size_for(survey, shard_size)
        for item in survey.all_items():
            if isinstance(item, ReadFailure):
                failures.append(item)
                continue
            shard.append((survey.state.path, survey.file, unique.unique(item) if unique else item))
            if len(shard) >= size:
                yield shard
                shard = []
    if shard:
        yield shard


def file_size(file: InputFile) -> int:
    """The file's size as listed; 0 when it cannot be had (the survey then says what is wrong)."""
    try:
        return int(file.path.stat().st_size)
    except OSError:
        return 0

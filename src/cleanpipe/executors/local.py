"""The local executor: clean every page under some inputs into an output folder, one page at a time.

A page that fails is reported (with its path and the problem) and the rest of the batch goes on. The
audit of every removal goes to `removed.jsonl` in the output folder. Inputs are only ever read.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cleanpipe.config import Config
from cleanpipe.document import CleanError
from cleanpipe.io.files import PageFile, discover, output_names, write_atomic
from cleanpipe.pipeline import Pipeline

AUDIT_FILE = "removed.jsonl"


@dataclass
class RunSummary:
    pages: int = 0
    written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: int = 0
    chars_in: int = 0
    chars_out: int = 0
    removed_chars: Counter[str] = field(default_factory=Counter)
    removals: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)


def run_folder(
    inputs: list[Path],
    output: Path,
    *,
    config: Config | None = None,
    pipeline: Pipeline | None = None,
    on_error: Callable[[str, str], None] | None = None,
    on_warning: Callable[[str, str], None] | None = None,
) -> RunSummary:
    config = config or Config()
    pipeline = pipeline or Pipeline()
    started = time.perf_counter()
    pages = list(discover(inputs, exclude=output))
    names = output_names(pages)
    input_paths = {page.path.resolve() for page in pages}
    summary = RunSummary(pages=len(pages))
    audit: list[str] = []
    resolved_output = output.resolve()
    for page in pages:
        target = output / names[page.path]
        try:
            if resolved_output / names[page.path] in input_paths:
                raise CleanError(str(page.path), f"output {target} would overwrite an input; choose another -o")
            warnings = _clean_one(page, target, pipeline, config, summary, audit)
            for warning in warnings:
                summary.warnings += 1
                if on_warning:
                    on_warning(str(page.path), f"{page.path}: {warning}")
        except CleanError as error:
            summary.failures.append((str(page.path), error.problem))
            if on_error:
                on_error(str(page.path), str(error))
        except OSError as error:
            summary.failures.append((str(page.path), str(error)))
            if on_error:
                on_error(str(page.path), f"{page.path}: {error}")
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(output / AUDIT_FILE, "".join(audit))
    summary.seconds = time.perf_counter() - started
    return summary


def _clean_one(
    page: PageFile, target: Path, pipeline: Pipeline, config: Config, summary: RunSummary, audit: list[str]
) -> list[str]:
    """Clean one page into `target`; returns the page's warnings (undecodable bytes and the like)."""
    raw = page.path.read_bytes()
    result = pipeline.clean(raw, source=str(page.path), config=config)
    write_atomic(target, result.markdown)
    summary.written += 1
    document = result.document
    summary.chars_in += len(document.text) if document else len(raw)
    summary.chars_out += len(result.markdown)
    for stage, chars in result.removed_chars().items():
        summary.removed_chars[stage] += chars
    for removal in result.removals:
        summary.removals[removal.stage] += 1
        record = {"page": str(page.path), "output": str(target), **removal.to_dict()}
        audit.append(json.dumps(record, ensure_ascii=False) + "\n")
    return result.warnings

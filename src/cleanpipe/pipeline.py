"""Pipeline: an ordered list of stages, and `clean()`, which runs the default one on one page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cleanpipe.config import Config
from cleanpipe.document import CleanError, Document, PageOvertime, Removal
from cleanpipe.stages.boilerplate import strip_boilerplate
from cleanpipe.stages.classify import classify_lines
from cleanpipe.stages.decode import decode
from cleanpipe.stages.dedup import collapse_duplicates
from cleanpipe.stages.escapes import repair_escapes
from cleanpipe.stages.html import read_html
from cleanpipe.stages.markup import repair_markup
from cleanpipe.stages.render import render_markdown
from cleanpipe.stages.repeats import cut_repeated_lines
from cleanpipe.stages.structure import detect_structure
from cleanpipe.text import stable_id

StageFunction = Callable[[Document, Config], Document]


@dataclass(frozen=True)
class Stage:
    """A named step: a plain callable `(doc, config) -> doc` that reads no files and keeps no state."""

    name: str
    run: StageFunction

    def __call__(self, doc: Document, config: Config) -> Document:
        return self.run(doc, config)


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("decode", decode),
    Stage("escapes", repair_escapes),
    Stage("html", read_html),
    Stage("markup", repair_markup),
    Stage("repeats", cut_repeated_lines),
    Stage("structure", detect_structure),
    Stage("boilerplate", strip_boilerplate),
    Stage("dedup", collapse_duplicates),
    Stage("classifier", classify_lines),
    Stage("render", render_markdown),
)


@dataclass(frozen=True)
class CleanResult:
    """What cleaning one page gives: the Markdown, its metadata, and every removal with its reason."""

    markdown: str
    metadata: dict[str, Any]
    removals: list[Removal]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    document: Document | None = field(default=None, repr=False, compare=False)


def as_stage(step: Stage | StageFunction) -> Stage:
    if isinstance(step, Stage):
        return step
    name = getattr(step, "name", None) or getattr(step, "__name__", None) or type(step).__name__
    return Stage(str(name), step)


class Pipeline:
    """An ordered list of stages. Users can drop, reorder, replace or add stages:

    >>> Pipeline().without("dedup").names()
    ['decode', 'escapes', 'html', 'markup', 'repeats', 'structure', 'boilerplate', 'classifier', 'render']
    """

    def __init__(self, stages: Iterable[Stage | StageFunction] | None = None) -> None:
        chosen = DEFAULT_STAGES if stages is None else stages
        self.stages: tuple[Stage, ...] = tuple(as_stage(step) for step in chosen)

    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def without(self, *names: str) -> Pipeline:
        self._check(names)
        return Pipeline(stage for stage in self.stages if stage.name not in names)

    def insert(self, step: Stage | StageFunction, *, after: str | None = None, before: str | None = None) -> Pipeline:
        anchor = after or before
        if anchor is None or (after and before):
            raise ValueError("give exactly one of after= or before=")
        self._check([anchor])
        stages = list(self.stages)
        position = self.names().index(anchor) + (1 if after else 0)
        stages.insert(position, as_stage(step))
        return Pipeline(stages)

    def replace(self, name: str, step: Stage | StageFunction) -> Pipeline:
        self._check([name])
        new = as_stage(step)
        return Pipeline(Stage(name, new.run) if stage.name == name else stage for stage in self.stages)

    def reorder(self, names: Sequence[str]) -> Pipeline:
        self._check(names)
        by_name = {stage.name: stage for stage in self.stages}
        return Pipeline(by_name[name] for name in names)

    def _check(self, names: Iterable[str]) -> None:
        unknown = [name for name in names if name not in self.names()]
        if unknown:
            raise ValueError(f"no stage named {', '.join(unknown)}; stages are {', '.join(self.names())}")

    def run(self, doc: Document, config: Config | None = None, *, strict: bool = False) -> Document:
        """The stages over `doc`. A stage that refuses the page raises CleanError; any other error (a bug,
        or a page no rule foresaw) is turned into a CleanError naming the page and the stage, so a batch
        fails that page and goes on, unless `strict`, when it propagates as it is (for tests that must
        tell a crash from a refusal)."""
        config = config or Config()
        timings: dict[str, float] = {}
        for stage in self.stages:
            started = time.perf_counter()
            try:
                doc = stage(doc, config)
            except CleanError:
                raise
            except PageOvertime as error:
                error.caught = True
                raise CleanError(doc.source, str(error), stage.name) from None
            except Exception as error:  # a bug or a pathological page: name the page and the stage
                if strict:
                    raise
                raise CleanError(doc.source, f"{type(error).__name__}: {error}", stage.name) from error
            timings[stage.name] = timings.get(stage.name, 0.0) + time.perf_counter() - started
        doc.metadata.setdefault("_timings", timings)
        return doc

    def clean(
        self,
        page: str | bytes,
        *,
        source: str | None = None,
        config: Config | None = None,
        metadata: dict[str, Any] | None = None,
        html: bool = False,
        strict: bool = False,
    ) -> CleanResult:
        doc = Document(original=page, id=stable_id(page), source=source, metadata=dict(metadata or {}), is_html=html)
        doc = self.run(doc, config, strict=strict)
        timings = doc.metadata.pop("_timings", {})
        public = {k: v for k, v in doc.metadata.items() if not k.startswith("_")}
        return CleanResult(
            markdown=doc.markdown,
            metadata=public,
            removals=list(doc.removals),
            warnings=list(doc.warnings),
            timings=timings,
            document=doc,
        )


def clean(
    page: str | bytes,
    *,
    source: str | None = None,
    config: Config | None = None,
    metadata: dict[str, Any] | None = None,
    html: bool = False,
    strict: bool = False,
) -> CleanResult:
    """Clean one page (text or bytes) with the default pipeline. Pure: no files, no state, thread-safe.

    `metadata` (url, title, …) is what the caller already knows of the page; `html` says the page is
    HTML when neither its source name nor its start shows it. A page that cannot be cleaned raises
    CleanError; with `strict`, an unexpected error in a stage propagates as it is instead of as one."""
    return Pipeline().clean(page, source=source, config=config, metadata=metadata, html=html, strict=strict)

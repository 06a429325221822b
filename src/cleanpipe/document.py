"""The objects that flow through the pipeline: Document, Block, Inline and Removal."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class CleanError(Exception):
    """A page that cannot be cleaned. The message names the page and the problem."""

    def __init__(self, source: str | None, problem: str, stage: str | None = None) -> None:
        self.source = source or "<text>"
        self.problem = problem
        self.stage = stage
        where = f" (stage {stage})" if stage else ""
        super().__init__(f"{self.source}: {problem}{where}")


class PageOvertime(BaseException):
    """Raised inside a stage when a page has used up its CPU time (Config.max_page_seconds, enforced by
    the batch workers). A BaseException, so no stage's `except Exception` can swallow it; Pipeline.run
    turns it into a CleanError naming the stage, and marks it `caught` so the timer stops raising."""

    def __init__(self, seconds: float) -> None:
        self.caught = False
        super().__init__(
            f"took more than {seconds:g} s of CPU time; stopped (max_page_seconds in the config; 0: no limit)"
        )


@dataclass(frozen=True)
class Inline:
    """A run of text inside a block; a link when `url` is set, an image when `image` is true.

    For an image, `text` is its alt text.
    """

    text: str
    url: str | None = None
    image: bool = False


@dataclass
class Block:
    """A unit of the page that is kept or removed as a whole.

    `line` is the 1-based line in the text after escape repair; `group` numbers the blank-line separated
    paragraph groups of that text, so stages can tell lines of one paragraph from separate paragraphs.
    """

    kind: str  # "title", "heading", "paragraph", "list_item", "image"
    inlines: tuple[Inline, ...]
    line: int = 0
    group: int = 0
    level: int = 0
    removed_by: str | None = None

    @property
    def text(self) -> str:
        """The block's readable text: link labels included, image URLs not."""
        return "".join(run.text for run in self.inlines if not run.image)

    @property
    def kept(self) -> bool:
        return self.removed_by is None

    @property
    def images(self) -> list[Inline]:
        return [run for run in self.inlines if run.image]


@dataclass(frozen=True)
class Removal:
    """One deletion, with enough context for a person to judge it."""

    stage: str
    rule: str
    text: str
    reason: str
    line: int | None = None
    block: int | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class Document:
    """One page. `original` is never changed; stages work on `text` and then on `blocks`."""

    original: str | bytes
    id: str = ""
    source: str | None = None
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    removals: list[Removal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    markdown: str = ""
    is_html: bool = False
    # The stage that read the page into blocks ('html' or 'markup'); a later reader leaves them alone.
    reader: str | None = None

    def kept_indices(self) -> list[int]:
        return [index for index, block in enumerate(self.blocks) if block.kept]

    def remove_block(
        self, index: int, *, stage: str, rule: str, reason: str, score: float | None = None
    ) -> None:
        """Mark a block removed and record why. Removing a removed block is a no-op."""
        block = self.blocks[index]
        if not block.kept:
            return
        block.removed_by = f"{stage}/{rule}"
        text = block.text or " ".join(run.url or "" for run in block.images)
        self.removals.append(
            Removal(stage=stage, rule=rule, text=text, reason=reason, line=block.line, block=index, score=score)
        )

    def record(
        self,
        *,
        stage: str,
        rule: str,
        text: str,
        reason: str,
        line: int | None = None,
        block: int | None = None,
        score: float | None = None,
    ) -> None:
        """Record a removal of part of a block or of characters from the text."""
        self.removals.append(
            Removal(stage=stage, rule=rule, text=text, reason=reason, line=line, block=block, score=score)
        )

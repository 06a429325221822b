"""What readers yield: one PageRecord per page, or a ReadFailure for input that cannot be read.

Readers stream: they yield records one at a time, in a stable order (files sorted, records in file order),
so memory stays bounded whatever the corpus size and every run sees the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from cleanpipe.io.text import has_surrogates, without_surrogates


@dataclass(frozen=True)
class PageRecord:
    """One page to clean.

    id:      stable identity of the page across runs: the file's path relative to its input root for page
             files ('site/a.txt'); for a record inside a container file, the container's relative path,
             '#', and the record's own id field or else its 1-based position ('dump.jsonl#42').
    source:  where a person finds it ('corpus/dump.jsonl.gz line 42', 'crawl.warc.gz record 7'), for messages.
    data:    the page: bytes for page files and WARC bodies (the pipeline decodes them), str for JSON fields.
    output:  relative output path without suffix, safe (no '..', no absolute path, no empty or dot-only
             parts, no characters a file system rejects), stable across runs and unique within one run.
    html:    True when the page is HTML (an .html/.htm file, an 'html' field, a WARC HTML response).
    repairs: what was repaired in the record's strings as it was made (lone surrogates from JSON, which
             no UTF-8 file or database takes, replaced with U+FFFD: io/text.py), for the page's warnings;
             its text is left to the decode stage, which repairs it the same way and audits it.
    """

    id: str
    source: str
    data: str | bytes
    output: PurePosixPath
    html: bool = False
    url: str | None = None
    title: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    repairs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        repaired: list[str] = []
        # The text itself is repaired by the decode stage, which records it in the page's audit.
        for name in ("id", "source", "url", "title"):
            value = getattr(self, name)
            if isinstance(value, str) and has_surrogates(value):
                text, count = without_surrogates(value)
                object.__setattr__(self, name, text)
                repaired.append(_repair_message(name, count))
        if has_surrogates(str(self.output)):
            object.__setattr__(self, "output", PurePosixPath(without_surrogates(str(self.output))[0]))
        metadata, count = _metadata_without_surrogates(self.metadata)
        if count:
            object.__setattr__(self, "metadata", metadata)
            repaired.append(_repair_message("metadata", count))
        if repaired:
            object.__setattr__(self, "repairs", (*self.repairs, *repaired))


def _repair_message(name: str, count: int) -> str:
    return f"{count} lone surrogate code point(s) in the record's {name} (not Unicode text) replaced with U+FFFD"


def _metadata_without_surrogates(value: Any) -> tuple[Any, int]:
    """The metadata with lone surrogates replaced in its strings (keys too), and how many there were."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, Mapping):
        found, total = {}, 0
        for key, item in value.items():
            new_key, key_count = _metadata_without_surrogates(key) if isinstance(key, str) else (key, 0)
            new_item, item_count = _metadata_without_surrogates(item)
            found[new_key] = new_item
            total += key_count + item_count
        return (found, total) if total else (value, 0)
    if isinstance(value, list | tuple):
        items = [_metadata_without_surrogates(item) for item in value]
        total = sum(count for _, count in items)
        return (type(value)(item for item, _ in items), total) if total else (value, 0)
    return value, 0


@dataclass(frozen=True)
class ReadFailure:
    """Input that could not be read (a corrupt gzip stream, a truncated JSON line, a WARC record with no
    usable body). The batch goes on; the failure is reported with `source` and `problem`."""

    id: str
    source: str
    problem: str

    def __post_init__(self) -> None:
        for name in ("id", "source", "problem"):
            object.__setattr__(self, name, without_surrogates(getattr(self, name))[0])

"""What readers yield: one PageRecord per page, or a ReadFailure for input that cannot be read.

Readers stream: they yield records one at a time, in a stable order (files sorted, records in file order),
so memory stays bounded whatever the corpus size and every run sees the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


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
    """

    id: str
    source: str
    data: str | bytes
    output: PurePosixPath
    html: bool = False
    url: str | None = None
    title: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadFailure:
    """Input that could not be read (a corrupt gzip stream, a truncated JSON line, a WARC record with no
    usable body). The batch goes on; the failure is reported with `source` and `problem`."""

    id: str
    source: str
    problem: str

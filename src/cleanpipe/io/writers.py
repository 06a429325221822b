"""Single-file outputs for the whole corpus: JSONL (one record per page) and Parquet (through pyarrow,
an optional extra). Both are written from a stream of records into a temporary file, then renamed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

FORMATS = ("md", "jsonl", "parquet")
CORPUS_FILES = {"jsonl": "pages.jsonl", "parquet": "pages.parquet"}
_PARQUET_BATCH = 1000


def page_record(
    page_id: str, source: str, markdown: str, metadata: dict[str, Any], removed: dict[str, int]
) -> dict[str, Any]:
    """The record of one page in the jsonl and parquet outputs."""
    return {
        "id": page_id,
        "url": metadata.get("url"),
        "source": source,
        "markdown": markdown,
        "metadata": metadata,
        "removed": removed,
    }


def write_jsonl(records: Iterable[dict[str, Any]], path: Path, temporary: Path) -> int:
    count = 0
    with temporary.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    os.replace(temporary, path)
    return count


def write_parquet(records: Iterable[dict[str, Any]], path: Path, temporary: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("--format parquet needs pyarrow: pip install 'cleanpipe[parquet]'") from error
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("url", pa.string()),
            ("source", pa.string()),
            ("title", pa.string()),
            ("date", pa.string()),
            ("markdown", pa.string()),
            ("metadata", pa.string()),  # JSON: page metadata differs in keys from page to page
            ("removed", pa.string()),  # JSON: removals per stage
        ]
    )
    count = 0
    with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
        for batch in _batches(records, _PARQUET_BATCH):
            rows = [_parquet_row(record) for record in batch]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            count += len(rows)
    os.replace(temporary, path)
    return count


def _parquet_row(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record["metadata"]
    return {
        "id": record["id"],
        "url": record.get("url"),
        "source": record["source"],
        "title": _text(metadata.get("title")),
        "date": _text(metadata.get("date")),
        "markdown": record["markdown"],
        "metadata": json.dumps(metadata, ensure_ascii=False, sort_keys=True),
        "removed": json.dumps(record["removed"], sort_keys=True),
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch

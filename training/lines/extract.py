"""Extract the blocks of development pages, one line each, for labelling (training/lines/GUIDELINE.md).

Each page is cleaned with the default pipeline; every block of its final document (kept or removed) is a
line: its source, page, position, kind and text, and the rule that removed it, if any (kept apart from
the text the labeller reads). The pages come from the shared development data only:
../shared/corpus (13 dumps), ../shared/seeds and ../shared/html_bench/zh_cwced/original (HTML).

    python training/lines/extract.py > /tmp/lines_all.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from cleanpipe import Config, clean
from cleanpipe.document import CleanError
from cleanpipe.io.readers import iter_pages
from cleanpipe.io.records import PageRecord

SHARED = Path(__file__).resolve().parents[3] / "shared"
# The blocks as the rules leave them: the line model is off while lines are extracted.
CONFIG = Config(classifier_threshold=1.0, title_template_threshold=1.0)


def pages() -> list[tuple[str, PageRecord]]:
    found: list[tuple[str, PageRecord]] = []
    for path in sorted((SHARED / "corpus").glob("*.json*")):
        name = path.name.split(".")[0]
        for record in iter_pages([path]):
            if isinstance(record, PageRecord):
                found.append((name, record))
    for record in iter_pages([SHARED / "seeds"]):
        if isinstance(record, PageRecord):
            found.append(("seed", record))
    for record in iter_pages([SHARED / "html_bench" / "zh_cwced" / "original"]):
        if isinstance(record, PageRecord):
            found.append(("zh_cwced", record))
    return found


def main() -> None:
    out = sys.stdout
    for source, record in pages():
        try:
            metadata = {"url": record.url} if record.url else None
            result = clean(record.data, source=record.source, html=record.html, metadata=metadata, config=CONFIG)
        except CleanError as error:
            print(f"skipped {record.source}: {error}", file=sys.stderr)
            continue
        doc = result.document
        assert doc is not None
        host = urlsplit(record.url).hostname if record.url else None
        blocks = doc.blocks
        for pos, block in enumerate(blocks):
            text = block.text.strip()
            if block.images and not text:
                text = " ".join(f"![image]({run.url or ''})" for run in block.images)
            elif block.images:
                text += " " + " ".join(f"![image]({run.url or ''})" for run in block.images)
            if not text:
                continue
            row = {
                "source": source,
                "page": record.id,
                "host": host,
                "pos": pos,
                "n": len(blocks),
                "title": doc.metadata.get("title") if isinstance(doc.metadata.get("title"), str) else None,
                "kind": block.kind,
                "text": text,
                "removed_by": block.removed_by,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""structure: find the title, move the byline (date, source, author, views) into front matter, and mark
question-like and label-like short lines as headings and bulleted lines as list items.

Every decision depends on the block's own text (and, for the title and byline, on its place at the top),
never on its neighbours, so that cleaning cleanpipe's output again decides the same way.
"""

from __future__ import annotations

import regex

from cleanpipe.config import Config
from cleanpipe.document import Block, Document
from cleanpipe.rules.structure import (
    DATE,
    MAX_HEADING_CJK,
    MAX_HEADING_LATIN,
    META_LABELS,
    QUESTION_ENDINGS,
    QUESTION_WORDS,
    SECTION_NUMBER,
    WEEKDAY,
)
from cleanpipe.text import cjk_share, match_key

NAME = "structure"

_DATE = regex.compile(DATE)
_WEEKDAY = regex.compile(WEEKDAY)
_SECTION_NUMBER = regex.compile(SECTION_NUMBER)
_LABELLED = {
    field: regex.compile(rf"(?:{'|'.join(sorted(labels, key=len, reverse=True))})\s*[:：]\s*(?P<value>[^\s|｜]+)")
    for field, labels in META_LABELS.items()
}
_ANY_LABEL = regex.compile(
    rf"^(?:{'|'.join(sorted({l for ls in META_LABELS.values() for l in ls}, key=len, reverse=True))})\s*[:：]"
)
_NAME_AND_COUNT = regex.compile(r"^(?P<name>[\p{Han}A-Za-z]{1,16}?)(?P<count>\d+)$")
_SENTENCE_INSIDE = regex.compile(r"[。，,！!；;]")
_SENTENCE_PUNCT = regex.compile(r"[。！!；;，,]")
_QUOTE_START = "“\"「『‘'《"
_TITLE_MAX = 80
_BYLINE_MAX = 100
_BYLINE_SEARCH = 4
# A label heading ('扩展资料:', '(1)概念不同:') is short; a longer line ending in a colon leads into a list.
_LABEL_MAX = 10


def detect_structure(doc: Document, config: Config) -> Document:
    title_index = _find_title(doc)
    start = title_index + 1 if title_index is not None else 0
    _take_bylines(doc, start)
    for block in doc.blocks:
        if block.kept and block.kind == "paragraph":
            level = heading_level(block.text) if not any(run.url for run in block.inlines) else 0
            if level:
                block.kind, block.level = "heading", level
    return doc


def _find_title(doc: Document) -> int | None:
    kept = [index for index in doc.kept_indices() if doc.blocks[index].kind != "image"]
    if not kept:
        return None
    known = doc.metadata.get("title")
    if isinstance(known, str) and known.strip():
        key = match_key(known)
        for index in kept[:3]:
            if match_key(doc.blocks[index].text) == key:
                doc.blocks[index].kind = "title"
                return index
        return None
    if doc.is_html:
        for index in kept:
            block = doc.blocks[index]
            if block.kind == "heading" and block.level == 1:
                return _make_title(doc, index)
        html_title = doc.metadata.get("html_title")
        if isinstance(html_title, str) and html_title:
            doc.metadata["title"] = html_title
        return None
    first = doc.blocks[kept[0]]
    text = first.text.strip()
    if (first.kind in ("paragraph", "heading") and 0 < len(text) <= _TITLE_MAX
            and text[-1] not in "。，,；;：:、" and not any(run.url for run in first.inlines)):
        return _make_title(doc, kept[0])
    return None


def _make_title(doc: Document, index: int) -> int:
    block = doc.blocks[index]
    block.kind, block.level = "title", 1
    doc.metadata["title"] = block.text.strip()
    return index


def _take_bylines(doc: Document, start: int) -> None:
    """Move date/source/author/view lines near the top into metadata, recording each move."""
    seen = 0
    for index in range(start, len(doc.blocks)):
        block = doc.blocks[index]
        if not block.kept:
            continue
        seen += 1
        if seen > _BYLINE_SEARCH:
            break
        fields = parse_byline(block.text)
        if fields is None:
            continue
        for key, value in fields.items():
            doc.metadata.setdefault(key, value)
        doc.remove_block(
            index,
            stage=NAME,
            rule="byline",
            reason="byline moved to front matter (" + ", ".join(sorted(fields)) + ")",
        )


def parse_byline(text: str) -> dict[str, str | int] | None:
    """The fields of a byline such as '2023-03-08 06:15:40 网络480' or '来源：新华社 作者：张三'.

    Returns None for anything that is not a byline: too long, a sentence, or a date inside prose.
    """
    text = text.strip()
    if not text or len(text) > _BYLINE_MAX or "。" in text:
        return None
    fields: dict[str, str | int] = {}
    rest = text
    date = _DATE.search(rest)
    if date:
        fields["date"] = _format_date(date)
        rest = rest[: date.start()] + " " + rest[date.end() :]
    for field, pattern in _LABELLED.items():
        found = pattern.search(rest)
        if found:
            value = found.group("value")
            if field == "views":
                digits = regex.match(r"\d+", value)
                if digits:
                    fields["views"] = int(digits.group())
            elif field != "date" or "date" not in fields:
                fields.setdefault(field, value)
            rest = rest[: found.start()] + " " + rest[found.end() :]
    if not fields:
        return None
    if "date" not in fields and not _ANY_LABEL.match(text):
        return None
    rest = _WEEKDAY.sub(" ", rest)
    tokens = [token for token in regex.split(r"[\s|｜/·]+", rest) if token]
    if _SENTENCE_PUNCT.search(" ".join(tokens)) or len(tokens) > 3:
        return None
    for token in tokens:
        pair = _NAME_AND_COUNT.match(token)
        if token.isdigit():
            fields.setdefault("views", int(token))
        elif pair:
            fields.setdefault("source", pair.group("name"))
            fields.setdefault("views", int(pair.group("count")))
        elif len(token) <= 16:
            fields.setdefault("source", token)
        else:
            return None
    return fields


def _format_date(match: regex.Match[str]) -> str:
    year, month, day = int(match.group("year")), int(match.group("month")), int(match.group("day"))
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if match.group("hour") is not None:
        date += f" {int(match.group('hour')):02d}:{match.group('minute')}"
        if match.group("second") is not None:
            date += f":{match.group('second')}"
    return date


def heading_level(text: str) -> int:
    """2 for a question or a numbered section title, 3 for a short label ending in a colon, else 0."""
    text = text.strip()
    if not text or text[0] in _QUOTE_START:
        return 0
    limit = MAX_HEADING_CJK if cjk_share(text) >= 0.5 else MAX_HEADING_LATIN
    if len(text) > limit or _SENTENCE_INSIDE.search(text[:-1]):
        return 0
    last = text[-1]
    if last in "?？":
        return 2
    if last in ":：":
        return 3 if 2 <= len(text) <= _LABEL_MAX else 0
    if last in "。！!；;，,、…":
        return 0
    if _SECTION_NUMBER.match(text):
        return 2
    if cjk_share(text) >= 0.5 and (any(word in text for word in QUESTION_WORDS) or text.endswith(QUESTION_ENDINGS)):
        return 2
    return 0


def is_heading(block: Block) -> bool:
    return block.kind in ("heading", "title")

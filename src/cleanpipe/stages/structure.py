"""structure: find the title, move the byline (date, source, author, views) into front matter, and mark
question-like and label-like short lines as headings and bulleted lines as list items.

Every decision depends on the block's own text (and, for the title and byline, on its place at the top),
never on its neighbours, so that cleaning cleanpipe's output again decides the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from cleanpipe.config import Config
from cleanpipe.document import Block, Document
from cleanpipe.rules.structure import (
    CREDIT_ROLES,
    DATE,
    LEAD_IN_ENDINGS,
    LEAD_IN_STARTS,
    MARKED_QUESTION_WORDS,
    MAX_HEADING_CJK,
    MAX_HEADING_LATIN,
    META_LABELS,
    QUESTION_ENDINGS,
    QUESTION_WORDS,
    SECTION_LABELS,
    SECTION_NUMBER,
    SPEECH_STARTS,
    WEEKDAY,
)
from cleanpipe.stages.boilerplate import active_rules, match_rule
from cleanpipe.text import cjk_share, match_key, text_weight

NAME = "structure"

_DATE = regex.compile(DATE)
_WEEKDAY = regex.compile(WEEKDAY)
_SECTION_NUMBER = regex.compile(SECTION_NUMBER)


def _alternation(words: Iterable[str]) -> str:
    """Words as one regex alternative, longest first so '发布时间' wins over '时间'."""
    return "|".join(regex.escape(word) for word in sorted(set(words), key=len, reverse=True))


_ALL_LABELS = _alternation(label for labels in META_LABELS.values() for label in labels)
# A label starts a token (nothing word-like just before it) and is followed by a colon or a bar.
_LABEL_START = r"(?<![\p{Han}A-Za-z0-9])"
_LABEL_SEPARATOR = r"\s*[:：|｜]"
_LABELLED = {
    field: regex.compile(
        rf"{_LABEL_START}(?:{_alternation(labels)}){_LABEL_SEPARATOR}\s*(?P<value>[^\s|｜]+)"
    )
    for field, labels in META_LABELS.items()
}
_ANY_LABEL = regex.compile(rf"^(?:{_ALL_LABELS}){_LABEL_SEPARATOR}")
# A label left without its value once the date was taken out: '发布时间：' in '发布时间：2021.06.03'.
_BARE_LABEL = regex.compile(rf"{_LABEL_START}(?:{_ALL_LABELS}){_LABEL_SEPARATOR}")
_SPEAKER = regex.compile(r"^[^:：\s]{1,12}[:：]\s*[“\"「『]")
# '1. 公告基本信息', '2、保温常规做法': the first item of a numbered list, not the page's title.
_LIST_NUMBER = regex.compile(r"^\d{1,2}\s*[.、．]\s*\D")
_INNER_QUESTION = regex.compile(r"[？?](?![】\]）)」』”\"]*$)")
_NAME_AND_COUNT = regex.compile(r"^(?P<name>[\p{Han}A-Za-z]{1,16}?)(?P<count>\d+)$")
_SENTENCE_PUNCT = regex.compile(r"[。！!；;，,]")
_TITLE_MAX = 80
_TITLE_PROSE = 40
# A first line this short (in words) once its date is taken out is a date line, not a title.
_DATE_LINE_REST = 8
_BYLINE_MAX = 100
_BYLINE_SEARCH = 4
# A label heading ('扩展资料:', '(1)概念不同:') is short; a longer line ending in a colon leads into a list.
_LABEL_MAX = 10


def detect_structure(doc: Document, config: Config) -> Document:
    if "_front_matter_keys" in doc.metadata:
        # Markdown with front matter (cleanpipe's own output among it) declares its title and byline;
        # guessing them again from what is now the top of the page would make re-cleaning change it.
        title_index = _find_declared_title(doc)
    else:
        title_index = _find_title(doc, config)
        _take_bylines(doc, title_index)
    for block in doc.blocks:
        if block.kept and block.kind == "paragraph":
            level = heading_level(block.text) if not any(run.url for run in block.inlines) else 0
            if level:
                block.kind, block.level = "heading", level
    return doc


def _find_declared_title(doc: Document) -> int | None:
    """The block that repeats a title already known from metadata, if one of the first three does."""
    known = doc.metadata.get("title")
    if not isinstance(known, str) or not known.strip():
        return None
    key = match_key(known)
    for index in [i for i in doc.kept_indices() if doc.blocks[i].kind != "image"][:3]:
        if match_key(doc.blocks[index].text) == key:
            doc.blocks[index].kind = "title"
            return index
    return None


def _find_title(doc: Document, config: Config) -> int | None:
    kept = [index for index in doc.kept_indices() if doc.blocks[index].kind != "image"]
    if not kept:
        return None
    if isinstance(doc.metadata.get("title"), str) and doc.metadata["title"].strip():
        return _find_declared_title(doc)
    if doc.is_html:
        for index in kept:
            block = doc.blocks[index]
            if block.kind == "heading" and block.level == 1:
                return _make_title(doc, index)
        html_title = doc.metadata.get("html_title")
        if isinstance(html_title, str) and html_title:
            doc.metadata["title"] = html_title
        return None
    # A byline, a date line or a boilerplate line (an ad banner, a source credit) may come before the
    # title ('转自：第一财经', '0 发布时间：2021.04.17'); the title is the first line that is none of them.
    rules = active_rules(config)
    for index in kept[:_BYLINE_SEARCH]:
        text = doc.blocks[index].text.strip()
        if parse_byline(text) is None and not _is_date_line(text) and match_rule(text, rules) is None:
            return _make_title(doc, index) if _looks_like_title(doc.blocks[index]) else None
    return None


def _looks_like_title(block: Block) -> bool:
    """A short line that does not end a sentence, is no link, and is not a section name ('前言')."""
    text = block.text.strip()
    return (
        block.kind in ("paragraph", "heading")
        and 0 < len(text) <= _TITLE_MAX
        and text[-1] not in "。，,；;：:、"
        # A long line holding a full stop is prose (a quotation or a lead opening the article).
        and not ("。" in text and len(text) > _TITLE_PROSE)
        and text.rstrip(":：") not in SECTION_LABELS
        and not _LIST_NUMBER.match(text)
        and not any(run.url for run in block.inlines)
    )


def _is_date_line(text: str) -> bool:
    """A line that is a date with a few words around it ('公告送出日期：2023年9月1日', '2023/9/1 星期五')."""
    date = _DATE.search(text)
    if date is None:
        return False
    rest = _WEEKDAY.sub(" ", text[: date.start()] + " " + text[date.end() :])
    return text_weight(rest) <= _DATE_LINE_REST


def _make_title(doc: Document, index: int) -> int:
    block = doc.blocks[index]
    block.kind, block.level = "title", 1
    doc.metadata["title"] = block.text.strip()
    return index


def _take_bylines(doc: Document, title_index: int | None) -> None:
    """Move date/source/author/view lines near the top (before or after the title) into metadata."""
    seen = 0
    for index in range(len(doc.blocks)):
        block = doc.blocks[index]
        if not block.kept or index == title_index or block.kind == "image":
            continue
        seen += 1
        if seen > _BYLINE_SEARCH:
            break
        fields = parse_byline(block.text)
        if fields is None:
            continue
        if "editor" in fields or "photo" in fields:  # a credit line: its names, not a byline's tokens
            fields = dict(credit_fields(block.text)) or fields
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
    rest = _BARE_LABEL.sub(" ", _WEEKDAY.sub(" ", rest))
    tokens = [token for token in regex.split(r"[\s|｜/·]+", rest) if token]
    # A colon left over is a label this stage does not know ('数据截止日期：'): not a byline.
    if _SENTENCE_PUNCT.search(" ".join(tokens)) or len(tokens) > 3 or any(c in rest for c in ":："):
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


_CREDIT_PAIR = regex.compile(
    rf"(?P<role>{_alternation(CREDIT_ROLES)})\s*(?P<names>[\p{{Han}}·]{{2,4}}(?:\s*[、，,]\s*[\p{{Han}}·]{{2,4}})*)"
)
# What a credit line may tell front matter (a date or view count on a credit line is not the page's),
# and the labels that introduce each.
_CREDIT_FIELDS = ("author", "editor", "photo", "source", "translator")
_CREDIT_FIELD_OF = {label: field for field in _CREDIT_FIELDS for label in META_LABELS[field]}
_CREDIT_LABEL = regex.compile(rf"{_LABEL_START}(?P<label>{_alternation(_CREDIT_FIELD_OF)}){_LABEL_SEPARATOR}\s*")
_NAME_SEPARATORS = regex.compile(r"[\s、，,/|｜]+")
_CREDIT_NAME_MAX = 16


def credit_fields(text: str) -> dict[str, str]:
    """The names a credit line gives ('责任编辑：王五 赵六' -> editor '王五、赵六', '新华社记者 张三、李四' ->
    author, '（来源：新华网）' -> source), for front matter; empty when it names nobody this way. Tokens with
    digits (an editor's staff code, 'SF183') are not names."""
    stripped = text.strip().strip("（）()【】[]").strip()
    found: dict[str, str] = {}
    labels = list(_CREDIT_LABEL.finditer(stripped))
    for number, label in enumerate(labels):
        end = labels[number + 1].start() if number + 1 < len(labels) else len(stripped)
        value = stripped[label.end() : end].strip().strip("（）()【】[]")
        if not value or _SENTENCE_PUNCT.search(value) or "。" in value:
            continue
        names = [token for token in _NAME_SEPARATORS.split(value) if token and not regex.search(r"\d", token)]
        if names and all(len(name) <= _CREDIT_NAME_MAX for name in names):
            found.setdefault(_CREDIT_FIELD_OF[label.group("label")], "、".join(names))
    if labels:
        return found
    for pair in _CREDIT_PAIR.finditer(stripped):
        found.setdefault(CREDIT_ROLES[pair.group("role")], regex.sub(r"\s*[、，,]\s*", "、", pair.group("names")))
    return found


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
    if not text or _is_speech(text):
        return 0
    if text in SECTION_LABELS:  # with a colon ('扩展资料:') it is a label, handled below
        return 2
    if len(text) > max(MAX_HEADING_CJK, MAX_HEADING_LATIN):
        return 0  # the cheap test first: most lines are paragraphs
    cjk = cjk_share(text) >= 0.5
    limit = MAX_HEADING_CJK if cjk else MAX_HEADING_LATIN
    if len(text) > limit or _SENTENCE_PUNCT.search(text[:-1]) or _INNER_QUESTION.search(text):
        return 0
    last = text[-1]
    if last in ":：":
        return 3 if 2 <= len(text) <= _LABEL_MAX and not _is_lead_in(text[:-1]) else 0
    if last in "。！!；;，,、…":
        return 0
    if _SECTION_NUMBER.match(text):
        return 2
    if last in "?？":
        return 2 if not cjk or _asks(text[:-1], marked=True) else 0
    return 2 if cjk and _asks(text) else 0


def _is_speech(text: str) -> bool:
    """Dialogue or a quotation: '“再见，林霄。”', '花雪理：“…？”', '——这是什么词？'.

    A closing quote at the end proves nothing: '二、狗屁工作的“阴谋论”' is a section title."""
    return text[0] in SPEECH_STARTS or bool(_SPEAKER.match(text))


def _asks(text: str, *, marked: bool = False) -> bool:
    """Whether a CJK line asks something; `marked` when it ended in a question mark."""
    words = QUESTION_WORDS + MARKED_QUESTION_WORDS if marked else QUESTION_WORDS
    return any(word in text for word in words) or text.endswith(QUESTION_ENDINGS)


def _is_lead_in(label: str) -> bool:
    """'你会想', '方式如下', '但必须注意的是': a clause introducing the next line, not a section name."""
    label = label.strip()
    return label.endswith(LEAD_IN_ENDINGS) or label.startswith(LEAD_IN_STARTS)


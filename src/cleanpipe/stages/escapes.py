"""escapes: turn escaped line breaks into real ones, decode HTML entities, drop invisible characters.

One escaped break is a line break; two or more in a row are a paragraph break. Each replaced or dropped
spelling is recorded once per page with its count, so the audit shows what was taken out.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from cleanpipe.config import Config
from cleanpipe.document import Document
from cleanpipe.rules.escapes import BACKSLASH_BREAKS, BARE_BREAK, ENTITY, HTML_BREAK, ODD_SPACES, ZERO_WIDTH
from cleanpipe.stages.markup import front_matter_length, looks_like_html

NAME = "escapes"

_ENTITY = regex.compile(ENTITY)
_BACKSLASH = [(name, regex.compile(pattern)) for name, pattern in BACKSLASH_BREAKS]
_BARE = regex.compile(BARE_BREAK)
_HTML_BREAK = regex.compile(HTML_BREAK, regex.IGNORECASE)
# Plain character classes: the standard library's engine scans long pages for them about twice as fast.
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_ZERO_WIDTH_CHARS = ZERO_WIDTH
_CONTROL_CHARS = "".join(chr(code) for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)))
_ODD_SPACE = regex.compile(f"[{ODD_SPACES}\t]")
_URL_START = regex.compile(r"(?:https?:)?//|www\.|[\w-]+\.[a-z]{2,6}/", regex.IGNORECASE)
_TOKEN_EDGE = regex.compile(r"[\s\"'()<>\p{Han}，。、：；]")
_MANY_BREAKS = regex.compile(r"\n{3,}")
_BARE_CRLF_LEN = len("x0dx0a")


@dataclass
class Tally:
    """What the repairs of one pass over a page changed: a count per rule and the rule's first example,
    recorded as one removal per rule."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def count(self, name: str, found: str, times: int = 1) -> None:
        self.counts[name] += times
        self.examples.setdefault(name, found)

    def record(self, doc: Document) -> None:
        for name in sorted(self.counts):
            doc.record(
                stage=NAME,
                rule=name,
                text=self.examples[name],
                reason=_REASONS[name].format(n=self.counts[name]),
            )


def repair_escapes(doc: Document, config: Config) -> Document:
    tally = Tally()
    count = tally.count
    text = doc.text
    # Invisible characters go first: a zero-width or control character beside an escape would hide the
    # escape's neighbours from the guards below, and the next cleaning (without it) would decide otherwise.
    # Entities can produce them again, so they are dropped once more after decoding.
    text = _drop(text, _ZERO_WIDTH, "zero-width", count)
    text = _drop(text, _CONTROL, "control-char", count)
    if doc.is_html or looks_like_html(text, doc.source):
        # An HTML page: the parser decodes entities, <br> and whitespace itself, and <pre> keeps its
        # lines; escaped breaks are repaired in the page's text nodes by the HTML reader (stages/html.py),
        # which records them under this stage.
        doc.is_html = True
        doc.text = text
        tally.record(doc)
        return doc
    head = text[: front_matter_length(text)]  # cleanpipe's own front matter: JSON values, as written
    text = head + "".join(
        _code_lines(part) if code else _repair_text(part, count) for code, part in _fenced_parts(text[len(head) :])
    )
    text = _strip_lines(text)
    text = "".join(part if code else _MANY_BREAKS.sub("\n\n", part) for code, part in _fenced_parts(text))
    text = text.strip("\n")
    doc.text = text
    tally.record(doc)
    return doc


def _repair_text(text: str, count: Callable[..., None]) -> str:
    """Escaped breaks, entities, odd spaces and invisible characters repaired in text (not code)."""
    text = decode_entities(text, count)
    text = repair_breaks(text, count)
    text = _HTML_BREAK.sub(lambda m: _replace(m, "html-break", "\n", count), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return plain_spaces(drop_invisible(text, count), count)


def _code_lines(code: str) -> str:
    """A fenced code block's lines as written (cleanpipe writes an HTML page's <pre> as one): only line
    ends are made plain, as the HTML reader does (_strip_lines then drops trailing spaces)."""
    return code.replace("\r\n", "\n").replace("\r", "\n")


def _fenced_parts(text: str) -> list[tuple[bool, str]]:
    """The text cut into (is_code, part): the lines between a fence ('```' or '~~~' alone on a line) and
    its closing fence are code, everything else (an unclosed fence too) text. Joined, the parts are the
    text."""
    if "```" not in text and "~~~" not in text:
        return [(False, text)]
    lines = text.split("\n")
    parts: list[tuple[bool, str]] = []
    start = 0  # the first line of the current text part
    index = 0
    while index < len(lines):
        marker = lines[index].strip()
        if marker in ("```", "~~~"):
            close = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == marker), None)
            if close is not None:
                parts.append((False, "\n".join(lines[start : index + 1]) + "\n"))
                if close > index + 1:
                    parts.append((True, "\n".join(lines[index + 1 : close]) + "\n"))
                start, index = close, close + 1
                continue
        index += 1
    parts.append((False, "\n".join(lines[start:])))
    return parts


def decode_entities(text: str, count: Callable[..., None]) -> str:
    """Character references ('&amp;', '&#39;') decoded, each counted as rule 'entity'."""
    return _ENTITY.sub(lambda m: _decode_entity(m, count), text) if "&" in text else text


def plain_spaces(text: str, count: Callable[..., None]) -> str:
    """No-break, ideographic and other odd spaces and tabs made plain spaces, counted as rule 'odd-space'."""
    return _ODD_SPACE.sub(lambda m: _replace(m, "odd-space", " ", count, shown=repr(m.group())), text)


def drop_invisible(text: str, count: Callable[..., None]) -> str:
    """Zero-width and control characters dropped, counted as rules 'zero-width' and 'control-char'."""
    return _drop(_drop(text, _ZERO_WIDTH, "zero-width", count), _CONTROL, "control-char", count)


def _strip_lines(text: str) -> str:
    """Each line stripped of its surrounding spaces, except inside a fenced code block, whose indentation
    is part of the code (cleanpipe writes the <pre> of HTML pages as one)."""
    if "```" not in text and "~~~" not in text:
        return "\n".join(line.strip() for line in text.split("\n"))
    lines: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if fence is None and stripped in ("```", "~~~"):
            fence = stripped
        elif fence is not None and stripped == fence:
            fence = None
        elif fence is not None:
            lines.append(line.rstrip())
            continue
        lines.append(stripped)
    return "\n".join(lines)


def repair_breaks(text: str, count: Callable[..., None], newline: str = "\n") -> str:
    """Escaped line breaks ('\\r\\n', 'x0dx0a', …) in `text` replaced by `newline`, each counted."""
    for name, pattern in _BACKSLASH:
        text = pattern.sub(lambda m, name=name: _backslash_break(m, name, count, newline), text)
    return _BARE.sub(lambda m: _bare_break(m, count, newline), text)


_REASONS = {
    "entity": "{n} HTML character reference(s) decoded to the characters they stand for",
    "escaped-crlf": "{n} escaped CR LF line break(s) turned into real line breaks",
    "escaped-lf": "{n} escaped line break(s) turned into real line breaks",
    "bare-crlf": "{n} escaped line break(s) that lost their backslashes turned into real line breaks",
    "html-break": "{n} <br> tag(s) turned into line breaks",
    "zero-width": "{n} zero-width or soft-hyphen character(s) dropped",
    "control-char": "{n} control character(s) dropped",
    "odd-space": "{n} no-break, ideographic or other non-ASCII space(s) or tab(s) replaced by a plain space",
}


def _decode_entity(match: regex.Match[str], count: Callable[..., None]) -> str:
    decoded = html.unescape(match.group())
    if decoded != match.group():
        count("entity", match.group())
    return decoded


def _backslash_break(match: regex.Match[str], name: str, count: Callable[..., None], newline: str) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    # Quoted escapes are code ("printf(\"a\\n\")"); a doubled backslash is an escaped backslash, unless
    # the text around is not ASCII: a page escaped twice ("。\\x0d\\x0a其实").
    if (before and before in "\\\"'/:") or (after and after in "\"'"):  # (the text's ends are neither)
        return match.group()
    if match.group().startswith("\\\\") and (before.isascii() and after.isascii()):
        return match.group()
    # A lone \n between two ASCII letters or digits is more likely a path or code than prose.
    if name == "escaped-lf" and before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
        return match.group()
    if _inside_url(text, start):
        return match.group()
    count(name, match.group())
    return newline


def _bare_break(match: regex.Match[str], count: Callable[..., None], newline: str) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    # "ax0dx0ab" in a hash, "my_x0dx0a_name" in an identifier: a letter, digit or underscore before the
    # run is an escape only when CJK text follows ("ChatGPTx0dx0a下一段"), never when ASCII does.
    if before.isascii() and (before.isalnum() or before == "_") and (not after or after.isascii()):
        return match.group()
    if _inside_url(text, start):
        return match.group()
    runs = (end - start) // _BARE_CRLF_LEN
    count("bare-crlf", match.group()[:_BARE_CRLF_LEN], runs)
    return newline * runs


def _inside_url(text: str, position: int) -> bool:
    """Whether `position` falls inside a URL-like token (a scheme, '//', 'www.' or 'host.tld/')."""
    start = max(0, position - 300)
    window = text[start:position]
    edges = list(_TOKEN_EDGE.finditer(window))
    token = window[edges[-1].end() :] if edges else window
    return bool(token) and _URL_START.search(token) is not None


def _replace(
    match: regex.Match[str], name: str, replacement: str, count: Callable[..., None], shown: str | None = None
) -> str:
    count(name, match.group() if shown is None else shown)
    return replacement


def _drop(text: str, pattern: re.Pattern[str], name: str, count: Callable[..., None]) -> str:
    characters = _ZERO_WIDTH_CHARS if pattern is _ZERO_WIDTH else _CONTROL_CHARS

    def replace(match: re.Match[str]) -> str:
        count(name, repr(match.group()))
        return ""

    if not any(character in text for character in characters):  # a plain substring test is far faster
        return text
    return pattern.sub(replace, text)

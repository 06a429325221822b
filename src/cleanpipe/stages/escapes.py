"""escapes: turn escaped line breaks into real ones, decode HTML entities, drop invisible characters.

One escaped break is a line break; two or more in a row are a paragraph break. Each replaced or dropped
spelling is recorded once per page with its count, so the audit shows what was taken out.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from cleanpipe.config import Config
from cleanpipe.document import Document
from cleanpipe.reading import front_matter_length, looks_like_html
from cleanpipe.repairs import ESCAPES, Tally, decode_entities, drop_invisible, plain_spaces, repair_breaks
from cleanpipe.rules.escapes import HTML_BREAK

NAME = ESCAPES

_HTML_BREAK = regex.compile(HTML_BREAK, regex.IGNORECASE)
_MANY_BREAKS = regex.compile(r"\n{3,}")


def repair_escapes(doc: Document, config: Config) -> Document:
    tally = Tally()
    count = tally.count
    text = doc.text
    # Invisible characters go first: a zero-width or control character beside an escape would hide the
    # escape's neighbours from the guards below, and the next cleaning (without it) would decide otherwise.
    # Entities can produce them again, so they are dropped once more after decoding.
    text = drop_invisible(text, count)
    if doc.is_html or looks_like_html(text, doc.source):
        # An HTML page: the parser decodes entities, <br> and whitespace itself, and <pre> keeps its
        # lines; escaped breaks are repaired in the page's text nodes by the html stage (stages/html.py),
        # which records them under this stage's name.
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
    text = _HTML_BREAK.sub(lambda m: _html_break(m, count), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return plain_spaces(drop_invisible(text, count), count)


def _html_break(match: regex.Match[str], count: Callable[..., None]) -> str:
    count("html-break", match.group())
    return "\n"


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




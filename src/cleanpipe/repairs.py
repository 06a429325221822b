"""Character repairs shared by the escapes and html stages: escaped line breaks, character references,
odd spaces and invisible characters, each counted per rule with its first example and recorded once per
page under the escapes stage's name (the html stage repairs an HTML page's text nodes on that stage's
behalf: the escapes stage leaves an HTML page's text to the parser).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from cleanpipe.document import Document
from cleanpipe.rules.escapes import BACKSLASH_BREAKS, BARE_BREAK, ENTITY, ODD_SPACES, ZERO_WIDTH

ESCAPES = "escapes"

_ENTITY = regex.compile(ENTITY)
_BACKSLASH = [(name, regex.compile(pattern)) for name, pattern in BACKSLASH_BREAKS]
_BARE = regex.compile(BARE_BREAK)
# Plain character classes: the standard library's engine scans long pages for them about twice as fast.
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_ZERO_WIDTH_CHARS = frozenset(ZERO_WIDTH)
_CONTROL_CHARS = frozenset(chr(code) for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)))
_ODD_SPACE = regex.compile(f"[{ODD_SPACES}\t]")
_URL_START = regex.compile(r"(?:https?:)?//|www\.|[\w-]+\.[a-z]{2,6}/", regex.IGNORECASE)
_TOKEN_EDGE = regex.compile(r"[\s\"'()<>\p{Han}，。、：；]")
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
                stage=ESCAPES,
                rule=name,
                text=self.examples[name],
                reason=_REASONS[name].format(n=self.counts[name]),
            )


def decode_entities(text: str, count: Callable[..., None]) -> str:
    """Character references ('&amp;', '&#39;') decoded, each counted as rule 'entity'."""
    return _ENTITY.sub(lambda m: _decode_entity(m, count), text) if "&" in text else text


def plain_spaces(text: str, count: Callable[..., None]) -> str:
    """No-break, ideographic and other odd spaces and tabs made plain spaces, counted as rule 'odd-space'."""
    return _ODD_SPACE.sub(lambda m: _replace(m, "odd-space", " ", count, shown=repr(m.group())), text)


def drop_invisible(text: str, count: Callable[..., None]) -> str:
    """Zero-width and control characters dropped, counted as rules 'zero-width' and 'control-char'."""
    return _drop(_drop(text, _ZERO_WIDTH, "zero-width", count), _CONTROL, "control-char", count)


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

    # Far faster than the pattern's search: a set test for a short text (an HTML text node), a substring
    # search per character for a long one (a whole page).
    if characters.isdisjoint(text) if len(text) <= 512 else not any(char in text for char in characters):
        return text
    return pattern.sub(replace, text)

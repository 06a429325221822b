"""Small text helpers shared by the stages: one place for what counts as CJK, punctuation and 'the same'."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import regex

CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_LETTER = regex.compile(r"[\p{L}\p{N}]")
_NOT_WORD = regex.compile(r"[\p{P}\p{S}\p{Z}\s]+")
# Texts longer than this are compared only exactly: rapidfuzz's edit distance grows with the product of
# the two lengths, and a paragraph this long that differs at all is not a pasted copy worth the cost.
FUZZY_MAX_CHARS = 20_000


@lru_cache(maxsize=8192)
def match_key(text: str) -> str:
    """What two lines must share to count as the same: letters and digits only, case folded.

    Punctuation, spaces and symbols differ between copies of one text (full- and half-width commas,
    a dropped question mark), so they are left out of the comparison.
    """
    return _NOT_WORD.sub("", text).casefold()


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters and digits of `text` (0 when it has none)."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return 0.0
    return len(CJK.findall(text)) / letters


def text_weight(text: str) -> int:
    """Size of a text in 'words': a CJK character counts as one, a run of Latin letters/digits as one."""
    return len(CJK.findall(text)) + len(regex.findall(r"[A-Za-z0-9]+", text))


def stable_id(text: str | bytes) -> str:
    """A short, stable identifier for a page with no name of its own."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.sha1(data).hexdigest()[:16]

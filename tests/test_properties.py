"""Invariants over arbitrary pages built from real lines, escapes, broken markup and random text:
cleaning never crashes, cleaning its own output changes nothing, and no text appears that the input
did not have (beyond Markdown syntax, front matter and repaired URL schemes)."""

from __future__ import annotations

import html
from collections import Counter

import pytest
import regex
from conftest import fixture_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleanpipe
from cleanpipe import CleanError
from cleanpipe.document import Document
from cleanpipe.pipeline import Pipeline

REAL_LINES = [line for line in fixture_text("property_lines.txt").splitlines() if line]
DEFECTS = [
    "x0dx0a",
    "x0dx0ax0dx0a",
    "\\x0d\\x0a",
    "\\n",
    "\\r\\n",
    "&#13;&#10;",
    "<br>",
    "<br/>",
    "&nbsp;",
    "\u3000",
    "\u200b",
    "\x07",
    '"target="_blank">',
    '/img.example.cn/a/b.jpg"esrc="https://img.example.cn/a/b.jpg"/>',
    "/news.example.com/p/1.html",
    "核心提示:",
    "以上就是关于这个问题的全部内容，欢迎关注我们！",
    "举报收藏 0评论 0",
    "京ICP备12345678号",
    "2023-03-08 06:15:40 网络480",
    "*",
    "_",
    "#",
    "- ",
    "1. ",
    "[",
    "](",
    ")",
    "![",
    "`",
    "\\",
    "<",
    ">",
    "|",
    "---",
    "\n",
    "\n\n",
    " ",
    "?",
    "：",
    "。",
]
PIECE = st.one_of(
    st.sampled_from(REAL_LINES),
    st.sampled_from(DEFECTS),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
PAGES = st.lists(PIECE, min_size=1, max_size=30).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _clean_or_none(page: str, pipeline: Pipeline | None = None) -> cleanpipe.CleanResult | None:
    """The page cleaned, or None when a stage refuses it (empty or binary input: a named CleanError, which
    is the contract). Strict: any other error in a stage propagates, so a crash fails the property."""
    try:
        return (pipeline or Pipeline()).clean(page, strict=True)
    except CleanError:
        return None


@SETTINGS
@given(PAGES)
def test_never_raises_anything_but_clean_error(page: str) -> None:
    result = _clean_or_none(page)
    if result is not None:
        assert result.markdown.startswith("---\n")


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    result = _clean_or_none(data)  # type: ignore[arg-type]
    if result is not None:
        assert result.markdown.endswith("\n")


@SETTINGS
@given(PAGES)
def test_cleaning_clean_output_changes_nothing(page: str) -> None:
    first = _clean_or_none(page)
    if first is None:
        return
    second = cleanpipe.clean(first.markdown, strict=True)
    assert second.markdown == first.markdown


_FRONT_MATTER = regex.compile(r"\A---\n.*?\n---\n", regex.S)
_LINK_TARGET = regex.compile(r"\]\([^)\s]*\)")


def _letters(text: str) -> Counter[str]:
    return Counter(ch for ch in text if ch.isalnum())


@SETTINGS
@given(PAGES)
def test_never_invents_text(page: str) -> None:
    result = _clean_or_none(page)
    if result is None:
        return
    body = _LINK_TARGET.sub("]", _FRONT_MATTER.sub("", result.markdown))
    produced = _letters(body)
    # Characters may come through as written or with their HTML character references decoded.
    available = _letters(page) | _letters(html.unescape(page))
    invented = produced - available
    assert not invented, f"output has letters the input lacks: {dict(invented)}"


def test_a_crash_in_a_stage_fails_the_properties_instead_of_passing_as_a_refusal() -> None:
    def crash(doc: Document, config: object) -> Document:
        raise KeyError("injected")

    crashing = Pipeline().replace("structure", crash)
    with pytest.raises(KeyError, match="injected"):
        _clean_or_none("标题\n\n正文第一段。\n", crashing)
    with pytest.raises(CleanError, match="KeyError"):  # outside the tests, the page is failed and named
        crashing.clean("标题\n\n正文第一段。\n")

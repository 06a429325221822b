"""Cleaning an HTML page's Markdown again changes nothing, on snippets of the benchmark pages where it
did (tests/fixtures/html_roundtrip_snippets.jsonl, each with the page it was cut from): what HTML gives
as text is written so the text reader reads it back the same, and what the text reader would change
(a bullet mark, a soft hyphen, a reference escaped twice, carriage returns in code) is done once, in
the HTML reader."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from cleanpipe import clean
from cleanpipe.stages.render import split_front_matter

SNIPPETS = {
    record["what"]: record["html"]
    for record in map(json.loads, (FIXTURES / "html_roundtrip_snippets.jsonl").read_text(encoding="utf-8").splitlines())
}


def _body(what: str) -> str:
    return split_front_matter(clean(SNIPPETS[what], source="page.html", strict=True).markdown)[1]


@pytest.mark.parametrize("what", SNIPPETS)
def test_cleaning_the_markdown_of_an_html_page_again_changes_nothing(what: str) -> None:
    once = clean(SNIPPETS[what], source="page.html", strict=True).markdown
    assert clean(once, strict=True).markdown == once


def test_what_html_shows_as_text_stays_text() -> None:
    body = _body("a page's markup shown as text (&lt;a ... href=&quot;...&quot;&gt;)")
    assert '\\<a class="continue-reading" href="https://www.modepilot.de/' in body and "](" not in body
    alt = _body("image alt text holding an escaped <br /> and a line break")
    assert "\n" not in alt.strip() and "Group manage\\<br /> © Nordex](" in alt  # one line, the text kept
    assert "Soy502)\\&nbsp;](" in _body("image alt text with a reference escaped twice (&amp;nbsp;)")
    images = _body("two images in one paragraph")
    assert images.count("![") == 2 and "\n" not in images.strip()


def test_what_the_text_reader_would_change_is_changed_once() -> None:
    assert "- Einstufung der Gesundheitsgefahren" in _body("paragraphs that open with a bullet mark (•)")
    assert _body("a paragraph that opens with ※").strip() == "- 「iPhone」は、Apple Inc.の商標です。"
    assert "Gummifische" in _body("soft hyphens (&shy;) inside words")
    link = _body("a link whose URL holds a reference escaped twice (&amp;#x27;)")
    assert "The%20Council's%20Land" in link and "&#x27;" not in link
    assert "```\nLSVD-Bundesverband\nHauptstadtbüro\n\nAlmstadtstraße 7\n10119 Berlin\n```" in _body(
        "a <pre> with carriage returns (&#xD;) and trailing spaces"
    )
    assert "    foo.cleanup(handle)\n\n\nclass Bar(object):" in _body("code with two blank lines in a row")
    author = clean(SNIPPETS["an author name holding a reference escaped twice (&#039; in JSON-LD)"], source="a.html")
    assert author.metadata["author"] == "Lindsey O'Donnell"

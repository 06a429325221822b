"""Cleaning an HTML page's Markdown again changes nothing, on snippets of the benchmark pages where it
did (tests/fixtures/html_roundtrip_snippets.jsonl, each with the page it was cut from): what HTML gives
as text is written so the text reader reads it back the same, and what the text reader would change
(a bullet mark, a soft hyphen, a reference escaped twice, carriage returns in code) is done once, in
the HTML reader."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from cleanpipe import CleanError, clean
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


_ARTICLE = (
    "<p>Qualisys ist spezialisiert auf die Optimierung des Gefahrstoffmanagements in der chemischen Lieferkette. "
    "Insbesondere die folgenden Leistungen bietet Qualisys nicht an.</p>"
)
# Shapes found by bench/bench_fuzz.py on damaged benchmark pages, cut down to what shows them.
FOUND = {
    "a title quoting markup (an unclosed <title>)": (
        '<html><head><title>inner"><p style="text-align: center;">a</p><p>b</p><p>c</p></title></head>'
        "<body><p>Qualisys ist spezialisiert auf die Optimierung des Gefahrstoffmanagements.</p></body></html>",
        "page.html",
    ),
    "a heading that ends in '#'": (
        f"<html><body><article><h1>Titel</h1>{_ARTICLE}<h2>Die Frage #</h2>{_ARTICLE}</article></body></html>",
        "p.html",
    ),
    "a paragraph that looks like a table row": (
        f"<html><body><article>{_ARTICLE}<p>| a | b || a | b |</p>{_ARTICLE}</article></body></html>",
        "p.html",
    ),
    "a title with a no-break space": (
        '<html><head><meta property="og:title" content="Minister-president presente n\'e “Trashion Fashion '
        f'Show”&nbsp;di International School"></head><body><article>{_ARTICLE}</article></body></html>',
        "p.html",
    ),
    "a bullet mark inside a tag": ("<b>■相关连接</b>\n\n正文第一段，说明这一页的内容。\n", "page.txt"),
    "a URL with a soft hyphen": (
        f'<html><body><article>{_ARTICLE}<p><img src="https://a.ie/x.ece/&shy;ALT/n.jpg"></p>{_ARTICLE}</article></body></html>',
        "p.html",
    ),
}


@pytest.mark.parametrize("what", FOUND)
def test_shapes_found_by_fuzzing_clean_again_to_themselves(what: str) -> None:
    page, source = FOUND[what]
    once = clean(page, source=source, strict=True).markdown
    assert clean(once, strict=True).markdown == once


def test_text_given_as_text_is_not_refused_for_its_replacement_characters() -> None:
    # cleanpipe's own output for a page whose bytes were half undecodable: cleaning it again must work.
    page = "正文" + "\ufffd" * 40 + "第二段正文内容在这里。\n"
    assert "第二段正文内容在这里。" in clean(page, strict=True).markdown
    with pytest.raises(CleanError, match="mostly undecodable"):
        clean(b"\xff\xfe\xfd" * 200 + "正文".encode("gb18030"), strict=True)

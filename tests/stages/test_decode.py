"""decode: bytes to text, with the encoding detected (not assumed) and every problem reported.

The Chinese text is real: records of the ChineseWebText "clean" sample in the shared corpus, and those
same records in Traditional characters (tests/fixtures/chinesewebtext_clean_traditional.txt) for Big5.
"""

from __future__ import annotations

import codecs

import pytest
from conftest import FIXTURES, clean_pages, fixture_text, without_removal_counts

from cleanpipe import Config, Document, clean
from cleanpipe.document import CleanError
from cleanpipe.stages.decode import decode

# From chinesewebtext_fasttext_clean.shared.jsonl, record 1 (0-based), and the seed page, line 4.
SUBMARINE = "潜艇伏击区是指利用潜艇为攻击手段，在深海，一般是在海底，选择一些比较隐蔽的地区。"
SEED_LINE = "首先,我想问句,到底什么是微商?相信有一半以上的朋友会说,在微信上卖东西的呗。"
# Record 4 of the same file: a Chinese name with Cyrillic in it, which GBK encodes in its Cyrillic row.
NAME_WITH_CYRILLIC = "乌兹别克斯坦语名：Равшан Сайфиддинович Ирматов"
TRADITIONAL = fixture_text("chinesewebtext_clean_traditional.txt").splitlines()


def decoded(raw: bytes, source: str = "page.txt") -> Document:
    return decode(Document(original=raw, source=source), Config())


def clean_records() -> list[str]:
    return clean_pages("chinesewebtext_fasttext_clean")


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_utf8_with_or_without_bom_decodes_and_drops_only_the_bom(bom: bytes) -> None:
    doc = decoded(bom + SEED_LINE.encode("utf-8"))
    assert doc.text == SEED_LINE
    assert doc.metadata["encoding"] == "utf-8"
    assert doc.removals == []


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_page_is_detected_not_read_as_utf8_or_korean(encoding: str) -> None:
    doc = decoded(SUBMARINE.encode(encoding))
    assert doc.text == SUBMARINE
    assert doc.metadata["encoding"] == "gb18030"
    assert doc.warnings == []


def test_big5_page_is_detected() -> None:
    for line in TRADITIONAL:
        doc = decoded(line.encode("big5"))
        assert doc.text == line
        assert doc.metadata["encoding"] == "big5"


@pytest.mark.parametrize("length", [6, 10, 15, 30, 80])
def test_short_real_snippets_decode_right_in_both_chinese_encodings(length: int) -> None:
    # Short pages are where a statistical detector fails (it read 10 GBK characters as EUC-KR); every
    # window of the real records must come back exactly as it was.
    windows = [(text[start : start + length], "gbk") for text in clean_records() for start in range(0, 600, 37)]
    windows += [(text[start : start + length], "big5") for text in TRADITIONAL for start in range(0, 150, 11)]
    windows = [(snippet, encoding) for snippet, encoding in windows if not snippet.isascii()]
    assert len(windows) > 50
    wrong = [(snippet, encoding) for snippet, encoding in windows if decoded(snippet.encode(encoding)).text != snippet]
    assert wrong == []


def test_gbk_text_quoting_cyrillic_is_still_read_as_gbk() -> None:
    assert decoded(NAME_WITH_CYRILLIC.encode("gbk")).text == NAME_WITH_CYRILLIC


def test_whole_clean_records_in_gbk_come_back_unchanged() -> None:
    for text in clean_records():
        assert decoded(text.encode("gb18030")).text == text


def test_full_width_punctuation_is_never_folded_to_ascii() -> None:
    text = "注意：全角标点，“引号”、（括号）！？；１２３"
    for raw in (text.encode("utf-8"), text.encode("gb18030")):
        assert decoded(raw).text == text
    assert clean(text.encode("gb18030")).markdown.strip().endswith(text)


def test_korean_euc_kr_is_not_taken_for_chinese() -> None:
    korean = "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
    assert decoded(korean.encode("euc_kr")).text == korean


def test_a_cut_character_is_replaced_warned_and_recorded_with_its_bytes() -> None:
    # A GBK page whose first line lost the second byte of its last character (a truncated scrape).
    raw = SUBMARINE.encode("gbk")[:-1] + b"\n" + SEED_LINE.encode("gbk")
    doc = decoded(raw)
    assert doc.text == SUBMARINE[:-1] + "\ufffd\n" + SEED_LINE  # still read as GBK, nothing else lost
    assert len(doc.warnings) == 1 and "undecodable" in doc.warnings[0]
    [removal] = doc.removals
    assert (removal.stage, removal.rule, removal.line) == ("decode", "undecodable-bytes", 1)
    assert removal.text == SUBMARINE[-1].encode("gbk")[:1].hex()


def test_invalid_utf8_inside_a_utf8_page_is_reported_not_dropped() -> None:
    raw = codecs.BOM_UTF8 + SEED_LINE.encode("utf-8") + b"\xc3" + "其实不然".encode()
    doc = decoded(raw)
    assert doc.text.startswith(SEED_LINE) and doc.text.endswith("其实不然")
    assert [r.rule for r in doc.removals] == ["undecodable-bytes"]
    assert doc.removals[0].text == "c3"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"\x00\x01\x02\x03" * 200, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "PNG image"),
    ],
)
def test_bad_input_raises_an_error_naming_the_page_and_the_problem(raw: bytes, problem: str) -> None:
    with pytest.raises(CleanError) as caught:
        decoded(raw, source="pages/bad_page.txt")
    assert "pages/bad_page.txt" in str(caught.value)
    assert problem in str(caught.value)
    assert caught.value.stage == "decode"


def test_page_over_max_page_bytes_is_refused_by_name() -> None:
    config = Config(max_page_bytes=200)
    with pytest.raises(CleanError) as caught:
        decode(Document(original=(SEED_LINE * 10).encode("utf-8"), source="big.txt"), config)
    assert "big.txt" in str(caught.value) and "max_page_bytes" in str(caught.value)
    # The same page under the limit is fine: the limit, not the text, made it fail.
    assert decode(Document(original=SEED_LINE.encode("utf-8"), source="big.txt"), config).text == SEED_LINE


def test_line_over_max_line_chars_is_refused_by_name() -> None:
    config = Config(max_line_chars=50)
    with pytest.raises(CleanError) as caught:
        decode(Document(original=SEED_LINE + SUBMARINE, source="long.txt"), config)
    assert "long.txt" in str(caught.value) and "max_line_chars" in str(caught.value)
    assert decode(Document(original=f"{SEED_LINE}\n{SUBMARINE}", source="long.txt"), config).text


def test_text_input_passes_through_unchanged() -> None:
    text = f"{SEED_LINE}\n\n{SUBMARINE}"
    doc = decode(Document(original=text), Config())
    assert doc.text == text and doc.removals == []


def test_stray_nul_and_control_bytes_are_removed_and_recorded_not_a_refusal() -> None:
    """A real page (tests/fixtures/html_sina_related_links.html) with NUL and control bytes a scraper left
    between its lines (as a CCNet page's 0x05-0x08, or 22 NULs in an HTML page trafilatura extracts): the
    same Markdown as without them, and the bytes audited as one repair."""
    page = (FIXTURES / "html_sina_related_links.html").read_bytes()
    first = page.index(b"\n", len(page) // 3) + 1
    second = page.index(b"\n", 2 * len(page) // 3) + 1
    dirty = page[:first] + b"\x00" * 22 + page[first:second] + b"\x05\x06\x07\x08" + page[second:]
    clean_page = clean(page, source="sina.html", strict=True)
    result = clean(dirty, source="sina.html", strict=True)
    assert without_removal_counts(result.markdown) == without_removal_counts(clean_page.markdown)
    (removal,) = [removal for removal in result.removals if removal.stage == "decode"]
    assert (removal.rule, removal.text) == ("control-bytes", "U+0000 U+0005 U+0006 U+0007 U+0008 (x 26)")
    assert removal.line == page[:first].count(b"\n") + 1
    assert "26 NUL or control character(s) removed" in result.warnings


def test_text_with_control_bytes_keeps_its_text() -> None:
    """As a JSONL record's text (str input): the stray bytes go, every character of the text stays."""
    text = f"{SEED_LINE}\x05\n\n\x07{SUBMARINE}\x08"
    result = clean(text, strict=True)
    assert SEED_LINE in result.markdown and SUBMARINE in result.markdown
    assert [removal.rule for removal in result.removals if removal.stage == "decode"] == ["control-bytes"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "content is a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n" * 20, "content is a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "content is a ZIP archive"),
        (b"\x00\x01\x02\x03" * 500 + "一段文字。".encode() * 50, "content looks binary"),
    ],
)
def test_really_binary_content_is_refused_by_name(content: bytes, problem: str) -> None:
    with pytest.raises(CleanError, match=rf"^b\.html: {problem}"):
        decode(Document(original=content, source="b.html"), Config())

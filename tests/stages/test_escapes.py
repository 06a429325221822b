"""escapes: escaped line breaks in all their spellings, HTML entities, invisible characters.

Snippets are from the seed page (000_e1ed175fcb103b38.txt, lines 4 and 8), the Skywork zh_tech sample
(record 3: "&nbsp;" leftovers) and the ChineseWebText clean sample, which must come through unchanged.
"""

from __future__ import annotations

import pytest
from conftest import clean_pages

from cleanpipe import Config, Document, clean
from cleanpipe.stages.escapes import repair_escapes

BEFORE = "相信有一半以上的朋友会说,在微信上卖东西的呗。"
AFTER = "其实不然,微商只是移动互联网的一个产物"
# Skywork zh_tech record 3, verbatim.
NBSP_LINES = (
    "远不及从前那么巨大了。&nbsp;\n"
    "在软件堆栈上，AMD的GPU、英特尔的Gaudi、Meta的MTIA和微软的Athena都取得了一定程度的发展。&nbsp;"
)


def repaired(text: str) -> Document:
    doc = Document(original=text, source="page.txt", text=text)
    return repair_escapes(doc, Config())


def rules(doc: Document) -> list[str]:
    assert all(removal.stage == "escapes" for removal in doc.removals)
    return sorted(removal.rule for removal in doc.removals)


@pytest.mark.parametrize(
    ("escape", "rule"),
    [
        ("x0dx0a", "bare-crlf"),  # the seed: backslashes lost
        ("x0Dx0A", "bare-crlf"),
        ("\\x0d\\x0a", "escaped-crlf"),
        ("\\r\\n", "escaped-crlf"),
        ("\\u000d\\u000a", "escaped-crlf"),
        ("\\n", "escaped-lf"),
        ("\\x0a", "escaped-lf"),
        ("&#13;&#10;", "entity"),
        ("&#xD;&#xA;", "entity"),
        ("<br>", "html-break"),
        ("<br/>", "html-break"),
        ("<BR />", "html-break"),
        ("<br>\r\n", "html-break"),  # the tag and the real break after it are one break
        ("\\\\x0d\\\\x0a", "escaped-crlf"),  # a page escaped twice: two backslashes before each
        ("\\\\r\\\\n", "escaped-crlf"),
        ("\\\\n", "escaped-lf"),
    ],
)
def test_one_escaped_break_is_a_line_break_and_recorded(escape: str, rule: str) -> None:
    doc = repaired(BEFORE + escape + AFTER)
    assert doc.text == f"{BEFORE}\n{AFTER}"
    assert rule in rules(doc)
    assert any(escape.startswith(removal.text) for removal in doc.removals if removal.rule == rule)


@pytest.mark.parametrize("escape", ["x0dx0a", "\\x0d\\x0a", "\\r\\n", "\\n", "&#13;&#10;", "<br>", "<br />\n"])
def test_a_doubled_escaped_break_is_a_paragraph_break(escape: str) -> None:
    doc = repaired(BEFORE + escape * 2 + AFTER)
    assert doc.text == f"{BEFORE}\n\n{AFTER}"
    assert doc.removals


def test_the_count_of_replaced_escapes_is_in_the_reason() -> None:
    doc = repaired(f"{BEFORE}x0dx0a{AFTER}x0dx0ax0dx0a{BEFORE}")
    [removal] = doc.removals
    assert removal.rule == "bare-crlf" and removal.reason.startswith("3 ")


def test_seed_line_with_both_spellings() -> None:
    # Seed page line 4: "\x0d\x0a" spelled out, then the same page's "x0dx0a" on line 8.
    text = "在微信上卖东西的呗。\\x0d\\x0a其实不然,微商只是移动互联网的一个产物。x0dx0a只不过因为移动互联网的大部分流量"
    doc = repaired(text)
    assert doc.text.split("\n") == [
        "在微信上卖东西的呗。",
        "其实不然,微商只是移动互联网的一个产物。",
        "只不过因为移动互联网的大部分流量",
    ]
    assert rules(doc) == ["bare-crlf", "escaped-crlf"]


@pytest.mark.parametrize(
    "text",
    [
        "回车换行的十六进制是0x0d0a，不要写错。",  # a hex number
        "文件哈希ax0dx0ab3f9c2e1d0，请核对。",  # inside a hash
        "变量名my_x0dx0a_name不要改",  # inside an identifier
        "详见https://example.com/x0dx0a/page其实不然",  # inside a URL, CJK glued on
        "详见 //cdn.example.com/static/x0dx0a.js 文件",  # scheme-relative URL
        "详见 example.com/a/x0dx0a.html 说明",  # bare host URL
        '换行写作"\\n"，例如printf("a\\n");',  # quoted code
        "回车换行是'\\r\\n'。",
        "路径C:\\new\\table不要改",  # a Windows path
        "In C, write a\\\\nb for a backslash and an n.",  # a doubled backslash in ASCII text is a backslash
        "路径C:\\\\new\\\\table不要改",  # a Windows path written with doubled backslashes
        "In JSON a line break inside a string is written \\\\n and stays one.",
    ],
)
def test_escapes_inside_urls_hex_identifiers_and_code_are_left_alone(text: str) -> None:
    doc = repaired(text)
    assert doc.text == text
    assert doc.removals == []


def test_nbsp_entities_from_the_tech_pages_become_plain_spaces_and_are_recorded() -> None:
    doc = repaired(NBSP_LINES)
    assert "&nbsp;" not in doc.text and "\u00a0" not in doc.text
    assert doc.text.split("\n") == [
        "远不及从前那么巨大了。",
        "在软件堆栈上，AMD的GPU、英特尔的Gaudi、Meta的MTIA和微软的Athena都取得了一定程度的发展。",
    ]
    entity = next(removal for removal in doc.removals if removal.rule == "entity")
    assert entity.text == "&nbsp;" and entity.reason.startswith("2 ")


def test_entities_inside_a_sentence_decode_to_their_characters() -> None:
    # ccnet record 13 ("卢卡&middot;东契奇") and Skywork zh_tech record 16 ("Legal &amp; Professional").
    doc = repaired("卢卡&middot;东契奇；律商联讯（LexisNexis Legal &amp; Professional）")
    assert doc.text == "卢卡·东契奇；律商联讯（LexisNexis Legal & Professional）"
    assert rules(doc) == ["entity"]


def test_entity_like_text_without_semicolon_in_a_query_string_is_kept() -> None:
    text = "地址：http://gdasst.cn/index.php?g=home&m=article&a=show&id=59"
    assert repaired(text).text == text


@pytest.mark.parametrize(
    ("character", "rule"),
    [("\u200b", "zero-width"), ("\ufeff", "zero-width"), ("\u00ad", "zero-width"), ("\x07", "control-char")],
)
def test_invisible_and_control_characters_are_dropped_and_recorded(character: str, rule: str) -> None:
    doc = repaired(f"微商{character}只是移动互联网的一个产物")
    assert doc.text == "微商只是移动互联网的一个产物"
    assert rules(doc) == [rule]
    assert doc.removals[0].text == repr(character)


def test_odd_spaces_become_plain_spaces_and_are_recorded() -> None:
    # flagdata text demo record 0: an ideographic space inside a sentence; a NBSP between words.
    doc = repaired("县公安局\u3000交警大队认真分析研判\u00a0辖区")
    assert doc.text == "县公安局 交警大队认真分析研判 辖区"
    assert rules(doc) == ["odd-space"]
    assert doc.removals[0].reason.startswith("2 ")


def test_full_width_punctuation_is_not_folded() -> None:
    text = "根据公告披露，华商鸿源三个月定开纯债债券（014076.OF）基准日净值为1.0151元；“信任买卖”！？"
    doc = repaired(text)
    assert doc.text == text and doc.removals == []


def test_clean_corpus_pages_come_through_unchanged() -> None:
    for text in clean_pages("chinesewebtext_fasttext_clean"):
        doc = repaired(text)
        # Only line-edge spaces may go; no character inside a line changes.
        assert doc.text == "\n".join(part.strip() for part in text.split("\n")).strip("\n")
        assert doc.removals == []


def test_repairing_twice_changes_nothing() -> None:
    once = repaired(BEFORE + "x0dx0a" + AFTER + "&nbsp;<br><br>" + BEFORE).text
    again = repaired(once)
    assert again.text == once and again.removals == []


def test_a_fenced_code_block_passes_as_written() -> None:
    # Code from trafilatura_eval page 8d30196723653acb (a Python tutorial), as cleanpipe writes its <pre>.
    code = '>>> if bar is None:\t\t# or if not bar:\n...     print("a\\r\\nb &amp; c")\n\n\nx = 1'
    page = f"正文第一段，介绍下面的代码。\n\n```\n{code}\n```\n\n正文&amp;第二段。\n"
    result = clean(page)
    assert f"```\n{code}\n```" in result.markdown
    assert "正文&第二段。" in result.markdown  # outside the fence, the reference is decoded
    assert clean(result.markdown).markdown == result.markdown

"""render: YAML front matter, '# title', headings, paragraphs, images and links, and escaping only what
Markdown would read as syntax. Checked by rendering the output with markdown-it-py."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from conftest import SEED_PAGE
from markdown_it import MarkdownIt

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.document import Block, Document, Inline, Removal
from cleanpipe.stages.render import escape, render_markdown

SEED = str(SEED_PAGE)
MARKDOWN = MarkdownIt("commonmark")


def rendered_text(markdown: str) -> str:
    """What a reader sees: the HTML markdown-it makes, without tags and with entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", MARKDOWN.render(markdown))).strip()


def front_matter(markdown: str) -> dict[str, object]:
    assert markdown.startswith("---\n")
    head, _ = markdown[4:].split("\n---\n", 1)
    loaded = yaml.safe_load(head)
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    "text",
    [
        "我们来看个公式,营业额=流量*转化率*客单价*复购次数。",  # seed page
        "营业额=流量*转化率*客单价*复购次数",
        "2023&nbsp;ChatGPT引爆了 & 以及 &amp; 和 &#169;",  # skywork zh_tech keeps entity-like text
        "1. 公告基本信息",
        "- 减号开头的一行",
        "# 不是标题",
        "> 不是引用",
        "---",
        "<div>标签</div> 与 a<b",
        "【本文结束】如需转载请务必注明出处：快科技",
        "[链接](http://x) 不是链接",
        "C:\\路径\\文件 和 __init__ 以及 _下划线_",
    ],
)
def test_text_renders_as_written(text: str) -> None:
    assert rendered_text(escape(text, line_start=True)) == text


@pytest.mark.parametrize(
    "text",
    [
        "电商与微商的区别如下:",
        "(1)概念不同:",
        "微商=消费者+传播者+服务者+创业者。",
        "说说好处:1.运营懂产品 美工懂视觉 客服懂服务 三级火箭 一个都不能少",
        "以上两个思路都要认准一个关键点:你的小组必须是既懂电商又懂微商的......",
        "长沙_海尔维修站",
    ],
)
def test_cjk_text_gains_no_needless_backslashes(text: str) -> None:
    assert escape(text, line_start=True) == text


def test_only_the_asterisks_are_escaped_in_the_formula() -> None:
    assert escape("营业额=流量*转化率*客单价*复购次数", line_start=True) == "营业额=流量\\*转化率\\*客单价\\*复购次数"


def test_seed_page_renders_front_matter_title_headings_and_paragraphs() -> None:
    markdown = cleanpipe.clean(open(SEED, "rb").read()).markdown
    meta = front_matter(markdown)
    assert meta["title"] == "电商和微商有什么区别?"
    assert meta["date"] == "2023-03-08 06:15:40" and meta["source"] == "网络" and meta["views"] == 480
    removed = meta["removed"]
    assert isinstance(removed, dict) and removed["dedup"] > 0 and removed["structure"] == 1
    body = markdown.split("\n---\n", 1)[1]
    assert body.lstrip().startswith("# 电商和微商有什么区别?\n\n")
    assert "\n## 微商与电商有什么区别\n\n" in body
    assert "\n### 扩展资料:\n\n" in body
    assert "\n\n\n" not in body  # exactly one blank line between blocks
    assert "![](https://iknow-pic.cdn.bcebos.com/ac4bd11373f08202c22bedba45fbfbedaa641bfd)" in body
    assert "[百度百科-电商](https://baike.baidu.com/item/电商/2772327?fr=aladdin)" in body
    assert "营业额=流量*转化率*客单价*复购次数" in rendered_text(body)


def test_front_matter_is_valid_yaml_with_awkward_values() -> None:
    doc = Document(original="")
    doc.metadata.update(
        {"title": '“双11”: 来了 # 不是注释 "引号" \\ 反斜杠', "url": "https://a.com/x?a=1&b=2", "views": 12}
    )
    doc.blocks = [Block("paragraph", (Inline("正文。"),))]
    doc.removals = [Removal("dedup", "teaser", "x", "r"), Removal("dedup", "teaser", "y", "r")]
    meta = front_matter(render_markdown(doc, Config()).markdown)
    assert meta["title"] == doc.metadata["title"]
    assert meta["url"] == "https://a.com/x?a=1&b=2"
    assert meta["removed"] == {"dedup": 2}
    assert list(meta)[:3] == ["title", "url", "views"]


def test_list_items_are_kept_together_and_images_and_links_render() -> None:
    doc = Document(original="")
    doc.blocks = [
        Block("list_item", (Inline("第一项"),)),
        Block("list_item", (Inline("第二项"),)),
        Block("paragraph", (Inline("见"), Inline("百度百科", "https://baike.baidu.com/item/电商"))),
        Block("image", (Inline("图", "https://img.example.com/a (1).png", image=True),)),
    ]
    markdown = render_markdown(doc, Config()).markdown
    assert "- 第一项\n- 第二项\n\n" in markdown
    assert "见[百度百科](https://baike.baidu.com/item/电商)" in markdown
    assert "![图](https://img.example.com/a%20%281%29.png)" in markdown


def test_removed_blocks_are_not_rendered() -> None:
    doc = Document(original="")
    doc.blocks = [Block("paragraph", (Inline("留下"),)), Block("paragraph", (Inline("删掉"),), removed_by="dedup/x")]
    assert "删掉" not in render_markdown(doc, Config()).markdown


@pytest.mark.parametrize(
    "page",
    [
        open(SEED, "rb").read().decode("utf-8"),
        "标题\n\n---\n\n正文一段比较长的话。",
        "标题\n\n1. 公告基本信息\n\n# 不是标题的一行\n\n营业额=流量*转化率*客单价*复购次数",
    ],
)
def test_render_is_idempotent(page: str) -> None:
    first = cleanpipe.clean(page).markdown
    assert cleanpipe.clean(first).markdown == first

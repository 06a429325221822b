"""markup: broken <a>/<img> fragments to Markdown links and images, orphan fragments removed (recorded)
with their text kept, well-formed HTML parsed into blocks (by the html stage, which markup then leaves
alone), and cleanpipe's own Markdown read back.

Real snippets: the seed page (000_e1ed175fcb103b38.txt, lines 16 and 24), the dirty ChineseWebText line
quoted in the shared corpus's SOURCES.md, and ChineseWebText clean record 3 (must come through as is).
"""

from __future__ import annotations

import pytest

from cleanpipe import Config, Document, clean
from cleanpipe.document import Block, Inline
from cleanpipe.stages.html import read_html
from cleanpipe.stages.markup import repair_markup

# Seed page, line 16 (hash shortened) and line 24, verbatim otherwise.
SEED_IMAGE = (
    '/iknow-pic.cdn.bcebos.com/ac4bd1137"target="_blank">/iknow-pic.cdn.bcebos.com/ac4bd1137'
    '?x-bce-process=image%2Fresize%2Cm_lfit%2Cw_600%2Ch_800%2Climit_1%2Fquality%2Cq_85%2Fformat%2Cf_auto"'
    'esrc="https://iknow-pic.cdn.bcebos.com/ac4bd1137"/>'
)
SEED_BAIKE = '参考资料来源:/baike.baidu.com/item/电商/2772327?fr=aladdin"target="_blank">百度百科-电商'
DIRTY_VIEWS = '&id=1307546" target="_blank">(1727)次阅读|(10)个评论'
CLEAN_RECORD = (
    "瑞星杀毒软件2007版，是基于第八代虚拟机脱壳引擎（VUE）研制开发的新一代信息安全产品。"
    "能够准确查杀各种加壳变种病毒、未知病毒、黑客木马、恶意网页、间谍软件、流氓软件等有害程序。"
)


def blocks(text: str, source: str | None = None) -> tuple[list[Block], Document]:
    """The blocks the readers make, as in the pipeline: the html stage for an HTML page, then markup."""
    doc = Document(original=text, source=source, text=text)
    doc = repair_markup(read_html(doc, Config()), Config())
    return doc.blocks, doc


def only_runs(text: str) -> tuple[tuple[Inline, ...], Document]:
    found, doc = blocks(text)
    assert len(found) == 1
    return found[0].inlines, doc


def test_seed_image_fragment_becomes_the_original_image() -> None:
    runs, doc = only_runs(SEED_IMAGE)
    assert runs == (Inline("", "https://iknow-pic.cdn.bcebos.com/ac4bd1137", image=True),)
    assert {removal.rule for removal in doc.removals} == {"broken-link", "broken-image"}
    assert all(removal.stage == "markup" and removal.line == 1 for removal in doc.removals)


def test_seed_baike_fragment_becomes_a_link_with_https_restored() -> None:
    runs, doc = only_runs(SEED_BAIKE)
    assert runs == (
        Inline("参考资料来源:"),
        Inline("百度百科-电商", "https://baike.baidu.com/item/电商/2772327?fr=aladdin"),
    )
    assert [removal.rule for removal in doc.removals] == ["broken-link"]
    assert doc.removals[0].text == '/baike.baidu.com/item/电商/2772327?fr=aladdin"target="_blank">'


def test_seed_page_renders_image_and_link_in_markdown() -> None:
    markdown = clean(f"正文第一段。\n\n{SEED_IMAGE}\n\n{SEED_BAIKE}\n").markdown
    assert "![](https://iknow-pic.cdn.bcebos.com/ac4bd1137)" in markdown
    assert "[百度百科-电商](https://baike.baidu.com/item/电商/2772327?fr=aladdin)" in markdown
    assert "x-bce-process" not in markdown and "target=" not in markdown


@pytest.mark.parametrize(
    ("fragment", "url", "alt"),
    [
        # Another host and processing parameter, the original in data-original, other attribute order.
        (
            '/img.alicdn.com/bao/a1.jpg?x-oss-process=image/resize,w_600" alt="商品图" '
            'data-original="https://img.alicdn.com/bao/a1.jpg"/>',
            "https://img.alicdn.com/bao/a1.jpg",
            "商品图",
        ),
        # Scheme-relative URLs everywhere; the original in data-src, not the resized src.
        (
            '//pic.example.cn/x/2.png?imageView2/2/w/300" data-src="//pic.example.cn/x/2.png" width="300"/>',
            "https://pic.example.cn/x/2.png",
            "",
        ),
        # Only a processed variant: its processing query is dropped.
        ('/img.example.com/3.jpg?x-oss-process=image/resize,w_200"/>', "https://img.example.com/3.jpg", ""),
    ],
)
def test_broken_image_fragments_of_other_hosts_give_the_original_image(fragment: str, url: str, alt: str) -> None:
    runs, doc = only_runs(fragment)
    assert runs == (Inline(alt, url, image=True),)
    assert [removal.rule for removal in doc.removals] == ["broken-image"]


def test_broken_link_with_other_attributes_and_closing_tag_keeps_the_following_text() -> None:
    runs, _ = only_runs('/zhidao.baidu.com/question/123.html" target="_blank" title="问答">相关问答</a>后面的正文')
    assert runs == (Inline("相关问答", "https://zhidao.baidu.com/question/123.html"), Inline("后面的正文"))


def test_dirty_corpus_orphan_attributes_are_removed_and_the_text_they_wrapped_kept() -> None:
    runs, doc = only_runs(DIRTY_VIEWS)
    assert runs == (Inline("(1727)次阅读|(10)个评论"),)
    [removal] = doc.removals
    assert (removal.rule, removal.text) == ("orphan-fragment", '&id=1307546" target="_blank">')


def test_orphan_attributes_from_the_first_attribute_on_are_removed_whole() -> None:
    runs, doc = only_runs('width="600" height="800"/>图片说明：微商的三种模式')
    assert runs == (Inline("图片说明：微商的三种模式"),)
    assert doc.removals[0].text == 'width="600" height="800"/>'


def test_well_formed_tags_inside_text_become_links_and_images() -> None:
    runs, _ = only_runs(
        '详见<a target="_blank" href="//www.example.com/a?b=1&c=2">示例网站</a>，'
        '配图<img src="//img.example.cn/1.png?x-oss-process=image/resize,w_200" data-src="//img.example.cn/1.png">。'
    )
    assert runs == (
        Inline("详见"),
        Inline("示例网站", "https://www.example.com/a?b=1&c=2"),
        Inline("，配图"),
        Inline("", "https://img.example.cn/1.png", image=True),
        Inline("。"),
    )


def test_leftover_inline_tags_are_removed_recorded_and_their_text_kept() -> None:
    runs, doc = only_runs('这是<b>微商</b>和<span style="color:red">电商</span>的区别')
    assert runs == (Inline("这是微商和电商的区别"),)
    assert [(removal.rule, removal.text) for removal in doc.removals] == [("html-tag", "b span")]


@pytest.mark.parametrize("text", [CLEAN_RECORD, '他说:"你好"。价格是5" x 7"的照片', "公式：营业额=流量*转化率"])
def test_clean_text_and_ordinary_quotes_come_through_unchanged(text: str) -> None:
    runs, doc = only_runs(text)
    assert runs == (Inline(text),)
    assert doc.removals == []


HTML_PAGE = """<!DOCTYPE html><html><head><title>电商和微商有什么区别?</title>
<style>.a{color:red}</style><script>var tracker = 1;</script></head>
<body><header>网站首页 | 登录</header><nav><a href="/">首页</a><a href="/news">新闻</a></nav>
<article><h1>电商和微商有什么区别?</h1><p>首先,我想问句,到底什么是<b>微商</b>?</p>
<p>参考资料来源:<a href="//baike.baidu.com/item/电商">百度百科-电商</a></p>
<ul><li>第一点,决定流量的是看你有没有一定的推广渠道。</li><li>第二点,决定转化率的就是看你的文案能力。</li></ul>
<p><img src="//img.example.com/a.jpg?x-oss-process=image/resize,w_100"
 data-original="//img.example.com/a.jpg" alt="图一"></p>
<h2>具体怎么操作?</h2><p>先从朋友圈开始。</p>
</article><aside>相关推荐</aside><footer>版权所有 ©2023</footer></body></html>"""


def test_html_page_is_parsed_into_blocks() -> None:
    found, doc = blocks(HTML_PAGE, source="x.html")
    assert doc.is_html
    assert [(block.kind, block.level, block.inlines) for block in found] == [
        ("heading", 1, (Inline("电商和微商有什么区别?"),)),
        ("paragraph", 0, (Inline("首先,我想问句,到底什么是微商?"),)),
        ("paragraph", 0, (Inline("参考资料来源:"), Inline("百度百科-电商", "https://baike.baidu.com/item/电商"))),
        ("list_item", 0, (Inline("第一点,决定流量的是看你有没有一定的推广渠道。"),)),
        ("list_item", 0, (Inline("第二点,决定转化率的就是看你的文案能力。"),)),
        ("image", 0, (Inline("图一", "https://img.example.com/a.jpg", image=True),)),
        ("heading", 2, (Inline("具体怎么操作?"),)),
        ("paragraph", 0, (Inline("先从朋友圈开始。"),)),
    ]


def test_html_page_chrome_is_dropped_and_each_element_recorded() -> None:
    _, doc = blocks(HTML_PAGE, source="x.html")
    recorded = {removal.rule: removal.text for removal in doc.removals}
    assert recorded == {
        "html-style": ".a{color:red}",
        "html-script": "var tracker = 1;",
        "html-header": "网站首页 | 登录",
        "html-navigation": "首页新闻",
        "html-sidebar": "相关推荐",
        "html-footer": "版权所有 ©2023",
    }
    assert {removal.stage for removal in doc.removals} == {"html"}


def test_html_fragment_without_html_source_is_detected_by_its_block_tags() -> None:
    found, doc = blocks("<p>第一段。</p><p>第二段。</p><div>第三段。</div>")
    assert doc.is_html
    assert [block.text for block in found] == ["第一段。", "第二段。", "第三段。"]


def test_markdown_is_read_back_into_the_same_blocks() -> None:
    markdown = (
        '---\ntitle: "电商和微商有什么区别?"\nsource: "网络"\n---\n\n# 电商和微商有什么区别?\n\n'
        "营业额=流量\\*转化率\\*客单价\n\n![](https://iknow-pic.cdn.bcebos.com/ac4bd1137)\n\n"
        "参考资料来源:[百度百科-电商](https://baike.baidu.com/item/电商/2772327?fr=aladdin)\n\n- 第一点\n"
    )
    found, doc = blocks(markdown)
    assert doc.metadata["title"] == "电商和微商有什么区别?" and doc.metadata["source"] == "网络"
    assert [(block.kind, block.inlines) for block in found] == [
        ("heading", (Inline("电商和微商有什么区别?"),)),
        ("paragraph", (Inline("营业额=流量*转化率*客单价"),)),
        ("image", (Inline("", "https://iknow-pic.cdn.bcebos.com/ac4bd1137", image=True),)),
        (
            "paragraph",
            (Inline("参考资料来源:"), Inline("百度百科-电商", "https://baike.baidu.com/item/电商/2772327?fr=aladdin")),
        ),
        ("list_item", (Inline("第一点"),)),
    ]
    assert doc.removals == []


def test_scheme_relative_markdown_urls_get_https() -> None:
    runs, _ = only_runs("![图](//img.example.com/a.png) [链接](//www.example.com/b)")
    assert [run.url for run in runs if run.url] == ["https://img.example.com/a.png", "https://www.example.com/b"]


@pytest.mark.parametrize(
    "page",
    [
        f"正文第一段。\n\n{SEED_IMAGE}\n\n{SEED_BAIKE}\n\n{DIRTY_VIEWS}\n",
        "营业额=流量*转化率*客单价*复购次数。[注] 用_下划线_和#号的正文",
    ],
)
def test_cleaning_cleanpipe_output_again_changes_nothing(page: str) -> None:
    once = clean(page).markdown
    assert clean(once).markdown == once


def test_page_wrapped_in_a_form_keeps_its_content() -> None:
    # ASP.NET pages wrap the whole body in one <form> (zh_cwced has such a page): a form is no reason to
    # drop content, unlike nav/aside/footer.
    page = (
        '<html><body><form id="form1" method="post"><nav><a href="/">首页</a></nav>'
        "<h1>淘宝网物流配送存在的问题及对策研究</h1>"
        "<p>随着电子商务的快速发展，物流配送成为制约网购体验的关键环节。</p></form></body></html>"
    )
    result = clean(page, source="paper.html")
    assert "随着电子商务的快速发展，物流配送成为制约网购体验的关键环节。" in result.markdown
    assert result.metadata["title"] == "淘宝网物流配送存在的问题及对策研究"
    assert "首页" not in result.markdown.split("---\n", 2)[2]


def test_html_page_url_goes_to_front_matter() -> None:
    page = (
        '<html><head><link rel="canonical" href="https://news.example.cn/a/2023/0908.html">'
        "<title>居家养老有“医”靠</title></head><body><h1>居家养老有“医”靠</h1>"
        "<p>11月23日，市政府新闻办举行新闻发布会，发布4项地方标准。</p></body></html>"
    )
    result = clean(page, source="page.html")
    assert result.metadata["url"] == "https://news.example.cn/a/2023/0908.html"
    assert 'url: "https://news.example.cn/a/2023/0908.html"' in result.markdown
    relative = page.replace("https://news.example.cn/a/2023/0908.html", "/a/2023/0908.html")
    assert "url" not in clean(relative, source="page.html").metadata


def test_an_image_fragment_whose_url_urllib_cannot_split_is_kept_not_a_crash() -> None:
    """A fragment met in fuzzed pages: '//]' is no URL urllib can split (a broken IPv6 host)."""
    result = clean('/s.om"esrc="//]">', strict=True)
    assert result.markdown.endswith("\n\n![](https://])\n")
    assert clean(result.markdown, strict=True).markdown == result.markdown


def test_a_markdown_url_keeps_its_balanced_parentheses() -> None:
    runs, _ = only_runs("见[维基百科](https://zh.wikipedia.org/wiki/电商_(商业))一文。")
    assert [(run.text, run.url) for run in runs] == [
        ("见", None),
        ("维基百科", "https://zh.wikipedia.org/wiki/电商_(商业)"),
        ("一文。", None),
    ]


# Pages built to make a backtracking parser slow: each piece repeated until the page is about 64 KB.
# Cleaning them is linear in their size (bench/bench_adversarial.py measures it at 1x to 8x); here each
# must clean without error, without inventing text, and clean again to itself, as any page must.
ADVERSARIAL = {
    "attribute opener": 'esrc="',
    "image opener": "![](",
    "bracket": "[",
    "link opener": "[a](",
    "prose with image openers": "这是一段正常的中文内容，用于测试。![](",
    "attribute list": 'x="y"',
    "link tag opener": '<a href="x">',
    "URL glued to Chinese": "中http://a.bc/x",
    "path glued to Chinese": "中/a.bc/x",
}


@pytest.mark.parametrize("piece", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_pages_made_to_backtrack_clean_to_themselves_without_inventing_text(piece: str) -> None:
    page = piece * (64_000 // len(piece.encode("utf-8"))) + '"z>'
    once = clean(page, strict=True)
    body = once.markdown.split("---\n", 2)[-1]
    assert {ch for ch in body if ch.isalnum()} <= set(page)
    assert clean(once.markdown, strict=True).markdown == once.markdown


def test_a_code_fence_that_never_closes_loses_nothing() -> None:
    page = "第一段正文内容。\n\n```\n第二段。\n第三段内容。\n"
    result = clean(page)
    assert result.markdown.endswith("第一段正文内容。\n\n第二段。\n\n第三段内容。\n")
    assert [(r.rule, r.text) for r in result.removals] == [("unclosed-fence", "```")]
    assert clean(result.markdown).markdown == result.markdown

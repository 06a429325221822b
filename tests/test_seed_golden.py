"""The seed page, end to end, against an expected Markdown that was read line by line.

tests/fixtures/seed_expected.md is the reviewed output. When a change alters it on purpose, read the
new output line by line before replacing the file. The checks after the golden comparison say in words
what the golden file must show, so a careless regeneration still fails.
"""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES

import cleanpipe

SEED = Path(__file__).parent.parent / "data" / "raw" / "content_farm_qa.txt"


def _seed() -> cleanpipe.CleanResult:
    return cleanpipe.clean(SEED.read_bytes(), source=str(SEED))


def test_seed_matches_the_reviewed_markdown() -> None:
    assert _seed().markdown == (FIXTURES / "seed_expected.md").read_text(encoding="utf-8")


def test_seed_keeps_every_genuine_part_once() -> None:
    markdown = _seed().markdown
    body = markdown.split("\n---\n", 1)[1]
    # the long article, once
    assert body.count("首先,我想问句,到底什么是微商?") == 1
    assert body.count("风停后,一个个被吹上风口的猪也终归要掉下来。") == 1
    assert body.count("我重点说一下第二批。") == 1
    # the genuine sections, with their content
    for heading in ("## 电商和微商有什么区别\n", "### 扩展资料:", "## 微商与电商有什么区别", "### (1)概念不同:",
                    "### (2)模式不同:", "### (3)盈利不同:", "## 具体怎么操作?"):
        assert heading in body
    assert "思路①:前提是" in body and "思路②:招募一级代理商" in body
    assert "以上两个思路都要认准一个关键点" in body
    # image and link repaired into working Markdown, the original image preferred
    assert "![](https://iknow-pic.cdn.bcebos.com/ac4bd11373f08202c22bedba45fbfbedaa641bfd)\n" in body
    assert "[百度百科-电商](https://baike.baidu.com/item/电商/2772327?fr=aladdin)" in body


def test_seed_loses_teaser_copy_outro_footer_and_residue() -> None:
    result = _seed()
    body = result.markdown.split("\n---\n", 1)[1]
    for gone in ("核心提示", "电商和微商如何做到相结合", "以上就是关于", "举报", "推荐图文", "网站首页", "ICP",
                 "x0dx0a", "\\x0d", "target=", "esrc", "x-bce-process", "2023-03-08"):
        assert gone not in body, gone
    assert result.metadata["title"] == "电商和微商有什么区别?"
    assert result.metadata["date"] == "2023-03-08 06:15:40"
    rules = {(removal.stage, removal.rule) for removal in result.removals}
    assert {("dedup", "teaser"), ("dedup", "repeated-title"), ("boilerplate", "template-outro"),
            ("boilerplate", "report-widget"), ("structure", "byline")} <= rules


def test_seed_output_is_stable_when_cleaned_again() -> None:
    first = _seed().markdown
    assert cleanpipe.clean(first).markdown == first

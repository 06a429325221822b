"""structure: title, byline into front matter, headings. Lines are real page lines (seed page and the
shared corpus: skywork zh_news/zh_finance/zh_game, ccnet, chinesewebtext dirty, wudao)."""

from __future__ import annotations

import pytest

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.document import Document
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.structure import heading_level, parse_byline

UP_TO_STRUCTURE = Pipeline().reorder(["decode", "escapes", "markup", "structure"])


def structured(text: str) -> Document:
    return UP_TO_STRUCTURE.run(Document(original=text), Config())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2023-03-08 06:15:40 网络480", {"date": "2023-03-08 06:15:40", "source": "网络", "views": 480}),
        (
            "来源：新华社 作者：张三 2023年9月1日 10:20",
            {"date": "2023-09-01 10:20", "source": "新华社", "author": "张三"},
        ),
        ("发布时间：2023-09-01 浏览：123", {"date": "2023-09-01", "views": 123}),
        ("2023/9/1 星期五", {"date": "2023-09-01"}),
        ("来源:康爱多网上药店 发布时间:2013年04月06日", {"date": "2013-04-06", "source": "康爱多网上药店"}),
        ("shouzhuan 2021年08月21日 12:52", {"date": "2021-08-21 12:52", "source": "shouzhuan"}),
        ("转自：第一财经", {"source": "第一财经"}),
        ("作者| 唐开元", {"author": "唐开元"}),
    ],
)
def test_byline_shapes_are_parsed_into_fields(line: str, expected: dict[str, object]) -> None:
    assert parse_byline(line) == expected


def test_a_label_left_without_value_is_not_taken_as_the_source() -> None:
    # ccnet page: the date was read, and '发布时间：' used to become source '发布时间：'.
    fields = parse_byline("发布时间：2021.06.03 浏览量：人 作者：北京浪琴维修")
    assert fields == {"date": "2021-06-03", "author": "北京浪琴维修"}


@pytest.mark.parametrize(
    "line",
    [
        # prose that holds a date (seed page)
        "微商是基于移动互联网的空间,借助于社交软件为工具,以人为中心,社交为纽带的新商业。2019年1月1日,"
        "《中华人民共和国电子商务法》正式实施",
        "2019年1月1日，《中华人民共和国电子商务法》正式实施",
        # a note under a chart (skywork zh_finance): an unknown label before the date
        "数据截止日期：2022-12-31",
        "图表1：2005-2022年晨星股票型基金指数与沪深300指数对比",
        # a sentence with a date and a view-like number (skywork zh_news)
        "9月18日消息，证监会近期拟对《上市公司监管指引第3号——上市公司现金分红》进行修订",
    ],
)
def test_prose_with_dates_is_not_a_byline(line: str) -> None:
    assert parse_byline(line) is None


def test_byline_before_the_title_goes_to_front_matter_and_the_title_is_the_next_line() -> None:
    # ccnet: the page opens with its byline, then the title.
    doc = structured("0 发布时间：2021.04.17\n如何保持冰箱清洁\n1、不要什么都放进冰箱。买回来的蔬菜要先做筛选再处理。")
    assert doc.metadata["title"] == "如何保持冰箱清洁"
    assert doc.metadata["date"] == "2021-04-17"
    assert [r.rule for r in doc.removals if r.stage == "structure"] == ["byline"]


def test_seed_title_and_byline() -> None:
    doc = structured("电商和微商有什么区别?\n\n   2023-03-08 06:15:40 网络480\n首先,我想问句,到底什么是微商?")
    assert doc.metadata["title"] == "电商和微商有什么区别?"
    assert doc.metadata["source"] == "网络" and doc.metadata["views"] == 480
    assert doc.blocks[0].kind == "title"
    assert not doc.blocks[1].kept and doc.blocks[1].removed_by == "structure/byline"


@pytest.mark.parametrize(
    "first_line",
    ["转自：第一财经", "作者：LL", "导语", "前言", "公告送出日期：2023年9月1日", "1. 公告基本信息"],
)
def test_bylines_section_names_and_list_items_are_not_titles(first_line: str) -> None:
    body = "众所周知，国内公募基金的长期收益率良好，主动管理基金中长期创造了显著的超额收益。"
    doc = structured(f"{first_line}\n{body}")
    assert doc.metadata.get("title") is None


def test_a_quotation_opening_the_article_is_not_its_title() -> None:
    line = "“如果你问三个人《哥特王朝》(Gothic)里都有什么，你会得到各式各样的答案。这就是为什么它值得一玩”"
    doc = structured(line + "\n正文第一段，讲了很多别的事情。")
    assert doc.metadata.get("title") is None


def test_known_title_from_metadata_is_matched_not_guessed() -> None:
    doc = UP_TO_STRUCTURE.run(
        Document(original="转自：上观新闻\n正文。", metadata={"title": "别的标题"}), Config()
    )
    assert doc.metadata["title"] == "别的标题"
    assert all(block.kind != "title" for block in doc.blocks)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("电商和微商有什么区别?", 2),
        ("具体怎么操作?", 2),
        ("新能源车险拐点何时才会出现？", 2),
        ("大赛即将开启 谁是下一个百万大V？", 2),
        ("第一章 总 则", 2),
        ("二、狗屁工作的“阴谋论”", 2),
        ("扩展资料:", 3),
        ("(1)概念不同:", 3),
        ("参考资料：", 3),
        ("前言", 2),
        ("What is a visual novel?", 2),
    ],
)
def test_question_and_label_lines_become_headings(line: str, level: int) -> None:
    assert heading_level(line) == level


@pytest.mark.parametrize(
    "line",
    [
        # dialogue and narration from the novel excerpt (chinesewebtext_fasttext_dirty)
        "“再见，林霄。”",
        "“林霄！林霄你怎么了！？”",
        "“婉秋……婉秋……”",
        "他是……林霄！！！",
        "林霄猛然睁开眼睛。",
        "他满脸的痛苦，像是在承受什么巨大的折磨。",
        # dialogue with a speaker (skywork zh_game)
        "花雪理：“这都还没放学怎么出得去？”",
        "——这是什么词？这也能叫剧本？",
        # rhetorical questions in prose (skywork zh_news)
        "有一点难以想象？",
        "因为是泰国拍的？",
        "而古装？可能会违和？",
        "那么如何让你游戏一键转变为「新游戏库」呢？请看下方",
        # lead-ins ending in a colon
        "你会想：",
        "方式如下：",
        "但必须注意的是：",
        "不少网友网友评价道：",
        # sidebar names without a question mark
        "谁是首富",
    ],
)
def test_dialogue_prose_and_lead_ins_are_not_headings(line: str) -> None:
    assert heading_level(line) == 0


def test_novel_excerpt_has_no_headings() -> None:
    excerpt = "\n".join(
        [
            "女子站直身体，弯腰轻抚林霄呆滞的面庞。",
            "似是在同他做，最后的诀别。",
            "“再见，林霄。”",
            "可就在她转身的瞬间！",
            "“林霄！林霄你怎么了！？”",
            "如潮的记忆，汹涌而来！",
            "他是……林霄！！！",
        ]
    )
    doc = structured(excerpt)
    assert [b.text for b in doc.blocks if b.kind == "heading"] == []


def test_structure_is_stable_on_its_own_output() -> None:
    page = "\n\n".join(
        ["电商和微商有什么区别?", "2023-03-08 06:15:40 网络480", "扩展资料:", "电子商务将传统的商务流程电子化。"]
    )
    first = cleanpipe.clean(page)
    second = cleanpipe.clean(first.markdown)
    assert second.markdown == first.markdown
    assert second.metadata["title"] == "电商和微商有什么区别?"
    assert "### 扩展资料:" in first.markdown

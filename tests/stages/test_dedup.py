"""dedup within one page: teasers, a repeated title, passages pasted twice (exactly or with small edits),
repeats inside one line, empty sections, and a cost that stays near-linear. Lines are real: the seed
page, flagai jinrong, wudao, skywork zh_news/zh_finance."""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import SEED_PAGE

import cleanpipe
import cleanpipe.stages.dedup as dedup_stage
from cleanpipe.config import Config

SEED = str(SEED_PAGE)

# Paragraphs of the seed page's article, in order.
ARTICLE = [
    "首先,我想问句,到底什么是微商?相信有一半以上的朋友会说,在微信上卖东西的呗。",
    "其实不然,微商只是移动互联网的一个产物,存在于任何一个移动互联网载体上,它将传统方式与互联网相结合,实现的一个资源整合。",
    "只不过因为移动互联网的大部分流量都被微信抓去了,所以大家感觉移动互联网载体好像就只有微信了。"
    "我在这里做个解释的目的是避免大家只在微信闭门造车,比如我就有几个朋友在陌陌和其它APP上开了小店。",
    "那么,微商与传统电商的区别是什么呢?在我看来,最根本的区别是购物场景不同。",
    "拿淘宝跟微信朋友圈小店做个例子。每当我们在登陆淘宝前,每个人心里往往是抱有一种购物目的。"
    "比如天气冷了要添件衣服,男朋友生日了要买个礼物诸如此类。",
    "我重点说一下第二批。",
    "我们来看个公式,营业额=流量*转化率*客单价*复购次数。如果在四个因素中你一个优势都不具备,我奉劝一下慎入。",
]


def removed(result: cleanpipe.CleanResult, rule: str) -> list[str]:
    return [r.text for r in result.removals if r.stage == "dedup" and r.rule == rule]


def page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize("label", ["核心提示:", "导读：", "摘要：", "内容提要：", "【编者按】"])
def test_labelled_teaser_repeating_the_body_start_is_removed(label: str) -> None:
    teaser = label + ARTICLE[0] + ARTICLE[1][:20] + "…"
    result = cleanpipe.clean(page("电商和微商有什么区别?", teaser, *ARTICLE))
    assert removed(result, "teaser") == [teaser]
    assert result.markdown.count("首先,我想问句") == 1
    assert label.strip("【】:：") not in result.markdown


def test_seed_teaser_spanning_lines_is_compared_after_escape_repair() -> None:
    # The seed's teaser holds '\x0d\x0a' where the body has 'x0dx0a': both become line breaks first.
    result = cleanpipe.clean(open(SEED, "rb").read())
    teaser = removed(result, "teaser")
    assert teaser[0].startswith("核心提示:首先") and teaser[-1] == "只不过因为"
    assert "核心提示" not in result.markdown


@pytest.mark.parametrize("teaser", ["核心提示:首先,我想问句", "导读：首先,我想问句…", "【摘要】首先我想问"])
def test_a_labelled_teaser_of_a_few_words_that_open_the_body_is_removed(teaser: str) -> None:
    result = cleanpipe.clean(page("电商和微商有什么区别?", teaser, *ARTICLE))
    assert removed(result, "teaser") == [teaser]
    assert result.markdown.count("首先,我想问句") == 1


@pytest.mark.parametrize("line", ["摘要：微商的真相", "导读：微商与传统电商", "核心提示:我重点说一下第二批。"])
def test_a_few_labelled_words_the_body_does_not_open_with_stay(line: str) -> None:
    """A short summary in other words, or words from deep in the body, are not a teaser of the body's start."""
    result = cleanpipe.clean(page("电商和微商有什么区别?", line, *ARTICLE))
    assert removed(result, "teaser") == []


def test_a_teaser_that_is_not_the_body_start_stays() -> None:
    summary = "摘要：本文讨论微商的前景与风险，并给出三条建议，供读者参考，不构成任何投资建议。"
    result = cleanpipe.clean(page("电商和微商有什么区别?", summary, *ARTICLE))
    assert removed(result, "teaser") == []
    assert "本文讨论微商的前景与风险" in result.markdown


def test_repeated_title_is_removed_once() -> None:
    result = cleanpipe.clean(page("电商和微商有什么区别?", "电商和微商有什么区别?", *ARTICLE))
    assert removed(result, "repeated-title") == ["电商和微商有什么区别?"]
    assert result.markdown.count("电商和微商有什么区别?") == 2  # front matter and '# title'


def test_seed_keeps_the_first_copy_and_the_qa_sections() -> None:
    markdown = cleanpipe.clean(open(SEED, "rb").read()).markdown
    assert markdown.count("首先,我想问句") == 1
    assert markdown.count("风停后,一个个被吹上风口的猪") == 1
    assert "电商和微商如何做到相结合" not in markdown  # the heading of the second copy, now empty
    for kept in ("## 电商和微商有什么区别\n", "### 扩展资料:", "## 微商与电商有什么区别", "### (3)盈利不同:",
                 "## 具体怎么操作?", "思路①", "思路②"):
        assert kept in markdown
    assert markdown.index("风停后") < markdown.index("## 微商与电商有什么区别")


def edited_copy(paragraphs: list[str]) -> list[str]:
    """A second copy with the edits scrapers and spinners make: digits, punctuation, a dropped sentence."""
    copy = [p.replace("一半以上", "一半多").replace(",", "，") for p in paragraphs]
    copy[2] = copy[2].split("。")[0] + "。"  # one sentence dropped
    copy[4] = copy[4].replace("男朋友生日", "女朋友生日")
    return copy


def test_passage_pasted_twice_with_small_edits_is_removed() -> None:
    first = ARTICLE[:5]
    second = edited_copy(first)
    result = cleanpipe.clean(page("标题", *first, "另一个小标题", *second))
    near = [r for r in result.removals if r.stage == "dedup" and "repeated-passage" in r.rule]
    assert {r.text for r in near} >= {second[0], second[1], second[3], second[4]}
    assert all(r.score is not None and r.score >= Config().dedup_threshold for r in near)
    assert "女朋友生日" not in result.markdown and "男朋友生日" in result.markdown


def test_dedup_threshold_is_configurable() -> None:
    first = ARTICLE[4]
    second = first.replace("男朋友生日了要买个礼物", "女朋友过生日了想要买一个礼物")
    text = page("标题", first, "中间一段完全不同的文字，讲的是另外一件事情，没有重复。", second)
    strict = cleanpipe.clean(text, config=Config(dedup_threshold=99.0))
    loose = cleanpipe.clean(text, config=Config(dedup_threshold=80.0))
    assert "女朋友" in strict.markdown
    assert "女朋友" not in loose.markdown


def test_genuine_repeated_short_lines_survive() -> None:
    # '扩展资料:' under two sections (Baidu Zhidao answers), and a chart note under two charts
    # (skywork zh_finance).
    text = page(
        "电商和微商有什么区别",
        "电子商务,简称电商,是指在互联网上以电子交易方式进行交易活动和相关服务活动。",
        "扩展资料:",
        "电子商务将传统的商务流程电子化、数字化,一方面以电子流代替了实物流,可以大量减少人力、物力。",
        "微商与电商有什么区别",
        "微商是基于移动互联网的空间,借助于社交软件为工具,以人为中心,社交为纽带的新商业。",
        "扩展资料:",
        "微商经历了速度为王、产品为王、团队为王、品牌为王的阶段。",
        "图表1：2005-2022年晨星股票型基金指数与沪深300指数对比",
        "数据截止日期：2022-12-31",
        "投资者不赚钱指的是投资者获得的实际收益并不理想。",
        "图表2：2005-2022年偏股型基金投资者收益",
        "数据截止日期：2022-12-31",
    )
    result = cleanpipe.clean(text)
    assert [r for r in result.removals if r.stage == "dedup"] == []
    assert result.markdown.count("### 扩展资料:") == 2
    assert result.markdown.count("数据截止日期：2022-12-31") == 2


def test_distinct_lines_of_one_template_are_not_near_duplicates() -> None:
    # ccnet: a price table whose rows differ in one word.
    rows = ["2022年四月铂金的DOP价格", "2022年三月铂金的DOP价格", "2022年二月铂金的DOP价格"]
    result = cleanpipe.clean(page("过去90天铂金之多米尼加比索(DOP)历史价格", *rows))
    assert all(row in result.markdown for row in rows)


@pytest.mark.parametrize(
    "entries",
    [
        # ccnet: a catalogue's entries for two sensors, alike but for the model, ranges and capacity.
        [
            "力传感器 HBM 的S9 力传感器 有广泛的应用: 包括材料测试,功能性元件测试和生产监控.S 型力传感器 有5个量程,"
            "从 0…20 N 最大到 0…50 kN. 每种型号都有相同的尺寸和外型",
            "力传感器 HBM 的S2 力传感器 有广泛的应用: 包括材料测试,功能性元件测试和生产监控.S 型力传感器 有6个量程,"
            "从 0…20 N 最大到 0…1000 N. 每种型号都有相同的尺寸和外型",
        ],
        # trafilatura_eval: a game's settings, once for the user's team and once for the computer's.
        [
            "Increases/reduces the amount of error applied to a user team’s ground passes. "
            "This doesn’t affect other types of passes.",
            "Increases/reduces the amount of error applied to a CPU team’s ground passes. "
            "This doesn’t affect other types of passes.",
        ],
        # trafilatura_eval: spas' prices in a listicle.
        [
            "Tageskarte Erwachsene: ab 35,50 € (Aufzahlung Sauna: 8,50 €) | Hier geht’s zu allen Ticketpreisen",
            "Tageskarte Erwachsene: ab 32,90 € (Aufzahlung Sauna: 6 €) | Hier geht’s zu allen Ticketpreisen",
        ],
    ],
)
def test_entries_alike_but_for_their_numbers_or_a_word_are_not_near_duplicates(entries: list[str]) -> None:
    result = cleanpipe.clean(page("Title of the page", *entries))
    assert removed(result, "near-repeated-passage") == []
    assert not dedup_stage.different_facts(entries[0], entries[0])


def test_a_copy_with_its_own_list_number_or_an_added_word_is_still_a_near_duplicate() -> None:
    # skywork zh_finance: a fund notice repeats a sentence as item 4 of a list, with one word changed;
    # the English line gains a word (a copy pasted with small edits).
    first = "投资人如有任何疑问，可致电基金管理人客户服务电话400-00-95526咨询。"
    copy = "4、投资者如有任何疑问，可致电本基金管理人客户服务电话400-00-95526咨询。"
    english = "Increases/reduces the amount of error applied to a user team’s ground passes in every match."
    edited = "Increases/reduces the amount of error applied to a user team’s ground passes in every single match."
    assert not dedup_stage.different_facts(copy, first) and not dedup_stage.different_facts(edited, english)
    result = cleanpipe.clean(page("Title of the page", first, "中间另有一段话。", copy, english, edited))
    assert removed(result, "near-repeated-passage") == [copy, edited]


def test_a_run_of_short_lines_pasted_twice_is_removed() -> None:
    # skywork zh_news: a fund announcement pasted twice, all of it short lines.
    notice = ["公告送出日期：2023年7月22日", "1. 公告基本信息", "2. 离任基金经理的相关信息",
              "上述事项已按规定在中国证券投资基金业协会办理相关手续。", "特此公告。", "太平基金管理有限公司"]
    result = cleanpipe.clean("\n".join([*notice, *notice]))
    assert result.markdown.count("特此公告。") == 1
    assert result.markdown.count("太平基金管理有限公司") == 1


def test_empty_section_heading_goes_only_when_its_content_was_removed() -> None:
    text = page(
        "标题", *ARTICLE, "电商和微商如何做到相结合", *ARTICLE,
        "具体怎么操作?", "思路①:前提是你的电商业务趋于稳定。", "这个模式有什么风险?",
    )
    result = cleanpipe.clean(text)
    assert removed(result, "empty-section") == ["电商和微商如何做到相结合"]
    assert "## 这个模式有什么风险?" in result.markdown  # empty from the start: nothing of it was removed


class CountingFuzz:
    """Stands in for rapidfuzz.fuzz inside stages/dedup.py and counts every comparison."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        function = getattr(self.real, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return function(*args, **kwargs)

        return counted


def test_comparisons_stay_linear_in_the_number_of_paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Thousands of distinct paragraphs built from a small pool of real sentences share many shingles,
    # the worst case for candidate search; the number of rapidfuzz calls must stay proportional.
    sentences = [s + "。" for p in ARTICLE for s in p.split("。") if len(s) > 8]
    rng = random.Random(7)
    paragraphs = [f"第{n}条：" + "".join(rng.sample(sentences, 3)) + f"编号{n * 7919}" for n in range(3000)]
    counter = CountingFuzz(dedup_stage.fuzz)
    monkeypatch.setattr(dedup_stage, "fuzz", counter)
    result = cleanpipe.clean(page("标题", *paragraphs))
    assert counter.calls <= 5 * len(paragraphs)
    assert counter.calls > 0  # the counter is really in the path
    kept = [b for b in result.document.blocks if b.kept and b.kind == "paragraph"] if result.document else []
    assert len(kept) >= len(paragraphs) * 0.5


def test_dedup_is_idempotent_and_invents_nothing() -> None:
    raw = open(SEED, "rb").read()
    first = cleanpipe.clean(raw)
    assert cleanpipe.clean(first.markdown).markdown == first.markdown
    source = raw.decode("utf-8").replace("x0dx0a", "").replace("\\x0d\\x0a", "")
    body = first.markdown.split("---\n", 2)[2]
    for line in body.splitlines():
        text = line.lstrip("#- ").replace("\\*", "*")
        if text and not text.startswith(("![", "参考资料来源")):
            assert text in source, text

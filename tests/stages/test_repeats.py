"""repeats: a line that holds its own text twice keeps one copy (flagai jinrong "Q？A A" records, a
wudao page whose body repeats after a label), and lines that merely share words are left alone."""

from __future__ import annotations

from conftest import fixture_text

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.document import Block, Document, Inline
from cleanpipe.stages.repeats import cut_repeated_lines


def removed(result: cleanpipe.CleanResult, rule: str) -> list[str]:
    return [r.text for r in result.removals if r.stage == "repeats" and r.rule == rule]


def test_jinrong_question_answer_answer_line_keeps_one_answer() -> None:
    line = fixture_text("jinrong_2_answer_twice.txt").strip()
    result = cleanpipe.clean(line)
    question, answer = line.split("？", 1)
    half = answer[: len(answer) // 2]
    assert half + half == answer  # the fixture really is the answer twice
    assert result.markdown.count("银行卡长期不用是否会自动注销") == 1
    assert result.markdown.rstrip().endswith("可能会被销卡。")
    assert removed(result, "repeated-passage-in-line") == [half]


def test_body_twice_in_one_line_with_a_label_between() -> None:
    text = fixture_text("wudao_body_twice_with_label.txt").strip()
    result = cleanpipe.clean(text)
    assert result.markdown.count("玫瑰开吧~拿青春来绽放") == 1
    cut = removed(result, "repeated-passage-in-line")
    assert len(cut) == 1 and cut[0].startswith("基本内容：玫瑰开吧")


def _cut(text: str) -> Document:
    doc = Document(original=text, blocks=[Block("paragraph", (Inline(text),), line=1)])
    return cut_repeated_lines(doc, Config())


def test_a_line_that_only_shares_its_opening_with_its_end_is_kept() -> None:
    # skywork zh_finance style: the fund's name opens and closes the sentence, the rest differs.
    text = ("华商鸿源三个月定开纯债债券基准日净值为1.0151元，本次分红每10份派0.12元，"
            "权益登记日为9月8日，除息日为9月8日，华商鸿源三个月定开纯债债券")
    doc = _cut(text)
    assert doc.blocks[0].text == text and doc.removals == []


def test_three_copies_keep_one() -> None:
    answer = "混合型基金长期持有不一定赚钱，基金的涨跌主要还是依靠股票市场的表现和基金经理的能力。"
    doc = _cut("混合型基金长期持有一定能赚钱吗？" + answer * 3)
    assert doc.blocks[0].text == "混合型基金长期持有一定能赚钱吗？" + answer
    assert [r.rule for r in doc.removals] == ["repeated-passage-in-line"] * 2

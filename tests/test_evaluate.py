"""evaluate: character-bigram precision, recall and F1, small enough to check by hand; `cleanpipe eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.evaluate import bigrams, evaluate, normalise, score_texts, strip_markdown

runner = CliRunner()


def test_normalise_keeps_letters_and_digits_nfkc_casefolded() -> None:
    # Full-width 'Ａ１' folds to 'a1'; Chinese and Latin punctuation, spaces and line breaks go.
    assert normalise("Ｈello, 世界！\n　Ａ１。") == "hello世界a1"


def test_bigrams_are_a_bag_of_adjacent_pairs() -> None:
    assert bigrams("abab") == {"ab": 2, "ba": 1}
    assert bigrams("中文，中文") == {"中文": 2, "文中": 1}
    assert bigrams("a") == {}


def test_markdown_syntax_and_front_matter_are_not_scored() -> None:
    page = '---\ntitle: "x"\n---\n\n# Title\n\n![alt text](https://a.b/c.png) see [the link](https://a.b/)\n'
    assert strip_markdown(page) == "\n# Title\n\nalt text see the link\n"


def test_perfect_partial_and_empty_predictions() -> None:
    assert score_texts("正文内容", "正文内容").f1 == 1.0
    # prediction 'abcd' (ab bc cd), truth 'abce' (ab bc ce): 2 shared of 3 each
    half = score_texts("abcd", "abce")
    assert (half.precision, half.recall) == pytest.approx((2 / 3, 2 / 3))
    # the truth inside a longer prediction: recall 1, precision 3 of 6 pairs
    longer = score_texts("abcdxyz", "abcd")
    assert (longer.precision, longer.recall) == pytest.approx((3 / 6, 1.0))
    assert longer.f1 == pytest.approx(2 * 0.5 / 1.5)
    empty = score_texts("", "abcd")
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)
    assert score_texts("", "").f1 == 1.0


def test_repeated_text_counts_as_many_times_as_it_occurs() -> None:
    # Pasting the body twice halves precision: the bag holds each pair twice, the truth once.
    twice = score_texts("abcabc", "abc")
    assert twice.recall == 1.0
    assert twice.precision == pytest.approx(2 / 5)


def test_evaluate_averages_over_pages_and_lists_missing_ones() -> None:
    result = evaluate({"a": "abcd", "z": "extra"}, {"a": "abcd", "b": "abcd"})
    assert [page.id for page in result.pages] == ["a", "b"]
    assert result.missing == ["b"] and result.extra == ["z"]
    assert result.f1 == pytest.approx(0.5)
    assert result.pages[1].missing


def test_eval_command_scores_a_folder(tmp_path: Path) -> None:
    truth = {"p1": {"articleBody": "第一段正文。\n\n第二段。"}, "p2": {"articleBody": "Some text here."}}
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "p1.md").write_text('---\ntitle: "标题"\n---\n\n第一段正文。\n\n第二段。\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(pred), str(gold), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["missing"] == ["p2"]
    assert scores["per_page"][0]["f1"] == 1.0
    assert scores["f1"] == pytest.approx(0.5)
    text = runner.invoke(app, ["eval", str(pred), str(gold)])
    assert text.exit_code == 0 and "missing predictions (1" in text.output


def test_eval_command_refuses_bad_ground_truth(tmp_path: Path) -> None:
    gold = tmp_path / "gold.json"
    gold.write_text("[1, 2]", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(tmp_path), str(gold)])
    assert result.exit_code == 2

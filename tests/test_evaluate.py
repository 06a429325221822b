"""evaluate: character-bigram precision, recall and F1, small enough to check by hand; `cleanpipe eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.evaluate import (
    Segments,
    bigrams,
    evaluate,
    evaluate_segments,
    normalise,
    plain_text,
    score_texts,
    strip_markdown,
)

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


def write_case(tmp_path: Path, truth: dict[str, object], predictions: dict[str, str]) -> tuple[Path, Path]:
    """A ground-truth file and a folder of predictions (file name: Markdown) for `cleanpipe eval`."""
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    pred = tmp_path / "pred"
    pred.mkdir()
    for name, text in predictions.items():
        (pred / name).write_text(text, encoding="utf-8")
    return pred, gold


def test_eval_command_scores_a_folder(tmp_path: Path) -> None:
    truth = {"p1": {"articleBody": "第一段正文。\n\n第二段。"}, "p2": {"articleBody": "Some text here."}}
    pred, gold = write_case(tmp_path, truth, {"p1.md": '---\ntitle: "标题"\n---\n\n第一段正文。\n\n第二段。\n'})
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


# -- segments: {id: {"with": [...], "without": [...]}}, as trafilatura's evaluation corpus -------------------


def test_plain_text_drops_markdown_syntax_and_reads_escapes() -> None:
    page = (
        '---\ntitle: "x"\n---\n\n# Heading\n\n> quoted **bold** and *it*\n\n- item one\n1. first\n\n'
        "| a | b |\n| --- | --- |\n| c \\| d | e |\n\n```\ncode\n```\n\n3 \\* 4 = 12, snake_case [label](https://a.b/) ![alt](https://a.b/i.png)\n"
    )
    assert plain_text(page) == (
        "Heading quoted bold and it item one first a b c | d e code 3 * 4 = 12, snake_case label alt"
    )


def test_segments_found_and_missed_are_pooled_over_pages() -> None:
    truth = {
        "p1": Segments(("Die Gemeinde führte aus", "zweiter Satz"), ("Artikel bewerten",)),
        "p2": Segments(("third one",), ("Cookies",)),
    }
    predictions = {
        # a segment spread over two lines and inside emphasis is still found; a 'without' one found is a FP
        "p1": "# T\n\nDie Gemeinde **führte**\naus, sagte sie.\n\nArtikel bewerten\n",
        "p2": "nothing here\n",
    }
    result = evaluate_segments(predictions, truth)
    p1, p2 = result.pages
    assert (p1.true_positives, p1.false_negatives, p1.false_positives, p1.true_negatives) == (1, 1, 1, 0)
    assert (p2.true_positives, p2.false_negatives, p2.false_positives, p2.true_negatives) == (0, 1, 0, 1)
    assert result.precision == pytest.approx(1 / 2)
    assert result.recall == pytest.approx(1 / 3)
    assert result.f1 == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))


def test_eval_command_scores_segment_truth(tmp_path: Path) -> None:
    truth = {
        "a1": {"url": "https://x.de/a", "with": ["Auf Nachfrage führte die Gemeinde"], "without": ["Artikel bewerten"]},
        "a2": {"url": "https://x.de/b", "with": ["Ein Satz"], "without": []},
    }
    pred, gold = write_case(tmp_path, truth, {"a1.html.md": "Auf Nachfrage führte die Gemeinde weiter aus.\n"})
    result = runner.invoke(app, ["eval", str(pred), str(gold), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["missing"] == ["a2"]
    assert (scores["precision"], scores["recall"]) == (1.0, 0.5)
    text = runner.invoke(app, ["eval", str(pred), str(gold)])
    assert text.exit_code == 0 and "precision 1.000 recall 0.500" in text.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"a1": {"with": "not a list"}}), encoding="utf-8")
    assert runner.invoke(app, ["eval", str(pred), str(bad)]).exit_code == 2

"""The classifier stage: the line model (rules/line_model.json, trained by training/train_lines.py) removes
kept blocks it scores as boilerplate, when `classifier_threshold` is below 1; off by default.

Page: tests/fixtures/ccnet_car_rental_pager.txt (README.md), a real article whose previous/next links are
in a wording no named rule has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_PAGE
from typer.testing import CliRunner

import cleanpipe
from cleanpipe import Config, ConfigError
from cleanpipe.cli import app
from cleanpipe.stages.classify import FEATURES_VERSION, MODEL_FORMAT, LineModel, load_model, page_features

PAGE = (FIXTURES / "ccnet_car_rental_pager.txt").read_text(encoding="utf-8")
PAGER = ["上一文章：租车“自驾游”安全常识须知", "下一文章：租赁汽车需承担哪些责任?"]


def test_off_by_default_the_stage_removes_nothing() -> None:
    result = cleanpipe.clean(PAGE)
    assert [r for r in result.removals if r.stage == "classifier"] == []
    assert all(line in result.markdown for line in PAGER)


def test_with_a_threshold_the_links_no_rule_names_go_with_their_score_and_the_article_stays() -> None:
    result = cleanpipe.clean(PAGE, config=Config(classifier_threshold=0.5))
    removals = [r for r in result.removals if r.stage == "classifier"]
    assert [r.text for r in removals] == PAGER[:1]  # the second link, read as a question heading, scores lower
    for removal in removals:
        assert removal.rule == "classifier" and removal.score is not None and removal.score >= 0.5
        assert removal.reason.startswith(f"line model score {removal.score:.2f} >= 0.50")
    for paragraph in PAGE.splitlines()[1:-2]:  # every paragraph of the article is kept
        assert paragraph.strip() in result.markdown
    assert cleanpipe.clean(result.markdown, config=Config(classifier_threshold=0.5)).markdown == result.markdown


def test_the_rule_can_be_switched_off_by_name() -> None:
    config = Config(classifier_threshold=0.5, disabled_rules=frozenset({"classifier"}))
    assert all(line in cleanpipe.clean(PAGE, config=config).markdown for line in PAGER)


def test_long_blocks_are_never_scored() -> None:
    model = load_model()
    long = "很长的一段正文。" * 40
    assert page_features([long, "短"], ["paragraph", "paragraph"], None, model.max_chars)[0] is None


def test_the_shipped_model_loads_and_scores_between_0_and_1() -> None:
    model = load_model()
    features = page_features(PAGER, ["paragraph", "paragraph"], None, model.max_chars)
    assert all(f is not None and 0 < model.score(f) < 1 for f in features)


def test_a_model_for_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="retrain"):
        LineModel.from_json({"format": MODEL_FORMAT, "features_version": FEATURES_VERSION + 1})
    with pytest.raises(ValueError, match="retrain"):
        LineModel.from_json(json.loads('{"format": "other"}'))


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_the_threshold_is_checked(value: float) -> None:
    with pytest.raises(ConfigError, match="classifier_threshold"):
        Config.from_mapping({"classifier_threshold": value})


def test_explain_shows_the_score_beside_the_rule(tmp_path: Path) -> None:
    config = tmp_path / "cleanpipe.toml"
    config.write_text("classifier_threshold = 0.5\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(FIXTURES / "ccnet_car_rental_pager.txt"), "-c", str(config)])
    assert result.exit_code == 0
    assert re.search(r"^- \[classifier/classifier 0\.\d+\] 上一文章：", result.output, re.MULTILINE)


def test_an_outro_naming_the_title_goes_when_no_named_rule_knows_its_words() -> None:
    """The seed page's outro ('以上就是关于<title>全部的内容…'), with the named rules that know it switched off:
    the line model takes it because it names the page's title at the page's tail."""
    seed = SEED_PAGE.read_text(encoding="utf-8")
    config = Config(disabled_rules=frozenset({"template-outro", "promo-tail"}))
    result = cleanpipe.clean(seed, config=config)
    (removal,) = [r for r in result.removals if r.rule == "title-template"]
    assert removal.text.startswith("以上就是关于电商和微商有什么区别?全部的内容")
    assert removal.score is not None and removal.score >= 0.5
    off = Config(disabled_rules=frozenset({"template-outro", "promo-tail", "title-template"}))
    assert "以上就是关于电商和微商有什么区别?全部的内容" in cleanpipe.clean(seed, config=off).markdown


@pytest.mark.parametrize(
    "line",
    [
        "电商和微商有什么区别?这个问题其实要从两者的商业模式说起，下面分三点来谈。",  # the answer opens
        "总的来说，电商和微商有什么区别?取决于流量从哪里来，这是本文想说明的。",  # and closes on it
    ],
)
def test_content_that_names_the_title_stays(line: str) -> None:
    body = "\n\n".join(f"第{n}段正文，讲述这件事的经过，内容足够长，并以句号结束。" for n in range(1, 6))
    for page in (f"电商和微商有什么区别?\n\n{line}\n\n{body}\n", f"电商和微商有什么区别?\n\n{body}\n\n{line}\n"):
        assert line in cleanpipe.clean(page).markdown

"""Every built-in boilerplate rule is data with an example it must fire on and keeps it must not fire on.

Rules are applied the way the stage applies them (`match_rule`: whitespace folded, `max_chars` honoured),
so a keep that only survives because of its length still counts as a keep the stage leaves alone.
"""

from __future__ import annotations

import pytest

from cleanpipe.rules.boilerplate import BOILERPLATE_RULES, BoilerplateRule
from cleanpipe.stages.boilerplate import match_rule

KEEP_CASES = [(rule, keep) for rule in BOILERPLATE_RULES for keep in rule.keeps]


def _rule_id(rule: BoilerplateRule) -> str:
    return rule.name


@pytest.mark.parametrize("rule", BOILERPLATE_RULES, ids=_rule_id)
def test_rule_documents_itself(rule: BoilerplateRule) -> None:
    assert rule.description.strip(), f"{rule.name} has no description"
    assert rule.example.strip(), f"{rule.name} has no example"
    assert rule.keeps and all(keep.strip() for keep in rule.keeps), f"{rule.name} has no keep"
    assert len(rule.example) <= rule.max_chars, f"{rule.name}'s example is longer than its max_chars"


@pytest.mark.parametrize("rule", BOILERPLATE_RULES, ids=_rule_id)
def test_example_fires(rule: BoilerplateRule) -> None:
    assert match_rule(rule.example, (rule,)) is rule


@pytest.mark.parametrize(
    ("rule", "keep"), KEEP_CASES, ids=[f"{rule.name}-{n}" for n, (rule, _) in enumerate(KEEP_CASES)]
)
def test_keep_does_not_fire(rule: BoilerplateRule, keep: str) -> None:
    assert match_rule(keep, (rule,)) is None


@pytest.mark.parametrize(
    ("rule", "keep"), KEEP_CASES, ids=[f"{rule.name}-{n}" for n, (rule, _) in enumerate(KEEP_CASES)]
)
def test_keep_survives_every_rule(rule: BoilerplateRule, keep: str) -> None:
    # A keep is genuine text: no other built-in rule may take it either.
    fired = match_rule(keep, BOILERPLATE_RULES)
    assert fired is None, f"{keep!r} (a keep of {rule.name}) is removed by {fired and fired.name}"


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in BOILERPLATE_RULES]
    assert len(names) == len(set(names))


def test_footer_rules_exist_for_the_widget_families() -> None:
    # The footer logic needs these to start the page footer; losing the flag silently keeps whole footers.
    footer = {rule.name for rule in BOILERPLATE_RULES if rule.footer}
    assert {"icp-licence", "report-widget", "widget-heading", "nav-line", "prev-next", "share-bar"} <= footer
    assert "template-outro" not in footer  # an outro can precede a genuine closing paragraph

"""boilerplate: remove blocks that match the named rules in cleanpipe.rules.boilerplate (plus the user's
own from config), the lines learned as boilerplate of the page's site (config.learned, from a profile:
corpus/learn.py), and the page footer: once a footer rule fires and nothing substantial follows, that
block and everything after it go.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left

import regex

from cleanpipe.config import Config, LearnedSite
from cleanpipe.corpus.site_keys import block_text, learned_for, line_key, page_title, site_of
from cleanpipe.document import Block, Document
from cleanpipe.rules.boilerplate import BOILERPLATE_RULES, BoilerplateRule

NAME = "boilerplate"

# Runs of spaces fold to one space, but a wide gap (two or more) stays two spaces: 'nav-spaced' tells a
# navigation strip ('首页  新闻  财经') from a sentence by those gaps.
_WIDE_GAP = regex.compile(r"[ \t\u3000]{2,}")
_ODD_SPACE = regex.compile(r"[\t\u3000]")
_SENTENCE = regex.compile(r"[。！？!?；;]|[a-z][.!?](?:\s|$)")
# A block after a footer is 'substantial' (so the footer is not the end of the page) when it is at least
# this long and reads as a sentence, or when it is long enough to be a paragraph whatever it holds.
_SUBSTANTIAL_SENTENCE = 40
_SUBSTANTIAL_ANY = 120
# A footer ends the page. A footer-like line with more blocks than this after it sits above a long run of
# short blocks (a table split into cells, a list of names), which is content, so it does not start the footer.
_MAX_TAIL_BLOCKS = 60
# Rules whose lines credit people or a source: the names go to front matter as the line goes.
CREDIT_RULES = frozenset({"editor-tail", "reporter-credit", "source-tail"})


def _credit_to_front_matter(doc: Document, text: str) -> str:
    """A credit line's names go to front matter (a field the page already has keeps its value); what
    the removal's reason adds about it."""
    from cleanpipe.stages.structure import credit_fields  # structure imports this module's rule matching

    fields = credit_fields(text)
    moved = sorted(key for key, value in fields.items() if doc.metadata.setdefault(key, value) == value)
    return f"; moved to front matter ({', '.join(moved)})" if moved else ""


def active_rules(config: Config) -> tuple[BoilerplateRule, ...]:
    rules = (*BOILERPLATE_RULES, *config.extra_rules)
    return tuple(rule for rule in rules if rule.name not in config.disabled_rules)


def match_rule(text: str, rules: tuple[BoilerplateRule, ...]) -> BoilerplateRule | None:
    """The first rule that fires on one block's text, whitespace folded; None when none does."""
    folded = _ODD_SPACE.sub(" ", _WIDE_GAP.sub("  ", text.strip()))
    if not folded:
        return None
    for rule in rules:
        if len(folded) <= rule.max_chars and rule.compiled().search(folded):
            return rule
    return None


def strip_boilerplate(doc: Document, config: Config) -> Document:
    rules = active_rules(config)
    kept = [index for index in doc.kept_indices() if doc.blocks[index].kind != "title"]
    matches = {index: match_rule(doc.blocks[index].text, rules) for index in kept}
    unmatched = [index for index in kept if matches[index] is None]
    keys = _line_keys(doc, unmatched) if config.learned or config.templates else {}
    learned = _learned_matches(doc, config, keys)
    templates = _template_matches(config, {index: key for index, key in keys.items() if index not in learned})
    footer_start = _footer_start(doc, kept, matches, set(learned) | set(templates))
    for index in kept:
        rule = matches[index]
        if rule is not None:
            reason = rule.description
            if rule.name in CREDIT_RULES:
                reason += _credit_to_front_matter(doc, doc.blocks[index].text)
            doc.remove_block(index, stage=NAME, rule=rule.name, reason=reason)
        elif index in learned:
            site, pages = learned[index]
            doc.remove_block(
                index,
                stage=NAME,
                rule=f"learned:{site.site}",
                reason=f"learned boilerplate of {site.site}: on {pages} of the {site.pages} pages counted",
            )
        elif index in templates:
            key, pages, sites, score = templates[index]
            doc.remove_block(
                index,
                stage=NAME,
                rule=f"template:{template_id(key)}",
                reason=(
                    f"corpus template: on {pages} pages of {sites} site(s), mostly at a page's head or tail; "
                    f"line model score {score:.2f}"
                ),
                score=score,
            )
        elif footer_start is not None and index > footer_start[0]:
            doc.remove_block(
                index,
                stage=NAME,
                rule="footer-tail",
                reason=f"follows the page footer that starts at line {footer_start[1]} ({footer_start[2]})",
            )
    return doc


def _line_keys(doc: Document, candidates: list[int]) -> dict[int, str]:
    """The line key of each candidate block, as learned lines and corpus templates are keyed."""
    title = page_title(doc.metadata)
    return {index: line_key(block_text(doc.blocks[index]), title) for index in candidates}


def _learned_matches(doc: Document, config: Config, keys: dict[int, str]) -> dict[int, tuple[LearnedSite, int]]:
    """The candidate blocks (by their line keys) whose line is learned boilerplate of the page's site,
    with the site and the number of its pages the line was on. Title blocks are never candidates."""
    site = learned_for(config, site_of(doc.metadata.get("url"), doc.source)) if config.learned else None
    if site is None:
        return {}
    lines = dict(site.lines)
    found = {}
    for index, key in keys.items():
        pages = lines.get(key)
        if pages is not None:
            found[index] = (site, pages)
    return found


def template_id(key: str) -> str:
    """A corpus template's short stable name (its rule is 'template:<id>')."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def _template_matches(config: Config, keys: dict[int, str]) -> dict[int, tuple[str, int, int, float]]:
    """The candidate blocks (by their line keys) whose line is a corpus template (config.templates, sorted
    by key)."""
    if not config.templates or "template" in config.disabled_rules:
        return {}
    found = {}
    for index, key in keys.items():
        position = bisect_left(config.templates, (key,))
        if position < len(config.templates) and config.templates[position][0] == key:
            found[index] = config.templates[position]
    return found


def _footer_start(
    doc: Document, kept: list[int], matches: dict[int, BoilerplateRule | None], learned: set[int]
) -> tuple[int, int, str] | None:
    """The earliest footer-rule block after which nothing substantial is left: (index, line, rule). A
    learned line is boilerplate, so it never counts as substantial; but it starts no footer either, since
    a site's template lines stand at the top and in the middle of its pages as well as at the end."""
    substantial_after = False
    start: tuple[int, int, str] | None = None
    for blocks_after, index in enumerate(reversed(kept)):
        if blocks_after > _MAX_TAIL_BLOCKS:
            break
        rule = matches[index]
        if rule is not None and rule.footer and not substantial_after:
            start = (index, doc.blocks[index].line, rule.name)
        if rule is None and index not in learned and _is_substantial(doc.blocks[index]):
            substantial_after = True
    return start


def _is_substantial(block: Block) -> bool:
    if block.kind in ("image", "heading", "title"):
        return False
    text = block.text.strip()
    return len(text) >= _SUBSTANTIAL_ANY or (len(text) >= _SUBSTANTIAL_SENTENCE and bool(_SENTENCE.search(text)))

#!/usr/bin/env python3
"""A labelled near-duplicate set built from the development corpus, deterministically (seeded).

Run: python3 bench/neardup_set.py [--shared PATH] [--seed N] [-o FILE]   (writes the set as JSONL)

**Documents.** Every page of SHARED/corpus (the JSON/JSONL files, read with cleanpipe's own reader
`cleanpipe.io.readers.iter_pages`, which knows which field holds the text in each file: `text`,
`raw_content`, `content`, DuReader's `documents[].paragraphs`) with at least 300 characters is an
*original*. Its *topic* is the corpus file it comes from (skywork news, finance, tech, game, general,
zhihu, ccnet, ...): the files are topical, so two originals of one file are unrelated pages on the same
topic, the hard negatives. Originals that are already near-duplicates of each other (5-character-shingle
Jaccard >= 0.5) would carry labels we did not make; the later one of such a pair is left out (none are,
on the corpus of this writing: the most similar pair of originals has Jaccard 0.24).

**Variants.** From each original, with a random generator seeded by the set's seed and the original's id
(so one original's variants do not depend on the others), two *light edits* of different kinds taken in
rotation, and for every second original one *heavy edit*:

- `cut`: one or more paragraphs removed (sentences, for pages of one or a few long lines), 5-20% of the text;
- `add`: a paragraph from a page of *another* topic inserted, 5-20% of the result;
- `numbers`: about half the numbers changed (a small increment; a single digit becomes another);
- `footer`: the page's tail line(s) (责任编辑, 来源, ...) swapped for, or followed by, 1-3 other footer lines;
- `punctuation`: full-width and half-width punctuation swapped, some punctuation dropped, spaces after
  punctuation, blank lines between paragraphs and line breaks inside them;
- `fullwidth`: ASCII letters and digits written in their full-width forms (Ａ, ２０２３), as some sites do;
- `combo`: a small cut, then some numbers changed, the footer swapped and the punctuation changed;
- `heavy`: 50-80% of the original's text replaced by runs of sentences of other pages of the *same* topic
  (at most 40% of any one of them).

**Labelling rule** (by construction, not by any similarity measure, so it does not favour a method).
Count the letters and digits (Unicode categories L and N, full-width forms counted as their ASCII
counterparts) of the original, C, those the edit removed or replaced, R, and those it added, A; the
*edit share* is 1 - min((C - R) / C, (C - R) / (C - R + A)): the larger of the share of the original that
is gone and the share of the variant that is new. Punctuation, spacing and character width are not
content: they change nothing a reader reads.

- A variant with edit share <= 0.2 is a **duplicate** of its original: it keeps at least 80% of the
  original and at least 80% of it is the original.
- A variant with edit share >= 0.5 is **not a duplicate**: at least half of it was replaced.
- Nothing is generated in between, so no label is arguable. Every light edit is checked to stay within
  0.2 and every heavy edit to reach 0.5 (`build_set` fails otherwise).

Pairs across families are not near-duplicates by the same measure either: the text an `add` variant takes
from its donor page is at most 20% of the variant, and a heavy edit takes at most 40% of any donor page,
so a variant and a donor are at an edit share of 0.6 or more. The one pair that can come closer is a heavy
edit and a light variant of its original (down to about 0.4 when the variant is a cut one, smaller than
the original); it is labelled not a duplicate, and its Jaccard is reported with the set (at most 0.31 in
the set of this writing).

Ground truth over *all* pairs of the set's documents: an original and its duplicate variants form a
family, and every pair inside a family is a duplicate (two reposts of one article are duplicates of each
other, so truth is transitive within a family, as a deduplication pass that keeps one copy per article
needs it to be). Every other pair is not a duplicate: a heavy edit and its original (or its original's
reposts), unrelated pages on the same topic, pages on different topics. `labelled_pairs` lists the
(original, variant, is_duplicate) pairs; `truth_pairs` gives every duplicate pair.

For reference each variant records the exact Jaccard similarity of its 5-character shingles (cleanpipe's
`shingle_hashes` with default parameters) with its original, so a reader can see how hard the set is:
a duplicate's Jaccard is lower than its edit share suggests, because each edit point also breaks the
shingles that straddle it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cleanpipe.corpus.minhash import MinHashParams, jaccard, shingle_hashes
from cleanpipe.io.readers import iter_pages
from cleanpipe.io.records import PageRecord

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
# The set is large (about 5 MB): written outside the repository's tracked files by default (gitignored).
DEFAULT_OUTPUT = REPO_ROOT / "bench" / ".work" / "neardup_set.jsonl"
DEFAULT_SEED = 20231

MIN_CHARS = 300  # originals shorter than this have too little text to edit in steps of 5%
LIGHT_MAX = 0.2  # edit share up to which a variant is a duplicate
HEAVY_MIN = 0.5  # edit share from which a variant is not a duplicate
# A heavy edit takes at most this share of any one donor page, so it is no near-duplicate of the donor.
DONOR_SHARE = 0.4
NATURAL_DUPLICATE = 0.5  # originals this similar to an earlier one are left out (their label is not ours)
LIGHT_KINDS = ("cut", "add", "numbers", "footer", "punctuation", "fullwidth", "combo")
HEAVY_KIND = "heavy"
# A second light kind three steps on in the rotation: with 7 kinds the two kinds always differ, and each
# kind is paired with every other one across the originals.
SECOND_KIND_STEP = 3
HEAVY_EVERY = 2  # every second original also gets a heavy edit

# Footer lines in the style of the corpus's tails (SOURCES.md quotes them: "责任编辑：乃河", "基金有风险，
# 投资需谨慎", "（文章仅代表作者观点。责编邮箱：…）", "更多有趣内容请关注公众号：…"). Written for this set.
FOOTER_LINES = (
    "责任编辑：王晓明",
    "本文来源：新浪财经",
    "（本文转载自网络，如有侵权请联系删除）",
    "免责声明：本文仅代表作者个人观点，与本站无关。",
    "更多精彩内容，请关注微信公众号：科技早知道",
    "【本文结束】如需转载请务必注明出处",
    "基金有风险，投资需谨慎。",
    "扫一扫，分享到朋友圈",
    "版权所有 © 2023 本网站 京ICP备12345678号",
    "（文章仅代表作者观点。责编邮箱：editor@example.com）",
    "点击阅读原文，了解更多资讯",
    "声明：本文内容由互联网用户自发贡献，版权归原作者所有",
)
# A page's last line is taken for a footer (and swapped) when it is short and reads like one.
_FOOTER_CUE = re.compile(r"责任编辑|编辑[：:]|来源[：:]|转载|声明|版权|关注|原标题|作者[：:]|责编")
_FOOTER_MAX_CHARS = 60

# Where a text may be cut into sentences: after a sentence end (and the closing quotes after it), and after
# a line break. Lookbehinds only, so the pieces join back into the text exactly.
_SENTENCE_BREAK = re.compile(
    r"(?:(?<=[。！？!?；;])|(?<=[。！？!?][”’」』）)\"']))(?![。！？!?；;”’」』）)\"'])|(?<=\n)"
)
_NUMBER = re.compile(r"[0-9]+")
_FULL_TO_HALF = {
    "，": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?", "（": "(", "）": ")",
    "“": '"', "”": '"', "、": ",",
}  # fmt: skip
# "." becomes the full-width full stop "．", not "。": it is often a decimal point or part of a name.
_HALF_TO_FULL = {",": "，", ".": "．", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
_PUNCTUATION = frozenset(_FULL_TO_HALF) | frozenset(_HALF_TO_FULL) | {"．"}


@dataclass(frozen=True)
class SourceDoc:
    """A page of the corpus: its reader id, its topic (the corpus file's name up to the first dot) and text."""

    id: str
    topic: str
    text: str


@dataclass(frozen=True)
class SetDoc:
    """A document of the set. For an original, `family` is its own id, `kind` is "original" and
    `is_duplicate` is None; for a variant, `family` is its original's id and `is_duplicate` its label."""

    id: str
    text: str
    topic: str
    family: str
    kind: str
    is_duplicate: bool | None
    edit_share: float
    jaccard_to_original: float
    details: str


@dataclass(frozen=True)
class NeardupSet:
    documents: list[SetDoc]
    seed: int
    excluded: list[tuple[str, str, float]]  # (left out, the earlier original it resembles, Jaccard)


@dataclass(frozen=True)
class Edit:
    """An edited text with what the edit did to its content: letters and digits removed (or replaced)
    from the original, and added."""

    text: str
    removed: int
    added: int
    details: str


# ------------------------------------------------------------------------------------------- corpus


def load_corpus(corpus: Path) -> list[SourceDoc]:
    """Every page of the corpus's JSON and JSONL files, in cleanpipe's reading order (files sorted, records
    in file order). Only the data files are named: iter_pages on the folder would also read SOURCES.md."""
    files = sorted(path for path in corpus.iterdir() if path.suffix in (".json", ".jsonl"))
    if not files:
        raise FileNotFoundError(f"no .json or .jsonl files in {corpus}")
    docs: list[SourceDoc] = []
    for record in iter_pages(files):
        if not isinstance(record, PageRecord):
            raise ValueError(f"cannot read {record.source}: {record.problem}")
        text = record.data if isinstance(record.data, str) else record.data.decode("utf-8")
        docs.append(SourceDoc(record.id, record.id.split(".", 1)[0], text))
    return docs


# ---------------------------------------------------------------------------------------------- text


def content_length(text: str) -> int:
    """Letters and digits: what a reader reads, whatever the punctuation, spacing or character width."""
    return sum(1 for character in text if unicodedata.category(character)[0] in "LN")


def segments(text: str, by: str) -> list[str]:
    """The text in pieces that join back into it exactly: lines ("paragraph") or sentences ("sentence")."""
    pieces = text.splitlines(keepends=True) if by == "paragraph" else _SENTENCE_BREAK.split(text)
    return [piece for piece in pieces if piece]


def _units(text: str) -> tuple[str, list[str]]:
    """Paragraphs when the page has at least four of them, else sentences (pages of one long line)."""
    lines = segments(text, "paragraph")
    if sum(1 for line in lines if content_length(line)) >= 4:
        return "paragraph", lines
    return "sentence", segments(text, "sentence")


def _as_paragraph(piece: str) -> str:
    return piece.strip() + "\n"


# --------------------------------------------------------------------------------------------- edits


def cut(text: str, rng: random.Random, low: float = 0.05, high: float = LIGHT_MAX) -> Edit | None:
    """Remove whole paragraphs (or sentences) worth between `low` and `high` of the letters, never the first
    one (the title or opening line a repost keeps). Sentences when paragraphs are too big for the budget."""
    total = content_length(text)
    target = rng.uniform(low, high) * total
    for by in dict.fromkeys((_units(text)[0], "sentence")):  # paragraphs first if the page has them
        pieces = segments(text, by)
        sizes = [content_length(piece) for piece in pieces]
        order = [index for index in range(1, len(pieces)) if sizes[index]]
        rng.shuffle(order)
        removed: set[int] = set()
        amount = 0
        for index in order:
            if amount + sizes[index] <= target:
                removed.add(index)
                amount += sizes[index]
        if removed and amount >= low * total:
            kept = "".join(piece for index, piece in enumerate(pieces) if index not in removed)
            return Edit(kept, amount, 0, f"cut {len(removed)} of {len(order) + 1} {by}s ({amount / total:.0%})")
    return None


def add(text: str, rng: random.Random, donor: SourceDoc) -> Edit | None:
    """Insert a run of sentences from a page of another topic, as one paragraph, making up 5-20% of the
    result, at a paragraph (or sentence) boundary after the first."""
    total = content_length(text)
    share = rng.uniform(0.05, LIGHT_MAX)
    wanted, limit = share * total / (1 - share), LIGHT_MAX * total / (1 - LIGHT_MAX)
    sentences = [piece.strip() for piece in segments(donor.text, "sentence") if content_length(piece)]
    if not sentences:
        return None
    start = rng.randrange(len(sentences))
    chunk: list[str] = []
    amount = 0
    for sentence in sentences[start:] + sentences[:start]:
        size = content_length(sentence)
        if amount + size > limit:
            break
        chunk.append(sentence)
        amount += size
        if amount >= wanted:
            break
    if not chunk:
        return None
    by, pieces = _units(text)
    position = rng.randrange(1, len(pieces) + 1) if len(pieces) > 1 else 1
    head = "".join(pieces[:position])
    if by == "paragraph" or head.endswith("\n"):
        inserted = ("" if head.endswith("\n") or not head else "\n") + "".join(chunk) + "\n"
    else:  # a page of one line: the sentences go inside it, where a scraper would have glued them
        inserted = "".join(chunk)
    edited = head + inserted + "".join(pieces[position:])
    return Edit(edited, 0, amount, f"added {len(chunk)} sentences ({amount} letters) from {donor.id}")


def change_numbers(text: str, rng: random.Random, probability: float = 0.5, budget: float = LIGHT_MAX) -> Edit | None:
    """Change about `probability` of the numbers (at least one), as when figures are updated. Stops before
    the budget is spent."""
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return None
    chosen = [match for match in numbers if rng.random() < probability] or [rng.choice(numbers)]
    total = content_length(text)
    parts: list[str] = []
    last = removed = added = changed = 0
    for match in chosen:
        old = match.group()
        if removed + len(old) > budget * total:
            break
        # An updated figure: a small increment (2023 -> 2025, 6.14 -> 6.17); a single digit becomes another.
        if len(old) > 1 and not old.startswith("0"):
            new = str(int(old) + rng.randint(1, 9))
        else:
            new = str(rng.choice([digit for digit in range(10) if str(digit) != old[-1]])).rjust(len(old), "0")
        parts += [text[last : match.start()], new]
        last = match.end()
        removed, added, changed = removed + len(old), added + len(new), changed + 1
    if not changed:
        return None
    parts.append(text[last:])
    return Edit("".join(parts), removed, added, f"changed {changed} of {len(numbers)} numbers")


def swap_footer(text: str, rng: random.Random, budget: float = LIGHT_MAX) -> Edit:
    """Replace the page's footer line (a short last line that reads like one) with 1-3 other footer
    lines, or append them when the page has none. Fewer lines when the budget would be exceeded."""
    lines = text.rstrip("\n").split("\n")
    removed = 0
    replaced = ""
    last = lines[-1].strip()
    if len(lines) > 1 and len(last) <= _FOOTER_MAX_CHARS and _FOOTER_CUE.search(last):
        replaced = lines.pop()
        removed = content_length(replaced)
    kept = content_length(text) - removed
    new = rng.sample(FOOTER_LINES, rng.randint(1, 3))
    while new and (kept / (kept + sum(map(content_length, new))) < 1 - budget or removed > budget * (kept + removed)):
        new.pop()
    added = sum(map(content_length, new))
    action = f"replaced {replaced.strip()!r} with" if replaced else "appended"
    return Edit("\n".join(lines + new) + "\n", removed, added, f"footer: {action} {len(new)} lines")


def punctuation(text: str, rng: random.Random) -> Edit:
    """Full-width punctuation to half-width (or the reverse, on pages written with half-width), some
    punctuation dropped, spaces after punctuation, blank lines between paragraphs, line breaks inside them.
    Letters and digits are untouched, so this removes and adds no content."""
    full = sum(text.count(mark) for mark in _FULL_TO_HALF)
    half = sum(text.count(mark) for mark in _HALF_TO_FULL)
    mapping = _FULL_TO_HALF if full >= half else _HALF_TO_FULL
    out: list[str] = []
    swapped = dropped = spaces = breaks = 0
    for index, character in enumerate(text):
        if character in _PUNCTUATION:
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if character == "." and (before.isascii() and before.isalnum() or after.isascii() and after.isalnum()):
                out.append(character)  # a decimal point, a domain or a file name: meaning, not punctuation
                continue
            roll = rng.random()
            if roll < 0.08:
                dropped += 1
                continue
            if character in mapping and roll < 0.75:
                character, swapped = mapping[character], swapped + 1
            out.append(character)
            if character in "。．.！!？?" and rng.random() < 0.05:
                out.append("\n")
                breaks += 1
            elif rng.random() < 0.15:
                out.append(" ")
                spaces += 1
            continue
        out.append(character)
    edited = "".join(out)
    blank = rng.random() < 0.5
    if blank:
        edited = edited.replace("\n", "\n\n")
    to = "half" if mapping is _FULL_TO_HALF else "full"
    details = f"punctuation: {swapped} to {to}-width, {dropped} dropped, {spaces} spaces, {breaks} line breaks"
    return Edit(edited, 0, 0, details + (", blank lines between paragraphs" if blank else ""))


def fullwidth(text: str) -> Edit | None:
    """ASCII letters and digits in their full-width forms (U+FF10-FF5A). The same letters to a reader
    (NFKC folds them back), so no content changes; pages without ASCII letters or digits are skipped."""
    count = sum(1 for character in text if character.isascii() and character.isalnum())
    if not count:
        return None
    edited = "".join(
        chr(ord(character) + 0xFEE0) if character.isascii() and character.isalnum() else character for character in text
    )
    return Edit(edited, 0, 0, f"fullwidth: {count} letters and digits")


def combo(text: str, rng: random.Random) -> Edit | None:
    """A small cut, then some numbers changed, the footer swapped and the punctuation changed, within the
    budget of one light edit."""
    first = cut(text, rng, low=0.03, high=0.08)
    if first is None:
        return None
    steps = [first]
    numbers = change_numbers(first.text, rng, probability=0.3, budget=0.05)
    if numbers is not None:
        steps.append(numbers)
    steps.append(swap_footer(steps[-1].text, rng, budget=0.05))
    steps.append(punctuation(steps[-1].text, rng))
    return Edit(
        steps[-1].text,
        sum(step.removed for step in steps),
        sum(step.added for step in steps),
        "; ".join(step.details for step in steps),
    )


def heavy(text: str, rng: random.Random, donors: Sequence[SourceDoc]) -> Edit | None:
    """Replace at least half of the text (whole paragraphs or sentences, never the first) by sentences of
    other pages of the same topic, put where the removed pieces were: a page that shares its opening and
    some paragraphs with the original but is mostly other articles. Each donor gives a run of its sentences
    worth at most DONOR_SHARE of it, so the edited page is no near-duplicate of a donor either."""
    total = content_length(text)
    target = rng.uniform(HEAVY_MIN + 0.02, 0.7) * total
    for by in dict.fromkeys((_units(text)[0], "sentence")):  # paragraphs first; sentences if they are too big
        pieces = segments(text, by)
        sizes = [content_length(piece) for piece in pieces]
        order = [index for index in range(1, len(pieces)) if sizes[index]]
        rng.shuffle(order)
        removed: set[int] = set()
        amount = 0
        for index in order:
            if amount >= target:
                break
            removed.add(index)
            amount += sizes[index]
        if HEAVY_MIN * total <= amount <= 0.8 * total:
            break
    else:
        return None
    material: list[str] = []
    used: list[str] = []
    supply = 0
    for donor in donors:
        sentences = [piece.strip() for piece in segments(donor.text, "sentence") if content_length(piece)]
        if not sentences:
            continue
        cap = DONOR_SHARE * content_length(donor.text)
        taken = 0
        for sentence in sentences[rng.randrange(len(sentences)) :]:
            if taken + content_length(sentence) > cap:
                break
            material.append(sentence)
            taken += content_length(sentence)
        if taken:
            used.append(donor.id)
            supply += taken
        if supply >= amount:
            break
    if supply < amount:
        return None
    replacement = iter(material)
    out: list[str] = []
    added = 0
    for index, piece in enumerate(pieces):
        if index not in removed:
            out.append(piece)
            continue
        # Each removed piece is replaced by about as much donor text, so the page keeps its shape.
        chunk: list[str] = []
        size = 0
        while size < sizes[index]:
            following = next(replacement, None)
            if following is None:
                break
            chunk.append(following)
            size += content_length(following)
        out.append("".join(chunk) + ("\n" if piece.endswith("\n") else ""))
        added += size
    details = f"replaced {len(removed)} {by}s ({amount / total:.0%}) with text of {', '.join(used)}"
    return Edit("".join(out), amount, added, details)


def light_edit(kind: str, text: str, rng: random.Random, other_topics: Sequence[SourceDoc]) -> Edit | None:
    """One light edit of the text, or None when the kind does not apply to it."""
    if kind == "cut":
        return cut(text, rng)
    if kind == "add":
        return add(text, rng, rng.choice(other_topics))
    if kind == "numbers":
        return change_numbers(text, rng)
    if kind == "footer":
        return swap_footer(text, rng)
    if kind == "punctuation":
        return punctuation(text, rng)
    if kind == "fullwidth":
        return fullwidth(text)
    if kind == "combo":
        return combo(text, rng)
    raise ValueError(f"unknown edit kind: {kind}")


def edit_share(total: int, edit: Edit) -> float:
    """1 - min(share of the original kept, share of the variant that is the original's)."""
    kept = total - edit.removed
    return 1 - min(kept / total, kept / (kept + edit.added))


# --------------------------------------------------------------------------------------------- build


def build_set(sources: Sequence[SourceDoc], seed: int = DEFAULT_SEED, min_chars: int = MIN_CHARS) -> NeardupSet:
    """The labelled set: the originals, then for each of them its variants (see the module docstring)."""
    params = MinHashParams()
    candidates = [doc for doc in sources if len(doc.text.strip()) >= min_chars]
    hashes = [shingle_hashes(doc.text, params) for doc in candidates]
    similar = exact_jaccard_pairs(hashes, NATURAL_DUPLICATE)
    left_out = {later: (earlier, score) for (earlier, later), score in sorted(similar.items(), reverse=True)}
    excluded = [(candidates[i].id, candidates[j].id, round(s, 4)) for i, (j, s) in sorted(left_out.items())]
    originals = [doc for index, doc in enumerate(candidates) if index not in left_out]
    original_hashes = {doc.id: hashes[index] for index, doc in enumerate(candidates) if index not in left_out}
    by_topic: dict[str, list[SourceDoc]] = defaultdict(list)
    for doc in originals:
        by_topic[doc.topic].append(doc)

    documents = [
        SetDoc(doc.id, doc.text, doc.topic, doc.id, "original", None, 0.0, 1.0, f"{doc.topic} page")
        for doc in originals
    ]
    for index, doc in enumerate(originals):
        rng = random.Random(f"{seed}/{doc.id}")
        other_topics = [other for other in originals if other.topic != doc.topic]
        same_topic = [other for other in by_topic[doc.topic] if other.id != doc.id]
        wanted = [LIGHT_KINDS[index % len(LIGHT_KINDS)], LIGHT_KINDS[(index + SECOND_KIND_STEP) % len(LIGHT_KINDS)]]
        made: list[tuple[str, Edit]] = []
        # A kind that does not apply to this page (no numbers, no ASCII letters, nothing small enough to
        # cut) is replaced by the next kind in the rotation not yet used for it.
        for position, kind in enumerate(wanted):
            start = LIGHT_KINDS.index(kind)
            for step in range(len(LIGHT_KINDS)):
                candidate = LIGHT_KINDS[(start + step) % len(LIGHT_KINDS)]
                if candidate in (used for used, _ in made) or candidate in wanted[position + 1 :]:
                    continue
                edit = light_edit(candidate, doc.text, rng, other_topics)
                if edit is not None:
                    made.append((candidate, edit))
                    break
        if index % HEAVY_EVERY == 0 and same_topic:
            edit = heavy(doc.text, rng, rng.sample(same_topic, len(same_topic)))
            if edit is not None:
                made.append((HEAVY_KIND, edit))
        total = content_length(doc.text)
        for kind, edit in made:
            share = edit_share(total, edit)
            duplicate = kind != HEAVY_KIND
            # The labelling rule, checked on every variant: no light edit beyond 0.2, no heavy one below 0.5.
            if duplicate and share > LIGHT_MAX + 1e-9 or not duplicate and share < HEAVY_MIN:
                raise AssertionError(f"{doc.id} {kind}: edit share {share:.3f} breaks the labelling rule")
            score = jaccard(original_hashes[doc.id], shingle_hashes(edit.text, params))
            documents.append(
                SetDoc(
                    f"{doc.id}~{kind}", edit.text, doc.topic, doc.id, kind, duplicate,
                    round(share, 4), round(score, 4), edit.details,
                )
            )  # fmt: skip
    return NeardupSet(documents, seed, excluded)


# -------------------------------------------------------------------------------------- ground truth


def labelled_pairs(documents: Iterable[SetDoc]) -> list[tuple[str, str, bool, str]]:
    """(original, variant, is_duplicate, kind) for every variant."""
    return [(doc.family, doc.id, bool(doc.is_duplicate), doc.kind) for doc in documents if doc.kind != "original"]


def truth_pairs(documents: Iterable[SetDoc]) -> set[tuple[str, str]]:
    """Every duplicate pair (sorted ids): all pairs within a family of an original and its duplicates."""
    families: dict[str, list[str]] = defaultdict(list)
    for doc in documents:
        if doc.kind == "original" or doc.is_duplicate:
            families[doc.family].append(doc.id)
    return pairs_of_groups(families.values())


def pairs_of_groups(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    """Every pair (sorted) of ids that share a group."""
    pairs: set[tuple[str, str]] = set()
    for group in groups:
        members = sorted(set(group))
        pairs.update((a, b) for position, a in enumerate(members) for b in members[position + 1 :])
    return pairs


def groups_of_pairs(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components (of two or more ids) of the graph the pairs draw: the clusters a deduplication
    pass that joins every linked pair would make."""
    parent = {page: page for page in ids}

    def find(page: str) -> str:
        while parent[page] != page:
            parent[page] = parent[parent[page]]
            page = parent[page]
        return page

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    groups: dict[str, list[str]] = defaultdict(list)
    for page in parent:
        groups[find(page)].append(page)
    return [members for members in groups.values() if len(members) > 1]


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> Score:
    """Pairwise precision and recall: every unordered pair of the set's documents is one decision."""
    hits = len(predicted & truth)
    return Score(hits, len(predicted) - hits, len(truth) - hits)


# ------------------------------------------------------------------------------------ exact Jaccard


def exact_jaccard_pairs(hashes: Sequence[np.ndarray], min_jaccard: float) -> dict[tuple[int, int], float]:
    """Every pair (i < j) of documents whose exact Jaccard similarity is at least `min_jaccard` (> 0),
    from sorted, distinct shingle hash arrays. All pairs at once through an inverted index: only pairs
    sharing a shingle are counted, so it is fast on a corpus where most pages share little."""
    count = len(hashes)
    if count < 2:
        return {}
    sizes = np.array([h.size for h in hashes], dtype=np.int64)
    values = np.concatenate(hashes)
    owners = np.repeat(np.arange(count, dtype=np.int64), sizes)
    order = np.argsort(values, kind="stable")  # stable: within a shingle, owners stay in ascending order
    values, owners = values[order], owners[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    lengths = np.diff(np.r_[starts, values.size])
    codes: list[np.ndarray] = []
    # Shingles shared by g documents give g*(g-1)/2 pairs; all shingles of one g are done in one numpy step.
    for group in np.unique(lengths[lengths > 1]):
        first = starts[lengths == group]
        members = owners[first[:, None] + np.arange(group)]
        left, right = np.triu_indices(int(group), 1)
        codes.append((members[:, left] * count + members[:, right]).ravel())
    if not codes:
        return {}
    pair_codes, shared = np.unique(np.concatenate(codes), return_counts=True)
    first_ids, second_ids = pair_codes // count, pair_codes % count
    similarity = shared / (sizes[first_ids] + sizes[second_ids] - shared)
    keep = similarity >= min_jaccard
    return {
        (int(i), int(j)): float(s) for i, j, s in zip(first_ids[keep], second_ids[keep], similarity[keep], strict=True)
    }


# ----------------------------------------------------------------------------------------------- I/O


def write_jsonl(dataset: NeardupSet, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as stream:
        for doc in dataset.documents:
            stream.write(json.dumps(asdict(doc), ensure_ascii=False) + "\n")


def composition(dataset: NeardupSet) -> list[str]:
    """Lines describing the set: documents per kind, and the Jaccard of each kind's variants to their
    originals (min / median / max)."""
    kinds = Counter(doc.kind for doc in dataset.documents)
    lines = [f"{len(dataset.documents)} documents, seed {dataset.seed}, {len(dataset.excluded)} originals left out"]
    for kind in ("original", *LIGHT_KINDS, HEAVY_KIND):
        scores = sorted(doc.jaccard_to_original for doc in dataset.documents if doc.kind == kind)
        if kind == "original" or not scores:
            lines.append(f"  {kind:12} {kinds[kind]:5}")
            continue
        lines.append(
            f"  {kind:12} {kinds[kind]:5}  Jaccard to original min {scores[0]:.3f} median "
            f"{float(np.median(scores)):.3f} max {scores[-1]:.3f}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the folder holding corpus/")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    dataset = build_set(load_corpus(args.shared / "corpus"), seed=args.seed)
    write_jsonl(dataset, args.output)
    print("\n".join(composition(dataset)))
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

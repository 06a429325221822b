"""dedup (within one page): a teaser that repeats the body's start, a title repeated under itself, a
passage pasted twice (exactly or with small edits), a paragraph that repeats itself inside one line, and
headings left with nothing under them. The first full copy is kept.

Candidates are found by hashing and by an index of character shingles, and only a few candidates per
block are compared with rapidfuzz, so the cost stays near-linear in the page's length.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from difflib import SequenceMatcher
from itertools import chain

import regex
from rapidfuzz import fuzz

from cleanpipe.config import Config
from cleanpipe.document import Document
from cleanpipe.rules.dedup import TEASER_LABELS, TRUNCATION_MARKS
from cleanpipe.text import CJK, FUZZY_MAX_CHARS, match_key

NAME = "dedup"

_TEASER_LABEL = regex.compile(
    rf"^\s*[【\[]?(?:{'|'.join(regex.escape(label) for label in TEASER_LABELS)})[】\]]?\s*[:：]?\s*",
    regex.IGNORECASE,
)
_MAX_ROUNDS = 4
# A line this short, not ending a sentence, right above a removed copy is that copy's heading.
_LABEL_LINE_MAX = 30
_SENTENCE_ENDS = "。！？!?…；;，,"
_LOWEST_RANK = 6
_SHINGLE = 5
# Keys at least this long index only the shingles of one class in _SAMPLE (see _shingles).
_SAMPLE_FROM = 40
_SAMPLE = 3
# Shingles shared by more blocks than this carry no signal (a common phrase) and are not indexed further.
_BUCKET_LIMIT = 40
# A block is compared with at most this many earlier blocks, the ones sharing the most shingles.
_CANDIDATES = 3
# Share of a block's shingles an earlier block must share to be a candidate.
_MIN_SHARED = 0.3
# An unlabelled teaser is at most this long (in match-key characters); longer is an article, not a teaser.
_UNLABELLED_TEASER_MAX = 300
_MIN_TEASER = 10
# A labelled teaser may be a few words ('核心提示:首先,我想问句'): the label says what it is, so from this many
# key characters it goes, when the body opens with exactly those words.
_MIN_LABELLED_TEASER = 4
# A teaser starts within the first this many text blocks after the title.
_TEASER_SEARCH = 3
# An unlabelled teaser must be the body's start: found within this many key characters of it (room for
# a repeated title in between).
_UNLABELLED_OFFSET = 80
# A block shorter than this (match-key characters) is not removed for repeating on its own: short lines
# such as '数据截止日期：2022-12-31' under two charts repeat on purpose. It goes only as part of a passage
# pasted twice (see drop_short_lines_of_repeated_passages).
_ALONE_MIN = 30
# Near repeats that carry other numbers, or (short texts with spaces between words) other words, are
# different entries, not a copy with small edits: numbers, words of _MIN_WORD letters or more, compared in
# texts of at most _WORDS_CHECKED_MAX characters.
_NUMBER = regex.compile(r"\d+(?:[.,:]\d+)*")
# An entry's own number ('3. ', '4、', '(2)') says where it stands in a list, not what it says.
_ENUMERATOR = regex.compile(r"^\s*(?:[(（]\d{1,3}[)）]|\d{1,3}\s*\\?[.、:：)）])(?!\d)")
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_MIN_WORD = 3
_WORDS_CHECKED_MAX = 300


def collapse_duplicates(doc: Document, config: Config) -> Document:
    _drop_opening_repeats(doc, config)
    drop_repeated_blocks(doc, config)
    drop_short_lines_of_repeated_passages(doc)
    # Removing repeats changes what follows the page's opening, which can make its first line a teaser.
    _drop_opening_repeats(doc, config)
    drop_empty_sections(doc)
    return doc


def _drop_opening_repeats(doc: Document, config: Config) -> None:
    """Teasers and a repeated title, until a round removes nothing: removing one can expose another at
    the new top of the page, and cleaning the output again must find nothing more. (Removing blocks never
    makes a new pair of repeated passages, so drop_repeated_blocks needs no such loop.)"""
    for _ in range(_MAX_ROUNDS):
        before = len(doc.removals)
        drop_teaser(doc, config)
        drop_repeated_title(doc)
        if len(doc.removals) == before:
            return


def _content_blocks(doc: Document) -> list[int]:
    """Kept non-title text blocks, in page order."""
    return [i for i in doc.kept_indices() if doc.blocks[i].kind not in ("title", "image")]


def drop_teaser(doc: Document, config: Config) -> None:
    """Remove an opening teaser ('核心提示:…', '摘要：…') whose text reappears in the body that follows.

    The teaser starts in one of the first few blocks and may run over several lines of one paragraph
    group; each further line is taken while the teaser so far is still found in the body. Decisions
    look at blocks, not at blank lines, so cleaning the output again decides the same way.
    """
    blocks = _content_blocks(doc)
    titles = {match_key(doc.blocks[i].text) for i in doc.kept_indices() if doc.blocks[i].kind == "title"}
    for position, index in enumerate(blocks[:_TEASER_SEARCH]):
        text = doc.blocks[index].text
        if match_key(text) in titles:
            continue  # the title repeated: drop_repeated_title's case
        label = _TEASER_LABEL.match(text)
        if not label and position > 0:
            continue  # only a labelled teaser may sit below another line; an unlabelled one opens the page
        key = _teaser_key(text[label.end() :] if label else text)
        if len(key) < (_MIN_LABELLED_TEASER if label else _MIN_TEASER) or (
            not label and len(key) > _UNLABELLED_TEASER_MAX
        ):
            continue
        # A few words are a teaser only where the body opens with them, as an unlabelled teaser is.
        labelled = bool(label) and len(key) >= _MIN_TEASER
        score = _teaser_score(doc, key, blocks[position + 1 :], config, labelled=labelled)
        if score < config.dedup_threshold:
            if label:
                return
            continue
        teaser = [index]
        for offset, later in enumerate(blocks[position + 1 :], start=position + 2):
            # A teaser is found within the window that follows it, so one longer than the window is not
            # one: the cap also keeps a page of one long paragraph group linear.
            if doc.blocks[later].group != doc.blocks[index].group or len(key) > config.teaser_window:
                break
            longer = key + _teaser_key(doc.blocks[later].text)
            if _teaser_score(doc, longer, blocks[offset:], config, labelled=labelled) < 100:
                break
            key, teaser = longer, [*teaser, later]
        for removed in teaser:
            doc.remove_block(
                removed,
                stage=NAME,
                rule="teaser",
                reason="teaser that repeats the start of the body" + (" (labelled)" if label else ""),
                score=round(score, 1),
            )
        return


def _teaser_key(text: str) -> str:
    return match_key(text.rstrip().rstrip(TRUNCATION_MARKS))


def _teaser_score(doc: Document, key: str, after: list[int], config: Config, *, labelled: bool) -> float:
    """100 when the body holds the teaser (an unlabelled one only at its very start); for a labelled
    teaser with small edits, rapidfuzz's partial ratio against the body's start."""
    body = _following_key(doc, after, config.teaser_window + len(key))
    found = body.find(key)
    if found >= 0 and (labelled or found <= _UNLABELLED_OFFSET):
        return 100.0
    if labelled:
        return float(fuzz.partial_ratio(key, body[: len(key) * 2], score_cutoff=config.dedup_threshold))
    return 0.0


def _following_key(doc: Document, after: list[int], limit: int) -> str:
    parts: list[str] = []
    size = 0
    for index in after:
        key = match_key(doc.blocks[index].text)
        parts.append(key)
        size += len(key)
        if size >= limit:
            break
    return "".join(parts)


def drop_repeated_title(doc: Document) -> None:
    """Remove the title repeated as the first line of the body."""
    kept = doc.kept_indices()
    titles = [index for index in kept if doc.blocks[index].kind == "title"]
    if not titles:
        return
    title_key = match_key(doc.blocks[titles[0]].text)
    after = [index for index in kept if index > titles[0]][:2]
    for index in after:
        if doc.blocks[index].kind != "image" and match_key(doc.blocks[index].text) == title_key:
            doc.remove_block(index, stage=NAME, rule="repeated-title", reason="repeats the page title")
            return


def drop_repeated_blocks(doc: Document, config: Config) -> None:
    """Remove paragraphs and list items that repeat an earlier kept one, exactly or with small edits."""
    exact: dict[str, int] = {}
    index_of_shingle: dict[str, list[int]] = defaultdict(list)
    for index in doc.kept_indices():
        block = doc.blocks[index]
        if block.kind not in ("paragraph", "list_item"):
            continue
        key = match_key(block.text)
        if len(key) < config.dedup_min_chars:
            continue
        earlier = exact.get(key)
        if earlier is not None:
            if len(key) >= _ALONE_MIN:
                _remove_repeat(doc, index, earlier, 100.0)
            continue
        shingles = _shingles(key)
        fits = len(key) <= FUZZY_MAX_CHARS
        match = _fuzzy_match(doc, block.text, key, shingles, index_of_shingle, config) if fits else None
        if match is not None and len(key) >= _ALONE_MIN:
            _remove_repeat(doc, index, match[0], match[1])
            continue
        exact[key] = index
        for shingle in shingles:
            bucket = index_of_shingle[shingle]
            if len(bucket) < _BUCKET_LIMIT:
                bucket.append(index)


_REPEAT_RULES = ("repeated-passage", "near-repeated-passage")


def drop_short_lines_of_repeated_passages(doc: Document) -> None:
    """Remove short lines inside a passage pasted twice: too short to judge alone, they repeat an earlier
    line exactly and either sit next to lines removed as repeats, or form with their neighbours a run of
    at least _MIN_RUN lines repeating an earlier run in the same order (a list of short lines pasted
    twice). A lone short line that repeats ('扩展资料:' under two sections) stays."""
    first_seen: dict[str, int] = {}
    short: list[int] = []
    for index in doc.kept_indices():
        block = doc.blocks[index]
        if block.kind not in ("paragraph", "list_item"):
            continue
        key = match_key(block.text)
        if key and key in first_seen:
            short.append(index)
        elif key:
            first_seen[key] = index
    for run in _repeated_runs(doc, short, first_seen):
        for index in run:
            _remove_repeat(doc, index, first_seen[match_key(doc.blocks[index].text)], 100.0)
    changed = True
    while changed:
        changed = False
        for index in short:
            block = doc.blocks[index]
            if block.kept and _next_to_repeat(doc, index):
                earlier = first_seen[match_key(block.text)]
                _remove_repeat(doc, index, earlier, 100.0)
                changed = True


_MIN_RUN = 3


def _repeated_runs(doc: Document, short: list[int], first_seen: dict[str, int]) -> list[list[int]]:
    """Runs of consecutive repeated lines whose first copies come in the same order, long enough
    together (at least _ALONE_MIN key characters over _MIN_RUN lines) to be a passage."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index in short:
        earlier = first_seen[match_key(doc.blocks[index].text)]
        if current and (
            _has_text_between(doc, current[-1], index)
            or earlier <= first_seen[match_key(doc.blocks[current[-1]].text)]
        ):
            runs.append(current)
            current = []
        current.append(index)
    runs.append(current)
    return [
        run for run in runs
        if len(run) >= _MIN_RUN and sum(len(match_key(doc.blocks[i].text)) for i in run) >= _ALONE_MIN
    ]


def _has_text_between(doc: Document, start: int, end: int) -> bool:
    """Whether a kept block with letters or digits lies strictly between two blocks."""
    return any(
        doc.blocks[i].kept and match_key(doc.blocks[i].text) for i in range(start + 1, end)
    )


def _next_to_repeat(doc: Document, index: int) -> bool:
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(doc.blocks):
            removed_by = doc.blocks[neighbour].removed_by or ""
            if removed_by.split("/")[-1] in _REPEAT_RULES:
                return True
    return False


def _shingles(key: str) -> list[str]:
    """The key's character shingles; for a long key, only those whose first character falls in one of
    _SAMPLE classes. The choice depends on the shingle's content, not its position, so two copies of a
    passage keep the same shingles whatever was inserted before them, at a fraction of the cost."""
    if len(key) <= _SHINGLE:
        return [key]
    every = {key[i : i + _SHINGLE] for i in range(len(key) - _SHINGLE + 1)}
    if len(key) < _SAMPLE_FROM:
        return list(every)
    sampled = [shingle for shingle in every if ord(shingle[0]) % _SAMPLE == 0]
    return sampled or list(every)


def _fuzzy_match(
    doc: Document, text: str, key: str, shingles: list[str], index: dict[str, list[int]], config: Config
) -> tuple[int, float] | None:
    hits = Counter(chain.from_iterable(index[shingle] for shingle in shingles if shingle in index))
    needed = max(1, int(len(shingles) * _MIN_SHARED))
    for earlier, shared in hits.most_common(_CANDIDATES):
        if shared < needed:
            break
        score = fuzz.ratio(key, match_key(doc.blocks[earlier].text), score_cutoff=config.dedup_threshold)
        if score and not different_facts(text, doc.blocks[earlier].text):
            return earlier, score
    return None


def different_facts(text: str, other: str) -> bool:
    """Whether two texts that read alike say different things: other numbers ('Tageskarte: 26 €' and
    'Tageskarte: ab 35,50 €'), or, in short texts written with spaces between words, a word put in another
    word's place ('… applied to a user team's ground passes' and '… a CPU team's …'). A copy pasted with
    small edits gains or loses words ('DUBAI — ' before it, 'has' inside) and changes punctuation; a list
    of like entries swaps its words and numbers."""
    if _numbers(text) != _numbers(other):
        return True
    if max(len(text), len(other)) > _WORDS_CHECKED_MAX or CJK.search(text) or CJK.search(other):
        return False
    words, others = _WORD.findall(text.casefold()), _WORD.findall(other.casefold())
    for tag, start, end, other_start, other_end in SequenceMatcher(None, words, others, autojunk=False).get_opcodes():
        if tag == "replace" and _has_word(words[start:end]) and _has_word(others[other_start:other_end]):
            return True
    return False


def _numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(_ENUMERATOR.sub("", text)))


def _has_word(words: list[str]) -> bool:
    return any(len(word) >= _MIN_WORD for word in words)


def _remove_repeat(doc: Document, index: int, earlier: int, score: float) -> None:
    line = doc.blocks[earlier].line
    doc.remove_block(
        index,
        stage=NAME,
        rule="repeated-passage" if score >= 100 else "near-repeated-passage",
        reason=f"repeats the text at line {line}" + ("" if score >= 100 else " with small edits"),
        score=round(score, 1),
    )


def drop_empty_sections(doc: Document) -> None:
    """Remove a heading whose section lost all its content to removals: it no longer heads anything.

    A short label-like line that introduced a pasted copy ('…的选择' above the article again) counts as a
    heading of the lowest rank when the copy right after it was removed as a repeat.
    """
    blocks = doc.blocks
    for index in range(len(blocks) - 1, -1, -1):
        heading = blocks[index]
        if not heading.kept:
            continue
        if heading.kind == "heading":
            level = heading.level
        elif heading.kind == "paragraph" and _introduces_removed_copy(doc, index):
            level = _LOWEST_RANK
        else:
            continue
        lost_something = False
        has_content = False
        for block in blocks[index + 1 :]:
            if block.kind == "heading" and block.kept and block.level <= level:
                break
            if block.kind == "title":
                break
            if block.kept:
                has_content = True
                break
            lost_something = True
        if lost_something and not has_content:
            doc.remove_block(
                index, stage=NAME, rule="empty-section", reason="heading left with nothing under it"
            )


def _introduces_removed_copy(doc: Document, index: int) -> bool:
    block = doc.blocks[index]
    text = block.text.strip()
    if not text or len(text) > _LABEL_LINE_MAX or text[-1] in _SENTENCE_ENDS or any(r.url for r in block.inlines):
        return False
    following = doc.blocks[index + 1] if index + 1 < len(doc.blocks) else None
    return following is not None and (following.removed_by or "").split("/")[-1] in _REPEAT_RULES

"""dedup (within one page): a teaser that repeats the body's start, a title repeated under itself, a
passage pasted twice (exactly or with small edits), a paragraph that repeats itself inside one line, and
headings left with nothing under them. The first full copy is kept.

Candidates are found by hashing and by an index of character shingles, and only a few candidates per
block are compared with rapidfuzz, so the cost stays near-linear in the page's length.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import regex
from rapidfuzz import fuzz

from cleanpipe.config import Config
from cleanpipe.document import Document, Inline
from cleanpipe.rules.dedup import TEASER_LABELS, TRUNCATION_MARKS
from cleanpipe.text import match_key

NAME = "dedup"

_TEASER_LABEL = regex.compile(
    rf"^\s*[【\[]?(?:{'|'.join(regex.escape(label) for label in TEASER_LABELS)})[】\]]?\s*[:：]?\s*",
    regex.IGNORECASE,
)
_SHINGLE = 5
# Shingles shared by more blocks than this carry no signal (a common phrase) and are not indexed further.
_BUCKET_LIMIT = 40
# A block is compared with at most this many earlier blocks, the ones sharing the most shingles.
_CANDIDATES = 3
# Share of a block's shingles an earlier block must share to be a candidate.
_MIN_SHARED = 0.3
# An unlabelled teaser is at most this long (in match-key characters); longer is an article, not a teaser.
_UNLABELLED_TEASER_MAX = 300
_MIN_TEASER = 10


def collapse_duplicates(doc: Document, config: Config) -> Document:
    drop_teaser(doc, config)
    drop_repeated_title(doc)
    drop_repeated_blocks(doc, config)
    drop_short_lines_of_repeated_passages(doc)
    drop_repeats_inside_blocks(doc, config)
    drop_empty_sections(doc)
    return doc


def _content_groups(doc: Document) -> list[list[int]]:
    """Kept non-title blocks grouped by paragraph group, in page order."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index in doc.kept_indices():
        block = doc.blocks[index]
        if block.kind != "title":
            groups[block.group].append(index)
    return [groups[key] for key in sorted(groups)]


def drop_teaser(doc: Document, config: Config) -> None:
    """Remove an opening teaser ('核心提示:…') whose text reappears in the body that follows."""
    groups = _content_groups(doc)
    for position, group in enumerate(groups[:3]):
        first_text = doc.blocks[group[0]].text
        label = _TEASER_LABEL.match(first_text)
        teaser = first_text[label.end() :] if label else first_text
        teaser += "".join(doc.blocks[index].text for index in group[1:])
        key = match_key(teaser.rstrip().rstrip(TRUNCATION_MARKS))
        if len(key) < _MIN_TEASER or (not label and len(key) > _UNLABELLED_TEASER_MAX):
            continue
        body = _following_key(doc, groups[position + 1 :], config.teaser_window + len(key))
        score = 100.0 if key in body else 0.0
        if not score and label:
            score = fuzz.partial_ratio(key, body[: len(key) * 2], score_cutoff=config.dedup_threshold)
        if score >= config.dedup_threshold:
            for index in group:
                doc.remove_block(
                    index,
                    stage=NAME,
                    rule="teaser",
                    reason="teaser that repeats the start of the body" + (" (labelled)" if label else ""),
                    score=round(score, 1),
                )
            return
        if label:
            return


def _following_key(doc: Document, groups: list[list[int]], limit: int) -> str:
    parts: list[str] = []
    size = 0
    for group in groups:
        for index in group:
            key = match_key(doc.blocks[index].text)
            parts.append(key)
            size += len(key)
            if size >= limit:
                return "".join(parts)
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
    shingles_of: dict[int, list[str]] = {}
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
            _remove_repeat(doc, index, earlier, 100.0)
            continue
        shingles = _shingles(key)
        match = _fuzzy_match(doc, key, shingles, index_of_shingle, config)
        if match is not None:
            _remove_repeat(doc, index, match[0], match[1])
            continue
        exact[key] = index
        shingles_of[index] = shingles
        for shingle in shingles:
            bucket = index_of_shingle[shingle]
            if len(bucket) < _BUCKET_LIMIT:
                bucket.append(index)


_REPEAT_RULES = ("repeated-passage", "near-repeated-passage")


def drop_short_lines_of_repeated_passages(doc: Document) -> None:
    """Remove short lines inside a passage pasted twice: too short to judge alone, they repeat an earlier
    line exactly and sit next to lines removed as repeats, so they belong to the second copy."""
    first_seen: dict[str, int] = {}
    short: list[int] = []
    for index in doc.kept_indices():
        block = doc.blocks[index]
        if block.kind not in ("paragraph", "list_item"):
            continue
        key = match_key(block.text)
        if key and key in first_seen:
            short.append(index)
        else:
            first_seen.setdefault(key, index)
    changed = True
    while changed:
        changed = False
        for index in short:
            block = doc.blocks[index]
            if block.kept and _next_to_repeat(doc, index):
                earlier = first_seen[match_key(block.text)]
                _remove_repeat(doc, index, earlier, 100.0)
                changed = True


def _next_to_repeat(doc: Document, index: int) -> bool:
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(doc.blocks):
            removed_by = doc.blocks[neighbour].removed_by or ""
            if removed_by.split("/")[-1] in _REPEAT_RULES:
                return True
    return False


def _shingles(key: str) -> list[str]:
    if len(key) <= _SHINGLE:
        return [key]
    return list({key[i : i + _SHINGLE] for i in range(len(key) - _SHINGLE + 1)})


def _fuzzy_match(
    doc: Document, key: str, shingles: list[str], index: dict[str, list[int]], config: Config
) -> tuple[int, float] | None:
    hits: Counter[int] = Counter()
    for shingle in shingles:
        hits.update(index.get(shingle, ()))
    needed = max(1, int(len(shingles) * _MIN_SHARED))
    for earlier, shared in hits.most_common(_CANDIDATES):
        if shared < needed:
            break
        score = fuzz.ratio(key, match_key(doc.blocks[earlier].text), score_cutoff=config.dedup_threshold)
        if score:
            return earlier, score
    return None


def _remove_repeat(doc: Document, index: int, earlier: int, score: float) -> None:
    line = doc.blocks[earlier].line
    doc.remove_block(
        index,
        stage=NAME,
        rule="repeated-passage" if score >= 100 else "near-repeated-passage",
        reason=f"repeats the text at line {line}" + ("" if score >= 100 else " with small edits"),
        score=round(score, 1),
    )


def drop_repeats_inside_blocks(doc: Document, config: Config) -> None:
    """Cut a paragraph that ends with its own text twice ('Q？A A', a body pasted twice in one line)."""
    for index in doc.kept_indices():
        block = doc.blocks[index]
        if block.kind != "paragraph" or len(block.inlines) != 1 or block.inlines[0].url:
            continue
        text = block.inlines[0].text
        while True:
            cut = _tandem_cut(text, config)
            if cut is None:
                break
            doc.record(
                stage=NAME,
                rule="repeated-passage-in-line",
                text=text[cut:],
                reason="the line repeats its own text; the second copy is cut",
                line=block.line,
                block=index,
            )
            text = text[:cut].rstrip()
        block.inlines = (Inline(text),)


def _tandem_cut(text: str, config: Config) -> int | None:
    """Where the second copy starts when `text` ends with the same passage twice, else None."""
    size = len(text)
    probe = min(30, size // 4)
    if size < 2 * max(config.dedup_min_chars, 20) or probe < 8:
        return None
    tail = text[-probe:]
    found = text.rfind(tail, 0, size - probe)
    if found < 0:
        return None
    cut = found + probe
    copy = size - cut
    if copy < max(config.dedup_min_chars, 20) or cut - copy < 0:
        return None
    first, second = text[cut - copy : cut], text[cut:]
    if first == second or fuzz.ratio(first, second) >= config.dedup_threshold:
        return cut
    return None


def drop_empty_sections(doc: Document) -> None:
    """Remove a heading whose section lost all its content to removals: it no longer heads anything."""
    blocks = doc.blocks
    for index in range(len(blocks) - 1, -1, -1):
        heading = blocks[index]
        if not heading.kept or heading.kind != "heading":
            continue
        lost_something = False
        has_content = False
        for block in blocks[index + 1 :]:
            if block.kind == "heading" and block.kept and block.level <= heading.level:
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


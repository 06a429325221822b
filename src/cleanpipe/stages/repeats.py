"""repeats: cut a line that repeats its own text ('Q？A A', an answer or a body pasted twice into one
line, possibly with a short label between the copies).

This runs right after markup, before structure: the title, byline and heading decisions must see each
line as it will be written, or cleaning the output again would decide differently.
"""

from __future__ import annotations

import regex
from rapidfuzz import fuzz

from cleanpipe.config import Config
from cleanpipe.document import Document, Inline
from cleanpipe.text import FUZZY_MAX_CHARS

NAME = "repeats"

_SENTENCE_END = regex.compile(r"[。！？!?；;]")
# Longest label allowed between the two copies ("基本内容：").
_MAX_GAP = 12


def cut_repeated_lines(doc: Document, config: Config) -> Document:
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
    return doc


def _tandem_cut(text: str, config: Config) -> int | None:
    """Where the second copy starts when `text` ends with the same passage twice, else None.

    The copies may be separated by a short label; the cut then removes the label with the second copy.
    """
    size = len(text)
    probe = min(30, size // 4)
    least = max(config.dedup_min_chars, 20)
    if size < 2 * least or probe < 8:
        return None
    tail = text[-probe:]
    found = text.rfind(tail, 0, size - probe)
    if found < 0:
        return None
    cut = found + probe  # the end of the first copy
    for gap in range(0, _MAX_GAP + 1):
        copy = size - cut - gap
        if copy < least:
            return None
        if copy > cut:
            continue  # the second part is longer than the first: a label may sit in front of it
        if gap and _SENTENCE_END.search(text[cut : cut + gap]):
            return None  # a gap holding a sentence end is text of its own, not a label
        first, second = text[cut - copy : cut], text[cut + gap :]
        if first == second:
            return cut
        if copy <= FUZZY_MAX_CHARS and fuzz.ratio(first, second, score_cutoff=config.dedup_threshold):
            return cut
    return None

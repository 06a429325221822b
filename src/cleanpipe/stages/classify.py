"""classifier: remove kept blocks that a learned line model scores as boilerplate.

The named rules (stages/boilerplate.py) remove what they name; the line model removes what no rule names:
another site's call to action, disclaimer or self-promotion in words no rule has. It is a logistic
regression over features that carry from one site to another (training/README.md):

- the character bigrams and trigrams of the block's start and end (digits folded to 0, Latin letters
  lower-cased, the page's title masked, so "以上就是<title>的全部内容" is one pattern on every page);
- the block's kind, length, where it sits in the page (head, tail, relative position), its shares of
  punctuation, digits and Latin letters, whether it ends as a sentence does, links, handles and IDs;
- the same shape of the blocks before and after it.

Its weights are data (rules/line_model.json, written by training/train_lines.py from the labelled lines
in training/lines/); scoring is a sum of weights, so it needs nothing beyond the standard library. Only
blocks of at most the model's `max_chars` (200) characters are scored, sentences of prose aside: the
model is trained and measured on them, and longer paragraphs are content far more often than not.

The stage runs after dedup, on the kept blocks, in rounds until nothing more goes, so a page cleaned
again reads the same. By default it removes only `title-template` lines (a head or tail line naming the
page's title, scored at least `title_template_threshold`); with `classifier_threshold` below 1 it also
removes any block scored at least that. A removal carries the score and the features that weighed most.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import regex

from cleanpipe.config import Config
from cleanpipe.document import Block, Document

NAME = "classifier"
RULE = "classifier"
# A line at a page's head or tail that names the page's title and that the model scores as boilerplate:
# a content farm's intro or outro around any article ("感谢您阅读《<title>》…"). On by default
# (config.title_template_threshold), since the title narrows it to that family.
TITLE_RULE = "title-template"
_TITLE_HEAD = 2
_TITLE_TAIL = 3
_MIN_TITLE = 8  # a short title (a name, a tag) is named by content too
# A block this long that ends as a sentence is prose: the classifier does not judge it (of the labelled
# blocks the rules keep, 27 of 2,518 such are boilerplate; they are 38% of the blocks, and of the cost).
_PROSE_GATE = 60
# Rounds of judging a page (each removes at least one block); a page needing more is left as it stands.
_MAX_ROUNDS = 50
MODEL_FORMAT = "cleanpipe-line-model"
# Raise when a feature changes meaning, so weights trained for other features are refused.
FEATURES_VERSION = 2

# The part of a block whose n-grams are features: its first and last characters (boilerplate says what
# it is at its start or its end: "关注…", "…转载请注明出处").
_HEAD = 16
_TAIL = 10
# A short line (a list item, a link, a label) and a paragraph of prose, for the context features.
_SHORT = 50
_PROSE = 80
_TITLE_MARK = "\u24c9"  # Ⓣ: where the page's title stood
_DIGITS = str.maketrans("0123456789０１２３４５６７８９", "0" * 20)
_SPACES = regex.compile(r"\s+")
# Runs of a class of characters: a block's share of them is its length less what is left without them.
_PUNCT = regex.compile(r"[\p{P}\p{S}]+")
_LATIN = regex.compile(r"[A-Za-z]+")
_HAN = regex.compile(r"\p{Han}+")
_SENTENCE_END = regex.compile(r"[。！？!?…；;.」』”\"）)]$")
_URL = regex.compile(r"https?://|www\.|\.(?:com|cn|net|org)\b", regex.IGNORECASE)
_HANDLE = regex.compile(r"@\w|#\w+#")
_LONG_NUMBER = regex.compile(r"\d{5,}")
_SEPARATORS = regex.compile(r"[|｜/>»›→]|  ")


# A block's features as (the features other than n-grams, the start and the end whose n-grams are the rest).
BlockParts = tuple[list[str], str, str]


@dataclass(frozen=True)
class LineModel:
    """Weights by feature name: `bigrams` and `trigrams` of text, `others` for the rest; a bias; and the
    Platt calibration (score = 1 / (1 + exp(-(a * margin + b))))."""

    bigrams: dict[str, float]
    trigrams: dict[str, float]
    others: dict[str, float]
    bias: float
    calibration: tuple[float, float]
    max_chars: int
    digest: str

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LineModel:
        if data.get("format") != MODEL_FORMAT or data.get("features_version") != FEATURES_VERSION:
            raise ValueError(f"line model is not a {MODEL_FORMAT} for features version {FEATURES_VERSION}; retrain it")
        weights = data["weights"]
        assert isinstance(weights, dict)
        bigrams = {name[2:]: float(value) for name, value in weights.items() if name.startswith("b:")}
        trigrams = {name[2:]: float(value) for name, value in weights.items() if name.startswith("t:")}
        others = {name: float(value) for name, value in weights.items() if name[:2] not in ("b:", "t:")}
        calibration = data["calibration"]
        assert isinstance(calibration, list) and len(calibration) == 2
        a, b = float(calibration[0]), float(calibration[1])
        return cls(
            bigrams=bigrams,
            trigrams=trigrams,
            others=others,
            bias=float(data["bias"]),  # type: ignore[arg-type]
            calibration=(a, b),
            max_chars=int(data["max_chars"]),  # type: ignore[call-overload]
            digest=str(data["digest"]),
        )

    def margin(self, features: Iterator[str] | Sequence[str]) -> float:
        return self.bias + sum(map(self.weight, features))

    def score(self, features: Iterator[str] | Sequence[str]) -> float:
        return self.calibrated(self.margin(features))

    def calibrated(self, margin: float) -> float:
        a, b = self.calibration
        return 1.0 / (1.0 + math.exp(-(a * margin + b)))

    def parts_margin(self, parts: BlockParts) -> float:
        """margin(features of `parts`), without building the n-gram features' names (the stage's path)."""
        others, head, tail = parts
        total = self.bias + sum(filter(None, map(self.others.get, others)))
        for part in (head, tail):
            if len(part) > 1:
                total += sum(filter(None, map(self.bigrams.get, [part[i : i + 2] for i in range(len(part) - 1)])))
                total += sum(filter(None, map(self.trigrams.get, [part[i : i + 3] for i in range(len(part) - 2)])))
        return total

    def weight(self, feature: str) -> float:
        if feature[1:2] == ":" and feature[0] in "bt":
            return (self.bigrams if feature[0] == "b" else self.trigrams).get(feature[2:], 0.0)
        return self.others.get(feature, 0.0)


@cache
def load_model() -> LineModel:
    """The line model shipped with cleanpipe (rules/line_model.json)."""
    text = resources.files("cleanpipe.rules").joinpath("line_model.json").read_text(encoding="utf-8")
    return LineModel.from_json(json.loads(text))


# -- features -----------------------------------------------------------------------------------------


def normalise(text: str, title: str | None) -> str:
    """Whitespace folded, digits to 0, Latin lower-cased, the page's title masked."""
    text = _SPACES.sub(" ", text).strip()
    if title and len(title) >= 4 and title in text:
        text = text.replace(title, _TITLE_MARK)
    return text.translate(_DIGITS).lower()


def _bucket(value: float, edges: Sequence[float]) -> int:
    """The number of edges at or below `value`: 0 below the first edge, len(edges) from the last."""
    return bisect_right(edges, value)


def _shape(prefix: str, text: str) -> list[str]:
    """What a block looks like, without its words: length, sentence end, punctuation."""
    size = len(text)
    if not size:
        return [f"{prefix}empty"]
    return [
        f"{prefix}len{_bucket(size, (6, 12, 24, 48, 96))}",
        f"{prefix}end{int(bool(_SENTENCE_END.search(text)))}",
    ]


def expand(parts: BlockParts) -> list[str]:
    """The feature names of a block's parts: its other features, then the n-grams of its start and end."""
    features, head, tail = parts
    features = list(features)
    for part in (head, tail):
        features.extend(f"b:{part[i : i + 2]}" for i in range(len(part) - 1))
        features.extend(f"t:{part[i : i + 3]}" for i in range(len(part) - 2))
    return features


def block_parts(
    text: str,
    kind: str,
    pos: int,
    count: int,
    before: str,
    after: str,
    title: str | None,
    context: tuple[int, bool, bool],
) -> BlockParts:
    """The features of one block `text` of kind `kind` at index `pos` of `count` blocks, between the texts
    `before` and `after` (empty at the page's ends); `context` is (the length of the run of short lines it
    is in, whether a paragraph of prose comes before it, and after it). As (the features other than
    n-grams, the start and the end whose n-grams are the rest: expand() names them all)."""
    run, prose_before, prose_after = context
    norm = normalise(text, title)
    size = len(norm)
    features = [f"kind:{kind}", f"len{_bucket(size, (4, 8, 12, 18, 26, 36, 50, 70, 100, 140))}"]
    if size:
        punct = (size - len(_PUNCT.sub("", norm))) / size
        digits = norm.count("0") / size
        latin = (size - len(_LATIN.sub("", norm))) / size
        han = (size - len(_HAN.sub("", norm))) / size
        features += [
            f"punct{_bucket(punct, (0.02, 0.06, 0.12, 0.25))}",
            f"digits{_bucket(digits, (0.01, 0.08, 0.2, 0.4))}",
            f"latin{_bucket(latin, (0.01, 0.1, 0.3, 0.6))}",
            f"han{_bucket(han, (0.2, 0.5, 0.8))}",
            f"end{int(bool(_SENTENCE_END.search(norm)))}",
        ]
        if _URL.search(norm):
            features.append("url")
        if _HANDLE.search(norm):
            features.append("handle")
        if _LONG_NUMBER.search(text):
            features.append("longnumber")
        if _TITLE_MARK in norm:
            features.append("title")
        separators = len(_SEPARATORS.findall(norm))
        if separators:
            features.append(f"separators{_bucket(separators, (2, 4))}")
    from_end = count - 1 - pos
    relative = pos / max(count - 1, 1)
    features += [
        f"head{min(pos, 3)}",
        f"tail{min(from_end, 3)}",
        f"at{_bucket(relative, (0.1, 0.3, 0.7, 0.9))}",
    ]
    features += _shape("prev_", before)
    features += _shape("next_", after)
    features += [
        f"run{_bucket(run, (2, 3, 5, 9))}",
        f"prose_before{int(prose_before)}",
        f"prose_after{int(prose_after)}",
    ]
    head = f"^{norm[:_HEAD]}"
    tail = f"{norm[-_TAIL:]}$" if size > _HEAD - _TAIL else ""
    return features, head, tail


def page_features(
    texts: Sequence[str],
    kinds: Sequence[str],
    title: str | None,
    max_chars: int,
    only: Collection[int] | None = None,
) -> list[list[str] | None]:
    """The features of each block of a page (None for a block longer than `max_chars` or empty, and for
    blocks not in `only` when it is given)."""
    return [None if parts is None else expand(parts) for parts in page_parts(texts, kinds, title, max_chars, only)]


def page_parts(
    texts: Sequence[str],
    kinds: Sequence[str],
    title: str | None,
    max_chars: int,
    only: Collection[int] | None = None,
) -> list[BlockParts | None]:
    """page_features, each block's as block_parts gives them (None: not scored)."""
    count = len(texts)
    short = [bool(text) and len(text) < _SHORT and not _SENTENCE_END.search(text) for text in texts]
    prose = [len(text) >= _PROSE and bool(_SENTENCE_END.search(text)) for text in texts]
    runs = [0] * count
    start = 0
    for pos in range(count + 1):
        if pos == count or not short[pos]:
            for inside in range(start, pos):
                runs[inside] = pos - start
            start = pos + 1
    prose_before = [False] * count
    seen = False
    for pos in range(count):
        prose_before[pos] = seen
        seen = seen or prose[pos]
    prose_after = [False] * count
    seen = False
    for pos in range(count - 1, -1, -1):
        prose_after[pos] = seen
        seen = seen or prose[pos]
    out: list[BlockParts | None] = []
    for pos, text in enumerate(texts):
        if not text.strip() or len(text) > max_chars or (only is not None and pos not in only):
            out.append(None)
            continue
        before = texts[pos - 1] if pos else ""
        after = texts[pos + 1] if pos + 1 < count else ""
        context = (runs[pos], prose_before[pos], prose_after[pos])
        out.append(block_parts(text, kinds[pos], pos, count, before, after, title, context))
    return out


def block_line(block: Block) -> str:
    """The text a block is judged by: its text, or its images' URLs when it has no text."""
    text = block.text.strip()
    if not text and block.images:
        return " ".join(f"![image]({run.url or ''})" for run in block.images)
    return text


# -- the stage ----------------------------------------------------------------------------------------


def classify_lines(doc: Document, config: Config) -> Document:
    """Judge the kept blocks as the page now reads (every other stage has run), in rounds until none more
    goes: a line removed brings another to the page's tail, and a page cleaned again must read the same."""
    threshold = config.classifier_threshold if RULE not in config.disabled_rules else 1.0
    title = doc.metadata.get("title")
    title = title if isinstance(title, str) and len(title.strip()) >= _MIN_TITLE else None
    title_threshold = config.title_template_threshold if TITLE_RULE not in config.disabled_rules else 1.0
    if threshold >= 1 and (title_threshold >= 1 or title is None):
        return doc
    model = load_model()
    for _ in range(_MAX_ROUNDS):
        if not _one_round(doc, model, title, threshold, title_threshold):
            break
    return doc


def _one_round(doc: Document, model: LineModel, title: str | None, threshold: float, title_threshold: float) -> bool:
    """Remove what qualifies among the kept blocks; whether anything went."""
    kept = doc.kept_indices()
    blocks = [doc.blocks[index] for index in kept]
    edges = _title_template_candidates(blocks, title) if title_threshold < 1 else set()
    if threshold >= 1 and not edges:
        return False
    texts = [block_line(block) for block in blocks]
    kinds = [block.kind for block in blocks]
    if threshold < 1:  # every block but a sentence of prose (1% of labelled ones are boilerplate)
        only = {place for place, text in enumerate(texts) if not _is_prose(text)} | edges
    else:
        only = edges
    removed = False
    for place, parts in enumerate(page_parts(texts, kinds, title, model.max_chars, only)):
        if parts is None or blocks[place].kind == "title":
            continue
        score = model.calibrated(model.parts_margin(parts))
        if score < min(threshold, title_threshold):
            continue
        features = expand(parts)
        if score >= threshold:
            reason = _reason(model, features, score, threshold)
            doc.remove_block(kept[place], stage=NAME, rule=RULE, reason=reason, score=round(score, 3))
            removed = True
        elif place in edges and score >= title_threshold:
            reason = "names the page's title in a line at its head or tail; " + _reason(
                model, features, score, title_threshold
            )
            doc.remove_block(kept[place], stage=NAME, rule=TITLE_RULE, reason=reason, score=round(score, 3))
            removed = True
    return removed


def _is_prose(text: str) -> bool:
    return len(text) >= _PROSE_GATE and _SENTENCE_END.search(text) is not None


def _title_template_candidates(blocks: list[Block], title: str | None) -> set[int]:
    """Places (in `blocks`) of blocks that name the page's title among its first or last blocks, headings
    and the title aside."""
    if title is None:
        return set()
    folded = _SPACES.sub(" ", title).strip()
    body = [place for place, block in enumerate(blocks) if block.kind not in ("title", "heading")]
    edge = body[:_TITLE_HEAD] + body[-_TITLE_TAIL:]
    return {place for place in edge if folded in _SPACES.sub(" ", blocks[place].text)}


def _reason(model: LineModel, features: list[str], score: float, threshold: float) -> str:
    weighed = sorted({feature: model.weight(feature) for feature in features}.items(), key=lambda item: -item[1])
    top = ", ".join(f"{name[2:] if name[1:2] == ':' else name} {weight:+.1f}" for name, weight in weighed[:4])
    return f"line model score {score:.2f} >= {threshold:.2f}: reads as boilerplate (most weight: {top})"

"""Score extracted pages against hand-labelled main text: character-bigram precision, recall and F1.

The score is meant to work the same for Chinese and for English. Both texts are NFKC-normalised and
case-folded, Markdown image and link syntax is reduced to its label, front matter is dropped, and only
letters and digits are kept (spaces, punctuation and symbols go, so full- and half-width punctuation
and line breaks never count). What is compared is the bag (multiset) of adjacent-character pairs of
what is left: 'Hello, 世界' becomes 'hello世界', whose pairs are he el ll lo o世 世界.

Per page: precision = shared pairs / pairs of the prediction, recall = shared pairs / pairs of the
truth, F1 their harmonic mean. Over pages: the mean of each. An empty prediction scores 0 (unless the
truth is empty too, which scores 1), so a missing page is never rewarded.

A second ground-truth format is scored as trafilatura's evaluation does: {id: {"with": [segments],
"without": [segments]}}, text segments that must (or must not) appear in the page's main text. The
prediction is reduced to plain text (front matter dropped, Markdown syntax stripped, escapes read) and
every run of whitespace becomes one space, as in the segments; a `with` segment found in it is a true
positive, missing a false negative; a `without` segment found is a false positive, missing a true
negative. The counts are pooled over the pages: precision = TP / (TP + FP), recall = TP / (TP + FN).

Pure functions only; `cleanpipe eval` reads the files and prints.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import regex

from cleanpipe.stages.render import split_front_matter

# ![alt](url) and [label](url): the alt text or label is what a reader sees, so it is what is scored.
_MARKDOWN_IMAGE = regex.compile(r"!\[((?:[^\]\\]|\\.)*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MARKDOWN_LINK = regex.compile(r"\[((?:[^\]\\]|\\.)*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_NOT_LETTER_OR_DIGIT = regex.compile(r"[^\p{L}\p{N}]+")
# Markdown syntax that is not text: a line's block marker (heading, quote, list item), a table's pipes and
# delimiter rows, code fences, emphasis runs, and the backslash of an escaped character.
_LINE_MARKER = regex.compile(r"^[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)", regex.MULTILINE)
_TRAILING_HASHES = regex.compile(r"[ \t]+#+[ \t]*$", regex.MULTILINE)
_DELIMITER_ROW = regex.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?[ \t]*)?$", regex.MULTILINE)
_FENCE = regex.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", regex.MULTILINE)
_EMPHASIS = regex.compile(
    r"(?<![\\\p{L}\p{N}])(?:\*{1,3}|_{1,3})(?=\S)|(?<=\S)(?<!\\)(?:\*{1,3}|_{1,3})(?![\p{L}\p{N}])"
)
_UNESCAPED_PIPE = regex.compile(r"(?<!\\)\|")
_ESCAPED = regex.compile(r"\\([!-/:-@\[-`{-~])")
_WHITESPACE = regex.compile(r"\s+")
# Suffixes a prediction file may carry after the page id: 'ID.md', 'ID.html.md'.
PREDICTION_SUFFIX = ".md"
_PAGE_SUFFIXES = (".html", ".htm", ".txt")


@dataclass(frozen=True)
class PageScore:
    id: str
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    missing: bool = False


@dataclass(frozen=True)
class _Scores:
    """Scores of a set of pages: `pages` per page, `missing` the pages with no prediction file, `extra`
    the predictions of no known page; precision, recall and F1 over the set."""

    pages: list[Any]
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        raise NotImplementedError

    @property
    def recall(self) -> float:
        raise NotImplementedError

    @property
    def f1(self) -> float:
        raise NotImplementedError

    def to_dict(self) -> dict[str, object]:
        return {
            "pages": len(self.pages),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "missing": self.missing,
            "extra": self.extra,
            "per_page": [asdict(page) for page in self.pages],
        }


@dataclass(frozen=True)
class Evaluation(_Scores):
    """Bigram scores per page and their means."""

    pages: list[PageScore]

    @property
    def precision(self) -> float:
        return _mean([page.precision for page in self.pages])

    @property
    def recall(self) -> float:
        return _mean([page.recall for page in self.pages])

    @property
    def f1(self) -> float:
        return _mean([page.f1 for page in self.pages])


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def strip_markdown(text: str) -> str:
    """The text a reader sees: front matter dropped, images and links reduced to their labels."""
    _, body = split_front_matter(text)
    body = _MARKDOWN_IMAGE.sub(r"\1", body)
    return _MARKDOWN_LINK.sub(r"\1", body)


def plain_text(markdown: str) -> str:
    """What a reader of the rendered Markdown sees, as one line: front matter dropped, images and links
    reduced to their labels, block markers, table pipes, fences and emphasis gone, escapes read, and any
    run of whitespace one space."""
    text = strip_markdown(markdown)
    text = _FENCE.sub("", _DELIMITER_ROW.sub("", text))
    text = _TRAILING_HASHES.sub("", _LINE_MARKER.sub("", text))
    text = _UNESCAPED_PIPE.sub(" ", _EMPHASIS.sub("", text))
    return _WHITESPACE.sub(" ", _ESCAPED.sub(r"\1", text)).strip()


def normalise(text: str) -> str:
    """NFKC-normalised, case-folded letters and digits only: what the score compares."""
    return _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", text).casefold())


def bigrams(text: str) -> Counter[str]:
    """The bag of adjacent-character pairs of the normalised text."""
    letters = normalise(text)
    return Counter(letters[i : i + 2] for i in range(len(letters) - 1))


def score_texts(predicted: str, truth: str, page_id: str = "", *, markdown: bool = True) -> PageScore:
    """Precision, recall and F1 of one prediction (Markdown, unless `markdown` is false) against the truth."""
    pred = bigrams(strip_markdown(predicted) if markdown else predicted)
    gold = bigrams(truth)
    shared = sum((pred & gold).values())
    n_pred, n_gold = sum(pred.values()), sum(gold.values())
    if not n_pred and not n_gold:
        precision = recall = 1.0
    else:
        precision = shared / n_pred if n_pred else 0.0
        recall = shared / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PageScore(page_id, precision, recall, f1, n_pred, n_gold)


@dataclass(frozen=True)
class Segments:
    """One page's segments: text that belongs to its main content (`with`) and text that does not."""

    inside: tuple[str, ...]
    outside: tuple[str, ...]


@dataclass(frozen=True)
class SegmentScore:
    id: str
    true_positives: int
    false_negatives: int
    false_positives: int
    true_negatives: int
    missing: bool = False


@dataclass(frozen=True)
class SegmentEvaluation(_Scores):
    """Segment counts per page, pooled: precision and recall over all the pages' segments."""

    pages: list[SegmentScore]

    def _total(self, name: str) -> int:
        return sum(getattr(page, name) for page in self.pages)

    @property
    def precision(self) -> float:
        tp, fp = self._total("true_positives"), self._total("false_positives")
        return tp / (tp + fp) if tp + fp else 0.0

    @property
    def recall(self) -> float:
        tp, fn = self._total("true_positives"), self._total("false_negatives")
        return tp / (tp + fn) if tp + fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def score_segments(predicted: str, segments: Segments, page_id: str = "", *, markdown: bool = True) -> SegmentScore:
    """The segment counts of one prediction (Markdown, unless `markdown` is false)."""
    text = plain_text(predicted) if markdown else _one_line(predicted)
    found_in = sum(1 for segment in segments.inside if _one_line(segment) in text)
    found_out = sum(1 for segment in segments.outside if _one_line(segment) in text)
    return SegmentScore(
        page_id, found_in, len(segments.inside) - found_in, found_out, len(segments.outside) - found_out
    )


def evaluate_segments(
    predictions: Mapping[str, str], truth: Mapping[str, Segments], *, markdown: bool = True
) -> SegmentEvaluation:
    """Score every page of `truth`; a page without a prediction counts as an empty one and is listed."""
    pages: list[SegmentScore] = []
    missing: list[str] = []
    for page_id in sorted(truth):
        predicted = predictions.get(page_id)
        score = score_segments(predicted or "", truth[page_id], page_id, markdown=markdown)
        if predicted is None:
            missing.append(page_id)
            score = SegmentScore(**{**asdict(score), "missing": True})
        pages.append(score)
    return SegmentEvaluation(pages, missing, sorted(set(predictions) - set(truth)))


def read_truth(path: Path) -> dict[str, str] | dict[str, Segments]:
    """Either kind of ground truth: {id: text} (main text) or {id: Segments} (with/without segments),
    told apart by the first page's fields."""
    loaded = json.loads(path.read_text(encoding="utf-8"))
    first = next(iter(loaded.values()), None) if isinstance(loaded, dict) else None
    if isinstance(first, Mapping) and ("with" in first or "without" in first):
        return read_segments(path, loaded)
    return read_ground_truth(path, loaded)


def read_segments(path: Path, loaded: object = None) -> dict[str, Segments]:
    """{id: Segments} from a JSON object of {id: {"with": [text, ...], "without": [text, ...]}}."""
    if loaded is None:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f'{path}: expected a JSON object of {{id: {{"with": [...], "without": [...]}}}}')
    truth: dict[str, Segments] = {}
    for key, value in loaded.items():
        lists = [value.get(name, []) if isinstance(value, Mapping) else None for name in ("with", "without")]
        if not all(isinstance(items, list) and all(isinstance(item, str) for item in items) for items in lists):
            raise ValueError(f'{path}: page {key!r} needs "with" and "without" lists of text')
        truth[str(key)] = Segments(tuple(lists[0] or ()), tuple(lists[1] or ()))
    return truth


def read_ground_truth(path: Path, loaded: object = None) -> dict[str, str]:
    """{id: text} from a JSON object of {id: {"articleBody": text}} (or {id: text})."""
    if loaded is None:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f'{path}: expected a JSON object of {{id: {{"articleBody": text}}}}')
    truth: dict[str, str] = {}
    for key, value in loaded.items():
        if isinstance(value, Mapping):
            value = value.get("articleBody")
        if not isinstance(value, str):
            raise ValueError(f"{path}: page {key!r} has no articleBody text")
        truth[str(key)] = value
    return truth


def prediction_id(path: Path, known: Mapping[str, object]) -> str:
    """The page id of a prediction file: its name without '.md', and without a page suffix left before it
    ('ID.html.md') when that names a known page."""
    stem = path.name[: -len(PREDICTION_SUFFIX)] if path.name.endswith(PREDICTION_SUFFIX) else path.stem
    if stem not in known:
        for suffix in _PAGE_SUFFIXES:
            if stem.endswith(suffix) and stem[: -len(suffix)] in known:
                return stem[: -len(suffix)]
    return stem


def read_predictions(folder: Path, known: Mapping[str, object]) -> dict[str, str]:
    """{id: Markdown} of the .md files under `folder` (searched recursively), matched to ids by name."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob(f"*{PREDICTION_SUFFIX}")):
        if path.is_file():
            found.setdefault(prediction_id(path, known), path.read_text(encoding="utf-8", errors="replace"))
    return found


def evaluate(predictions: Mapping[str, str], truth: Mapping[str, str], *, markdown: bool = True) -> Evaluation:
    """Score every page of `truth`; a page without a prediction counts as an empty one and is listed."""
    pages: list[PageScore] = []
    missing: list[str] = []
    for page_id in sorted(truth):
        predicted = predictions.get(page_id)
        if predicted is None:
            missing.append(page_id)
            score = score_texts("", truth[page_id], page_id, markdown=markdown)
            pages.append(PageScore(**{**asdict(score), "missing": True}))
        else:
            pages.append(score_texts(predicted, truth[page_id], page_id, markdown=markdown))
    extra = sorted(set(predictions) - set(truth))
    return Evaluation(pages, missing, extra)


def evaluate_folder(folder: Path, ground_truth: Path) -> Evaluation | SegmentEvaluation:
    """Score the Markdown files under `folder` against either kind of ground truth."""
    truth = read_truth(ground_truth)
    predictions = read_predictions(folder, truth)
    if truth and isinstance(next(iter(truth.values())), Segments):
        return evaluate_segments(predictions, truth)  # type: ignore[arg-type]
    return evaluate(predictions, truth)  # type: ignore[arg-type]

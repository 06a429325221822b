"""Score extracted pages against hand-labelled main text: character-bigram precision, recall and F1.

The score is meant to work the same for Chinese and for English. Both texts are NFKC-normalised and
case-folded, Markdown image and link syntax is reduced to its label, front matter is dropped, and only
letters and digits are kept (spaces, punctuation and symbols go, so full- and half-width punctuation
and line breaks never count). What is compared is the bag (multiset) of adjacent-character pairs of
what is left: 'Hello, 世界' becomes 'hello世界', whose pairs are he el ll lo o世 世界.

Per page: precision = shared pairs / pairs of the prediction, recall = shared pairs / pairs of the
truth, F1 their harmonic mean. Over pages: the mean of each. An empty prediction scores 0 (unless the
truth is empty too, which scores 1), so a missing page is never rewarded.

Pure functions only; `cleanpipe eval` reads the files and prints.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import regex

from cleanpipe.stages.render import split_front_matter

# ![alt](url) and [label](url): the alt text or label is what a reader sees, so it is what is scored.
_MARKDOWN_IMAGE = regex.compile(r"!\[((?:[^\]\\]|\\.)*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MARKDOWN_LINK = regex.compile(r"\[((?:[^\]\\]|\\.)*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_NOT_LETTER_OR_DIGIT = regex.compile(r"[^\p{L}\p{N}]+")
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
class Evaluation:
    """Scores per page and their means; `missing` lists the pages with no prediction file."""

    pages: list[PageScore]
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return _mean([page.precision for page in self.pages])

    @property
    def recall(self) -> float:
        return _mean([page.recall for page in self.pages])

    @property
    def f1(self) -> float:
        return _mean([page.f1 for page in self.pages])

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


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def strip_markdown(text: str) -> str:
    """The text a reader sees: front matter dropped, images and links reduced to their labels."""
    _, body = split_front_matter(text)
    body = _MARKDOWN_IMAGE.sub(r"\1", body)
    return _MARKDOWN_LINK.sub(r"\1", body)


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


def read_ground_truth(path: Path) -> dict[str, str]:
    """{id: text} from a JSON object of {id: {"articleBody": text}} (or {id: text})."""
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


def evaluate_folder(folder: Path, ground_truth: Path) -> Evaluation:
    truth = read_ground_truth(ground_truth)
    return evaluate(read_predictions(folder, truth), truth)

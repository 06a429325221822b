"""Train the line model (src/cleanpipe/rules/line_model.json) from the labelled lines.

    pip install -e '.[train]'
    python training/train_lines.py            # writes the model and training/lines/REPORT.md

Data: training/lines/lines.jsonl, one labelled block per line (GUIDELINE.md says how they were labelled).
Split by source (a site, or a dump without URLs): held-out sites are never used to train, tune or calibrate; all that
is chosen (regularisation, calibration, threshold) is chosen on leave-one-source-out predictions over
the training sources, so a figure for the test sources is a figure for sources the model has not seen.

Model: logistic regression on the features of stages/classify.py (boilerplate = 1, content and metadata =
0), L2-regularised, fitted with L-BFGS; Platt calibration on the out-of-source margins; the threshold is
the lowest calibrated score whose out-of-source precision on the blocks the rules keep is at least
TARGET_PRECISION.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from cleanpipe.stages.classify import FEATURES_VERSION, MODEL_FORMAT, page_features

ROOT = Path(__file__).resolve().parent
LINES = ROOT / "lines" / "lines.jsonl"
WRITTEN = ROOT / "lines" / "written.jsonl"
MODEL = ROOT.parent / "src" / "cleanpipe" / "rules" / "line_model.json"
REPORT = ROOT / "lines" / "REPORT.md"

# A source is a site: a page's host where the dump has URLs (Common Crawl, ChineseWebText), each page of
# zh_cwced (a news site each), else the dump. Held out, never trained, tuned or calibrated on: three whole
# dumps (game news, search-result pages, a Q&A site) and four in ten of the sites of the three multi-site
# dumps, picked by a hash of the site's name.
TEST_DUMPS = frozenset({"skywork_evalloss_zh_game", "dureader_demo_search", "flagdata_zhihu_qa_demo"})
MULTI_SITE_DUMPS = frozenset({"ccnet_cc-main-2022-21_zh_cleared1", "chinesewebtext_fasttext_dirty", "zh_cwced"})
FOLDS = 5
MAX_CHARS = 200
MIN_FEATURE_COUNT = 2
L2_GRID = (0.3, 1.0, 3.0)
TARGET_PRECISION = 0.9


def load() -> list[dict]:
    return [json.loads(line) for line in LINES.open(encoding="utf-8")]


def written_rows(train_rows: list[dict]) -> list[dict]:
    """The written lines (training only) as rows of real training pages: each put into a page of the
    training sites at the place it was written for (after the title, among the last blocks, or between
    paragraphs), with {title} replaced by that page's title. Each page takes one written line, so every
    written line has a real page around it."""
    if not WRITTEN.exists():
        return []
    import random

    rng = random.Random(20261128)
    pages: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in train_rows:
        pages[(row["source"], row["page"])].append(row)
    hosts = [sorted(rows, key=lambda r: r["pos"]) for rows in pages.values() if rows[0]["n"] >= 6]
    titled = [page for page in hosts if page[0].get("title")]
    out: list[dict] = []
    for number, line in enumerate(json.loads(text) for text in WRITTEN.open(encoding="utf-8")):
        page = rng.choice(titled if "{title}" in line["text"] else hosts)
        count = page[0]["n"]
        if line["where"] == "head":
            at = rng.randint(1, min(3, count - 1))
        elif line["where"] == "tail":
            at = count - rng.randint(0, min(3, count - 1))
        else:
            at = rng.randint(2, count - 2)
        title = page[0].get("title") or ""
        synthetic = {
            "source": "written",
            "page": f"written#{number}",
            "host": None,
            "title": page[0].get("title"),
            "kind": "paragraph",
            "text": line["text"].replace("{title}", title),
            "label": line["label"],
            "removed_by": None,
        }
        moved = [dict(row, pos=row["pos"] + (row["pos"] >= at), n=count + 1, page=synthetic["page"]) for row in page]
        out.append({**synthetic, "pos": at, "n": count + 1, "_context": moved, "_site": site(page[0])})
    return out


def site(row: dict) -> str:
    if "_site" in row:
        return row["_site"]
    if row["source"] == "zh_cwced":
        return f"zh_cwced:{row['page']}"
    if row["source"] in MULTI_SITE_DUMPS and row.get("host"):
        return f"{row['source']}:{row['host']}"
    return row["source"]


def _hash(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest(), 16)


def held_out(row: dict) -> bool:
    if row["source"] in TEST_DUMPS:
        return True
    return row["source"] in MULTI_SITE_DUMPS and _hash(site(row)) % 10 < 4


def featurise(rows: list[dict]) -> list[list[str] | None]:
    """Each row's features, computed page by page as the stage computes them: among the blocks the other
    stages kept (the page as the classifier reads it), a removed block in its place among them."""
    pages: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        pages[(row["source"], row["page"])].append(index)
    out: list[list[str] | None] = [None] * len(rows)
    for indices in pages.values():
        members = [rows[index] for index in indices]
        around = [row for member in members for row in member.get("_context", ())]
        page = sorted([*around, *members], key=lambda row: row["pos"])
        kept = [row for row in page if not row.get("removed_by")]
        title = members[0].get("title")
        features = page_features([r["text"] for r in kept], [r["kind"] for r in kept], title, MAX_CHARS)
        at = {id(row): place for place, row in enumerate(kept)}
        for index in indices:
            row = rows[index]
            if id(row) in at:
                out[index] = features[at[id(row)]]
                continue
            sequence = sorted([*kept, row], key=lambda r: r["pos"])
            place = sequence.index(row)
            texts, kinds = [r["text"] for r in sequence], [r["kind"] for r in sequence]
            out[index] = page_features(texts, kinds, title, MAX_CHARS, only={place})[place]
    return out


def matrix(features: list[list[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    indptr, indices = [0], []
    for row in features:
        columns = sorted({vocab[name] for name in row if name in vocab})
        indices.extend(columns)
        indptr.append(len(indices))
    data = np.ones(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(features), len(vocab)))


def fit(x: sparse.csr_matrix, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        margin = x @ w + b
        p = 1 / (1 + np.exp(-margin))
        eps = 1e-12
        value = -np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + 0.5 * l2 * w @ w
        residual = p - y
        grad = np.concatenate([x.T @ residual + l2 * w, [residual.sum()]])
        return value, grad

    result = optimize.minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def vocabulary(features: list[list[str]]) -> dict[str, int]:
    counts = Counter(name for row in features for name in set(row))
    names = sorted(name for name, count in counts.items() if count >= MIN_FEATURE_COUNT)
    return {name: index for index, name in enumerate(names)}


def out_of_source(
    rows: list[dict],
    features: list[list[str]],
    y: np.ndarray,
    l2: float,
    extra: tuple[list[dict], list[list[str]], np.ndarray],
) -> np.ndarray:
    """Margins of each row from a model trained without its site (sites in FOLDS folds, by hash); the
    written lines `extra` train every fold whose sites do not hold their page."""
    margins = np.zeros(len(rows))
    fold = [_hash(site(row)) % FOLDS for row in rows]
    extra_rows, extra_features, extra_y = extra
    extra_fold = [_hash(site(row)) % FOLDS for row in extra_rows]
    for k in range(FOLDS):
        train = [i for i in range(len(rows)) if fold[i] != k]
        test = [i for i in range(len(rows)) if fold[i] == k]
        more = [i for i in range(len(extra_rows)) if extra_fold[i] != k]
        train_features = [features[i] for i in train] + [extra_features[i] for i in more]
        train_y = np.concatenate([y[train], extra_y[more]])
        vocab = vocabulary(train_features)
        w, b = fit(matrix(train_features, vocab), train_y, l2)
        margins[test] = matrix([features[i] for i in test], vocab) @ w + b
    return margins


def platt(margins: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    def loss(params: np.ndarray) -> float:
        p = 1 / (1 + np.exp(-(params[0] * margins + params[1])))
        return float(-np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))

    result = optimize.minimize(loss, np.array([1.0, 0.0]), method="Nelder-Mead")
    return float(result.x[0]), float(result.x[1])


def precision_recall(scores: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float, int]:
    chosen = scores >= threshold
    hits = int((chosen & (y == 1)).sum())
    return (
        (hits / chosen.sum() if chosen.sum() else 1.0),
        (hits / (y == 1).sum() if (y == 1).sum() else 1.0),
        int(chosen.sum()),
    )


def average_precision(scores: np.ndarray, y: np.ndarray) -> float:
    ordered = y[np.argsort(-scores, kind="stable")]
    hits = np.cumsum(ordered)
    return float((hits / np.arange(1, len(ordered) + 1) * ordered).sum() / max(ordered.sum(), 1))


def pick_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The lowest threshold at which precision is at least TARGET_PRECISION, from 0.5 up."""
    for threshold in np.arange(0.3, 0.99, 0.01):
        precision, _, chosen = precision_recall(scores, y, threshold)
        if chosen and precision >= TARGET_PRECISION:
            return round(float(threshold), 2)
    return 0.99


def judged(row: dict) -> bool:
    """Whether the classifier sees this block: every stage before it kept it."""
    return not row.get("removed_by")


def main() -> None:
    rows = load()
    written = written_rows([row for row in rows if not held_out(row)])
    written_features = featurise(written)
    written = [row for row, f in zip(written, written_features, strict=True) if f is not None]
    extra = (
        written,
        [f for f in written_features if f is not None],
        np.array([1.0 if r["label"] == "b" else 0.0 for r in written]),
    )
    features_all = featurise(rows)
    usable = [i for i, f in enumerate(features_all) if f is not None]
    rows = [rows[i] for i in usable]
    features = [features_all[i] for i in usable]
    y_all = np.array([1.0 if row["label"] == "b" else 0.0 for row in rows])
    train = [i for i, row in enumerate(rows) if not held_out(row)]
    test = [i for i, row in enumerate(rows) if held_out(row)]
    train_rows, train_features, y = [rows[i] for i in train], [features[i] for i in train], y_all[train]

    best = None
    for l2 in L2_GRID:
        margins = out_of_source(train_rows, train_features, y, l2, extra)
        seen = np.array([judged(row) for row in train_rows])
        a, b = platt(margins, y)
        scores = 1 / (1 + np.exp(-(a * margins + b)))
        threshold = pick_threshold(scores[seen], y[seen])
        precision, recall, chosen = precision_recall(scores[seen], y[seen], threshold)
        ap = average_precision(scores[seen], y[seen])
        print(
            f"l2={l2}: out-of-site, blocks the rules keep: average precision {ap:.3f}, threshold {threshold}: "
            f"precision {precision:.3f} recall {recall:.3f} ({chosen} removed)",
            file=sys.stderr,
        )
        key = (recall if precision >= TARGET_PRECISION else -1, ap)
        if best is None or key > best[0]:
            best = (key, l2, (a, b), threshold, precision, recall, scores, seen, ap)
    assert best is not None
    _, l2, (a, b), threshold, oos_precision, oos_recall, oos_scores, oos_seen, oos_ap = best

    vocab = vocabulary(train_features + extra[1])
    w, bias = fit(matrix(train_features + extra[1], vocab), np.concatenate([y, extra[2]]), l2)
    names = sorted(vocab, key=vocab.__getitem__)
    weights = {name: round(float(w[vocab[name]]), 4) for name in names if abs(w[vocab[name]]) >= 1e-3}
    body = {"weights": weights, "bias": round(bias, 4), "calibration": [round(a, 4), round(b, 4)]}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]

    test_rows, test_features, y_test = [rows[i] for i in test], [features[i] for i in test], y_all[test]
    margins = matrix(test_features, vocab) @ w + bias
    scores = 1 / (1 + np.exp(-(a * margins + b)))
    seen = np.array([judged(row) for row in test_rows])
    t_precision, t_recall, t_chosen = precision_recall(scores[seen], y_test[seen], threshold)
    curve = []
    for at in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        p1, r1, n1 = precision_recall(oos_scores[oos_seen], y[oos_seen], at)
        p2, r2, n2 = precision_recall(scores[seen], y_test[seen], at)
        curve.append(f"| {at:.1f} | {p1:.3f} | {r1:.3f} | {n1} | {p2:.3f} | {r2:.3f} | {n2} |")

    model = {
        "format": MODEL_FORMAT,
        "features_version": FEATURES_VERSION,
        "digest": digest,
        "threshold": threshold,
        "max_chars": MAX_CHARS,
        "trained_on": {
            "lines": len(train_rows),
            "boilerplate": int(y.sum()),
            "sites": len({site(row) for row in train_rows}),
            "l2": l2,
        },
        **body,
    }
    MODEL.write_text(json.dumps(model, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")

    counts = Counter((held_out(row), row["label"]) for row in rows)
    lines = [
        "# Line model: training report (written by training/train_lines.py)",
        "",
        f"Labelled blocks of at most {MAX_CHARS} characters: {len(rows)} ({len(train)} train, {len(test)} test).",
        f"Train: {len({site(r) for r in train_rows})} sites of {len({r['source'] for r in train_rows})} dumps.",
        f"Test (never trained, tuned or calibrated on): {len({site(r) for r in test_rows})} sites of"
        f" {len({r['source'] for r in test_rows})} dumps ({', '.join(sorted({r['source'] for r in test_rows}))}).",
        "",
        "| split | content | metadata | boilerplate |",
        "|---|---:|---:|---:|",
        f"| train | {counts[(False, 'c')]} | {counts[(False, 'm')]} | {counts[(False, 'b')]} |",
        f"| test | {counts[(True, 'c')]} | {counts[(True, 'm')]} | {counts[(True, 'b')]} |",
        "",
        f"Chosen: L2 {l2}, threshold {threshold} (calibrated score), {len(weights)} weights.",
        "",
        "Blocks the rules keep (what the classifier judges), boilerplate as the positive class:",
        "",
        "| evaluation | precision | recall | removed |",
        "|---|---:|---:|---:|",
        f"| train sites, each predicted by a model trained without it | {oos_precision:.3f} | {oos_recall:.3f} | |",
        f"| test sites | {t_precision:.3f} | {t_recall:.3f} | {t_chosen} |",
        "",
        f"Average precision: {oos_ap:.3f} out of site (train sites), "
        f"{average_precision(scores[seen], y_test[seen]):.3f} on the test sites.",
        "",
        "By threshold (`classifier_threshold`), on the blocks the rules keep:",
        "",
        "| threshold | out-of-site precision | recall | removed | test precision | recall | removed |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *curve,
        "",
    ]
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Boilerplate removed and content kept, line by line, on the labelled pages (training/lines/).

Every page that has labelled lines is read again from SHARED (the dev data training/lines/extract.py read
it from) and cleaned with each configuration; each labelled block is matched to its block of the cleaned
document by position (and checked by text). Per configuration and per split (the sites the line model
trains on, and the held-out sites it never saw: training/train_lines.py `held_out`):

- boilerplate removed: labelled boilerplate blocks removed by any stage;
- content kept: labelled content blocks (with a letter or digit) not removed, except by `dedup` (a
  repeated passage is removed on purpose, its first copy kept);
- precision: of the blocks (with a letter or digit) removed by the boilerplate rules, the templates and
  the classifier, the share labelled boilerplate or metadata.

Run:  python3 bench/bench_lines.py     (writes bench/results/lines.md)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "bench"))
sys.path.insert(0, str(REPO_ROOT / "training"))
sys.path.insert(0, str(REPO_ROOT / "training" / "lines"))
import regex  # noqa: E402
from reporting import finish, footer  # noqa: E402

DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "lines.md"
# (name, settings, learn templates first): the named rules alone, the default (rules and the line model's
# title-template), then with the corpus templates learned from all the dev pages (unsupervised: no label
# is used), then with the line model removing any block it scores high.
OFF = {"classifier_threshold": 1.0, "title_template_threshold": 1.0}
CONFIGS = (
    ("rules only (line model off)", OFF, False),
    ("default: rules + title-template", {}, False),
    ("default + templates learned from the dev pages", {}, True),
    ("rules + templates + classifier 0.7", {"classifier_threshold": 0.7}, True),
    ("rules + templates + classifier 0.5", {"classifier_threshold": 0.5}, True),
)
# A content block counts only when it has a letter or a digit: a lone '■' or '│' left of a lost table
# or chart is labelled content (it stood in the article) but holds nothing to keep.
_WORDY = regex.compile(r"[\p{L}\p{N}]")
JUDGED_STAGES = ("boilerplate", "classifier")  # removals that judge a line boilerplate


def _speed(records: list, profile: object) -> list[str]:
    """CPU time of cleanpipe.clean on the labelled pages, per configuration (model loaded beforehand)."""
    import statistics
    import time

    from cleanpipe import Config, clean
    from cleanpipe.corpus.learn import apply_profile
    from cleanpipe.stages.classify import load_model

    load_model()
    rows = [
        "CPU time of `cleanpipe.clean` over these pages, one process, median of 5 interleaved rounds (the line",
        "model is loaded before timing: about 0.1 s once per process):",
        "",
        "| configuration | CPU seconds | vs rules only | classifier stage, share of the stages' time |",
        "|---|---:|---:|---:|",
    ]
    configs = []
    for name, settings, templates in CONFIGS:
        config = Config(**settings)
        if templates:
            config = apply_profile(config, profile)  # type: ignore[arg-type]
        for _, record in records[:50]:  # warm-up: regex caches, first-use imports
            clean(record.data, source=record.source, html=record.html, config=config)
        configs.append((name, config))
    times: dict[str, list[float]] = {name: [] for name, _ in configs}
    shares: dict[str, list[float]] = {name: [] for name, _ in configs}
    for _ in range(5):  # rounds interleave the configurations, so drift of the machine hits them alike
        for name, config in configs:
            start = time.process_time()
            stage = total = 0.0
            for _, record in records:
                metadata = {"url": record.url} if record.url else None
                result = clean(record.data, source=record.source, html=record.html, metadata=metadata, config=config)
                stage += result.timings.get("classifier", 0.0)
                total += sum(result.timings.values())
            times[name].append(time.process_time() - start)
            shares[name].append(stage / total)
    base = statistics.median(times[configs[0][0]])
    for name, _ in configs:
        median = statistics.median(times[name])
        share = statistics.median(shares[name])
        rows.append(f"| {name} | {median:.2f} | {median / base - 1:+.1%} | {share:.1%} |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    import extract
    from train_lines import LINES, held_out

    from cleanpipe import Config, clean

    labelled: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for text in LINES.open(encoding="utf-8"):
        row = json.loads(text)
        labelled[(row["source"], row["page"])].append(row)
    records = [(source, record) for source, record in extract.pages() if (source, record.id) in labelled]

    from cleanpipe.corpus.learn import apply_profile, learn_profile

    profile = learn_profile([record for _, record in extract.pages()], Config(), workers=2).profile
    lines = [
        "# Line quality on the labelled pages: rules, corpus templates, the line model",
        "",
        f"{sum(len(rows) for rows in labelled.values())} labelled blocks on {len(labelled)} pages "
        "(training/lines/lines.jsonl; GUIDELINE.md). "
        "Held-out sites were never trained, tuned or calibrated on.",
        f"Templates: {len(profile.templates)} learned from all {profile.pages} dev pages (no label used), "
        "default settings.",
        "On the training sites the classifier rows are in-sample (the model was fitted on those lines); "
        "the held-out rows are the measure.",
        "",
        "| configuration | split | boilerplate blocks | removed | content blocks | kept | precision of removals |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, settings, templates in CONFIGS:
        config = Config(**settings)
        if templates:
            config = apply_profile(config, profile)
        tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for source, record in records:
            metadata = {"url": record.url} if record.url else None
            doc = clean(record.data, source=record.source, html=record.html, metadata=metadata, config=config).document
            assert doc is not None
            for row in labelled[(source, record.id)]:
                block = doc.blocks[row["pos"]]
                assert row["text"].startswith(block.text.strip()[:20]), (record.source, row["pos"])
                split = "held-out sites" if held_out(row) else "training sites"
                counts = tally[split]
                removed_by = block.removed_by or ""
                if row["label"] == "b":
                    counts["b"] += 1
                    counts["b_removed"] += bool(removed_by)
                elif row["label"] == "c" and _WORDY.search(row["text"]):
                    counts["c"] += 1
                    counts["c_kept"] += not removed_by or removed_by.startswith("dedup")
                if removed_by.startswith(JUDGED_STAGES) and _WORDY.search(row["text"]):
                    counts["judged"] += 1
                    counts["judged_right"] += row["label"] in ("b", "m")
        for split in ("training sites", "held-out sites"):
            c = tally[split]
            precision = c["judged_right"] / c["judged"] if c["judged"] else 1.0
            lines.append(
                f"| {name} | {split} | {c['b']} | {c['b_removed'] / c['b']:.3f} | {c['c']} | "
                f"{c['c_kept'] / c['c']:.3f} | {precision:.3f} ({c['judged']}) |"
            )
    lines += ["", *_speed(records, profile)]
    lines += footer("python3 bench/bench_lines.py")
    finish(lines, args.output, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

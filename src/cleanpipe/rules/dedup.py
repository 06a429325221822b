"""Labels that introduce a teaser or summary repeating the start of the body."""

from __future__ import annotations

TEASER_LABELS = (
    "核心提示", "内容提要", "内容摘要", "摘要", "提要", "导读", "导语", "编者按", "简介", "概要", "核心摘要",
    "文章摘要", "本文导读", "summary", "abstract", "tl;dr",
)

# Marks of a truncated teaser; removed before comparing it with the body.
TRUNCATION_MARKS = "…."

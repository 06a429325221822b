"""Word lists for the structure stage: metadata labels, question words, list bullets, heading shapes."""

from __future__ import annotations

# A date (and optional time) as Chinese CMSs print it: 2023-03-08 06:15:40, 2023年3月8日 06:15, 2023/3/8.
DATE = (
    r"(?P<year>(?:19|20)\d{2})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*(?P<hour>\d{1,2})[:：](?P<minute>\d{2})(?:[:：](?P<second>\d{2}))?)?"
)

# Labels of fields on a page's byline; the value follows the label and a colon.
META_LABELS: dict[str, tuple[str, ...]] = {
    "source": ("来源", "來源", "出处", "稿源", "文章来源", "信息来源"),
    "author": ("作者", "撰文", "记者", "发布者", "发布人", "楼主"),
    "views": ("浏览", "阅读", "点击", "浏览量", "阅读量", "点击量", "浏览次数", "阅读数", "人气", "热度"),
    "date": ("时间", "日期", "发布时间", "发表时间", "更新时间", "发布日期", "发表于", "发布于"),
}

# Words that make a short CJK line a question (headings on Q&A aggregators are questions), anywhere in
# the line, and particles that do so at its end.
QUESTION_WORDS = (
    "什么", "怎么", "怎样", "如何", "为什么", "为何", "哪些", "哪个", "哪里", "多少", "是否", "能否", "可否",
    "有何", "区别",
)
QUESTION_ENDINGS = ("吗", "呢", "么")

# Line starts that make a line a list item; the bullet is replaced by Markdown's "- ".
BULLETS = "•·●▪◆■◇○►▶☆★◎※"

# Numbered section headings: "一、概述", "第一章 总则", "第3节".
SECTION_NUMBER = r"^(?:[一二三四五六七八九十百]+[、.．]|第[一二三四五六七八九十百千\d]+[章节篇部分回卷条])"

# Heading size limits, in characters: CJK text is dense, so its limit is lower than for Latin text.
MAX_HEADING_CJK = 30
MAX_HEADING_LATIN = 90

# Weekday words that appear on bylines beside the date and carry nothing else.
WEEKDAY = r"(?:星期|周|礼拜)[一二三四五六日天]"

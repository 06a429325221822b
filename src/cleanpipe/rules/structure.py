"""Word lists for the structure stage: metadata labels, question words, list bullets, heading shapes."""

from __future__ import annotations

# A date (and optional time) as Chinese CMSs print it: 2023-03-08 06:15:40, 2023年3月8日 06:15, 2023/3/8.
DATE = (
    r"(?P<year>(?:19|20)\d{2})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*(?P<hour>\d{1,2})[:：](?P<minute>\d{2})(?:[:：](?P<second>\d{2}))?)?"
)

# Labels of fields on a page's byline; the value follows the label and a colon (or a bar: '作者| 张三').
# A label counts only at the start of a token, so '数据截止日期：2022-12-31' (a note under a chart) is
# not read as the page's date.
META_LABELS: dict[str, tuple[str, ...]] = {
    "source": ("来源", "來源", "出处", "稿源", "文章来源", "信息来源", "本文来源", "转自", "转载自"),
    "author": ("作者", "撰文", "撰稿", "记者", "发布者", "发布人", "楼主", "文"),
    "translator": ("翻译", "译者", "编译"),
    "editor": (
        "责任编辑", "责编", "编辑", "值班编辑", "实习编辑", "特约编辑", "主编", "编审", "校对", "审核", "审校",
        "监制", "美编", "排版", "统筹",
    ),
    "photo": ("摄影", "图片"),
    "views": ("浏览", "阅读", "点击", "浏览量", "阅读量", "点击量", "浏览次数", "阅读数", "人气", "热度"),
    "date": ("时间", "日期", "发布时间", "发表时间", "更新时间", "发布日期", "发表于", "发布于"),
}

# Words that make a short CJK line a question (headings on Q&A aggregators are questions), anywhere in
# the line, and particles that do so at its end.
# A line ending in '？' needs one of them too: a bare rhetorical question in prose ('因为是泰国拍的？',
# '有一点难以想象？') is a sentence, not a heading.
QUESTION_WORDS = (
    "什么", "怎么", "怎样", "如何", "为什么", "为何", "哪些", "哪个", "哪里", "多少", "是否", "能否", "可否",
    "有何", "区别", "何时", "几何",
)
QUESTION_ENDINGS = ("吗", "呢", "么")
# Words that make a line ending in '？' a question, though not a line without the mark: a sidebar
# entry '谁是首富' is a game's name, '谁是下一个百万大V？' asks.
MARKED_QUESTION_WORDS = ("谁", "哪", "多久", "难道", "要不要", "是不是", "有没有", "能不能", "会不会")

# Starts of lines that are speech or a quotation, never a heading: '“林霄！林霄你怎么了！？”',
# '——这是什么词？这也能叫剧本？'.
SPEECH_STARTS = "“\"「『‘'《—"

# A short line ending in a colon that leads into the next line rather than naming a section: it ends in
# a verb of saying or seeing ('你会想：', '不少网友评价道：', '下一秒的画面是：', '方式如下：') or starts
# with a connective or a pronoun ('接着：', '但必须注意的是：').
LEAD_IN_ENDINGS = ("是", "了", "道", "说", "想", "如下", "问", "称", "表示", "认为", "写", "着", "为")
LEAD_IN_STARTS = ("但", "而", "接着", "然后", "于是", "所以", "因此", "你", "我", "他", "她", "它", "看得")

# Section names that stand alone on a line: a heading, never the page's title ('前言', '导语').
SECTION_LABELS = (
    "前言", "导语", "导读", "引言", "序言", "摘要", "内容摘要", "内容提要", "编者按", "目录", "正文", "简介",
    "概述", "结语", "后记", "参考资料", "参考文献", "扩展资料", "拓展资料", "相关阅读", "文章详情",
)

# Line starts that make a line a list item; the bullet is replaced by Markdown's "- ".
BULLETS = "•·●▪◆■◇○►▶☆★◎※"

# Numbered section headings: "一、概述", "第一章 总则", "第3节".
SECTION_NUMBER = r"^(?:[一二三四五六七八九十百]+[、.．]|第[一二三四五六七八九十百千\d]+[章节篇部分回卷条])"

# Heading size limits, in characters: CJK text is dense, so its limit is lower than for Latin text.
MAX_HEADING_CJK = 30
MAX_HEADING_LATIN = 90

# Weekday words that appear on bylines beside the date and carry nothing else.
WEEKDAY = r"(?:星期|周|礼拜)[一二三四五六日天]"

# Credit lines without a colon: a role and the names after it ('新华社记者 张三、李四', '记者 王五 编辑 赵六'),
# and the front matter field each role's names go to.
CREDIT_ROLES: dict[str, str] = {
    "记者": "author", "通讯员": "author", "实习生": "author", "编辑": "editor", "摄影": "photo",
}

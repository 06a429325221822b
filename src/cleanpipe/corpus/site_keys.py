"""How learned boilerplate names a page's site and a block's line. The learning pass (corpus/learn.py) and
the boilerplate stage both use these functions on the same Document state (after the stages before
boilerplate), so a key counted while learning is exactly the key looked up while cleaning.

- A site is the page's URL host ('www.' dropped, so example.com and www.example.com are one site), else
  the folder of a page file, else the dump file (JSONL, JSON, WARC) a record came from, as an absolute path
  so that `data/raw`, `./data/raw` and `/srv/x/data/raw` name one site.
- A line's key is its text with whitespace folded, the page's own title masked and every run of digits
  made one placeholder, so '阅读 1234' and '阅读 56', or '以上就是关于<title>的全部内容' on two pages, are
  the same line.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from urllib.parse import urlsplit

import regex

from cleanpipe.config import Config, LearnedSite
from cleanpipe.document import Block
from cleanpipe.io.files import PAGE_SUFFIXES

# What stands for the page's title and for a run of digits in a key. The title mark uses characters of
# Unicode's private use area, which no page is expected to hold, so it cannot clash with real text.
TITLE_MARK = "\ue000title\ue000"
DIGIT_MARK = "0"
# A title shorter than this is not masked: two characters ('前言') would merge lines of pages that merely
# share a common word.
MIN_TITLE_CHARS = 4
# A key needs this many letters besides the marks: a line of digits, punctuation or the bare title is not
# a template line worth learning (and the repeated title is the dedup stage's job).
MIN_KEY_LETTERS = 2

_SPACE = regex.compile(r"\s+")
_DIGITS = regex.compile(r"\p{Nd}+")
_LETTER = regex.compile(r"\p{L}")
# Dump files whose records are pages: a record's source is '<dump path> <where in it>'.
_CONTAINER = regex.compile(r"\.(?:jsonl|ndjson|json|warc)(?:\.gz|\.zst)?$", regex.IGNORECASE)


def site_of(url: str | None, source: str | None) -> str | None:
    """The site a page belongs to: its URL's host, else its folder or dump file; None when unknown."""
    host = _host(url) if url else None
    if host:
        return host
    if not source:
        return None
    if source.lower().endswith(PAGE_SUFFIXES):  # a page file: its source is its path
        return os.path.dirname(os.path.abspath(source))
    # A record of a dump: '<dump> line 42', '<dump> RECORDS record 3', '<dump> record 7' (WARC). The dump
    # is the shortest prefix, cut at a space, that is the name of a dump file.
    start = 0
    while (space := source.find(" ", start)) != -1:
        if _CONTAINER.search(source[:space]):
            return os.path.abspath(source[:space])
        start = space + 1
    return os.path.abspath(source) if _CONTAINER.search(source) else None


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:  # a malformed URL ('http://[bad') names no site
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def block_text(block: Block) -> str:
    """What a block's key is made from: its text, and the URLs of its images (a site logo or QR code has
    no text, and is boilerplate as much as a line is)."""
    images = " ".join(run.url or "" for run in block.images)
    return f"{block.text} {images}" if images else block.text


def line_key(text: str, title: str | None) -> str:
    """The key of one block's text on a page with this title: whitespace folded, title masked, digits
    folded. The title is masked first, since it may hold digits itself."""
    folded = _SPACE.sub(" ", text).strip()
    if title:
        folded_title = _SPACE.sub(" ", title).strip()
        if len(folded_title) >= MIN_TITLE_CHARS:
            folded = folded.replace(folded_title, TITLE_MARK)
    return _DIGITS.sub(DIGIT_MARK, folded)


def is_learnable(key: str) -> bool:
    """A key worth counting: enough letters besides the marks."""
    return len(_LETTER.findall(key.replace(TITLE_MARK, ""))) >= MIN_KEY_LETTERS


def page_title(metadata: dict[str, object]) -> str | None:
    title = metadata.get("title")
    return title if isinstance(title, str) else None


def learned_for(config: Config, site: str | None) -> LearnedSite | None:
    """The boilerplate learned for a site, if any (config.learned is sorted by site: a binary search)."""
    if site is None or not config.learned:
        return None
    position = bisect_left(config.learned, site, key=lambda learned: learned.site)
    if position < len(config.learned) and config.learned[position].site == site:
        return config.learned[position]
    return None

"""An HTML page's own metadata: its title (without the site's name), date, author and canonical URL, read
from <title>, <h1>, meta tags, JSON-LD (parsed as JSON) and <time>; and dates in the spellings pages
use, with their timezone kept.

Dates are written 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM', or 'YYYY-MM-DD HH:MM +HH:MM' when the page gives
the offset ('Z' and 'GMT' are '+00:00'). Read: ISO 8601 ('2023-03-08T10:00:00.000+01:00'), RFC 2822
('Wed, 08 Mar 2023 10:00:00 +0100'), JavaScript's date string ('Wed Mar 08 2023 10:00:00 GMT+0100'),
Chinese and other numeric dates ('2023年3月8日 10:30', '2023/3/8'), and month names in English, German
and French ('March 8, 2023', '8. März 2023', '1er mars 2023 à 10h30'). The patterns' data (meta keys,
month names, JSON-LD types) is in rules/html.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import regex
from lxml import etree

from cleanpipe.document import Document
from cleanpipe.rules import html as rules
from cleanpipe.rules.structure import DATE
from cleanpipe.text import match_key, text_weight

_SPACES = regex.compile(r"\s+")
_TITLE_SEPARATORS = regex.compile(rules.TITLE_SEPARATORS)
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_ZONE = r"(?:\s*(?:GMT|UTC)?\s*(?P<zone>Z\b|[+-]\d{2}:?\d{2}\b)|\s*(?P<utc>GMT|UTC)\b)?"
_TIME = (
    r"(?:\s*(?:,|at|um|à|-)?\s*(?P<hour>\d{1,2})(?::|h|\s*Uhr\s*)(?P<minute>\d{2})(?::\d{2}(?:\.\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?" + _ZONE + ")?"
)
_ISO = regex.compile(
    rf"{_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?:[T ]\s*(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})"
    rf"(?::\d{{2}}(?:[.,]\d+)?)?{_ZONE})?"
)
_NUMERIC = regex.compile(DATE)
_MONTH = "|".join(sorted((regex.escape(name) for name in rules.MONTH_NAMES), key=len, reverse=True))
_NAMED = regex.compile(
    rf"(?:(?P<day>\d{{1,2}})(?:\.|er|st|nd|rd|th)?\s*(?:de\s+)?(?P<month>{_MONTH})\.?,?\s+{_YEAR}"
    rf"|(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR})(?![\p{{L}}\p{{N}}]){_TIME}",
    regex.IGNORECASE,
)
# The day-first form's day may be glued to a weekday ('Mi., 8. März'): only a word boundary is asked.
_WORD_START = regex.compile(r"(?<![\p{L}\p{N}])")


def read_metadata(root: etree._Element, doc: Document) -> None:
    """Title (without the site's name), date, author and canonical URL, from the page's own markup; a
    value the caller already gave is kept."""
    metas: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content and content.strip():
            metas.setdefault(key.strip().lower(), content.strip())
    url = _page_url(root, metas)
    if url:
        doc.metadata.setdefault("url", url)
    title_tag = root.find(".//title")
    html_title = _clean(title_tag.text_content()) if title_tag is not None else ""
    if html_title:
        doc.metadata.setdefault("html_title", html_title)
    title = choose_title(html_title, _first_meta(metas, rules.TITLE_META), _first_h1(root))
    if title:
        doc.metadata.setdefault("title", title)
    linked = list(json_ld(root))
    date = find_date(_first_meta(metas, rules.DATE_META)) or find_date(_ld_value(linked, "datePublished"))
    if not date:
        for element in root.iter("time"):
            date = find_date(element.get("datetime") or "") or find_date(element.text_content()[:200])
            if date:
                break
    if date:
        doc.metadata.setdefault("date", date)
    author = _first_meta(metas, rules.AUTHOR_META)
    if not author or author.startswith(("http://", "https://")):
        author = _ld_author(linked)
    if author and len(author) <= 80:
        doc.metadata.setdefault("author", _clean(author))


def json_ld(root: etree._Element) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects of the page, '@graph' lists and nested lists flattened; a script that is not
    valid JSON is skipped."""
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            loaded = json.loads(script.text)
        except ValueError:
            continue
        stack = [loaded]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack[:0] = item["@graph"]


def _is_article(item: dict[str, Any]) -> bool:
    kinds = item.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(name, str) and name.endswith(rules.ARTICLE_TYPES) for name in names)


def _ld_value(items: list[dict[str, Any]], key: str) -> str:
    """`key`'s text in the first article-like object that has it, else in any object."""
    for wanted in (True, False):
        for item in items:
            value = item.get(key)
            if isinstance(value, str) and value.strip() and _is_article(item) == wanted:
                return value.strip()
    return ""


def _ld_author(items: list[dict[str, Any]]) -> str:
    """The first author's name: "author" as a name, an object with one, or a list of either."""
    for wanted in (True, False):
        for item in items:
            if _is_article(item) != wanted:
                continue
            authors = item.get("author")
            for author in authors if isinstance(authors, list) else [authors]:
                name = author.get("name") if isinstance(author, dict) else author
                if isinstance(name, str) and name.strip() and not name.startswith(("http://", "https://")):
                    return name.strip()
    return ""


def _first_meta(metas: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((metas[key.lower()] for key in keys if key.lower() in metas), "")


def _first_h1(root: etree._Element) -> str:
    for heading in root.iter("h1"):
        text = _clean(heading.text_content())
        if text:
            return text
    return ""


def _page_url(root: etree._Element, metas: dict[str, str]) -> str | None:
    """The page's own address as it declares it: <link rel="canonical"> or <meta property="og:url">."""
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical":
            value = (link.get("href") or "").strip()
            if value.startswith(("http://", "https://")):
                return value
    value = metas.get("og:url", "")
    return value if value.startswith(("http://", "https://")) else None


def choose_title(html_title: str, meta_title: str, h1: str) -> str:
    """The article's title: the page's <h1> when the <title> or og:title names it, else og:title or the
    <title> without the site's name ('标题_新浪新闻' -> '标题', 'Title - Site' -> 'Title')."""
    if h1 and len(h1) <= 200:
        key = match_key(h1)
        if key and any(key in match_key(known) for known in (html_title, meta_title) if known):
            return h1
    for candidate in (meta_title, html_title):
        if candidate:
            return strip_site_name(candidate)
    return h1 if len(h1) <= 200 else ""


def strip_site_name(title: str) -> str:
    parts = [part.strip() for part in _TITLE_SEPARATORS.split(title) if part and part.strip()]
    if len(parts) < 2:
        return title.strip()
    return max(parts, key=text_weight)


def find_date(text: str) -> str | None:
    """The first date in `text` (a meta value, a byline), formatted; None when there is none."""
    text = text[:2000]  # a byline or a meta value; a longer text is not searched through
    if not text:
        return None
    found = _ISO.search(text)
    if found is not None:
        return _format(found, int(found.group("month")))
    found = _NUMERIC.search(text)
    if found is not None:
        return _format(found, int(found.group("month")))
    for found in _NAMED.finditer(text):
        if _WORD_START.match(text, found.start()) is not None:
            month = rules.MONTH_NAMES.get(found.group("month").lower().rstrip("."))
            if month:
                return _format(found, month)
    return None


def format_date(value: str) -> str | None:
    """A date value (a meta tag's, a <time>'s) formatted; None when it holds no date."""
    return find_date(value)


def _format(match: regex.Match[str], month: int) -> str | None:
    year, day = int(match.group("year")), int(match.group("day"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    groups = match.groupdict()
    if groups.get("hour") is None:
        return date
    hour, minute = int(groups["hour"]), int(groups["minute"])
    ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return date
    date += f" {hour:02d}:{minute:02d}"
    zone = groups.get("zone")
    if zone:
        date += " +00:00" if zone == "Z" else f" {zone[:3]}:{zone[-2:]}"
    elif groups.get("utc"):
        date += " +00:00"
    return date


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()

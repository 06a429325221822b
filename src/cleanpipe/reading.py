"""What the page readers (the html and markup stages) and the escapes stage share: telling an HTML page
from text, where cleanpipe's own front matter ends, paragraphs opening with a bullet mark, and image
and link URLs (the original image over a resized variant, the scheme a scraper cut off).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

from cleanpipe.document import Inline
from cleanpipe.rules.markup import IMAGE_PROCESSING_PARAMS, IMAGE_URL_ATTRIBUTES
from cleanpipe.rules.structure import BULLETS

HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
_BULLET_START = regex.compile(rf"^[{BULLETS}]\s*")
FRONT_MATTER_LINE = regex.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")
# A front matter block is looked for in a page's first this many lines.
_FRONT_MATTER_LINES = 60
_HTML_DOCUMENT = regex.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", regex.I | regex.S)
# An escaped '\</p>' is text (cleanpipe writes the tags a page shows as text so), not a sign of HTML.
_HTML_BLOCK_CLOSE = regex.compile(r"(?<!\\)</(?:p|div|li|h[1-6]|td|article|section)\s*>", regex.IGNORECASE)


def looks_like_html(text: str, source: str | None) -> bool:
    """An HTML document, or a fragment with several closed block elements, rather than text. cleanpipe's
    own front matter is not looked at: a title may quote markup."""
    if source and source.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text[front_matter_length(text) :][:4000]
    return bool(_HTML_DOCUMENT.match(head)) or len(_HTML_BLOCK_CLOSE.findall(head)) >= 3


def front_matter_length(text: str) -> int:
    """The length of a leading front matter block ('---', 'key: value' lines, '---'), as the markup stage
    reads it; 0 when the text has none."""
    if not text.startswith("---\n"):
        return 0
    lines = text.split("\n", _FRONT_MATTER_LINES + 1)
    end = front_matter_end(lines)
    return sum(len(line) + 1 for line in lines[: end + 1]) if end else 0


def front_matter_end(lines: list[str]) -> int:
    """The index of the '---' line closing a leading front matter block of 'key: value' lines; 0 if none."""
    if not lines or lines[0] != "---":
        return 0
    for end in range(1, min(len(lines), _FRONT_MATTER_LINES)):
        if lines[end] == "---":
            break
    else:
        return 0
    return end if all(FRONT_MATTER_LINE.match(line) for line in lines[1:end]) else 0


def bullet_item(inlines: tuple[Inline, ...]) -> tuple[Inline, ...] | None:
    """The runs of a paragraph that opens with a bullet mark ('•', '·', '※', '■') without the mark, as a
    list item's, when something follows it; else None."""
    if not inlines or inlines[0].url:
        return None
    first = inlines[0]
    marked = _BULLET_START.match(first.text)
    if marked is None or not (first.text[marked.end() :].strip() or len(inlines) > 1):
        return None
    rest = first.text[marked.end() :]
    return ((Inline(rest),) if rest else ()) + inlines[1:]


def best_image_url(attributes: dict[str, str]) -> str | None:
    """The original image: trusted attributes first, and an unprocessed URL over a resized variant."""
    candidates = [attributes[name] for name in IMAGE_URL_ATTRIBUTES if attributes.get(name, "").strip()]
    candidates = [url for url in candidates if not url.startswith("data:")]
    if not candidates:
        return None
    unprocessed = [url for url in candidates if not _is_processed(url)]
    return fix_scheme(strip_processing(unprocessed[0] if unprocessed else candidates[0]))


def _is_processed(url: str) -> bool:
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL urllib can split ('//]', a broken IPv6 host): nothing to strip
        return False
    return any(param in query for param in IMAGE_PROCESSING_PARAMS)


def strip_processing(url: str) -> str:
    """Drop the query parameters that ask a CDN for a resized or re-encoded variant."""
    if not _is_processed(url):
        return url
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in IMAGE_PROCESSING_PARAMS]
    kept = [(k, v) for k, v in kept if not any(k.startswith(p) for p in IMAGE_PROCESSING_PARAMS)]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def fix_scheme(url: str) -> str:
    """Restore the 'https:' a scraper cut off: '//host/x' and '/host.tld/x' become 'https://host…'."""
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/") and regex.match(rf"/{HOST}(?:[:/?#]|$)", url):
        return "https:/" + url
    return url

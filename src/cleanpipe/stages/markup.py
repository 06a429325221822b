"""markup: a text page to blocks. Repairs broken <a>/<img> fragments into links and images and reads
Markdown syntax (so cleaning cleanpipe's own output is a no-op). HTML pages are the html stage's.
"""

from __future__ import annotations

import json
from collections import Counter

import regex

from cleanpipe.config import Config
from cleanpipe.document import Block, Document, Inline
from cleanpipe.reading import (
    FRONT_MATTER_LINE,
    HOST,
    best_image_url,
    bullet_item,
    fix_scheme,
    front_matter_end,
)
from cleanpipe.rules.markup import IMAGE_URL_ATTRIBUTES, INLINE_TAGS

NAME = "markup"

# Linear time (a page is a few hundred KB of one line at worst): every pattern below either starts only
# where a match can begin (lookbehinds: not inside a URL, a run of tag-like characters, or an attribute
# list) or scans no further than its next delimiter, and nothing backtracks into a scan (possessive
# quantifiers, which match the same here: each scan ends where the next part cannot start). A URL's path
# is capped at 2,048 characters, so a line of URL starts costs at most that much per start.
_PATH = r"(?:[/?#][^\s\"<>]{0,2048}+)?"
# A URL whose "<a href=\"https:" or "<img src=\"https:" prefix was lost: "/host.tld/path" or "//host/…".
_URLISH = (
    rf"(?<![A-Za-z0-9._~%/-])(?:(?:https?:)?/{{1,2}}{HOST}(?::\d{{1,5}})?{_PATH}"
    rf"|https?://{HOST}(?::\d{{1,5}})?{_PATH})"
)
_ATTR_ITEM = r"\s*[A-Za-z][\w:-]*+\s*=\s*\"[^\"<>\n]*+\""
_ATTRS = rf"(?:{_ATTR_ITEM})*+"
_ATTRS_PLUS = rf"(?:{_ATTR_ITEM})++"
# The tail of a tag cut off before its first attribute ('width="600" height="800"/>'): whole attributes
# and the tag's end. Tried before the form that starts at a value, which would leave 'width="' behind.
# It starts at an attribute list's first name: not inside a name, nor after an attribute's closing quote.
_ORPHAN_ATTRIBUTES = rf"(?<![\w:-])(?<!\"\s*)[A-Za-z][\w:-]*+\s*=\s*\"[^\"<>\n]*+\"{_ATTRS}\s*/?>"
# A run of characters a tag's leftovers are made of, from its start (not from inside it, nor glued to a
# quote before it).
_JUNK = r"[^\s\"<>\p{Han}]"
_JUNK_START = r"(?<![^\s<>\p{Han}])"
_ATTR = regex.compile(r"([A-Za-z][\w:-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))")
# A Markdown label or alt text (no bracket inside) and URL (balanced parentheses, as in Wikipedia's).
_MD_LABEL = r"(?:[^\[\]\\\n]|\\.)"
_MD_URL = r"(?:[^()\s]|\([^()\s]*+\))++"

_TOKEN = regex.compile(
    rf"(?P<md_image>!\[(?P<mi_alt>{_MD_LABEL}*+)\]\((?P<mi_url>{_MD_URL})\))"
    rf"|(?P<md_link>\[(?P<ml_label>{_MD_LABEL}++)\]\((?P<ml_url>{_MD_URL})\))"
    r"|(?P<img_tag><img\b(?P<img_attrs>[^<>]*)/?>)"
    r"|(?P<a_tag><a\b(?P<a_attrs>[^<>]*)>(?P<a_label>(?:(?!<a\b).)*?)</a\s*>)"
    rf"|(?P<broken>(?P<b_url>{_URLISH})\"(?P<b_attrs>{_ATTRS})\s*(?P<b_close>/?>))"
    rf"|(?P<orphan>{_ORPHAN_ATTRIBUTES}|{_JUNK_START}{_JUNK}*+\"{_ATTRS_PLUS}\s*/?>|{_JUNK_START}{_JUNK}++\"\s*/?>)"
    rf"|(?P<tag></?(?:{'|'.join(INLINE_TAGS)})\b[^<>]*>)"
    r"|(?P<escaped>\\[\\`*_{}\[\]()#+\-.!|<>~=&])",
    regex.IGNORECASE,
)
_BROKEN_URL = regex.compile(rf"(?:{_URLISH})\"")
# Every alternative of _TOKEN needs one of these characters.
_MARKUP_CHARS = regex.compile(r"[\[<\"\\]")
_BROKEN_START = regex.compile(rf"(?:{_URLISH})\"{_ATTRS}\s*/?>|</a\s*>", regex.IGNORECASE)
_UNESCAPE = regex.compile(r"\\(.)")
_MD_HEADING = regex.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_MD_LIST = regex.compile(r"^[-*+]\s+(.+)$")
_MD_QUOTE = regex.compile(r"^>\s+(.+)$")
# A Markdown table: '| a | b |' rows and the '| --- | --- |' delimiter row under the first.
_MD_TABLE_ROW = regex.compile(r"^\|.*[^\\]\|\s*$")
_MD_TABLE_DELIMITER = regex.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_CELL_SEPARATOR = regex.compile(r"(?<!\\)\|")


def repair_markup(doc: Document, config: Config) -> Document:
    """A text page's lines to blocks. A page an earlier stage has read (the html stage, `doc.reader`)
    keeps its blocks; without an html stage in the pipeline an HTML page is read here as text, its tags
    repaired like any broken markup."""
    if doc.reader is None:
        doc.blocks = text_to_blocks(doc.text, doc)
        doc.reader = NAME
    return doc


def text_to_blocks(text: str, doc: Document) -> list[Block]:
    lines = text.split("\n")
    first = _read_front_matter(lines, doc)
    blocks: list[Block] = []
    tags: Counter[str] = Counter()
    group = 0
    fence: list[str] | None = None  # the lines of a fenced code block being read, after its opening
    closes = _closed_fences(lines, first)
    for number, line in enumerate(lines[first:], start=first + 1):
        if fence is not None:
            if line == fence[0]:
                blocks.append(Block(kind="code", inlines=(Inline("\n".join(fence[1:])),), line=number, group=group))
                fence = None
            else:
                fence.append(line)
            continue
        if line in ("```", "~~~"):
            if number in closes:
                fence = [line]
            else:  # a fence that never closes opens no code: the lines after it are read as text
                reason = "a code fence that is never closed"
                doc.record(stage=NAME, rule="unclosed-fence", text=line, reason=reason, line=number)
            continue
        if not line:
            group += 1
            continue
        if _MD_TABLE_DELIMITER.match(line):
            continue
        block = line_to_block(line, doc, number, tags)
        if block is not None:
            block.group = group
            blocks.append(block)
    if tags:
        doc.record(
            stage=NAME,
            rule="html-tag",
            text=" ".join(sorted(tags)),
            reason=f"{sum(tags.values())} leftover HTML tag(s) removed; the text between them kept",
        )
    return blocks


def _closed_fences(lines: list[str], first: int) -> set[int]:
    """The (1-based) numbers of the lines that open a fenced code block that a later line closes."""
    opened: set[int] = set()
    marker: str | None = None
    start = 0
    for number, line in enumerate(lines[first:], start=first + 1):
        if marker is None and line in ("```", "~~~"):
            marker, start = line, number
        elif marker is not None and line == marker:
            opened.add(start)
            marker = None
    return opened


def line_to_block(line: str, doc: Document, number: int, tags: Counter[str]) -> Block | None:
    kind, level, content = "paragraph", 0, line
    heading = _MD_HEADING.match(line)
    listed = _MD_LIST.match(line)
    quoted = _MD_QUOTE.match(line)
    if heading:
        kind, level, content = "heading", len(heading.group(1)), heading.group(2)
    elif listed:
        kind, content = "list_item", listed.group(1)
    elif quoted:
        kind, content = "quote", quoted.group(1)
    elif _MD_TABLE_ROW.match(line):
        cells = [_UNESCAPE.sub(r"\1", cell.strip()) for cell in _CELL_SEPARATOR.split(line.strip()[1:-1])]
        return Block(kind="table_row", inlines=tuple(Inline(cell) for cell in cells), line=number, level=len(cells))
    inlines = parse_inline(content, doc, number, tags)
    if not any(run.text.strip() or run.image for run in inlines):
        return None
    if kind == "paragraph":  # a bullet mark opening the line, or its text once tags are read
        bulleted = bullet_item(inlines)
        if bulleted is not None:
            return Block(kind="list_item", inlines=bulleted, line=number, level=level)
    if kind == "paragraph" and all(run.image or not run.text.strip() for run in inlines):
        images = tuple(run for run in inlines if run.image)
        if len(images) == 1:  # several images on one line stay a paragraph of images, as HTML gives them
            kind, inlines = "image", images
    return Block(kind=kind, inlines=inlines, line=number, level=level)


def parse_inline(text: str, doc: Document, line: int, tags: Counter[str]) -> tuple[Inline, ...]:
    """Split one line into text, link and image runs, repairing broken markup on the way."""
    if _MARKUP_CHARS.search(text) is None:  # most lines hold no markup at all: skip the token search
        return _merge_text([Inline(text)])
    runs: list[Inline] = []
    position = 0
    while position < len(text):
        match = _TOKEN.search(text, position)
        if match is None:
            runs.append(Inline(text[position:]))
            break
        if match.start() > position:
            runs.append(Inline(text[position : match.start()]))
        position = _consume(match, text, doc, line, tags, runs)
    return _merge_text(runs)


def _consume(
    match: regex.Match[str], text: str, doc: Document, line: int, tags: Counter[str], runs: list[Inline]
) -> int:
    kind = match.lastgroup
    group = match.group
    if group("md_image") is not None:
        runs.append(Inline(_UNESCAPE.sub(r"\1", group("mi_alt")), fix_scheme(group("mi_url")), image=True))
    elif group("md_link") is not None:
        runs.append(Inline(_UNESCAPE.sub(r"\1", group("ml_label")), fix_scheme(group("ml_url"))))
    elif group("img_tag") is not None:
        image = _image_from(_attributes(group("img_attrs")), None)
        if image is not None:
            runs.append(image)
    elif group("a_tag") is not None:
        href = _attributes(group("a_attrs")).get("href")
        label = parse_inline(group("a_label"), doc, line, tags)
        runs.extend(_link_or_contents(href, label))
    elif group("broken") is not None:
        return _consume_broken(match, text, doc, line, tags, runs)
    elif group("orphan") is not None:
        inside = _BROKEN_URL.search(text, match.start(), match.end())
        if inside is not None and inside.start() > match.start():
            # 'label:/host.tld/path" target=…>' starts matching as an orphan at the colon; the broken tag
            # starts at the URL, so keep the text before it and read on from there.
            runs.append(Inline(text[match.start() : inside.start()]))
            return inside.start()
        doc.record(
            stage=NAME,
            rule="orphan-fragment",
            text=group("orphan"),
            reason="leftover of a tag whose URL was lost; the text it wrapped is kept",
            line=line,
        )
    elif group("tag") is not None:
        tag_name = regex.match(r"</?\s*(\w+)", group("tag"))
        tags[tag_name.group(1).lower() if tag_name else group("tag")] += 1
    elif group("escaped") is not None:
        runs.append(Inline(group("escaped")[1]))
    else:  # pragma: no cover - every alternative is handled above
        raise AssertionError(kind)
    return match.end()


def _consume_broken(
    match: regex.Match[str], text: str, doc: Document, line: int, tags: Counter[str], runs: list[Inline]
) -> int:
    url = match.group("b_url")
    attributes = _attributes(match.group("b_attrs"))
    is_image = match.group("b_close") == "/>" or any(
        name in attributes for name in (*IMAGE_URL_ATTRIBUTES[:-1], "alt", "width", "height")
    )
    if is_image:
        image = _image_from({**attributes, "src": url}, None)
        if image is not None:
            runs.append(image)
        doc.record(
            stage=NAME,
            rule="broken-image",
            text=match.group(),
            reason="broken <img> markup rebuilt as a Markdown image; attributes and resized variants dropped",
            line=line,
        )
        return match.end()
    # A broken <a>: its label runs to </a>, to the next broken tag, or to the end of the line.
    following = _BROKEN_START.search(text, match.end())
    label_end = following.start() if following else len(text)
    label = parse_inline(text[match.end() : label_end], doc, line, tags)
    end = label_end
    if following and following.group().lower().startswith("</a"):
        end = following.end()
    runs.extend(_link_or_contents(url, label))
    doc.record(
        stage=NAME,
        rule="broken-link",
        text=text[match.start() : match.end()],
        reason="broken <a> markup rebuilt as a Markdown link; attributes dropped",
        line=line,
    )
    return end


def _link_or_contents(href: str | None, label: tuple[Inline, ...]) -> list[Inline]:
    """A link around plain text becomes one link run; around an image, the image itself."""
    if any(run.image for run in label):
        return list(label)
    label_text = "".join(run.text for run in label).strip()
    if not href or href.startswith(("javascript:", "#")):
        return list(label)
    url = fix_scheme(href)
    if not label_text:
        return []
    return [Inline(label_text, url)]


def _image_from(attributes: dict[str, str], alt: str | None) -> Inline | None:
    url = best_image_url(attributes)
    if url is None:
        return None
    return Inline(alt if alt is not None else attributes.get("alt", "").strip(), url, image=True)


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        value = next((v for v in match.groups()[1:] if v is not None), "")
        found.setdefault(match.group(1).lower(), value)
    return found


def _merge_text(runs: list[Inline]) -> tuple[Inline, ...]:
    merged: list[Inline] = []
    for run in runs:
        if merged and run.url is None and not run.image and merged[-1].url is None and not merged[-1].image:
            merged[-1] = Inline(merged[-1].text + run.text)
        elif run.text or run.url:
            merged.append(run)
    if merged and merged[0].url is None and not merged[0].image:
        merged[0] = Inline(merged[0].text.lstrip())
    if merged and merged[-1].url is None and not merged[-1].image:
        merged[-1] = Inline(merged[-1].text.rstrip())
    return tuple(run for run in merged if run.text or run.url)


def _read_front_matter(lines: list[str], doc: Document) -> int:
    """Read a leading '---' block of 'key: value' lines into metadata; returns the first body line."""
    end = front_matter_end(lines)
    if not end:
        return 0
    fields: dict[str, object] = {}
    for line in lines[1:end]:
        match = FRONT_MATTER_LINE.match(line)
        assert match is not None  # front_matter_end checked every line
        fields[match.group(1)] = _front_matter_value(match.group(2))
    for key, value in fields.items():
        doc.metadata.setdefault(key, value)
    doc.metadata["_front_matter_keys"] = list(fields)
    return end + 1


def _front_matter_value(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.strip().strip("'\"")

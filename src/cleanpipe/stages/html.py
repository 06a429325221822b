"""html: an HTML page to blocks: find the page's main content and keep only it, with its structure.

The stage reads a page that is HTML (`doc.is_html`, or its name or start says so) into blocks, which the
markup stage then leaves alone; the text stages after it treat the blocks like any others, so
boilerplate rules and in-page dedup apply too. Drop it (`Pipeline().without("html")`) and an HTML page is
read as text by the markup stage; replace it with any stage that sets `doc.blocks` and `doc.reader`.

How the main content is found (the hint words and thresholds are data, in rules/html.py):

1. Parse with lxml; drop elements that never hold visible text (script, style, forms' widgets, …).
2. Walk the tree once, cutting it into blocks at block-level elements and <br>: headings, paragraphs,
   list items, quotes, code, table rows (of data tables), images. Each block knows its size in units
   (a CJK character counts as several letters), how much of it is link text, its sentence punctuation
   (full-width marks included), and whether it sits inside an element whose class, id, role or tag
   names page chrome (comments, related lists, share bars, ads, navigation, sidebars, footers …).
3. Score each block: prose (long enough or punctuated, few links) counts for its size, link lists,
   labels and hinted chrome count against. Each element's subtree is a contiguous run of blocks, so its
   score is a difference of prefix sums; the element with the highest score is the main content.
4. Keep the blocks of that element that are not chrome, not link lists, and not in a section labelled
   as related articles or comments. Every block dropped is recorded, with the rule that dropped it.

The page's title (without the site name), publication date and author go into the metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

import regex
from lxml import etree
from lxml import html as lxml_html

from cleanpipe.config import Config
from cleanpipe.document import Block, Document, Inline
from cleanpipe.metadata import find_date, read_metadata
from cleanpipe.reading import best_image_url, bullet_item, fix_scheme, looks_like_html
from cleanpipe.repairs import Tally, decode_entities, drop_invisible, plain_spaces, repair_breaks
from cleanpipe.rules import html as rules
from cleanpipe.text import CJK, match_key

NAME = "html"

_SPACES = regex.compile(r"\s+")
_LINE_ENDS = regex.compile(r"\r\n?|\n")
_LETTER = regex.compile(r"[\p{L}\p{N}]")
_PUNCT = regex.compile("[" + regex.escape(rules.SENTENCE_PUNCTUATION) + "]")
_XML_DECLARATION = regex.compile(r"^\s*<\?xml[^>]*>")
_CAMEL = regex.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_TOKEN = regex.compile(r"[^a-z]+")
# A class of one or two letters and a number is a CSS utility on a scale ('pl1', 'mb-2', 'p0': padding,
# margin), not a name: its letters would read as a hint ('pl' is short for pinglun, comments).
_UTILITY_CLASS = regex.compile(r"(?<![^\s])[A-Za-z]{1,2}-?\d+(?![^\s])")
_HIDDEN_STYLE = regex.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", regex.IGNORECASE)
_SCHEME = regex.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LABEL_PUNCT = regex.compile(r"[\p{P}\p{S}\s]+")
_FILE_NAME_ALT = regex.compile(rules.FILE_NAME_ALT, regex.IGNORECASE)

_BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table tr td th thead tbody tfoot caption blockquote pre "
    "section article main figure figcaption address hr br center form fieldset details summary header "
    "footer nav aside body html menu legend noframes frameset frame".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_FORM_MARK = "data-cleanpipe-form"
# Stands for an escaped line break repaired in a text node (control characters are gone by then).
_BREAK = "\x00"
_FAMILIES = {family.name: family for family in rules.NEGATIVE_HINTS}

_REASONS = {
    "outside-main": "outside the page's main content (the part of the page with the most prose)",
    "link-list": "a block that is mostly links (a menu or a list of other pages)",
    "section": "a section labelled as related articles, comments or the like",
    "orphan-label": "a heading or label whose section was dropped",
    "element": "an element that never holds page text",
}


@dataclass
class _Raw:
    """A block as the walk cut it, with what scoring needs."""

    kind: str
    level: int
    inlines: tuple[Inline, ...]
    units: float
    link_units: float
    punct: int
    positive: bool
    family: str | None = None  # the negative hint family of an element it sits in
    dropped: str | None = None  # the rule that dropped it
    table: int = 0  # the rows of one table share a number


@dataclass
class _Element:
    tag: str
    start: int
    family: str | None
    positive: bool
    end: int = -1
    holds_article: bool = False


@dataclass
class _Walk:
    base: str | None
    blocks: list[_Raw] = field(default_factory=list)
    elements: list[_Element] = field(default_factory=list)
    parts: list[Inline] = field(default_factory=list)
    kind: list[tuple[str, int]] = field(default_factory=lambda: [("paragraph", 0)])
    quote: int = 0
    positive: int = 0
    link_href: str | None = None
    link_depth: int = 0
    link_text: list[str] = field(default_factory=list)
    escapes: Tally = field(default_factory=Tally)  # escaped breaks and invisible characters, for the escapes stage


def read_html(doc: Document, config: Config) -> Document:
    """The stage: an HTML page no earlier stage has read, to blocks of its main content."""
    if doc.reader is None and (doc.is_html or looks_like_html(doc.text, doc.source)):
        doc.is_html = True
        doc.blocks = html_to_blocks(doc.text, doc)
        doc.reader = NAME
    return doc


def html_to_blocks(text: str, doc: Document) -> list[Block]:
    root = parse(text)
    if root is None:
        return []
    if any("Excessive depth" in error.message for error in _PARSER.error_log):
        doc.warnings.append(
            f"the HTML is nested deeper than {MAX_DEPTH:,} elements: the parser (libxml2) drops what is "
            "deeper, so part of the page's text may be missing"
        )
    read_metadata(root, doc)
    decoded = Tally()
    for key, value in doc.metadata.items():  # a reference the page escaped twice ('&amp;#39;') is its text
        if isinstance(value, str):
            value = drop_invisible(decode_entities(value, decoded.count), decoded.count)
            doc.metadata[key] = plain_spaces(value, decoded.count) if key == "title" else value
    decoded.record(doc)
    _drop_invisible(root, doc)
    walk = _walk(root, _base_url(doc))
    if not walk.blocks:
        return []
    _apply_hints(walk)
    if "date" not in doc.metadata:  # no date in the page's meta: its byline's ('Posted on March 8, 2023')
        _date_from_byline(walk, doc)
    start, end = _main_range(walk)
    _drop_outside(walk, start, end)
    _keep_lead(walk, start)
    _drop_labelled_sections(walk, start, end)
    _drop_orphan_labels(walk)
    _record(walk, doc)
    kept = (raw for raw in walk.blocks if raw.dropped is None)
    title = doc.metadata.get("title")
    title_key = match_key(title) if isinstance(title, str) else ""
    blocks = [
        _bulleted(
            Block(
                kind=raw.kind,
                inlines=_useful_alts(_absolute(raw.inlines, walk.base, walk.escapes.count), title_key),
                line=number,
                group=-raw.table or number,
                level=raw.level,
            )
        )
        for number, raw in enumerate(kept, start=1)
    ]
    walk.escapes.record(doc)
    return blocks


def _date_from_byline(walk: _Walk, doc: Document) -> None:
    for raw in walk.blocks:
        if raw.family == "byline":
            date = find_date("".join(run.text for run in raw.inlines if not run.image))
            if date:
                doc.metadata["date"] = date
                return


def _bulleted(block: Block) -> Block:
    """A paragraph that opens with a bullet mark ('•', '·', '※') as a list item without the mark, as the
    same line in a text page is read."""
    inlines = bullet_item(block.inlines) if block.kind == "paragraph" else None
    if inlines is None:
        return block
    return Block(kind="list_item", inlines=inlines, line=block.line, group=block.group, level=block.level)


def parse(text: str) -> etree._Element | None:
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


# huge_tree lifts libxml2's nesting limit from 256 to 2,048 elements (real pages with broken markup, whose
# unclosed tags nest every paragraph in the one before, pass 256); deeper content is still dropped, and
# html_to_blocks says so.
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True)
MAX_DEPTH = 2048


def _base_url(doc: Document) -> str | None:
    url = doc.metadata.get("url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


# -- tree cleaning ------------------------------------------------------------------------------------


def _drop_invisible(root: etree._Element, doc: Document) -> None:
    """Drop the elements that never hold visible text, with one record per kind that had any text."""
    found: dict[str, tuple[int, str]] = {}
    for control in root.iter("input", "textarea", "select"):
        # A small table laid out around form fields is a form (labels and fields), not data. The parser
        # often moves a <form> out of a table, so the table is marked by the fields it holds.
        table = next(control.iterancestors("table"), None)
        if table is not None and len(table.text_content()) <= rules.FORM_TABLE_MAX_CHARS:
            table.set(_FORM_MARK, "")
    for element in list(root.iter(*rules.DROPPED_TAGS)):
        tag = element.tag
        count, sample = found.get(tag, (0, ""))
        if not sample and tag not in ("head", "title", "meta", "link"):
            sample = _clean(element.text_content())[:300]
        found[tag] = (count + 1, sample)
    etree.strip_elements(root, *rules.DROPPED_TAGS, with_tail=False)
    for tag, (count, sample) in sorted(found.items()):
        if sample:
            doc.record(
                stage=NAME,
                rule=f"html-{tag}",
                text=sample,
                reason=f"{count} <{tag}> element(s): never part of the page's text",
            )


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


# -- the walk -----------------------------------------------------------------------------------------


def _walk(root: etree._Element, base: str | None) -> _Walk:
    walk = _Walk(base)
    stack: list[_Element | None] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            stack.append(_start(walk, element, tag, stack, walker))
        else:
            _end(walk, element, tag, stack.pop() if stack else None)
    _flush(walk)
    return walk


def _start(
    walk: _Walk, element: etree._Element, tag: str, stack: list[_Element | None], walker: etree.iterwalk
) -> _Element | None:
    family, positive, article_body = _hints(element, tag)
    block = tag in _BLOCK_TAGS or family is not None
    info: _Element | None = None
    if block:
        _flush(walk)
    if block or positive:
        info = _Element(tag, len(walk.blocks), family, positive)
        walk.elements.append(info)
        if positive:
            walk.positive += 1
    if tag in _HEADINGS:
        walk.kind.append(("heading", _HEADINGS[tag]))
        if tag == "h1":
            article_body = True
    elif tag == "li":
        walk.kind.append(("list_item", 0))
    elif tag == "blockquote":
        walk.quote += 1
    if article_body:
        for frame in stack:
            if frame is not None:
                frame.holds_article = True
        if info is not None:
            info.holds_article = True
    if tag == "pre":
        _code_block(walk, element)
        walker.skip_subtree()
        return info
    if tag == "table" and _is_data_table(element):
        _table_rows(walk, element)
        walker.skip_subtree()
        return info
    if tag == "img":
        _image(walk, element)
    elif tag == "a":
        _open_link(walk, element)
    if element.text:
        _text(walk, element.text)
    return info


def _end(walk: _Walk, element: etree._Element, tag: str, info: _Element | None) -> None:
    if tag == "a" and walk.link_depth:
        _close_link(walk)
    if tag in _BLOCK_TAGS or (info is not None and info.family is not None):
        _flush(walk)
    if tag in _HEADINGS or tag == "li":
        walk.kind.pop()
    elif tag == "blockquote":
        walk.quote -= 1
    if info is not None:
        info.end = len(walk.blocks)
        if info.positive:
            walk.positive -= 1
    if element.tail:
        _text(walk, element.tail)


def _hints(element: etree._Element, tag: str) -> tuple[str | None, bool, bool]:
    """(negative hint family, positive hint, names the article body) of one element."""
    family = rules.TAG_HINTS.get(tag)
    positive = False
    get = element.get
    if not len(element.attrib):
        return family, tag in ("article", "main"), False
    role = get("role")
    if role and family is None:
        family = rules.ROLE_HINTS.get(role.lower())
    classes, identifier = get("class"), get("id")
    if classes or identifier:
        found, positive = _classify(f"{classes or ''} {identifier or ''}")
        family = family or found
    if get(_FORM_MARK) is not None:
        family = family or "forms"
    if get("hidden") is not None or get("aria-hidden") == "true":
        family = family or "hidden"
    style = get("style")
    if style and _HIDDEN_STYLE.search(style):
        family = family or "hidden"
    article_body = get("itemprop") in rules.ARTICLE_BODY_ITEMPROPS
    return family, positive or article_body or tag in ("article", "main"), article_body


@lru_cache(maxsize=16384)
def _classify(names: str) -> tuple[str | None, bool]:
    """The negative family and positive hint of a class/id string (cached: pages repeat them a lot)."""
    names = _UTILITY_CLASS.sub(" ", names)
    whole = set(names.lower().split())
    tokens = {token for token in _NOT_TOKEN.split(_CAMEL.sub(" ", names).lower()) if token} | whole
    # One scan for every family's prefixes (and the positive ones): the families whose prefix starts a token.
    prefixed = {match.lastgroup for match in _PREFIXES.finditer(" ".join(tokens))}
    for family in rules.NEGATIVE_HINTS:
        if family.whole_names:
            if whole & family.tokens:
                return family.name, False
            continue
        if tokens & family.tokens or family.name in prefixed:
            return family.name, False
    return None, bool(tokens & rules.POSITIVE_TOKENS) or _POSITIVE in prefixed


def _prefix_group(name: str, prefixes: tuple[str, ...]) -> str:
    return f"(?P<{name}>" + "|".join(regex.escape(prefix) for prefix in prefixes) + ")"


# A token (of a space-joined set) starting with a family's prefix, the group named after the family.
_POSITIVE = "positive"
_PREFIXES = regex.compile(
    r"(?<![^ ])(?:"
    + "|".join(
        [_prefix_group(family.name, family.prefixes) for family in rules.NEGATIVE_HINTS if family.prefixes]
        + [_prefix_group(_POSITIVE, rules.POSITIVE_PREFIXES)]
    )
    + ")"
)


def _text(walk: _Walk, text: str) -> None:
    text = drop_invisible(text, walk.escapes.count)  # '&shy;' and its kind, once the parser decoded them
    if "\\" in text or "x0" in text or "X0" in text:
        text = repair_breaks(text, walk.escapes.count, _BREAK)
        if _BREAK in text:  # an escaped line break in the page's text ends a block, as <br> would
            pieces = text.split(_BREAK)
            for piece in pieces[:-1]:
                _text(walk, piece)
                if not walk.link_depth:
                    _flush(walk)
            text = pieces[-1]
    if walk.link_depth:
        walk.link_text.append(text)
    else:
        walk.parts.append(Inline(text))


def _open_link(walk: _Walk, element: etree._Element) -> None:
    if walk.link_depth:  # a link inside a link: its text joins the outer one
        walk.link_depth += 1
        return
    walk.link_depth = 1
    walk.link_href = element.get("href")
    walk.link_text = []


def _close_link(walk: _Walk) -> None:
    walk.link_depth -= 1
    if walk.link_depth == 0:
        _emit_link(walk)
        walk.link_href = None


def _emit_link(walk: _Walk) -> None:
    text = "".join(walk.link_text)
    label = _clean(text)
    walk.link_text = []
    if not label:
        if text:  # a link of spaces ('the<a> </a>page') still parts the words around it
            walk.parts.append(Inline(" "))
        return
    href = (walk.link_href or "").strip()
    if not href or href.startswith(("javascript:", "#")):
        walk.parts.append(Inline(text))
        return
    # Spaces at a label's ends ('started the<a> Go Fund Me </a>page') part it from the words around it:
    # they go outside the link, as the page shows them.
    if text[:1].isspace():
        walk.parts.append(Inline(" "))
    walk.parts.append(Inline(label, href))
    if text[-1:].isspace():
        walk.parts.append(Inline(" "))


def _absolute(runs: tuple[Inline, ...], base: str | None, count: Callable[..., None]) -> tuple[Inline, ...]:
    """The runs with their URLs made absolute: the lost 'https:' restored, relative ones resolved against
    the page's own URL when it is known, references escaped twice decoded. Done for kept blocks only
    (urljoin is not cheap)."""
    if not any(run.url for run in runs):
        return runs
    fixed = []
    for run in runs:
        if run.url:
            url = fix_scheme(decode_entities(run.url, count))
            if base and not _SCHEME.match(url):
                url = urljoin(base, url)
            run = Inline(run.text, url, run.image)
        fixed.append(run)
    return tuple(fixed)


def _useful_alts(runs: tuple[Inline, ...], title_key: str) -> tuple[Inline, ...]:
    """Images keep their alt text unless it is a file name or the page's title over again."""
    if not any(run.image and run.text for run in runs):
        return runs
    return tuple(
        Inline("", run.url, image=True)
        if run.image and (_FILE_NAME_ALT.match(run.text) or (title_key and match_key(run.text) == title_key))
        else run
        for run in runs
    )


def _image(walk: _Walk, element: etree._Element) -> None:
    url = best_image_url({str(k): str(v) for k, v in element.attrib.items()})
    if url:
        alt = drop_invisible(element.get("alt") or "", walk.escapes.count)
        if "\\" in alt or "x0" in alt or "X0" in alt:  # an escaped break in an alt text: a space (one line)
            alt = repair_breaks(alt, walk.escapes.count, " ")
        walk.parts.append(Inline(_clean(alt), url, image=True))


def _flush(walk: _Walk) -> None:
    if walk.link_depth and walk.link_text:
        _emit_link(walk)
    if not walk.parts:
        return
    runs = _join_runs(walk.parts)
    walk.parts = []
    if not runs:
        return
    kind, level = walk.kind[-1]
    if kind == "paragraph" and all(run.image for run in runs):
        kind = "image"
    elif kind == "paragraph" and walk.quote:
        kind = "quote"
    _add(walk, kind, level, runs)


def _join_runs(parts: list[Inline]) -> tuple[Inline, ...]:
    """Neighbouring text runs joined, spaces collapsed, the block's ends stripped; empty runs dropped."""
    if all(run.url is None and not run.image for run in parts):  # most blocks: text only
        text = _SPACES.sub(" ", "".join(run.text for run in parts)).strip()
        return (Inline(text),) if text else ()
    runs: list[Inline] = []
    pending: list[str] = []
    for run in parts:
        if run.url is None and not run.image:
            pending.append(run.text)
            continue
        if pending:
            runs.append(Inline(_SPACES.sub(" ", "".join(pending))))
            pending = []
        runs.append(run)
    if pending:
        runs.append(Inline(_SPACES.sub(" ", "".join(pending))))
    if runs and runs[0].url is None and not runs[0].image:
        runs[0] = Inline(runs[0].text.lstrip())
    if runs and runs[-1].url is None and not runs[-1].image:
        runs[-1] = Inline(runs[-1].text.rstrip())
    kept = tuple(run for run in runs if run.text or run.url)
    return kept if any(run.text.strip() or run.image for run in kept) else ()


def _add(walk: _Walk, kind: str, level: int, runs: tuple[Inline, ...]) -> None:
    units = link_units = 0.0
    punct = 0
    for run in runs:
        if run.image:
            continue
        size = _units(run.text)
        units += size
        if run.url:
            link_units += size
        else:
            punct += len(_PUNCT.findall(run.text))
    walk.blocks.append(_Raw(kind, level, runs, units, link_units, punct, walk.positive > 0))


def _units(text: str) -> float:
    letters = len(_LETTER.findall(text))
    if not letters:
        return 0.0
    cjk = len(CJK.findall(text)) if not text.isascii() else 0
    return letters + (rules.CJK_CHAR_UNITS - 1) * cjk


def _code_block(walk: _Walk, element: etree._Element) -> None:
    _flush(walk)
    # Lines as a text page's code block is read: plain line ends, no trailing spaces.
    # Invisible characters go, as the escapes stage takes them from a text page's code.
    text = drop_invisible(element.text_content(), walk.escapes.count)
    code = "\n".join(line.rstrip() for line in _LINE_ENDS.split(text)).strip("\n")
    if code.strip():
        walk.blocks.append(_Raw("code", 0, (Inline(code),), _units(code), 0.0, 1, walk.positive > 0))


def _is_data_table(table: etree._Element) -> bool:
    if table.find(".//table") is not None:
        return False
    rows = table.findall(".//tr")
    if len(rows) < 2 or max((len(row) for row in rows), default=0) < 2:
        return False
    for row in rows:
        for cell in row:
            if len(cell.text_content()) > rules.DATA_TABLE_MAX_CELL_CHARS:
                return False
            if cell.find(".//p") is not None or cell.find(".//div") is not None:
                return False
    return True


def _table_rows(walk: _Walk, table: etree._Element) -> None:
    _flush(walk)
    number = len(walk.blocks) + 1
    for row in table.iter("tr"):
        cells = [_clean(cell.text_content()) for cell in row if cell.tag in ("td", "th")]
        if not any(cells):
            continue
        runs = tuple(Inline(cell) for cell in cells)
        units = sum(_units(cell) for cell in cells)
        walk.blocks.append(_Raw("table_row", len(cells), runs, units, 0.0, 0, walk.positive > 0, table=number))


# -- choosing the main content ------------------------------------------------------------------------


def _apply_hints(walk: _Walk) -> None:
    """Mark the blocks inside hinted chrome, unless the hinted element is a wrapper of the page or, for
    chrome that never holds prose, holds mostly prose."""
    total = sum(raw.units for raw in walk.blocks) or 1.0
    prefix = _prefix([raw.units for raw in walk.blocks])
    prose = _prefix([raw.units if _is_prose(raw) else 0.0 for raw in walk.blocks])
    prose_blocks = _prefix([1.0 if _is_prose(raw) else 0.0 for raw in walk.blocks])
    link_blocks = _prefix([1.0 if _is_link_list(raw) else 0.0 for raw in walk.blocks])
    for element in walk.elements:
        if element.family is None or element.tag in ("html", "body") or element.holds_article:
            continue
        units = prefix[element.end] - prefix[element.start]
        if units / total > rules.MAX_HINTED_SHARE:
            continue
        if element.family in rules.PROSE_HINT_FAMILIES:
            held = prose[element.end] - prose[element.start]
            links = link_blocks[element.end] - link_blocks[element.start]
            paragraphs = prose_blocks[element.end] - prose_blocks[element.start]
            if (
                held >= rules.PROSE_OVERRIDE_UNITS
                and paragraphs >= rules.PROSE_OVERRIDE_BLOCKS
                and held >= rules.PROSE_OVERRIDE_SHARE * units
                and links <= rules.PROSE_OVERRIDE_LINK_BLOCKS * paragraphs
            ):
                continue
        for raw in walk.blocks[element.start : element.end]:
            if raw.family is None:
                raw.family = element.family


def _is_prose(raw: _Raw) -> bool:
    """A block of running text: long enough, punctuated, not mostly links."""
    return (
        raw.kind in ("paragraph", "list_item", "quote")
        and raw.units >= rules.PROSE_BLOCK_UNITS
        and raw.punct > 0
        and raw.link_units <= rules.MAX_LINK_DENSITY * raw.units
    )


def _is_link_list(raw: _Raw) -> bool:
    return bool(raw.units) and raw.link_units > rules.MAX_LINK_DENSITY * raw.units


def _prefix(values: list[float]) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def block_score(raw: _Raw) -> float:
    """How much a block counts for the element holding it being the main content."""
    if raw.family is not None:
        return -raw.units
    if raw.kind in ("heading", "image") or not raw.units:
        return 0.0
    if raw.link_units > rules.MAX_LINK_DENSITY * raw.units:
        return -raw.units
    if raw.kind == "table_row":
        return 0.5 * raw.units
    if raw.units < rules.SHORT_BLOCK_UNITS and not raw.punct:
        return -0.5 * raw.units
    score = raw.units - 1.5 * raw.link_units
    return score * rules.POSITIVE_BOOST if raw.positive and score > 0 else score


def _main_range(walk: _Walk) -> tuple[int, int]:
    """The element whose blocks score highest. Text the page says again counts once: a block repeating an
    earlier one counts for nothing (an article pasted twice still counts, by its first copy), and a run
    of neighbours saying the same counts for nothing at all (an article does not say a paragraph twice
    in a row, a template does: a PHP warning printed on each item of a widget's list)."""
    scores = [block_score(raw) for raw in walk.blocks]
    previous, previous_key = -1, ""
    seen: set[str] = set()
    for index, raw in enumerate(walk.blocks):
        if not raw.units:
            continue
        key = match_key(_raw_text(raw)) if raw.units >= rules.SHORT_BLOCK_UNITS else ""
        if key and key == previous_key:
            scores[index] = scores[previous] = 0.0
        elif key in seen:
            scores[index] = 0.0
        elif key:
            seen.add(key)
        previous, previous_key = index, key
    prefix = _prefix(scores)
    best, best_range = prefix[-1], (0, len(walk.blocks))
    for element in walk.elements:
        if element.end <= element.start:
            continue
        score = prefix[element.end] - prefix[element.start]
        if score >= best:
            best, best_range = score, (element.start, element.end)
    return best_range


def _drop_outside(walk: _Walk, start: int, end: int) -> None:
    for index, raw in enumerate(walk.blocks):
        if raw.family is not None:  # named chrome is recorded as such, inside the main content or not
            raw.dropped = raw.family
        elif index < start or index >= end:
            raw.dropped = "outside-main"
        elif raw.units and raw.link_units > rules.MAX_LINK_DENSITY * raw.units:
            raw.dropped = "link-list"


def _keep_lead(walk: _Walk, start: int) -> None:
    """The standfirst: an article's lead paragraph or subheading often sits between its <h1> and the
    element that holds the body (in the header beside the title), outside the main content. Prose and
    long subheadings there, after the nearest <h1> at most LEAD_MAX_BLOCKS blocks before the main
    content, are kept; chrome, link lists, datelines and short labels there still go."""
    first = max(0, start - rules.LEAD_MAX_BLOCKS)
    titles = (index for index in range(start - 1, first - 1, -1) if _is_title(walk.blocks[index]))
    heading = next(titles, None)
    if heading is None:
        return
    for raw in walk.blocks[heading + 1 : start]:
        if raw.dropped == "outside-main" and (
            _is_prose(raw) or (raw.kind == "heading" and raw.units >= rules.PROSE_BLOCK_UNITS)
        ):
            raw.dropped = None


def _is_title(raw: _Raw) -> bool:
    return raw.kind == "heading" and raw.level == 1


def _drop_labelled_sections(walk: _Walk, start: int, end: int) -> None:
    """'Related articles', '相关阅读', 'Comments': the label and the section it heads."""
    index = start
    while index < end:
        raw = walk.blocks[index]
        if raw.dropped is None and _is_section_label(raw):
            level = raw.level if raw.kind == "heading" else 7
            raw.dropped = "section"
            index += 1
            while index < end:
                following = walk.blocks[index]
                if following.kind == "heading" and following.level <= level and following.dropped is None:
                    break
                if level == 7 and following.kind not in ("list_item", "image") and block_score(following) > 0:
                    break
                following.dropped = following.dropped or "section"
                index += 1
            continue
        index += 1


def _drop_orphan_labels(walk: _Walk) -> None:
    """A heading or a short label whose section was dropped goes with it, in any language: the kept text
    after it, up to the next heading of its level or above (or the page's end), is none, and some
    dropped text lies there ('Ähnliche Beiträge' over a list of links, 'Weitere Informationen:' over a
    contact box named as chrome). A label above it needs dropped text of its own, and the last of a run
    of short lines stays."""
    # The next kept block; whether text was dropped before it, and whether all of that was lists of links.
    following, dropped_since, links_only = len(walk.blocks), False, True
    for index in range(len(walk.blocks) - 1, -1, -1):
        raw = walk.blocks[index]
        if raw.dropped is not None:
            if raw.units:
                dropped_since = True
                links_only = links_only and _is_dropped_list(raw)
        elif raw.units or raw.kind == "image":
            if (
                dropped_since
                and _is_label(raw)
                and (following == len(walk.blocks) or links_only or _ends_section(raw, walk.blocks[following]))
                and not _after_a_short_line(walk, index)
            ):
                raw.dropped = "orphan-label"
                dropped_since, links_only = False, True  # a label above needs dropped text of its own
            else:
                following, dropped_since, links_only = index, False, True


def _is_dropped_list(raw: _Raw) -> bool:
    """A block of a list of other pages: a label right over one is the list's ('Lesen Sie auch'), even
    when the article goes on after it (a paragraph dense with links may be prose: it does not count)."""
    return raw.dropped in ("related", "section") or (raw.dropped == "link-list" and raw.kind != "paragraph")


def _after_a_short_line(walk: _Walk, index: int) -> bool:
    """Whether a short line comes right after another (nothing dropped between): the last line of a run
    of them ('Kofferraum: 1', 'Ablagen: 1', …) is a list's, not a label."""
    raw = walk.blocks[index]
    if raw.kind == "heading":
        return False
    before = next((walk.blocks[at] for at in range(index - 1, -1, -1) if walk.blocks[at].units), None)
    return before is not None and before.dropped is None and before.kind == "paragraph" and _is_label(before)


def _is_label(raw: _Raw) -> bool:
    if raw.kind == "heading":
        return raw.units < rules.PROSE_BLOCK_UNITS
    if raw.kind != "paragraph" or raw.units >= rules.SHORT_BLOCK_UNITS:
        return False
    text = "".join(run.text for run in raw.inlines if not run.image).rstrip()
    return not text.endswith(rules.SENTENCE_ENDS)


def _ends_section(label: _Raw, raw: _Raw) -> bool:
    return raw.kind == "heading" and (label.kind != "heading" or raw.level <= label.level)


def _is_section_label(raw: _Raw) -> bool:
    text = "".join(run.text for run in raw.inlines if not run.image)
    if not text or len(text) > rules.SECTION_LABEL_MAX_CHARS:
        return False
    return _LABEL_PUNCT.sub(" ", text).strip().casefold() in rules.SECTION_LABELS


def _record(walk: _Walk, doc: Document) -> None:
    """One removal per run of neighbouring blocks dropped by the same rule."""
    run: list[_Raw] = []
    for raw in [*walk.blocks, None]:
        if run and (raw is None or raw.dropped != run[0].dropped):
            rule = run[0].dropped or ""
            text = "\n".join(_raw_text(item) for item in run)
            family = _FAMILIES.get(rule)
            reason = f"inside {family.description}" if family else _REASONS.get(rule, rule)
            doc.record(stage=NAME, rule=f"html-{rule}", text=text[:2000], reason=f"{len(run)} block(s) {reason}")
            run = []
        if raw is not None and raw.dropped is not None:
            run.append(raw)


def _raw_text(raw: _Raw) -> str:
    return "".join(run.text if not run.image else (run.url or "") for run in raw.inlines)

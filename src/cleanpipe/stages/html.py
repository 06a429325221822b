"""Well-formed HTML to blocks, with BeautifulSoup: headings, paragraphs, list items, images and links.

Script, style, navigation, header, footer and aside elements are dropped whole, each recorded. This is
the markup stage's reader for HTML pages; the text stages after it treat the blocks like any others.
"""

from __future__ import annotations

from collections import Counter

import regex
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from cleanpipe.document import Block, Document, Inline
from cleanpipe.rules.markup import DROPPED_ELEMENTS

NAME = "markup"

_BLOCK_ELEMENTS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table tr td th thead tbody tfoot blockquote pre section "
    "article main figure figcaption address hr br center form fieldset details summary".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_SPACES = regex.compile(r"\s+")


def _parser() -> str:
    try:
        import lxml  # noqa: F401
    except ImportError:  # pragma: no cover - lxml is a dependency, html.parser a fallback
        return "html.parser"
    return "lxml"


def _page_url(soup: BeautifulSoup) -> str | None:
    """The page's own address as it declares it: <link rel="canonical"> or <meta property="og:url">."""
    for element, attribute in (
        (soup.find("link", rel="canonical"), "href"),
        (soup.find("meta", attrs={"property": "og:url"}), "content"),
    ):
        value = element.get(attribute) if isinstance(element, Tag) else None
        if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
            return value.strip()
    return None


def html_to_blocks(text: str, doc: Document) -> list[Block]:
    from cleanpipe.stages.markup import _link_or_contents, _merge_text, best_image_url, parse_inline

    soup = BeautifulSoup(text, _parser())
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if title:
        doc.metadata.setdefault("html_title", title)
    url = _page_url(soup)
    if url:
        doc.metadata.setdefault("url", url)
    dropped: Counter[str] = Counter()
    for element in soup.find_all(list(DROPPED_ELEMENTS)):
        if isinstance(element, Tag) and element.parent is not None:
            content = _SPACES.sub(" ", element.get_text(" ", strip=True))
            dropped[element.name] += 1
            if content:
                doc.record(
                    stage=NAME,
                    rule=f"html-{element.name}",
                    text=content[:2000],
                    reason=f"<{element.name}> element: not part of the page's content",
                )
            element.decompose()
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    for head in soup.find_all("head"):
        head.decompose()

    blocks: list[Block] = []
    tags: Counter[str] = Counter()
    current: list[Inline] = []
    state: dict[str, str | int] = {"kind": "paragraph", "level": 0}

    def flush() -> None:
        runs = _merge_text([Inline(_SPACES.sub(" ", r.text)) if r.url is None and not r.image else r for r in current])
        current.clear()
        if not any(run.text.strip() or run.image for run in runs):
            return
        kind = state["kind"]
        if kind == "paragraph" and all(run.image for run in runs):
            kind = "image"
        number = len(blocks) + 1
        blocks.append(Block(kind=str(kind), inlines=runs, line=number, group=number, level=int(state["level"])))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if str(child).strip() or current:
                    current.extend(parse_inline(str(child), doc, len(blocks) + 1, tags) or (Inline(" "),))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name == "img":
                attributes = {k: v if isinstance(v, str) else " ".join(v) for k, v in child.attrs.items()}
                url = best_image_url(attributes)
                if url:
                    current.append(Inline(attributes.get("alt", "").strip(), url, image=True))
                continue
            if name == "a":
                label = _merge_text([Inline(child.get_text(" ", strip=True))])
                images = child.find_all("img")
                if images:
                    walk(child)
                    continue
                href = child.get("href")
                current.extend(_link_or_contents(href if isinstance(href, str) else None, label))
                continue
            if name in _BLOCK_ELEMENTS:
                flush()
                saved = dict(state)
                if name in _HEADINGS:
                    state.update(kind="heading", level=_HEADINGS[name])
                elif name == "li":
                    state.update(kind="list_item", level=0)
                walk(child)
                flush()
                state.update(saved)
                continue
            walk(child)

    root = soup.body or soup
    walk(root)
    flush()
    return blocks

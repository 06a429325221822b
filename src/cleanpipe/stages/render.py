"""render: kept blocks to Markdown with YAML front matter.

Only the characters that would change how the text renders are escaped: CJK text and its punctuation
pass through as written ('营业额=流量*转化率*客单价*复购次数' only gains backslashes before the '*'s,
which CommonMark would otherwise read as emphasis).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import regex

from cleanpipe.config import Config
from cleanpipe.document import Block, Document, Inline

NAME = "render"

# Front matter keys in the order they are written; any other key follows, sorted.
FRONT_MATTER_ORDER = ("title", "date", "author", "editor", "photo", "source", "url", "views")
# Keys used inside the pipeline that are not written.
_INTERNAL = ("encoding", "charset", "html_title", "removed")
# Kinds whose neighbouring blocks are written without a blank line between them.
_JOINED_KINDS = ("list_item", "table_row", "quote")

_ALWAYS = regex.compile(r"[\\`*]")
_UNDERSCORE = regex.compile(r"(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])")
_LINK_SYNTAX = regex.compile(r"[\[\]]")
_OPEN_BRACKET = regex.compile(r"\[")
_ANGLE = regex.compile(r"<(?=[A-Za-z/!?])")
# '">' or '"/>' in text is the end of a tag whose start was lost, to the markup stage: its '>' is escaped.
_TAG_END = regex.compile(r"(?<=\"\s*/?)>")
_SPACES = regex.compile(r"\s+")
_URL_BREAKERS = regex.compile(r"[\s()<>\p{Zs}\xad\u200b-\u200f\u2028\u2029\ufeff\x00-\x1f\x7f-\x9f]")
# '&amp;' or '&#169;' in the text would render as '&' or '©'; writing its '&' as '&amp;' keeps it as
# written, and the escapes stage reads it back to the same text, so re-cleaning changes nothing.
_ENTITY_LIKE = regex.compile(r"&(?=#\d{1,7};|#[xX][0-9A-Fa-f]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
# '---' (or '- - -') alone on a line is a thematic break, not text.
_LINE_START = regex.compile(r"^(?:(#{1,6}|>|[-+]|=+|~~~|(\d{1,9})[.)])(?=\s|$)|(-)(?=(?:[ \t]*-){2,}[ \t]*$))")


def render_markdown(doc: Document, config: Config) -> Document:
    lines = [front_matter(doc), ""]
    title = doc.metadata.get("title")
    if isinstance(title, str) and title.strip():
        lines += ["# " + _heading_end(escape(title.strip(), line_start=False)), ""]
    previous: Block | None = None
    for block in doc.blocks:
        if not block.kept or block.kind == "title":
            continue
        rendered = render_block(block)
        if not rendered:
            continue
        joined = previous is not None and previous.kind == block.kind and block.kind in _JOINED_KINDS
        if joined and (block.kind != "table_row" or previous is not None and previous.group == block.group):
            lines[-1:] = [rendered, ""]
        elif block.kind == "table_row":
            # A table's first row is its header: Markdown needs the delimiter row under it.
            lines += [rendered, "|" + " --- |" * len(block.inlines), ""]
        else:
            lines += [rendered, ""]
        previous = block
    doc.markdown = "\n".join(lines).rstrip("\n") + "\n"
    return doc


def front_matter(doc: Document) -> str:
    fields: dict[str, Any] = {}
    for key in FRONT_MATTER_ORDER:
        if doc.metadata.get(key) not in (None, ""):
            fields[key] = doc.metadata[key]
    for key in sorted(doc.metadata):
        value = doc.metadata[key]
        if key in fields or key in _INTERNAL or key.startswith("_") or value in (None, ""):
            continue
        if isinstance(value, (str, int, float, bool)):
            fields[key] = value
    fields["removed"] = removal_counts(doc)
    body = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False, sort_keys=True)}" for key, value in fields.items())
    return f"---\n{body}\n---"


def removal_counts(doc: Document) -> dict[str, int]:
    """Removals per stage, added to those a cleaned input already carried in its front matter."""
    counts: Counter[str] = Counter()
    earlier = doc.metadata.get("removed")
    if isinstance(earlier, dict):
        counts.update({str(k): int(v) for k, v in earlier.items() if isinstance(v, int)})
    counts.update(removal.stage for removal in doc.removals)
    return dict(sorted(counts.items()))


def render_block(block: Block) -> str:
    if block.kind == "image":
        return "\n\n".join(_image(run) for run in block.images)
    if block.kind == "code":
        code = block.text
        fence = "~~~" if "```" in code else "```"
        return f"{fence}\n{code}\n{fence}"
    if block.kind == "table_row":
        cells = (escape(run.text, line_start=False).replace("|", "\\|") for run in block.inlines)
        return "| " + " | ".join(cells) + " |"
    text = render_inlines(block.inlines, line_start=block.kind == "paragraph")
    if not text:
        return ""
    if block.kind == "heading":
        return "#" * max(1, min(block.level or 2, 6)) + " " + _heading_end(text)
    if block.kind == "list_item":
        return "- " + text
    if block.kind == "quote":
        return "> " + text
    return text


def _heading_end(text: str) -> str:
    """A heading's text whose last '#' is escaped when it ends in one: Markdown reads a run of '#' at a
    heading's end as a closing sequence and drops it."""
    return text[:-1] + "\\#" if text.endswith("#") and not text.endswith("\\#") else text


def render_inlines(runs: tuple[Inline, ...], *, line_start: bool) -> str:
    parts: list[str] = []
    for number, run in enumerate(runs):
        if run.image:
            parts.append(_image(run))
        elif run.url:
            parts.append(f"[{escape(run.text, line_start=False, label=True)}]({_url(run.url)})")
        else:
            text = escape(run.text, line_start=line_start and number == 0)
            following = runs[number + 1] if number + 1 < len(runs) else None
            if text.endswith("!") and following is not None and following.url and not following.image:
                text = text[:-1] + "\\!"  # "!" before "[label](url)" would make it an image
            parts.append(text)
    return "".join(parts).strip()


def escape(text: str, *, line_start: bool, label: bool = False) -> str:
    """Backslash only what Markdown would otherwise read as syntax.

    Every "[" in text is escaped, so no "]" after it can close a link; inside a link label "]" is
    escaped too. An "&" that would start a character reference is escaped, so "&amp;" stays as written.
    """
    text = _ALWAYS.sub(lambda m: "\\" + m.group(), text)
    text = _UNDERSCORE.sub(lambda m: "\\" + m.group(), text)
    text = (_LINK_SYNTAX if label else _OPEN_BRACKET).sub(lambda m: "\\" + m.group(), text)
    text = _ANGLE.sub(r"\\<", text)
    text = _TAG_END.sub(r"\\>", text)
    text = _ENTITY_LIKE.sub(r"\\&", text)
    if line_start:
        text = _LINE_START.sub(_escape_line_start, text, count=1)
        if text.startswith("|"):  # a table row, read back
            text = "\\" + text
    return text


def _escape_line_start(match: regex.Match[str]) -> str:
    marker = match.group(1) or match.group(3)
    if match.group(2) is not None:  # "1. " would start an ordered list
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def _image(run: Inline) -> str:
    # One line, and nothing the escapes stage would read as markup ('<br>', '&amp;').
    alt = _SPACES.sub(" ", run.text).strip().replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    alt = _ENTITY_LIKE.sub(r"\\&", _ANGLE.sub(r"\\<", alt))
    return f"![{alt}]({_url(run.url or '')})"


def _url(url: str) -> str:
    """The URL with what would end it or change it when read back percent-encoded: any space (a no-break
    space too, which the escapes stage turns into a plain one), parentheses, angle brackets ('<br>' would
    be read as a line break) and the '&' of a character reference (which would be decoded)."""
    return _ENTITY_LIKE.sub("%26", _URL_BREAKERS.sub(lambda m: quote(m.group(), safe=""), url))


def split_front_matter(markdown: str) -> tuple[str, str]:
    """cleanpipe's own output split into its front matter ('---' … '---' and the newline after it) and the
    body; ('', markdown) when it has none."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 3)
        if end != -1:
            return markdown[: end + 5], markdown[end + 5 :]
    return "", markdown


def set_front_matter_fields(markdown: str, fields: dict[str, Any]) -> str:
    """The page with `fields` set in its front matter (a None value removes the key), the rest unchanged."""
    front, body = split_front_matter(markdown)
    lines = front.split("\n")[1:-2] if front else []
    kept = [line for line in lines if line.split(":", 1)[0] not in fields]
    kept += [
        f"{key}: {json.dumps(value, ensure_ascii=False, sort_keys=True)}"
        for key, value in fields.items()
        if value is not None
    ]
    return "---\n" + "\n".join(kept) + "\n---\n" + body

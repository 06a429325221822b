"""Strings from outside that Python holds but cannot write as UTF-8: lone surrogate code points.

They come from two places, and each is repaired, never refused (a page is not lost to them):
- a JSON string escaping half a surrogate pair ("\\ud800"), which json.loads keeps as a lone code point:
  replaced with U+FFFD, as undecodable bytes are, and named as a warning on the page (in a page's text by
  the decode stage, which also records it in the audit; in its id, URL, title and metadata by PageRecord);
- a file name whose bytes are not UTF-8 (GBK names from Chinese archives), which Python keeps as
  surrogate escapes: read as GB18030 when its bytes are that (the usual encoding of such names), else
  shown with \\xNN escapes; either way the same name gives the same id on every run, and distinct
  names stay distinct.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    return SURROGATE.search(text) is not None


def without_surrogates(text: str) -> tuple[str, int]:
    """`text` with each lone surrogate replaced with U+FFFD, and how many there were."""
    if not has_surrogates(text):
        return text, 0
    return SURROGATE.subn("\ufffd", text)


def name_text(name: str) -> str:
    """A file name (or path) as UTF-8 text: unchanged when it is; its raw bytes read as GB18030 when they
    are not UTF-8 but are that; else its bytes shown as \\xNN. One path part at a time, so a UTF-8
    folder keeps its name when only a file in it is not."""
    if not has_surrogates(name):
        return name
    return "/".join(_part_text(part) for part in name.split("/"))


def _part_text(part: str) -> str:
    if not has_surrogates(part):
        return part
    try:
        raw = part.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not from the file system: a lone surrogate of another kind
        return without_surrogates(part)[0]
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def relative_text(relative: PurePosixPath) -> PurePosixPath:
    return PurePosixPath(name_text(relative.as_posix())) if has_surrogates(str(relative)) else relative

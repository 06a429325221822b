"""Output names for pages: safe, stable across runs, unique within a run.

A page file mirrors its path ('site/a.txt' -> 'site/a'). A record inside a container file goes into a
folder named after the container ('crawl/dump.jsonl.gz' -> 'crawl/dump/') under a slug of its id or URL
plus 8 hex digits of a hash of its full id, so that two ids that slug alike never share a name.

Every name is a pure function of its inputs: the hash is BLAKE2b (Python's `hash()` is randomised per
process), and no name depends on which other pages exist, except where a reader disambiguates a clash.
Names are returned without the output suffix; writers append theirs ('a.b' + '.md'), never `with_suffix`,
because a name may contain dots.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import PurePosixPath

# Longest slug, in characters and in UTF-8 bytes: 80 CJK characters are 240 bytes, 80 characters from
# the supplementary planes would be 320, and most file systems allow 255 bytes per name.
SLUG_MAX_CHARS = 80
SLUG_MAX_BYTES = 200
# Characters kept in a slug besides letters and digits (CJK ideographs count as letters).
SLUG_PUNCTUATION = frozenset("-_.")
# Suffixes a container's folder name drops: 'dump.jsonl.gz' -> 'dump', 'crawl.2023-01.warc' -> 'crawl.2023-01'.
CONTAINER_SUFFIXES = (".gz", ".zst", ".jsonl", ".ndjson", ".json", ".warc")
# What stands in for a name part that would be empty or dots only.
PLACEHOLDER = "_"
URL_SCHEMES = ("https://", "http://")


def short_hash(text: str) -> str:
    """8 hex digits of BLAKE2b of the text; lone surrogates (possible in JSON strings) are hashed as is."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def slug(text: str) -> str:
    """Letters, digits, '-', '_' and '.' of the text, other runs of characters as one '_', no leading or
    trailing dots, at most SLUG_MAX_CHARS characters and SLUG_MAX_BYTES bytes; never empty."""
    pieces: list[str] = []
    for char in text:
        if char.isalnum() or char in SLUG_PUNCTUATION:
            pieces.append(char)
        elif not pieces or pieces[-1] != "_":
            pieces.append("_")
    result = "".join(pieces)[:SLUG_MAX_CHARS]
    while len(result.encode("utf-8", "surrogatepass")) > SLUG_MAX_BYTES:
        result = result[:-1]
    # Leading dots would hide the file or make '.'/'..'; trailing dots are dropped by Windows.
    result = result.strip(".")
    return result or PLACEHOLDER


def full_record_id(container_relative: PurePosixPath, key: str | None, position: int) -> str:
    """The run-wide id of a record in a container: 'crawl/dump.jsonl#<key>', or '#<position>' without a key."""
    return f"{container_relative.as_posix()}#{key if key is not None else position}"


@lru_cache(maxsize=256)
def container_folder(container_relative: PurePosixPath) -> PurePosixPath:
    """The folder a container's records go to: its path without the container suffixes. (Cached: every
    record of a container asks for the same folder.)"""
    name = container_relative.name
    stripped = True
    while stripped:
        stripped = False
        for suffix in CONTAINER_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                stripped = True
    return _safe_parts(container_relative.parent / name)


def record_output(
    container_relative: PurePosixPath,
    record_id: str | None,
    url: str | None,
    position: int,
    *,
    prefer_url: bool = False,
) -> PurePosixPath:
    """'<container without suffixes>/<slug>-<hash>' for a record: the slug is made from the record's id
    (or its URL if it has no id, or if `prefer_url` and it has one), else from its position; the hash is
    of the full id (`full_record_id`), so it differs whenever the ids differ."""
    full_id = full_record_id(container_relative, record_id, position)
    readable = url if url and (prefer_url or record_id is None) else record_id
    if readable is None:
        readable = str(position)
    elif readable == url:
        readable = _without_scheme(readable)
    return container_folder(container_relative) / f"{slug(readable)}-{short_hash(full_id)}"


def page_output(relative: PurePosixPath, *, keep_suffix: bool = False) -> PurePosixPath:
    """A page file's output: its relative path without its suffix ('site/a.txt' -> 'site/a'), or with it
    (`keep_suffix`) when two pages of one folder share a stem ('a.txt', 'a.html' -> 'a.txt', 'a.html')."""
    safe = _safe_parts(relative)
    if keep_suffix or not safe.suffix:
        return safe
    return safe.with_suffix("")


def with_hash(output: PurePosixPath, full_id: str) -> PurePosixPath:
    """A different name for an output that clashes with an earlier one: '<name>-<hash of the id>'."""
    return output.with_name(f"{output.name}-{short_hash(full_id)}")


def is_safe(output: PurePosixPath) -> bool:
    """True when the path stays inside the output folder: relative, no '', '.' or '..' parts, no NUL,
    no backslash (a separator on Windows)."""
    text = output.as_posix()
    if not output.parts or output.is_absolute() or "\x00" in text or "\\" in text:
        return False
    return all(part not in ("", ".", "..") for part in output.parts)


def _safe_parts(path: PurePosixPath) -> PurePosixPath:
    """The path with each unsafe part replaced: it comes from a file system walk, so this only guards
    against an input root given in an odd way."""
    parts = [_safe_part(part) for part in path.parts if part not in ("/", "")]
    return PurePosixPath(*parts) if parts else PurePosixPath(PLACEHOLDER)


def _safe_part(part: str) -> str:
    if part in (".", "..") or "\x00" in part or "\\" in part:
        return slug(part)
    return part


def _without_scheme(url: str) -> str:
    for scheme in URL_SCHEMES:
        if url.lower().startswith(scheme):
            return url[len(scheme) :]
    return url

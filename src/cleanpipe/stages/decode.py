"""decode: bytes to text. UTF-8 (with or without BOM) first, then a detected Chinese encoding.

Detection tries strict decodes of the Chinese encodings and keeps the reading made of common Chinese
characters (rules/decode.py); charset-normalizer, limited to the encodings scraped pages come in, is
asked only when no Chinese reading is plausible, because on short pages it reads GBK as EUC-KR or Big5.
Undecodable bytes become U+FFFD and are recorded with their bytes; they are never dropped in silence.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

import regex
from charset_normalizer import from_bytes
from charset_normalizer.constant import FREQUENCIES

from cleanpipe.config import Config
from cleanpipe.document import CleanError, Document
from cleanpipe.io.text import SURROGATE, without_surrogates
from cleanpipe.rules.decode import (
    CHINESE_ENCODINGS,
    CHINESE_LANGUAGE,
    COMMON_CHARACTER_BLOCKS,
    FALLBACK_ENCODINGS,
    MAX_BAD_SHARE,
    MIN_COMMON_SHARE,
    MIN_SCRIPT_LETTERS,
    MIN_SCRIPT_SHARE,
    OTHER_SCRIPT_ENCODINGS,
)

NAME = "decode"
# Where a page's <meta> charset is looked for, and how it is read: <meta charset="gbk">, or
# <meta http-equiv="Content-Type" content="text/html; charset=gb2312">.
_META_WINDOW = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
_WIDE = regex.compile(r"[^\x00-\x7f\s]")
_DETECTION_SAMPLE = 200_000
# NUL and C0 control characters (not tab, line breaks, vertical tab or form feed): in a page of text they
# are a scraper's stray bytes, removed and recorded. Only content mostly made of them (with undecodable
# bytes) is binary: more than this share of its first 64 KB.
_CONTROLS = regex.compile(r"[\x00-\x08\x0e-\x1f]")
BINARY_SHARE = 0.25
# Files that are not pages whatever their bytes decode to: their leading magic numbers, and what they are.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"BZh", "a bzip2 file"),
    (b"\xfd7zXZ\x00", "an xz file"),
    (b"(\xb5/\xfd", "a zstd file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS", "an Ogg media file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)
_MAX_REPORTED = 50
_BOMS = (
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)


def decode(doc: Document, config: Config) -> Document:
    raw = doc.original
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > config.max_page_bytes:
        raise CleanError(
            doc.source,
            f"page is {size / 1e6:.1f} MB, over the limit of {config.max_page_bytes / 1e6:.1f} MB (max_page_bytes)",
            NAME,
        )
    if isinstance(raw, str):
        text = _without_surrogates(doc, raw)
    else:
        _refuse_known_binary(doc, raw)
        text = _decode_bytes(doc, raw)
    if not text.strip():
        raise CleanError(doc.source, "page is empty", NAME)
    _refuse_binary(doc, text, decoded=not isinstance(raw, str))
    text = _without_controls(doc, text)
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > config.max_line_chars:
        raise CleanError(
            doc.source,
            f"a line of {longest:,} characters is over the limit of {config.max_line_chars:,} (max_line_chars)",
            NAME,
        )
    doc.text = text
    return doc


def _decode_bytes(doc: Document, raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            doc.metadata.setdefault("encoding", encoding.replace("_", "-"))
            return _decode_reporting(doc, raw[len(bom) :], encoding)
    declared = doc.metadata.get("charset")
    if isinstance(declared, str) and declared.strip():
        # A charset the page's server declared (a WARC response's Content-Type) is trusted when the bytes
        # decode with it; otherwise it was wrong, and detection decides.
        try:
            text = raw.decode(_codec_name(declared))
            doc.metadata.setdefault("encoding", _codec_name(declared).replace("_", "-"))
            return text
        except (LookupError, UnicodeDecodeError):
            pass
    meta = _meta_charset(raw) if doc.is_html or _looks_like_markup(raw) else None
    if meta is not None:
        # The page's own <meta> charset comes next: trusted when the bytes decode with it, or with only
        # a few bad sequences (replaced and reported) when they decode no better as UTF-8.
        try:
            text = raw.decode(meta)
            doc.metadata.setdefault("encoding", meta.replace("_", "-"))
            return text
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("utf-8")
        doc.metadata.setdefault("encoding", "utf-8")
        return text
    except UnicodeDecodeError:
        pass
    if meta is not None and _mostly_decodes(raw, meta):
        doc.metadata.setdefault("encoding", meta.replace("_", "-"))
        return _decode_reporting(doc, raw, meta)
    encoding = detect_encoding(raw)
    doc.metadata.setdefault("encoding", encoding.replace("_", "-"))
    return _decode_reporting(doc, raw, encoding)


def _looks_like_markup(raw: bytes) -> bool:
    return b"<" in raw[:_META_WINDOW] and b"charset" in raw[:_META_WINDOW].lower()


def _meta_charset(raw: bytes) -> str | None:
    """The codec named by a <meta charset> or <meta http-equiv> in the page's first bytes, if Python has it."""
    found = _META_CHARSET.search(raw[:_META_WINDOW])
    if found is None:
        return None
    try:
        return _codec_name(found.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def _mostly_decodes(raw: bytes, encoding: str) -> bool:
    """Whether `raw` decodes with `encoding` but for a few bad sequences (a page with some broken bytes)."""
    try:
        text = raw.decode(encoding, errors="replace")
    except LookupError:
        return False
    return text.count("\ufffd") <= max(MAX_BAD_SHARE * len(text), 1)


def _codec_name(declared: str) -> str:
    """Python's codec for a declared charset; GB2312 and GBK labels read as their superset GB18030."""
    name = codecs.lookup(declared.strip().strip("\"'")).name
    return "gb18030" if name in ("gb2312", "gbk") else name


def detect_encoding(raw: bytes) -> str:
    """The encoding whose reading of `raw` looks most like Chinese text; GB18030 when nothing is sure.

    Chinese encodings are tried with strict decodes first and judged by how many of the characters they
    give are common Chinese ones: a statistical detector alone reads short GBK pages as EUC-KR or Big5.
    """
    if b"\x00" in raw[:4096] and raw.count(b"\x00") > len(raw) // 8:
        return "utf_16"
    other = _other_script_reading(raw)
    if other is not None:
        return other
    for errors in ("strict", "replace"):
        best = _best_chinese_reading(raw, errors)
        if best is not None:
            return best
    result = from_bytes(raw, cp_isolation=list(FALLBACK_ENCODINGS)).best()
    return "gb18030" if result is None else str(result.encoding)


def _other_script_reading(raw: bytes) -> str | None:
    """A non-Chinese encoding whose strict reading is in its own script and reads more like its language."""
    for encoding, script, language in OTHER_SCRIPT_ENCODINGS:
        text = _strict_decode(raw, encoding)
        if text is None:
            continue
        letters = _wide_letters(text)
        in_script = sum(1 for ch in letters if regex.match(script, ch))
        if in_script < MIN_SCRIPT_LETTERS or in_script < MIN_SCRIPT_SHARE * len(letters):
            continue
        as_chinese = _strict_decode(raw, CHINESE_ENCODINGS[0]) or ""
        if _frequent_share(text, language) > _frequent_share(as_chinese, CHINESE_LANGUAGE):
            return encoding
    return None


def _strict_decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _wide_letters(text: str) -> list[str]:
    return [ch for ch in text if ord(ch) > 0x7F and ch.isalpha()]


def _frequent_share(text: str, language: str) -> float:
    """Share of the letters of `text` among the most frequent letters of `language`."""
    letters = _wide_letters(text)
    frequent = set(FREQUENCIES.get(language, ()))
    return sum(1 for ch in letters if ch in frequent) / len(letters) if letters else 0.0


def _best_chinese_reading(raw: bytes, errors: str) -> str | None:
    """The Chinese encoding with the most common characters in its reading, if that reading is plausible."""
    scored: list[tuple[float, int, str]] = []
    for rank, encoding in enumerate(CHINESE_ENCODINGS):
        try:
            text = raw.decode(encoding, errors=errors)
        except UnicodeDecodeError:
            continue
        scored.append((common_share(text), -rank, encoding))
    if not scored:
        return None
    share, _, encoding = max(scored)
    return encoding if share >= MIN_COMMON_SHARE else None


def common_share(text: str) -> float:
    """Share of the non-ASCII characters of `text` that are common in Chinese writing (1.0 if none)."""
    # A sample is enough to tell the readings apart, and keeps detection cheap on long pages.
    wide = _WIDE.findall(text, 0, _DETECTION_SAMPLE)
    if not wide:
        return 1.0
    common = _common_characters()
    return sum(1 for ch in wide if ch in common) / len(wide)


@lru_cache(maxsize=1)
def _common_characters() -> frozenset[str]:
    """The characters of the common blocks listed in rules/decode.py, read from the codecs' tables."""
    found: set[str] = set()
    for codec, first, last, trails in COMMON_CHARACTER_BLOCKS:
        for lead in range(first, last + 1):
            for low, high in trails:
                for trail in range(low, high + 1):
                    try:
                        found.add(bytes((lead, trail)).decode(codec))
                    except UnicodeDecodeError:
                        continue
    return frozenset(found)


def _decode_reporting(doc: Document, raw: bytes, encoding: str) -> str:
    """Decode, replacing each undecodable byte sequence with U+FFFD and reporting every one of them."""
    parts: list[str] = []
    bad: list[tuple[bytes, int]] = []
    view = memoryview(raw)  # slices of a view are not copies: the loop stays linear in the page size
    position = 0
    while position < len(raw):
        try:
            parts.append(codecs.decode(view[position:], encoding))
            break
        except UnicodeDecodeError as error:
            if len(bad) >= _MAX_REPORTED:  # past this many, replace the rest without listing them
                parts.append(codecs.decode(view[position:], encoding, errors="replace"))
                bad.append((b"", 0))
                break
            parts.append(codecs.decode(view[position : position + error.start], encoding))
            line = "".join(parts).count("\n") + 1
            bad.append((raw[position + error.start : position + error.end], line))
            parts.append("\ufffd")
            position += error.end
    text = "".join(parts)
    if bad:
        _report_undecodable(doc, encoding, text.count("\ufffd"), bad)
    return text


def _without_surrogates(doc: Document, text: str) -> str:
    """A str page with lone surrogates (from a JSON escape such as "\\ud800"; not Unicode text, and no
    UTF-8 file takes them) has each replaced with U+FFFD, recorded as undecodable bytes are."""
    repaired, count = without_surrogates(text)
    if count:
        found = sorted({f"U+{ord(char):04X}" for char in SURROGATE.findall(text)})
        doc.warnings.append(f"{count} lone surrogate code point(s), replaced with U+FFFD")
        doc.record(
            stage=NAME,
            rule="lone-surrogates",
            text=" ".join(found[:20]),
            reason=f"{count} lone surrogate code point(s), not Unicode text; each replaced with U+FFFD",
            line=text.count("\n", 0, SURROGATE.search(text).start()) + 1,  # type: ignore[union-attr]
        )
    return repaired


def _report_undecodable(doc: Document, encoding: str, count: int, bad: list[tuple[bytes, int]]) -> None:
    listed = " ".join(chunk.hex(" ") for chunk, _ in bad if chunk)
    doc.warnings.append(f"{count} undecodable byte sequence(s) as {encoding}, replaced with U+FFFD")
    doc.record(
        stage=NAME,
        rule="undecodable-bytes",
        text=listed,
        reason=f"{count} byte sequence(s) not valid in {encoding}; each replaced with U+FFFD",
        line=bad[0][1],
    )


def _without_controls(doc: Document, text: str) -> str:
    """A page of text with NUL or other control characters (a scraper's stray bytes, 0x00-0x08 and
    0x0e-0x1f) keeps its text without them, recorded as a repair; _refuse_binary has refused content made
    of them."""
    found = _CONTROLS.search(text)
    if found is None:
        return text
    repaired, count = _CONTROLS.subn("", text)
    kinds = " ".join(sorted({f"U+{ord(char):04X}" for char in _CONTROLS.findall(text[: 1 << 20])})[:20])
    doc.warnings.append(f"{count} NUL or control character(s) removed")
    doc.record(
        stage=NAME,
        rule="control-bytes",
        text=kinds if count == 1 else f"{kinds} (x {count})",
        reason=f"{count} NUL or control character(s) in a page of text, stray bytes of the scraper; removed",
        line=text.count("\n", 0, found.start()) + 1,
    )
    return repaired


def _refuse_known_binary(doc: Document, raw: bytes) -> None:
    """Refuse a file that starts as an image, archive, PDF or executable does: not a page."""
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            raise CleanError(doc.source, f"content is {kind} (by its first bytes), not a page", NAME)


def _refuse_binary(doc: Document, text: str, *, decoded: bool) -> None:
    """Refuse content that is mostly not text: more than BINARY_SHARE of its first 64 KB NUL or control
    characters, or (for bytes) U+FFFD from undecodable bytes. Text given as text is not judged by its
    U+FFFD: it was decoded before (cleanpipe's own output keeps the U+FFFD of a page it cleaned)."""
    sample = text[:65536]
    controls = len(_CONTROLS.findall(sample))
    undecodable = sample.count("\ufffd") if decoded else 0
    if controls + undecodable > len(sample) * BINARY_SHARE:
        if controls >= undecodable:
            problem = f"{controls / len(sample):.0%} of its first characters are NUL or control characters"
            raise CleanError(doc.source, f"content looks binary ({problem}), not a page", NAME)
        raise CleanError(doc.source, "content is mostly undecodable bytes, not text in a known encoding", NAME)

"""decode: bytes to text. UTF-8 (with or without BOM) first, then a detected Chinese encoding.

Detection uses charset-normalizer, limited to the encodings scraped Chinese pages come in, because
asking it about every code page lets short GBK texts be read as Cyrillic or Latin-1. Undecodable bytes
become U+FFFD and are recorded; they are never dropped in silence.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from cleanpipe.config import Config
from cleanpipe.document import CleanError, Document

NAME = "decode"
_CANDIDATES = ("utf_8", "gb18030", "big5", "utf_16", "shift_jis", "euc_kr")
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
            doc.source, f"page is {size / 1e6:.1f} MB, over the limit of {config.max_page_bytes / 1e6:.1f} MB "
            "(max_page_bytes)", NAME
        )
    if isinstance(raw, str):
        text = raw
    else:
        text = _decode_bytes(doc, raw)
    if not text.strip():
        raise CleanError(doc.source, "page is empty", NAME)
    _refuse_binary(doc, text)
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
    try:
        text = raw.decode("utf-8")
        doc.metadata.setdefault("encoding", "utf-8")
        return text
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(raw)
    doc.metadata.setdefault("encoding", encoding.replace("_", "-"))
    return _decode_reporting(doc, raw, encoding)


def detect_encoding(raw: bytes) -> str:
    """The most likely of the encodings Chinese pages use; GB18030 when nothing is sure."""
    if b"\x00" in raw[:4096] and raw.count(b"\x00") > len(raw) // 8:
        return "utf_16"
    result = from_bytes(raw, cp_isolation=list(_CANDIDATES)).best()
    if result is None:
        return "gb18030"
    return str(result.encoding)


def _decode_reporting(doc: Document, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        pass
    text = raw.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    doc.warnings.append(f"{bad} undecodable byte sequence(s) as {encoding}, replaced with U+FFFD")
    doc.record(
        stage=NAME,
        rule="undecodable-bytes",
        text=f"{bad} byte sequence(s)",
        reason=f"bytes not valid in {encoding}; each replaced with U+FFFD",
    )
    return text


def _refuse_binary(doc: Document, text: str) -> None:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if "\x00" in sample or controls > len(sample) * 0.1:
        raise CleanError(doc.source, "content looks binary (NUL or many control characters), not a page", NAME)
    if sample.count("\ufffd") > len(sample) * 0.25:
        raise CleanError(doc.source, "content is mostly undecodable bytes, not text in a known encoding", NAME)

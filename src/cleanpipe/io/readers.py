"""Read pages from files, folders and glob patterns: page files, JSON Lines, JSON and WARC, each container
optionally compressed with gzip or zstandard.

`iter_pages` streams: it yields one PageRecord (or ReadFailure) at a time in a stable order (folders walked
in sorted order, records in file order), and holds at most one record, one `.json` document or one WARC
body in memory. Input that cannot be read becomes a ReadFailure and reading goes on; only a missing input
path raises (InputError), because that is a mistake in the command, not in the data.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import os
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

import zstandard

# warcio is the maintained WARC library of the Webrecorder project (also used by Common Crawl's tools):
# it parses WARC/ARC headers, HTTP headers, chunked transfer and content encodings, which are easy to get
# subtly wrong by hand.
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader as WarcBufferedReader
from warcio.bufferedreaders import ChunkedDataReader
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord

from cleanpipe.io.files import GLOB_CHARACTERS, PAGE_SUFFIXES, RUN_RECORDS, STATE_DIR, InputError, glob_base
from cleanpipe.io.naming import (
    full_record_id,
    is_safe,
    page_output,
    record_output,
    short_hash,
    with_hash,
)
from cleanpipe.io.records import PageRecord, ReadFailure
from cleanpipe.io.remote import UrlPath, check_url, is_url, url_files
from cleanpipe.io.text import has_surrogates, name_text, relative_text

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIXES = (".json",)
WARC_SUFFIXES = (".warc",)
GZIP_SUFFIX = ".gz"
# A compressed page file is refused when it decompresses to more than this (a guard against zip bombs;
# the decode stage refuses pages over the configured max_page_bytes anyway).
MAX_DECOMPRESSED_PAGE = 256_000_000
# A JSON Lines record (one line) longer than this is skipped as it is read, with a failure naming it, and
# never held whole: one line of gigabytes in a small .jsonl.gz would otherwise take the memory of the run.
MAX_RECORD_BYTES = 64_000_000
# A JSON document that is not an array (an object holding records) is loaded whole, up to this size.
MAX_JSON_DOCUMENT = 128_000_000
_JSON_ARRAY_CHUNK = 16 * 1024 * 1024
ZSTD_SUFFIX = ".zst"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Compressed input is read in pieces this size, so a highly compressible piece expands to a few MB at most.
CHUNK_BYTES = 16 * 1024
DRAIN_BYTES = 64 * 1024
# How many of a record's field names a "no text field" failure lists.
FIELDS_SHOWN = 12


@dataclass(frozen=True)
class ReadOptions:
    """Where readers look for each part of a record. Each tuple is tried in order; the first present,
    non-empty value wins. Title, URL, id and date are also looked up one level down, in a field holding
    an object (ChineseWebText keeps url and title in "info", others use "meta")."""

    text_fields: tuple[str, ...] = ("text", "content", "raw_content", "html", "raw_html", "body", "paragraphs")
    html_fields: tuple[str, ...] = ("html", "raw_html")  # a text taken from one of these is HTML
    id_fields: tuple[str, ...] = ("id", "doc_id", "uniqueKey", "digest")
    url_fields: tuple[str, ...] = ("url", "source_url", "link")
    title_fields: tuple[str, ...] = ("title",)
    date_fields: tuple[str, ...] = ("date",)  # goes to metadata["date"]
    # WARC responses that are pages: HTML, and plain text. Other types (images, PDF, CSS, scripts) are skipped.
    warc_html_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")
    warc_text_types: tuple[str, ...] = ("text/plain",)
    exclude: Path | None = None  # an output folder inside an input folder is not read


@dataclass(frozen=True)
class InputFile:
    """A file to read and its path relative to its input root (the id of a page file, the prefix of a
    record's id). Folder walks and patterns only give files of a known type; a file named explicitly may be
    of any type, and an unknown one is a failure."""

    path: Path | UrlPath  # a UrlPath for an input given as a URL (s3://, file://, ...)
    relative: PurePosixPath
    keep_suffix: bool = False  # another page file of its folder has the same stem

    def __post_init__(self) -> None:
        # A name that is not UTF-8 becomes text here, once, for the page's id and output (io/text.py).
        object.__setattr__(self, "relative", relative_text(self.relative))

    @property
    def where(self) -> str:
        """The file's path as text, for messages and the state."""
        return name_text(str(self.path))

    @property
    def renamed(self) -> bool:
        """The file's name is not UTF-8 and was read as text another way (io/text.py)."""
        return has_surrogates(str(self.path))


@dataclass(frozen=True)
class ReadStart:
    """Where a record starts in its file, so a reader can start there without parsing what comes before:
    its position (a JSON Lines line number, a WARC record number, an index in a JSON array; 0 for a page
    file), the byte offset of its first byte when the file is read as it is stored (not compressed; else
    -1), and its ordinal: how many items (pages and failures) the file gives before it."""

    position: int = 0
    offset: int = -1
    ordinal: int = 0


class TruncatedInput(OSError):
    """A compressed stream that ends in the middle of a frame."""


def iter_pages(
    inputs: Sequence[str | Path], options: ReadOptions = ReadOptions()
) -> Iterator[PageRecord | ReadFailure]:
    """Every page under the inputs (files, folders, glob patterns), in a stable order.

    Ids and outputs are unique within the call: within one input they are by construction (relative paths,
    per-container disambiguation); across several inputs a clash (two folders both holding 'a.txt') is
    resolved by suffixing the later one ('a.txt#2', output 'a-<hash>'), which needs a set of 8-byte
    digests, so it is only kept when there is more than one input.
    """
    seen = Uniquifier() if len(inputs) > 1 else None
    for file in iter_files(inputs, options):
        for result in read_file(file, options):
            yield seen.unique(result) if seen and isinstance(result, PageRecord) else result


def iter_files(inputs: Sequence[str | Path], options: ReadOptions = ReadOptions()) -> Iterator[InputFile]:
    """The files under the inputs, in the order iter_pages reads them. Raises InputError for a missing
    input before yielding anything."""
    roots = [_check_exists(item) for item in inputs]
    for item in roots:
        yield from _files_of(item, options)


def read_file(file: InputFile, options: ReadOptions = ReadOptions()) -> Iterator[PageRecord | ReadFailure]:
    """The pages of one file, by its suffix; ids and outputs are unique within the file."""
    for _, item in read_places(file, options):
        yield item


def read_places(
    file: InputFile, options: ReadOptions = ReadOptions(), start: ReadStart | None = None
) -> Iterator[tuple[ReadStart, PageRecord | ReadFailure]]:
    """The items of one file, each with where its record starts. From `start` (a place an earlier read
    gave), the items from that record on, the same as a whole read gives them, but with ids and outputs
    made unique only among them (a caller starting midway knows the whole read's)."""
    kind, compression = file_kind(file.path.name)
    if kind is None:
        yield (
            ReadStart(),
            ReadFailure(file.relative.as_posix(), file.where, "unknown file type: " + _suffixes_expected()),
        )
        return
    if kind == "page":
        yield ReadStart(), _page_file(file, compression)
        return
    reader = {"jsonl": _read_jsonl, "json": _read_json, "warc": _read_warc}[kind]
    container = _Container(file, options, start or ReadStart())
    try:
        with _open_container(file.path, compression, members=kind == "warc") as stream:
            container.stored = stream if _is_stored(stream) else None
            container.members = getattr(getattr(stream, "raw", None), "members", None)
            for item in reader(container, stream):
                yield container.place, item
                container.count += 1
    except OSError as error:  # the file cannot be opened or read (permissions, an I/O error)
        yield container.place, ReadFailure(file.relative.as_posix(), file.where, f"cannot read: {error}")


def file_kind(name: str) -> tuple[str | None, str | None]:
    """('page' | 'jsonl' | 'json' | 'warc' | None, 'gzip' | 'zstd' | None) from a file name's suffixes."""
    lower = name.lower()
    compression = None
    if lower.endswith(GZIP_SUFFIX):
        compression, lower = "gzip", lower[: -len(GZIP_SUFFIX)]
    elif lower.endswith(ZSTD_SUFFIX):
        compression, lower = "zstd", lower[: -len(ZSTD_SUFFIX)]
    suffix = os.path.splitext(lower)[1]
    if suffix in PAGE_SUFFIXES:
        return "page", compression
    for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("json", JSON_SUFFIXES), ("warc", WARC_SUFFIXES)):
        if suffix in suffixes:
            return kind, compression
    return None, None


# -- finding files ------------------------------------------------------------------------------------


def _check_exists(item: str | Path) -> str | Path:
    text = str(item)
    if is_url(text):
        check_url(text, globbing=bool(GLOB_CHARACTERS & set(text)))
        return item
    if Path(text).exists():
        return item
    if GLOB_CHARACTERS & set(text):
        if not glob.glob(text, recursive=True):
            raise InputError(f"{text}: no file or folder matches this pattern")
        return item
    raise InputError(f"{text}: no such file or folder")


def _files_of(item: str | Path, options: ReadOptions) -> Iterator[InputFile]:
    if is_url(item):
        yield from _url_files_of(str(item))
        return
    path = Path(item)
    excluded = options.exclude.resolve() if options.exclude else None
    if path.exists():  # a literal path wins over a pattern: a file may be named 'a[1].txt'
        if path.is_dir():
            yield from _walk(path, path, _excluded_within(excluded, path))
        else:
            yield InputFile(path, PurePosixPath(path.name))
        return
    base = glob_base(Path(str(item)))
    skip = _excluded_within(excluded, base)
    for match in sorted(glob.glob(str(item), recursive=True)):
        found = Path(match)
        if skip and (found.resolve() == skip or skip in found.resolve().parents):
            continue
        if _own_output(found):
            continue
        if found.is_dir():
            yield from _walk(found, base, skip)
        elif file_kind(found.name)[0] is not None:  # a pattern is like a folder: other files are skipped
            yield InputFile(found, PurePosixPath(found.relative_to(base).as_posix()))


def _url_files_of(url: str) -> Iterator[InputFile]:
    """The files under a URL, as a local input of the same shape gives them (the output folder is local,
    so there is none to skip)."""
    files, named = url_files(url, globbing=bool(GLOB_CHARACTERS & set(url)))
    if named:
        yield InputFile(files[0][0], files[0][1])
        return
    pages: dict[PurePosixPath, list[str]] = {}
    for path, relative in files:
        if file_kind(path.name)[0] == "page":
            pages.setdefault(relative.parent, []).append(path.name)
    stems = {folder: _shared_stems(names) for folder, names in pages.items()}
    for path, relative in files:
        if file_kind(path.name)[0] is not None:
            yield InputFile(path, relative, keep_suffix=_stem(path.name) in stems.get(relative.parent, set()))


def check_output_apart(inputs: Sequence[str | Path], output: Path) -> None:
    """InputError when the output folder is an input folder (or a pattern's folder) or holds one: the next
    run would walk into its outputs. An output folder inside an input folder is fine (the walk skips it)."""
    target = output.resolve()
    for item in inputs:
        text = str(item)
        if is_url(text):
            continue
        root = Path(text) if Path(text).exists() or not GLOB_CHARACTERS & set(text) else glob_base(Path(text))
        if not root.is_dir():
            continue  # a file named alone is read alone
        root = root.resolve()
        if target == root or target in root.parents:
            where = "is the input folder" if target == root else "holds the input folder"
            raise InputError(
                f"--output {output} {where} {text}: its outputs would be read back as pages; choose a folder "
                "outside it (or one inside it, which is never read)"
            )


def _own_output(path: Path) -> bool:
    """A run's state folder or something in it, or one of its records beside a state folder."""
    if STATE_DIR in path.parts[:-1] or (path.name == STATE_DIR and path.is_dir()):
        return True
    return path.name in RUN_RECORDS and (path.parent / STATE_DIR).is_dir()


def _excluded_within(excluded: Path | None, root: Path) -> Path | None:
    """The output folder to skip under this root (an output folder that *is* the root, or holds it, is
    refused before reading: check_output_apart)."""
    return excluded if excluded and excluded != root.resolve() else None


def _walk(folder: Path, root: Path, skip: Path | None) -> Iterator[InputFile]:
    """Files under the folder in sorted path order (the order of `sorted(root.rglob('*'))`), skipping
    unknown suffixes, the excluded folder, and what a cleanpipe run keeps beside its pages (its state
    folder, and its records in a folder that has one). Symbolic links to folders are not followed."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:  # an unreadable folder holds no pages we can read
        return
    # A cleanpipe output folder (it has a state folder): its records are not pages.
    output_folder = any(entry.name == STATE_DIR and entry.is_dir() for entry in entries)
    entries = [
        entry
        for entry in entries
        if entry.name != STATE_DIR and not (output_folder and entry.name in RUN_RECORDS and entry.is_file())
    ]
    pages = [entry.name for entry in entries if entry.is_file() and file_kind(entry.name)[0] == "page"]
    stems = _shared_stems(pages)
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if skip is None or path.resolve() != skip:
                yield from _walk(path, root, skip)
        elif entry.is_file() and file_kind(entry.name)[0] is not None:
            relative = PurePosixPath(path.relative_to(root).as_posix())
            yield InputFile(path, relative, keep_suffix=_stem(entry.name) in stems)


def _shared_stems(names: Iterable[str]) -> set[str]:
    """Stems two page files of one folder share; compared case-folded, for case-insensitive file systems."""
    counts: dict[str, int] = {}
    for name in names:
        counts[_stem(name)] = counts.get(_stem(name), 0) + 1
    return {stem for stem, count in counts.items() if count > 1}


def _stem(name: str) -> str:
    return os.path.splitext(_uncompressed_name(name))[0].casefold()


def _uncompressed_name(name: str) -> str:
    """'a.html.gz' -> 'a.html': the name of a page file without its compression suffix."""
    for suffix in (GZIP_SUFFIX, ZSTD_SUFFIX):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _suffixes_expected() -> str:
    containers = JSONL_SUFFIXES + JSON_SUFFIXES + WARC_SUFFIXES
    return f"expected one of {', '.join(PAGE_SUFFIXES + containers)} (each optionally .gz or .zst)"


# -- page files ---------------------------------------------------------------------------------------


def _page_file(file: InputFile, compression: str | None = None) -> PageRecord | ReadFailure:
    identity = file.relative.as_posix()
    try:
        if compression is None:
            data = file.path.read_bytes()
        else:
            with _open_container(file.path, compression) as stream:
                data = stream.read(MAX_DECOMPRESSED_PAGE + 1)
                error = stream_error(stream)
            if error is not None:
                return ReadFailure(identity, file.where, _stream_problem(error))
            if len(data) > MAX_DECOMPRESSED_PAGE:
                return ReadFailure(identity, file.where, f"decompresses to over {MAX_DECOMPRESSED_PAGE:,} bytes")
    except OSError as error:
        return ReadFailure(identity, file.where, f"cannot read: {error}")
    # 'a.html.gz' is the page 'a.html': its output is 'a', and it is read as HTML.
    plain = file.relative.with_name(_uncompressed_name(file.relative.name))
    return PageRecord(
        id=identity,
        source=file.where,
        data=data,
        output=page_output(plain, keep_suffix=file.keep_suffix),
        html=PurePosixPath(plain.name).suffix.lower() in HTML_SUFFIXES,
    )


# -- decompression ------------------------------------------------------------------------------------


@contextmanager
def _open_container(path: Path | UrlPath, compression: str | None, members: bool = False) -> Iterator[IO[bytes]]:
    """The file's decompressed bytes as a stream. A compression suffix decides; without one the first
    bytes do, so a gzipped file named '.jsonl' still reads. A decompression error ends the stream as if
    the file ended there and is kept for `stream_error`, so every byte decoded before it is still read.
    With `members`, gzip is read member by member (see _GzipMembers, kept as the stream's `raw.members`)."""
    with path.open("rb") as raw:
        if compression is None:
            magic = raw.peek(4)[:4]
            compression = "gzip" if magic.startswith(GZIP_MAGIC) else "zstd" if magic == ZSTD_MAGIC else None
        if compression == "gzip" and members:
            guarded = _Guarded((reader := _GzipMembers(raw)).read)
            guarded.members = reader
            with io.BufferedReader(guarded) as stream:
                yield stream
        elif compression == "gzip":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                with io.BufferedReader(_Guarded(unzipped.read1)) as stream:
                    yield stream
        elif compression == "zstd":
            unzstd = _ZstdReader(raw)
            with io.BufferedReader(_Guarded(unzstd.read)) as stream:
                yield stream
        else:
            yield raw


def _is_stored(stream: IO[bytes]) -> bool:
    """The stream is the file as stored (not decompressed) and can seek: byte offsets in it can be used."""
    return not isinstance(getattr(stream, "raw", None), _Guarded) and stream.seekable()


def stream_error(stream: IO[bytes]) -> Exception | None:
    """The decompression error that ended the stream early, if any."""
    guard = getattr(stream, "raw", None)
    return guard.error if isinstance(guard, _Guarded) else None


class _Guarded(io.RawIOBase):
    """Turns a decompression error into the end of the stream, keeping the error. Without this, a buffered
    reader asked for a line or a block drops the bytes it had already decoded when the next piece fails,
    so the last good records before the damage would be lost."""

    def __init__(self, read_some: Callable[[int], bytes]) -> None:
        self._read_some = read_some  # returns what is available, at most one piece: read1 semantics
        self.error: Exception | None = None
        self._position = 0
        self.members: _GzipMembers | None = None

    def readable(self) -> bool:
        return True

    def tell(self) -> int:  # warcio asks where a record ends
        return self._position

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self.error is not None:
            return 0
        target = memoryview(buffer).cast("B")
        try:
            data = self._read_some(len(target))
        except STREAM_ERRORS as error:
            self.error = error
            return 0
        target[: len(data)] = data
        self._position += len(data)
        return len(data)


class _GzipMembers:
    """Decompresses a stream of gzip members, a piece at a time, as gzip.GzipFile does (zero padding
    between members skipped, a truncated member an EOFError), and remembers where each member starts in
    the file and in the decompressed stream. A WARC file is written one member a record, so a record can
    be read again from its member without reading the file up to it."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._raw = 0  # the file offset after the bytes read from source
        self._member: Any = None  # the current member's decompressor
        self._pending = b""  # bytes read from the file and not yet decompressed
        self._out = b""
        self._offset = 0
        self._produced = 0  # decompressed bytes before _out
        self._starts: deque[tuple[int, int]] = deque()  # (decompressed offset, file offset) of members

    def restart_at(self, offset: int) -> None:
        """Read from the member that starts at `offset` in the file (before anything was read)."""
        self._source.seek(offset)
        self._raw = offset

    def file_offset(self, decompressed: int) -> int:
        """Where the member that starts at `decompressed` in the stream starts in the file; -1 when no
        member starts there. Asked in increasing order."""
        while self._starts and self._starts[0][0] < decompressed:
            self._starts.popleft()
        if self._starts and self._starts[0][0] == decompressed:
            return self._starts[0][1]
        return -1

    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; b'' at the end of the last complete member."""
        while self._offset >= len(self._out):
            if not self._pending:
                self._pending = self._source.read(CHUNK_BYTES)
                self._raw += len(self._pending)
                if not self._pending:
                    if self._member is not None:
                        raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                    return b""
            if self._member is None:
                self._pending = self._pending.lstrip(b"\0")
                if not self._pending:
                    continue
                self._starts.append((self._produced + len(self._out), self._raw - len(self._pending)))
                self._member = zlib.decompressobj(wbits=31)
            self._produced += len(self._out)
            self._out, self._offset = self._member.decompress(self._pending, CHUNK_BYTES * 4), 0
            if self._member.eof:
                self._pending, self._member = self._member.unused_data, None
            else:
                self._pending = self._member.unconsumed_tail
        piece = self._out[self._offset : self._offset + size]
        self._offset += len(piece)
        return piece


class _ZstdReader:
    """Decompresses a stream of zstandard frames, a piece at a time. `zstandard`'s own stream_reader
    returns a short read without an error when the input ends inside a frame; this raises TruncatedInput."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame = self._decompressor.decompressobj()
        self._in_frame = False
        self._pending = b""
        self._out = b""
        self._offset = 0

    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; b'' at the end of the last complete frame."""
        while self._offset >= len(self._out):
            if not self._pending:
                self._pending = self._source.read(CHUNK_BYTES)
                if not self._pending:
                    if self._in_frame:
                        raise TruncatedInput("zstandard stream ends in the middle of a frame (truncated file)")
                    return b""
            data, self._pending = self._pending, b""
            self._in_frame = True
            self._out, self._offset = self._frame.decompress(data), 0
            if self._frame.eof:  # a file may hold several frames, one after the other
                self._pending = self._frame.unused_data
                self._frame = self._decompressor.decompressobj()
                self._in_frame = False
        piece = self._out[self._offset : self._offset + size]
        self._offset += len(piece)
        return piece


# Errors that mean the bytes of a (compressed) file are damaged: reading that file stops with a failure.
STREAM_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def _stream_problem(error: Exception) -> str:
    if isinstance(error, EOFError):
        return f"compressed stream is truncated ({error})"
    if isinstance(error, TruncatedInput):
        return str(error)
    if isinstance(error, (zlib.error, gzip.BadGzipFile)):
        return f"corrupt gzip stream ({error})"
    if isinstance(error, zstandard.ZstdError):
        return f"corrupt zstandard stream ({error})"
    return f"cannot read: {error}"


# -- JSON records -------------------------------------------------------------------------------------


class _Container:
    """The records of one container file: keeps their ids unique (a duplicate id gets '#<position>'), and
    where the record being read starts (`place`), from `start` on."""

    def __init__(self, file: InputFile, options: ReadOptions, start: ReadStart = ReadStart()) -> None:
        self.file = file
        self.options = options
        self.start = start
        self.keys: set[str] = set()
        self.place = start
        self.count = start.ordinal  # items given so far (counting those before `start`)
        self.stored: IO[bytes] | None = None  # the file as stored, when byte offsets can be used
        self.members: _GzipMembers | None = None  # a gzip file read member by member (a WARC)

    def at(self, position: int, offset: int = -1) -> bool:
        """A record begins at `position` (and `offset`): whether to read it (it is not before the start)."""
        if position < self.start.position:
            return False
        self.place = ReadStart(position, offset, self.count)
        return True

    def seek_start(self) -> int:
        """Go to the start's record when the file can seek there (stored as it is, or to a gzip member):
        the position before it, else 0 (reading starts at the file's start)."""
        if self.start.offset < 0 or self.start.position < 1:
            return 0
        if self.members is not None:
            self.members.restart_at(self.start.offset)
        elif self.stored is not None:
            self.stored.seek(self.start.offset)
        else:
            return 0
        return self.start.position - 1

    def failure(self, where: str, problem: str, position: int | None = None) -> ReadFailure:
        identity = full_record_id(self.file.relative, None, position) if position else self.file.relative.as_posix()
        return ReadFailure(identity, f"{self.file.where} {where}".strip(), problem)

    def unique_key(self, key: str | None, position: int) -> str:
        """The record's key within the container: its own id, else its position; a key seen before in
        this container gets '#<position>' appended (deterministic, and positions never repeat)."""
        candidate = key if key is not None else str(position)
        while candidate in self.keys:
            candidate = f"{candidate}#{position}"
        self.keys.add(candidate)
        return candidate

    def pages(self, record: Any, position: int, where: str) -> Iterator[PageRecord | ReadFailure]:
        """The page of one record, or the pages nested in it (DuReader's documents), or a failure."""
        if not isinstance(record, dict):
            yield self.failure(where, f"expected a JSON object, found {_json_type(record)}", position)
            return
        found = _text_of(record, self.options)
        if found is not None:
            own_id = _id_of(record, self.options)
            yield self.page(record, found, own_id, own_id is None, position, where)
            return
        nested = _nested_records(record, self.options)
        if nested is None:
            yield self.failure(where, _no_text_problem(record, self.options), position)
            return
        field, items = nested
        parent = _id_of(record, self.options) or str(position)
        for number, item in enumerate(items, 1):
            item_where = f"{where} {field}[{number}]"
            text = _text_of(item, self.options)
            if text is None:
                key = self.unique_key(f"{parent}.{number}", position)
                identity = full_record_id(self.file.relative, key, position)
                yield ReadFailure(identity, f"{self.file.where} {item_where}", _no_text_problem(item, self.options))
            else:
                yield self.page(item, text, f"{parent}.{number}", True, position, item_where)

    def page(
        self,
        record: Mapping[str, Any],
        found: tuple[str, bool],
        key: str | None,
        by_url: bool,
        position: int,
        where: str,
    ) -> PageRecord:
        """A page named after its key, or after its URL when `by_url` (the record has no id of its own)."""
        text, html = found
        key = self.unique_key(key, position)
        url = _field(record, self.options.url_fields)
        date = _field(record, self.options.date_fields)
        return PageRecord(
            id=full_record_id(self.file.relative, key, position),
            source=f"{self.file.where} {where}",
            data=text,
            output=record_output(self.file.relative, key, url, position, prefer_url=by_url),
            html=html,
            url=url,
            title=_field(record, self.options.title_fields),
            metadata={"date": date} if date else {},
        )


def _read_jsonl(container: _Container, stream: IO[bytes]) -> Iterator[PageRecord | ReadFailure]:
    before = container.seek_start()
    yield from _jsonl_lines(
        container, _bounded_lines(stream, tell=container.stored), lambda: stream_error(stream), before
    )


def _bounded_lines(
    stream: IO[bytes], first: bytes | None = b"", tell: IO[bytes] | None = None
) -> Iterator[tuple[int, bytes | None]]:
    """The stream's lines (after `first`, a line already read at offset 0, when given), None in place of a
    line longer than MAX_RECORD_BYTES, which is read through in pieces and dropped; each with the offset
    where it starts in `tell` (the stream as stored; -1 without one)."""
    if first is None or first:
        yield 0, first
    while True:
        offset = tell.tell() if tell is not None else -1
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        yield offset, _whole_or_none(line, stream)


def _whole_or_none(line: bytes, stream: IO[bytes]) -> bytes | None:
    """`line`, read with a limit; None when the limit cut it (the rest of the line is read and dropped)."""
    if len(line) <= MAX_RECORD_BYTES or line.endswith(b"\n"):
        return line
    while (rest := stream.readline(CHUNK_BYTES)) and not rest.endswith(b"\n"):
        pass
    return None


def _jsonl_lines(
    container: _Container,
    lines: Iterable[tuple[int, bytes | None]],
    damage_of: Callable[[], Exception | None],
    before: int = 0,
) -> Iterator[PageRecord | ReadFailure]:
    """One record a line (the first numbered `before` + 1); a line that is not JSON is a failure and
    reading goes on with the next one, and so is a line over MAX_RECORD_BYTES (None). A damaged compressed
    stream ends the file with one failure (its last, partial line is not reported). Lines before the
    container's start are passed over unparsed."""
    number = before
    try:
        for number, (offset, line) in enumerate(lines, before + 1):  # noqa: B007 - `number` is read after the loop
            if not container.at(number, offset):
                continue
            if line is None:
                problem = f"a record of over {MAX_RECORD_BYTES:,} bytes (one line); skipped"
                yield container.failure(f"line {number}", problem, number)
                continue
            if not line.strip():
                continue
            if not line.endswith(b"\n") and damage_of() is not None:
                break  # the partial line the damage cut short: reported below, as the stream's problem
            try:
                record = json.loads(line)
            except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
                yield container.failure(f"line {number}", _json_problem(error, line), number)
                continue
            yield from container.pages(record, number, f"line {number}")
    except STREAM_ERRORS as error:
        yield container.failure(f"after line {number}", _stream_problem(error))
        return
    damage = damage_of()
    if damage is not None:
        yield container.failure(f"line {number}" if number else "", _stream_problem(damage))


def _read_json(container: _Container, stream: IO[bytes]) -> Iterator[PageRecord | ReadFailure]:
    """A JSON array of records, an object holding one list of records ({"RECORDS": [...]}), one record, or
    JSON Lines in a file named '.json' (DuReader's search.train.json). JSON Lines and arrays are streamed
    (an array through ijson, record by record, none over MAX_RECORD_BYTES); an object is loaded whole, up
    to MAX_JSON_DOCUMENT bytes."""
    options = container.options
    before = container.seek_start()  # only a JSON Lines file gives a start with an offset
    if before:
        yield from _jsonl_lines(container, _bounded_lines(stream, tell=container.stored), lambda: None, before)
        return
    try:
        first = stream.readline(MAX_RECORD_BYTES + 1)
        if _is_json_object(first):
            lines = _bounded_lines(stream, _whole_or_none(first, stream), tell=container.stored)
            yield from _jsonl_lines(container, lines, lambda: stream_error(stream))
            return
        if first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            yield from _json_array(container, first, stream)
            return
        whole = first + stream.read(MAX_JSON_DOCUMENT + 1 - len(first))
        if len(whole) > MAX_JSON_DOCUMENT:
            yield container.failure(
                "",
                f"a JSON document of over {MAX_JSON_DOCUMENT:,} bytes that is not an array; "
                "write it as JSON Lines or an array to have it read record by record",
            )
            return
    except STREAM_ERRORS as error:
        yield container.failure("", _stream_problem(error))
        return
    damage = stream_error(stream)
    if damage is not None:
        yield container.failure("", _stream_problem(damage))
        return
    try:
        document = json.loads(whole)
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError) and error.msg == "Extra data":  # JSON Lines after all
            yield from _jsonl_lines(container, _bounded_lines(io.BytesIO(whole)), lambda: None)
        else:
            yield container.failure("", _json_problem(error, whole))
        return
    records, where = _records_of_document(document, options)
    for position, record in enumerate(records, 1):
        if container.at(position):
            yield from container.pages(record, position, f"{where} {position}" if where else "")


class _RecordTooLarge(Exception):
    """Raised by _Metered when one array record runs over MAX_RECORD_BYTES of input."""


class _Metered(io.RawIOBase):
    """A stream that starts with bytes already read, then reads on from the file; it counts what was read
    since the last record ended and stops a record that runs over MAX_RECORD_BYTES."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head, self.at, self.stream, self.read_bytes, self.record_start = memoryview(head), 0, stream, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.read_bytes - self.record_start > MAX_RECORD_BYTES:
            raise _RecordTooLarge
        data: bytes | memoryview
        if self.at < len(self.head):  # a view, not slices: the head may be a whole file of one line
            data = self.head[self.at : self.at + len(buffer)]
            self.at += len(data)
        else:
            data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


def _json_array(container: _Container, first: bytes, stream: IO[bytes]) -> Iterator[PageRecord | ReadFailure]:
    """The records of a JSON array, parsed as they are read (ijson): memory holds one record at a time. A
    record over MAX_RECORD_BYTES, or JSON that breaks off, ends the file's reading with a failure after
    the records before it."""
    import ijson

    metered = _Metered(first, stream)
    position = 0
    try:
        # ijson's C backend grows a long string chunk by chunk at a cost quadratic in the chunks it spans:
        # large chunks keep a record of tens of MB to seconds (64 KB chunks: minutes).
        items = ijson.items(metered, "item", use_float=True, buf_size=_JSON_ARRAY_CHUNK)
        for position, record in enumerate(items, 1):
            metered.record_start = metered.read_bytes
            if container.at(position):
                yield from container.pages(record, position, f"record {position}")
    except _RecordTooLarge:
        yield container.failure(
            "", f"record {position + 1} is over {MAX_RECORD_BYTES:,} bytes; the rest of the file is skipped"
        )
    except STREAM_ERRORS as error:
        yield container.failure("", _stream_problem(error))
    except (ijson.JSONError, ValueError) as error:  # ijson's own errors, and text that is not UTF-8
        yield container.failure("", f"not valid JSON after record {position}: {error}")


def _records_of_document(document: Any, options: ReadOptions) -> tuple[list[Any], str]:
    """The records of a whole JSON document and how to name one's place ('RECORDS' for {"RECORDS": [...]})."""
    if isinstance(document, list):
        return document, "record"
    if isinstance(document, dict) and _text_of(document, options) is None:
        lists = [key for key, value in document.items() if _is_list_of_objects(value)]
        if len(lists) == 1:
            return document[lists[0]], f"{lists[0]} record"
    return [document], ""


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _json_problem(error: ValueError, text: bytes) -> str:
    if isinstance(error, UnicodeDecodeError):
        problem = f"not UTF-8 text: {error.reason} at byte {error.start}"
        if error.end >= len(text.rstrip()) and not text.endswith(b"\n"):
            problem += " (the file ends inside this record: truncated?)"
        return problem
    if isinstance(error, json.JSONDecodeError):
        place = f"column {error.colno}" if error.lineno == 1 else f"line {error.lineno} column {error.colno}"
        problem = f"invalid JSON: {error.msg} ({place})"
        if not text.endswith(b"\n"):  # the last line of the file, cut short
            problem += " (the file ends inside this record: truncated?)"
        return problem
    return f"invalid JSON: {error}"


def _text_of(record: Mapping[str, Any], options: ReadOptions) -> tuple[str, bool] | None:
    """(text, is HTML) from the first text field holding a string or a list of strings (joined by
    newlines, as DuReader's paragraphs); an empty value counts only if no later field has text."""
    empty: tuple[str, bool] | None = None
    for name in options.text_fields:
        value = record.get(name)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "\n".join(value)
        if isinstance(value, str):
            if value.strip():
                return value, name in options.html_fields
            empty = empty or (value, name in options.html_fields)
    return empty


def _nested_records(record: Mapping[str, Any], options: ReadOptions) -> tuple[str, list[Any]] | None:
    """The first field holding a list of objects of which one has a text field (DuReader's documents)."""
    for name, value in record.items():
        if _is_list_of_objects(value) and any(_text_of(item, options) is not None for item in value):
            return name, value
    return None


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _field(record: Mapping[str, Any], names: Sequence[str]) -> str | None:
    """The first non-empty string among the fields, at the top level, then inside object fields."""
    for layer in _layers(record):
        for name in names:
            value = layer.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _id_of(record: Mapping[str, Any], options: ReadOptions) -> str | None:
    for layer in _layers(record):
        for name in options.id_fields:
            value = layer.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _layers(record: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield record
    for value in record.values():
        if isinstance(value, dict):
            yield value


def _no_text_problem(record: Any, options: ReadOptions) -> str:
    if not isinstance(record, dict):
        return f"expected a JSON object, found {_json_type(record)}"
    fields = list(record)
    shown = ", ".join(fields[:FIELDS_SHOWN]) + (", …" if len(fields) > FIELDS_SHOWN else "")
    return (
        f"no text field: looked for {', '.join(options.text_fields)} (a string or a list of strings), "
        f"and for a list of such records; the record has {shown or 'no fields'}"
    )


# -- WARC -----------------------------------------------------------------------------------------------


def _read_warc(container: _Container, stream: IO[bytes]) -> Iterator[PageRecord | ReadFailure]:
    """Response records with an HTML or text body are pages; other records are skipped. The stream is
    already decompressed (gzip or zstd), so a damaged file shows as a decompression error, a record shorter
    than its Content-Length, or a header warcio cannot parse. Damage and truncation end the file with a
    failure naming the record, after the pages before it; a record that is not a valid WARC record is a
    failure too, and reading goes on from the next line that starts a WARC record (the records after it
    are kept, without byte offsets). Records before the container's start are read through, not kept."""
    options = container.options
    members = container.members
    position = container.seek_start()
    archive = ArchiveIterator(stream)
    records = iter(archive)
    resynced = False
    warned: list[str] = []  # what warcio said between records, for the next page
    while True:
        # warcio reports damage with many exception types (ArchiveLoadFailed, ValueError, even AttributeError
        # on a garbled header), so any exception from it is a failure of this file, never the run.
        try:
            with _warcio_says() as said:
                record = next(records)
            if said.getvalue().strip():
                warned.append(_boundary_warning(said.getvalue()))
            # Where the record starts in the file: in a file stored as it is, or at a gzip member's start.
            offset = -1
            if resynced:
                pass  # warcio counts from where reading went on, not from the file's start
            elif members is not None:
                offset = members.file_offset(archive.offset)
            elif container.stored is not None:
                offset = archive.offset  # warcio counts from where the file was when it began
            if container.at(position + 1, offset):
                page = _warc_page(container, record, position + 1, options)
            else:  # before the start: read through, not kept
                _drain(record.raw_stream)
                page = None
        except StopIteration:
            damage = stream_error(stream)
            if damage is not None:
                yield container.failure(f"record {position + 1}", _stream_problem(damage), position + 1)
            return
        except Exception as error:
            problem = _warc_problem(error, stream, archive)
            if position + 1 >= container.start.position:  # not a record before the start
                yield container.failure(f"record {position + 1}", problem, position + 1)
            resumed = _next_record(archive.reader) if problem.startswith(_INVALID_RECORD) else None
            if resumed is None:
                return
            archive, resynced = ArchiveIterator(resumed), True
            records = iter(archive)
            position += 1
            continue
        position += 1
        if isinstance(page, PageRecord) and warned:
            page, warned = replace(page, repairs=(*page.repairs, *warned)), []
        if page is not None:
            yield page


@contextmanager
def _warcio_says() -> Iterator[io.StringIO]:
    """What warcio writes to stderr meanwhile: it warns there, not through logging, which would put
    lines that are not cleanpipe's (not JSON under --log-format json) in the run's log. Kept instead, to
    be reported with the page it concerns."""
    captured = io.StringIO()
    with redirect_stderr(captured):
        yield captured


def _boundary_warning(said: str) -> str:
    text = " ".join(said.split())
    if len(text) > 200:
        text = text[:200] + "…"
    return (
        "the WARC record before this page's does not end where its Content-Length says, so one of them may "
        f"be cut or hold part of the other (warcio: {text})"
    )


_INVALID_RECORD = "invalid WARC record"
_WARC_VERSIONS = (b"WARC/1.", b"WARC/0.")


def _next_record(reader: Any) -> IO[bytes] | None:
    """The rest of a WARC from the next line that starts a record (None when there is none), after a
    record that could not be read: `reader` is warcio's reader, holding what it read ahead."""
    at_line_start = True
    try:
        while line := reader.readline(CHUNK_BYTES):
            if at_line_start and line.startswith(_WARC_VERSIONS):
                return io.BufferedReader(_Resumed(line, reader))
            at_line_start = line.endswith(b"\n")
    except STREAM_ERRORS:  # the damage that follows is reported as the stream's
        return None
    return None


class _Resumed(io.RawIOBase):
    """A record's first line, then the rest of the stream: where warcio reads on after a bad record."""

    def __init__(self, first: bytes, rest: Any) -> None:
        self._first, self._rest, self._position = first, rest, 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        if self._first:
            data, self._first = self._first[: len(target)], self._first[len(target) :]
        else:
            data = self._rest.read(len(target))
        target[: len(data)] = data
        self._position += len(data)
        return len(data)


def _warc_page(
    container: _Container, record: ArcWarcRecord, position: int, options: ReadOptions
) -> PageRecord | ReadFailure | None:
    """The page of one WARC record, None for a record that is not a page; the record is read to its end
    either way, and a short record (the file ends inside it) raises TruncatedInput."""
    if not record.rec_type or record.length is None:
        # warcio yields a record with no headers when the file ends inside them
        raise ValueError("record has no WARC-Type or no Content-Length header")
    kind = _warc_page_kind(record, options)
    body = b""
    if kind:
        body = record.raw_stream.read(MAX_RECORD_BYTES + 1)
        if len(body) > MAX_RECORD_BYTES:  # a page this large is a bomb or not a page: never held whole
            _drain(record.raw_stream)
    else:
        _drain(record.raw_stream)
    if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
        raise TruncatedInput(f"the file ends inside this record ({record.raw_stream.limit} bytes missing)")
    if kind is None:
        return None
    raw_id = record.rec_headers.get_header("WARC-Record-ID")
    key = container.unique_key(raw_id.strip().strip("<>") if raw_id and raw_id.strip("<> ") else None, position)
    identity = full_record_id(container.file.relative, key, position)
    where = f"{container.file.where} record {position}"
    if len(body) > MAX_RECORD_BYTES:
        return ReadFailure(identity, where, f"a record of over {MAX_RECORD_BYTES:,} bytes; skipped")
    try:
        data = _decoded_body(record, body)
    except Exception as error:  # a broken gzip/brotli body or chunking spoils this record only
        return ReadFailure(identity, where, f"cannot decode the HTTP body: {_problem(error)}")
    url = record.rec_headers.get_header("WARC-Target-URI") or None
    charset = _charset(_warc_content_type(record))
    return PageRecord(
        id=identity,
        source=where,
        data=data,
        output=record_output(container.file.relative, key, url, position, prefer_url=True),
        html=kind == "html",
        url=url,
        metadata={"charset": charset} if charset else {},
    )


def _warc_page_kind(record: ArcWarcRecord, options: ReadOptions) -> str | None:
    """'html' or 'text' for a successful response (or resource) record of a page type, else None."""
    if record.rec_type not in ("response", "resource"):
        return None
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if not (status and status.startswith("2")):  # redirects and error pages are not the page
            return None
    mime = _warc_content_type(record).split(";")[0].strip().lower()
    if mime in options.warc_html_types:
        return "html"
    if mime in options.warc_text_types:
        return "text"
    return None


def _warc_content_type(record: ArcWarcRecord) -> str:
    if record.http_headers is not None:
        return str(record.http_headers.get_header("Content-Type") or "")
    return str(record.content_type or "")


_CHARSET = re.compile(r"""charset\s*=\s*["']?([^\s;"',]+)""", re.IGNORECASE)


def _charset(content_type: str) -> str | None:
    match = _CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def _decoded_body(record: ArcWarcRecord, body: bytes) -> bytes:
    """The HTTP body without chunking or content encoding, as warcio's `content_stream` would give it,
    but from bytes already read (so a bad body cannot be confused with a damaged file)."""
    headers = record.http_headers
    if headers is None:
        return body
    encoding = (headers.get_header("Content-Encoding") or "").lower() or None
    if encoding not in WarcBufferedReader.get_supported_decompressors():
        encoding = None
    reader: Any
    if (headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        reader = ChunkedDataReader(io.BytesIO(body), decomp_type=encoding)
    elif encoding:
        reader = WarcBufferedReader(io.BytesIO(body), decomp_type=encoding)
    else:
        return body
    with _warcio_says() as said:
        data = bytes(reader.read(MAX_DECOMPRESSED_PAGE + 1))
    if said.getvalue().strip():  # warcio stops at a bad piece, says so on stderr, and returns what it had
        raise ValueError(" ".join(said.getvalue().split()))
    if len(data) > MAX_DECOMPRESSED_PAGE:
        raise ValueError(f"its {encoding or 'chunked'} body decompresses to over {MAX_DECOMPRESSED_PAGE:,} bytes")
    return data


def _drain(stream: IO[bytes]) -> None:
    """Read a record we skip to its end without keeping it (an image may be large)."""
    while stream.read(DRAIN_BYTES):
        pass


def _warc_problem(error: Exception, stream: IO[bytes], archive: ArchiveIterator) -> str:
    """Why a WARC record could not be read: the decompression error that cut the stream, or the file
    ending inside the record, or else a malformed record."""
    damage = stream_error(stream)
    if damage is not None:
        return _stream_problem(damage)
    if isinstance(error, STREAM_ERRORS):
        return _stream_problem(error)
    if _exhausted(stream, archive):
        return f"the file ends inside this record (truncated?): {_problem(error)}"
    return f"{_INVALID_RECORD}: {_problem(error)}"


def _exhausted(stream: IO[bytes], archive: ArchiveIterator) -> bool:
    """True when nothing is left to read: neither in the file nor in warcio's buffer."""
    try:
        buffered = archive.reader.rem_length()
        peek = getattr(stream, "peek", None)  # peeked, not read: reading may go on after a bad record
        return not buffered and not (peek(1) if peek is not None else stream.read(1))
    except Exception:  # warcio's internals changed: say less rather than fail
        return False


def _problem(error: Exception) -> str:
    text = str(error)
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(error).__name__}: {text}" if not isinstance(error, TruncatedInput) else text


# -- uniqueness across inputs ---------------------------------------------------------------------------


class Uniquifier:
    """Ids and outputs already given out in this run, as 8-byte digests (case-folded outputs, since two
    names differing only in case are one file on macOS and Windows)."""

    def __init__(self) -> None:
        self.ids: set[bytes] = set()
        self.outputs: set[bytes] = set()

    def register(self, identity: str, output: PurePosixPath) -> None:
        """Count a page as given out without reading it again (its file was skipped as unchanged)."""
        self.ids.add(_digest(identity))
        self.outputs.add(_digest(output.as_posix().casefold()))

    def unique(self, page: _Named) -> _Named:
        """The page (a PageRecord, or a run's PageRef: any dataclass with an id and an output) as it is, or
        with a new id and output when either was given out already."""
        identity, output = self.unique_name(page.id, page.output)
        if identity == page.id and output == page.output:
            return page
        return replace(page, id=identity, output=output)  # type: ignore[type-var]  # a dataclass, by contract

    def unique_name(self, page_id: str, page_output: PurePosixPath) -> tuple[str, PurePosixPath]:
        """A page's id and output, or new ones when either was given out already (and the new ones given out)."""
        identity, output = page_id, page_output
        number = 1
        while _digest(identity) in self.ids:
            number += 1
            identity = f"{page_id}#{number}"
        if identity != page_id:
            output = with_hash(page_output, identity)
        while _digest(output.as_posix().casefold()) in self.outputs:
            output = with_hash(output, identity + short_hash(output.as_posix()))
        self.register(identity, output)
        assert output == page_output or is_safe(output), output
        return identity, output


class _HasName(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def output(self) -> PurePosixPath: ...


_Named = TypeVar("_Named", bound=_HasName)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()

#!/usr/bin/env python3
"""Container bombs: small compressed files that expand to a gigabyte in one record. Does a run stop at the
limit, fail the record by name, and keep its memory low?

Each case is one file, written once into --work (a few MB each, compressed): a JSON Lines line of SIZE
bytes, a JSON array whose third record is SIZE, a JSON object of SIZE, a WARC response of
SIZE (gzipped per record) after a small one, and a gzipped page of SIZE. Each is run as
`cleanpipe run FILE -o OUT -q -w 1` in a fresh subprocess; reported are its exit status, wall seconds,
the pages written, the failures from failed.jsonl, and the peak RSS of the largest process of the run
(resource.getrusage(RUSAGE_CHILDREN) of a wrapper process that runs only that command).

Run from anywhere:  python3 bench/bench_bombs.py                (writes bench/results/bombs.md)
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "bombs.md"
sys.path.insert(0, str(REPO_ROOT / "bench"))
from reporting import finish, footer  # noqa: E402

DEFAULT_WORK = REPO_ROOT / "bench" / ".work" / "bombs"
CHUNK = "炸" * 100_000  # 300 KB of UTF-8 a piece
TEXT = "这是一个正常的页面，有一段正文内容。" * 20


def _text(size: int) -> Iterator[bytes]:
    piece = CHUNK.encode("utf-8")
    for _ in range(size // len(piece)):
        yield piece


def _gzip(path: Path, parts: Iterator[bytes]) -> None:
    with gzip.open(path, "wb", compresslevel=1) as out:
        for part in parts:
            out.write(part)


def jsonl_line(path: Path, size: int) -> None:
    def parts() -> Iterator[bytes]:
        yield (json.dumps({"id": "small", "text": TEXT}, ensure_ascii=False) + "\n").encode()
        yield b'{"id": "bomb", "text": "'
        yield from _text(size)
        yield b'"}\n'
        yield (json.dumps({"id": "after", "text": TEXT + "之后"}, ensure_ascii=False) + "\n").encode()

    _gzip(path, parts())


def json_array(path: Path, size: int) -> None:
    def parts() -> Iterator[bytes]:
        yield b"["
        for n in range(2):
            yield (json.dumps({"id": f"r{n}", "text": f"{n}{TEXT}"}, ensure_ascii=False) + ",").encode()
        yield b'{"id": "bomb", "text": "'
        yield from _text(size)
        yield b'"}]'

    _gzip(path, parts())


def json_object(path: Path, size: int) -> None:
    def parts() -> Iterator[bytes]:
        yield b'{"RECORDS": [{"id": "bomb", "text": "'
        yield from _text(size)
        yield b'"}]}'

    _gzip(path, parts())


def warc_response(path: Path, size: int) -> None:
    def record(url: str, body_parts: list[bytes] | Iterator[bytes], body_size: int) -> Iterator[bytes]:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        yield (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Record-ID: <urn:uuid:{abs(hash(url)):032x}>\r\nWARC-Date: 2026-11-27T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http) + body_size}\r\n\r\n"
        ).encode()
        yield http
        yield from body_parts
        yield b"\r\n\r\n"

    small = f"<html><body><p>{TEXT}</p></body></html>".encode()
    piece = CHUNK.encode("utf-8")
    big_size = (size // len(piece)) * len(piece)
    with open(path, "wb") as out:  # one gzip member per record, as Common Crawl writes them
        for url, parts, length in (
            ("http://example.cn/small", [small], len(small)),
            ("http://example.cn/bomb", _text(size), big_size),
        ):
            out.write(gzip.compress(b"".join(record(url, parts, length)), compresslevel=1))


def page_gz(path: Path, size: int) -> None:
    _gzip(path, _text(size))


CASES: dict[str, tuple[str, Callable[[Path, int], None]]] = {
    "line.jsonl.gz": ("a JSON Lines line of SIZE between two small records", jsonl_line),
    "array.json.gz": ("a JSON array whose third record is SIZE", json_array),
    "object.json.gz": ("a JSON object of SIZE holding one record", json_object),
    "crawl.warc.gz": ("a WARC response of SIZE after a small one", warc_response),
    "page.txt.gz": ("a gzipped page of SIZE", page_gz),
}

_WRAPPER = """
import resource, subprocess, sys, json, time
started = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(json.dumps({"status": status, "seconds": time.perf_counter() - started,
                  "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000_000, help="bytes of the one huge record")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, (what, build) in CASES.items():
        path = args.work / name
        if not path.exists():
            build(path, args.size)
        out = args.work / f"out-{name}"
        shutil.rmtree(out, ignore_errors=True)
        command = [sys.executable, "-m", "cleanpipe.cli", "run", str(path), "-o", str(out), "-q", "-w", "1"]
        done = json.loads(
            subprocess.run(
                [sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True, check=True
            ).stdout
        )
        failed = out / "failed.jsonl"
        failures = (
            [json.loads(line) for line in failed.read_text(encoding="utf-8").split("\n") if line]
            if failed.exists()
            else []
        )
        written = len(list(out.rglob("*.md"))) - len(list((out / ".cleanpipe").rglob("*.md")))
        problems = "; ".join(f"{f['page']}: {f['error'][:90]}" for f in failures) or "none"
        row = (
            f"| `{name}`: {what.replace('SIZE', f'{args.size / 1e9:g} GB')} | {path.stat().st_size / 1e6:.1f} MB | "
            f"{done['status']} | {done['seconds']:.1f} | {written} | {problems} | {done['peak_mib']:.0f} |"
        )
        print(row, flush=True)
        rows.append(row)
    lines = [
        "# Container bombs: one record of a gigabyte in a small compressed file",
        "",
        "Each file alone, `cleanpipe run FILE -o OUT -q -w 1` in a fresh process; peak RSS of the largest "
        "process of the run (the main process or its worker).",
        "",
        "| file | size on disk | exit | seconds | pages written | failed (failed.jsonl) | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---|---:|",
        *rows,
        *footer(f"python3 bench/bench_bombs.py --size {args.size}"),
    ]
    finish(lines, args.output, write=not args.no_write, show=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

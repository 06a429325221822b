"""Fuzzing in CI, in bounded time: real pages and containers damaged at random (tests/mutations.py, fixed
seeds, so every run checks the same inputs). No page crashes cleaning (strict: a crash is not passed off
as a refusal), every cleaned page cleans again to itself, and damaged dump files never stop a batch run:
each gives its pages, or failures that name it. bench/bench_fuzz.py runs the same mutations over many
more pages; pages it found are kept in tests/fixtures/fuzz_found.jsonl and replayed here."""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_PAGE
from mutations import mutate
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleanpipe import CleanError, clean
from cleanpipe.executors.batch import BatchOptions, run_batch


def _seed_pages() -> list[tuple[str, bytes]]:
    pages = [(SEED_PAGE.name, SEED_PAGE.read_bytes())]
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in (".txt", ".html", ".md"):
            pages.append((path.name, path.read_bytes()))
    for record in map(
        json.loads, (FIXTURES / "html_roundtrip_snippets.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        pages.append((record["page"].rsplit("/", 1)[-1] + ".html", record["html"].encode()))
    return pages


def _found() -> list[tuple[str, bytes]]:
    records = map(json.loads, (FIXTURES / "fuzz_found.jsonl").read_text(encoding="utf-8").splitlines())
    return [(record["name"], base64.b64decode(record["base64"])) for record in records]


def _fuzzed(count: int, seed: int) -> list[tuple[str, bytes]]:
    seeds = _seed_pages()
    rng = random.Random(seed)
    return [(name, mutate(page, rng, rng.choice(seeds)[1])) for name, page in (rng.choice(seeds) for _ in range(count))]


def _problem(name: str, data: bytes) -> str | None:
    try:
        once = clean(data, source=name, strict=True).markdown
    except CleanError:
        return None
    again = clean(once, strict=True).markdown
    return None if again == once else f"{name}: its Markdown changes when cleaned again"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_damaged_real_pages_never_crash_and_clean_again_to_themselves(seed: int) -> None:
    problems = [problem for name, data in _fuzzed(150, seed) if (problem := _problem(name, data))]
    assert problems == []


def test_pages_the_long_fuzzing_found_stay_fixed() -> None:
    found = _found()
    assert len(found) == 8
    assert [problem for name, data in found if (problem := _problem(name, data))] == []


def _warc(pages: list[bytes]) -> bytes:
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True)
    for number, body in enumerate(pages):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"http://example.cn/{number}.html", "response", payload=io.BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
    return stream.getvalue()


def test_damaged_dump_files_never_stop_a_run(tmp_path: Path) -> None:
    jsonl = (FIXTURES / "boilerplate_clean_pages.jsonl").read_bytes()
    html = [
        (FIXTURES / name).read_bytes()
        for name in ("html_sina_related_links.html", "html_gbk_no_charset_comment_form.html")
    ]
    containers = {
        "dump.jsonl": jsonl,
        "dump.jsonl.gz": gzip.compress(jsonl),
        "array.json": json.dumps([json.loads(line) for line in jsonl.splitlines()], ensure_ascii=False).encode(),
        "crawl.warc.gz": _warc(html),
        "crawl.warc": gzip.decompress(_warc(html)),
    }
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = random.Random(5)
    for number in range(40):
        name, data = rng.choice(sorted(containers.items()))
        (raw / f"{number:02d}_{name}").write_bytes(mutate(data, rng))
    summary = run_batch(BatchOptions((raw,), tmp_path / "out", workers=2))
    assert summary.pages >= 40
    failures = [json.loads(line) for line in (tmp_path / "out" / "failed.jsonl").read_text().split("\n") if line]
    assert len(failures) == summary.failed
    assert all(failure["page"] and failure["error"] for failure in failures)
    assert summary.written + summary.failed + summary.skipped >= summary.pages - summary.duplicates.get("duplicates", 0)

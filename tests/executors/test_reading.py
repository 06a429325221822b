"""The workers read the pages, the driver never does: a survey gives each page's reference (where its record
starts), a worker reads the page again from there, and a read from any record's place gives what the whole
read gives from that record on. A file that changed between the two reads fails its pages, named."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path, PurePosixPath

import pytest
from conftest import FIXTURES, SEED_PAGE, output_snapshot
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import cleanpipe.executors.steps as steps
from cleanpipe.config import Config
from cleanpipe.corpus.learn import learn_profile
from cleanpipe.executors.batch import BatchOptions, run_batch
from cleanpipe.executors.local import LocalExecutor
from cleanpipe.executors.reading import TASKS_PER_UNSEEKABLE_FILE, Inputs, shards
from cleanpipe.executors.steps import CHANGED, ShardTask, SurveyTask, clean_shard, survey_files
from cleanpipe.io.readers import InputFile, ReadOptions, iter_pages, read_places
from cleanpipe.io.records import PageRecord, ReadFailure


def _rows(count: int) -> list[dict[str, str]]:
    """Real lines from a fixture, one record each; every fifth record has no id and one id repeats."""
    lines = [line for line in (FIXTURES / "property_lines.txt").read_text(encoding="utf-8").splitlines() if line]
    rows = []
    for number in range(count):
        row = {"text": f"第{number}条\n" + "\n".join(lines[(number + k) % len(lines)] for k in range(4))}
        if number % 5:
            row["id"] = "same" if number in (3, 13) else f"r{number}"
        rows.append(row)
    return rows


def _jsonl(rows: list[dict[str, str]]) -> bytes:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    lines.insert(7, "{not json")  # a failure among the pages
    lines.insert(9, "")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _dureader(rows: list[dict[str, str]]) -> bytes:
    """DuReader's form: JSON Lines in a '.json' file, each question holding several documents (pages)."""
    questions = [
        {"question_id": n, "documents": [{"title": f"文档{k}", "paragraphs": [row["text"]]} for k in range(n % 3 + 1)]}
        for n, row in enumerate(rows)
    ]
    return "".join(json.dumps(question, ensure_ascii=False) + "\n" for question in questions).encode("utf-8")


def _warc(count: int, *, gzip_records: bool) -> bytes:
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=gzip_records)
    for number in range(count):
        body = f"<html><body><p>第{number}页的正文。</p></body></html>".encode()
        kind = "image/png" if number % 4 == 3 else "text/html; charset=utf-8"  # records that are not pages
        headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
        url = f"http://example.cn/{number}.html"
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return stream.getvalue()


def _container_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    dump = _jsonl(_rows(30))
    files = {
        "dump.jsonl": dump,
        "dump.jsonl.gz": gzip.compress(dump),
        "dureader.json": _dureader(_rows(8)),
        "array.json": json.dumps(_rows(12), ensure_ascii=False).encode(),
        "crawl.warc": _warc(12, gzip_records=False),
        "crawl.warc.gz": _warc(12, gzip_records=True),
        "whole.warc.gz": gzip.compress(_warc(12, gzip_records=False)),  # one member: cannot seek
        # An invalid record between two runs of records: a failure, then reading goes on after it.
        "garbage.warc": _warc(6, gzip_records=False) + b"not a WARC record\r\n\r\n" + _warc(6, gzip_records=False),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


def _key(item: PageRecord | ReadFailure) -> tuple[object, ...]:
    if isinstance(item, ReadFailure):
        return ("failure", item.source, item.problem)
    return ("page", item.source, item.data, item.url, item.html)


def test_a_read_from_any_records_place_gives_the_rest_of_the_whole_read(tmp_path: Path) -> None:
    for path in _container_files(tmp_path / "raw"):
        file = InputFile(path, PurePosixPath(path.name))
        whole = list(read_places(file))
        assert len(whole) > 1, path.name
        for place, _ in whole:
            part = list(read_places(file, start=place))
            assert [p for p, _ in part] == [p for p, _ in whole[place.ordinal :]], (path.name, place)
            assert [_key(i) for _, i in part] == [_key(i) for _, i in whole[place.ordinal :]], (path.name, place)
        # A place has a byte offset in a file stored as it is, and at a gzip member's start in a WARC (one
        # member a record); not in a gzipped JSON Lines file (one member) nor in a JSON array.
        if path.name == "garbage.warc":  # seekable up to the invalid record, not after it
            assert [isinstance(item, ReadFailure) for _, item in whole].count(True) == 1
            continue
        seekable = path.name not in ("dump.jsonl.gz", "array.json", "whole.warc.gz")
        offsets = [place.offset >= 0 for place, item in whole if isinstance(item, PageRecord) and place.position > 1]
        assert offsets and all(offsets) == seekable and any(offsets) == seekable, path.name


def test_a_page_is_read_again_from_its_offset_in_a_file_that_can_seek(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_bytes(_jsonl(_rows(30)))
    file = InputFile(path, PurePosixPath(path.name))
    survey = survey_files(SurveyTask([(file, None)], ReadOptions(), ""))[0]
    refs = [item for item in survey.all_items() if not isinstance(item, ReadFailure)]
    late = refs[-3]
    assert late.place.offset > 0
    # The lines before the page lose their line breaks (same length): only a read that seeks to the
    # page's offset, rather than counting lines to it, finds the same page.
    data = path.read_bytes()
    head = data[: late.place.offset - 1].replace(b"\n", b" ")
    path.write_bytes(head + data[late.place.offset - 1 :])
    [(_, ref, record)] = list(steps.shard_records([(survey.state.path, file, late)], ReadOptions()))
    assert ref == late and isinstance(record, PageRecord) and record.id == late.id


def test_a_page_that_changed_since_the_survey_fails_named_and_the_rest_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    rows = _rows(6)
    path.write_bytes(_jsonl(rows))
    file = InputFile(path, PurePosixPath(path.name))
    survey = survey_files(SurveyTask([(file, None)], ReadOptions(), ""))[0]
    refs = [item for item in survey.all_items() if not isinstance(item, ReadFailure)]
    rows[2]["text"] = "改过的一页。"
    path.write_bytes(_jsonl(rows))
    task = ShardTask(
        [(survey.state.path, file, ref) for ref in refs], ReadOptions(), str(tmp_path / "out"), "",
        "jsonl", Config(), None, None,
    )  # fmt: skip
    outcomes = clean_shard(task)
    assert [o.id for o in outcomes] == [ref.id for ref in refs]
    failed = [(o.id, o.stage, o.problem) for o in outcomes if o.problem]
    assert failed == [(refs[2].id, "read", CHANGED)]
    assert all(o.record for o in outcomes if not o.problem)


def test_a_file_gone_since_it_was_listed_is_a_failure_of_that_file(tmp_path: Path) -> None:
    gone = InputFile(tmp_path / "gone.txt", PurePosixPath("gone.txt"))
    [survey] = survey_files(SurveyTask([(gone, None)], ReadOptions(), ""))
    [failure] = survey.all_items()
    assert isinstance(failure, ReadFailure) and failure.id == "gone.txt" and "cannot read" in failure.problem


def test_a_file_that_cannot_seek_is_worked_on_in_a_few_tasks(tmp_path: Path) -> None:
    rows = _rows(100)
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    (plain / "dump.jsonl").write_bytes(_jsonl(rows))
    (packed / "dump.jsonl.gz").write_bytes(gzip.compress(_jsonl(rows)))
    with LocalExecutor(1) as executor:
        seeking = list(shards([plain], ReadOptions(), executor, 4, []))
        failures: list[ReadFailure] = []
        reading = list(shards([packed], ReadOptions(), executor, 4, failures))
    assert [len(shard) for shard in seeking] == [4] * 25
    per_task = -(-100 // TASKS_PER_UNSEEKABLE_FILE)
    assert per_task > 4 and len(reading) <= TASKS_PER_UNSEEKABLE_FILE
    assert [len(shard) for shard in reading[:-1]] == [per_task] * (len(reading) - 1) and sum(map(len, reading)) == 100
    assert len(failures) == 1  # the line that is not JSON
    ids = [ref.id for shard in reading for _, _, ref in shard]
    assert ids == [page.id for page in iter_pages([packed]) if isinstance(page, PageRecord)]
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "crawl.warc.gz").write_bytes(_warc(40, gzip_records=True))  # one gzip member a record: seeks
    with LocalExecutor(1) as executor:
        assert [len(shard) for shard in shards([crawl], ReadOptions(), executor, 4, [])] == [4] * 7 + [2]


def _no_reading_here(*args: object, **kwargs: object) -> None:
    raise AssertionError("the driver read a page")


def test_the_driver_reads_no_page_and_the_outputs_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    _container_files(raw)
    (raw / "seed.txt").write_text(SEED_PAGE.read_text(encoding="utf-8"), encoding="utf-8")
    one = run_batch(BatchOptions((raw,), tmp_path / "one", workers=1))
    # Worker processes import the real reader; in this process, reading a page fails the run.
    monkeypatch.setattr(steps, "read_places", _no_reading_here)
    two = run_batch(BatchOptions((raw,), tmp_path / "two", workers=2))
    assert (two.written, two.failed) == (one.written, one.failed) and two.written > 40
    assert output_snapshot(tmp_path / "two") == output_snapshot(tmp_path / "one")
    profile = learn_profile(Inputs([raw], ReadOptions()), Config(learn_min_pages=2), workers=2).profile
    monkeypatch.undo()
    assert profile == learn_profile(iter_pages([raw]), Config(learn_min_pages=2)).profile


def test_a_large_survey_is_handed_back_in_a_file_and_the_run_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    _container_files(raw)
    whole = run_batch(BatchOptions((raw,), tmp_path / "whole"))
    file = InputFile(raw / "dump.jsonl.gz", PurePosixPath("dump.jsonl.gz"))
    kept = survey_files(SurveyTask([(file, None)], ReadOptions(), "", str(tmp_path / "spill")))[0]
    monkeypatch.setattr(steps, "SPILL_ITEMS", 5)
    spilled = survey_files(SurveyTask([(file, None)], ReadOptions(), "", str(tmp_path / "spill")))[0]
    assert not kept.spilled and spilled.spilled and not spilled.items and spilled.count == kept.count > 5
    assert (spilled.seekable, kept.seekable) == (False, False)
    assert list(spilled.all_items()) == kept.items
    assert not list((tmp_path / "spill").iterdir())  # read once, then deleted
    small = run_batch(BatchOptions((raw,), tmp_path / "small"))
    assert (small.written, small.failed) == (whole.written, whole.failed)
    assert output_snapshot(tmp_path / "small") == output_snapshot(tmp_path / "whole")


def test_a_warning_from_reading_a_page_reaches_its_outcome_when_the_page_is_read_from_its_place(
    tmp_path: Path,
) -> None:
    """The warning about a WARC record that does not end where its Content-Length says comes while reading
    the record after it, which a worker reading that page from its own place never does: the survey's
    warning travels with the page."""
    raw = tmp_path / "raw"
    raw.mkdir()
    data = _warc(8, gzip_records=False)
    at = data.index(b"Content-Length: ", data.index(b"http://example.cn/1.html"))
    length = int(data[at + 16 :].split(b"\r\n", 1)[0])
    shorter = data[:at] + b"Content-Length: %d" % (length - 12) + data[at + 16 + len(str(length)) :]
    (raw / "crawl.warc").write_bytes(shorter)
    warnings: list[str] = []
    summary = run_batch(
        BatchOptions((raw,), tmp_path / "out", shard_size=1),  # each page read from its own place
        on_event=lambda kind, data: warnings.append(data["message"]) if kind == "warning" else None,
    )
    assert summary.failed == 0 and summary.warnings == 1
    assert "Content-Length" in warnings[0]

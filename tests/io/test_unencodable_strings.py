"""Strings no UTF-8 file or database takes never stop a run: lone surrogates escaped in a JSON dump
(tests/fixtures/lone_surrogates.jsonl: in a page's text, title, URL and an unused field) are replaced with U+FFFD
and named as warnings, the text's in the audit too; file names that are not UTF-8 (GBK names from a
Chinese archive) become ids and outputs read as GB18030, or with \\xNN escapes, distinct and the same on
every run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import FIXTURES, SEED_PAGE, without_removal_counts
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cleanpipe
from cleanpipe.cli import app
from cleanpipe.executors.batch import BatchOptions, run_batch

runner = CliRunner()
GBK_NAME = "测试页面".encode("gbk") + b".txt"  # not UTF-8
LATIN1_NAME = b"caf\xe9.txt"  # neither UTF-8 nor GB18030


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FIXTURES / "lone_surrogates.jsonl", raw / "dump.jsonl")
    for name, page in ((GBK_NAME, SEED_PAGE), (LATIN1_NAME, FIXTURES / "tech_article_plain.txt")):
        (raw / os.fsdecode(name)).write_bytes(page.read_bytes())
    return raw


def test_a_run_over_unencodable_strings_writes_every_page_and_names_each_repair(tmp_path: Path) -> None:
    raw, out = _raw(tmp_path), tmp_path / "out"
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert {path.relative_to(out).as_posix() for path in out.rglob("*.md")} == {
        "测试页面.md",
        "caf_xe9.md",  # its id is 'caf\\xe9.txt'; a backslash is no part of an output name
        *(f"dump/{path.name}" for path in (out / "dump").iterdir()),
    }
    assert len(list((out / "dump").iterdir())) == 2
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".jsonl", ".json"):
            path.read_text(encoding="utf-8")  # all of it UTF-8
    broken = next((out / "dump").glob("broken-1*.md")).read_text(encoding="utf-8")
    assert "待敌对势\ufffd力过来" in broken and "潜艇伏击区\ufffd是什么" in broken
    errors = result.stderr or result.output
    for field in ("title", "url"):
        assert f"lone surrogate code point(s) in the record's {field}" in errors
    assert "file name is not UTF-8; its pages' ids and outputs use '测试页面.txt'" in errors
    audit = [json.loads(line) for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"page": "dump.jsonl#broken-1", "rule": "lone-surrogates", "text": "U+D800"}.items() <= next(
        line for line in audit if line["rule"] == "lone-surrogates"
    ).items()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["pages"] == {"read": 4, "written": 4, "skipped": 0, "failed": 0}

    again = run_batch(BatchOptions((raw,), out, workers=1))  # the same names and keys: nothing to redo
    assert again.skipped == 4 and again.written == 0


@given(
    st.lists(
        st.one_of(
            st.sampled_from(SEED_PAGE.read_text(encoding="utf-8").splitlines()),
            st.sampled_from(["\ud800", "\udc80", "\udfff", "\ud83d", "\n", "\n\n"]),
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=40, deadline=None)
def test_a_lone_surrogate_is_cleaned_exactly_as_a_replacement_character(pieces: list[str]) -> None:
    text = "".join(pieces)
    replaced = "".join("\ufffd" if "\ud800" <= piece <= "\udfff" else piece for piece in pieces)
    try:
        expected = cleanpipe.clean(replaced, strict=True).markdown
    except cleanpipe.CleanError as error:
        try:
            cleanpipe.clean(text, strict=True)
        except cleanpipe.CleanError as same:
            assert same.problem == error.problem
            return
        raise AssertionError("the page with surrogates was cleaned, the page with U+FFFD refused") from error
    result = cleanpipe.clean(text, strict=True)
    # The same Markdown, but for the front matter's count of removals (the repair is one, of the decode stage).
    assert without_removal_counts(result.markdown) == without_removal_counts(expected)
    result.markdown.encode("utf-8")
    if replaced != text:
        assert "lone-surrogates" in {removal.rule for removal in result.removals}

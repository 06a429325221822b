"""Outputs given as URLs: the run works in a working copy and publishes what changed. A file:// URL gets
the outputs of a run into a folder; a re-run uploads no page; a changed page is uploaded alone; a page set
aside as a duplicate is deleted at the URL; a working copy lost with its machine is restored from the URL
and the run resumes without cleaning again; a lost record of what was published costs a full upload, not a
wrong tree; an output URL that is or holds an input is refused. Pages are real: the sample pages and a
tech article reposted with a cut paragraph."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from conftest import FIXTURES, SEED_PAGE, fixture_text, output_snapshot
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.executors.batch import BatchOptions, RunSummary, run_batch
from cleanpipe.io.files import InputError

runner = CliRunner()
ARTICLE = fixture_text("tech_article_plain.txt")


def _repost(text: str) -> str:
    paragraphs = [part for part in text.split("\n") if part.strip()]
    return "\n".join(paragraphs[:10] + paragraphs[11:]) + "\n本文转载自网络，如有侵权请联系删除。\n"


def _raw(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for page in sorted(SEED_PAGE.parent.iterdir())[:5]:
        shutil.copy(page, folder / page.name)
    shutil.copy(FIXTURES / "boilerplate_clean_pages.jsonl", folder / "dump.jsonl")
    return folder


def _run(raw: Path, url: str, work: Path, **options: object) -> RunSummary:
    return run_batch(BatchOptions((raw,), url, work_dir=work, **options))  # type: ignore[arg-type]


def _tree(url: str) -> dict[str, bytes]:
    """Every file under a URL with its bytes, the run's state and run.json (timings) left out."""
    fs, root = fsspec.core.url_to_fs(url)
    found = {path[len(root.rstrip("/")) + 1 :]: fs.cat_file(path) for path in fs.find(root)}
    return {name: data for name, data in found.items() if not name.startswith(".cleanpipe/") and name != "run.json"}


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[str]:
    url = f"memory://clean-{tmp_path.name}/out"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/clean-{tmp_path.name}"):
        fs.rm(f"/clean-{tmp_path.name}", recursive=True)


def test_a_file_url_gets_the_outputs_of_a_folder_run_and_a_rerun_uploads_no_page(tmp_path: Path) -> None:
    raw = _raw(tmp_path / "raw")
    folder = run_batch(BatchOptions((raw,), tmp_path / "folder", workers=2))
    url = (tmp_path / "published").as_uri()
    first = _run(raw, url, tmp_path / "work", workers=2)
    assert first.written == folder.written > 5 and first.failed == 0
    expected = {name: (tmp_path / "folder" / name).read_bytes() for name in output_snapshot(tmp_path / "folder")}
    assert _tree(url) == expected
    assert (tmp_path / "published" / ".cleanpipe" / "state.sqlite").is_file()
    assert not (tmp_path / "published" / ".cleanpipe" / "lock").exists()
    assert first.published["uploaded"] >= len(expected) and first.published["deleted"] == 0
    record = json.loads((tmp_path / "published" / "run.json").read_text(encoding="utf-8"))
    assert record["output"] == url and record["working_copy"] == str(tmp_path / "work")

    def page_times() -> dict[str, int]:
        return {path.name: path.stat().st_mtime_ns for path in (tmp_path / "published").glob("*.md")}

    before = page_times()
    again = _run(raw, url, tmp_path / "work", workers=2)
    assert again.written == 0 and page_times() == before
    assert again.published["uploaded"] <= 5, "only the run's records and its state, no page"
    (raw / "ccnet_fridge_care.txt").write_text("新的一页，只有这一段正文，改过了。\n", encoding="utf-8")
    changed = _run(raw, url, tmp_path / "work", workers=2)
    assert changed.written == 1
    assert {name for name, time in page_times().items() if before[name] != time} == {"ccnet_fridge_care.md"}
    assert "只有这一段正文" in (tmp_path / "published" / "ccnet_fridge_care.md").read_text(encoding="utf-8")


def test_a_page_set_aside_as_a_duplicate_is_deleted_at_the_url(tmp_path: Path, bucket: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a_repost.txt").write_text(_repost(ARTICLE), encoding="utf-8")
    _run(raw, bucket, tmp_path / "work")
    assert "a_repost.md" in _tree(bucket)
    (raw / "b_article.txt").write_text(ARTICLE, encoding="utf-8")
    longest = _run(raw, bucket, tmp_path / "work", keep="longest")
    assert longest.published["deleted"] == 1
    tree = _tree(bucket)
    assert "b_article.md" in tree and "a_repost.md" not in tree
    assert fsspec.filesystem("memory").exists(bucket.removeprefix("memory://") + "/.cleanpipe/dropped/a_repost.md")


def test_a_lost_working_copy_is_restored_from_the_url_and_nothing_is_cleaned_again(tmp_path: Path, bucket: str) -> None:
    raw = _raw(tmp_path / "raw")
    first = _run(raw, bucket, tmp_path / "machine-1", workers=2)
    published = _tree(bucket)
    # Another machine, or this one after its disk was wiped: an empty working copy.
    resumed = _run(raw, bucket, tmp_path / "machine-2", workers=2)
    assert resumed.published["restored"] > first.written
    assert resumed.written == 0 and resumed.skipped == first.written
    assert _tree(bucket) == published
    assert output_snapshot(tmp_path / "machine-2") == output_snapshot(tmp_path / "machine-1")


def test_a_lost_record_of_what_was_published_uploads_everything_again(tmp_path: Path, bucket: str) -> None:
    raw = _raw(tmp_path / "raw")
    first = _run(raw, bucket, tmp_path / "work")
    published = _tree(bucket)
    (tmp_path / "work" / ".cleanpipe" / "published.sqlite").unlink()
    again = _run(raw, bucket, tmp_path / "work")
    assert again.published["uploaded"] >= first.published["uploaded"] - 1
    assert _tree(bucket) == published


def test_the_command_publishes_to_a_url_and_refuses_one_that_holds_an_input(tmp_path: Path, bucket: str) -> None:
    raw = _raw(tmp_path / "raw")
    result = runner.invoke(app, ["run", str(raw), "-o", bucket, "--work-dir", str(tmp_path / "work"), "-w", "2"])
    assert result.exit_code == 0, result.output
    assert f"published to {bucket}" in result.output
    assert {name for name in _tree(bucket) if name.endswith(".md")} == {
        name for name in output_snapshot(tmp_path / "work") if name.endswith(".md")
    }
    inside = runner.invoke(app, ["run", bucket, "-o", bucket.rsplit("/", 1)[0]])
    assert inside.exit_code == 2 and "holds the input" in inside.output
    with pytest.raises(InputError, match="is the input"):
        BatchOptions((bucket,), bucket)  # type: ignore[arg-type]

"""Inputs given as URLs, read through fsspec: a memory:// bucket and a file:// URL give the pages, ids,
outputs and removals of the same tree on local disk; a re-run skips what did not change; an output URL
whose file system is not installed and a URL with nothing under it are usage errors that say so."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from conftest import FIXTURES, SEED_PAGE, output_snapshot
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.executors.batch import BatchOptions, run_batch
from cleanpipe.io.files import InputError
from cleanpipe.io.readers import iter_pages

runner = CliRunner()


def _tree(root: Path) -> Path:
    """A small crawl: the sample pages (text and HTML), a page in a sub-folder, two pages sharing a stem,
    and a gzipped JSONL dump."""
    root.mkdir(parents=True)
    for page in sorted(SEED_PAGE.parent.iterdir())[:4]:
        shutil.copy(page, root / page.name)
    (root / "site").mkdir()
    (root / "site" / "a.txt").write_text("第一段。\n\n" + SEED_PAGE.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "site" / "a.html").write_text("<html><body><p>同名的网页。</p></body></html>", encoding="utf-8")
    (root / "site.jsonl.gz").write_bytes(gzip.compress((FIXTURES / "boilerplate_clean_pages.jsonl").read_bytes()))
    return root


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The same tree on local disk and in fsspec's memory file system (memory://crawl-<test>/raw)."""
    local = _tree(tmp_path / "raw")
    memory = fsspec.filesystem("memory")
    root = f"/crawl-{tmp_path.name}/raw"
    for path in local.rglob("*"):
        if path.is_file():
            memory.pipe_file(f"{root}/{path.relative_to(local).as_posix()}", path.read_bytes())
    yield f"memory://{root}", local
    memory.rm(f"/crawl-{tmp_path.name}", recursive=True)


def _pages(inputs: list[str]) -> list[tuple[str, str, bytes | str, bool]]:
    return [(page.id, str(page.output), page.data, page.html) for page in iter_pages(inputs)]  # type: ignore[union-attr]


def _removals(out: Path) -> list[dict[str, object]]:
    """removed.jsonl without the input's own path, which names where it was read from."""
    lines = [json.loads(line) for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    return [{key: value for key, value in line.items() if key != "source"} for line in lines]


def test_a_bucket_gives_the_pages_of_the_same_folder(bucket: tuple[str, Path]) -> None:
    url, local = bucket
    pages = _pages([url])
    assert pages == _pages([str(local)])
    assert {"site/a.txt", "site/a.html"} <= {page[0] for page in pages}  # one stem, two outputs
    assert len({page[1] for page in pages}) == len(pages)
    pattern = _pages([url + "/site/*.txt"])
    assert [page[0] for page in pattern] == ["a.txt"]


def test_a_run_over_a_bucket_equals_the_run_over_the_folder_and_skips_it_next_time(
    bucket: tuple[str, Path], tmp_path: Path
) -> None:
    url, local = bucket
    # The workers read the inputs, and fsspec's memory file system is in this process only: one worker.
    from_folder = run_batch(BatchOptions((str(local),), tmp_path / "folder", workers=2))
    from_bucket = run_batch(BatchOptions((url,), tmp_path / "bucket", workers=1))
    assert from_bucket.written == from_folder.written > 10 and from_bucket.failed == 0
    snapshot = output_snapshot(tmp_path / "bucket")
    del snapshot["removed.jsonl"]
    assert snapshot == {k: v for k, v in output_snapshot(tmp_path / "folder").items() if k != "removed.jsonl"}
    assert _removals(tmp_path / "bucket") == _removals(tmp_path / "folder")
    assert "memory://" in (tmp_path / "bucket" / "removed.jsonl").read_text(encoding="utf-8")

    again = run_batch(BatchOptions((url,), tmp_path / "bucket", workers=1))
    assert again.skipped == again.pages and again.written == 0
    fsspec.filesystem("memory").pipe_file(url.removeprefix("memory://") + "/site/a.txt", "改过的一页。".encode())
    changed = run_batch(BatchOptions((url,), tmp_path / "bucket", workers=1))
    assert changed.written == 1 and changed.skipped == changed.pages - 1


def test_the_command_reads_a_file_url_on_worker_processes(tmp_path: Path) -> None:
    local = _tree(tmp_path / "raw")
    assert runner.invoke(app, ["run", str(local), "-o", str(tmp_path / "path"), "-q"]).exit_code == 0
    result = runner.invoke(app, ["run", local.resolve().as_uri(), "-o", str(tmp_path / "url"), "-q", "-w", "2"])
    assert result.exit_code == 0, result.output
    markdown = {k: v for k, v in output_snapshot(tmp_path / "url").items() if k.endswith(".md")}
    assert markdown and markdown == {k: v for k, v in output_snapshot(tmp_path / "path").items() if k.endswith(".md")}


def test_urls_that_cannot_be_used_are_usage_errors(tmp_path: Path) -> None:
    local = _tree(tmp_path / "raw")
    nothing = runner.invoke(app, ["run", "memory://no-such-bucket/raw", "-o", str(tmp_path / "out")])
    assert nothing.exit_code == 2 and "memory://no-such-bucket/raw: no such file or folder" in nothing.output
    output = runner.invoke(app, ["run", str(local), "-o", "s3://bucket/clean"])  # s3fs is not installed
    assert output.exit_code == 2 and "s3://bucket/clean: Install s3fs" in output.output
    assert not Path("s3:").exists()
    with pytest.raises(InputError, match="not-a-protocol"):
        list(iter_pages(["not-a-protocol://x"]))

"""The `cleanpipe` command on real pages: outputs, audit, exit codes, bad input, inputs left untouched."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanpipe.cli import app

RAW = Path(__file__).parent.parent / "data" / "raw"
SEED = RAW / "content_farm_qa.txt"
runner = CliRunner()


def _digest(folder: Path) -> dict[str, str]:
    files = (path for path in folder.rglob("*") if path.is_file())
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def test_run_writes_markdown_and_audit_for_every_page(tmp_path: Path) -> None:
    pages = tmp_path / "raw"
    shutil.copytree(RAW, pages)
    before = _digest(pages)
    out = tmp_path / "clean"
    result = runner.invoke(app, ["run", str(pages), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page_files = sorted(p for p in pages.iterdir() if p.suffix in (".txt", ".html"))
    written = sorted(p.name for p in out.glob("*.md"))
    assert written == sorted(p.stem + ".md" for p in page_files)
    audit = [json.loads(line) for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {record["page"] for record in audit} >= {"content_farm_qa.txt"}
    assert {record["source"] for record in audit} >= {str(pages / "content_farm_qa.txt")}
    assert all({"stage", "rule", "text", "reason"} <= record.keys() for record in audit)
    assert f"pages: {len(page_files)}" in result.output and "failed: 0" in result.output
    assert _digest(pages) == before, "inputs must never change"
    assert not [p.name for p in out.rglob("*") if p.name.endswith(".tmp")], "temporary files left behind"


def test_subfolders_are_mirrored(tmp_path: Path) -> None:
    (tmp_path / "raw" / "site" / "2023").mkdir(parents=True)
    shutil.copy(SEED, tmp_path / "raw" / "site" / "2023" / "page.txt")
    result = runner.invoke(app, ["run", str(tmp_path / "raw"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "site" / "2023" / "page.md").is_file()


def test_bad_pages_are_named_and_the_batch_goes_on(tmp_path: Path) -> None:
    pages = tmp_path / "raw"
    pages.mkdir()
    shutil.copy(SEED, pages / "good.txt")
    (pages / "empty.txt").write_bytes(b"")
    (pages / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (pages / "long_line.txt").write_text("很长" * 1_100_000, encoding="utf-8")
    out = tmp_path / "clean"
    result = runner.invoke(app, ["run", str(pages), "-o", str(out)])
    assert result.exit_code == 1
    assert (out / "good.md").is_file()
    assert not (out / "empty.md").exists() and not (out / "binary.md").exists()
    errors = result.stderr if hasattr(result, "stderr") else result.output
    assert "empty.txt: page is empty" in errors
    assert "binary.txt: content is a PNG image" in errors
    assert "long_line.txt: a line of 2,200,000 characters is over the limit of 1,000,000" in errors
    assert "failed: 3" in result.output


def test_page_over_the_size_limit_is_refused_by_name(tmp_path: Path) -> None:
    pages = tmp_path / "raw"
    pages.mkdir()
    (pages / "huge.txt").write_bytes(("一行文字。\n" * 1_400_000).encode("utf-8"))
    result = runner.invoke(app, ["run", str(pages), "-o", str(tmp_path / "clean")])
    assert result.exit_code == 1
    assert "huge.txt: page is 22.4 MB, over the limit of 20.0 MB" in (result.stderr or result.output)


def test_missing_input_and_bad_config_are_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["run", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert missing.exit_code == 2
    assert "no such file or folder" in (missing.stderr or missing.output)
    config = tmp_path / "cleanpipe.toml"
    config.write_text("dedup_treshold = 80\n", encoding="utf-8")
    bad = runner.invoke(app, ["run", str(SEED), "-o", str(tmp_path / "out"), "--config", str(config)])
    assert bad.exit_code == 2
    assert "unknown key 'dedup_treshold'" in (bad.stderr or bad.output)


@pytest.mark.parametrize("where", ["the input", "above the input"])
def test_an_output_folder_that_is_or_holds_an_input_folder_is_refused(tmp_path: Path, where: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    page = raw / "page.md"
    page.write_text("# 标题\n\n正文第一段。\n", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    output = raw if where == "the input" else tmp_path
    result = runner.invoke(app, ["run", str(raw), "-o", str(output)])
    assert result.exit_code == 2
    verb = "is the input folder" if where == "the input" else "holds the input folder"
    assert f"--output {output} {verb} {raw}: its outputs would be read back as pages" in (
        result.stderr or result.output
    )
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, the input untouched
    assert page.read_text(encoding="utf-8") == "# 标题\n\n正文第一段。\n"
    inside = runner.invoke(app, ["run", str(raw), "-o", str(raw / "clean"), "-q"])  # inside: never read
    assert inside.exit_code == 0, inside.output
    assert runner.invoke(app, ["run", str(raw), "-o", str(raw / "clean"), "-q"]).exit_code == 0


def test_a_run_over_an_earlier_output_reads_its_pages_and_not_its_records(tmp_path: Path) -> None:
    first = runner.invoke(app, ["run", str(SEED.parent), "-o", str(tmp_path / "first"), "-q", "--dedup", "off"])
    assert first.exit_code == 0, first.output
    pages = sorted(path.relative_to(tmp_path / "first") for path in (tmp_path / "first").glob("*.md"))
    assert (tmp_path / "first" / "removed.jsonl").is_file() and pages
    second = runner.invoke(app, ["run", str(tmp_path / "first"), "-o", str(tmp_path / "second"), "-q"])
    assert second.exit_code == 0, second.output
    run = json.loads((tmp_path / "second" / "run.json").read_text(encoding="utf-8"))
    assert run["pages"]["read"] == len(pages) and run["pages"]["failed"] == 0
    pattern = runner.invoke(app, ["run", str(tmp_path / "first" / "*"), "-o", str(tmp_path / "third"), "-q"])
    assert pattern.exit_code == 0, pattern.output
    assert json.loads((tmp_path / "third" / "run.json").read_text(encoding="utf-8"))["pages"]["read"] == len(pages)


def test_an_output_that_cannot_be_written_exits_5_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    output = tmp_path / "afile" / "out"
    result = runner.invoke(app, ["run", str(SEED), "-o", str(output)])
    assert result.exit_code == 5
    errors = (result.stderr or result.output).strip().splitlines()
    problem = f"cannot write the output: Not a directory ({output}); once fixed, the next run resumes"
    assert errors == [f"error: {output}: {problem}"]


def test_explain_marks_removed_blocks_with_their_rule() -> None:
    result = runner.invoke(app, ["explain", str(SEED), "--no-color"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(re.match(r"- \[dedup/teaser [0-9.]+\] 核心提示", line) for line in lines)  # with its similarity
    assert any(line.startswith("- [boilerplate/report-widget] 举报") for line in lines)
    assert any(line.startswith("  ## 具体怎么操作?") for line in lines)
    assert "\x1b[" not in result.output


def test_explain_colours_on_request() -> None:
    result = runner.invoke(app, ["explain", str(SEED), "--color"])
    assert "\x1b[31;9m" in result.output


def test_every_command_has_help_with_an_example() -> None:
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "Example: cleanpipe run" in top.output
    for command in ("run", "explain", "rules", "version"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: cleanpipe " + command in result.output


def test_undecodable_bytes_are_a_warning_naming_the_page(tmp_path: Path) -> None:
    pages = tmp_path / "raw"
    pages.mkdir()
    text = SEED.read_text(encoding="utf-8").split("\n\n")[0]  # the title line
    (pages / "gbk_cut.txt").write_bytes((text + "\n正文").encode("gb18030")[:-1] + b"\n")
    result = runner.invoke(app, ["run", str(pages), "-o", str(tmp_path / "clean")])
    assert result.exit_code == 0
    assert "warning: " + str(pages / "gbk_cut.txt") + ": 1 undecodable byte" in (result.stderr or result.output)
    assert "warnings: 1" in result.output

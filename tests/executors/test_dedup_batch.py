"""Near-duplicate pages in `cleanpipe run`: dropped, flagged or left; the keep policies; duplicates.jsonl and
the audit; tonight's run finding a copy of last night's page; the same result with any number of workers.
Pages are real: a Chinese tech article (tests/fixtures) reposted with a cut paragraph and another footer,
and the seed page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED_PAGE, fixture_text
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.executors import batch
from cleanpipe.executors.batch import BatchOptions, run_batch

runner = CliRunner()
ARTICLE = fixture_text("tech_article_plain.txt")
SEED = SEED_PAGE.read_text(encoding="utf-8")


def _repost(text: str) -> str:
    """The article as another site reposts it: one paragraph cut, another footer line added."""
    paragraphs = [part for part in text.split("\n") if part.strip()]
    return "\n".join(paragraphs[:10] + paragraphs[11:]) + "\n本文转载自网络，如有侵权请联系删除。\n"


def _write(folder: Path, pages: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _run(raw: Path, out: Path, **options: object) -> dict[str, object]:
    summary = run_batch(BatchOptions((raw,), out, **options))  # type: ignore[arg-type]
    return summary.duplicates


def _clusters(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "duplicates.jsonl").read_text(encoding="utf-8").splitlines()]


def _dropped(out: Path) -> set[str]:
    return {path.name for path in (out / ".cleanpipe" / "dropped").glob("*.md")}


def test_duplicates_are_dropped_listed_and_audited(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_article.txt": ARTICLE, "b_repost.txt": _repost(ARTICLE), "c_seed.txt": SEED})
    out = tmp_path / "out"
    counts = _run(raw, out)
    assert counts["duplicates"] == 1 and counts["clusters"] == 1
    assert sorted(path.name for path in out.glob("*.md")) == ["a_article.md", "c_seed.md"]
    assert _dropped(out) == {"b_repost.md"}
    [cluster] = _clusters(out)
    assert cluster["kept"] == "a_article.txt"
    [dropped] = cluster["dropped"]  # type: ignore[misc]
    assert dropped["id"] == "b_repost.txt" and dropped["rule"] == "near-duplicate"
    assert 0.8 <= dropped["similarity"] < 1.0
    audit = [json.loads(line) for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    drops = [entry for entry in audit if entry["stage"] == "corpus-dedup"]
    assert [(entry["page"], entry["kept"]) for entry in drops] == [("b_repost.txt", "a_article.txt")]
    assert "a_article.txt" in drops[0]["reason"]
    assert json.loads((out / "run.json").read_text())["duplicates"]["duplicates"] == 1


def test_tonights_run_finds_a_copy_of_last_nights_page(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"night1_article.txt": ARTICLE, "night1_seed.txt": SEED})
    out = tmp_path / "out"
    assert _run(raw, out)["duplicates"] == 0
    _write(raw, {"night2_repost.txt": _repost(ARTICLE)})
    summary = run_batch(BatchOptions((raw,), out))
    assert summary.written == 1 and summary.skipped == 2  # last night's pages are not cleaned again
    assert summary.duplicates["new_pages_indexed"] == 1
    assert _dropped(out) == {"night2_repost.md"}
    assert _clusters(out)[0]["kept"] == "night1_article.txt"
    # a third run with nothing new changes nothing
    third = run_batch(BatchOptions((raw,), out))
    assert third.written == 0 and third.duplicates["duplicates"] == 1
    assert _dropped(out) == {"night2_repost.md"}


def test_keep_longest_sets_aside_the_earlier_shorter_page_and_first_puts_it_back(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_repost.txt": _repost(ARTICLE), "b_article.txt": ARTICLE})
    out = tmp_path / "out"
    _run(raw, out, keep="longest")
    assert _dropped(out) == {"a_repost.md"}
    assert (out / "b_article.md").is_file() and not (out / "a_repost.md").exists()
    _run(raw, out, keep="first")
    assert _dropped(out) == {"b_article.md"}
    assert (out / "a_repost.md").is_file()


def test_a_run_stopped_before_the_outputs_follow_its_decisions_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _write(tmp_path / "raw", {"a_repost.txt": _repost(ARTICLE), "b_article.txt": ARTICLE})
    out = tmp_path / "out"
    _run(raw, out, keep="longest")
    assert _dropped(out) == {"a_repost.md"}

    def stopped(*args: object) -> None:
        raise KeyboardInterrupt  # the run dies after deciding, before moving any file

    monkeypatch.setattr(batch, "_apply_to_markdown", stopped)
    with pytest.raises(KeyboardInterrupt):
        _run(raw, out, keep="first")
    monkeypatch.undo()
    _run(raw, out, keep="first")
    assert _dropped(out) == {"b_article.md"}
    assert (out / "a_repost.md").is_file() and not (out / "b_article.md").exists()


def test_flag_marks_the_duplicate_and_off_restores_every_page(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_article.txt": ARTICLE, "b_repost.txt": _repost(ARTICLE)})
    out = tmp_path / "out"
    _run(raw, out)  # dropped first: flag must bring the page back
    _run(raw, out, dedup="flag")
    flagged = (out / "b_repost.md").read_text(encoding="utf-8")
    assert 'duplicate_of: "a_article.txt"' in flagged
    assert "duplicate_of" not in (out / "a_article.md").read_text(encoding="utf-8")
    assert not _dropped(out)
    audit = (out / "removed.jsonl").read_text(encoding="utf-8")
    assert "corpus-dedup" not in audit  # flagging removes nothing
    counts = _run(raw, out, dedup="off")
    assert counts["duplicates"] == 0
    assert "duplicate_of" not in (out / "b_repost.md").read_text(encoding="utf-8")
    assert (out / "duplicates.jsonl").read_text() == ""


def test_jsonl_output_leaves_out_dropped_pages_and_flags_in_metadata(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_article.txt": ARTICLE, "b_repost.txt": _repost(ARTICLE), "c_seed.txt": SEED})
    out = tmp_path / "out"
    _run(raw, out, format="jsonl")
    records = [json.loads(line) for line in (out / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["id"] for record in records] == ["a_article.txt", "c_seed.txt"]
    _run(raw, out, format="jsonl", dedup="flag")
    records = [json.loads(line) for line in (out / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    flags = {record["id"]: record["metadata"].get("duplicate_of") for record in records}
    assert flags == {"a_article.txt": None, "b_repost.txt": "a_article.txt", "c_seed.txt": None}


def test_duplicates_are_the_same_whatever_the_workers(tmp_path: Path) -> None:
    pages = {f"p{n:02d}.txt": (ARTICLE if n % 3 == 0 else SEED if n % 3 == 1 else _repost(ARTICLE)) for n in range(9)}
    pages = {name: f"第{n}号\n{text}" for n, (name, text) in enumerate(pages.items())}
    raw = _write(tmp_path / "raw", pages)
    _run(raw, tmp_path / "one", workers=1, shard_size=2)
    _run(raw, tmp_path / "two", workers=2, shard_size=2)
    one, two = (tmp_path / "one" / "duplicates.jsonl").read_text(), (tmp_path / "two" / "duplicates.jsonl").read_text()
    assert one == two
    assert len(_clusters(tmp_path / "one")) == 2  # the articles with their reposts, and the seed pages


def test_cli_options_and_bad_values(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_article.txt": ARTICLE, "b_repost.txt": _repost(ARTICLE)})
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "-w", "1", "--dedup", "flag", "--keep", "longest"])
    assert result.exit_code == 0, result.output
    assert "1 pages flagged in 1 clusters" in result.output
    assert 'duplicate_of: "a_article.txt"' in (out / "b_repost.md").read_text(encoding="utf-8")
    for option, value in (("--dedup", "delete"), ("--keep", "oldest"), ("--shingles", "bytes")):
        bad = runner.invoke(app, ["run", str(raw), "-o", str(out), option, value])
        assert bad.exit_code == 2 and value in bad.output


def test_the_config_table_sets_the_pass_and_the_command_line_overrides_it(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", {"a_repost.txt": _repost(ARTICLE), "b_article.txt": ARTICLE})
    config = tmp_path / "cleanpipe.toml"
    config.write_text('[near_duplicates]\nmode = "flag"\nkeep = "longest"\nnum_perm = 64\n', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "-w", "1", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert 'duplicate_of: "b_article.txt"' in (out / "a_repost.md").read_text(encoding="utf-8")
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "-w", "1", "-c", str(config), "--keep", "first"])
    assert result.exit_code == 0, result.output
    assert 'duplicate_of: "a_repost.txt"' in (out / "b_article.md").read_text(encoding="utf-8")
    assert "duplicate_of" not in (out / "a_repost.md").read_text(encoding="utf-8")
    # the table decides which pages are kept, not how a page is cleaned: pages are not cleaned again
    assert json.loads((out / "run.json").read_text())["pages"]["skipped"] == 2
    for table, problem in (
        ('[near_duplicates]\nthreshold = 1.5\n', "near_duplicates.threshold"),
        ('[near_duplicates]\nbands = 4\n', "unknown key 'bands'"),
        ('[sites."example.com".near_duplicates]\nmode = "off"\n', "unknown key 'near_duplicates'"),
    ):
        config.write_text(table, encoding="utf-8")
        bad = runner.invoke(app, ["run", str(raw), "-o", str(out), "-c", str(config)])
        assert bad.exit_code == 2 and problem in bad.output, bad.output


def test_the_library_obeys_the_configs_near_duplicates_table(tmp_path: Path) -> None:
    """run_batch reads [near_duplicates] from the config it is given, as `cleanpipe run` does; options
    given to BatchOptions still win over the table."""
    from cleanpipe.config import Config

    raw = _write(tmp_path / "raw", {"a_article.txt": ARTICLE, "b_repost.txt": _repost(ARTICLE)})
    off = Config.from_mapping({"near_duplicates": {"mode": "off"}})
    assert _run(raw, tmp_path / "off", config=off)["mode"] == "off"
    assert sorted(path.name for path in (tmp_path / "off").glob("*.md")) == ["a_article.md", "b_repost.md"]
    flag = Config.from_mapping({"near_duplicates": {"mode": "flag", "keep": "longest", "threshold": 0.7}})
    options = BatchOptions((raw,), tmp_path / "flag", flag)
    assert (options.dedup, options.keep, options.settings.threshold) == ("flag", "longest", 0.7)
    run_batch(options)
    assert "duplicate_of" in (tmp_path / "flag" / "b_repost.md").read_text(encoding="utf-8")
    assert BatchOptions((raw,), tmp_path / "x", off, dedup="drop").dedup == "drop"

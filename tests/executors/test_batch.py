"""The batch job: incremental re-runs, identical output whatever the workers, resume after SIGKILL, the
output lock, failures quarantined, run.json, formats and per-site config."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEED_PAGE, fixture_text, output_snapshot
from typer.testing import CliRunner

from cleanpipe.cli import app
from cleanpipe.config import Config
from cleanpipe.document import Document
from cleanpipe.executors import batch
from cleanpipe.executors.batch import BatchOptions, run_batch
from cleanpipe.executors.lock import OutputLock
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages import classify

runner = CliRunner()
LINES = [line for line in fixture_text("property_lines.txt").splitlines() if line]


def _pages(folder: Path, count: int) -> Path:
    """`count` distinct pages: the seed page with a numbered line and a few real lines varied per page."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = SEED_PAGE.read_text(encoding="utf-8")
    for number in range(count):
        extra = "\n".join(LINES[(number + k) % len(LINES)] for k in range(3))
        title = f"第{number}页：电商和微商有什么区别?"
        (folder / f"page{number:04d}.txt").write_text(title + "\n" + extra + "\n\n" + seed, encoding="utf-8")
    return folder


def test_second_run_skips_unchanged_pages_and_redoes_changed_ones(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 12)
    out = tmp_path / "out"
    first = run_batch(BatchOptions((pages,), out))
    assert (first.written, first.skipped, first.failed) == (12, 0, 0)
    before = output_snapshot(out)
    second = run_batch(BatchOptions((pages,), out))
    assert (second.written, second.skipped) == (0, 12)
    assert output_snapshot(out) == before
    (pages / "page0003.txt").write_text("改过的标题\n改过以后的正文，内容完全不同了。\n", encoding="utf-8")
    third = run_batch(BatchOptions((pages,), out))
    assert (third.written, third.skipped) == (1, 11)
    assert "改过以后的正文" in (out / "page0003.md").read_text(encoding="utf-8")
    audit_pages = {
        json.loads(line)["page"] for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert "page0000.txt" in audit_pages  # skipped pages keep their audit lines
    forced = run_batch(BatchOptions((pages,), out, force=True))
    assert (forced.written, forced.skipped) == (12, 0)


def test_a_config_change_redoes_every_page(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 3)
    out = tmp_path / "out"
    run_batch(BatchOptions((pages,), out))
    changed = run_batch(BatchOptions((pages,), out, Config(dedup_threshold=95)))
    assert changed.written == 3 and changed.skipped == 0


def test_a_retrained_line_model_redoes_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line model ships with cleanpipe: other weights (another digest) clean pages otherwise, so a run
    with them redoes every page, as a changed setting does."""
    pages = _pages(tmp_path / "raw", 3)
    out = tmp_path / "out"
    run_batch(BatchOptions((pages,), out))
    assert run_batch(BatchOptions((pages,), out)).skipped == 3
    retrained = replace(classify.load_model(), digest="retrained")
    monkeypatch.setattr(batch, "load_model", lambda: retrained)
    changed = run_batch(BatchOptions((pages,), out))
    assert changed.written == 3 and changed.skipped == 0


def test_two_workers_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 40)
    one, two = tmp_path / "one", tmp_path / "two"
    run_batch(BatchOptions((pages,), one, workers=1))
    run_batch(BatchOptions((pages,), two, workers=2, shard_size=3))
    assert output_snapshot(one) == output_snapshot(two)
    jsonl_one, jsonl_two = tmp_path / "j1", tmp_path / "j2"
    run_batch(BatchOptions((pages,), jsonl_one, workers=1, format="jsonl"))
    run_batch(BatchOptions((pages,), jsonl_two, workers=2, format="jsonl", shard_size=5))
    assert (jsonl_one / "pages.jsonl").read_bytes() == (jsonl_two / "pages.jsonl").read_bytes()


def test_killed_run_resumes_to_the_same_outputs_with_no_temporary_files(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 300)
    reference = tmp_path / "reference"
    run_batch(BatchOptions((pages,), reference, workers=2))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cleanpipe.cli", "run", str(pages), "-o", str(out), "--workers", "2", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.md"))) < 120:
        time.sleep(0.05)
    workers = _children(process.pid)
    assert workers, "the run should have started worker processes"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _assert_gone(workers)
    written_before_kill = len(list(out.glob("*.md")))
    assert 120 <= written_before_kill < 300, "the run should have been killed midway"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert output_snapshot(out) == output_snapshot(reference)
    assert not [path for path in out.rglob("*") if path.name.endswith(".tmp")]
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["pages"]["skipped"] >= 1 and run["pages"]["written"] + run["pages"]["skipped"] == 300


def _children(pid: int) -> list[int]:
    """Child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _assert_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert not alive, f"worker processes left running: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


@pytest.mark.parametrize("group", [False, True], ids=["to-the-run", "to-the-process-group"])
def test_sigterm_stops_the_workers_and_the_next_run_resumes(tmp_path: Path, group: bool) -> None:
    """SIGTERM sent to the run, or to its whole process group as systemd, `timeout` and Ctrl-C do (the
    workers get it too): the run stops in order with 143, leaves no worker, and the next run resumes."""
    pages = _pages(tmp_path / "raw", 300)
    out = tmp_path / "out"
    # The pages are variants of one page: with near-duplicates dropped only one would stay in view.
    command = [sys.executable, "-m", "cleanpipe.cli", "run", str(pages), "-o", str(out), "-w", "2", "-q"]
    command += ["--dedup", "off"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=group
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.md"))) < 60:
        time.sleep(0.05)
    workers = _children(process.pid)
    if group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert "run stopped by SIGTERM; the next run resumes" in stderr
    _assert_gone(workers)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(list(out.glob("*.md"))) == 300


def test_a_second_run_on_the_same_output_exits_at_once_with_status_3(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 2)
    out = tmp_path / "out"
    with OutputLock(out / ".cleanpipe" / "lock"):
        result = runner.invoke(app, ["run", str(pages), "-o", str(out)])
    assert result.exit_code == 3
    assert "another cleanpipe run holds the lock" in (result.stderr or result.output)
    assert not list(out.glob("*.md"))


def test_a_stale_lock_from_a_dead_run_is_taken_over(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 2)
    out = tmp_path / "out"
    lock = out / ".cleanpipe" / "lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 999_999, "host": "gone", "started": "2026-01-01T02:30:00"}))
    result = runner.invoke(app, ["run", str(pages), "-o", str(out)])
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["lock_taken_over_from"]["pid"] == 999_999


def test_failures_are_quarantined_and_the_batch_goes_on(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 3)
    (pages / "empty.txt").write_bytes(b"")
    dump = pages / "dump.jsonl.gz"
    good = json.dumps({"id": "r1", "text": "标题\n一段完整的正文内容，写得比较长一些。"}, ensure_ascii=False)
    dump.write_bytes(gzip.compress((good + "\n" + '{"id": "r2", "text": "被截断的一').encode("utf-8")))
    result = runner.invoke(app, ["run", str(pages), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 1
    failed = [json.loads(line) for line in (tmp_path / "out" / "failed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(f["page"], f["stage"]) for f in failed} >= {("empty.txt", "decode")}
    assert any(f["page"].startswith("dump.jsonl.gz") and f["stage"] == "read" for f in failed)
    assert len(list((tmp_path / "out").rglob("*.md"))) == 4  # three pages and the good record
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["pages"]["failed"] == len(failed) and run["pages"]["written"] == 4
    again = runner.invoke(app, ["run", str(pages), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert again.exit_code == 1  # failed pages are retried, and fail again
    assert json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["pages"]["skipped"] == 4


def test_run_json_says_what_the_run_did(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 2)
    run_batch(BatchOptions((pages,), tmp_path / "out"))
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["pages"] == {"read": 2, "written": 2, "skipped": 0, "failed": 0}
    assert run["cleanpipe_version"] and len(run["config_hash"]) == 16
    assert run["chars_removed_per_stage"]["dedup"] > 0
    assert run["chars_removed_per_rule"]["boilerplate/report-widget"] > 0
    assert set(run["seconds_per_stage"]) >= {"decode", "dedup", "render"}


def test_jsonl_and_parquet_outputs_hold_every_page(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 5)
    # The pages are variants of one page: near-duplicate dropping is off to see every record.
    run_batch(BatchOptions((pages,), tmp_path / "j", format="jsonl", dedup="off"))
    records = [json.loads(line) for line in (tmp_path / "j" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [f"page{n:04d}.txt" for n in range(5)]
    assert all(r["markdown"].startswith("---\n") and r["removed"]["dedup"] > 0 for r in records)
    pyarrow_json = pytest.importorskip("pyarrow.json")
    table = pyarrow_json.read_json(tmp_path / "j" / "pages.jsonl")  # what datasets' json loader builds on
    assert table.num_rows == 5 and {"id", "markdown", "metadata", "removed", "url"} <= set(table.column_names)
    pq = pytest.importorskip("pyarrow.parquet")
    run_batch(BatchOptions((pages,), tmp_path / "p", format="parquet", dedup="off"))
    parquet = pq.read_table(tmp_path / "p" / "pages.parquet")
    assert parquet.column("markdown").to_pylist() == [r["markdown"] for r in records]


def test_site_settings_apply_to_their_domain_only(tmp_path: Path) -> None:
    dump = tmp_path / "raw" / "dump.jsonl"
    dump.parent.mkdir()
    page = "标题\n正文第一段，写得比较长一些。\n本站口号：做最好的百科\n"
    rows = [
        {"id": "a", "url": "https://news.example.com/1", "text": page},
        {"id": "b", "url": "https://other.org/1", "text": page},
    ]
    dump.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    config = Config.from_mapping(
        {
            "sites": {
                "example.com": {"rules": [{"name": "slogan", "pattern": "^本站口号", "description": "site slogan"}]}
            }
        }
    )
    run_batch(BatchOptions((dump.parent,), tmp_path / "out", config, format="jsonl"))
    records = {
        r["id"]: r for r in map(json.loads, (tmp_path / "out" / "pages.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert "本站口号" not in records["dump.jsonl#a"]["markdown"]
    assert "本站口号" in records["dump.jsonl#b"]["markdown"]


def test_config_show_prints_the_effective_config_it_reads_back(tmp_path: Path) -> None:
    config_file = tmp_path / "cleanpipe.toml"
    config_file.write_text('dedup_threshold = 93\n[sites."example.com"]\ndedup_min_chars = 20\n', encoding="utf-8")
    result = runner.invoke(app, ["config", "show", "--config", str(config_file)])
    assert result.exit_code == 0
    shown = tmp_path / "shown.toml"
    shown.write_text(result.output, encoding="utf-8")
    assert Config.from_toml(shown) == Config.from_toml(config_file)
    bad = runner.invoke(app, ["config", "show", "--config", str(tmp_path / "nope.toml")])
    assert bad.exit_code == 2


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 1)
    (pages / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["run", str(pages), "-o", str(tmp_path / "out"), "--log-format", "json", "-w", "1"])
    lines = [json.loads(line) for line in (result.stderr or "").splitlines() if line.strip()]
    assert lines[0]["level"] == "error" and lines[0]["page"] == "empty.txt"
    assert lines[-1]["message"] == "run finished" and lines[-1]["pages"]["written"] == 1


def test_an_unchanged_input_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cleanpipe.executors.steps as steps

    pages = _pages(tmp_path / "raw", 3)
    dump = pages / "dump.jsonl"
    rows = [{"id": f"r{n}", "text": f"标题{n}\n第{n}条记录的正文，写得比较长一些。"} for n in range(4)]
    dump.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out"
    run_batch(BatchOptions((pages,), out))
    audit = (out / "removed.jsonl").read_bytes()
    opened: list[str] = []
    real_read_places = steps.read_places
    monkeypatch.setattr(
        steps,
        "read_places",
        lambda file, options, start=None: opened.append(file.path.name) or real_read_places(file, options, start),
    )
    again = run_batch(BatchOptions((pages,), out))
    assert opened == [] and (again.pages, again.skipped, again.written) == (7, 7, 0)
    assert (out / "removed.jsonl").read_bytes() == audit
    os.utime(dump, ns=(time.time_ns(), time.time_ns()))  # touched, same bytes: read again, every page skipped
    touched = run_batch(BatchOptions((pages,), out))
    assert opened == ["dump.jsonl"] and (touched.skipped, touched.written) == (7, 0)
    rows[2]["text"] = "标题2\n改过的正文，和原来完全不同。"
    dump.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    edited = run_batch(BatchOptions((pages,), out))
    assert (edited.skipped, edited.written) == (6, 1)
    assert "改过的正文" in (out / "dump" / next(p.name for p in (out / "dump").iterdir() if "r2" in p.name)).read_text(
        encoding="utf-8"
    )


def test_a_file_with_a_failed_page_is_read_again(tmp_path: Path) -> None:
    pages = tmp_path / "raw"
    pages.mkdir()
    dump = pages / "dump.jsonl"
    dump.write_text(
        '{"id": "ok", "text": "标题\\n完整的正文内容，写得比较长一些。"}\n{"id": "bad", "text": ""}\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    first = run_batch(BatchOptions((pages,), out))
    second = run_batch(BatchOptions((pages,), out))
    assert first.failed == second.failed == 1  # reported again, not hidden by the skip
    assert (second.skipped, second.written) == (1, 0)


def test_clashing_ids_across_inputs_stay_stable_when_files_are_skipped(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, word in ((one, "甲"), (two, "乙")):
        folder.mkdir()
        (folder / "a.txt").write_text(f"标题{word}\n正文{word}，写得比较长一些的一段话。\n", encoding="utf-8")
    out = tmp_path / "out"
    run_batch(BatchOptions((one, two), out))
    before = output_snapshot(out)
    assert len([name for name in before if name.endswith(".md")]) == 2
    again = run_batch(BatchOptions((one, two), out))
    assert (again.skipped, again.written) == (2, 0)
    assert output_snapshot(out) == before


def killed_by_the_os(doc: Document, config: Config) -> Document:
    """A stage that dies as a worker the OOM killer picks does (SIGKILL), on the page that asks for it."""
    if "OOM-KILL-ME" in doc.text:
        os.kill(os.getpid(), signal.SIGKILL)
    return doc


def test_a_worker_killed_by_the_os_costs_only_the_page_it_was_cleaning(tmp_path: Path) -> None:
    pages = _pages(tmp_path / "raw", 200)
    (pages / "page0100.txt").write_text(
        "第100页：一个太大的页面\n\nOOM-KILL-ME 这一页让清洗它的进程被杀掉。\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    pipeline = Pipeline().insert(killed_by_the_os, after="decode")
    options = BatchOptions((pages,), out, workers=2, dedup="off")
    summary = run_batch(options, pipeline=pipeline)
    assert (summary.written, summary.failed) == (199, 1)
    (failure,) = [json.loads(line) for line in (out / "failed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (failure["page"], failure["stage"]) == ("page0100.txt", "worker")
    assert "killed by the operating system" in failure["error"]
    assert len(list(out.glob("*.md"))) == 199
    again = run_batch(options, pipeline=pipeline)  # the failed page is tried again, alone; the rest skipped
    assert (again.skipped, again.failed) == (199, 1)

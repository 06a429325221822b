"""`cleanpipe learn`, `cleanpipe run --profile` and `cleanpipe run --learn` on real pages (the nine
mobile.zol.com.cn articles of tests/fixtures/learn_zol_pages.jsonl, eight with the site's shop box)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES
from typer.testing import CliRunner

from cleanpipe.cli import LEARNED_FILE, app

runner = CliRunner()
SITE = "mobile.zol.com.cn"
RULE = f"learned:{SITE}"


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "zol.jsonl").write_bytes((FIXTURES / "learn_zol_pages.jsonl").read_bytes())
    return folder


def _learned_removals(out: Path) -> list[dict[str, object]]:
    audit = (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, audit) if str(entry["rule"]).startswith("learned:")]


def test_learn_writes_a_profile_that_run_uses(tmp_path: Path) -> None:
    raw = _corpus(tmp_path)
    profile = tmp_path / "profile.json"
    learned = runner.invoke(app, ["learn", str(raw), "-o", str(profile), "--workers", "1"])
    assert learned.exit_code == 0, learned.output
    assert f"       9 pages      3 lines  {SITE}" in learned.output
    assert json.loads(profile.read_text(encoding="utf-8"))["sites"][SITE]["pages"] == 9
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "--profile", str(profile), "-w", "1"])
    assert result.exit_code == 0, result.output
    removals = _learned_removals(out)
    assert len(removals) == 27 and {entry["rule"] for entry in removals} == {RULE}
    plain = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "plain"), "-w", "1"])
    assert plain.exit_code == 0 and _learned_removals(tmp_path / "plain") == []


def test_run_learn_learns_first_and_writes_the_profile_it_used(tmp_path: Path) -> None:
    raw = _corpus(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(raw), "-o", str(out), "--learn", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert len(_learned_removals(out)) == 27
    assert list(json.loads((out / LEARNED_FILE).read_text(encoding="utf-8"))["sites"]) == [SITE]


def test_learn_true_in_the_config_learns_and_no_learn_turns_it_off(tmp_path: Path) -> None:
    raw = _corpus(tmp_path)
    config = tmp_path / "cleanpipe.toml"
    config.write_text("learn = true\nlearn_min_share = 0.6\n", encoding="utf-8")
    on = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "on"), "-c", str(config), "-w", "1"])
    assert on.exit_code == 0, on.output
    assert len(_learned_removals(tmp_path / "on")) == 27
    off = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "off"), "-c", str(config), "--no-learn"])
    assert off.exit_code == 0, off.output
    assert _learned_removals(tmp_path / "off") == [] and not (tmp_path / "off" / LEARNED_FILE).exists()


def test_bad_profiles_and_settings_are_usage_errors(tmp_path: Path) -> None:
    raw = _corpus(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "cleanpipe-learned-boilerplate", "version": 1, "sites": 3}', encoding="utf-8")
    result = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "out"), "--profile", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: 'sites' must be an object of sites" in result.output
    missing = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "out"), "--profile", str(tmp_path / "no")])
    assert missing.exit_code == 2 and "cannot read profile" in missing.output
    both = runner.invoke(app, ["run", str(raw), "-o", str(tmp_path / "out"), "--profile", str(bad), "--learn"])
    assert both.exit_code == 2 and "not both" in both.output
    config = tmp_path / "one.toml"
    config.write_text("learn_min_pages = 1\n", encoding="utf-8")
    one = runner.invoke(app, ["learn", str(raw), "-o", str(tmp_path / "p.json"), "-c", str(config)])
    assert one.exit_code == 2 and "'learn_min_pages' must be at least 2" in one.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "p.json").exists()

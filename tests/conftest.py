"""Shared test helpers. Fixtures are real page snippets under tests/fixtures/ (see its README)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


SEED_PAGE = Path(__file__).parent.parent / "data" / "raw" / "content_farm_qa.txt"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def clean_pages(source_prefix: str = "") -> list[str]:
    """Texts of real pages that need no cleaning (tests/fixtures/boilerplate_clean_pages.jsonl)."""
    records = [json.loads(line) for line in fixture_text("boilerplate_clean_pages.jsonl").splitlines() if line]
    return [record["text"] for record in records if record["source"].startswith(source_prefix)]


def without_removal_counts(markdown: str) -> str:
    """Markdown without its front matter's count of removals: what two cleanings of one page compare on
    when one of them also repaired its bytes (one removal more)."""
    return "\n".join(line for line in markdown.split("\n") if not line.startswith("removed: "))


def output_snapshot(folder: Path) -> dict[str, str]:
    """Every output file of a run's folder with its hash, leaving out run.json (timings) and the state
    folder: two runs that should agree byte for byte have equal snapshots."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] != ".cleanpipe" and path.name != "run.json":
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES

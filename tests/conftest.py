"""Shared test helpers. Fixtures are real page snippets under tests/fixtures/ (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES

"""Fixtures for the bench tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.cache import CACHE_DIR_ENV


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every bench test gets its own empty cache folder, so no test sees another's roofline."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder

"""Probe tests never write the torch-answer cache into the user's ~/.cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_torch_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point MFU_ADVISOR_CACHE_DIR at a fresh folder for each test."""
    folder = tmp_path_factory.mktemp("torch-cache")
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(folder))
    yield folder

"""Analyze tests use a small fake hardware catalog unless a test asks for the real one."""

from __future__ import annotations

import pytest
from log_helpers import FakeCatalog

from mfu_advisor.logs import peak


@pytest.fixture
def fake_catalog(monkeypatch: pytest.MonkeyPatch) -> type[FakeCatalog]:
    """Replace the hardware catalog that --hardware NAME looks names up in."""
    monkeypatch.setattr(peak, "_catalog", lambda: FakeCatalog)
    return FakeCatalog

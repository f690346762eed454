"""Real public logs from the wild (tests/data/logs/wild, provenance in SOURCES.md): each is read in
the right format with the step time worked out by hand (expected.json), or says it cannot know it.
No figure is ever a confident wrong number."""

from __future__ import annotations

import json
from typing import Any

import pytest
from log_helpers import LOGS, as_json

from mfu_advisor.logs.pipeline import analyze_inputs

WILD = LOGS / "wild"
EXPECTED: dict[str, dict[str, Any]] = json.loads((WILD / "expected.json").read_text())


def test_the_collection_holds_thirty_logs_with_provenance() -> None:
    sources = (WILD / "SOURCES.md").read_text()
    assert len(EXPECTED) >= 30
    for name, entry in EXPECTED.items():
        assert (WILD / name).is_file(), name
        assert entry["source"].startswith("https://github.com/"), name
        assert name in sources, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wild_log_reads_right(name: str) -> None:
    entry = EXPECTED[name]
    doc = as_json(analyze_inputs([str(WILD / name)]))
    assert doc["format"] == entry["format"]
    assert doc["steps"] > 0
    if entry["step_time_ms"] is None:
        assert doc["steady_step_time_ms"] is None
        assert doc["unavailable"]["steady_step_time_ms"]
    else:
        assert doc["steady_step_time_ms"] == pytest.approx(entry["step_time_ms"], rel=entry["rel"])
    for key in ("devices", "reported_mfu", "tokens_per_s", "tokens_per_s_scope"):
        if key in entry:
            expected = entry[key]
            got = doc[key]
            assert got == (
                pytest.approx(expected, rel=0.005) if isinstance(expected, float) else expected
            )

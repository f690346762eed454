"""Golden outputs of the recorded diagnose result: terminal (100 columns) and Markdown.

The result is tests/data/reports/diagnose_from_log_zen3.json (tests/data/reports/README.md).

A change to a renderer shows up here as a readable diff. When the change is
intended, regenerate the goldens and review them with ``git diff``:

    MFU_ADVISOR_UPDATE_GOLDENS=1 python -m pytest tests/report/test_report_goldens.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from report_fixtures import DIAGNOSE_FIXTURE

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "reports" / "golden"
UPDATE = os.environ.get("MFU_ADVISOR_UPDATE_GOLDENS") == "1"

CASES = {
    "diagnose_from_log_zen3.txt": (OutputFormat.TEXT, {"width": 100, "color": False}),
    "diagnose_from_log_zen3.md": (OutputFormat.MARKDOWN, {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnose_output_matches_its_golden(name: str, diagnose_report: Report) -> None:
    fmt, options = CASES[name]
    actual = render(diagnose_report, fmt, **options)
    golden = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden {golden}; run with MFU_ADVISOR_UPDATE_GOLDENS=1"
    assert actual == golden.read_text(encoding="utf-8")


def test_the_json_output_is_the_recorded_result_byte_for_byte(diagnose_report: Report) -> None:
    # The fixture is the command's own --json output (tests/data/reports/README.md).
    assert render(diagnose_report, OutputFormat.JSON) == DIAGNOSE_FIXTURE.read_text("utf-8")

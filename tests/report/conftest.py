"""Recorded results the report tests render: a full diagnose result and its parts."""

from __future__ import annotations

from typing import Any

import pytest
from report_fixtures import diagnose_document, part_report, run_document

from mfu_advisor.report.model import Command, Report


@pytest.fixture
def diagnose_doc() -> dict[str, Any]:
    return diagnose_document()


@pytest.fixture
def diagnose_report() -> Report:
    return Report.from_json(diagnose_document())


@pytest.fixture
def probe_report() -> Report:
    return part_report(Command.PROBE, diagnose_document()["hardware"])


@pytest.fixture
def bench_report() -> Report:
    return part_report(Command.BENCH, diagnose_document()["baseline"])


@pytest.fixture
def analyze_report() -> Report:
    return part_report(Command.ANALYZE, diagnose_document()["analysis"])


@pytest.fixture
def run_report() -> Report:
    return Report.from_json(run_document())


@pytest.fixture
def every_report(
    diagnose_report: Report,
    probe_report: Report,
    bench_report: Report,
    analyze_report: Report,
    run_report: Report,
) -> list[Report]:
    return [diagnose_report, probe_report, bench_report, analyze_report, run_report]

"""Loading the recorded results the report tests render (shared by conftest and tests)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from mfu_advisor.report.model import Command, Report
from mfu_advisor.report.values import percent, speedup

DATA = Path(__file__).resolve().parents[1] / "data" / "reports"
DIAGNOSE_FIXTURE = DATA / "diagnose_from_log_zen3.json"
RUN_FIXTURE = DATA / "run_tiny_gpt_cpu.json"


def diagnose_document() -> dict[str, Any]:
    """The recorded diagnose result: a real ``diagnose --from-log --json`` run.

    Recorded on the project's 2-core Zen 3 KVM guest (CPU torch), verbatim but
    for the host name (tests/data/reports/README.md). Tests that check figures
    read them from this document, so a re-recorded result keeps them true.
    """
    return json.loads(DIAGNOSE_FIXTURE.read_text(encoding="utf-8"))


def run_document() -> dict[str, Any]:
    """The recorded ``run`` result: a real ``mfu-advisor run --output`` of a small CPU training
    script (tests/data/reports/README.md)."""
    return json.loads(RUN_FIXTURE.read_text(encoding="utf-8"))


def part_report(command: Command, payload: dict[str, Any]) -> Report:
    """A report of one command made from a part of the diagnose result."""
    return Report(
        command=command,
        payload=copy.deepcopy(payload),
        created_at=str(diagnose_document()["created_at"]),
    )


# What the tests expect to see, read from the recorded result itself so that they stay
# true when it is re-recorded (every figure in it is a measurement of one real run).


def top_change(doc: dict[str, Any]) -> dict[str, Any]:
    """The "do" finding with the largest measured speedup: the report lists it first."""
    measured = [f for f in doc["findings"] if f["kind"] == "do" and f["verified_speedup"]]
    return max(measured, key=lambda f: f["verified_speedup"])


def worst_dont(doc: dict[str, Any]) -> dict[str, Any]:
    """The "dont" finding measured slowest: the report lists it first among the don'ts."""
    measured = [f for f in doc["findings"] if f["kind"] == "dont" and f["verified_speedup"]]
    return min(measured, key=lambda f: f["verified_speedup"])


def measured_gain(finding: dict[str, Any]) -> str:
    """How the report words a finding's measured speedup: "measured 1.15x faster ..."."""
    return f"measured {speedup(finding['verified_speedup'])} on this machine"


def headline_mfu(doc: dict[str, Any], denominator: str = "measured_peak") -> str:
    """The baseline's MFU against one denominator, as the headline shows it ("34.6%")."""
    return str(percent(doc["baseline"]["mfu"][denominator]["value"]))


def first_skipped(doc: dict[str, Any]) -> dict[str, Any]:
    """The first experiment that did not run."""
    return next(e for e in doc["experiments"] if e["status"] == "skipped")

"""Loading the recorded results the report tests render (shared by conftest and tests)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from mfu_advisor.report.model import Command, Report

DATA = Path(__file__).resolve().parents[1] / "data" / "reports"
DIAGNOSE_FIXTURE = DATA / "diagnose_cpu_small.json"


def diagnose_document() -> dict[str, Any]:
    """The recorded diagnose result (this machine's kind: 2-core Zen 3 KVM guest, CPU torch).

    Its ``hardware`` and ``baseline`` are real ``probe --json`` and ``bench --json``
    output of this machine (host name changed; bench numbers of an idle run), its
    ``analysis`` follows issue 4's fields on the nanogpt_cpu_300.log fixture, and
    its experiments and findings issue 5's.
    """
    return json.loads(DIAGNOSE_FIXTURE.read_text(encoding="utf-8"))


def part_report(command: Command, payload: dict[str, Any]) -> Report:
    """A report of one command made from a part of the diagnose result."""
    return Report(
        command=command, payload=copy.deepcopy(payload), created_at="2025-06-02T09:14:07+00:00"
    )

"""MA103: a printed MFU relative to other hardware; placeholders come from the analyzer's field."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logs"))
from log_helpers import analyze_log, as_json

from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.report.model import ENVELOPE_KEYS
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts_json import log_facts_from_analysis
from mfu_advisor.rules.registry import rule_by_id

RULE = rule_by_id("mfu-relative-to-other-device")


def _payload(log_name: str) -> dict[str, Any]:
    doc = as_json(analyze_log(log_name))
    return {k: v for k, v in doc.items() if k not in ENVELOPE_KEYS}


def test_the_analyzer_flags_llmc_placeholder_mfu_explicitly() -> None:
    payload = _payload("llmc_1.log")
    assert payload["reported_mfu"] is None
    assert payload["reported_mfu_placeholder"] is True
    assert payload["reported_mfu_placeholder_lines"] == payload["steps"]


def test_a_nanogpt_log_with_measured_mfu_is_not_a_placeholder() -> None:
    payload = _payload("nanogpt_cpu_300.log")
    assert payload["reported_mfu_placeholder"] is False
    assert payload["reported_mfu_placeholder_lines"] == 5  # the first iterations print -100%


def test_an_llmc_log_with_placeholder_mfu_says_its_reference_is_unknown() -> None:
    log = log_facts_from_analysis(analyze_log("llmc_1.log"))
    finding = RULE.check(ex.facts(log=log))
    assert finding is not None
    assert finding.evidence["reference"] == "unknown"
    assert "placeholder MFU (-100%)" in finding.explanation


def test_the_placeholder_is_read_from_the_field_not_from_the_reason_wording() -> None:
    payload = _payload("llmc_1.log")
    payload["unavailable"]["reported_mfu"] = "llm.c printed -100.0% for every step"
    assert log_facts_from_analysis(LogAnalysis.from_json(payload)).reported_mfu_placeholder
    payload["reported_mfu_placeholder"] = False
    payload["unavailable"]["reported_mfu"] = "a placeholder word in a reason decides nothing"
    cleared = LogAnalysis.from_json(payload)
    assert log_facts_from_analysis(cleared).reported_mfu_placeholder is False


def test_nanogpt_placeholders_alone_still_name_the_a100_reference() -> None:
    # A log cut before nanoGPT's fifth iteration prints only -100.00%: the A100 still stands.
    log = ex.nanogpt_cpu_log(
        reported_mfu=ex.Unavailable("placeholder"), reported_mfu_placeholder=True
    )
    finding = RULE.check(ex.facts(ex.machine(), ex.cpu_run(), log=log))
    assert finding is not None
    assert finding.evidence["reference"] == "A100"
    assert "placeholder" not in finding.explanation

"""Findings are ranked by measured or expected gain, the same way in every format."""

from __future__ import annotations

from mfu_advisor.report.content.findings import (
    expected_factor,
    experiment_outcome,
    findings_blocks,
    gain_text,
)
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report
from mfu_advisor.report.values import percent


def _finding(
    fid: str,
    kind: str,
    verified: float | None = None,
    expected: object = None,
    severity: str = "medium",
) -> dict:
    return {
        "id": fid,
        "kind": kind,
        "severity": severity,
        "title": fid,
        "explanation": "",
        "fix": "",
        "expected_gain": expected,
        "verified_speedup": verified,
    }


def test_changes_rank_by_measured_gain_then_expected_gain_then_severity() -> None:
    # The rules engine's order (Finding.rank_key): a measurement outranks an expectation.
    payload = {
        "findings": [
            _finding("expected-big", "do", expected="1.5-2.5x"),
            _finding("measured-small", "do", verified=1.1),
            _finding("expected-number", "do", expected="a lot") | {"expected_speedup": 1.8},
            _finding("measured-big", "do", verified=1.42),
            _finding("no-gain-high", "do", severity="high"),
            _finding("no-gain-low", "do", severity="low"),
        ]
    }
    do, _dont, _info = findings_blocks(payload)
    assert [i.id for i in do.items] == [
        "measured-big",
        "measured-small",
        "expected-big",
        "expected-number",
        "no-gain-high",
        "no-gain-low",
    ]


def test_donts_rank_the_most_harmful_measurement_first() -> None:
    payload = {
        "findings": [
            _finding("compile", "dont", verified=0.86),
            _finding("unmeasured", "dont", severity="high"),
            _finding("bf16", "dont", verified=0.0625),
        ]
    }
    _do, dont, _info = findings_blocks(payload)
    assert [i.id for i in dont.items] == ["bf16", "compile", "unmeasured"]
    assert dont.items[0].gain == "measured 16x slower on this machine"


def test_the_order_in_the_json_does_not_change_the_report(diagnose_doc: dict) -> None:
    def before_raw_facts(doc: dict) -> str:  # the raw facts keep the JSON's own order
        return render(Report.from_json(doc), OutputFormat.MARKDOWN).split("<details>")[0]

    shown = before_raw_facts(diagnose_doc)
    diagnose_doc["findings"].reverse()
    assert before_raw_facts(diagnose_doc) == shown


def test_expected_gain_reads_numbers_and_ranges() -> None:
    assert expected_factor(1.3) == 1.3
    assert expected_factor("1.2-1.6x tokens/s") == 1.4
    assert expected_factor("up to 1.1x wall time") == 1.1
    assert expected_factor("fewer stalls") is None
    assert expected_factor(True) is None


def test_gain_wording_says_measured_or_expected() -> None:
    assert gain_text(_finding("a", "do", verified=1.42, expected="1.2-1.6x")) == (
        "measured 1.42x faster on this machine; expected 1.2-1.6x"
    )
    measured = _finding("a", "do", verified=1.42) | {"noise": 0.035, "experiment": "batch-x4"}
    assert gain_text(measured) == "measured 1.42x faster on this machine (±3.5%) by batch-x4"
    assert gain_text(_finding("b", "do", expected=1.25)) == "expected 1.25x (not measured)"
    assert gain_text(_finding("c", "info")) == ""


def test_an_experiment_counts_only_beyond_its_noise() -> None:
    assert experiment_outcome({"speedup": 1.42, "noise": 0.035})[0] == "faster beyond the noise"
    assert experiment_outcome({"speedup": 0.86, "noise": 0.05})[0] == "slower beyond the noise"
    assert experiment_outcome({"speedup": 1.03, "noise": 0.05})[0] == "no measurable effect"
    assert experiment_outcome({"status": "failed", "reason": "out of memory"})[0] == (
        "failed: out of memory"
    )
    assert experiment_outcome({"speedup": 1.2})[0] == "noise not measured"


def test_a_diagnosis_from_a_log_alone_heads_with_the_logs_numbers(diagnose_doc: dict) -> None:
    del diagnose_doc["baseline"]
    del diagnose_doc["experiments"]
    text = render(Report.from_json(diagnose_doc), OutputFormat.TEXT, width=100, color=False)
    assert "MFU vs your hardware" in text
    assert str(percent(diagnose_doc["analysis"]["mfu"]["value"])) in text
    assert "MFU as the log printed it" in text
    assert "relative to A100 bf16 312 TFLOP/s" in text
    assert "What-if experiments" not in text

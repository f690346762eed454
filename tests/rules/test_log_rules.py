"""Log rules on real logs, end to end: analyze -> LogFacts -> the rule."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logs"))
from log_helpers import analyze_log

from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.facts_json import log_facts_from_analysis
from mfu_advisor.rules.registry import rule_by_id


def test_maxtexts_compile_step_dominates_its_ten_step_guide_run() -> None:
    # Step 0 took 19.015 s (XLA compiling the step), the steady steps 1.012 s each.
    log = log_facts_from_analysis(analyze_log("maxtext_deepseek2_16b_tpu_v5p.log"))
    finding = rule_by_id("MA132").check(DiagnosisFacts(log=log))
    assert finding is not None
    assert finding.evidence["first_step_ms"] == pytest.approx(19015.0)
    assert finding.evidence["steady_step_time_ms"] == pytest.approx(1012.0)
    assert finding.evidence["warmup_share"] == pytest.approx(0.64, abs=0.01)
    assert "19.0 s against 1,012 ms per steady step" in finding.explanation


@pytest.mark.parametrize("name", ["nanogpt_cpu_300.log", "torchtitan_1.log", "llmc_1.log"])
def test_a_long_run_is_not_dominated_by_its_start(name: str) -> None:
    log = log_facts_from_analysis(analyze_log(name))
    assert rule_by_id("MA132").check(DiagnosisFacts(log=log)) is None

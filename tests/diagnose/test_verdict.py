"""The verdict paragraph: reach, biggest measured lever, measured don'ts, a busy machine."""

from __future__ import annotations

from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.registry import evaluate


def _zen3_verdict(run_to_run: float | None = None) -> str:
    experiments = (
        ex.experiment("batch-x4", 1.42, 0.05, overrides={"batch_size": 48},
                      change="batch_size 12 -> 48"),
        ex.experiment("autocast-bf16", 0.0625, 0.08,
                      change="dtype float32 -> bfloat16 (autocast)"),
        ex.experiment("compile", 1.02, 0.06, compile_s=40.0),
    )  # fmt: skip
    facts = ex.here(*experiments)
    return verdict(facts.baseline, None, evaluate(facts), experiments, run_to_run)


def test_the_verdict_gives_the_share_of_the_measured_peak() -> None:
    # 63.7 GFLOP/s achieved of a 139 GFLOP/s measured fp32 matmul peak.
    assert _zen3_verdict().startswith(
        "Your run reaches 46% of what this machine can do: 63.7 GFLOP/s of the 139 GFLOP/s "
        "float32 matmul peak measured here."
    )


def test_the_verdict_names_the_biggest_measured_lever_with_its_factor() -> None:
    text = _zen3_verdict()
    assert "The biggest lever is a larger micro-batch: batch_size 12 -> 48 measured 1.42x" in text


def test_the_verdict_lists_measured_donts_and_no_effects() -> None:
    text = _zen3_verdict()
    assert "Don't: dtype float32 -> bfloat16 (autocast) measured 16x slower." in text
    assert "compile 1.02x (+-6%)" in text


def test_a_busy_machine_is_said_to_be_busy() -> None:
    assert "something else was competing" in _zen3_verdict(run_to_run=0.4)
    assert "competing" not in _zen3_verdict(run_to_run=0.03)


def test_without_any_experiment_the_verdict_says_nothing_was_measured() -> None:
    facts = ex.here()
    text = verdict(facts.baseline, None, evaluate(facts), ())
    assert "No change was measured here (no experiments ran)." in text

"""The verdict paragraph: reach, biggest measured lever, measured don'ts, a busy machine."""

from __future__ import annotations

import dataclasses

from mfu_advisor.diagnose.noise import AAFloor
from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.experiments.result import Method
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.registry import evaluate


def _zen3_verdict(run_to_run: float | None = None, **run_changes: object) -> str:
    experiments = (
        ex.experiment("batch-x4", 1.42, 0.05, overrides={"batch_size": 48},
                      change="batch_size 12 -> 48"),
        ex.experiment("autocast-bf16", 0.0625, 0.08,
                      change="dtype float32 -> bfloat16 (autocast)"),
        ex.experiment("compile", 1.02, 0.06, compile_s=40.0),
    )  # fmt: skip
    facts = ex.here(*experiments)
    run = dataclasses.replace(facts.baseline, **run_changes) if run_changes else facts.baseline
    return verdict(run, None, evaluate(facts), experiments, run_to_run)


def test_the_verdict_gives_the_share_of_the_measured_peak() -> None:
    # 63.7 GFLOP/s achieved of a 139 GFLOP/s measured fp32 matmul peak.
    assert _zen3_verdict().startswith(
        "Your run reaches 45.8% of what this machine can do: 63.7 GFLOP/s of the 139 GFLOP/s "
        "float32 matmul peak measured here."
    )


def test_the_verdict_names_the_biggest_measured_lever_with_its_factor() -> None:
    text = _zen3_verdict()
    assert "The biggest lever is a larger micro-batch: batch_size 12 -> 48 measured 1.42x" in text


def test_the_verdict_lists_measured_donts_and_no_effects() -> None:
    text = _zen3_verdict()
    assert "Don't: dtype float32 -> bfloat16 (autocast) measured 16x slower." in text
    assert "compile 1.02x (±6%)" in text


def test_a_busy_machine_is_said_to_be_busy() -> None:
    assert "something else was competing" in _zen3_verdict(run_to_run=0.4)
    assert "competing" not in _zen3_verdict(run_to_run=0.03)


def test_on_a_busy_machine_interleaved_measurements_are_said_to_cancel_most_of_it() -> None:
    experiments = (ex.experiment("batch-x4", 1.15, 0.04, method=Method.INTERLEAVED),)
    facts = ex.here(*experiments)
    text = verdict(facts.baseline, None, evaluate(facts), experiments, 0.4)
    assert "interleaved with the baseline cancel most of that" in text


def test_an_estimated_peak_below_the_measured_one_is_said_plainly() -> None:
    # The Zen 3 VM: 2 cores x 32 FLOP/cycle x 2445 MHz = 156.5 GFLOP/s, but a matmul
    # measures 161-178 GFLOP/s: the boost clock is not visible in the VM.
    text = _zen3_verdict(device_peak_flops=156.5e9, measured_peak_flops=169e9)
    assert (
        "The datasheet-style estimate of this device's float32 peak (156 GFLOP/s) is below "
        "what was measured here (169 GFLOP/s), so the clock used for it is too low; MFU "
        "against the measured peak is the trustworthy one."
    ) in text


def test_no_peak_sentence_when_the_measured_peak_is_within_the_tolerance() -> None:
    assert "trustworthy" not in _zen3_verdict(device_peak_flops=156.5e9, measured_peak_flops=158e9)


def test_a_logged_mfu_above_100_percent_is_explained() -> None:
    log = ex.nanogpt_cpu_log(true_mfu=1.3, peak_source="AMD EPYC fp32 60 GFLOP/s (estimated)")
    text = verdict(None, log, [], ())
    assert "above 100%, which no run can reach" in text


def test_without_any_experiment_the_verdict_says_nothing_was_measured() -> None:
    facts = ex.here()
    text = verdict(facts.baseline, None, evaluate(facts), ())
    assert "No change was measured here (no experiments ran)." in text


def _leaders(batch: float, compile_speedup: float) -> str:
    experiments = (
        ex.experiment("batch-x4", batch, 0.05, overrides={"batch_size": 48},
                      change="batch_size 12 -> 48"),
        ex.experiment("compile", compile_speedup, 0.05, compile_s=3.0),
    )  # fmt: skip
    facts = ex.here(*experiments)
    return verdict(facts.baseline, None, evaluate(facts), experiments)


def test_leaders_whose_intervals_overlap_are_called_tied() -> None:
    # 1.14x +-5% reaches down to 1.083; 1.10x +-5% reaches up to 1.155: they overlap.
    text = _leaders(1.14, 1.10)
    assert "The biggest levers are tied, their intervals overlap" in text
    assert "batch_size 12 -> 48 measured 1.14x" in text and "measured 1.10x" in text
    assert "The biggest lever is" not in text


def test_a_leader_clear_of_the_next_is_named_alone() -> None:
    # 1.40x +-5% reaches down to 1.33; 1.10x +-5% up to 1.155.
    text = _leaders(1.40, 1.10)
    assert "The biggest lever is a larger micro-batch: batch_size 12 -> 48 measured 1.40x" in text
    assert "tied" not in text


def test_the_measured_noise_floor_is_stated() -> None:
    facts = ex.here()
    text = verdict(facts.baseline, None, evaluate(facts), (), aa=AAFloor(1.004, 0.02, 8, 0.024))
    assert "the baseline measured against itself gave 1.00x" in text
    assert "no effect under 2.4% is told from noise here" in text


def test_a_disturbed_aa_comparison_sets_no_floor() -> None:
    facts = ex.here()
    text = verdict(facts.baseline, None, evaluate(facts), (), aa=AAFloor(0.666, 662.0, 3, None))
    assert "gave 0.67x (±66200%): other work disturbed that comparison" in text

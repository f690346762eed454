"""Speedups, their noise interval and the verdict, in numbers."""

from __future__ import annotations

import math

import pytest

from mfu_advisor.experiments.compare import (
    ASSUMED_RUN_TO_RUN,
    NOISE_FLOOR,
    SINGLE_STEP_NOISE,
    RunMeasure,
    baseline_estimate,
    compare,
    measure_of,
    median_noise,
    paired_comparison,
    verdict_of,
)
from mfu_advisor.experiments.result import Verdict


def test_speedup_is_variant_over_mean_baseline_tokens_per_s() -> None:
    base = baseline_estimate([RunMeasure(10000, 0.02, 20), RunMeasure(10400, 0.02, 20)])
    result = compare(RunMeasure(14280, 0.03, 12), base)
    assert base.tokens_per_s == pytest.approx(10200)
    assert result.speedup == pytest.approx(1.4)


def test_noise_adds_both_runs_and_the_run_to_run_spread_in_quadrature() -> None:
    base = baseline_estimate([RunMeasure(10000, 0.02, 20), RunMeasure(10400, 0.02, 20)])
    result = compare(RunMeasure(14280, 0.03, 12), base)
    own = math.sqrt(0.02**2 + 0.02**2) / 2
    spread = 400 / 10200
    assert base.run_to_run == pytest.approx(spread)
    assert result.noise == pytest.approx(math.sqrt(0.03**2 + own**2 + spread**2))


def test_one_baseline_run_assumes_the_documented_run_to_run_noise() -> None:
    base = baseline_estimate([RunMeasure(10000, 0.0, 20)])
    result = compare(RunMeasure(10000, 0.0, 20), base)
    assert base.run_to_run is None
    assert result.noise == pytest.approx(ASSUMED_RUN_TO_RUN)


def test_noise_never_goes_below_the_floor() -> None:
    base = baseline_estimate([RunMeasure(10000, 0.0, 20), RunMeasure(10000, 0.0, 20)])
    assert compare(RunMeasure(10000, 0.0, 20), base).noise == NOISE_FLOOR


@pytest.mark.parametrize(
    ("speedup", "noise", "verdict"),
    [
        (1.42, 0.05, Verdict.FASTER),
        (1.04, 0.05, Verdict.WITHIN_NOISE),
        (0.97, 0.05, Verdict.WITHIN_NOISE),
        (0.0625, 0.1, Verdict.SLOWER),
        (0.86, 0.10, Verdict.SLOWER),
        (1.2, 0.5, Verdict.WITHIN_NOISE),
    ],
)
def test_verdict_needs_the_whole_interval_on_one_side_of_one(
    speedup: float, noise: float, verdict: Verdict
) -> None:
    assert verdict_of(speedup, noise) is verdict


def test_the_bench_median_interval_is_used_when_it_is_given() -> None:
    stats = {
        "steps": 40,
        "median": 60.0,
        "p10": 50.0,
        "p90": 90.0,
        "median_ci95_halfwidth_fraction": 0.021,
    }
    assert median_noise(stats) == pytest.approx(0.021)


def test_without_it_the_median_interval_comes_from_the_p10_p90_spread() -> None:
    # sigma = 25.631 / 2.5631 = 10 ms; SE(median) = 1.2533 x 10 / sqrt(10); t(9) = 2.262.
    stats = {"steps": 10, "median": 100.0, "p10": 87.1845, "p90": 112.8155}
    expected = 2.262 * math.sqrt(math.pi / 2) * 10 / math.sqrt(10) / 100
    assert median_noise(stats) == pytest.approx(expected, rel=1e-3)


def test_a_bench_result_without_tokens_per_s_gives_the_reason() -> None:
    reason = measure_of({"tokens_per_s": None, "unavailable": {"tokens_per_s": "no step"}})
    assert reason == "no tokens/s measured (no step)"


def test_a_single_step_run_gets_the_single_step_noise() -> None:
    measure = measure_of(
        {"tokens_per_s": 100.0, "step_time_ms": {"steps": 1, "median": 5.0, "p10": 5.0, "p90": 5.0}}
    )
    assert isinstance(measure, RunMeasure)
    assert measure.noise == 0.25


def test_an_interleaved_speedup_keeps_its_measured_noise_above_the_floor() -> None:
    comparison = paired_comparison({"speedup": 1.15, "noise": 0.04})
    assert not isinstance(comparison, str)
    assert (comparison.speedup, comparison.noise) == (1.15, 0.04)
    assert comparison.verdict is Verdict.FASTER
    tight = paired_comparison({"speedup": 1.01, "noise": 0.001})
    assert not isinstance(tight, str) and tight.noise == NOISE_FLOOR
    assert tight.verdict is Verdict.WITHIN_NOISE


def test_a_single_pair_gets_the_single_step_noise() -> None:
    comparison = paired_comparison({"speedup": 1.5, "noise": None})
    assert not isinstance(comparison, str) and comparison.noise == SINGLE_STEP_NOISE


def test_an_interleaved_run_without_a_pair_gives_its_reason() -> None:
    reason = "no complete pair of blocks was measured"
    assert paired_comparison({"speedup": None, "unavailable": {"speedup": reason}}) == reason

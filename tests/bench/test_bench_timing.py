"""Step statistics, the stopping rule and the synchronize-before-clock order, on a fake clock."""

from __future__ import annotations

import math
import statistics

import pytest

from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.timing import (
    RunningStats,
    StopRule,
    median_ci95_halfwidth_fraction,
    summarize,
    t_quantile_975,
)


def test_summary_of_known_durations() -> None:
    stats = summarize([0.010, 0.020, 0.030, 0.040, 0.050])
    assert stats is not None
    assert stats.steps == 5 and stats.median == pytest.approx(30.0)
    # Linear interpolation between order statistics: p10 = 10 + 0.4 * 10.
    assert stats.p10 == pytest.approx(14.0) and stats.p90 == pytest.approx(46.0)
    assert stats.mean == pytest.approx(30.0)
    # t(0.975, 4) = 2.776; s = 15.81 ms; 2.776 * 15.81 / sqrt(5) / 30 = 0.6543
    assert stats.ci95_halfwidth_fraction == pytest.approx(0.6543, rel=1e-3)


def test_summary_of_nothing_and_of_one_step() -> None:
    assert summarize([]) is None
    one = summarize([0.5])
    assert one is not None and one.median == 500.0 and one.ci95_halfwidth_fraction is None


def test_t_quantile_matches_tables_beyond_the_table() -> None:
    assert t_quantile_975(1) == 12.706
    assert t_quantile_975(40) == pytest.approx(2.021, abs=2e-3)
    assert t_quantile_975(120) == pytest.approx(1.980, abs=2e-3)


def test_stop_rule_waits_for_min_steps_before_the_ci_rule() -> None:
    rule = StopRule(budget_s=100.0, min_steps=10)
    steady = [0.05] * 9
    assert rule.reason_to_stop(steady) is None
    assert rule.reason_to_stop([*steady, 0.05]) == "ci"


def test_stop_rule_keeps_going_while_noisy_and_stops_on_budget() -> None:
    rule = StopRule(budget_s=1.0, min_steps=4)
    noisy = [0.05, 0.15] * 4  # +-50%: the CI is far wider than 2%
    assert RunningStats.of(noisy).ci95_halfwidth_fraction() > 0.02  # type: ignore[operator]
    assert rule.reason_to_stop(noisy) is None
    assert rule.reason_to_stop([*noisy, 0.2]) == "budget"


def test_stop_rule_honours_max_steps() -> None:
    assert StopRule(budget_s=10.0, min_steps=100, max_steps=3).reason_to_stop([0.1, 0.3, 0.2]) == (
        "max_steps"
    )


class FakeClock:
    def __init__(self, ticks: list[float]) -> None:
        self.ticks = ticks
        self.events: list[str] = []

    def __call__(self) -> float:
        self.events.append("clock")
        return self.ticks.pop(0)

    def synchronize(self) -> None:
        self.events.append("sync")


def test_timer_keeps_warmup_apart_and_synchronizes_before_each_clock_read() -> None:
    clock = FakeClock([0.0, 1.0, 1.5, 1.6, 1.7])
    meter = MFUMeter(
        1.0, warmup_steps=2, peak_flops=1.0, synchronize=clock.synchronize, clock=clock
    )
    assert meter.in_warmup
    for _ in range(4):
        meter.step(tokens=1)
    assert meter.warmup_durations_s == [1.0, 0.5]
    assert meter.durations_s == pytest.approx([0.1, 0.1])
    assert clock.events == ["sync", "clock"] * 5
    stats = summarize(meter.durations_s)
    assert stats is not None and stats.steps == 2 and stats.median == pytest.approx(100.0)


def test_median_ci_shrugs_off_one_stalled_step_that_ruins_the_mean_ci() -> None:
    durations = [0.050] * 19 + [5.0]  # one 5 s stall, e.g. another process took the CPU
    stats = summarize(durations)
    assert stats is not None
    assert stats.ci95_halfwidth_fraction is not None and stats.ci95_halfwidth_fraction > 0.5
    # n = 20: ranks floor(10 - 4.38) = 5 and ceil(15.38) = 16 are both 50 ms.
    assert stats.median_ci95_halfwidth_fraction == 0.0


def test_median_ci_from_hand_computed_ranks() -> None:
    durations = [i / 1000 for i in range(1, 11)]  # 1..10 ms
    # n = 10: ranks floor(5 - 3.10) = 1 and ceil(9.10) = 10: (10 - 1) / 2 / 5.5.
    assert median_ci95_halfwidth_fraction(durations) == pytest.approx(9 / 2 / 5.5)
    assert median_ci95_halfwidth_fraction(durations[:5]) is None


def test_running_stats_agree_with_the_batch_formulas() -> None:
    durations = [0.051, 0.049, 0.060, 0.047, 0.052, 0.050, 0.055]
    running = RunningStats.of(durations)
    assert running.count == 7 and running.total_s == pytest.approx(sum(durations))
    mean, stdev = statistics.fmean(durations), statistics.stdev(durations)
    expected = t_quantile_975(6) * stdev / math.sqrt(7) / mean
    assert running.ci95_halfwidth_fraction() == pytest.approx(expected)
    assert RunningStats.of([0.1]).ci95_halfwidth_fraction() is None

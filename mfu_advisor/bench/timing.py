"""Step-time statistics and the stopping rule (MFUMeter times the steps). Pure Python."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: Relative half-width of the 95% confidence interval of the mean step time at
#: which a run may stop early: the mean is then known to within +-2%.
CI_TARGET_FRACTION = 0.02

#: Measured steps before the confidence-interval rule is consulted (fewer make the
#: standard deviation itself too uncertain).
DEFAULT_MIN_STEPS = 20

#: Student's t, two-sided 95% (0.975 quantile), for 1..30 degrees of freedom
#: (any statistics table, e.g. NIST/SEMATECH e-Handbook of Statistical Methods,
#: section 1.3.6.7.2, https://www.itl.nist.gov/div898/handbook/eda/section3/eda3672.htm).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_Z975 = 1.959964


def t_quantile_975(degrees_of_freedom: int) -> float:
    """Student's t 0.975 quantile; beyond the table, the Cornish-Fisher expansion around z."""
    if degrees_of_freedom < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if degrees_of_freedom <= len(_T975):
        return _T975[degrees_of_freedom - 1]
    z, df = _Z975, float(degrees_of_freedom)
    # Abramowitz & Stegun 26.7.5, first two terms; error < 1e-4 for df > 30.
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class StepTimeStats:
    """Statistics of the measured steps' durations, in milliseconds."""

    steps: int
    """Measured steps (warm-up excluded)."""
    median: float
    p10: float
    p90: float
    mean: float
    min: float
    max: float
    ci95_halfwidth_fraction: float | None
    """Half-width of the 95% confidence interval of the mean, relative to the mean
    (0.02 = the mean is known within +-2%); None with fewer than 2 steps."""
    median_ci95_halfwidth_fraction: float | None
    """Half-width of the distribution-free 95% confidence interval of the median,
    relative to the median; robust to a few stalled steps. None below 6 steps."""


def summarize(durations_s: Sequence[float]) -> StepTimeStats | None:
    """Median, p10, p90 (linear interpolation), mean and CI of step durations; None if empty."""
    if not durations_s:
        return None
    ms = [d * 1e3 for d in durations_s]
    if len(ms) == 1:
        only = ms[0]
        return StepTimeStats(1, only, only, only, only, only, only, None, None)
    deciles = statistics.quantiles(ms, n=10, method="inclusive")
    return StepTimeStats(
        steps=len(ms),
        median=statistics.median(ms),
        p10=deciles[0],
        p90=deciles[8],
        mean=statistics.fmean(ms),
        min=min(ms),
        max=max(ms),
        ci95_halfwidth_fraction=RunningStats.of(durations_s).ci95_halfwidth_fraction(),
        median_ci95_halfwidth_fraction=median_ci95_halfwidth_fraction(durations_s),
    )


def median_ci95_halfwidth_fraction(durations_s: Sequence[float]) -> float | None:
    """Half the gap between the order statistics n/2 -+ 1.96 sqrt(n)/2 around the median, / median
    (M. Bland, https://www-users.york.ac.uk/~mb55/intro/cicent.htm)."""
    n = len(durations_s)
    if n < 6:
        return None
    ordered = sorted(durations_s)
    spread = _Z975 * math.sqrt(n) / 2
    low = max(1, math.floor(n / 2 - spread))  # 1-based ranks
    high = min(n, math.ceil(1 + n / 2 + spread))
    median = statistics.median(ordered)
    if median <= 0:
        return None
    return (ordered[high - 1] - ordered[low - 1]) / 2 / median


@dataclass
class RunningStats:
    """Count, total, mean and variance of durations in O(1) per step (Welford 1962): the
    stopping rule runs after every step, inside the timed loop."""

    count: int = 0
    total_s: float = 0.0
    mean_s: float = 0.0
    _m2: float = 0.0

    @classmethod
    def of(cls, durations_s: Sequence[float]) -> RunningStats:
        """Statistics of an existing list of durations."""
        stats = cls()
        for duration in durations_s:
            stats.add(duration)
        return stats

    def add(self, duration_s: float) -> None:
        """Include one more step."""
        self.count += 1
        self.total_s += duration_s
        delta = duration_s - self.mean_s
        self.mean_s += delta / self.count
        self._m2 += delta * (duration_s - self.mean_s)

    def ci95_halfwidth_fraction(self) -> float | None:
        """t(0.975, n-1) x s / sqrt(n) / mean: the relative precision of the mean step time."""
        if self.count < 2 or self.mean_s <= 0:
            return None
        stdev = math.sqrt(max(self._m2, 0.0) / (self.count - 1))
        return t_quantile_975(self.count - 1) * stdev / math.sqrt(self.count) / self.mean_s


@dataclass(frozen=True)
class StopRule:
    """When a run has measured enough."""

    budget_s: float
    """Stop once the measured steps have taken this long."""
    min_steps: int = DEFAULT_MIN_STEPS
    ci_target_fraction: float = CI_TARGET_FRACTION
    max_steps: int | None = None

    def reason_to_stop(self, measured: RunningStats | Sequence[float]) -> str | None:
        """ "budget", "ci" or "max_steps" when the run should stop now, else None."""
        stats = measured if isinstance(measured, RunningStats) else RunningStats.of(measured)
        if stats.total_s >= self.budget_s:
            return "budget"
        if self.max_steps is not None and stats.count >= self.max_steps:
            return "max_steps"
        if stats.count >= self.min_steps:
            precision = stats.ci95_halfwidth_fraction()
            if precision is not None and precision <= self.ci_target_fraction:
                return "ci"
        return None

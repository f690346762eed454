"""Axis scales and "nice" tick values for the report's charts."""

from __future__ import annotations

import math
from dataclasses import dataclass


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2 or 5 times a power of ten) covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 12)]
    while ticks[-1] < high:  # the last tick is at or above the highest value
        ticks.append(round(first + len(ticks) * step, 12))
    return ticks


@dataclass(frozen=True)
class LinearScale:
    """Maps data values in [low, high] to pixels in [start, end] (end may be below start)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        return self.start + self._share(value) * (self.end - self.start)

    def _share(self, value: float) -> float:
        return (value - self.low) / ((self.high - self.low) or 1.0)


class LogScale(LinearScale):
    """Maps positive values in [low, high] to pixels on a logarithmic axis."""

    def _share(self, value: float) -> float:
        value = max(value, self.low * 1e-3, 1e-300)
        span = (math.log(self.high) - math.log(self.low)) or 1.0
        return (math.log(value) - math.log(self.low)) / span


def log_ticks(low: float, high: float, base: float = 10.0) -> list[float]:
    """Powers of ``base`` within [low, high]; with 1-2-5 steps when the range is short."""
    if not (0 < low < high and math.isfinite(high)) or high / low > 1e30:
        return [low, high] if math.isfinite(high) else [low]
    first = math.floor(math.log(low, base))
    last = math.ceil(math.log(high, base))
    powers = [base**e for e in range(first, last + 1)]
    ticks = [t for t in powers if low <= t <= high]
    if len(ticks) < 3 and base == 10.0:
        ticks = sorted(t * m for t in powers for m in (1, 2, 5) if low <= t * m <= high)
    return ticks or [low, high]

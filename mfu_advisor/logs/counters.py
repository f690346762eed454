"""Per-step times from a cumulative clock (``train_time:81344ms``) or a running mean
(``step_avg:97.10ms``): their difference between two lines over the steps between them.

A clock that goes back (a new run in the same log) starts over.
"""

from __future__ import annotations

import math
import re

#: Names of step-line fields that hold a cumulative clock (lower case, spaces as "_").
CUMULATIVE_NAMES = re.compile(
    r"^(?:train_time|training_time|total_time|time_total|elapsed|elapsed_time|time_elapsed"
    r"|wall_time|walltime|wall_clock|runtime|run_time|time_since_start|total_elapsed)$"
)
#: Names of step-line fields that hold a running average of the step time.
AVERAGE_NAMES = re.compile(
    r"^(?:step_avg|avg_step_time|avg_time|average_step_time|mean_step_time)$"
)


def field_kind(name: str) -> str:
    """ "cumulative", "average" or "step" for a time field's name ("train_time", "step_avg")."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if CUMULATIVE_NAMES.match(key):
        return "cumulative"
    if AVERAGE_NAMES.match(key):
        return "average"
    return "step"


class CumulativeClock:
    """Turns a cumulative clock read at numbered steps into the mean step time between reads."""

    def __init__(self) -> None:
        self.last: tuple[float, float] | None = None  # (step, clock in ms)

    def step_time_ms(self, step: float, clock_ms: float) -> float | None:
        """The mean time per step since the previous reading; None for the first reading, and
        when the clock or the step number went back (a restart: counting starts again)."""
        last, self.last = self.last, (step, clock_ms)
        if last is None or not math.isfinite(clock_ms):
            return None
        steps = step - last[0]
        spent = clock_ms - last[1]
        if steps <= 0 or spent < 0:
            return None
        return spent / steps


class RunningAverage:
    """Turns a running mean step time read at numbered steps into the mean since the last read."""

    def __init__(self, offset: int = 0) -> None:
        self.clock = CumulativeClock()
        self.offset = offset

    def step_time_ms(self, step: float, average_ms: float) -> float | None:
        counted = step - self.offset
        if not math.isfinite(average_ms) or counted <= 0:
            return None
        return self.clock.step_time_ms(step, average_ms * counted)

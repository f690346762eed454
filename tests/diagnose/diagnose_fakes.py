"""A fake bench process runner and clock for orchestration tests: no subprocess, no waiting."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mfu_advisor.experiments.runner import BenchProcessResult

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"
ENVELOPE = ("schema_version", "command", "tool", "created_at")


def recorded_bench() -> dict[str, Any]:
    """The bench payload recorded on the Zen 3 VM (cpu-small), without its envelope."""
    doc = json.loads((DATA / "bench_cpu_small_zen3.json").read_text())
    return {k: v for k, v in doc.items() if k not in ENVELOPE}


class FakeClock:
    """A clock that moves only when told (``advance``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


#: tokens/s a fake run reports, by the option that marks the variant.
DEFAULT_RATES: dict[str, float] = {
    "--batch_size=48": 17500.0,
    "--batch_size=24": 15000.0,
    "--dtype=bfloat16": 760.0,
    "--compile=True": 12000.0,
}


class FakeRunner:
    """Answers like the bench would, records every call, and advances the clock per run."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        seconds_per_run: float = 8.0,
        rates: Mapping[str, float] | None = None,
        baseline_rates: Sequence[float] = (12200.0, 12000.0),
        failures: Mapping[str, str] | None = None,
        interrupt_on: str | None = None,
        exit_code: int = 0,
    ) -> None:
        self.clock = clock
        self.seconds_per_run = seconds_per_run
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.baseline_rates = list(baseline_rates)
        self.failures = dict(failures or {})
        self.interrupt_on = interrupt_on
        self.exit_code = exit_code
        self.calls: list[tuple[list[str], float, dict[str, str]]] = []

    def __call__(
        self,
        args: Sequence[str],
        *,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
        on_line: Callable[[str], None] | None = None,
        **_: Any,
    ) -> BenchProcessResult:
        args = list(args)
        self.calls.append((args, timeout_s, dict(env or {})))
        if self.interrupt_on is not None and self.interrupt_on in args:
            raise KeyboardInterrupt
        self.clock.advance(min(self.seconds_per_run, timeout_s))
        if on_line is not None:
            on_line("bench: measuring: up to 3 s")
        for marker, reason in self.failures.items():
            if marker in args:
                return BenchProcessResult(None, reason, self.seconds_per_run, self.exit_code, False)
        payload = copy.deepcopy(recorded_bench())
        rate = next((r for marker, r in self.rates.items() if marker in args), None)
        if rate is None:
            rate = self.baseline_rates.pop(0) if self.baseline_rates else 12100.0
        payload["tokens_per_s"] = rate
        if "--no-roofline" in args:
            payload["roofline"] = None
        return BenchProcessResult(payload, None, self.seconds_per_run, 0, False)

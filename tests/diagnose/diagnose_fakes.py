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


#: tokens/s a fake run reports, by the change that marks the variant (as a bench
#: option, ``--batch_size=48``, or as an interleaved ``--variant=batch_size=48``).
DEFAULT_RATES: dict[str, float] = {
    "batch_size=48": 17500.0,
    "batch_size=24": 15000.0,
    "dtype=bfloat16": 760.0,
    "compile=True": 12000.0,
}

#: The compile step of a fake compiling arm, in seconds (a warm inductor cache on the VM).
COMPILE_S = 3.0

#: Noise of a fake interleaved speedup: what 8 pairs of blocks give on a quiet machine.
PAIRED_NOISE = 0.03


def _marked(marker: str, args: Sequence[str]) -> bool:
    """True when an argument is the marker as an option or as a --variant."""
    return any(a in (f"--{marker}", f"--variant={marker}") or a == marker for a in args)


class FakeRunner:
    """Answers like the bench would, records every call, and advances the clock per run.

    A run with ``--variant=KEY=VALUE`` answers as an interleaved run: the payload is
    the baseline's (the next baseline rate) with a ``paired`` object whose speedup is
    the variant's rate over it. A ``--variant`` with no rate is the A/A comparison: its
    speedup is ``aa_ratio`` and it leaves the baseline rates to the runs after it. A run
    with several ``--variant`` (the combined fix) measures ``combined_rate`` when given.
    """

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
        paired_noise: float = PAIRED_NOISE,
        aa_ratio: float = 1.0,
        combined_rate: float | None = None,
    ) -> None:
        self.clock = clock
        self.seconds_per_run = seconds_per_run
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.baseline_rates = list(baseline_rates)
        self.failures = dict(failures or {})
        self.interrupt_on = interrupt_on
        self.exit_code = exit_code
        self.paired_noise = paired_noise
        self.aa_ratio = aa_ratio
        self.combined_rate = combined_rate
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
        if self.interrupt_on is not None and _marked(self.interrupt_on, args):
            raise KeyboardInterrupt
        self.clock.advance(min(self.seconds_per_run, timeout_s))
        if on_line is not None:
            on_line("bench: measuring: up to 3 s")
        for marker, reason in self.failures.items():
            if marker in args or _marked(marker, args):
                return BenchProcessResult(None, reason, self.seconds_per_run, self.exit_code, False)
        payload = copy.deepcopy(recorded_bench())
        rate = next((r for marker, r in self.rates.items() if _marked(marker, args)), None)
        interleaved = any(a.startswith("--variant=") for a in args)
        if sum(a.startswith("--variant=") for a in args) > 1 and self.combined_rate is not None:
            rate = self.combined_rate  # the combined fix
        if rate is not None and not interleaved:
            payload["tokens_per_s"] = rate  # a variant measured alone
        elif rate is None and interleaved:  # the A/A comparison: the baseline against itself
            baseline = self.baseline_rates[0] if self.baseline_rates else 12100.0
            payload["tokens_per_s"] = baseline
            payload["paired"] = paired_payload(
                baseline * self.aa_ratio, baseline, self.paired_noise
            )
        else:  # the baseline, alone or as the arm measured with a variant
            baseline = self.baseline_rates.pop(0) if self.baseline_rates else 12100.0
            payload["tokens_per_s"] = baseline
            if rate is not None:
                payload["paired"] = paired_payload(rate, baseline, self.paired_noise)
                if _marked("compile=True", args):  # a compiling arm: its compile step, warm cache
                    payload["paired"]["compile_s"] = COMPILE_S
                    payload["paired"]["unavailable"] = {}
        if "--no-roofline" in args:
            payload["roofline"] = None
        return BenchProcessResult(payload, None, self.seconds_per_run, 0, False)


def paired_payload(rate: float, baseline: float, noise: float) -> dict[str, Any]:
    """A bench ``paired`` object: the variant at ``rate`` tokens/s against ``baseline``."""
    step_ms = 768 / rate * 1e3
    return {
        "changes": {},
        "config": {},
        "dtype": "float32",
        "peak_dtype": "fp32",
        "flops_per_token": 5.17e6,
        "effective_batch_tokens": 768,
        "warmup_steps": 2,
        "warmup_step_ms": [step_ms, step_ms],
        "compile_s": None,
        "step_time_ms": {
            "steps": 12,
            "median": step_ms,
            "p10": step_ms,
            "p90": step_ms,
            "mean": step_ms,
            "min": step_ms,
            "max": step_ms,
            "ci95_halfwidth_fraction": 0.01,
            "median_ci95_halfwidth_fraction": 0.01,
        },
        "tokens_per_s": rate,
        "achieved_flops": rate * 5.17e6,
        "block_target_s": 0.25,
        "pairs": 8,
        "pair_speedups": [rate / baseline] * 8,
        "speedup": rate / baseline,
        "noise": noise,
        "notes": [],
        "unavailable": {"compile_s": "the variant does not compile"},
    }

"""``ExperimentResult``: one entry of the diagnose payload's ``experiments`` (docs/diagnose.md)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """How a variant ended: ran and measured, gave no usable measurement, or not started."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Method(enum.StrEnum):
    """How a speedup was measured: in one process with the baseline (bench --variant), or
    in a process of its own against the baseline's own runs."""

    INTERLEAVED = "interleaved"
    SEPARATE_RUNS = "separate runs"


class Verdict(enum.StrEnum):
    """Where the speedup's noise interval lies: all above 1, all below 1, or around 1."""

    FASTER = "faster"
    SLOWER = "slower"
    WITHIN_NOISE = "within noise"


@dataclass(frozen=True)
class ExperimentResult:
    """One what-if variant of the baseline run and what it measured."""

    name: str
    """Stable name of the variant ("batch-x4", "compile", "autocast-bf16", ...)."""
    change: str
    """What was changed, in words with the values ("batch_size 12 -> 48")."""
    status: Status
    reason: str | None = None
    """Why it failed or was skipped; None when it ran ("ok")."""
    speedup: float | None = None
    """Variant tokens/s divided by baseline tokens/s (1.42 = 42% more tokens per second)."""
    noise: float | None = None
    """Relative half-width of the speedup's interval: it is speedup x (1 -+ noise)."""
    verdict: Verdict | None = None
    """faster / slower / within noise; None unless status is "ok"."""
    method: Method | None = None
    """How the speedup was measured; None when the variant did not run."""
    baseline_tokens_per_s: float | None = None
    """The baseline tokens/s the speedup divides by: measured interleaved with the variant,
    or the mean of the baseline's own runs."""
    pairs: int | None = None
    """Interleaved: pairs of blocks (one of each) the speedup comes from; else None."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """Bench options the variant set, under nanoGPT's names (``{"batch_size": 48}``)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment variables the variant's process got on top of this one's."""
    cpus: tuple[int, ...] | None = None
    """CPU affinity the variant's process was pinned to; None when not pinned."""
    verifies: str = ""
    """Symbol of the rule whose fix this variant measures ("micro-batch-too-small")."""
    note: str = ""
    """What the change means beyond speed (e.g. a larger effective batch for training)."""
    tokens_per_s: float | None = None
    """The variant's tokens/s at its median step."""
    step_time_ms: float | None = None
    """The variant's median optimizer-step time, in milliseconds."""
    run_noise: float | None = None
    """Relative half-width of the 95% interval of the variant's own median step time."""
    measured_steps: int | None = None
    compile_s: float | None = None
    """Seconds of the first (compiling) step when the variant compiles."""
    peak_memory_bytes: int | None = None
    budget_s: float | None = None
    """Seconds of measured steps the variant was given (its bench --budget)."""
    timeout_s: float | None = None
    """Hard wall-clock limit of the variant's process, in seconds."""
    elapsed_s: float | None = None
    """Wall-clock seconds the variant's process ran (start-up and warm-up included)."""
    pair_noise: float | None = None
    """Interleaved: the relative half-width from its own pairs of blocks alone; ``noise``
    adds the between-run drift and the measured A/A floor to it."""
    parts: tuple[str, ...] = ()
    """The combined fix: the experiments whose changes it measures together; else empty."""
    separate_speedup: float | None = None
    """The same change confirmed in fresh processes of its own, run A B B A (each after its
    own warm-up): what a user changing the flag between two runs sees; else None."""
    separate_noise: float | None = None
    """Relative half-width of ``separate_speedup``'s interval."""
    interleaved_speedup: float | None = None
    """When the separate runs disagreed with the in-process pairing (their intervals do not
    overlap), the separate figure wins ``speedup``/``noise``/``verdict`` and the in-process
    one is kept here; else None."""
    interleaved_noise: float | None = None
    """The in-process figure's noise, with ``interleaved_speedup``."""

    @property
    def ok(self) -> bool:
        """True when the variant measured tokens/s."""
        return self.status is Status.OK and self.speedup is not None

"""The types of a what-if experiment: a :class:`Variant` turns the baseline (its
:class:`VariantContext`) into a concrete :class:`VariantPlan`, or says why it does not apply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.run_facts import DistributedFacts, RunFacts


@dataclass(frozen=True)
class VariantContext:
    """What the variants are derived from: the baseline run and the machine."""

    run: RunFacts
    hardware: HardwareFacts | None = None
    distributed: DistributedFacts | None = None
    """The baseline's multi-rank figures (bench --nproc-per-node); None for one process."""

    @property
    def device_type(self) -> str:
        return self.run.device_type


@dataclass(frozen=True)
class StepCap:
    """Fewer steps for a variant expected to be very slow (bf16 emulated on a CPU)."""

    warmup_steps: int
    min_steps: int
    max_steps: int


@dataclass(frozen=True)
class VariantPlan:
    """A variant made concrete for one baseline: what its subprocess gets."""

    name: str = ""
    """The variant's name: :func:`~mfu_advisor.experiments.variants.select` sets it."""
    change: str = ""
    """The change in words, with values: "batch_size 12 -> 48"."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """Bench options to change, under nanoGPT's names."""
    env: Mapping[str, str] = field(default_factory=dict)
    cpus: tuple[int, ...] | None = None
    note: str = ""
    """What the change means beyond speed (training dynamics, cost)."""
    verifies: str = ""
    """Symbol of the rule whose fix it measures; "" for its variant's."""
    promise: float = 1.0
    """A prior expected speedup: the variants run most promising first."""
    step_time_factor: float = 1.0
    """Expected step time over the baseline's, for the time estimate."""
    extra_warmup_s: float = 0.0
    """Warm-up on top of the steps (compilation), for the time estimate."""
    runs_last: bool = False
    """Run after every other variant, with whatever budget remains (compile)."""
    step_cap: StepCap | None = None
    distributed: bool = False
    """Runs as the baseline's whole data-parallel job (bench --nproc-per-node), in a run
    of its own, compared with the baseline job's tokens/s."""


@dataclass(frozen=True)
class Variant:
    """A what-if experiment: its name, the rule it verifies, and the plan it makes."""

    name: str
    verifies: str
    """Symbol of the rule whose fix it measures."""
    description: str
    plan: Callable[[VariantContext], VariantPlan | str]
    """The concrete plan for this baseline, or why the variant does not apply to it."""
    listed_when_skipped: bool = True
    """False for a variant that applies to few runs (a whole data-parallel job): when it
    does not apply, the diagnosis does not list it."""

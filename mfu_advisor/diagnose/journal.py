"""What a diagnosis has done so far: its phases, notes, measurements and skipped variants.

The one mutable part of a diagnosis, append-only, so that a Ctrl-C at any
moment still leaves everything measured until then for the report
(diagnose/assemble.py). Each step of the diagnosis (diagnose/orchestrate.py)
returns its own result as a frozen record and writes here only what the
report lists in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mfu_advisor.diagnose.plan import Budget
from mfu_advisor.diagnose.progress import DiagnoseProgress
from mfu_advisor.diagnose.result import PhaseRecord
from mfu_advisor.experiments.compare import RunMeasure
from mfu_advisor.experiments.result import ExperimentResult
from mfu_advisor.experiments.runner import BenchProcessResult
from mfu_advisor.experiments.variant import VariantPlan


@dataclass(frozen=True)
class VariantRun:
    """A variant whose process ran, and where it fell among the baseline's own runs."""

    plan: VariantPlan
    process: BenchProcessResult
    timeout_s: float
    baseline_runs_before: int
    """How many of the baseline's own runs had finished when it started."""
    parts: tuple[str, ...] = ()
    """The combined fix: the experiments it combines; else empty."""


@dataclass
class Journal:
    """Phases, notes and measurements of one diagnosis, in the order they happened."""

    budget: Budget
    progress: DiagnoseProgress
    phases: list[PhaseRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cpu_shares: list[tuple[float, float]] = field(default_factory=list)
    """(share of the CPUs other processes kept busy, seconds) per bench run."""
    baseline_runs: list[RunMeasure] = field(default_factory=list)
    """The baseline's own runs (the first, and repeats around separate-run variants)."""
    interleaved_runs: list[RunMeasure] = field(default_factory=list)
    """The baseline arm of each interleaved variant's process."""
    variant_runs: list[VariantRun] = field(default_factory=list)
    """The variants whose process ran, in run order."""
    not_run: list[ExperimentResult] = field(default_factory=list)
    """Variants skipped (not applicable, no budget left) or cut short by Ctrl-C."""
    aa_run: BenchProcessResult | None = None
    """The A/A comparison (the baseline interleaved with itself), when it ran."""
    combined: VariantRun | ExperimentResult | None = None
    """The combined fix: its run, or why it was not run (skipped)."""
    confirmations: dict[str, tuple[tuple[RunMeasure, RunMeasure], ...]] = field(
        default_factory=dict
    )
    """Changes confirmed in fresh processes run A B B A: ((A1, B1), (A2, B2)) by name."""
    planned: set[str] = field(default_factory=set)
    """Names of the variants planned for this baseline."""

    def phase(self, name: str, detail: str = "") -> float:
        """Announce a phase; returns its start in seconds since the diagnosis began."""
        self.progress.phase(name, detail, self.budget.elapsed(), self.budget.total_s)
        return self.budget.elapsed()

    def record(self, name: str, started: float, status: str, detail: str = "") -> None:
        elapsed = round(self.budget.elapsed() - started, 2)
        self.phases.append(PhaseRecord(name, round(started, 2), elapsed, status, detail))

    def every_baseline_run(self) -> list[RunMeasure]:
        """Every measurement of the baseline: its own runs and the interleaved arms."""
        return [*self.baseline_runs, *self.interleaved_runs]

"""What a diagnosis measured (its append-only :class:`Journal`, all a Ctrl-C leaves) and the
result made from it, without running anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose import noise
from mfu_advisor.diagnose.plan import VARIANT_MEASURE_S, Budget
from mfu_advisor.diagnose.progress import DiagnoseProgress
from mfu_advisor.diagnose.result import DiagnoseResult, PhaseRecord
from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.experiments import outcome
from mfu_advisor.experiments.compare import BaselineEstimate, RunMeasure, separate_abba
from mfu_advisor.experiments.outcome import VariantRun
from mfu_advisor.experiments.result import ExperimentResult
from mfu_advisor.experiments.variant import VariantPlan
from mfu_advisor.facts import Unavailable, to_jsonable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.facts_json import (
    distributed_facts_from_analysis,
    distributed_facts_from_bench,
    log_facts_from_analysis,
    run_facts_from_bench,
)
from mfu_advisor.rules.registry import evaluate


@dataclass(frozen=True)
class Preparation:
    """What the diagnosis knows before its first bench run."""

    hardware: HardwareFacts | Unavailable
    analysis: LogAnalysis | None
    """The --from-log analysis; None without --from-log."""
    asked: BenchOptions
    """The baseline's options: the command line's, the log's settings filling the rest."""
    too_slow: str | None = None
    """Why the run reproduced from a log is not started here, when it is not."""


@dataclass(frozen=True)
class Baseline:
    """The first baseline run: its bench result, and the payload as its process printed it."""

    result: BenchResult
    payload: Mapping[str, Any]
    wall_s: float


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
    not_run: list[ExperimentResult] = field(default_factory=list)
    """Planned variants skipped (no budget left, per process) or cut short by Ctrl-C."""
    not_applicable: list[ExperimentResult] = field(default_factory=list)
    """Variants that do not apply to this baseline."""
    aa: noise.AAFloor | None = None
    """The A/A comparison (the baseline interleaved with itself), when it measured one."""
    combined: VariantRun | ExperimentResult | None = None
    """The combined fix: its run, or why it was not run (skipped)."""
    confirmations: dict[str, tuple[tuple[RunMeasure, RunMeasure], ...]] = field(
        default_factory=dict
    )
    """Changes confirmed in fresh processes run A B B A: ((A1, B1), (A2, B2)) by name."""
    planned: list[VariantPlan] = field(default_factory=list)
    """The variants planned for this baseline, in run order."""

    def keep(self, run: VariantRun | ExperimentResult) -> None:
        """A variant's run, or why it did not run; the combined fix's when it has parts."""
        if run.parts:
            self.combined = run
        elif isinstance(run, VariantRun):
            self.variant_runs.append(run)
        else:
            self.not_run.append(run)

    def phase(self, name: str, detail: str = "") -> float:
        """Announce a phase; returns its start in seconds since the diagnosis began."""
        self.progress.phase(name, detail, self.budget.elapsed(), self.budget.total_s)
        return self.budget.elapsed()

    def record(self, name: str, started: float, status: str, detail: str = "") -> None:
        elapsed = round(self.budget.elapsed() - started, 2)
        self.phases.append(PhaseRecord(name, round(started, 2), elapsed, status, detail))


def ordered_experiments(journal: Journal) -> list[ExperimentResult]:
    """The variants that ran (in run order), then those not run, then those that do not
    apply here; each compared with the baseline runs around it."""
    estimate = noise.own_estimate(journal.baseline_runs)
    floor = noise.floor_of(journal.aa)
    ran = [
        _judged(
            journal,
            r,
            noise.bracket(journal.baseline_runs, r.baseline_runs_before, estimate),
            floor,
        )
        for r in journal.variant_runs
    ]
    # A plan that neither ran nor was skipped was cut short by Ctrl-C before it started.
    accounted = {e.name for e in journal.not_run} | {r.plan.name for r in journal.variant_runs}
    cut_short = [
        outcome.skipped_plan(p, "interrupted by Ctrl-C before it ran")
        for p in journal.planned
        if p.name not in accounted
    ]
    return ran + journal.not_run + cut_short + journal.not_applicable


def _judged(
    journal: Journal, run: VariantRun, baseline: BaselineEstimate | None, floor: float
) -> ExperimentResult:
    """A run variant compared with ``baseline``, with its separate-process confirmation."""
    result = outcome.measured_variant(run, baseline, budget_s=VARIANT_MEASURE_S, floor=floor)
    arms = journal.confirmations.get(result.name)
    if not arms or not result.ok:
        return result
    return outcome.confirmed(result, separate_abba(arms, floor))


def combined_of(journal: Journal) -> ExperimentResult | None:
    """The combined fix as measured (or why not), judged like every interleaved variant."""
    run = journal.combined
    if run is None or isinstance(run, ExperimentResult):
        return run
    return _judged(journal, run, None, noise.floor_of(journal.aa))


def assemble(
    mode: str,
    budget_s: float,
    preparation: Preparation,
    baseline: Baseline | Unavailable,
    journal: Journal,
    *,
    interrupted: bool,
) -> DiagnoseResult:
    """The diagnosis result: experiments compared, the rules' findings, the verdict."""
    started = journal.budget.elapsed()
    experiments = tuple(ordered_experiments(journal))
    estimate = noise.own_estimate(journal.baseline_runs)
    hardware, analysis = preparation.hardware, preparation.analysis
    bench = baseline.result if isinstance(baseline, Baseline) else None
    conditions = noise.conditions(journal.cpu_shares, estimate)
    distributed = (distributed_facts_from_bench(bench) if bench is not None else None) or (
        distributed_facts_from_analysis(analysis) if analysis is not None else None
    )
    facts = DiagnosisFacts(
        distributed=distributed,
        conditions=conditions,
        hardware=hardware if isinstance(hardware, HardwareFacts) else None,
        baseline=run_facts_from_bench(bench) if bench is not None else None,
        log=log_facts_from_analysis(analysis) if analysis is not None else None,
        experiments=experiments,
    )
    findings = evaluate(facts)
    combined = combined_of(journal)
    text = verdict(
        facts.baseline,
        facts.log,
        findings,
        facts.experiments,
        estimate.run_to_run if estimate is not None else None,
        aa=journal.aa,
        combined=combined,
    )
    journal.record("rules", started, "done", f"{len(findings)} findings")
    hardware_json = to_jsonable(hardware) if isinstance(hardware, HardwareFacts) else hardware
    return DiagnoseResult(
        mode=mode,
        hardware=hardware_json,
        baseline=baseline.payload if isinstance(baseline, Baseline) else baseline,
        analysis=to_jsonable(analysis) if analysis is not None else None,
        experiments=experiments,
        findings=tuple(findings),
        verdict=text,
        noise=noise.noise_facts(estimate, journal.interleaved_runs, conditions, journal.aa),
        budget_s=budget_s,
        elapsed_s=round(journal.budget.elapsed(), 2),
        phases=tuple(journal.phases),
        interrupted=interrupted,
        notes=tuple(journal.notes),
        combined=combined,
    )

"""From what a diagnosis measured to its result: compare, judge with the rules, write up.

Pure: no process runs here. The variants that ran are compared with the
baseline runs around them (diagnose/noise.py), the rules read every part
(rules/registry.py) and the verdict sums it up (diagnose/verdict.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose import noise
from mfu_advisor.diagnose import plan as budget_plan
from mfu_advisor.diagnose.journal import Journal
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.experiments import outcome
from mfu_advisor.experiments.compare import separate_abba
from mfu_advisor.experiments.result import ExperimentResult, Status
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


def ordered_experiments(journal: Journal) -> list[ExperimentResult]:
    """The variants that ran (in run order), then those not run, then those that do not
    apply here; each compared with the baseline runs around it."""
    estimate = noise.own_estimate(journal.baseline_runs)
    floor = noise.floor_of(aa_of(journal))
    ran = [
        outcome.measured_variant(
            r.plan,
            r.process,
            noise.bracket(journal.baseline_runs, r.baseline_runs_before, estimate),
            budget_s=budget_plan.VARIANT_MEASURE_S,
            timeout_s=r.timeout_s,
            floor=floor,
        )
        for r in journal.variant_runs
    ]
    ran = [_confirmed(journal, e, floor) for e in ran]
    not_applicable = [
        e
        for e in journal.not_run
        if e.overrides == {}
        and e.env == {}
        and e.status is Status.SKIPPED
        and e.name not in journal.planned
    ]
    others = [e for e in journal.not_run if e not in not_applicable]
    return ran + others + not_applicable


def _confirmed(journal: Journal, result: ExperimentResult, floor: float) -> ExperimentResult:
    """The result with its separate-process confirmation, when it has one."""
    arms = journal.confirmations.get(result.name)
    if not arms or not result.ok:
        return result
    return outcome.confirmed(result, separate_abba(arms, floor))


def combined_of(journal: Journal) -> ExperimentResult | None:
    """The combined fix as measured (or why not), judged like every interleaved variant."""
    run = journal.combined
    if run is None or isinstance(run, ExperimentResult):
        return run
    floor = noise.floor_of(aa_of(journal))
    measured = outcome.measured_variant(
        run.plan,
        run.process,
        None,
        budget_s=budget_plan.VARIANT_MEASURE_S,
        timeout_s=run.timeout_s,
        floor=floor,
        parts=run.parts,
    )
    return _confirmed(journal, measured, floor)


def aa_of(journal: Journal) -> noise.AAFloor | None:
    """The A/A comparison's figures, when it ran."""
    run = journal.aa_run
    return noise.aa_of(run.bench.paired if run is not None and run.bench is not None else None)


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
    hardware = preparation.hardware
    analysis = preparation.analysis
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
    spread = estimate.run_to_run if estimate is not None else None
    aa = aa_of(journal)
    combined = combined_of(journal)
    text = verdict(
        facts.baseline,
        facts.log,
        findings,
        facts.experiments,
        spread,
        aa_floor=(aa.speedup, aa.floor, aa.noise) if aa is not None else None,
        combined=combined,
    )
    journal.record("rules", started, "done", f"{len(findings)} findings")
    return DiagnoseResult(
        mode=mode,
        hardware=_hardware_json(hardware),
        baseline=baseline.payload if isinstance(baseline, Baseline) else baseline,
        analysis=to_jsonable(analysis) if analysis is not None else None,
        experiments=experiments,
        findings=tuple(findings),
        verdict=text,
        noise=noise.noise_facts(estimate, journal.interleaved_runs, conditions, aa),
        budget_s=budget_s,
        elapsed_s=round(journal.budget.elapsed(), 2),
        phases=tuple(journal.phases),
        interrupted=interrupted,
        notes=tuple(journal.notes),
        combined=combined,
    )


def _hardware_json(hardware: HardwareFacts | Unavailable) -> Mapping[str, Any] | Unavailable:
    """The probe payload, or why there is none."""
    if isinstance(hardware, Unavailable):
        return hardware
    doc = to_jsonable(hardware)
    return doc if isinstance(doc, dict) else Unavailable("the probe gave no result")

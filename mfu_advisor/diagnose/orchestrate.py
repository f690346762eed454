"""The diagnosis: probe, (log,) baseline, experiments most promising first, rules, verdict.

All within the budget (diagnose/plan.py). On a shared machine throughput
drifts from second to second, so a variant is compared with the baseline
measured at the same moments wherever it can be: in one process, alternating
blocks of steps (bench ``--variant``, bench/paired.py). A variant that needs a
process of its own (threads, CPU affinity, environment) runs between two
baseline runs (A B A B A, as the budget allows) and is compared with the
baseline's runs, their spread counted as noise. Ctrl-C stops the current
process and returns what was measured, with ``interrupted`` set.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose import data_parallel, noise
from mfu_advisor.diagnose import plan as budget_plan
from mfu_advisor.diagnose.contention import CpuSample, others_share, sample
from mfu_advisor.diagnose.from_log import (
    analyze_log,
    baseline_from_log,
    merge_options,
    too_slow_here,
)
from mfu_advisor.diagnose.progress import DiagnoseProgress, SilentDiagnoseProgress
from mfu_advisor.diagnose.result import DiagnoseResult, PhaseRecord
from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.distributed.plan import DistributedOptions, launch_argv
from mfu_advisor.errors import EXIT_BAD_INPUT, UserError
from mfu_advisor.experiments import outcome
from mfu_advisor.experiments.compare import (
    ASSUMED_RUN_TO_RUN,
    RunMeasure,
    measure_of,
    paired_comparison,
)
from mfu_advisor.experiments.result import ExperimentResult, Status
from mfu_advisor.experiments.runner import BenchProcessResult, run_bench_process
from mfu_advisor.experiments.variant import VariantContext, VariantPlan
from mfu_advisor.experiments.variants import select
from mfu_advisor.facts import Unavailable, to_jsonable
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.facts_json import (
    distributed_facts_from_analysis,
    distributed_facts_from_bench,
    log_facts_from_analysis,
    run_facts_from_bench,
)
from mfu_advisor.rules.registry import evaluate

ProcessRunner = Callable[..., BenchProcessResult]


@dataclass(frozen=True)
class DiagnoseRequest:
    """What the user asked the diagnosis to do."""

    asked: BenchOptions
    """The baseline's bench options as given on the command line (preset, nanoGPT flags)."""
    budget_s: float = budget_plan.DEFAULT_BUDGET_S
    root: str | None = None
    """A snapshot to diagnose instead of this machine (no baseline, no experiments)."""
    from_log: str | None = None
    """A training log to explain and to reproduce as the baseline (its settings fill the
    options the command line leaves unset)."""
    experiments: bool = True
    notes: tuple[str, ...] = ()
    distributed: DistributedOptions | None = None
    """A data-parallel baseline (bench --nproc-per-node); None for one process."""


class Diagnosis:
    """One diagnosis run; :meth:`run` returns the result (also after Ctrl-C)."""

    def __init__(
        self,
        request: DiagnoseRequest,
        *,
        progress: DiagnoseProgress | None = None,
        run_process: ProcessRunner = run_bench_process,
        probe: Callable[[], HardwareFacts] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sample_cpu: Callable[[], CpuSample | None] = sample,
    ) -> None:
        self.request = request
        self.progress = progress or SilentDiagnoseProgress()
        self.run_process = run_process
        self.probe = probe
        self.sample_cpu = sample_cpu
        self.cpu_shares: list[tuple[float, float]] = []
        self.budget = budget_plan.Budget(request.budget_s, clock)
        self.phases: list[PhaseRecord] = []
        self.notes: list[str] = list(request.notes)
        self.hardware: HardwareFacts | Unavailable = Unavailable("not probed")
        self.baseline: dict[str, Any] | Unavailable = Unavailable("not run")
        self.baseline_measures: list[RunMeasure] = []
        """The baseline's own runs (the first, and repeats around separate-run variants)."""
        self.interleaved_measures: list[RunMeasure] = []
        """The baseline arm of each interleaved variant's process."""
        self.experiments: list[ExperimentResult] = []
        self._ran: list[_Ran] = []
        self.interrupted = False
        self._planned: set[str] = set()
        self.asked = request.asked
        self.analysis: dict[str, Any] | None = None
        self.too_slow: str | None = None
        """Why the run reproduced from a log is not started here, when it is not."""

    # -- phases ---------------------------------------------------------------------------

    def _phase(self, name: str, detail: str = "") -> float:
        self.progress.phase(name, detail, self.budget.elapsed(), self.request.budget_s)
        return self.budget.elapsed()

    def _record(self, name: str, started: float, status: str, detail: str = "") -> None:
        elapsed = round(self.budget.elapsed() - started, 2)
        self.phases.append(PhaseRecord(name, round(started, 2), elapsed, status, detail))

    def _analyze(self) -> None:
        path = self.request.from_log
        if path is None:
            return
        started = self._phase("analyze", path)
        self.analysis = analyze_log(path, local_peak=self.request.root is None)
        self._record("analyze", started, "done", str(self.analysis.get("format", "")))

    def _reproduce_log(self) -> None:
        """Fill the baseline's unset options from the analyzed log's configuration."""
        if self.analysis is None:
            return
        hardware = self.hardware if isinstance(self.hardware, HardwareFacts) else None
        reproduced = baseline_from_log(self.analysis, hardware)
        self.asked = merge_options(reproduced.options, self.request.asked)
        self.notes.extend(f"--from-log: {note}" for note in reproduced.notes)
        self.too_slow = too_slow_here(self.asked, hardware, self.request.budget_s)

    def _probe(self) -> None:
        started = self._phase("probe", self.request.root or "this machine")
        probe = self.probe or self._default_probe
        try:
            self.hardware = probe()
        except UserError:
            raise
        except Exception as exc:  # a probe bug must not cost the user the diagnosis
            self.hardware = Unavailable(f"the probe failed ({type(exc).__name__}: {exc})")
            self._record("probe", started, "failed", self.hardware.reason)
            return
        self._record("probe", started, "done")

    def _default_probe(self) -> HardwareFacts:
        from mfu_advisor.probe import probe_machine
        from mfu_advisor.probe.sources import MachineRoot

        if self.request.root is None:
            return probe_machine()
        with MachineRoot.open_snapshot(self.request.root) as root:
            return probe_machine(root)

    def _run_bench(
        self,
        name: str,
        options: BenchOptions,
        timeout_s: float,
        env: Any = None,
        launch: tuple[str, ...] = (),
    ) -> BenchProcessResult:
        args = [*options.to_argv(), *launch, "--json"]
        before = self.sample_cpu()
        result = self.run_process(
            args,
            timeout_s=timeout_s,
            env=env or {},
            on_line=lambda line: self.progress.child(name, line),
        )
        share = others_share(before, self.sample_cpu(), result.elapsed_s, os.cpu_count() or 1)
        if share is not None:
            self.cpu_shares.append((share, result.elapsed_s))
        return result

    def _baseline_run(self, repeat: bool) -> BenchProcessResult | None:
        name = "baseline-repeat" if repeat else "baseline"
        options = budget_plan.baseline_options(self.asked, with_roofline=not repeat)
        if repeat and isinstance(self.baseline, dict):
            options = dataclasses.replace(
                budget_plan.resolved_options(self.asked, self.baseline),
                roofline=False,
                budget_s=budget_plan.BASELINE_MEASURE_S,
            )
        started = self._phase(name, "the run as configured" if not repeat else "run-to-run noise")
        dist = self.request.distributed
        launch = tuple(launch_argv(dist)) if dist is not None and not repeat else ()
        result = self._run_bench(name, options, self.budget.for_processes(), launch=launch)
        measure = measure_of(result.payload) if result.payload is not None else None
        if result.failure is None and isinstance(measure, RunMeasure):
            self.baseline_measures.append(measure)
            self._record(name, started, "done", f"{measure.tokens_per_s:,.0f} tokens/s")
            self.progress.outcome(f"{name}: {measure.tokens_per_s:,.0f} tokens/s")
            return result
        reason = result.failure or (measure if isinstance(measure, str) else "no result")
        self._record(name, started, "failed", reason)
        if not repeat and result.exit_code == EXIT_BAD_INPUT and not result.timed_out:
            refused = reason.removeprefix(f"exited with code {EXIT_BAD_INPUT}: ")
            raise UserError(f"the baseline run refused its options: {refused}")
        if not repeat:
            self.baseline = Unavailable(f"the baseline run failed: {reason}")
        self.progress.outcome(f"{name} failed: {reason}")
        return None

    # -- experiments ------------------------------------------------------------------------

    def _experiments(self, first: BenchProcessResult) -> None:
        assert first.payload is not None
        run = run_facts_from_bench(first.payload)
        hardware = self.hardware if isinstance(self.hardware, HardwareFacts) else None
        selection = select(VariantContext(run, hardware))
        resolved = budget_plan.resolved_options(self.asked, first.payload)
        job_plans: tuple[VariantPlan, ...] = ()
        if self.request.distributed is not None:
            sync_less = data_parallel.sync_less_plan(first.payload)
            job_plans = (sync_less,) if sync_less is not None else ()
            selection, resolved, dropped, note = data_parallel.one_rank(
                selection, resolved, first.payload
            )
            self.notes.append(note)
            reason = data_parallel.PER_PROCESS_REASON
            self.experiments.extend(outcome.skipped_plan(p, reason) for p in dropped)
        self.experiments.extend(outcome.skipped_variant(v, r) for v, r in selection.skipped)
        timing = budget_plan.timing_of(first.payload, first.elapsed_s)
        repeat_cost = max(timing.startup_s, first.elapsed_s - _sweep_s(first.payload))
        plans = [*job_plans, *selection.plans]
        self._planned = {p.name for p in plans}
        for index, plan in enumerate(plans):
            try:
                ran = self._variant(plan, resolved, timing)
                if ran and not budget_plan.interleaved(plan) and not plan.distributed:
                    # A B A: a variant run alone is bracketed by baseline runs.
                    self._repeat_baseline(repeat_cost)
                timing = self._fastest_timing(timing)
            except KeyboardInterrupt:
                started = {e.name for e in self.experiments} | {r.plan.name for r in self._ran}
                self.experiments.extend(
                    outcome.skipped_plan(p, "interrupted by Ctrl-C before it ran")
                    for p in plans[index:]
                    if p.name not in started
                )
                raise

    def _fastest_timing(self, timing: budget_plan.BaselineTiming) -> budget_plan.BaselineTiming:
        """Estimate from the fastest baseline step: a slow run was slowed by other work."""
        steps = [m.step_time_ms / 1e3 for m in self._baseline_runs() if m.step_time_ms]
        if not steps:
            return timing
        return dataclasses.replace(timing, step_s=min([timing.step_s, *steps]))

    def _repeat_baseline(self, cost_s: float) -> None:
        if cost_s > self.budget.for_processes():
            self._record(
                "baseline-repeat", self.budget.elapsed(), "skipped", "not enough budget left"
            )
            if len(self.baseline_measures) < 2:
                self.notes.append(
                    "the baseline ran once (no budget for a repeat): run-to-run noise assumed "
                    f"{ASSUMED_RUN_TO_RUN:.0%} for the variants measured in runs of their own"
                )
            return
        self._baseline_run(repeat=True)

    def _baseline_runs(self) -> list[RunMeasure]:
        """Every measurement of the baseline: its own runs and the interleaved arms."""
        return [*self.baseline_measures, *self.interleaved_measures]

    def _variant(
        self,
        plan: VariantPlan,
        resolved: BenchOptions,
        timing: budget_plan.BaselineTiming,
    ) -> bool:
        """Run one variant if it fits the budget; True when its process ran."""
        available = self.budget.for_processes()
        estimate = (
            data_parallel.sync_less_estimate_s(plan, timing)
            if plan.distributed
            else budget_plan.estimate_s(plan, timing)
        )
        needed = timing.startup_s + 2 if plan.runs_last else estimate
        if needed > available:
            reason = f"not enough budget left (needs about {needed:.0f} s, {available:.0f} s left)"
            self.experiments.append(outcome.skipped_plan(plan, reason))
            self._record(f"experiment:{plan.name}", self.budget.elapsed(), "skipped", reason)
            self.progress.outcome(f"{plan.name}: skipped, {reason}")
            return False
        timeout = budget_plan.timeout_for(estimate, available, runs_last=plan.runs_last)
        launch: tuple[str, ...] = ()
        if plan.distributed and self.request.distributed is not None:
            # The whole job, launched like the baseline: synced steps only, no reference.
            assert isinstance(self.baseline, dict)  # a variant runs only after the baseline
            resolved = budget_plan.resolved_options(self.asked, self.baseline)  # not pinned
            job = dataclasses.replace(
                self.request.distributed, scaling=False, communication_split=False
            )
            launch = tuple(launch_argv(job))
        options = budget_plan.variant_options(resolved, plan)
        how = "interleaved with the baseline" if options.variant else "in a run of its own"
        started = self._phase(f"experiment {plan.name}", f"{plan.change}, {how}")
        try:
            result = self._run_bench(plan.name, options, timeout, env=plan.env, launch=launch)
        except KeyboardInterrupt:
            self.experiments.append(
                outcome.interrupted_plan(plan, self.budget.elapsed() - started, timeout)
            )
            self._record(f"experiment:{plan.name}", started, "interrupted")
            raise
        self._ran.append(_Ran(plan, result, timeout, len(self.baseline_measures)))
        if options.variant and result.payload is not None:
            arm = measure_of(result.payload)
            if isinstance(arm, RunMeasure):
                self.interleaved_measures.append(arm)
        status = "failed" if result.failure else "done"
        self._record(f"experiment:{plan.name}", started, status, result.failure or "")
        self.progress.outcome(self._first_look(plan, result))
        return True

    def _first_look(self, plan: VariantPlan, result: BenchProcessResult) -> str:
        if result.failure:
            return f"{plan.name}: failed, {result.failure}"
        payload = result.payload or {}
        paired = payload.get("paired")
        if isinstance(paired, dict):
            comparison = paired_comparison(paired)
            if isinstance(comparison, str):
                return f"{plan.name}: {comparison}"
            return (
                f"{plan.name}: {comparison.speedup:.2f}x +-{comparison.noise:.0%} tokens/s "
                f"against the baseline measured with it ({paired.get('pairs')} pairs of blocks)"
            )
        measure = measure_of(payload)
        if isinstance(measure, str) or not self.baseline_measures:
            return f"{plan.name}: done"
        ratio = measure.tokens_per_s / self.baseline_measures[0].tokens_per_s
        shown = f"{measure.tokens_per_s:,.0f} tokens/s"
        return f"{plan.name}: {shown} ({ratio:.2f}x the first baseline run)"

    # -- the whole --------------------------------------------------------------------------

    def run(self) -> DiagnoseResult:
        """Probe, baseline, experiments and rules, within the budget."""
        try:
            self._analyze()
            self._probe()
            self._reproduce_log()
            if self.request.root is None and self.too_slow is not None:
                self.baseline = Unavailable(f"not run: {self.too_slow}")
                self._record("baseline", self.budget.elapsed(), "skipped", self.too_slow)
                self.notes.append(f"--from-log: the baseline was not run: {self.too_slow}")
            elif self.request.root is None:
                first = self._baseline_run(repeat=False)
                if first is not None and first.payload is not None:
                    self.baseline = first.payload
                    if self.request.experiments:
                        self._experiments(first)
        except KeyboardInterrupt:
            self.interrupted = True
            self.notes.append("interrupted by Ctrl-C: the report holds what was measured so far")
        finally:
            self.progress.close()
        return self._finish()

    def _finish(self) -> DiagnoseResult:
        started = self.budget.elapsed()
        estimate = noise.own_estimate(self.baseline_measures)
        ran = [
            outcome.measured_variant(
                r.plan,
                r.result,
                noise.bracket(self.baseline_measures, r.baseline_runs_before, estimate),
                budget_s=budget_plan.VARIANT_MEASURE_S,
                timeout_s=r.timeout_s,
            )
            for r in self._ran
        ]
        # The variants that ran first (in run order), then those not run, then those that
        # do not apply here.
        not_applicable = [
            e
            for e in self.experiments
            if e.overrides == {}
            and e.env == {}
            and e.status is Status.SKIPPED
            and e.name not in self._planned
        ]
        others = [e for e in self.experiments if e not in not_applicable]
        self.experiments = ran + others + not_applicable
        hardware = self.hardware if isinstance(self.hardware, HardwareFacts) else None
        analysis = self.analysis
        conditions = noise.conditions(self.cpu_shares, estimate)
        distributed = (
            distributed_facts_from_bench(self.baseline) if isinstance(self.baseline, dict) else None
        ) or (distributed_facts_from_analysis(analysis) if analysis is not None else None)
        facts = DiagnosisFacts(
            distributed=distributed,
            conditions=conditions,
            hardware=hardware,
            baseline=run_facts_from_bench(self.baseline)
            if isinstance(self.baseline, dict)
            else None,
            log=log_facts_from_analysis(analysis) if analysis is not None else None,
            experiments=tuple(self.experiments),
        )
        findings = evaluate(facts)
        spread = estimate.run_to_run if estimate is not None else None
        text = verdict(facts.baseline, facts.log, findings, facts.experiments, spread)
        self._record("rules", started, "done", f"{len(findings)} findings")
        mode = (
            "snapshot"
            if self.request.root
            else ("live" if self.request.experiments else "no-experiments")
        )
        return DiagnoseResult(
            mode=mode,
            hardware=_hardware_json(self.hardware),
            baseline=self.baseline
            if isinstance(self.baseline, dict)
            else (
                self.baseline if isinstance(self.baseline, Unavailable) else Unavailable("not run")
            ),
            analysis=analysis,
            experiments=tuple(self.experiments),
            findings=tuple(findings),
            verdict=text,
            noise=noise.noise_facts(estimate, self.interleaved_measures, conditions),
            budget_s=self.request.budget_s,
            elapsed_s=round(self.budget.elapsed(), 2),
            phases=tuple(self.phases),
            interrupted=self.interrupted,
            notes=tuple(self.notes),
        )


def _hardware_json(hardware: HardwareFacts | Unavailable) -> Mapping[str, Any] | Unavailable:
    """The probe payload, or why there is none."""
    if isinstance(hardware, Unavailable):
        return hardware
    doc = to_jsonable(hardware)
    return doc if isinstance(doc, dict) else Unavailable("the probe gave no result")


@dataclass(frozen=True)
class _Ran:
    """A variant whose process ran, and where it fell among the baseline's own runs."""

    plan: VariantPlan
    result: BenchProcessResult
    timeout_s: float
    baseline_runs_before: int
    """How many of the baseline's own runs had finished when it started."""


def _sweep_s(payload: dict[str, Any]) -> float:
    roofline = payload.get("roofline")
    if isinstance(roofline, dict) and isinstance(roofline.get("sweep_s"), (int, float)):
        return float(roofline["sweep_s"])
    return 0.0

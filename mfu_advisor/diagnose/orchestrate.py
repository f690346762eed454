"""The diagnosis: probe, (log,) baseline, experiments most promising first, rules, verdict.

All within the budget (diagnose/plan.py). On a shared machine throughput
drifts from second to second, so a variant is compared with the baseline
measured at the same moments wherever it can be: in one process, alternating
blocks of steps (bench ``--variant``, bench/paired.py). A variant that needs a
process of its own (threads, CPU affinity, environment) runs between two
baseline runs (A B A B A, as the budget allows) and is compared with the
baseline's runs, their spread counted as noise. Before the variants, the
baseline interleaved with itself (A/A) measures the noise floor; after them,
the verified changes are measured together (the combined fix), and what the
verdict leads with is confirmed in fresh processes, A B B A, as the budget
allows (docs/diagnose.md, issue 16). Ctrl-C stops the current
process and returns what was measured, with ``interrupted`` set.

Each step returns a frozen record (:class:`~mfu_advisor.diagnose.assemble.Preparation`,
:class:`~mfu_advisor.diagnose.assemble.Baseline`); what must survive a Ctrl-C is
appended to the run's :class:`~mfu_advisor.diagnose.journal.Journal`; the result is
assembled from those (diagnose/assemble.py).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose import data_parallel
from mfu_advisor.diagnose import plan as budget_plan
from mfu_advisor.diagnose.assemble import (
    Baseline,
    Preparation,
    assemble,
    combined_of,
    ordered_experiments,
)
from mfu_advisor.diagnose.contention import CpuSample, others_share, sample
from mfu_advisor.diagnose.from_log import (
    analyze_log,
    baseline_from_log,
    merge_options,
    too_slow_here,
)
from mfu_advisor.diagnose.journal import Journal, VariantRun
from mfu_advisor.diagnose.progress import DiagnoseProgress, SilentDiagnoseProgress
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.distributed.cli_options import launch_argv
from mfu_advisor.distributed.plan import DistributedOptions
from mfu_advisor.errors import EXIT_BAD_INPUT, UserError
from mfu_advisor.experiments import combine, outcome
from mfu_advisor.experiments.compare import (
    ASSUMED_RUN_TO_RUN,
    RunMeasure,
    measure_of,
    paired_comparison,
)
from mfu_advisor.experiments.result import Verdict
from mfu_advisor.experiments.runner import BenchProcessResult, run_bench_process
from mfu_advisor.experiments.variant import VariantContext, VariantPlan
from mfu_advisor.experiments.variants import select
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.rules.facts_json import distributed_facts_from_bench, run_facts_from_bench

ProcessRunner = Callable[..., BenchProcessResult]

#: The phase of the A/A comparison (the baseline interleaved with itself).
AA_PLAN_NAME = "baseline-aa"


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

    @property
    def mode(self) -> str:
        """ "snapshot", "live" or "no-experiments" (the result's ``mode``)."""
        if self.root:
            return "snapshot"
        return "live" if self.experiments else "no-experiments"


@dataclass(frozen=True, kw_only=True)
class Services:
    """What a diagnosis runs with; the tests replace them with fakes."""

    progress: DiagnoseProgress = field(default_factory=SilentDiagnoseProgress)
    run_process: ProcessRunner = run_bench_process
    probe: Callable[[], HardwareFacts] | None = None
    """Probes the machine (or the snapshot); None for the real probe."""
    clock: Callable[[], float] = time.perf_counter
    sample_cpu: Callable[[], CpuSample | None] = sample


@dataclass(frozen=True)
class Diagnosis(Services):
    """One diagnosis run with its services; :meth:`run` returns the result (also after Ctrl-C)."""

    request: DiagnoseRequest

    def run(self) -> DiagnoseResult:
        """Probe, baseline, experiments and rules, within the budget."""
        request, services = self.request, self
        journal = Journal(budget_plan.Budget(request.budget_s, services.clock), services.progress)
        journal.notes.extend(request.notes)
        steps = _Steps(request, services, journal)
        preparation = Preparation(Unavailable("not probed"), None, request.asked)
        baseline: Baseline | Unavailable = Unavailable("not run")
        interrupted = False
        try:
            analysis = steps.analyze()
            preparation = dataclasses.replace(preparation, analysis=analysis)
            preparation = dataclasses.replace(preparation, hardware=steps.probe())
            preparation = steps.reproduce_log(preparation)
            if request.root is None and preparation.too_slow is not None:
                baseline = Unavailable(f"not run: {preparation.too_slow}")
                journal.record(
                    "baseline", journal.budget.elapsed(), "skipped", preparation.too_slow
                )
                journal.notes.append(
                    f"--from-log: the baseline was not run: {preparation.too_slow}"
                )
            elif request.root is None:
                baseline = steps.first_baseline(preparation.asked)
                if isinstance(baseline, Baseline) and request.experiments:
                    steps.experiments(preparation, baseline)
        except KeyboardInterrupt:
            interrupted = True
            journal.notes.append("interrupted by Ctrl-C: the report holds what was measured so far")
        finally:
            services.progress.close()
        return assemble(
            request.mode, request.budget_s, preparation, baseline, journal, interrupted=interrupted
        )


@dataclass(frozen=True)
class _Steps:
    """The steps of one diagnosis; each returns what it found, the journal keeps the order."""

    request: DiagnoseRequest
    services: Services
    journal: Journal

    # -- before the first run ---------------------------------------------------------------

    def analyze(self) -> LogAnalysis | None:
        path = self.request.from_log
        if path is None:
            return None
        started = self.journal.phase("analyze", path)
        analysis = analyze_log(path, local_peak=self.request.root is None)
        self.journal.record("analyze", started, "done", analysis.format)
        return analysis

    def probe(self) -> HardwareFacts | Unavailable:
        started = self.journal.phase("probe", self.request.root or "this machine")
        probe = self.services.probe or self._default_probe
        try:
            hardware = probe()
        except UserError:
            raise
        except Exception as exc:  # a probe bug must not cost the user the diagnosis
            failed = Unavailable(f"the probe failed ({type(exc).__name__}: {exc})")
            self.journal.record("probe", started, "failed", failed.reason)
            return failed
        self.journal.record("probe", started, "done")
        return hardware

    def _default_probe(self) -> HardwareFacts:
        from mfu_advisor.probe import probe_machine
        from mfu_advisor.probe.sources import MachineRoot

        if self.request.root is None:
            return probe_machine()
        with MachineRoot.open_snapshot(self.request.root) as root:
            return probe_machine(root)

    def reproduce_log(self, preparation: Preparation) -> Preparation:
        """Fill the baseline's unset options from the analyzed log's configuration."""
        if preparation.analysis is None:
            return preparation
        hardware = preparation.hardware
        machine = hardware if isinstance(hardware, HardwareFacts) else None
        reproduced = baseline_from_log(preparation.analysis, machine)
        asked = merge_options(reproduced.options, self.request.asked)
        self.journal.notes.extend(f"--from-log: {note}" for note in reproduced.notes)
        too_slow = too_slow_here(asked, machine, self.request.budget_s)
        return dataclasses.replace(preparation, asked=asked, too_slow=too_slow)

    # -- bench runs -------------------------------------------------------------------------

    def _run_bench(
        self,
        name: str,
        options: BenchOptions,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
        launch: tuple[str, ...] = (),
    ) -> BenchProcessResult:
        args = [*options.to_argv(), *launch, "--json"]
        before = self.services.sample_cpu()
        result = self.services.run_process(
            args,
            timeout_s=timeout_s,
            env=dict(env or {}),
            on_line=lambda line: self.services.progress.child(name, line),
        )
        share = others_share(
            before, self.services.sample_cpu(), result.elapsed_s, os.cpu_count() or 1
        )
        if share is not None:
            self.journal.cpu_shares.append((share, result.elapsed_s))
        return result

    def first_baseline(self, asked: BenchOptions) -> Baseline | Unavailable:
        """The baseline as configured (the whole job with --nproc-per-node), roofline included."""
        dist = self.request.distributed
        launch = tuple(launch_argv(dist)) if dist is not None else ()
        options = budget_plan.baseline_options(asked, with_roofline=True)
        process = self._baseline_run("baseline", "the run as configured", options, launch)
        if isinstance(process, str):
            return Unavailable(f"the baseline run failed: {process}")
        assert process.bench is not None and process.payload is not None
        return Baseline(process.bench, process.payload, process.elapsed_s)

    def repeat_baseline(self, asked: BenchOptions, first: Baseline, cost_s: float) -> None:
        """The baseline once more (one process, no roofline), to measure run-to-run noise."""
        journal = self.journal
        if cost_s > journal.budget.for_processes():
            journal.record(
                "baseline-repeat", journal.budget.elapsed(), "skipped", "not enough budget left"
            )
            if len(journal.baseline_runs) < 2:
                journal.notes.append(
                    "the baseline ran once (no budget for a repeat): run-to-run noise assumed "
                    f"{ASSUMED_RUN_TO_RUN:.0%} for the variants measured in runs of their own"
                )
            return
        options = dataclasses.replace(
            budget_plan.resolved_options(asked, first.result),
            roofline=False,
            budget_s=budget_plan.BASELINE_MEASURE_S,
        )
        self._baseline_run("baseline-repeat", "run-to-run noise", options, ())

    def _baseline_run(
        self, name: str, detail: str, options: BenchOptions, launch: tuple[str, ...]
    ) -> BenchProcessResult | str:
        """Run the baseline once; its process, or why it measured nothing."""
        journal = self.journal
        started = journal.phase(name, detail)
        process = self._run_bench(name, options, journal.budget.for_processes(), launch=launch)
        measure = measure_of(process.bench) if process.bench is not None else None
        if process.failure is None and isinstance(measure, RunMeasure):
            journal.baseline_runs.append(measure)
            journal.record(name, started, "done", f"{measure.tokens_per_s:,.0f} tokens/s")
            self.services.progress.outcome(f"{name}: {measure.tokens_per_s:,.0f} tokens/s")
            return process
        reason = process.failure or (measure if isinstance(measure, str) else "no result")
        journal.record(name, started, "failed", reason)
        if name == "baseline" and process.exit_code == EXIT_BAD_INPUT and not process.timed_out:
            refused = reason.removeprefix(f"exited with code {EXIT_BAD_INPUT}: ")
            raise UserError(f"the baseline run refused its options: {refused}")
        self.services.progress.outcome(f"{name} failed: {reason}")
        return reason

    # -- experiments ------------------------------------------------------------------------

    def experiments(self, preparation: Preparation, first: Baseline) -> None:
        """The variants that apply, most promising first, each if the budget allows."""
        journal = self.journal
        hardware = preparation.hardware
        machine = hardware if isinstance(hardware, HardwareFacts) else None
        context = VariantContext(
            run_facts_from_bench(first.result), machine, distributed_facts_from_bench(first.result)
        )
        selection = select(context)
        resolved = budget_plan.resolved_options(preparation.asked, first.result)
        if self.request.distributed is not None:
            selection, resolved, dropped, note = data_parallel.one_rank(
                selection, resolved, first.result
            )
            journal.notes.append(note)
            reason = data_parallel.PER_PROCESS_REASON
            journal.not_run.extend(outcome.skipped_plan(p, reason) for p in dropped)
        journal.not_run.extend(outcome.skipped_variant(v, r) for v, r in selection.skipped)
        timing = budget_plan.timing_of(first.result, first.wall_s)
        repeat_cost = max(timing.startup_s, first.wall_s - budget_plan.sweep_s(first.result))
        plans = selection.plans
        journal.planned.update(p.name for p in plans)
        if plans and self.request.distributed is None:
            self.aa_check(resolved, timing)
        for index, plan in enumerate(plans):
            try:
                # The variant that runs last takes what remains, less the combined fix's cost.
                reserve = self._combination_reserve(timing) if plan.runs_last else 0.0
                ran = self._variant(
                    plan, resolved, timing, preparation.asked, first, reserve_s=reserve
                )
                if ran and not budget_plan.interleaved(plan) and not plan.distributed:
                    # A B A: a variant run alone is bracketed by baseline runs.
                    self.repeat_baseline(preparation.asked, first, repeat_cost)
                timing = self._fastest_timing(timing)
            except KeyboardInterrupt:
                started = {e.name for e in journal.not_run} | {
                    r.plan.name for r in journal.variant_runs
                }
                journal.not_run.extend(
                    outcome.skipped_plan(p, "interrupted by Ctrl-C before it ran")
                    for p in plans[index:]
                    if p.name not in started
                )
                raise
        if self.request.distributed is None:
            self.combined(resolved, self._fastest_timing(timing))
            self.confirm(resolved, self._fastest_timing(timing))

    def confirm(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """Confirm what the verdict leads with in fresh processes, A B B A, as budget allows.

        The combined fix when it measured faster, then the leading verified change: each
        as the baseline and the change in processes of their own (each after its own
        warm-up), what a user changing a flag between two runs sees. Two models in one
        process share its caches and thread pool; the separate figure wins when the two
        disagree (experiments/outcome.py ``confirmed``).
        """
        journal = self.journal
        targets: list[VariantPlan] = []
        combined = combined_of(journal)
        plans = self._plans_run()
        if combined is not None and combined.ok and combined.verdict is Verdict.FASTER:
            run = journal.combined
            if isinstance(run, VariantRun):
                targets.append(run.plan)
        parts = combine.combinable(ordered_experiments(journal))
        if parts and parts[0].name in plans:
            targets.append(plans[parts[0].name])
        measure_s = budget_plan.CONFIRM_MEASURE_S
        for plan in targets:
            baseline_plan = VariantPlan(name="baseline")
            cost = 2 * budget_plan.alone_estimate_s(baseline_plan, timing, measure_s)
            cost += 2 * budget_plan.alone_estimate_s(plan, timing, measure_s)
            available = journal.budget.for_processes()
            phase = f"confirm:{plan.name}"
            if cost > available:
                reason = (
                    f"not enough budget left (needs about {cost:.0f} s, {available:.0f} s left)"
                )
                journal.record(phase, journal.budget.elapsed(), "skipped", reason)
                journal.notes.append(
                    f"{plan.name} was not confirmed in separate runs: {reason}; its figure is "
                    "the in-process pairing's"
                )
                continue
            started = journal.phase(phase, "the baseline and the change in fresh processes, ABBA")
            arms = {
                "A": budget_plan.alone_options(resolved, {}, measure_s),
                "B": budget_plan.alone_options(resolved, dict(plan.overrides), measure_s),
            }
            measures: list[RunMeasure] = []
            for arm in "ABBA":
                timeout = min(journal.budget.for_processes(), 2 * cost / 4 + 10)
                process = self._run_bench(phase, arms[arm], timeout)
                measure = measure_of(process.bench) if process.bench is not None else None
                if process.failure is not None or not isinstance(measure, RunMeasure):
                    break
                measures.append(measure)
            if len(measures) < 4:
                journal.record(phase, started, "failed", "a separate run measured nothing")
                continue
            a1, b1, b2, a2 = measures
            journal.confirmations[plan.name] = ((a1, b1), (a2, b2))
            ratios = ", ".join(
                f"{b.tokens_per_s / a.tokens_per_s:.2f}x" for a, b in ((a1, b1), (a2, b2))
            )
            journal.record(phase, started, "done", ratios)
            self.services.progress.outcome(f"{phase}: {ratios} in separate runs")

    def _plans_run(self) -> dict[str, VariantPlan]:
        return {r.plan.name: r.plan for r in self.journal.variant_runs}

    def _combination_reserve(self, timing: budget_plan.BaselineTiming) -> float:
        """Seconds to keep for the combined fix: its cost without a compile warm-up, when
        a change has already been verified (the last variant may make it two)."""
        parts = combine.combinable(ordered_experiments(self.journal))
        if not parts:
            return 0.0
        return budget_plan.estimate_s(combine.combined_plan(parts, self._plans_run()), timing)

    def combined(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """Every verified change together, interleaved with the baseline (experiments/combine.py).

        Needs two verified changes that can be combined. When it does not fit the budget
        with a compile among them, it is tried without; otherwise skipped with the reason.
        """
        journal = self.journal
        parts = combine.combinable(ordered_experiments(journal))
        if len(parts) < 2:
            return
        plans = self._plans_run()
        plan = combine.combined_plan(parts, plans)
        estimate = budget_plan.estimate_s(plan, timing)
        available = journal.budget.for_processes()
        compiled = [p for p in parts if p.overrides.get("compile") is True]
        if estimate > available and compiled and len(parts) - len(compiled) >= 2:
            parts = [p for p in parts if p not in compiled]
            plan = combine.combined_plan(parts, plans)
            estimate = budget_plan.estimate_s(plan, timing)
            journal.notes.append(
                "the combined fix was measured without compile: with its warm-up it did not "
                "fit the budget"
            )
        names = tuple(p.name for p in parts)
        if estimate > available:
            reason = (
                f"not enough budget left (needs about {estimate:.0f} s, {available:.0f} s left)"
            )
            journal.combined = outcome.skipped_plan(plan, reason, names)
            journal.record(f"experiment:{plan.name}", journal.budget.elapsed(), "skipped", reason)
            self.services.progress.outcome(f"{plan.name}: skipped, {reason}")
            return
        timeout = budget_plan.timeout_for(estimate, available, runs_last=False)
        options = budget_plan.variant_options(resolved, plan)
        started = journal.phase(f"experiment {plan.name}", f"{plan.change}, together")
        try:
            process = self._run_bench(plan.name, options, timeout)
        except KeyboardInterrupt:
            journal.combined = outcome.skipped_plan(plan, "interrupted by Ctrl-C", names)
            journal.record(f"experiment:{plan.name}", started, "interrupted")
            raise
        journal.combined = VariantRun(plan, process, timeout, len(journal.baseline_runs), names)
        status = "failed" if process.failure else "done"
        journal.record(f"experiment:{plan.name}", started, status, process.failure or "")
        self.services.progress.outcome(self._first_look(plan, process))

    def aa_check(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """The baseline interleaved with itself (A/A): the noise floor every speedup gets.

        Two identical arms in one process, measured like a variant; their speedup
        should be 1, and how far its interval reaches from 1 is the smallest effect
        this machine can tell apart (compare.aa_floor). Skipped when the budget
        cannot hold it with the variants' first estimate.
        """
        journal = self.journal
        plan = AA_PLAN_NAME
        same = VariantPlan(
            name=plan,
            change="the baseline against itself",
            overrides={"batch_size": resolved.batch_size},
        )
        estimate = budget_plan.estimate_s(same, timing)
        available = journal.budget.for_processes()
        if resolved.batch_size is None or 2 * estimate > available:
            reason = (
                f"not enough budget left (needs about {estimate:.0f} s, {available:.0f} s left)"
            )
            journal.record(plan, journal.budget.elapsed(), "skipped", reason)
            journal.notes.append(f"no A/A noise floor measured: {reason}")
            return
        options = budget_plan.variant_options(resolved, same)
        started = journal.phase(plan, "the baseline interleaved with itself: the noise floor")
        timeout = budget_plan.timeout_for(estimate, available, runs_last=False)
        process = self._run_bench(plan, options, timeout)
        paired = process.bench.paired if process.bench is not None else None
        if process.failure is not None or paired is None:
            journal.record(plan, started, "failed", process.failure or "no paired result")
            return
        journal.aa_run = process
        shown = paired_comparison(paired)
        detail = (
            shown
            if isinstance(shown, str)
            else f"{shown.speedup:.3f}x +-{shown.pair_noise or 0:.1%} ({paired.pairs} pairs)"
        )
        journal.record(plan, started, "done", detail)
        self.services.progress.outcome(f"{plan}: {detail}")

    def _fastest_timing(self, timing: budget_plan.BaselineTiming) -> budget_plan.BaselineTiming:
        """Estimate from the fastest baseline step: a slow run was slowed by other work."""
        runs = self.journal.every_baseline_run()
        steps = [m.step_time_ms / 1e3 for m in runs if m.step_time_ms]
        if not steps:
            return timing
        return dataclasses.replace(timing, step_s=min([timing.step_s, *steps]))

    def _variant(
        self,
        plan: VariantPlan,
        resolved: BenchOptions,
        timing: budget_plan.BaselineTiming,
        asked: BenchOptions,
        first: Baseline,
        *,
        reserve_s: float = 0.0,
    ) -> bool:
        """Run one variant if it fits the budget (less ``reserve_s``); True when it ran."""
        journal = self.journal
        available = max(0.0, journal.budget.for_processes() - reserve_s)
        estimate = (
            data_parallel.sync_less_estimate_s(plan, timing)
            if plan.distributed
            else budget_plan.estimate_s(plan, timing)
        )
        needed = timing.startup_s + 2 if plan.runs_last else estimate
        if needed > available:
            reason = f"not enough budget left (needs about {needed:.0f} s, {available:.0f} s left)"
            journal.not_run.append(outcome.skipped_plan(plan, reason))
            journal.record(f"experiment:{plan.name}", journal.budget.elapsed(), "skipped", reason)
            self.services.progress.outcome(f"{plan.name}: skipped, {reason}")
            return False
        timeout = budget_plan.timeout_for(estimate, available, runs_last=plan.runs_last)
        launch: tuple[str, ...] = ()
        if plan.distributed and self.request.distributed is not None:
            # The whole job, launched like the baseline: synced steps only, no reference.
            resolved = budget_plan.resolved_options(asked, first.result)  # not pinned
            job = dataclasses.replace(
                self.request.distributed, scaling=False, communication_split=False
            )
            launch = tuple(launch_argv(job))
        options = budget_plan.variant_options(resolved, plan)
        how = "interleaved with the baseline" if options.variant else "in a run of its own"
        started = journal.phase(f"experiment {plan.name}", f"{plan.change}, {how}")
        try:
            process = self._run_bench(plan.name, options, timeout, env=plan.env, launch=launch)
        except KeyboardInterrupt:
            journal.not_run.append(
                outcome.interrupted_plan(plan, journal.budget.elapsed() - started, timeout)
            )
            journal.record(f"experiment:{plan.name}", started, "interrupted")
            raise
        journal.variant_runs.append(VariantRun(plan, process, timeout, len(journal.baseline_runs)))
        if options.variant and process.bench is not None:
            arm = measure_of(process.bench)
            if isinstance(arm, RunMeasure):
                journal.interleaved_runs.append(arm)
        status = "failed" if process.failure else "done"
        journal.record(f"experiment:{plan.name}", started, status, process.failure or "")
        self.services.progress.outcome(self._first_look(plan, process))
        return True

    def _first_look(self, plan: VariantPlan, process: BenchProcessResult) -> str:
        if process.failure or process.bench is None:
            return f"{plan.name}: failed, {process.failure}"
        paired = process.bench.paired
        if paired is not None:
            comparison = paired_comparison(paired)
            if isinstance(comparison, str):
                return f"{plan.name}: {comparison}"
            return (
                f"{plan.name}: {comparison.speedup:.2f}x +-{comparison.noise:.0%} tokens/s "
                f"against the baseline measured with it ({paired.pairs} pairs of blocks)"
            )
        measure = measure_of(process.bench)
        if isinstance(measure, str) or not self.journal.baseline_runs:
            return f"{plan.name}: done"
        ratio = measure.tokens_per_s / self.journal.baseline_runs[0].tokens_per_s
        shown = f"{measure.tokens_per_s:,.0f} tokens/s"
        return f"{plan.name}: {shown} ({ratio:.2f}x the first baseline run)"

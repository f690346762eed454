"""The diagnosis's steps, within the budget (docs/diagnose.md describes each); what must
survive a Ctrl-C goes to the :class:`Journal`, and diagnose/assemble.py makes the result."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose import plan as budget_plan
from mfu_advisor.diagnose.assemble import (
    Baseline,
    Journal,
    Preparation,
    assemble,
    combined_of,
    ordered_experiments,
)
from mfu_advisor.diagnose.from_log import (
    analyze_log,
    baseline_from_log,
    merge_options,
    too_slow_here,
)
from mfu_advisor.diagnose.noise import CpuSample, aa_of, others_share, sample
from mfu_advisor.diagnose.progress import DiagnoseProgress
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.distributed.plan import DistributedOptions, launch_argv
from mfu_advisor.errors import EXIT_BAD_INPUT, UserError
from mfu_advisor.experiments import outcome
from mfu_advisor.experiments.compare import (
    ASSUMED_RUN_TO_RUN,
    RunMeasure,
    measure_of,
    paired_comparison,
)
from mfu_advisor.experiments.outcome import VariantRun
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


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis and what it runs with (the tests give fakes); :meth:`run` returns the
    result, also after Ctrl-C."""

    request: DiagnoseRequest
    _: KW_ONLY
    progress: DiagnoseProgress = field(default_factory=DiagnoseProgress)
    run_process: ProcessRunner = run_bench_process
    probe: Callable[[], HardwareFacts] | None = None
    """Probes the machine (or the snapshot); None for the real probe."""
    clock: Callable[[], float] = time.perf_counter
    sample_cpu: Callable[[], CpuSample | None] = sample

    def run(self) -> DiagnoseResult:
        """Probe, baseline, experiments and rules, within the budget."""
        request = self.request
        journal = Journal(budget_plan.Budget(request.budget_s, self.clock), self.progress)
        journal.notes.extend(request.notes)
        steps = _Steps(self, journal)
        preparation = Preparation(Unavailable("not probed"), None, request.asked)
        baseline: Baseline | Unavailable = Unavailable("not run")
        interrupted = False
        try:
            preparation = dataclasses.replace(preparation, analysis=steps.analyze())
            preparation = steps.reproduce_log(
                dataclasses.replace(preparation, hardware=steps.probe())
            )
            too_slow = preparation.too_slow
            if request.root is None and too_slow is not None:
                baseline = Unavailable(f"not run: {too_slow}")
                journal.record("baseline", journal.budget.elapsed(), "skipped", too_slow)
                journal.notes.append(f"--from-log: the baseline was not run: {too_slow}")
            elif request.root is None:
                baseline = steps.first_baseline(preparation.asked)
                if isinstance(baseline, Baseline) and request.experiments:
                    steps.experiments(preparation, baseline)
        except KeyboardInterrupt:
            interrupted = True
            journal.notes.append("interrupted by Ctrl-C: the report holds what was measured so far")
        finally:
            self.progress.close()
        return assemble(
            request.mode, request.budget_s, preparation, baseline, journal, interrupted=interrupted
        )


def _measure(process: BenchProcessResult) -> RunMeasure | str:
    """What a bench process measured, or why it measured nothing."""
    if process.failure is not None or process.bench is None:
        return process.failure or "no result"
    return measure_of(process.bench)


@dataclass(frozen=True)
class _Steps:
    """The steps of one diagnosis, in the order they run; the journal keeps what they did."""

    diagnosis: Diagnosis
    journal: Journal

    def analyze(self) -> LogAnalysis | None:
        path = self.diagnosis.request.from_log
        if path is None:
            return None
        started = self.journal.phase("analyze", path)
        analysis = analyze_log(path, local_peak=self.diagnosis.request.root is None)
        self.journal.record("analyze", started, "done", analysis.format)
        return analysis

    def probe(self) -> HardwareFacts | Unavailable:
        root = self.diagnosis.request.root
        started = self.journal.phase("probe", root or "this machine")
        try:
            hardware = (self.diagnosis.probe or (lambda: _probe(root)))()
        except UserError:
            raise
        except Exception as exc:  # a probe bug must not cost the user the diagnosis
            failed = Unavailable(f"the probe failed ({type(exc).__name__}: {exc})")
            self.journal.record("probe", started, "failed", failed.reason)
            return failed
        self.journal.record("probe", started, "done")
        return hardware

    def reproduce_log(self, preparation: Preparation) -> Preparation:
        """Fill the baseline's unset options from the analyzed log's configuration."""
        if preparation.analysis is None:
            return preparation
        request = self.diagnosis.request
        hardware = preparation.hardware
        machine = hardware if isinstance(hardware, HardwareFacts) else None
        reproduced = baseline_from_log(preparation.analysis, machine)
        asked = merge_options(reproduced.options, request.asked)
        self.journal.notes.extend(f"--from-log: {note}" for note in reproduced.notes)
        too_slow = too_slow_here(asked, machine, request.budget_s)
        return dataclasses.replace(preparation, asked=asked, too_slow=too_slow)

    def _run_bench(
        self,
        name: str,
        options: BenchOptions,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
        launch: tuple[str, ...] = (),
    ) -> BenchProcessResult:
        services = self.diagnosis
        before = services.sample_cpu()
        result = services.run_process(
            [*options.to_argv(), *launch, "--json"],
            timeout_s=timeout_s,
            env=dict(env or {}),
            on_line=lambda line: services.progress.child(name, line),
        )
        cpus = os.cpu_count() or 1
        share = others_share(before, services.sample_cpu(), result.elapsed_s, cpus)
        if share is not None:
            self.journal.cpu_shares.append((share, result.elapsed_s))
        return result

    def _fits(self, phase: str, needed_s: float, available_s: float) -> str | None:
        """None when ``needed_s`` fits; else why not, recorded as the phase skipped."""
        if needed_s <= available_s:
            return None
        reason = f"not enough budget left (needs about {needed_s:.0f} s, {available_s:.0f} s left)"
        self.journal.record(phase, self.journal.budget.elapsed(), "skipped", reason)
        return reason

    # -- the baseline's own runs -------------------------------------------------------------

    def first_baseline(self, asked: BenchOptions) -> Baseline | Unavailable:
        """The baseline as configured (the whole job with --nproc-per-node), roofline included."""
        dist = self.diagnosis.request.distributed
        options = dataclasses.replace(
            asked, budget_s=budget_plan.BASELINE_MEASURE_S, roofline=True, fresh=False
        )
        launch = tuple(launch_argv(dist)) if dist is not None else ()
        process = self._baseline_run("baseline", "the run as configured", options, launch)
        if isinstance(process, str):
            return Unavailable(f"the baseline run failed: {process}")
        assert process.bench is not None and process.payload is not None
        return Baseline(process.bench, process.payload, process.elapsed_s)

    def repeat_baseline(self, asked: BenchOptions, first: Baseline, cost_s: float) -> None:
        """The baseline once more (one process, no roofline), to measure run-to-run noise."""
        if self._fits("baseline-repeat", cost_s, self.journal.budget.for_processes()):
            if len(self.journal.baseline_runs) < 2:
                self.journal.notes.append(
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
        journal, progress = self.journal, self.diagnosis.progress
        started = journal.phase(name, detail)
        process = self._run_bench(name, options, journal.budget.for_processes(), launch=launch)
        measure = _measure(process)
        if isinstance(measure, RunMeasure):
            journal.baseline_runs.append(measure)
            journal.record(name, started, "done", f"{measure.tokens_per_s:,.0f} tokens/s")
            progress.outcome(f"{name}: {measure.tokens_per_s:,.0f} tokens/s")
            return process
        journal.record(name, started, "failed", measure)
        if name == "baseline" and process.exit_code == EXIT_BAD_INPUT and not process.timed_out:
            refused = measure.removeprefix(f"exited with code {EXIT_BAD_INPUT}: ")
            raise UserError(f"the baseline run refused its options: {refused}")
        progress.outcome(f"{name} failed: {measure}")
        return measure

    # -- experiments -------------------------------------------------------------------------

    def experiments(self, preparation: Preparation, first: Baseline) -> None:
        """The A/A floor, the variants that apply (most promising first, each if the budget
        allows), then the combined fix and the confirmations."""
        journal, dist = self.journal, self.diagnosis.request.distributed
        hardware = preparation.hardware
        context = VariantContext(
            run_facts_from_bench(first.result),
            hardware if isinstance(hardware, HardwareFacts) else None,
            distributed_facts_from_bench(first.result),
        )
        selection = select(context)
        unpinned = resolved = budget_plan.resolved_options(preparation.asked, first.result)
        job_launch: tuple[str, ...] = ()
        if dist is not None:
            selection, resolved, dropped, note = budget_plan.one_rank(
                selection, resolved, first.result
            )
            journal.notes.append(note)
            reason = budget_plan.PER_PROCESS_REASON
            journal.not_run.extend(outcome.skipped_plan(p, reason) for p in dropped)
            # A variant of the whole job is launched like the baseline, synced steps only.
            whole_job = dataclasses.replace(dist, scaling=False, communication_split=False)
            job_launch = tuple(launch_argv(whole_job))
        journal.not_applicable.extend(outcome.skipped_variant(v, r) for v, r in selection.skipped)
        timing = budget_plan.timing_of(first.result, first.wall_s)
        repeat_cost = max(timing.startup_s, first.wall_s - budget_plan.sweep_s(first.result))
        plans = selection.plans
        journal.planned.extend(plans)
        if plans and dist is None:
            self.aa_check(resolved, timing)
        for plan in plans:
            # The variant that runs last takes what remains, less the combined fix's cost.
            reserve = self._combination_reserve(timing) if plan.runs_last else 0.0
            options, launch = (unpinned, job_launch) if plan.distributed else (resolved, ())
            available = max(0.0, journal.budget.for_processes() - reserve)
            ran = self._variant(plan, options, timing, available, launch)
            if ran and not budget_plan.interleaved(plan) and not plan.distributed:
                # A B A: a variant run alone is bracketed by baseline runs.
                self.repeat_baseline(preparation.asked, first, repeat_cost)
            timing = self._fastest_timing(timing)
        if dist is None:
            self.combined(resolved, self._fastest_timing(timing))
            self.confirm(resolved, self._fastest_timing(timing))

    def aa_check(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """The baseline interleaved with itself (A/A): its interval's reach from 1 is the
        noise floor every speedup gets; skipped unless the budget holds it twice."""
        journal, name = self.journal, AA_PLAN_NAME
        same = VariantPlan(
            name=name,
            change="the baseline against itself",
            overrides={"batch_size": resolved.batch_size},
        )
        estimate = budget_plan.estimate_s(same, timing)
        available = journal.budget.for_processes()
        reason = self._fits(name, 2 * estimate, available)
        if reason is not None:
            journal.notes.append(f"no A/A noise floor measured: {reason}")
            return
        started = journal.phase(name, "the baseline interleaved with itself: the noise floor")
        timeout = budget_plan.timeout_for(estimate, available, runs_last=False)
        process = self._run_bench(name, budget_plan.variant_options(resolved, same), timeout)
        paired = process.bench.paired if process.bench is not None else None
        if process.failure is not None or paired is None:
            journal.record(name, started, "failed", process.failure or "no paired result")
            return
        journal.aa = aa_of(paired)
        shown = paired_comparison(paired)
        detail = (
            shown
            if isinstance(shown, str)
            else f"{shown.speedup:.3f}x +-{shown.pair_noise or 0:.1%} ({paired.pairs} pairs)"
        )
        journal.record(name, started, "done", detail)
        self.diagnosis.progress.outcome(f"{name}: {detail}")

    def _variant(
        self,
        plan: VariantPlan,
        resolved: BenchOptions,
        timing: budget_plan.BaselineTiming,
        available: float,
        launch: tuple[str, ...] = (),
        parts: tuple[str, ...] = (),
    ) -> bool:
        """Run one variant (with ``parts``: the combined fix) as phase ``experiment:<name>``
        if it fits ``available`` seconds; True when it ran."""
        journal, phase = self.journal, f"experiment:{plan.name}"
        estimate = budget_plan.estimate_s(plan, timing)
        needed = timing.startup_s + 2 if plan.runs_last else estimate
        reason = self._fits(phase, needed, available)
        if reason is not None:
            journal.keep(outcome.skipped_plan(plan, reason, parts))
            self.diagnosis.progress.outcome(f"{plan.name}: skipped, {reason}")
            return False
        timeout = budget_plan.timeout_for(estimate, available, runs_last=plan.runs_last)
        options = budget_plan.variant_options(resolved, plan)
        how = "interleaved with the baseline" if options.variant else "in a run of its own"
        how = "together" if parts else how
        started = journal.phase(f"experiment {plan.name}", f"{plan.change}, {how}")
        try:
            process = self._run_bench(plan.name, options, timeout, env=plan.env, launch=launch)
        except KeyboardInterrupt:
            elapsed = journal.budget.elapsed() - started
            journal.keep(
                outcome.skipped_plan(plan, "interrupted by Ctrl-C", parts)
                if parts
                else outcome.interrupted_plan(plan, elapsed, timeout)
            )
            journal.record(phase, started, "interrupted")
            raise
        journal.keep(VariantRun(plan, process, timeout, len(journal.baseline_runs), parts))
        arm = _measure(process)
        if options.variant and isinstance(arm, RunMeasure) and not parts:
            journal.interleaved_runs.append(arm)
        status = "failed" if process.failure else "done"
        journal.record(phase, started, status, process.failure or "")
        self.diagnosis.progress.outcome(self._first_look(plan, process))
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

    def _fastest_timing(self, timing: budget_plan.BaselineTiming) -> budget_plan.BaselineTiming:
        """Estimate from the fastest baseline step: a slow run was slowed by other work."""
        runs = [*self.journal.baseline_runs, *self.journal.interleaved_runs]
        steps = [m.step_time_ms / 1e3 for m in runs if m.step_time_ms]
        return dataclasses.replace(timing, step_s=min([timing.step_s, *steps]))

    # -- after the single experiments ---------------------------------------------------------

    def _plans_run(self) -> dict[str, VariantPlan]:
        return {r.plan.name: r.plan for r in self.journal.variant_runs}

    def _combination_reserve(self, timing: budget_plan.BaselineTiming) -> float:
        """Seconds to keep for the combined fix: its cost without a compile warm-up, when
        a change has already been verified (the last variant may make it two)."""
        parts = outcome.combinable(ordered_experiments(self.journal))
        if not parts:
            return 0.0
        return budget_plan.estimate_s(outcome.combined_plan(parts, self._plans_run()), timing)

    def combined(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """Every verified change together, interleaved with the baseline, when two or more
        combine; without compile when that alone makes it not fit."""
        journal = self.journal
        parts = outcome.combinable(ordered_experiments(journal))
        if len(parts) < 2:
            return
        plan = outcome.combined_plan(parts, self._plans_run())
        estimate = budget_plan.estimate_s(plan, timing)
        available = journal.budget.for_processes()
        compiled = [p for p in parts if p.overrides.get("compile") is True]
        if estimate > available and compiled and len(parts) - len(compiled) >= 2:
            parts = [p for p in parts if p not in compiled]
            plan = outcome.combined_plan(parts, self._plans_run())
            journal.notes.append(
                "the combined fix was measured without compile: with its warm-up it did not "
                "fit the budget"
            )
        self._variant(plan, resolved, timing, available, parts=tuple(p.name for p in parts))

    def confirm(self, resolved: BenchOptions, timing: budget_plan.BaselineTiming) -> None:
        """The combined fix when it measured faster, then the leading verified change: each
        confirmed in fresh processes, baseline and change A B B A, as the budget allows."""
        journal = self.journal
        targets: list[VariantPlan] = []
        combined = combined_of(journal)
        if combined is not None and combined.ok and combined.verdict is Verdict.FASTER:
            assert isinstance(journal.combined, VariantRun)
            targets.append(journal.combined.plan)
        parts = outcome.combinable(ordered_experiments(journal))
        plans = self._plans_run()
        if parts and parts[0].name in plans:
            targets.append(plans[parts[0].name])
        measure_s = budget_plan.CONFIRM_MEASURE_S
        baseline_plan = VariantPlan(name="baseline")
        for plan in targets:
            cost = 2 * budget_plan.alone_estimate_s(baseline_plan, timing, measure_s)
            cost += 2 * budget_plan.alone_estimate_s(plan, timing, measure_s)
            phase = f"confirm:{plan.name}"
            reason = self._fits(phase, cost, journal.budget.for_processes())
            if reason is not None:
                journal.notes.append(
                    f"{plan.name} was not confirmed in separate runs: {reason}; its figure is "
                    "the in-process pairing's"
                )
                continue
            started = journal.phase(phase, "the baseline and the change in fresh processes, ABBA")
            arms = {
                arm: budget_plan.variant_options(resolved, change, measure_s, alone=True)
                for arm, change in (("A", baseline_plan), ("B", plan))
            }
            measures: list[RunMeasure] = []
            for arm in "ABBA":
                timeout = min(journal.budget.for_processes(), 2 * cost / 4 + 10)
                measure = _measure(self._run_bench(phase, arms[arm], timeout))
                if not isinstance(measure, RunMeasure):
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
            self.diagnosis.progress.outcome(f"{phase}: {ratios} in separate runs")


def _probe(root: str | None) -> HardwareFacts:
    """The real probe of this machine, or of the snapshot at ``root``."""
    from mfu_advisor.probe import probe_machine
    from mfu_advisor.probe.sources import MachineRoot

    if root is None:
        return probe_machine()
    with MachineRoot.open_snapshot(root) as machine:
        return probe_machine(machine)

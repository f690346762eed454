"""What changes when diagnose's baseline is a data-parallel job (``--nproc-per-node N``).

- The variants that change one rank's step (micro-batch, compile, autocast)
  measure one rank: a single process pinned to rank 0's CPU share with its
  threads (:func:`one_rank`). Variants that change a process's threads or CPUs
  do not apply: each rank's are set by the split.
- One variant runs as the whole job: ``sync-less`` (experiments/job_variants.py),
  the baseline with more micro-batches per all-reduce, when the all-reduce took
  a large share of the step; :func:`sync_less_estimate_s` is its time.
"""

from __future__ import annotations

import dataclasses

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose import plan as budget_plan
from mfu_advisor.distributed.plan import MIN_PAIRS, MIN_SYNC_STEPS, block_steps_for
from mfu_advisor.experiments.job_variants import SYNC_LESS
from mfu_advisor.experiments.variant import VariantPlan
from mfu_advisor.experiments.variants import Selection
from mfu_advisor.units import cpu_list

#: Variants that change a process's threads or CPUs: a data-parallel run sets those per
#: rank (each rank gets its share of the CPUs), so they do not apply to it.
PER_PROCESS_VARIANTS = frozenset(
    {"threads-physical", "threads-logical", "threads-usable", "pin-p-cores"}
)

PER_PROCESS_REASON = (
    "a data-parallel run sets threads and CPUs per rank (each rank gets its share of the "
    "CPUs): compare --nproc-per-node values instead"
)


def one_rank(
    selection: Selection, resolved: BenchOptions, result: BenchResult
) -> tuple[Selection, BenchOptions, tuple[VariantPlan, ...], str]:
    """The selection and options for variants that measure one rank.

    Returns the selection without the per-process variants (their skip reasons
    replaced), the options pinned like rank 0, the plans dropped, and a note.
    """
    setup = result.distributed
    if setup is not None and setup.cpus_per_rank:
        resolved = dataclasses.replace(resolved, cpus=setup.cpus_per_rank[0])
    if setup is not None:
        resolved = dataclasses.replace(resolved, threads=setup.threads_per_rank)
    where = f"CPUs {cpu_list(resolved.cpus)}" if resolved.cpus else "one device"
    note = (
        f"data-parallel diagnosis: the what-if variants measure one rank's step (one process "
        f"on {where}, {resolved.threads or 'default'} threads), not the whole job; "
        f"{SYNC_LESS.name}, when it runs, measures the whole job"
    )
    kept = tuple(p for p in selection.plans if p.name not in PER_PROCESS_VARIANTS)
    dropped = tuple(p for p in selection.plans if p.name in PER_PROCESS_VARIANTS)
    skipped = tuple(
        (v, PER_PROCESS_REASON if v.name in PER_PROCESS_VARIANTS else why)
        for v, why in selection.skipped
    )
    return dataclasses.replace(selection, plans=kept, skipped=skipped), resolved, dropped, note


def sync_less_estimate_s(plan: VariantPlan, timing: budget_plan.BaselineTiming) -> float:
    """Expected wall time of the sync-less job: start-up, warm-up and its synced steps.

    The baseline job's start-up figure includes its single-process reference (a
    second start-up and run), which the variant skips (``--no-scaling``): half of it.
    The variant times synced steps only (``--no-communication-split``): at least
    MIN_PAIRS blocks and MIN_SYNC_STEPS steps, and until its budget is spent.
    """
    step_s = timing.step_s * plan.step_time_factor
    steps = max(MIN_PAIRS * block_steps_for(step_s * 1e3), MIN_SYNC_STEPS)
    measured = max(steps * step_s, budget_plan.VARIANT_MEASURE_S)
    return timing.startup_s / 2 + budget_plan.VARIANT_WARMUP_STEPS * step_s + measured

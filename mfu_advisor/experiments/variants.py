"""The what-if experiments, listed, and :func:`select`: the plans for one baseline, in run order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mfu_advisor.experiments import job_variants as job
from mfu_advisor.experiments import precision_variants as precision
from mfu_advisor.experiments import step_variants as step
from mfu_advisor.experiments import thread_variants as threads
from mfu_advisor.experiments.variant import Variant, VariantContext, VariantPlan

#: Every variant. Order here is only a tie-break; runs are ordered by promise.
VARIANTS: tuple[Variant, ...] = (
    job.SYNC_LESS,
    step.BATCH_X2,
    step.BATCH_X4,
    step.COMPILE,
    step.NO_COMPILE,
    precision.AUTOCAST_BF16,
    precision.AUTOCAST_FP16,
    precision.FLOAT32,
    precision.TF32,
    threads.THREADS_PHYSICAL,
    threads.THREADS_LOGICAL,
    threads.THREADS_USABLE,
    threads.PIN_P_CORES,
    step.FUSED_ADAMW,
)


@dataclass(frozen=True)
class Selection:
    """The variants for one baseline: plans in run order, and the skipped with reasons."""

    plans: tuple[VariantPlan, ...]
    skipped: tuple[tuple[Variant, str], ...]


def select(ctx: VariantContext, variants: tuple[Variant, ...] = VARIANTS) -> Selection:
    """Plans for the variants that apply, in run order: a whole data-parallel job's first,
    then the most promising; those expected slower (to show a cost), then runs_last ones."""
    plans: list[VariantPlan] = []
    skipped: list[tuple[Variant, str]] = []
    for variant in variants:
        plan = variant.plan(ctx)
        if isinstance(plan, str):
            if variant.listed_when_skipped:
                skipped.append((variant, plan))
            continue
        # A plan verifies its variant's rule unless it names another.
        verifies = plan.verifies or variant.verifies
        plans.append(dataclasses.replace(plan, name=variant.name, verifies=verifies))
    # A stable sort: equal keys keep the order of VARIANTS.
    plans.sort(key=lambda p: (not p.distributed, p.runs_last, p.promise < 1, -p.promise))
    return Selection(tuple(plans), tuple(skipped))

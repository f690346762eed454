"""The what-if experiments, listed: which variants exist and in which order they run.

Each variant (experiments/variant.py) says when it applies (a skip reason
otherwise) and how promising it is (a prior expected speedup). :func:`select`
makes the plans for one baseline, most promising first; the runner
(experiments/runner.py) runs each in its own subprocess.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mfu_advisor.experiments.job_variants import SYNC_LESS
from mfu_advisor.experiments.precision_variants import AUTOCAST_BF16, AUTOCAST_FP16, FLOAT32, TF32
from mfu_advisor.experiments.step_variants import (
    BATCH_X2,
    BATCH_X4,
    COMPILE,
    FUSED_ADAMW,
    NO_COMPILE,
)
from mfu_advisor.experiments.thread_variants import (
    PIN_P_CORES,
    THREADS_LOGICAL,
    THREADS_PHYSICAL,
    THREADS_USABLE,
)
from mfu_advisor.experiments.variant import Variant, VariantContext, VariantPlan

#: Every variant. Order here is only a tie-break; runs are ordered by promise.
VARIANTS: tuple[Variant, ...] = (
    SYNC_LESS,
    BATCH_X2,
    BATCH_X4,
    COMPILE,
    NO_COMPILE,
    AUTOCAST_BF16,
    AUTOCAST_FP16,
    FLOAT32,
    TF32,
    THREADS_PHYSICAL,
    THREADS_LOGICAL,
    THREADS_USABLE,
    PIN_P_CORES,
    FUSED_ADAMW,
)


@dataclass(frozen=True)
class Selection:
    """The variants for one baseline: plans in run order, and the skipped with reasons."""

    plans: tuple[VariantPlan, ...]
    skipped: tuple[tuple[Variant, str], ...]


def select(ctx: VariantContext, variants: tuple[Variant, ...] = VARIANTS) -> Selection:
    """Plans for the variants that apply, most promising first and runs_last ones last.

    A variant of the whole data-parallel job runs first, on the baseline's own
    configuration, before the variants of one rank. A variant expected to be slower
    (promise below 1) is there to show a cost; it runs after the promising ones,
    before those that run last.
    """
    plans: list[VariantPlan] = []
    skipped: list[tuple[Variant, str]] = []
    for variant in variants:
        reason = variant.skip_reason(ctx)
        if reason is None:
            plan = variant.plan(ctx)
            # A plan verifies its variant's rule unless it names another.
            verifies = plan.verifies or variant.verifies
            plans.append(dataclasses.replace(plan, name=variant.name, verifies=verifies))
        elif variant.listed_when_skipped:
            skipped.append((variant, reason))
    order = {id(p): i for i, p in enumerate(plans)}
    plans.sort(
        key=lambda p: (not p.distributed, p.runs_last, p.promise < 1, -p.promise, order[id(p)])
    )
    return Selection(tuple(plans), tuple(skipped))

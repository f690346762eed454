"""The what-if experiments, listed, and :func:`select`: the plans for one baseline, in run order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mfu_advisor.experiments import job_variants as job
from mfu_advisor.experiments import precision_variants as precision
from mfu_advisor.experiments import step_variants as step
from mfu_advisor.experiments import thread_variants as cpu
from mfu_advisor.experiments.variant import Variant, VariantContext, VariantPlan

_SMT_RULE = "smt-siblings-as-compute-threads"

#: Every variant: name, the rule symbol it verifies, a description, its plan. Order here is
#: only a tie-break; runs are ordered by promise.
VARIANTS: tuple[Variant, ...] = (
    job.SYNC_LESS,
    step.batch(2),
    step.batch(4),
    Variant("compile", "compile-not-used", "torch.compile on", step.compile_on),
    Variant("no-compile", "compile-slower-here", "torch.compile off", step.compile_off),
    Variant("autocast-bf16", "autocast-not-used", "bf16 autocast", precision.bf16),
    Variant("autocast-fp16", "autocast-not-used", "fp16 autocast", precision.fp16),
    Variant("float32", "bf16-without-native-support", "autocast off", precision.float32),
    Variant("tf32", "tf32-disabled", "TF32 matmuls on", precision.tf32),
    Variant("threads-physical", _SMT_RULE, "one thread per core", cpu.physical),
    Variant("threads-logical", _SMT_RULE, "one thread per CPU", cpu.logical),
    Variant("threads-usable", "threads-oversubscribed", "threads = usable CPUs", cpu.usable),
    Variant("pin-p-cores", "threads-on-efficiency-cores", "P-cores only", cpu.pin_p_cores),
    Variant("fused-adamw", "fused-adamw-not-used", "fused AdamW", step.fused_adamw),
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

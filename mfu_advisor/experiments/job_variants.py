"""Variants of a whole data-parallel job (``diagnose --nproc-per-node N``): ``sync-less``, more
micro-batches per gradient all-reduce, run as the whole job (verifies MA126)."""

from __future__ import annotations

from mfu_advisor.experiments.variant import Variant, VariantContext, VariantPlan

#: Share of the step in the gradient all-reduce from which syncing less is worth a change:
#: at 20% a step is 1.25x its compute alone. DDP overlaps its bucketed all-reduce with the
#: backward pass (PyTorch DDP notes), so a well-fed single node stays well below that, and
#: 20% is far beyond the bench's run-to-run noise (a few percent on a quiet machine).
COMMUNICATION_SHARE_THRESHOLD = 0.20

#: Micro-steps per all-reduce suggested: the share f falls to about f/8, within the noise
#: for any share this rule fires on up to 40%. (nanoGPT's GPT-2 config runs 5 per rank:
#: 40 accumulation steps over 8 GPUs.)
SUGGESTED_ACCUMULATION = 8


def suggested_accumulation(current: int) -> int:
    """Micro-steps per all-reduce to suggest (and to measure) per rank, from ``current``."""
    return max(SUGGESTED_ACCUMULATION, 2 * current)


def _sync_less(ctx: VariantContext) -> VariantPlan | str:
    dist = ctx.distributed
    measured = dist is not None and dist.source == "bench" and dist.multi_rank
    share = dist.communication_fraction if dist is not None and measured else None
    if not isinstance(share, float):
        return "not a data-parallel run whose all-reduce share was measured"
    if not COMMUNICATION_SHARE_THRESHOLD <= share < 1:
        return (
            f"the all-reduce took {share:.1%} of the step, below "
            f"{COMMUNICATION_SHARE_THRESHOLD:.0%}"
        )
    current = max(ctx.run.gradient_accumulation_steps, 1)
    steps = suggested_accumulation(current)
    return VariantPlan(
        change=(
            f"gradient_accumulation_steps {current} -> {steps} per rank (one all-reduce per "
            f"{steps} micro-batches), the whole data-parallel job"
        ),
        overrides={"gradient_accumulation_steps": steps},
        note=(
            f"Each optimizer step holds {steps // current}x the tokens: the same tokens take "
            f"{steps // current}x fewer optimizer steps (mind the learning rate). Measured as "
            "the whole job against the baseline job, in a run of its own."
        ),
        promise=1 / (1 - share),
        step_time_factor=steps / current,
        distributed=True,
    )


SYNC_LESS = Variant(
    name="sync-less",
    verifies="communication-share-high",
    description="fewer gradient all-reduces per token: more micro-batches per optimizer step",
    plan=_sync_less,
    listed_when_skipped=False,
)

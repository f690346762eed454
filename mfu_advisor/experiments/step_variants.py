"""Variants of the training step itself: micro-batch size, torch.compile, fused AdamW."""

from __future__ import annotations

import math
from typing import Any

from mfu_advisor.experiments.variant import Variant, VariantContext, VariantPlan
from mfu_advisor.probe.capabilities import run_memory_bytes
from mfu_advisor.probe.facts import TorchFacts

#: Compile warm-up assumed when planning the budget, in seconds: measured about
#: 40 s on the 2-core Zen 3 VM with a cold inductor cache (issue 5).
COMPILE_WARMUP_S = {"cpu": 45.0, "default": 60.0}

#: Part of the memory a larger micro-batch may use: leave room for fragmentation.
MEMORY_HEADROOM = 0.9


def _memory_capacity(ctx: VariantContext) -> int | None:
    hardware = ctx.hardware
    if hardware is None:
        return None
    if ctx.device_type == "cpu":
        available = hardware.memory.available_bytes
        return available if isinstance(available, int) else None
    return run_memory_bytes(hardware, ctx.run.device)  # a MIG slice's, not the parent's


def batch(multiple: int) -> Variant:
    """Micro-batch x``multiple``, skipped when it would not fit in memory."""

    def plan(ctx: VariantContext) -> VariantPlan | str:
        run = ctx.run
        used, capacity = run.peak_memory_bytes, _memory_capacity(ctx)
        # Activations grow with the batch; weights and optimizer state do not, so
        # scaling the whole peak is a cautious estimate.
        if isinstance(used, int) and capacity and used * multiple > MEMORY_HEADROOM * capacity:
            return (
                f"batch_size x{multiple} would need about {used * multiple / 2**30:.1f} GiB "
                f"of the {capacity / 2**30:.1f} GiB available"
            )
        batch, tokens = run.batch_size * multiple, run.effective_batch_tokens
        overrides: dict[str, Any] = {"batch_size": batch}
        change = f"batch_size {run.batch_size} -> {batch}"
        note = ""
        if run.gradient_accumulation_steps % multiple == 0:
            accumulation = run.gradient_accumulation_steps // multiple
            overrides["gradient_accumulation_steps"] = accumulation
            change += (
                f", gradient_accumulation_steps {run.gradient_accumulation_steps} -> "
                f"{accumulation} (same {tokens} tokens per optimizer step)"
            )
        else:
            change += f" (effective batch {tokens} -> {tokens * multiple} tokens per step)"
            note = (
                f"The effective batch grows {multiple}x: the same tokens take {multiple}x "
                f"fewer optimizer steps, and Adam usually wants the learning rate about "
                f"sqrt({multiple}) = {math.sqrt(multiple):.1f}x higher (square-root scaling, "
                "Malladi et al. 2022, arXiv:2205.10287); compare the loss per token."
            )
        return VariantPlan(
            change=change,
            overrides=overrides,
            note=note,
            promise={2: 1.25, 4: 1.4}.get(multiple, 1.2),
            step_time_factor=float(multiple),
        )

    description = (
        f"micro-batch x{multiple}, with gradient accumulation divided by {multiple} where "
        "it can be (same effective batch); otherwise the effective batch grows"
    )
    return Variant(f"batch-x{multiple}", "micro-batch-too-small", description, plan)


def compile_on(ctx: VariantContext) -> VariantPlan | str:
    if ctx.run.compile:
        return "the baseline already compiles (see no-compile)"
    torch = ctx.hardware.torch if ctx.hardware is not None else None
    if isinstance(torch, TorchFacts) and torch.compile_ready is False:
        return f"torch.compile is not ready here: {torch.compile_note}"
    return VariantPlan(
        change="compile False -> True (torch.compile, inductor)",
        overrides={"compile": True},
        note="The first step compiles; its time is reported apart as compile_s.",
        promise=1.43 if ctx.device_type == "cuda" else 1.05,
        extra_warmup_s=COMPILE_WARMUP_S.get(ctx.device_type, COMPILE_WARMUP_S["default"]),
        runs_last=True,
    )


def compile_off(ctx: VariantContext) -> VariantPlan | str:
    if not ctx.run.compile:
        return "the baseline does not compile (see compile)"
    return VariantPlan(change="compile True -> False", overrides={"compile": False})


def fused_adamw(ctx: VariantContext) -> VariantPlan | str:
    if ctx.device_type != "cuda":
        return "fused AdamW is measured on CUDA only (nanoGPT enables it there)"
    if ctx.run.adamw_impl == "fused":
        return "the baseline uses fused AdamW already"
    change = f"AdamW {ctx.run.adamw_impl} -> fused"
    return VariantPlan(change=change, overrides={"adamw_impl": "fused"}, promise=1.05)

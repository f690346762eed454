"""Precision variants: bf16 and fp16 autocast, autocast off, TF32."""

from __future__ import annotations

from mfu_advisor.experiments.variant import StepCap, VariantContext, VariantPlan
from mfu_advisor.probe.capabilities import (
    BF16_MIN_CAPABILITY,
    FP16_MIN_CAPABILITY,
    TF32_MIN_CAPABILITY,
    capability,
    cpu_has_native_bf16,
    cpu_has_native_fp16,
    run_gpu,
)

#: Step time of bf16 autocast over fp32 on a CPU without native bf16: measured
#: 16x on the 2-core Zen 3 VM this project is developed on (issue 5). Used to
#: size that variant's step cap and time estimate, never as a result.
EMULATED_BF16_SLOWDOWN = 16.0


def _cuda_capability(ctx: VariantContext) -> tuple[int, int] | None:
    gpu = run_gpu(ctx.hardware, ctx.run.device)
    return capability(gpu.nvidia) if gpu is not None else None


def _emulated_bf16(ctx: VariantContext) -> bool:
    """A CPU run on a CPU without native bf16 (AMX, AVX512-BF16)."""
    hardware = ctx.hardware
    return (
        ctx.device_type == "cpu" and hardware is not None and not cpu_has_native_bf16(hardware.cpu)
    )


def bf16(ctx: VariantContext) -> VariantPlan | str:
    if ctx.run.dtype != "float32":
        return f"the baseline already runs {ctx.run.dtype}"
    if ctx.device_type == "cpu" and ctx.hardware is None:
        return "the CPU's instruction set is unknown"
    if ctx.device_type == "cuda":
        cc = _cuda_capability(ctx)
        if cc is None:
            return "the GPU's compute capability is unknown"
        if cc < BF16_MIN_CAPABILITY:
            return f"no bf16 tensor cores on sm_{cc[0]}{cc[1]} (needs 8.0+)"
    elif ctx.device_type != "cpu":
        return f"bf16 autocast is not measured on {ctx.device_type}"
    change = "dtype float32 -> bfloat16 (autocast)"
    if _emulated_bf16(ctx):
        return VariantPlan(
            change=change,
            overrides={"dtype": "bfloat16"},
            note="Run once, with few steps, to show what bf16 costs on a CPU without it.",
            verifies="bf16-without-native-support",
            promise=1 / EMULATED_BF16_SLOWDOWN,
            step_time_factor=EMULATED_BF16_SLOWDOWN,
            step_cap=StepCap(warmup_steps=1, min_steps=2, max_steps=3),
        )
    # A CPU with native bf16 gains less than a GPU's tensor cores.
    promise = 1.5 if ctx.device_type == "cpu" else 1.8
    return VariantPlan(change=change, overrides={"dtype": "bfloat16"}, promise=promise)


def fp16(ctx: VariantContext) -> VariantPlan | str:
    if ctx.run.dtype != "float32":
        return f"the baseline already runs {ctx.run.dtype}"
    if ctx.device_type == "cpu":
        if ctx.hardware is None or not cpu_has_native_fp16(ctx.hardware.cpu):
            return "no native fp16 matmul on this CPU (needs AVX512-FP16, AMX-FP16 or Arm FP16)"
    elif ctx.device_type == "cuda":
        cc = _cuda_capability(ctx)
        if cc is None:
            return "the GPU's compute capability is unknown"
        if cc >= BF16_MIN_CAPABILITY:
            return "bf16 is measured instead (same tensor-core speed, no loss scaling)"
        if cc < FP16_MIN_CAPABILITY:
            return f"no fp16 tensor cores on sm_{cc[0]}{cc[1]} (needs 7.0+)"
    elif ctx.device_type != "mps":
        return f"not measured on {ctx.device_type}"
    return VariantPlan(
        change="dtype float32 -> float16 (autocast with a GradScaler)",
        overrides={"dtype": "float16"},
        promise=1.5 if ctx.device_type == "cuda" else 1.2,
    )


def float32(ctx: VariantContext) -> VariantPlan | str:
    if ctx.run.dtype == "float32":
        return "the baseline runs float32"
    emulated = _emulated_bf16(ctx)
    return VariantPlan(
        change=f"dtype {ctx.run.dtype} -> float32 (autocast off)",
        overrides={"dtype": "float32"},
        verifies="bf16-without-native-support" if emulated else "autocast-not-used",
        promise=EMULATED_BF16_SLOWDOWN if emulated else 0.7,
        step_time_factor=1 / EMULATED_BF16_SLOWDOWN if emulated else 1.5,
    )


def tf32(ctx: VariantContext) -> VariantPlan | str:
    if ctx.device_type != "cuda":
        return "TF32 exists only on CUDA GPUs"
    if ctx.run.dtype != "float32":
        return f"the baseline runs {ctx.run.dtype}: TF32 only affects float32 matmuls"
    if ctx.run.tf32:
        return "TF32 is on already"
    cc = _cuda_capability(ctx)
    if cc is None or cc < TF32_MIN_CAPABILITY:
        return "TF32 needs an Ampere or newer GPU (compute capability 8.0+)"
    return VariantPlan(change="tf32 False -> True", overrides={"tf32": True}, promise=2.0)

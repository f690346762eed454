"""Rules about the batch and the model's size against the device: the model's GEMMs timed by the
roofline at 1x, 2x and 4x the micro-batch (bench/roofline.py), and memory."""

from __future__ import annotations

from mfu_advisor.probe.capabilities import run_gpu, run_memory_bytes
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.measured import measured_draft, nanogpt_flags
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.run_facts import RunFacts
from mfu_advisor.units import flops, percent, size_bytes

#: A larger micro-batch is worth suggesting from the roofline alone when the model's GEMMs run
#: this much faster at 2x or 4x: well beyond the roofline's noise (best of repeated calls).
GEMM_GAIN_THRESHOLD = 1.15

#: The model is "too small for the device" when its best GEMM rate, at any
#: batch multiple, is below this fraction of the best matmul rate measured.
NARROW_MODEL_FRACTION = 0.5

#: Peak memory over capacity at which a run is "nearly full": a CUDA run then risks running
#: out of memory at the next longer sequence, a CPU run risks swapping.
MEMORY_FULL_FRACTION = 0.9

BATCH_EXPERIMENTS = ("batch-x2", "batch-x4")


def gemm_gain(run: RunFacts) -> tuple[float, int] | None:
    """(best rate at a larger multiple / rate at 1x, that multiple); None when unmeasured or
    under GEMM_GAIN_THRESHOLD."""
    rates = run.gemm_flops_by_batch_multiple
    base = rates.get(1)
    larger = {m: r for m, r in rates.items() if m > 1}
    if not base or not larger:
        return None
    multiple = max(larger, key=lambda m: larger[m])
    ratio = larger[multiple] / base
    return (ratio, multiple) if ratio >= GEMM_GAIN_THRESHOLD else None


def _batch_story(run: RunFacts) -> str:
    """The baseline's batch and matmul figures in one or two sentences."""
    tokens = run.batch_size * run.block_size
    parts = [
        f"Each micro-batch is batch_size {run.batch_size} x block_size {run.block_size} = "
        f"{tokens} tokens."
    ]
    rates = run.gemm_flops_by_batch_multiple
    if 1 in rates:
        shown = ", ".join(f"{flops(r)} at {m}x" for m, r in sorted(rates.items()))
        parts.append(f"The model's matmuls measured {shown} the micro-batch.")
    mfu = run.mfu_measured
    if isinstance(mfu, float):
        parts.append(
            f"The whole step reaches {percent(mfu)} of the measured matmul peak; per-step "
            "costs that do not grow with the batch (the optimizer update, kernel launches, "
            "Python) are spread over more tokens by a larger micro-batch."
        )
    return " ".join(parts)


def _micro_batch(facts: DiagnosisFacts) -> Draft | None:
    run = facts.baseline
    measured = facts.measured(*BATCH_EXPERIMENTS)
    if run is None:
        return None
    story = _batch_story(run)
    if measured is not None:
        return measured_draft(
            measured,
            subject="a larger micro-batch",
            hypothesis=story,
            fix=nanogpt_flags(measured.overrides),
            fix_options=measured.overrides,
            undo_fix=f"keep --batch_size={run.batch_size}",
            evidence={"batch_size": run.batch_size, "block_size": run.block_size},
        )
    if facts.multi_rank_bench:
        # The run is split over ranks: per-rank-batch-small (MA130) says it with the ranks.
        return None
    gain = gemm_gain(run)
    if gain is None:
        return None
    ratio, multiple = gain
    accumulation = run.gradient_accumulation_steps
    options: dict[str, int] = {"batch_size": run.batch_size * multiple}
    if accumulation % multiple == 0:
        options["gradient_accumulation_steps"] = accumulation // multiple
    return Draft(
        explanation=story,
        fix=nanogpt_flags(options),
        fix_options=options,
        expected_gain=f"up to {ratio:.2f}x on the matmuls (the roofline at {multiple}x)",
        expected_speedup=ratio,
        evidence={
            "gemm_flops_1x": run.gemm_flops_by_batch_multiple[1],
            f"gemm_flops_{multiple}x": run.gemm_flops_by_batch_multiple[multiple],
        },
    )


def _model_too_small(facts: DiagnosisFacts) -> Draft | None:
    run = facts.baseline
    if run is None or not run.gemm_flops_by_batch_multiple:
        return None
    peak = run.measured_peak_flops
    if not isinstance(peak, float) or peak <= 0:
        return None
    best_multiple = max(
        run.gemm_flops_by_batch_multiple, key=lambda m: run.gemm_flops_by_batch_multiple[m]
    )
    best = run.gemm_flops_by_batch_multiple[best_multiple]
    if best >= NARROW_MODEL_FRACTION * peak:
        return None
    return Draft(
        **wording(
            "MA105",
            multiple=best_multiple,
            n_embd=run.n_embd,
            best=flops(best),
            share=percent(best / peak),
            peak=flops(peak),
            source=run.measured_peak_source,
        ),
        evidence={"best_gemm_flops": best, "measured_peak_flops": peak, "n_embd": run.n_embd},
    )


def _capacity(facts: DiagnosisFacts, run: RunFacts) -> tuple[int, str] | None:
    """(bytes the run's device has, what that is) or None when unknown."""
    hardware = facts.hardware
    if hardware is None:
        return None
    if run.device_type == "cpu":
        limit = hardware.memory.cgroup_limit_bytes
        if isinstance(limit, int):
            return limit, "the cgroup memory limit"
        total = hardware.memory.total_bytes
        return (total, "system memory") if isinstance(total, int) else None
    gpu, memory = run_gpu(hardware, run.device), run_memory_bytes(hardware, run.device)
    if gpu is not None and memory is not None:
        return memory, f"{gpu.name} memory"
    return None


def _memory_nearly_full(facts: DiagnosisFacts) -> Draft | None:
    run = facts.baseline
    if run is None or not isinstance(run.peak_memory_bytes, int):
        return None
    capacity = _capacity(facts, run)
    if capacity is None:
        return None
    total, what = capacity
    used = run.peak_memory_bytes / total
    if used < MEMORY_FULL_FRACTION:
        return None
    options = {
        "batch_size": max(1, run.batch_size // 2),
        "gradient_accumulation_steps": run.gradient_accumulation_steps * 2,
    }
    return Draft(
        **wording(
            "MA123",
            kind=run.peak_memory_kind,
            peak=size_bytes(run.peak_memory_bytes),
            share=percent(used),
            what=what,
            total=size_bytes(total),
            flags=nanogpt_flags(options),
        ),
        fix_options=options,
        evidence={"peak_memory_bytes": run.peak_memory_bytes, "capacity_bytes": total},
    )


RULES = family(
    {"MA104": _micro_batch, "MA105": _model_too_small, "MA123": _memory_nearly_full}, globals()
)

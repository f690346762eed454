"""Rules about NVIDIA GPUs as NVML reports them (probe/nvml.py), and the optimizer on CUDA."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from mfu_advisor.probe.capabilities import run_gpu
from mfu_advisor.probe.facts import GpuFacts, NvidiaFacts
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.measured import measured_or_expected
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.units import percent

#: NVML clock event reasons (nvml.h nvmlClocksEventReason*) that mean the clocks are held down
#: by power or heat; the idle, application-clock, sync-boost and display reasons are normal.
LIMITING_CLOCK_REASONS = {
    "sw_power_cap": "the software power cap (power draw at the board's limit)",
    "hw_slowdown": "hardware slowdown (power brake or overheating)",
    "sw_thermal_slowdown": "software thermal slowdown (GPU or memory too hot)",
    "hw_thermal_slowdown": "hardware thermal slowdown (overheating)",
    "hw_power_brake_slowdown": "the external power brake (power supply signal)",
}

#: Utilization (%) above which a GPU with a lower-than-maximum PCIe generation is
#: treated as busy: GPUs drop the link generation at idle to save power, which is normal.
BUSY_UTILIZATION_PERCENT = 10


def _nvidia_gpus(facts: DiagnosisFacts) -> list[tuple[GpuFacts, NvidiaFacts]]:
    """The GPUs to check: the run's own when it ran on one, else every NVIDIA GPU."""
    hardware = facts.hardware
    if hardware is None:
        return []
    run = facts.baseline
    if run is not None and run.device_type == "cuda":
        gpu = run_gpu(hardware, run.device)
        candidates = [gpu] if gpu is not None else []
    else:
        candidates = list(hardware.gpus)
    return [(g, g.nvidia) for g in candidates if isinstance(g.nvidia, NvidiaFacts)]


def _on_nvidia_gpus(
    test: Callable[[GpuFacts, NvidiaFacts], Draft | None], facts: DiagnosisFacts
) -> Draft | None:
    """``test``'s first finding on the GPUs to check (``_nvidia_gpus``)."""
    return next((d for g, nv in _nvidia_gpus(facts) if (d := test(g, nv)) is not None), None)


def _clock_test(gpu: GpuFacts, nv: NvidiaFacts) -> Draft | None:
    reasons = nv.clock_event_reasons
    if not isinstance(reasons, tuple):
        return None
    limiting = [r for r in reasons if r in LIMITING_CLOCK_REASONS]
    if not limiting:
        return None
    words = "; ".join(LIMITING_CLOCK_REASONS[r] for r in limiting)
    parts = [f"NVML says the clocks of GPU {nv.index} ({gpu.name}) are held down by {words}."]
    expected = None
    if (
        isinstance(nv.sm_clock_mhz, int)
        and isinstance(nv.sm_clock_max_mhz, int)
        and nv.sm_clock_mhz
    ):
        parts.append(f"SM clock {nv.sm_clock_mhz} MHz of a maximum {nv.sm_clock_max_mhz} MHz.")
        expected = nv.sm_clock_max_mhz / nv.sm_clock_mhz
    if isinstance(nv.power_draw_w, float) and isinstance(nv.power_limit_w, float):
        parts.append(f"Power draw {nv.power_draw_w:.0f} W of a {nv.power_limit_w:.0f} W limit.")
    evidence = {"gpu": nv.index, "reasons": limiting, "sm_clock_mhz": nv.sm_clock_mhz}
    return _held_down(parts, limiting, expected, evidence)


def _held_down(
    parts: list[str], reasons: Iterable[str], expected: float | None, evidence: dict[str, Any]
) -> Draft:
    """The finding of clocks held down: the fix for heat or for power, the clock-ratio gain."""
    return Draft(
        **wording("MA115", "thermal" if any("thermal" in r for r in reasons) else "power"),
        explanation=" ".join(parts),
        expected_gain=f"up to {expected:.2f}x (clock ratio)" if expected else None,
        expected_speedup=expected if expected and expected > 1 else None,
        evidence=evidence,
    )


#: Share of the measured steps' samples a limiting reason must be active in to be named.
UNDER_LOAD_SHARE = 0.10


def _clocks(facts: DiagnosisFacts) -> Draft | None:
    """Under load when the run's GPU was sampled while its steps ran; else NVML's one reading."""
    run = facts.baseline
    load = run.gpu_under_load if run is not None else None
    if not isinstance(load, GpuUnderLoad):
        return _on_nvidia_gpus(_clock_test, facts)
    limiting = {
        r: share
        for r, share in load.clock_event_reason_shares.items()
        if r in LIMITING_CLOCK_REASONS and share >= UNDER_LOAD_SHARE
    }
    if not limiting:
        return None
    pairs = _nvidia_gpus(facts)
    gpu, nv = pairs[0] if pairs else (None, None)
    name = f"GPU {nv.index} ({gpu.name})" if gpu is not None and nv is not None else "The GPU"
    words = "; ".join(
        f"{LIMITING_CLOCK_REASONS[r]} in {percent(share)} of them" for r, share in limiting.items()
    )
    parts = [
        f"While the measured steps ran ({load.samples} NVML samples), {name}'s clocks were held "
        f"down by {words}."
    ]
    top = nv.sm_clock_max_mhz if nv is not None else None
    expected = None
    if isinstance(load.sm_clock_mhz, float):
        ceiling = f" of a maximum {top} MHz" if isinstance(top, int) else ""
        parts.append(f"SM clock median {load.sm_clock_mhz:.0f} MHz{ceiling} under load.")
        if isinstance(top, int) and load.sm_clock_mhz > 0:
            expected = top / load.sm_clock_mhz
    if isinstance(load.power_draw_w, float) and isinstance(load.power_limit_w, float):
        parts.append(
            f"Power draw median {load.power_draw_w:.0f} W of a {load.power_limit_w:.0f} W limit."
        )
    if isinstance(load.temperature_c, float) and any("thermal" in r for r in limiting):
        parts.append(f"Temperature median {load.temperature_c:.0f} °C.")
    evidence = {
        "reason_shares": limiting,
        "sm_clock_mhz_under_load": load.sm_clock_mhz,
        "samples": load.samples,
    }
    return _held_down(parts, limiting, expected, evidence)


def _pcie_test(gpu: GpuFacts, nv: NvidiaFacts) -> Draft | None:
    width, width_max = nv.pcie_width, nv.pcie_width_max
    gen, gen_max = nv.pcie_gen, nv.pcie_gen_max
    problems = []
    factor_lost = 1.0
    if isinstance(width, int) and isinstance(width_max, int) and width < width_max:
        problems.append(f"the link runs at x{width} of x{width_max} lanes")
        factor_lost *= width_max / width
    busy = isinstance(nv.utilization_gpu_percent, int) and (
        nv.utilization_gpu_percent >= BUSY_UTILIZATION_PERCENT
    )
    if isinstance(gen, int) and isinstance(gen_max, int) and gen < gen_max and busy:
        problems.append(f"PCIe gen {gen} of {gen_max} while the GPU is busy")
        factor_lost *= 2 ** (gen_max - gen)  # each generation doubles the per-lane rate
    if not problems:
        return None
    return Draft(
        **wording(
            "MA116", gpu=nv.index, name=gpu.name, problems="; ".join(problems), lost=factor_lost
        ),
        evidence={
            "gpu": nv.index,
            "pcie_width": width,
            "pcie_width_max": width_max,
            "pcie_gen": gen,
            "pcie_gen_max": gen_max,
        },
    )


def _busy_test(gpu: GpuFacts, nv: NvidiaFacts) -> Draft | None:
    others = nv.other_processes
    if not isinstance(others, int) or others < 1:
        return None
    parts = [f"{others} other compute process(es) run on GPU {nv.index} ({gpu.name})"]
    if isinstance(nv.utilization_gpu_percent, int):
        parts.append(f"at {nv.utilization_gpu_percent}% utilization")
    if isinstance(nv.memory_used_bytes, int) and isinstance(nv.memory_total_bytes, int):
        parts.append(
            f"holding {percent(nv.memory_used_bytes / nv.memory_total_bytes)} of its memory"
        )
    return Draft(
        **wording("MA117", found=", ".join(parts)),
        evidence={
            "gpu": nv.index,
            "other_processes": others,
            "utilization_gpu_percent": nv.utilization_gpu_percent,
        },
    )


def _mig_test(gpu: GpuFacts, nv: NvidiaFacts) -> Draft | None:
    if nv.mig_mode is not True:
        return None
    return Draft(
        **wording("MA118", gpu=nv.index, name=gpu.name),
        evidence={"gpu": nv.index, "mig_mode": True},
    )


def _fused_adamw(facts: DiagnosisFacts) -> Draft | None:
    run = facts.baseline
    if run is None or run.device_type != "cuda" or run.adamw_impl == "fused":
        return None
    return measured_or_expected(
        facts,
        ("fused-adamw",),
        **wording("MA124", impl=run.adamw_impl),
        fix_options={"adamw_impl": "fused"},
        evidence={"adamw_impl": run.adamw_impl},
    )


RULES = family(
    {
        "MA115": _clocks,
        "MA116": partial(_on_nvidia_gpus, _pcie_test),
        "MA117": partial(_on_nvidia_gpus, _busy_test),
        "MA118": partial(_on_nvidia_gpus, _mig_test),
        "MA124": _fused_adamw,
    },
    globals(),
)

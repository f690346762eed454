"""Rules about which device the run uses: a GPU left idle, a CPU-only machine, an unusable iGPU."""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.capabilities import peak, usable_gpus
from mfu_advisor.probe.facts import GpuKind, HardwareFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.rule import Draft, family
from mfu_advisor.units import factor, flops, percent

#: torch device type for each backend the probe names (ROCm runs as "cuda").
_DEVICE_FOR_BACKEND = {"cuda": "cuda", "rocm": "cuda", "xpu": "xpu", "mps": "mps"}

#: An unusable iGPU is called worth enabling when its peak beats the CPU's by
#: this factor: below it, driver and framework friction outweighs the gain.
IGPU_WORTH_FACTOR = 1.5


def _best_peak(peaks: object) -> tuple[float, str] | None:
    """The highest of the bf16, fp16, tf32 and fp32 peaks, with its dtype."""
    found = [(value, d) for d in ("bf16", "fp16", "tf32", "fp32") if (value := peak(peaks, d))]
    return max(found) if found else None


def _cpu_ceiling(facts: DiagnosisFacts) -> tuple[float, str] | None:
    """The CPU's realistic fp32 ceiling: the measured matmul peak, else the probe's peak."""
    run = facts.baseline
    if run is not None and run.device_type == "cpu" and isinstance(run.measured_peak_flops, float):
        return run.measured_peak_flops, run.measured_peak_source or "measured on this machine"
    if facts.hardware is not None:
        value = peak(facts.hardware.cpu.peak_flops, "fp32")
        if value:
            return value, "the CPU's fp32 peak from the probe"
    return None


def _cpu_forced(facts: DiagnosisFacts) -> Draft | None:
    if facts.hardware is None or facts.run_device_type != "cpu":
        return None
    gpus = [g for g in usable_gpus(facts.hardware) if g.torch.backend in _DEVICE_FOR_BACKEND]
    if not gpus:
        return None
    gpu = gpus[0]
    device = _DEVICE_FOR_BACKEND[gpu.torch.backend or "cuda"]
    gpu_peak = _best_peak(gpu.peak_flops)
    cpu = _cpu_ceiling(facts)
    expected, gain_text = None, "a GPU step is usually many times faster than a CPU step"
    evidence: dict[str, object] = {"gpu": gpu.name, "backend": gpu.torch.backend}
    if gpu_peak and cpu:
        expected = gpu_peak[0] / cpu[0]
        gain_text = (
            f"up to {expected:.0f}x by peak FLOP/s ({flops(gpu_peak[0])} {gpu_peak[1]} on "
            f"the GPU vs {flops(cpu[0])} fp32 on the CPU); small models gain less"
        )
        evidence.update({"gpu_peak_flops": gpu_peak[0], "cpu_peak_flops": cpu[0]})
    return Draft(
        explanation=(
            f"The run trains on the CPU while {gpu.name} is usable by this torch build "
            f"({gpu.torch.note})."
        ),
        fix=f"--device={device}",
        fix_options={"device": device},
        expected_gain=gain_text,
        expected_speedup=expected,
        evidence=evidence,
    )


def _cpu_only(facts: DiagnosisFacts) -> Draft | None:
    hardware = facts.hardware
    if hardware is None:
        return None
    if usable_gpus(hardware) or any(isinstance(g.torch.usable, Unavailable) for g in hardware.gpus):
        return None
    ceiling = _cpu_ceiling(facts)
    found = "; ".join(f"{g.name}: {g.torch.note}" for g in hardware.gpus)
    parts = [
        f"GPUs found but not usable by PyTorch here: {found}."
        if found
        else "No GPU was found on this machine.",
        "Training on the CPU is what this machine can do: that is expected, not a fault.",
    ]
    evidence: dict[str, object] = {"usable_cpus": hardware.cpu.usable_cpus}
    if ceiling:
        parts.append(
            f"The realistic ceiling is the CPU's fp32 matmul rate, {flops(ceiling[0])} "
            f"({ceiling[1]}; {hardware.cpu.usable_cpus} usable CPUs)."
        )
        evidence["ceiling_flops"] = ceiling[0]
        run = facts.baseline
        if run is not None and isinstance(run.achieved_flops, float):
            parts.append(
                f"The baseline run achieves {flops(run.achieved_flops)}, "
                f"{percent(run.achieved_flops / ceiling[0])} of it."
            )
            evidence["achieved_flops"] = run.achieved_flops
    return Draft(explanation=" ".join(parts), evidence=evidence)


def _igpu(facts: DiagnosisFacts) -> Draft | None:
    hardware: HardwareFacts | None = facts.hardware
    if hardware is None:
        return None
    igpus = [g for g in hardware.gpus if g.kind is GpuKind.INTEGRATED and g.torch.usable is False]
    if not igpus:
        return None
    gpu = igpus[0]
    parts = [f"{gpu.name} is on this machine but not usable by this torch build: {gpu.torch.note}."]
    gpu_peak, cpu_peak = _best_peak(gpu.peak_flops), _cpu_ceiling(facts)
    expected = None
    evidence: dict[str, object] = {"igpu": gpu.name}
    if gpu_peak and cpu_peak:
        (gpu_flops, dtype), cpu_flops = gpu_peak, cpu_peak[0]
        ratio = gpu_flops / cpu_flops
        evidence.update({"igpu_peak_flops": gpu_flops, "cpu_peak_flops": cpu_flops})
        verdict = "worth trying" if ratio >= IGPU_WORTH_FACTOR else "not worth the effort"
        parts.append(
            f"Its peak is {flops(gpu_flops)} ({dtype}) against the CPU's {flops(cpu_flops)}: "
            f"{factor(ratio)}, {verdict} for training; it also shares the CPU's memory bandwidth."
        )
        expected = ratio if ratio >= IGPU_WORTH_FACTOR else None
    return Draft(
        explanation=" ".join(parts),
        fix=gpu.torch.note,
        expected_gain=f"up to {expected:.1f}x by peak FLOP/s" if expected else None,
        expected_speedup=expected,
        evidence=evidence,
    )


RULES = family({"MA101": _cpu_forced, "MA102": _cpu_only, "MA114": _igpu}, globals())

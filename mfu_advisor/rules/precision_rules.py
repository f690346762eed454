"""Rules about numeric precision: autocast, bf16 without hardware support (emulated in
software, slower), TF32."""

from __future__ import annotations

from mfu_advisor.mfu import PEAK_DTYPE_KEYS
from mfu_advisor.probe.capabilities import (
    BF16_MIN_CAPABILITY,
    FP16_MIN_CAPABILITY,
    TF32_MIN_CAPABILITY,
    capability,
    cpu_has_native_bf16,
    cpu_has_native_fp16,
    peak,
    run_gpu,
)
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind
from mfu_advisor.rules.measured import measured_draft, measured_or_expected
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.units import factor, flops


def _run_dtype(facts: DiagnosisFacts) -> str | None:
    """The dtype the diagnosed run computes in; nanoGPT on a CPU is always float32."""
    if facts.baseline is not None:
        return facts.baseline.dtype
    log = facts.log
    if log is None:
        return None
    if log.device_type == "cpu":
        # nanoGPT train.py: ctx = nullcontext() if device_type == 'cpu' else autocast(...)
        return "float32"
    return log.dtype if isinstance(log.dtype, str) else None


def _native_half(facts: DiagnosisFacts) -> tuple[str, str, object] | None:
    """(dtype the device runs natively, why, its peaks) for the run's device; None if none."""
    hardware: HardwareFacts | None = facts.hardware
    device = facts.run_device_type
    if hardware is None or not isinstance(device, str):
        return None
    if device == "cpu":
        cpu = hardware.cpu
        if cpu_has_native_bf16(cpu):
            return "bfloat16", f"{cpu.model} has bf16 matmul instructions", cpu.peak_flops
        if cpu_has_native_fp16(cpu):
            return "float16", f"{cpu.model} has fp16 matmul instructions", cpu.peak_flops
        return None
    if device == "cuda":
        run_device = facts.baseline.device if facts.baseline is not None else "cuda:0"
        gpu = run_gpu(hardware, run_device)
        cc = capability(gpu.nvidia) if gpu is not None else None
        if gpu is None or cc is None:
            return None
        if cc >= BF16_MIN_CAPABILITY:
            return (
                "bfloat16",
                f"{gpu.name} (sm_{cc[0]}{cc[1]}) has bf16 tensor cores",
                gpu.peak_flops,
            )
        if cc >= FP16_MIN_CAPABILITY:
            return (
                "float16",
                f"{gpu.name} (sm_{cc[0]}{cc[1]}) has fp16 tensor cores",
                gpu.peak_flops,
            )
    return None


def _autocast(facts: DiagnosisFacts) -> Draft | None:
    if _run_dtype(facts) != "float32":
        return None
    native = _native_half(facts)
    if native is None:
        return None
    dtype, why, peaks = native
    base_key = "tf32" if facts.baseline is not None and facts.baseline.tf32 else "fp32"
    key = PEAK_DTYPE_KEYS[dtype]
    low, base = peak(peaks, key), peak(peaks, base_key)
    story = f"The run computes in float32, but {why}."
    expected_text = None
    if low and base:
        story += f" Peak {flops(low)} in {key} against {flops(base)} in {base_key}."
        expected_text = f"up to {factor(low / base)} on the matmuls by peak; the step gains less"
    return measured_or_expected(
        facts,
        ("autocast-bf16", "autocast-fp16"),
        **wording("MA108", key=key, dtype=dtype),
        hypothesis=story,
        fix_options={"dtype": dtype},
        expected_gain=expected_text,
        evidence={"dtype": "float32", "native": dtype},
    )


def _bf16_emulated(facts: DiagnosisFacts) -> Draft | None:
    hardware = facts.hardware
    if hardware is None or facts.run_device_type != "cpu":
        return None
    cpu = hardware.cpu
    if not cpu.isa or cpu_has_native_bf16(cpu):
        return None
    uarch = cpu.microarchitecture if isinstance(cpu.microarchitecture, str) else "this CPU"
    story = wording("MA109", model=cpu.model, uarch=uarch)["explanation"]
    if _run_dtype(facts) == "bfloat16":
        measured = facts.measured("float32")
        if measured is not None:
            return measured_draft(
                measured,
                subject="float32 (autocast off)",
                hypothesis=story,
                fix="--dtype=float32",
                fix_options={"dtype": "float32"},
            )
        return Draft(
            explanation=story + " The run uses bf16 autocast.",
            kind=Kind.DO,
            fix="--dtype=float32",
            fix_options={"dtype": "float32"},
            expected_gain="several times faster (emulation removed)",
        )
    measured = facts.measured("autocast-bf16")
    if measured is not None:
        return measured_draft(
            measured,
            subject="bf16 autocast",
            hypothesis=story,
            fix="--dtype=bfloat16",
            fix_options={"dtype": "bfloat16"},
            undo_fix="keep --dtype=float32 on this CPU",
        )
    return Draft(
        explanation=story + " Expect bf16 to be several times slower here, not faster.",
        fix="keep --dtype=float32 on this CPU",
        evidence={"isa": list(cpu.isa)},
    )


def _tf32(facts: DiagnosisFacts) -> Draft | None:
    run = facts.baseline
    if run is None or run.device_type != "cuda" or run.dtype != "float32" or run.tf32:
        return None
    gpu = run_gpu(facts.hardware, run.device)
    cc = capability(gpu.nvidia) if gpu is not None else None
    if gpu is None or cc is None or cc < TF32_MIN_CAPABILITY:
        return None
    tf32, fp32 = peak(gpu.peak_flops, "tf32"), peak(gpu.peak_flops, "fp32")
    peaks, expected_text = "", None
    if tf32 and fp32:
        peaks = f" Peak {flops(tf32)} in TF32 against {flops(fp32)} in fp32."
        expected_text = f"up to {factor(tf32 / fp32)} on the matmuls by peak"
    return measured_or_expected(
        facts,
        ("tf32",),
        **wording("MA110", name=gpu.name, sm=f"{cc[0]}{cc[1]}", peaks=peaks),
        fix_options={"tf32": True},
        expected_gain=expected_text,
    )


RULES = family({"MA108": _autocast, "MA109": _bf16_emulated, "MA110": _tf32}, globals())

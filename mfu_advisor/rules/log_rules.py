"""Rules read from a training log: the printed MFU's reference device, the evaluation share,
per-step syncs, step-time jitter. nanoGPT's MFU divides by an A100's 312 TFLOP/s
(https://github.com/karpathy/nanoGPT/blob/master/model.py ``flops_promised``), torchtitan falls
back to it (torchtitan/tools/utils.py ``get_peak_flops``), llm.c prints -100% for a GPU its
table lacks (llmc/mfu.h), nanochat divides by an H100's 989 TFLOP/s
(https://github.com/karpathy/nanochat/pull/147)."""

from __future__ import annotations

from mfu_advisor.probe.capabilities import peak
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.measured import nanogpt_flags
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.run_facts import LogFacts
from mfu_advisor.units import factor, flops, percent

#: Evaluation is "a large share" above this fraction of wall time: beyond it the
#: run spends a noticeable part of its budget not training.
EVAL_SHARE_THRESHOLD = 0.05

#: The fix shrinks evaluation by this factor (eval_iters / 4, or eval_interval x 4).
EVAL_REDUCTION = 4

#: Step times "jitter" when the p90 step is this much slower than the median: a
#: steady loop on a quiet machine stays within a few percent.
JITTER_THRESHOLD = 0.3

#: Start-up "dominates" a log when its warm-up steps take this share of the logged step time:
#: then the run's average throughput is below three quarters of its steady figure.
WARMUP_SHARE_DOMINANT = 0.25

#: Device types whose kernels run asynchronously, so that a .item() stalls the host.
ASYNC_DEVICES = ("cuda", "xpu", "mps")


def _eval_share(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or not isinstance(log.eval_time_fraction, float):
        return None
    share = log.eval_time_fraction
    if share < EVAL_SHARE_THRESHOLD:
        return None
    settings = []
    options: dict[str, int] = {}
    if isinstance(log.eval_iters, int):
        settings.append(f"eval_iters={log.eval_iters}")
        options["eval_iters"] = max(1, log.eval_iters // EVAL_REDUCTION)
    if isinstance(log.eval_interval, int):
        settings.append(f"eval_interval={log.eval_interval}")
    if not options and isinstance(log.eval_interval, int):
        options["eval_interval"] = log.eval_interval * EVAL_REDUCTION
    fix = nanogpt_flags(options) or "evaluate less often or on fewer batches"
    if "eval_iters" in options and isinstance(log.eval_interval, int):
        fix += f" or --eval_interval={log.eval_interval * EVAL_REDUCTION}"
    # Wall time after the change: training (1 - share) plus a quarter of the evaluation.
    gain = 1 / ((1 - share) + share / EVAL_REDUCTION)
    told = f" ({', '.join(settings)})" if settings else ""
    return Draft(
        **wording("MA119", share=percent(share), told=told, gain=factor(gain)),
        fix=fix,
        expected_speedup=gain,
        evidence={
            "eval_time_fraction": share,
            "eval_iters": log.eval_iters,
            "eval_interval": log.eval_interval,
        },
    )


def _log_interval(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or log.log_interval != 1 or log.device_type not in ASYNC_DEVICES:
        return None
    return Draft(
        **wording("MA120", device=log.device_type),
        evidence={"log_interval": 1, "device": log.device},
    )


def _jitter(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or not isinstance(log.step_time_jitter, float):
        return None
    jitter = log.step_time_jitter
    if jitter < JITTER_THRESHOLD:
        return None
    median = log.steady_step_time_ms
    at = f" around a median of {median:.0f} ms" if isinstance(median, float) else ""
    return Draft(
        **wording("MA121", jitter=percent(jitter), at=at),
        evidence={"step_time_jitter": jitter, "steady_step_time_ms": median},
    )


#: Format -> (device its printed MFU is relative to, what the trainer does), when fixed.
FIXED_REFERENCES: dict[str, tuple[str, str]] = {
    "nanogpt": ("A100", "nanoGPT divides by an A100's bf16 312 TFLOP/s whatever the device"),
    "nanochat": ("H100", "nanochat divides by an H100's bf16 989 TFLOP/s whatever the device"),
}


def _warmup_dominates(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    # With compile on, MA122 (compile-dominates-first-steps) says it with the compile fix.
    if log is None or log.compile is True:
        return None
    share, first = log.warmup_time_fraction, log.first_step_ms
    steady, steps = log.steady_step_time_ms, log.warmup_steps
    if not (isinstance(share, float) and isinstance(first, float) and isinstance(steady, float)):
        return None
    if share < WARMUP_SHARE_DOMINANT or not isinstance(steps, int) or steps < 1:
        return None
    which = "first step" if steps == 1 else f"first {steps} steps (warm-up)"
    return Draft(
        **wording(
            "MA132",
            which=which,
            share=percent(share),
            first_s=first / 1e3,
            steady=steady,
            rest=percent(1 - share),
        ),
        evidence={
            "warmup_steps": steps,
            "warmup_share": share,
            "first_step_ms": first,
            "steady_step_time_ms": steady,
        },
    )


def _reference(log: LogFacts) -> tuple[str, str] | None:
    """(reference device or "unknown", sentence), None when the printed MFU needs no caveat.
    After a placeholder MFU (-100%) a fixed reference still stands; any other is unknown."""
    if log.reported_mfu_placeholder and log.format not in FIXED_REFERENCES:
        return "unknown", (
            f"{log.format} printed a placeholder MFU (-100%): it has no peak for this GPU"
        )
    if log.reference_applies_to_run is True:
        return None
    fixed = FIXED_REFERENCES.get(log.format)
    device = log.reference_device if isinstance(log.reference_device, str) else None
    text = log.reported_mfu_reference if isinstance(log.reported_mfu_reference, str) else ""
    if device is None:
        device = next((d for d in ("A100", "H100") if d in text), None)
    if device is None:
        return fixed
    if fixed is not None and fixed[0] == device:
        return fixed
    return device, log.reference_note.rstrip(".") or f"{log.format} divided by the {device}'s peak"


def _same_device_here(hardware: HardwareFacts | None, log: LogFacts, device: str) -> bool:
    """True when the log may come from the reference device itself (an A100 run of nanoGPT)."""
    if log.reference_applies_to_run is False or log.device_type in ("cpu", "mps"):
        return False
    if hardware is None:
        return True  # a CUDA log with no machine to compare: it may well be an A100
    return any(device in gpu.name for gpu in hardware.gpus)


def _true_peak(facts: DiagnosisFacts, log: LogFacts) -> tuple[float, str] | None:
    """The peak of this machine's device of the log's type: measured, else the analyzer's."""
    run = facts.baseline
    if (
        run is not None
        and run.device_type == log.device_type
        and isinstance(run.measured_peak_flops, float)
    ):
        return run.measured_peak_flops, f"the {run.dtype} matmul peak measured on this machine"
    if isinstance(log.peak_flops, float):
        return log.peak_flops, log.peak_source or "the peak the analyzer chose"
    hardware = facts.hardware
    if hardware is not None and log.device_type == "cpu":
        value = peak(hardware.cpu.peak_flops, "fp32")
        if value:
            return value, f"the fp32 peak of {hardware.cpu.model} (probe)"
    return None


def _mfu_reference(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None:
        return None
    reference = _reference(log)
    if reference is None:
        return None
    device, sentence = reference
    if device != "unknown" and _same_device_here(facts.hardware, log, device):
        return None
    parts = []
    if isinstance(log.reported_mfu, float):
        parts.append(f"The log prints mfu {percent(log.reported_mfu)}: {sentence}.")
    else:
        parts.append(f"{sentence[0].upper()}{sentence[1:]}.")
    where = log.device if isinstance(log.device, str) else "another device"
    true_peak = _true_peak(facts, log)
    evidence: dict[str, object] = {"reference": device, "reported_mfu": log.reported_mfu}
    fix = "read MFU against this machine's peak: mfu-advisor analyze LOG --hardware local"
    if isinstance(log.achieved_flops, float):
        evidence["achieved_flops"] = log.achieved_flops
        parts.append(f"This run was on {where} and achieves {flops(log.achieved_flops)}")
        if true_peak is not None:
            value, label = true_peak
            mfu = log.achieved_flops / value
            parts[-1] += f": {percent(mfu)} of {label} ({flops(value)})."
            evidence.update({"true_mfu": mfu, "true_peak_flops": value})
            fix += (
                f"; or in nanoGPT's model.py estimate_mfu: flops_promised = {value:.3g}  # {label}"
            )
        else:
            parts[-1] += "."
    return Draft(explanation=" ".join(parts), fix=fix, evidence=evidence)


RULES = family(
    {
        "MA103": _mfu_reference,
        "MA119": _eval_share,
        "MA120": _log_interval,
        "MA121": _jitter,
        "MA132": _warmup_dominates,
    },
    globals(),
)

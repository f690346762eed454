"""``diagnose --from-log``: analyze the log, and reproduce its ``gpt_config`` (nanoGPT's names)
here as the baseline's bench options; the command line's win (docs/diagnose.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import DTYPES, INT_MODEL_FIELDS, MODEL_FIELDS, BenchOptions
from mfu_advisor.facts import value_or
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.mfu import GptShape, flops_per_token
from mfu_advisor.probe.facts import HardwareFacts, PeakFlops
from mfu_advisor.rules.facts_json import config_boolean

_SHAPE_FIELDS = ("n_layer", "n_head", "n_embd", "block_size", "batch_size")

#: Longest optimizer step the reproduction may take here, in seconds, by a rough
#: estimate: the diagnosis measures each run for a few seconds after warm-up steps.
MAX_STEP_S = 2.0

#: A reproduced run whose one step would take more than this share of the diagnosis's
#: budget is not started: warm-up and measured steps could not fit.
MAX_BUDGET_SHARE_PER_STEP = 0.1

#: Share of the device's peak assumed for that estimate: about what the bench's
#: cpu-small reaches on the 2-core development VM (30-40% of the fp32 peak).
ASSUMED_PEAK_SHARE = 0.4


@dataclass(frozen=True)
class LogBaseline:
    """Bench options reproducing a log's run here, and what had to be decided."""

    options: dict[str, Any]
    """BenchOptions fields (nanoGPT names) taken from the log."""
    notes: tuple[str, ...]


def analyze_log(path: str, *, local_peak: bool) -> LogAnalysis:
    """The analysis of the log at ``path`` (UserError for anything that is not a log);
    ``local_peak`` divides by this machine's peak (not with --root)."""
    from mfu_advisor.logs.peak import HardwareRequest
    from mfu_advisor.logs.pipeline import analyze_inputs

    request = HardwareRequest(hardware="local") if local_peak else HardwareRequest()
    return analyze_inputs([path], request=request)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _device_here(device: str, hardware: HardwareFacts | None) -> bool:
    """True when this machine can run ``device`` ("cuda", "mps", ...) with this torch."""
    if device == "cpu":
        return True
    backends = {"cuda": ("cuda", "rocm")}.get(device, (device,))
    gpus = hardware.gpus if hardware is not None else ()
    return any(g.torch.usable is True and g.torch.backend in backends for g in gpus)


def baseline_from_log(analysis: LogAnalysis, hardware: HardwareFacts | None) -> LogBaseline:
    """The bench options that reproduce the analyzed log's model and batch on this machine."""
    gpt, sources = analysis.gpt_config, analysis.gpt_config_sources
    options: dict[str, Any] = {}
    notes: list[str] = []
    for name in INT_MODEL_FIELDS:
        value = _as_int(gpt.get(name))
        if value is not None and value > 0:
            options[name] = value
    for name in ("bias", "compile"):
        flag = config_boolean(gpt.get(name))
        if isinstance(flag, bool):
            options[name] = flag
    # gpt_config does not carry dropout; a nanoGPT log states it under that name.
    dropout = analysis.config.get("dropout")
    if isinstance(dropout, (int, float)) and not isinstance(dropout, bool):
        options["dropout"] = float(dropout)
    device = gpt.get("device") or value_or(analysis.hardware_hints.device, None)
    kind = str(device).split(":", 1)[0] if device else None
    if kind is not None and not _device_here(kind, hardware):
        # The log's dtype was chosen for its device; this one's default fits this machine.
        notes.append(f"the log ran on {device}, which this machine lacks: reproduced on auto")
    elif kind == "cpu":
        # nanoGPT train.py: ctx = nullcontext() if device_type == 'cpu', whatever dtype says.
        options.update(device=str(device), dtype="float32")
    else:
        if device:
            options["device"] = str(device)
        if gpt.get("dtype") in DTYPES:
            options["dtype"] = gpt["dtype"]
    defaults = sorted(k for k in options if "default" in str(sources.get(k, "")))
    if defaults:
        taken = ", ".join(f"{k} {options[k]} ({sources[k]})" for k in defaults)
        notes.append(f"not in the log, the trainer's defaults: {taken}")
    missing = [n for n in _SHAPE_FIELDS if n not in options]
    if missing:
        notes.append(f"the log does not state {', '.join(missing)}: taken from the preset")
    # Tokens/s hardly depends on accumulation: a step too long to measure here is
    # measured one micro-batch per optimizer step.
    step_s = _step_estimate_s(options, hardware)
    accumulation = int(options.get("gradient_accumulation_steps") or 1)
    if step_s is not None and step_s > MAX_STEP_S and accumulation > 1:
        options["gradient_accumulation_steps"] = 1
        notes.append(
            f"one optimizer step of the log's run ({accumulation} micro-batches) would take "
            f"about {step_s:,.0f} s here: measured with gradient_accumulation_steps 1 (tokens/s "
            "hardly depends on it)"
        )
    return LogBaseline(options=options, notes=tuple(notes))


def too_slow_here(
    options: BenchOptions, hardware: HardwareFacts | None, budget_s: float
) -> str | None:
    """Why the reproduced run is not worth starting here (a step longer than
    :data:`MAX_BUDGET_SHARE_PER_STEP` of the budget), or None."""
    fields = {name: getattr(options, name) for name in MODEL_FIELDS}
    step_s = _step_estimate_s(fields, hardware)
    if step_s is None or step_s <= MAX_BUDGET_SHARE_PER_STEP * budget_s:
        return None
    return (
        f"one step of the log's run (batch_size {options.batch_size} x block_size "
        f"{options.block_size}) would take about {step_s:,.0f} s on this machine, too long to "
        f"measure within the {budget_s:.0f} s budget: give a smaller --batch_size or "
        "--block_size (they win over the log's) to measure a shorter run"
    )


def _step_estimate_s(options: Mapping[str, Any], hardware: HardwareFacts | None) -> float | None:
    """Rough seconds of one optimizer step on this machine's CPU, at
    :data:`ASSUMED_PEAK_SHARE` of its fp32 peak; None for a GPU run or when unknowable."""
    device = str(options.get("device") or "auto").split(":")[0]
    if hardware is None or device not in ("cpu", "auto"):
        return None
    if device == "auto" and any(g.torch.usable is True for g in hardware.gpus):
        return None  # auto picks the accelerator
    if any(options.get(n) is None for n in (*_SHAPE_FIELDS, "vocab_size")):
        return None
    peak = hardware.cpu.peak_flops.get("fp32")
    if not isinstance(peak, PeakFlops) or peak.flops <= 0:
        return None
    shape = GptShape(
        n_layer=options["n_layer"],
        n_head=options["n_head"],
        n_embd=options["n_embd"],
        block_size=options["block_size"],
        vocab_size=options["vocab_size"],
        bias=bool(options.get("bias")),
    )
    accumulation = int(options.get("gradient_accumulation_steps") or 1)
    tokens = options["batch_size"] * options["block_size"] * accumulation
    return flops_per_token(shape) * tokens / (peak.flops * ASSUMED_PEAK_SHARE)


def merge_options(log_options: Mapping[str, Any], asked: BenchOptions) -> BenchOptions:
    """``asked`` (the command line) with the log's settings wherever the command line is silent."""
    fill = {
        name: value
        for name, value in log_options.items()
        if getattr(asked, name, None) is None and value is not None
    }
    return dataclasses.replace(asked, **fill)

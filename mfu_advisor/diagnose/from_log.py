"""``diagnose --from-log``: analyze the log, and reproduce its configuration here as the baseline.

The analyzer (logs/pipeline.py) reads the log; its ``config`` uses nanoGPT's
names where they exist. The model and batch settings become the baseline's
bench options; options given on the command line win over the log's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.errors import UserError
from mfu_advisor.probe.facts import HardwareFacts

#: nanoGPT's vocabulary when the dataset has no meta.pkl: GPT-2's 50257 padded
#: to 50304 (train.py: "defaulting to vocab_size of GPT-2 to 50304").
NANOGPT_DEFAULT_VOCAB = 50304

_INT_FIELDS = ("batch_size", "block_size", "n_layer", "n_head", "n_embd", "vocab_size")


@dataclass(frozen=True)
class LogBaseline:
    """Bench options reproducing a log's run here, and what had to be decided."""

    options: dict[str, Any]
    """BenchOptions fields (nanoGPT names) taken from the log."""
    notes: tuple[str, ...]


def analyze_log(path: str, *, local_peak: bool) -> dict[str, Any]:
    """The analyze payload of the log at ``path`` (UserError for anything that is not a log).

    ``local_peak`` asks the analyzer to divide by this machine's peak (the log
    is taken to come from here); with a recorded machine (--root) it does not.
    """
    from mfu_advisor.facts import to_jsonable
    from mfu_advisor.logs.peak import HardwareRequest
    from mfu_advisor.logs.pipeline import analyze_inputs

    request = HardwareRequest(hardware="local") if local_peak else HardwareRequest()
    analysis = analyze_inputs([path], request=request)
    payload = to_jsonable(analysis)
    if not isinstance(payload, dict):
        raise UserError(f"{path}: the analyzer returned no result")
    return payload


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


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _device_here(device: str, hardware: HardwareFacts | None) -> bool:
    """True when this machine can run ``device`` ("cuda", "mps", ...) with this torch."""
    if device == "cpu":
        return True
    if hardware is None:
        return False
    backends = {"cuda": ("cuda", "rocm")}.get(device, (device,))
    return any(g.torch.usable is True and g.torch.backend in backends for g in hardware.gpus)


def baseline_from_log(analysis: Mapping[str, Any], hardware: HardwareFacts | None) -> LogBaseline:
    """The bench options that reproduce the analyzed log's model and batch on this machine."""
    config = analysis.get("config")
    config = config if isinstance(config, Mapping) else {}
    log_format = str(analysis.get("format") or "")
    options: dict[str, Any] = {}
    notes: list[str] = []
    for name in _INT_FIELDS:
        value = _as_int(config.get(name))
        if value is not None and value > 0:
            options[name] = value
    if "vocab_size" not in options and log_format == "nanogpt":
        options["vocab_size"] = NANOGPT_DEFAULT_VOCAB
        notes.append(f"the log names no vocabulary: nanoGPT's default {NANOGPT_DEFAULT_VOCAB}")
    dropout = config.get("dropout")
    if isinstance(dropout, (int, float)) and not isinstance(dropout, bool):
        options["dropout"] = float(dropout)
    for name in ("bias", "compile"):
        flag = _as_bool(config.get(name))
        if flag is not None:
            options[name] = flag
    accumulation = _as_int(config.get("gradient_accumulation_steps"))
    tokens = _as_int(analysis.get("tokens_per_step"))
    if accumulation is None and tokens and "batch_size" in options and "block_size" in options:
        per_micro = options["batch_size"] * options["block_size"]
        if tokens % per_micro == 0:
            accumulation = tokens // per_micro
    if accumulation is not None and accumulation > 0:
        options["gradient_accumulation_steps"] = accumulation
    hints = analysis.get("hardware_hints")
    device = config.get("device") or (hints.get("device") if isinstance(hints, Mapping) else None)
    device = str(device) if device else None
    dtype = config.get("dtype")
    dtype = dtype if dtype in ("float32", "bfloat16", "float16") else None
    if device is not None and not _device_here(device.split(":", 1)[0], hardware):
        # The log's dtype was chosen for its device; this one's default fits this machine.
        notes.append(f"the log ran on {device}, which this machine lacks: reproduced on auto")
    elif device is not None and device.split(":", 1)[0] == "cpu":
        # nanoGPT train.py: ctx = nullcontext() if device_type == 'cpu', whatever dtype says.
        options.update(device=device, dtype="float32")
    else:
        if device is not None:
            options["device"] = device
        if dtype is not None:
            options["dtype"] = dtype
    missing = [
        n for n in ("n_layer", "n_head", "n_embd", "block_size", "batch_size") if n not in options
    ]
    if missing:
        notes.append(f"the log does not state {', '.join(missing)}: taken from the preset")
    return LogBaseline(options=options, notes=tuple(notes))


def merge_options(log_options: Mapping[str, Any], asked: BenchOptions) -> BenchOptions:
    """``asked`` (the command line) with the log's settings wherever the command line is silent."""
    fill = {
        name: value
        for name, value in log_options.items()
        if getattr(asked, name, None) is None and value is not None
    }
    return dataclasses.replace(asked, **fill)

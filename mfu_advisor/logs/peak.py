"""Which peak the true MFU divides by: ``--peak-tflops``, then ``--hardware local`` (this
machine's probe), ``--hardware NAME`` (the catalog), a GPU the log names, else none.

The dtype is ``--dtype``, else the log's, else bf16 on a GPU and fp32 on a CPU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.result import PeakChoice

#: How to give the hardware, for messages.
HOW_TO_GIVE = (
    'give --hardware NAME (a GPU like "RTX 4070 Ti", a CPU like "i7-1260P", or local) '
    "or --peak-tflops X"
)


@dataclass(frozen=True)
class HardwareRequest:
    """What the user asked for on the command line."""

    hardware: str | None = None
    peak_tflops: float | None = None
    dtype: str | None = None


def _catalog() -> Any:
    """The hardware catalog module (imported lazily; tests replace this function)."""
    from mfu_advisor.probe import catalog

    return catalog


@functools.cache
def _probe_local() -> Any:
    """This machine's hardware facts, without importing torch (tests replace this function)."""
    from mfu_advisor.probe import probe_machine

    return probe_machine(include_torch=False)


def choose_peak(
    request: HardwareRequest,
    *,
    log_dtype: tuple[str | None, str],
    log_device: str | None,
    log_gpu_names: list[str],
) -> PeakChoice:
    """The peak to divide by, following the module's order of precedence."""
    if request.peak_tflops is not None:
        check_peak_tflops(request.peak_tflops)
        dtype, dtype_source = _dtype(request, log_dtype, None)
        return PeakChoice(
            hardware=request.hardware or Unavailable("not named (peak given with --peak-tflops)"),
            hardware_source="--peak-tflops",
            kind=Unavailable("not known for a peak given with --peak-tflops"),
            dtype=dtype or Unavailable("not needed: the peak was given"),
            dtype_source=dtype_source,
            flops=request.peak_tflops * 1e12,
            source=f"--peak-tflops {request.peak_tflops:g}",
            estimated=False,
        )
    if request.hardware is not None and request.hardware.strip().lower() == "local":
        return _local(request, log_dtype, log_device)
    if request.hardware is not None:
        entry = _find(request.hardware, strict=True)
        return _from_peaks(
            entry.name, "--hardware", entry.kind, entry.peak_flops, request, log_dtype
        )
    for name in log_gpu_names:
        entry = _find(name, strict=False)
        if entry is not None:
            return _from_peaks(
                entry.name, "named in the log", entry.kind, entry.peak_flops, request, log_dtype
            )
    named = (
        f" (the log names {', '.join(log_gpu_names)}, which the hardware catalog does not know)"
        if log_gpu_names
        else ""
    )
    reason = f"no hardware given{named}; {HOW_TO_GIVE}"
    return _no_peak(reason, "none", "no hardware given", request, log_dtype)


def _no_peak(
    reason: str,
    hardware_source: str,
    kind_reason: str,
    request: HardwareRequest,
    log_dtype: tuple[str | None, str],
) -> PeakChoice:
    """A choice without a peak: no hardware named, or none here that fits the run."""
    dtype, dtype_source = _dtype(request, log_dtype, None)
    return PeakChoice(
        hardware=Unavailable(reason),
        hardware_source=hardware_source,
        kind=Unavailable(kind_reason),
        dtype=dtype or Unavailable(dtype_source),
        dtype_source=dtype_source,
        flops=Unavailable(reason),
        source="",
        estimated=False,
    )


def check_peak_tflops(peak_tflops: float | None) -> None:
    """``--peak-tflops`` must be a finite number above zero (``inf`` would make every MFU 0)."""
    if peak_tflops is not None and not (math.isfinite(peak_tflops) and peak_tflops > 0):
        raise UserError(f"--peak-tflops must be a positive finite number, not {peak_tflops:g}")


def _find(name: str, *, strict: bool) -> Any:
    catalog = _catalog()
    entry = catalog.find_hardware(name)
    if entry is None and strict:
        several = list(catalog.gpu_name_candidates(name))
        if len(several) > 1:
            raise UserError(
                f"--hardware {name!r} matches several devices: {', '.join(several)}; "
                f"name one of them (e.g. --hardware {several[0]!r})"
            )
        suggestions = (
            list(catalog.hardware_suggestions(name))
            or [n for n in catalog.known_hardware_names() if n][:6]
        )
        raise UserError(
            f"unknown hardware {name!r}; known names include: {', '.join(suggestions)} "
            "(or use --hardware local, or --peak-tflops X)"
        )
    return entry


def _local(
    request: HardwareRequest, log_dtype: tuple[str | None, str], log_device: str | None
) -> PeakChoice:
    facts = _probe_local()
    gpus = [
        g for g in facts.gpus if any(not isinstance(p, Unavailable) for p in g.peak_flops.values())
    ]
    if log_device not in (None, "cpu") and not gpus:
        # A GPU log analysed on a machine without a GPU: no peak here fits the run.
        reason = (
            f"the log ran on {log_device}, but this machine has no GPU with a known peak; "
            "give --hardware NAME or --peak-tflops X"
        )
        return _no_peak(reason, "this machine (probe)", reason, request, log_dtype)
    if log_device in (None, "cpu") or not gpus:
        return _from_peaks(
            facts.cpu.model, "this machine (probe)", "cpu", facts.cpu.peak_flops, request, log_dtype
        )
    gpu = gpus[0]
    return _from_peaks(gpu.name, "this machine (probe)", "gpu", gpu.peak_flops, request, log_dtype)


def _dtype(
    request: HardwareRequest, log_dtype: tuple[str | None, str], kind: str | None
) -> tuple[str | None, str]:
    if request.dtype:
        return request.dtype, "--dtype"
    dtype, source = log_dtype
    if dtype is not None:
        if kind == "cpu" and dtype == "tf32":
            return "fp32", source + "; TF32 is a GPU mode, fp32 on a CPU"
        return dtype, source
    if kind == "gpu":
        return "bf16", "bf16: the usual training dtype on GPUs (the log does not say)"
    if kind == "cpu":
        return (
            "fp32",
            "fp32: what PyTorch computes in on CPUs unless told otherwise (the log does not say)",
        )
    return None, source


def _from_peaks(
    name: str,
    name_source: str,
    kind: str,
    peaks: Mapping[str, Any],
    request: HardwareRequest,
    log_dtype: tuple[str | None, str],
) -> PeakChoice:
    dtype, dtype_source = _dtype(request, log_dtype, kind)
    peak = peaks.get(dtype) if dtype else None
    flops: float | Unavailable
    source, estimated = "", False
    if dtype is None:
        flops = Unavailable(f"no dtype known; give --dtype ({dtype_source})")
    elif peak is None:
        flops = Unavailable(f"{name} has no {dtype} peak in the table")
    elif isinstance(peak, Unavailable):
        flops = Unavailable(f"{name} has no {dtype} peak: {peak.reason}")
    else:
        flops, source, estimated = peak.flops, peak.source, peak.estimated
    return PeakChoice(
        hardware=name,
        hardware_source=name_source,
        kind=kind,
        dtype=dtype or Unavailable(dtype_source),
        dtype_source=dtype_source,
        flops=flops,
        source=source,
        estimated=estimated,
    )

"""The three labelled MFU denominators (docs/mfu.md).

1. ``device_peak``: the datasheet (or formula-estimated) peak of the device and
   dtype the run used, from the hardware probe, with its source;
2. ``measured_peak``: the best matmul FLOP/s measured on this machine for that
   dtype (bench/roofline.py);
3. ``a100_reference``: nanoGPT's fixed A100 bf16 312 TFLOP/s, so the figure
   can be reconciled with what nanoGPT prints.

Pure Python: the hardware facts come in as dataclasses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import MfuFigure, a100_reference, mfu_against
from mfu_advisor.units import flops

if TYPE_CHECKING:
    from mfu_advisor.probe.facts import HardwareFacts, PeakFlops

#: A measured matmul more than this factor above the device peak means the peak is
#: wrong, not that the sweep was lucky: the sweep keeps the best of three timed groups,
#: which flatters by a percent or so on a quiet machine.
PEAK_TOLERANCE = 1.02


@dataclass(frozen=True)
class MfuFigures:
    """MFU of one run against each of the three denominators."""

    device_peak: MfuFigure
    measured_peak: MfuFigure
    a100_reference: MfuFigure


def load_hardware() -> HardwareFacts | Unavailable:
    """Probe this machine, torch's device list included; Unavailable if the probe fails.

    torch's answers are what tie ``cuda:N`` to a GPU (its PCI bus ID, honouring
    CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER) and mark GPUs usable; without
    them no CUDA run found its device peak. The run has imported torch already,
    and the answers are cached (probe/torch_cache.py).
    """
    try:
        from mfu_advisor.probe import probe_machine  # type: ignore[attr-defined]
    except ImportError as exc:
        return Unavailable(f"the hardware probe is not available ({exc})")
    try:
        facts: HardwareFacts = probe_machine(include_torch=True)
    except Exception as exc:  # a probe bug must not cost the user the measurement
        return Unavailable(f"the hardware probe failed ({type(exc).__name__}: {exc})")
    return facts


def device_peak(
    hardware: HardwareFacts | Unavailable, device_type: str, index: int, dtype_key: str
) -> PeakFlops | Unavailable:
    """The probe's peak for ``dtype_key`` on the device a run used, or why there is none.

    ``index`` is torch's ordinal ("cuda:1" -> 1); the GPU is found by the PCI bus
    ID torch reports (probe/run_device.py), and a MIG slice gets its share.
    """
    from mfu_advisor.probe.run_device import find_run_device, run_device_peak

    if isinstance(hardware, Unavailable):
        return hardware
    if device_type == "cpu":
        peak = hardware.cpu.peak_flops.get(dtype_key)
        if peak is None:
            return Unavailable(f"the probe gives no {dtype_key} peak for {hardware.cpu.model}")
        return peak
    run = find_run_device(hardware, f"{device_type}:{index}")
    if isinstance(run, Unavailable):
        return run
    return run_device_peak(run, dtype_key)


def device_peak_label(peak: PeakFlops) -> str:
    """ "<source> (estimated)"-style label for a probe peak."""
    parts = [peak.source]
    if peak.note:
        parts.append(peak.note)
    if peak.estimated:
        parts.append("estimated")
    return "; ".join(parts)


def mfu_figures(
    achieved_flops: float | None,
    peak: PeakFlops | Unavailable,
    measured_flops: float | None,
    measured_label: str,
) -> MfuFigures:
    """The three labelled MFU figures for a run that achieved ``achieved_flops`` FLOP/s."""
    if isinstance(peak, Unavailable):
        device = mfu_against(achieved_flops, None, None, peak.reason)
    else:
        device = mfu_against(achieved_flops, peak.flops, device_peak_label(peak))
        note = peak_too_low_note(peak, measured_flops, achieved_flops)
        if note:
            device = dataclasses.replace(device, note=note)
    if measured_flops is None:
        measured = mfu_against(achieved_flops, None, None, measured_label)
    else:
        measured = mfu_against(achieved_flops, measured_flops, measured_label)
    return MfuFigures(
        device_peak=device,
        measured_peak=measured,
        a100_reference=a100_reference(achieved_flops),
    )


def peak_too_low_note(
    peak: PeakFlops, measured_flops: float | None, achieved_flops: float | None
) -> str | None:
    """Why the device-peak MFU cannot be trusted, when this machine beat that peak; else None.

    A CPU's peak is estimated from its clock; where the clock that can be read is
    below the one the cores really run at (a VM without cpufreq shows the base
    clock in /proc/cpuinfo, not the boost), the estimate comes out below what a
    plain matmul measures. Then the device-peak MFU is overstated (it can pass
    100%) and the measured-peak MFU is the one to read.
    """
    kind = "datasheet-style estimate" if peak.estimated else "datasheet peak"
    shown = flops(peak.flops)
    if measured_flops is not None and measured_flops > peak.flops * PEAK_TOLERANCE:
        return (
            f"the {kind} of this device's peak ({shown}) is below what was measured here "
            f"(a {flops(measured_flops)} matmul), so {_why_low(peak)}; MFU against the "
            "measured peak is the trustworthy one"
        )
    if achieved_flops is not None and achieved_flops > peak.flops:
        return (
            f"this run achieved {flops(achieved_flops)}, more than the device peak ({shown}, "
            f"{kind}): that peak is too low, so {_why_low(peak)}; an MFU above 100% is "
            "impossible, read the MFU against the measured peak instead"
        )
    return None


def _why_low(peak: PeakFlops) -> str:
    if peak.estimated:
        return "the clock used for it is too low (the boost clock is not visible here)"
    return "this device runs faster than the figure used (a higher clock, or another variant)"

"""The three labelled MFU denominators (docs/mfu.md): the probe's device peak, the matmul
peak measured here (bench/roofline.py) and nanoGPT's A100 312 TFLOP/s."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import MfuFigure, a100_reference, mfu_against
from mfu_advisor.units import flops

if TYPE_CHECKING:
    from mfu_advisor.probe.facts import HardwareFacts, PeakFlops

#: A measured matmul this factor above the device peak means the peak is wrong (the best
#: of three timed groups flatters by a percent or so).
PEAK_TOLERANCE = 1.02


@dataclass(frozen=True)
class MfuFigures:
    """MFU of one run against each of the three denominators."""

    device_peak: MfuFigure
    measured_peak: MfuFigure
    a100_reference: MfuFigure


def load_hardware() -> HardwareFacts | Unavailable:
    """Probe this machine, torch's device list included (it ties ``cuda:N`` to a GPU by PCI
    bus ID); Unavailable if the probe fails."""
    try:
        from mfu_advisor.probe import probe_machine  # type: ignore[attr-defined]

        facts: HardwareFacts = probe_machine(include_torch=True)
    except Exception as exc:  # a probe bug must not cost the user the measurement
        return Unavailable(f"the hardware probe failed ({type(exc).__name__}: {exc})")
    return facts


def device_peak(
    hardware: HardwareFacts | Unavailable, device_type: str, index: int, dtype_key: str
) -> PeakFlops | Unavailable:
    """The probe's peak for ``dtype_key`` on the device a run used (``index``: torch's
    ordinal; a MIG slice gets its share), or why there is none."""
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


def device_mfu(achieved_flops: float | None, peak: PeakFlops | Unavailable) -> MfuFigure:
    """MFU against the probe's peak, labelled with its source, or why there is none."""
    if isinstance(peak, Unavailable):
        return mfu_against(achieved_flops, None, None, peak.reason)
    return mfu_against(achieved_flops, peak.flops, device_peak_label(peak))


def mfu_figures(
    achieved_flops: float | None,
    peak: PeakFlops | Unavailable,
    measured_flops: float | None,
    measured_label: str,
) -> MfuFigures:
    """The three labelled MFU figures for a run that achieved ``achieved_flops`` FLOP/s."""
    device = device_mfu(achieved_flops, peak)
    note = (
        None
        if isinstance(peak, Unavailable)
        else peak_too_low(peak, measured_flops, achieved_flops)
    )
    if note:
        device = dataclasses.replace(device, note=note)
    if measured_flops is None:
        measured = mfu_against(achieved_flops, None, None, measured_label)
    else:
        measured = mfu_against(achieved_flops, measured_flops, measured_label)
    return MfuFigures(
        device_peak=device, measured_peak=measured, a100_reference=a100_reference(achieved_flops)
    )


def peak_too_low(
    peak: PeakFlops, measured_flops: float | None, achieved_flops: float | None
) -> str | None:
    """Why the device-peak MFU cannot be trusted, when this machine beat that peak (e.g. a
    VM shows the base clock, not the boost); else None."""
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

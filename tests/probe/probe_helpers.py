"""Helpers for the probe tests: probing the recorded machines of tests/data/snapshots/."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.facts import HardwareFacts, PeakFlops
from mfu_advisor.probe.sources import MachineRoot

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def probe_fixture(name: str, *, include_torch: bool = True) -> HardwareFacts:
    """Probe a recorded machine under tests/data/snapshots/."""
    with MachineRoot.open_snapshot(SNAPSHOTS / name) as root:
        return probe_machine(root, include_torch=include_torch)


def flops(peaks: Mapping[str, object], dtype: str) -> float | None:
    """The FLOP/s of one dtype of a peaks mapping; None when unavailable."""
    peak = peaks[dtype]
    return peak.flops if isinstance(peak, PeakFlops) else None

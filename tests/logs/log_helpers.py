"""Helpers for the analyze tests: fixture paths, one-call analysis, a fake hardware catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.pipeline import analyze_inputs
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.probe.facts import PeakFlops
from mfu_advisor.report.model import Command, make_report

#: tests/data/logs: copies of the shared real logs (SOURCES_shared.md) and ones made here
#: (SOURCES.md).
LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"


def log_path(name: str) -> str:
    """Path of a fixture log, as a string for the CLI."""
    return str(LOGS / name)


def analyze_log(
    name: str,
    *,
    hardware: str | None = None,
    peak_tflops: float | None = None,
    dtype: str | None = None,
    fmt: str = "auto",
    **overrides: Any,
) -> LogAnalysis:
    """Analyze one fixture log as ``mfu-advisor analyze`` would."""
    request = HardwareRequest(hardware=hardware, peak_tflops=peak_tflops, dtype=dtype)
    return analyze_inputs([log_path(name)], format_name=fmt, overrides=overrides, request=request)


def as_json(analysis: LogAnalysis) -> dict[str, Any]:
    """The ``--json`` document of an analysis."""
    return make_report(Command.ANALYZE, analysis).to_json()


@dataclass(frozen=True)
class FakeEntry:
    """Shaped like mfu_advisor.probe.catalog.CatalogEntry."""

    name: str
    kind: str
    peak_flops: Mapping[str, PeakFlops | Unavailable]
    source: str = "test table"
    details: Mapping[str, Any] = field(default_factory=dict)


def _peak(flops: float) -> PeakFlops:
    return PeakFlops(flops, "test datasheet", estimated=False, note="dense")


#: A small catalog with round numbers (NVIDIA A100 datasheet: 312 bf16, 156 tf32, 19.5 fp32).
FAKE_HARDWARE = {
    "A100": FakeEntry(
        "NVIDIA A100-SXM4-80GB",
        "gpu",
        {
            "fp32": _peak(19.5e12),
            "tf32": _peak(156e12),
            "bf16": _peak(312e12),
            "fp16": _peak(312e12),
            "fp8": Unavailable("no fp8 on Ampere"),
        },
    ),
    "RTX 4090": FakeEntry(
        "NVIDIA GeForce RTX 4090",
        "gpu",
        {
            "fp32": _peak(82.6e12),
            "tf32": _peak(82.6e12),
            "bf16": _peak(165.2e12),
            "fp16": _peak(165.2e12),
            "fp8": _peak(330.3e12),
        },
    ),
    "i7-1260P": FakeEntry(
        "Intel Core i7-1260P",
        "cpu",
        {
            "fp32": _peak(1.0e12),
            "tf32": Unavailable("GPU only"),
            "bf16": Unavailable("no native bf16"),
            "fp16": Unavailable("no native fp16"),
            "fp8": Unavailable("no fp8"),
        },
    ),
}


class FakeCatalog:
    """Stands in for mfu_advisor.probe.catalog: find_hardware, known names, suggestions,
    candidates of an imprecise name (none here: the real catalog's are tested against it)."""

    @staticmethod
    def find_hardware(name: str) -> FakeEntry | None:
        for key, entry in FAKE_HARDWARE.items():
            if name.strip().lower() in (key.lower(), entry.name.lower()):
                return entry
        return None

    @staticmethod
    def known_hardware_names() -> list[str]:
        return [entry.name for entry in FAKE_HARDWARE.values()]

    @staticmethod
    def hardware_suggestions(name: str, limit: int = 5) -> list[str]:
        return FakeCatalog.known_hardware_names()[:limit]

    @staticmethod
    def gpu_name_candidates(name: str) -> list[str]:
        return []

"""The GPU part of docs/peaks.md, generated from ``mfu_advisor/data/gpus.toml``."""

from __future__ import annotations

import sys
from pathlib import Path

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops
from mfu_advisor.probe.peak_table import GpuSpec, load_table

BEGIN = "<!-- begin: generated from mfu_advisor/data/gpus.toml -->"
END = "<!-- end: generated from mfu_advisor/data/gpus.toml -->"


def _cell(peak: PeakFlops | Unavailable) -> str:
    if not isinstance(peak, PeakFlops):
        return "-"
    value = peak.flops / 1e12
    return (f"{value:.1f}" if value >= 10 else f"{value:.2f}") + ("*" if peak.estimated else "")


def _pci(spec: GpuSpec) -> str:
    ids = ", ".join(f"{spec.vendor_id:04x}:{d:04x}" for d in spec.device_ids)
    if spec.subsystems:
        ids += " (subsystem " + ", ".join(f"{v:04x}:{d:04x}" for v, d in spec.subsystems) + ")"
    if spec.revisions:
        ids += f" (rev {', '.join(f'{r:02x}' for r in spec.revisions)})"
    if spec.cpu_pattern:
        # A "|" inside a Markdown table cell must be escaped, even in code.
        ids += " (CPU `" + spec.cpu_pattern.replace("|", "\\|") + "`)"
    return ids


def gpu_row(spec: GpuSpec) -> str:
    """One table line for a GPU row."""
    clock = (
        f"{spec.boost_clock_mhz:g}"
        if isinstance(spec.boost_clock_mhz, float)
        else f"{spec.boost_range_mhz[0]:g}-{spec.boost_range_mhz[1]:g}"
        if spec.boost_range_mhz
        else "?"
    )
    cells = " | ".join(_cell(spec.peak_flops[d]) for d in PEAK_DTYPES)
    acc16 = f"{spec.fp16_acc16_flops / 1e12:.1f}" if spec.fp16_acc16_flops else ""
    memory = f"{spec.memory_bytes / 2**30:g}" if isinstance(spec.memory_bytes, int) else ""
    bandwidth = f"{spec.bandwidth_gbs:g}" if spec.bandwidth_gbs else ""
    return (
        f"| {spec.name} | {_pci(spec)} | {spec.compute_capability} | "
        f"{spec.sm_count} {spec.arch.unit} | {clock} | {memory} | {bandwidth} | {cells} | {acc16} |"
    )


def render() -> str:
    """The generated block, markers included."""
    archs, rows = load_table()
    lines = [
        BEGIN,
        "",
        "TFLOP/s, dense; `*` = estimated (units x per-unit rate x rated boost, see below),",
        "`-` = none (the JSON gives the reason). fp16/bf16 are the fp32-accumulate rates;",
        "`fp16 acc16` is GeForce's fp16-accumulate figure, which PyTorch does not use.",
        "Memory in GiB, bandwidth in GB/s. Sources: each row's `source` in the data file.",
        "",
        "| name | PCI ID | arch | units | boost MHz | memory | GB/s | fp32 | tf32 | bf16 "
        "| fp16 | fp8 | fp16 acc16 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [gpu_row(spec) for spec in rows]
    lines += [
        "",
        "### Per-unit rates (formula fallback)",
        "",
        "Dense FLOP per clock per unit, with fp32 accumulate at the full rate; GeForce",
        "rates where they differ in brackets. `typical boost` is the clock used for a GPU",
        "of this architecture that is not in the table when NVML gives no rated boost.",
        "",
        "| arch | name | unit | fp32 | tf32 | bf16 | fp16 | fp8 | typical boost MHz |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, arch in archs.items():
        cells = []
        for dtype in PEAK_DTYPES:
            rate = arch.rates.get(dtype)
            text = "-" if rate is None else str(rate)
            if dtype in arch.geforce:
                text += f" ({arch.geforce[dtype]})"
            cells.append(text)
        lines.append(
            f"| {key} | {arch.name} | {arch.unit} | {' | '.join(cells)} | {arch.boost_mhz:g} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def rewrite(page: Path) -> None:
    """Replace the generated block of ``page`` with :func:`render`'s."""
    text = page.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    page.write_text(head + render() + tail, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/peaks.md"))

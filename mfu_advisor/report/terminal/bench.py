"""Terminal section for ``bench``: headline throughput and MFU, then timing details.

Renders from the JSON payload only (docs/schemas/bench.schema.json), so a
saved result re-renders exactly (``mfu-advisor report RESULT.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

_MFU_LABELS = (
    ("device_peak", "of this device's peak"),
    ("measured_peak", "of the matmul peak measured here"),
    ("a100_reference", "of an A100 (what nanoGPT prints)"),
)


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print a bench result: headline, the three MFUs, step times, warm-up, roofline."""
    config = payload.get("config") or {}
    console.print(
        f"[bold]Bench[/bold] {payload.get('preset', '?')}: {config.get('n_layer')} layers, "
        f"{config.get('n_head')} heads, n_embd {config.get('n_embd')}, block "
        f"{config.get('block_size')}, batch {config.get('batch_size')} x "
        f"{config.get('gradient_accumulation_steps')} on {payload.get('device')} "
        f"({payload.get('device_name')}), {payload.get('dtype')}, "
        f"{payload.get('threads')} threads" + (", compiled" if config.get("compile") else ""),
        soft_wrap=True,
    )
    tokens = payload.get("tokens_per_s")
    flops = payload.get("achieved_flops")
    if tokens is None or flops is None:
        console.print("No step was measured.")
    else:
        console.print(
            f"[bold]{tokens:,.0f} tokens/s[/bold], [bold]{_flops(flops)}[/bold] achieved "
            f"({_flops(payload.get('flops_per_token'), unit='FLOP')} per token, "
            f"{payload.get('n_params', 0) / 1e6:.2f}M parameters)"
        )
    console.print(_mfu_table(payload.get("mfu") or {}))
    _render_steps(payload, console)
    _render_roofline(payload.get("roofline"), console)
    for note in payload.get("notes") or ():
        console.print(f"[dim]note:[/dim] {note}", soft_wrap=True)


def _mfu_table(mfu: Mapping[str, Any]) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("MFU", justify="right")
    table.add_column("against")
    table.add_column("denominator", justify="right")
    table.add_column("source")
    for key, label in _MFU_LABELS:
        figure = mfu.get(key) or {}
        value = figure.get("value")
        shown = f"{value:.2%}" if value is not None and value >= 0.001 else None
        if value is not None and shown is None:
            shown = f"{value:.4%}"
        denominator = figure.get("denominator_flops")
        source = _short_source(figure.get("source") or "")
        if value is None:
            source = f"unknown: {figure.get('reason') or 'no reason given'}"
        table.add_row(
            shown or "-",
            label,
            _flops(denominator) if denominator else "-",
            source,
        )
    return table


def _short_source(source: str) -> str:
    """The first clause of a source (the JSON keeps it whole), flagged when estimated."""
    head = source.split(";")[0].strip()
    if source.rstrip().endswith("estimated") and head != source.strip():
        head += " (estimated)"
    return head


def _render_steps(payload: Mapping[str, Any], console: Console) -> None:
    steps = payload.get("step_time_ms")
    stopped = payload.get("stopped_by")
    stop_words = {
        "budget": f"the {payload.get('budget_s', 0):g} s budget was spent",
        "ci": "the mean was known within +-2%",
        "max_steps": "max_steps was reached",
        "interrupted": "interrupted (Ctrl-C)",
    }.get(str(stopped), str(stopped))
    if steps:
        ci = steps.get("ci95_halfwidth_fraction")
        median_ci = steps.get("median_ci95_halfwidth_fraction")
        console.print(
            f"Step time over {steps['steps']} steps: median {steps['median']:.1f} ms"
            + (f" +-{median_ci:.1%}" if median_ci is not None else "")
            + f" (p10 {steps['p10']:.1f}, p90 {steps['p90']:.1f}, mean {steps['mean']:.1f}"
            + (f" +-{ci:.1%}" if ci is not None else "")
            + f"); stopped because {stop_words}."
        )
    else:
        console.print(f"No measured step; stopped because {stop_words}.")
    warm = payload.get("warmup_step_ms") or []
    parts = [f"{len(warm)} warm-up steps, {payload.get('warmup_s', 0):.2f} s"]
    if payload.get("compile_s") is not None:
        parts.append(f"compile step {payload['compile_s']:.1f} s")
    if warm:
        parts.append("first step " + f"{warm[0]:.0f} ms")
    memory = payload.get("peak_memory_bytes")
    if memory is not None:
        parts.append(f"peak memory {memory / 2**20:,.0f} MiB ({payload.get('peak_memory_kind')})")
    loss_first, loss_last = payload.get("loss_first"), payload.get("loss_last")
    if loss_first is not None and loss_last is not None:
        parts.append(f"loss {loss_first:.3f} -> {loss_last:.3f}")
    console.print("Outside the figures: " + "; ".join(parts) + ".", soft_wrap=True)


def _render_roofline(roofline: Mapping[str, Any] | None, console: Console) -> None:
    if not roofline:
        return
    rows = []
    for dtype, entry in (roofline.get("dtypes") or {}).items():
        best = entry.get("best_flops")
        at_model = [p["flops_per_s"] for p in entry.get("model_shapes", []) if p.get("flops_per_s")]
        at_batch = [
            p["flops_per_s"]
            for p in entry.get("model_shapes", [])
            if p.get("flops_per_s") and p.get("batch_multiple") == 1
        ]
        text = f"{dtype} best {_flops(best)}" if best else f"{dtype} not measured"
        if at_batch:
            text += f", model GEMMs at this batch {_flops(min(at_batch))}-{_flops(max(at_batch))}"
        elif at_model:
            text += f", model GEMMs {_flops(min(at_model))}-{_flops(max(at_model))}"
        rows.append(text)
    bandwidth = roofline.get("memory_bandwidth_bytes_per_s")
    if bandwidth:
        rows.append(f"memory {bandwidth / 1e9:,.1f} GB/s")
    origin = "cached" if roofline.get("from_cache") else f"measured in {roofline['sweep_s']:.1f} s"
    console.print(f"Roofline ({origin}): " + "; ".join(rows) + ".", soft_wrap=True)


def _flops(value: Any, unit: str = "FLOP/s") -> str:
    """1.23e11 -> "123.0 GFLOP/s"."""
    if value is None:
        return "-"
    number = float(value)
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= scale:
            return f"{number / scale:,.1f} {prefix}{unit}"
    return f"{number:,.0f} {unit}"

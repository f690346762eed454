"""The calibrated-run part of a report, from a bench payload (``mfu-advisor bench --json``).

Field names follow docs/schemas/bench.schema.json; every field is read
tolerantly, so an older or partial result still renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mfu_advisor.report.content.blocks import (
    Block,
    Chart,
    KeyValues,
    Paragraph,
    Table,
    Tone,
    present,
)
from mfu_advisor.report.content.ranks import ranks_blocks
from mfu_advisor.report.content.run import (
    absent,
    config_block,
    mfu_chart,
    mfu_notes,
    mfu_table,
    notes_paragraph,
    run_headline,
    series_chart,
)
from mfu_advisor.report.values import (
    Cell,
    Missing,
    cell,
    count,
    factor,
    first_number,
    flops,
    items,
    lookup,
    mapping,
    milliseconds,
    number,
    numbers,
    percent,
    plus_minus,
    power_of_limit,
    rate,
    seconds,
    si,
    size_bytes,
    templated,
    text,
    utilisation,
    with_detail,
)

#: torch dtype names -> the probe's short names, which roofline entries are keyed by.
SHORT_DTYPE = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def bench_blocks(run: Mapping[str, Any], *, headline: bool = True) -> tuple[Block, ...]:
    """Everything about one calibrated run: MFUs, timing, model, charts, the matmul sweep."""
    config = mapping(run, "config")
    return present(
        run_headline(run) if headline else None,
        mfu_table(run),
        *ranks_blocks(run),
        run_facts(run),
        gpu_under_load(run),
        paired_paragraph(run),
        notes_paragraph(run, Tone.WARN, shown=mfu_notes(run)),
        config_block(config, "Model and batch (nanoGPT names)") if config else None,
        series_chart(run, "Step time over the measured steps"),
        mfu_chart(run),
        roofline_chart(run),
        sweep_table(run),
    )


def run_facts(run: Mapping[str, Any]) -> KeyValues:
    """How the run was made and measured."""
    rows: list[tuple[str, Cell]] = [
        ("preset", _preset(run)),
        ("device", _device(run)),
        ("dtype", text(run, "dtype")),
        ("threads", cell(lookup(run, "threads"))),
        ("step time (median, p10-p90)", _spread(run)),
        ("measured steps", _measured(run)),
        ("stopped because", _stopped(run)),
        ("warm-up (excluded)", _warmup(run)),
        ("compile time", seconds(number(run, "compile_s"))),
        ("tokens per step", count(first_number(run, "effective_batch_tokens", "tokens_per_step"))),
        ("parameters", count(number(run, "n_params"))),
        ("FLOPs per token", si(number(run, "flops_per_token"), "FLOP")),
        ("tokens/s", rate(number(run, "tokens_per_s"))),
        ("achieved", flops(number(run, "achieved_flops"))),
        ("peak memory", _memory(run)),
        ("loss (first / last step)", _loss(run)),
        ("AdamW", text(run, "adamw_impl")),
        ("TF32", text(run, "tf32")),
        ("data", text(run, "data")),
        ("PyTorch", text(run, "torch_version")),
    ]
    return KeyValues(tuple(r for r in rows if not absent(r[1])), title="Run")


def gpu_under_load(run: Mapping[str, Any]) -> KeyValues | None:
    """The run's GPU while the measured steps ran (NVML sampled about 10 times a second)."""
    load = mapping(run, "gpu_under_load")
    if not load:
        return None
    shares = mapping(load, "clock_event_reason_shares")
    held = ", ".join(
        f"{reason} {percent(share)}"
        for reason, share in shares.items()
        if isinstance(share, (int, float)) and reason != "gpu_idle"
    )
    rows: list[tuple[str, Cell]] = [
        ("samples", count(number(load, "samples"))),
        ("SM clock (median)", templated(number(load, "sm_clock_mhz"), "{:.0f} MHz")),
        ("power draw / limit (median)", power_of_limit(load, "power_draw_w", "power_limit_w")),
        ("temperature (median)", templated(number(load, "temperature_c"), "{:.0f} °C")),
        ("busy (median)", utilisation(number(load, "utilization_gpu_percent"))),
        ("clocks held down by", held or "nothing"),
    ]
    return KeyValues(tuple(rows), title="GPU while the steps ran")


def paired_paragraph(run: Mapping[str, Any]) -> Paragraph | None:
    """A variant measured interleaved with the run (``bench --variant``): its speedup and noise."""
    paired = mapping(run, "paired")
    if not paired:
        return None
    config = mapping(run, "config")
    changes = ", ".join(
        f"{k} {config.get(k, '?')} -> {v}" for k, v in mapping(paired, "changes").items()
    )
    speedup = number(paired, "speedup")
    if isinstance(speedup, Missing):
        result = f"speedup {speedup}"
    else:
        noise = plus_minus(number(paired, "noise"))
        pairs = cell(lookup(paired, "pairs"))
        result = f"{factor(speedup)} tokens/s {noise} over {pairs} pairs of blocks"
    rates = numbers(paired, "tokens_per_s")
    base = number(run, "tokens_per_s")
    if not isinstance(rates, Missing) and not isinstance(base, Missing):
        result += f"; {rate(rates[0], '')}vs {rate(base)}"
    compile_s = number(paired, "compile_s")
    if not isinstance(compile_s, Missing):
        result += f"; its compile step {seconds(compile_s)}"
    return Paragraph(
        f"Variant ({changes or 'no change'}), measured interleaved with the run: {result}."
    )


def _preset(run: Mapping[str, Any]) -> Cell:
    return with_detail(text(run, "preset"), text(run, "preset_source"))


def _device(run: Mapping[str, Any]) -> Cell:
    device = text(run, "device")
    name = text(run, "device_name")
    return device if name == device else with_detail(device, name)


def _spread(run: Mapping[str, Any]) -> Cell:
    median = milliseconds(number(run, "step_time_ms.median"))
    p10 = number(run, "step_time_ms.p10")
    p90 = number(run, "step_time_ms.p90")
    if isinstance(median, Missing) or isinstance(p10, Missing) or isinstance(p90, Missing):
        return median
    shown = f"{median} ({p10:.1f}-{p90:.1f} ms)"
    ci = number(run, "step_time_ms.ci95_halfwidth_fraction")
    if not isinstance(ci, Missing):
        shown += f", mean known to {plus_minus(ci)} (95% CI)"
    return shown


def _stopped(run: Mapping[str, Any]) -> Cell:
    """Why the measurement ended, in words (``stopped_by`` is a code: docs/bench.md)."""
    code = text(run, "stopped_by")
    if isinstance(code, Missing):
        return code
    budget = number(run, "budget_s")
    budget_words = "budget" if isinstance(budget, Missing) else f"{budget:g} s budget"
    return {
        "budget": f"the {budget_words} was spent",
        "ci": "the mean step time was known precisely enough (its 95% CI within the target)",
        "max_steps": "max_steps was reached",
        "interrupted": "interrupted (Ctrl-C)",
    }.get(code, code)


def _measured(run: Mapping[str, Any]) -> Cell:
    steps = first_number(run, "step_time_ms.steps", "measured_steps")
    elapsed = number(run, "measured_s")
    if isinstance(steps, Missing) or isinstance(elapsed, Missing):
        return count(steps)
    return f"{count(steps)} in {seconds(elapsed)}"


def _warmup(run: Mapping[str, Any]) -> Cell:
    steps = number(run, "warmup_steps")
    elapsed = number(run, "warmup_s")
    if isinstance(steps, Missing):
        return steps
    shown = f"{steps:.0f} steps"
    if not isinstance(elapsed, Missing):
        shown += f", {seconds(elapsed)}"
    first = number(run, "warmup_step_ms.0")
    if not isinstance(first, Missing):
        shown += f" (first step {milliseconds(first)})"
    return shown


def _memory(run: Mapping[str, Any]) -> Cell:
    return with_detail(size_bytes(number(run, "peak_memory_bytes")), text(run, "peak_memory_kind"))


def _loss(run: Mapping[str, Any]) -> Cell:
    losses = numbers(run, "loss_first", "loss_last")
    if isinstance(losses, Missing):
        return losses
    first, last = losses
    return f"{first:.3f} / {last:.3f}"


def sweep_points(run: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The measured matmuls: ``{dtype, name, m, n, k, flops, group, skipped}`` each.

    Reads bench's ``roofline.dtypes.<dtype>.{squares, model_shapes}``; ``group``
    is "square" or "model x<batch multiple>".
    """
    for dtype, entry in mapping(run, "roofline.dtypes").items():
        if not isinstance(entry, Mapping):
            continue
        for list_key, kind in (("squares", "square"), ("model_shapes", "model")):
            for point in items(entry, list_key):
                if not isinstance(point, Mapping):
                    continue
                multiple = point.get("batch_multiple")
                group = kind if kind == "square" else f"model x{multiple or 1}"
                yield {
                    "dtype": str(dtype),
                    "name": str(point.get("name", kind)),
                    "m": point.get("m"),
                    "n": point.get("n"),
                    "k": point.get("k"),
                    "flops": point.get("flops_per_s"),
                    "group": group,
                    "skipped": point.get("skipped_reason") or "",
                }


def _run_dtype(run: Mapping[str, Any]) -> str:
    peak_dtype = text(run, "peak_dtype")
    if not isinstance(peak_dtype, Missing):
        return peak_dtype
    dtype = text(run, "dtype")
    return "" if isinstance(dtype, Missing) else SHORT_DTYPE.get(dtype, dtype)


def roofline_chart(run: Mapping[str, Any]) -> Chart | None:
    """Achieved FLOP/s against the measured matmul peak and the datasheet peak."""
    achieved = number(run, "achieved_flops")
    measured = number(run, "mfu.measured_peak.denominator_flops")
    device = number(run, "mfu.device_peak.denominator_flops")
    if isinstance(achieved, Missing) or (
        isinstance(measured, Missing) and isinstance(device, Missing)
    ):
        return None
    dtype = _run_dtype(run)
    points = [p for p in sweep_points(run) if p["dtype"] == dtype and p["flops"]]
    bandwidth = number(run, "roofline.memory_bandwidth_bytes_per_s")
    data = {
        "achieved_flops": achieved,
        "measured_peak_flops": None if isinstance(measured, Missing) else measured,
        "device_peak_flops": None if isinstance(device, Missing) else device,
        "sweep": points,
        "memory_bandwidth_bytes_per_s": None if isinstance(bandwidth, Missing) else bandwidth,
        "dtype": dtype,
    }
    caption = (
        f"{dtype}: your run {flops(achieved)}; best measured matmul {flops(measured)}; "
        f"device peak {flops(device)}"
    )
    if points and not isinstance(bandwidth, Missing):
        caption += f"; memory bandwidth {si(bandwidth, 'B/s')}; dots are the measured matmuls"
    return Chart(
        "roofline", "Roofline: your run against what this machine can do", data, caption=caption
    )


def sweep_table(run: Mapping[str, Any]) -> Table | None:
    """Every measured matmul shape with its FLOP/s (or why it was skipped)."""
    points = list(sweep_points(run))
    if not points:
        return None
    rows = tuple(
        (
            p["dtype"],
            p["name"] if p["group"] == "square" else f"{p['name']} ({p['group']})",
            "x".join(str(p.get(k, "?")) for k in ("m", "n", "k")),
            flops(p["flops"])
            if isinstance(p["flops"], (int, float))
            else Missing(p["skipped"] or "not measured"),
        )
        for p in points
    )
    bandwidth = number(run, "roofline.memory_bandwidth_bytes_per_s")
    method = text(run, "roofline.memory_bandwidth_method")
    sweep_s = number(run, "roofline.sweep_s")
    if lookup(run, "roofline.from_cache") is True:
        note = "From the cache of an earlier sweep on this machine."
    else:
        note = "" if isinstance(sweep_s, Missing) else f"Measured in {seconds(sweep_s)}."
    if not isinstance(bandwidth, Missing):
        note += f" Memory bandwidth: {si(bandwidth, 'B/s')}"
        note += f" ({method})." if not isinstance(method, Missing) else "."
    note = note.strip()
    return Table(
        columns=("dtype", "matmul", "m x n x k", "achieved"),
        rows=rows,
        title="Measured matmuls (the roofline sweep)",
        numeric=(False, False, False, True),
        note=note,
    )

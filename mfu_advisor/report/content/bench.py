"""The calibrated-run part of a report, from a bench payload (docs/schemas/bench.schema.json),
with a data-parallel run's job and ranks (docs/distributed.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mfu_advisor.mfu import PEAK_DTYPE_KEYS
from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import (
    Block,
    Chart,
    KeyValues,
    Paragraph,
    Table,
    Tone,
    present,
)
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
from mfu_advisor.report.values import Cell, Missing
from mfu_advisor.units import cpu_list

#: torch dtype names -> the probe's short names, which roofline entries are keyed by.


def bench_blocks(run: Mapping[str, Any], *, headline: bool = True) -> tuple[Block, ...]:
    """Everything about one calibrated run: MFUs, timing, model, charts, the matmul sweep."""
    config = v.mapping(run, "config")
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
    memory = v.number(run, "peak_memory_bytes")
    rows: list[tuple[str, Cell]] = [
        ("preset", v.with_detail(v.text(run, "preset"), v.text(run, "preset_source"))),
        ("device", _device(run)),
        ("dtype", v.text(run, "dtype")),
        ("threads", v.cell(v.lookup(run, "threads"))),
        ("step time (median, p10-p90)", _spread(run)),
        ("measured steps", _measured(run)),
        ("stopped because", _stopped(run)),
        ("warm-up (excluded)", _warmup(run)),
        ("compile time", v.seconds(v.number(run, "compile_s"))),
        (
            "tokens per step",
            v.count(v.first_number(run, "effective_batch_tokens", "tokens_per_step")),
        ),
        ("parameters", v.count(v.number(run, "n_params"))),
        ("FLOPs per token", v.si(v.number(run, "flops_per_token"), "FLOP")),
        ("tokens/s", v.rate(v.number(run, "tokens_per_s"))),
        ("achieved", v.flops(v.number(run, "achieved_flops"))),
        ("peak memory", v.with_detail(v.size_bytes(memory), v.text(run, "peak_memory_kind"))),
        ("loss (first / last step)", _loss(run)),
        ("AdamW", v.text(run, "adamw_impl")),
        ("TF32", v.text(run, "tf32")),
        ("data", v.text(run, "data")),
        ("PyTorch", v.text(run, "torch_version")),
    ]
    return KeyValues(tuple(r for r in rows if not absent(r[1])), title="Run")


def gpu_under_load(run: Mapping[str, Any]) -> KeyValues | None:
    """The run's GPU while the measured steps ran (NVML sampled about 10 times a second)."""
    load = v.mapping(run, "gpu_under_load")
    if not load:
        return None
    shares = v.mapping(load, "clock_event_reason_shares")
    held = ", ".join(
        f"{reason} {v.percent(share)}"
        for reason, share in shares.items()
        if isinstance(share, (int, float)) and reason != "gpu_idle"
    )
    rows: list[tuple[str, Cell]] = [
        ("samples", v.count(v.number(load, "samples"))),
        ("SM clock (median)", v.templated(v.number(load, "sm_clock_mhz"), "{:.0f} MHz")),
        ("power draw / limit (median)", v.power_of_limit(load, "power_draw_w", "power_limit_w")),
        ("temperature (median)", v.templated(v.number(load, "temperature_c"), "{:.0f} °C")),
        ("busy (median)", v.utilisation(v.number(load, "utilization_gpu_percent"))),
        ("clocks held down by", held or "nothing"),
    ]
    return KeyValues(tuple(rows), title="GPU while the steps ran")


def paired_paragraph(run: Mapping[str, Any]) -> Paragraph | None:
    """A variant measured interleaved with the run (``bench --variant``): its speedup and noise."""
    paired = v.mapping(run, "paired")
    if not paired:
        return None
    config = v.mapping(run, "config")
    changes = ", ".join(
        f"{k} {config.get(k, '?')} -> {new}" for k, new in v.mapping(paired, "changes").items()
    )
    speedup = v.number(paired, "speedup")
    if isinstance(speedup, Missing):
        result = f"speedup {speedup}"
    else:
        noise = v.plus_minus(v.number(paired, "noise"))
        pairs = v.cell(v.lookup(paired, "pairs"))
        result = f"{v.factor(speedup)} tokens/s {noise} over {pairs} pairs of blocks"
    rates = v.numbers(paired, "tokens_per_s")
    base = v.number(run, "tokens_per_s")
    if not isinstance(rates, Missing) and not isinstance(base, Missing):
        result += f"; {v.rate(rates[0], '')}vs {v.rate(base)}"
    result += v.clause(v.seconds(v.number(paired, "compile_s")), "; its compile step {}")
    return Paragraph(
        f"Variant ({changes or 'no change'}), measured interleaved with the run: {result}."
    )


def _device(run: Mapping[str, Any]) -> Cell:
    device = v.text(run, "device")
    name = v.text(run, "device_name")
    return device if name == device else v.with_detail(device, name)


def _spread(run: Mapping[str, Any]) -> Cell:
    median = v.milliseconds(v.number(run, "step_time_ms.median"))
    p10 = v.number(run, "step_time_ms.p10")
    p90 = v.number(run, "step_time_ms.p90")
    if isinstance(median, Missing) or isinstance(p10, Missing) or isinstance(p90, Missing):
        return median
    shown = f"{median} ({p10:.1f}-{p90:.1f} ms)"
    ci = v.plus_minus(v.number(run, "step_time_ms.ci95_halfwidth_fraction"))
    return shown + v.clause(ci, ", mean known to {} (95% CI)")


def _stopped(run: Mapping[str, Any]) -> Cell:
    """Why the measurement ended, in words (``stopped_by`` is a code: docs/bench.md)."""
    code = v.text(run, "stopped_by")
    if isinstance(code, Missing):
        return code
    budget = v.number(run, "budget_s")
    budget_words = "budget" if isinstance(budget, Missing) else f"{budget:g} s budget"
    return {
        "budget": f"the {budget_words} was spent",
        "ci": "the mean step time was known precisely enough (its 95% CI within the target)",
        "max_steps": "max_steps was reached",
        "interrupted": "interrupted (Ctrl-C)",
    }.get(code, code)


def _measured(run: Mapping[str, Any]) -> Cell:
    steps = v.first_number(run, "step_time_ms.steps", "measured_steps")
    elapsed = v.number(run, "measured_s")
    if isinstance(steps, Missing) or isinstance(elapsed, Missing):
        return v.count(steps)
    return f"{v.count(steps)} in {v.seconds(elapsed)}"


def _warmup(run: Mapping[str, Any]) -> Cell:
    steps = v.number(run, "warmup_steps")
    elapsed = v.number(run, "warmup_s")
    if isinstance(steps, Missing):
        return steps
    first = v.milliseconds(v.number(run, "warmup_step_ms.0"))
    return (
        f"{steps:.0f} steps"
        + v.clause(v.seconds(elapsed), ", {}")
        + v.clause(first, " (first step {})")
    )


def _loss(run: Mapping[str, Any]) -> Cell:
    losses = v.numbers(run, "loss_first", "loss_last")
    if isinstance(losses, Missing):
        return losses
    first, last = losses
    return f"{first:.3f} / {last:.3f}"


def sweep_points(run: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The measured matmuls: ``{dtype, name, m, n, k, flops, group, skipped}`` each."""
    for dtype, entry in v.mapping(run, "roofline.dtypes").items():
        if not isinstance(entry, Mapping):
            continue
        for list_key, kind in (("squares", "square"), ("model_shapes", "model")):
            for point in v.items(entry, list_key):
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
    peak_dtype = v.text(run, "peak_dtype")
    if not isinstance(peak_dtype, Missing):
        return peak_dtype
    dtype = v.text(run, "dtype")
    return "" if isinstance(dtype, Missing) else PEAK_DTYPE_KEYS.get(dtype, dtype)


def roofline_chart(run: Mapping[str, Any]) -> Chart | None:
    """Achieved FLOP/s against the measured matmul peak and the datasheet peak."""
    achieved = v.number(run, "achieved_flops")
    measured = v.number(run, "mfu.measured_peak.denominator_flops")
    device = v.number(run, "mfu.device_peak.denominator_flops")
    if isinstance(achieved, Missing) or (
        isinstance(measured, Missing) and isinstance(device, Missing)
    ):
        return None
    dtype = _run_dtype(run)
    points = [p for p in sweep_points(run) if p["dtype"] == dtype and p["flops"]]
    bandwidth = v.number(run, "roofline.memory_bandwidth_bytes_per_s")
    data = {
        "achieved_flops": achieved,
        "measured_peak_flops": None if isinstance(measured, Missing) else measured,
        "device_peak_flops": None if isinstance(device, Missing) else device,
        "sweep": points,
        "memory_bandwidth_bytes_per_s": None if isinstance(bandwidth, Missing) else bandwidth,
        "dtype": dtype,
    }
    caption = (
        f"{dtype}: your run {v.flops(achieved)}; best measured matmul {v.flops(measured)}; "
        f"device peak {v.flops(device)}"
    )
    if points and not isinstance(bandwidth, Missing):
        caption += f"; memory bandwidth {v.si(bandwidth, 'B/s')}; dots are the measured matmuls"
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
            v.flops(p["flops"])
            if isinstance(p["flops"], (int, float))
            else Missing(p["skipped"] or "not measured"),
        )
        for p in points
    )
    bandwidth = v.number(run, "roofline.memory_bandwidth_bytes_per_s")
    method = v.text(run, "roofline.memory_bandwidth_method")
    sweep_s = v.number(run, "roofline.sweep_s")
    if v.lookup(run, "roofline.from_cache") is True:
        note = "From the cache of an earlier sweep on this machine."
    else:
        note = "" if isinstance(sweep_s, Missing) else f"Measured in {v.seconds(sweep_s)}."
    if not isinstance(bandwidth, Missing):
        note += f" Memory bandwidth: {v.si(bandwidth, 'B/s')}" + v.clause(method, " ({})") + "."
    note = note.strip()
    return Table(
        columns=("dtype", "matmul", "m x n x k", "achieved"),
        rows=rows,
        title="Measured matmuls (the roofline sweep)",
        numeric=(False, False, False, True),
        note=note,
    )


#: From this all-reduce share or straggler spread the sentence reads as a warning:
#: the thresholds of rules MA126 and MA127 (rules/distributed_rules.py).
HIGH_COMMUNICATION = 0.20
HIGH_SPREAD = 0.10


def ranks_blocks(run: Mapping[str, Any]) -> tuple[Block, ...]:
    """The job sentence and the per-rank table; empty for a single-process result."""
    setup = v.mapping(run, "distributed")
    ranks = [r for r in v.items(run, "ranks") if isinstance(r, Mapping)]
    if not setup and not ranks:
        return ()
    blocks: list[Block] = [job_paragraph(run)]
    if ranks:
        blocks.append(ranks_table(ranks))
    return tuple(blocks)


def job_paragraph(run: Mapping[str, Any]) -> Paragraph:
    """ "Data-parallel: 2 ranks x 1 thread (gloo, torchrun) ... all-reduce 7.7% of the step ..."."""
    setup = v.mapping(run, "distributed")
    world = v.number(setup, "world_size")
    threads = v.number(setup, "threads_per_rank")
    ranks_text = "ranks" if isinstance(world, Missing) else f"{world:.0f} ranks"
    if not isinstance(threads, Missing):
        ranks_text += f" x {threads:.0f} thread{'s' if threads != 1 else ''}"
    how = [str(x) for x in (v.text(setup, "backend"), "torchrun") if not isinstance(x, Missing)]
    nodes = v.number(setup, "nnodes")
    if not isinstance(nodes, Missing) and nodes > 1:
        how.append(f"{nodes:.0f} nodes")
    parts = [f"Data-parallel run (DDP): {ranks_text} ({', '.join(how)})"]
    job = v.mapping(run, "job")
    tokens, achieved = v.number(job, "tokens_per_s"), v.number(job, "achieved_flops")
    if not isinstance(tokens, Missing) and not isinstance(achieved, Missing):
        job_text = f"the job does {v.rate(tokens)}, {v.flops(achieved)}"
        mfu = v.number(job, "mfu")
        if not isinstance(mfu, Missing):
            peak = v.flops(v.number(job, "peak_flops"))
            job_text += f", {v.percent(mfu)} of the ranks' summed peak {peak}"
        parts.append(job_text)
    warn = False
    share = v.number(run, "communication_fraction")
    if not isinstance(share, Missing):
        parts.append(
            f"the gradient all-reduce takes {v.percent(share)} of the median rank's step "
            "(steps under no_sync() against steps with it)"
        )
        warn = warn or share >= HIGH_COMMUNICATION
    straggler = v.mapping(run, "straggler")
    spread = v.number(straggler, "spread")
    if not isinstance(spread, Missing):
        parts.append(
            f"the slowest rank, {v.number(straggler, 'slowest_rank'):.0f}, computes "
            f"{v.percent(spread)} slower than the median rank"
        )
        warn = warn or spread >= HIGH_SPREAD
    parts.append(_scaling_text(run))
    return Paragraph("; ".join(p for p in parts if p) + ".", tone=Tone.WARN if warn else Tone.PLAIN)


def _scaling_text(run: Mapping[str, Any]) -> str:
    scaling = v.mapping(run, "scaling")
    efficiency = v.number(scaling, "efficiency")
    if isinstance(efficiency, Missing):
        reason = v.mapping(run, "unavailable").get("scaling")
        return f"scaling efficiency not measured ({reason})" if reason else ""
    reference = v.text(scaling, "reference")
    shown = f"scaling efficiency {v.percent(efficiency)}"
    tokens = v.number(scaling, "reference_tokens_per_s")
    if not isinstance(reference, Missing) and not isinstance(tokens, Missing):
        shown += f" against {reference}, alone ({v.rate(tokens)})"
    if efficiency > 1.05:
        shown += (
            " (above 100%: the reference ran slower than each rank, so the machine was busier "
            "while it ran; rerun on an idle machine)"
        )
    return shown


def ranks_table(ranks: list[Mapping[str, Any]]) -> Table:
    """A row per rank: where it ran, its step with and without the all-reduce, tokens/s, MFU."""
    rows = tuple(
        (
            _rank_cell(rank),
            v.milliseconds(v.number(rank, "step_time_ms.median")),
            v.milliseconds(v.number(rank, "compute_step_time_ms")),
            v.percent(v.number(rank, "communication_fraction")),
            v.rate(v.number(rank, "tokens_per_s")),
            v.percent(v.number(rank, "mfu")),
        )
        for rank in ranks
    )
    return Table(
        columns=("rank", "step", "no all-reduce", "all-reduce", "tokens/s", "MFU"),
        rows=rows,
        title="Ranks",
        numeric=(False, True, True, True, True, True),
        note=(
            "step: median with the gradient all-reduce; no all-reduce: median under no_sync(); "
            "MFU against the rank's own peak (its share of the CPUs, or its GPU)."
        ),
    )


def _rank_cell(rank: Mapping[str, Any]) -> Cell:
    """ "0 (CPU 0-3)", "1 (cuda:1)"."""
    number_ = v.number(rank, "rank")
    if isinstance(number_, Missing):
        return number_
    where = _where(rank)
    return f"{number_:.0f}" if isinstance(where, Missing) else f"{number_:.0f} ({where})"


def _where(rank: Mapping[str, Any]) -> Cell:
    cpus = [c for c in v.items(rank, "cpus") if isinstance(c, int)]
    device = v.text(rank, "device")
    if cpus and (isinstance(device, Missing) or device == "cpu"):
        return f"CPU {cpu_list(cpus)}"
    return device

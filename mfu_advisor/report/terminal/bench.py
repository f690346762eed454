"""Terminal section for ``bench``: headline throughput and MFU, then timing details.

Renders from the JSON payload only (docs/schemas/bench.schema.json), so a
saved result re-renders exactly (``mfu-advisor report RESULT.json``). Every
field is read tolerantly: an older or partial result shows "—" with the reason
(from the payload's ``unavailable`` object, else "not in this result") instead
of failing. Text wraps at the console's width: nothing is printed wider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mfu_advisor.report.content.ranks import ranks_blocks
from mfu_advisor.report.terminal.blocks import render_block

#: Shown where a value is missing; the reason follows it.
DASH = "—"

_MFU_LABELS = (
    ("device_peak", "of this device's peak"),
    ("measured_peak", "of the matmul peak measured here"),
    ("a100_reference", "of an A100 (what nanoGPT prints)"),
)

_NOT_IN_RESULT = "not in this result"


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print a bench result: headline, the three MFUs, step times, warm-up, roofline."""
    _say(console, _headline(payload), bold_prefix="Bench")
    _say(console, _throughput(payload))
    mfu = _mapping(payload, "mfu")
    console.print(_mfu_table(mfu))
    for line in _mfu_notes(mfu):
        _say(console, line, dim_prefix="note:")
    for block in ranks_blocks(payload):
        render_block(block, console)
    _say(console, _steps(payload))
    _say(console, _outside(payload))
    roofline = payload.get("roofline")
    if isinstance(roofline, Mapping):
        _say(console, _roofline(roofline))
    paired = payload.get("paired")
    if isinstance(paired, Mapping):
        _say(console, _paired(paired, payload), bold_prefix="Variant")
    for note in _list(payload, "notes"):
        if note not in _mfu_notes(mfu):  # already shown under the table
            _say(console, str(note), dim_prefix="note:")


def _say(console: Console, text: str, *, bold_prefix: str = "", dim_prefix: str = "") -> None:
    """Print plain text (no markup read from it), wrapped at the console's width."""
    line = Text()
    if bold_prefix and text.startswith(bold_prefix):
        line.append(bold_prefix, style="bold")
        text = text[len(bold_prefix) :]
    if dim_prefix:
        line.append(dim_prefix + " ", style="dim")
    line.append(text)
    console.print(line, overflow="fold")


# -- reading the payload ------------------------------------------------------------------


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(payload: Mapping[str, Any], key: str) -> list[Any]:
    value = payload.get(key)
    return list(value) if isinstance(value, (list, tuple)) else []


def _number(payload: Mapping[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _reason(payload: Mapping[str, Any], key: str) -> str:
    """Why ``key`` is missing: the payload's own reason, else that the result lacks it."""
    reasons = payload.get("unavailable")
    if isinstance(reasons, Mapping) and reasons.get(key):
        return str(reasons[key])
    return _NOT_IN_RESULT


def _missing(payload: Mapping[str, Any], key: str) -> str:
    return f"{DASH} ({_reason(payload, key)})"


def _shown(payload: Mapping[str, Any], key: str, fmt: str = "{}") -> str:
    value = payload.get(key)
    return fmt.format(value) if value is not None else _missing(payload, key)


# -- sections -------------------------------------------------------------------------------


def _headline(payload: Mapping[str, Any]) -> str:
    config = _mapping(payload, "config")

    def c(key: str) -> str:
        value = config.get(key)
        return str(value) if value is not None else DASH

    where = f"{_shown(payload, 'device')}"
    name = payload.get("device_name")
    if name and name != payload.get("device"):
        where += f" ({name})"
    threads = _shown(payload, "threads")
    world = _mapping(payload, "distributed").get("world_size")
    ranks = f" per rank x {world} ranks" if isinstance(world, int) else ""
    text = (
        f"Bench {_shown(payload, 'preset')}: {c('n_layer')} layers, {c('n_head')} heads, "
        f"n_embd {c('n_embd')}, block {c('block_size')}, batch {c('batch_size')} x "
        f"{c('gradient_accumulation_steps')}{ranks} on {where}, {_shown(payload, 'dtype')}, "
        f"{threads} thread{'' if threads == '1' else 's'}{' per rank' if ranks else ''}"
    )
    return text + (", compiled" if config.get("compile") else "")


def _throughput(payload: Mapping[str, Any]) -> str:
    tokens = _number(payload, "tokens_per_s")
    flops = _number(payload, "achieved_flops")
    if tokens is None or flops is None:
        return f"No step was measured: tokens/s {_missing(payload, 'tokens_per_s')}."
    per_token = _number(payload, "flops_per_token")
    params = _number(payload, "n_params")
    detail = [f"{_flops(per_token, unit='FLOP')} per token" if per_token else None]
    detail.append(f"{params / 1e6:.2f}M parameters" if params else None)
    extra = ", ".join(d for d in detail if d)
    return f"{tokens:,.0f} tokens/s, {_flops(flops)} achieved" + (f" ({extra})" if extra else "")


def _mfu_table(mfu: Mapping[str, Any]) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False, expand=False)
    table.add_column("MFU", justify="right", no_wrap=True)
    table.add_column("against", overflow="fold")
    table.add_column("denominator", justify="right")
    table.add_column("source", overflow="fold")
    for key, label in _MFU_LABELS:
        figure = mfu.get(key)
        if not isinstance(figure, Mapping):
            table.add_row(DASH, label, DASH, f"unknown: {_reason(mfu, key)}")
            continue
        value = _number(figure, "value")
        denominator = _number(figure, "denominator_flops")
        if value is None:
            source = f"unknown: {figure.get('reason') or 'no reason given'}"
        else:
            source = _short_source(str(figure.get("source") or ""))
        table.add_row(
            _percent(value) + (" (!)" if value is not None and value > 1 else ""),
            label,
            _flops(denominator) if denominator else DASH,
            source,
        )
    return table


def _mfu_notes(mfu: Mapping[str, Any]) -> list[str]:
    """Each figure's note; an MFU above 100% always gets one, from the figure or here."""
    notes = []
    for key, label in _MFU_LABELS:
        figure = mfu.get(key)
        if not isinstance(figure, Mapping):
            continue
        value = _number(figure, "value")
        note = figure.get("note")
        if note:
            notes.append(str(note))
        elif value is not None and value > 1:
            notes.append(
                f"(!) {_percent(value)} {label} is above 100%, which no run can reach: that "
                "denominator is too low for this machine; MFU against the measured peak is the "
                "trustworthy one"
            )
    return notes


def _percent(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.2%}" if value >= 0.001 else f"{value:.4%}"


def _short_source(source: str) -> str:
    """The first clause of a source (the JSON keeps it whole), flagged when estimated.

    Clauses end at a ";" outside parentheses.
    """
    depth, end = 0, len(source)
    for index, char in enumerate(source):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            end = index
            break
    head = source[:end].strip()
    if source.rstrip().endswith("estimated") and head != source.strip():
        head += " (estimated)"
    return head


def _steps(payload: Mapping[str, Any]) -> str:
    stopped = payload.get("stopped_by")
    budget = _number(payload, "budget_s")
    stop_words = {
        "budget": f"the {budget:g} s budget was spent" if budget else "the budget was spent",
        "ci": "the mean was known within +-2%",
        "max_steps": "max_steps was reached",
        "interrupted": "interrupted (Ctrl-C)",
    }.get(str(stopped), str(stopped) if stopped else _missing(payload, "stopped_by"))
    steps = _mapping(payload, "step_time_ms")
    median, p10, p90 = (_number(steps, k) for k in ("median", "p10", "p90"))
    if median is None:
        return f"Step time {_missing(payload, 'step_time_ms')}; stopped because {stop_words}."
    median_ci = _number(steps, "median_ci95_halfwidth_fraction")
    mean_ci = _number(steps, "ci95_halfwidth_fraction")
    mean = _number(steps, "mean")
    spread = [f"p10 {p10:.1f}" if p10 is not None else None]
    spread.append(f"p90 {p90:.1f}" if p90 is not None else None)
    if mean is not None:
        spread.append(f"mean {mean:.1f}" + (f" +-{mean_ci:.1%}" if mean_ci is not None else ""))
    count = steps.get("steps", DASH)
    return (
        f"Step time over {count} steps: median {median:.1f} ms"
        + (f" +-{median_ci:.1%}" if median_ci is not None else "")
        + f" ({', '.join(s for s in spread if s)}); stopped because {stop_words}."
    )


def _outside(payload: Mapping[str, Any]) -> str:
    warm = [w for w in _list(payload, "warmup_step_ms") if isinstance(w, (int, float))]
    warmup_s = _number(payload, "warmup_s")
    parts = [f"{len(warm)} warm-up steps" + (f", {warmup_s:.2f} s" if warmup_s is not None else "")]
    compile_s = _number(payload, "compile_s")
    if compile_s is not None:
        parts.append(f"compile step {compile_s:.1f} s")
    if warm:
        parts.append(f"first step {warm[0]:.0f} ms")
    memory = _number(payload, "peak_memory_bytes")
    if memory is not None:
        kind = payload.get("peak_memory_kind")
        parts.append(f"peak memory {memory / 2**20:,.0f} MiB" + (f" ({kind})" if kind else ""))
    loss_first, loss_last = _number(payload, "loss_first"), _number(payload, "loss_last")
    if loss_first is not None and loss_last is not None:
        parts.append(f"loss {loss_first:.3f} -> {loss_last:.3f}")
    return "Outside the figures: " + "; ".join(parts) + "."


def _roofline(roofline: Mapping[str, Any]) -> str:
    rows = []
    for dtype, entry in _mapping(roofline, "dtypes").items():
        if not isinstance(entry, Mapping):
            continue
        points = [p for p in _list(entry, "model_shapes") if isinstance(p, Mapping)]
        at_model = [f for p in points if (f := _number(p, "flops_per_s"))]
        at_batch = [
            f for p in points if (f := _number(p, "flops_per_s")) and p.get("batch_multiple") == 1
        ]
        best = _number(entry, "best_flops")
        text = f"{dtype} best {_flops(best)}" if best else f"{dtype} not measured"
        if at_batch:
            text += f", model GEMMs at this batch {_flops(min(at_batch))}-{_flops(max(at_batch))}"
        elif at_model:
            text += f", model GEMMs {_flops(min(at_model))}-{_flops(max(at_model))}"
        rows.append(text)
    bandwidth = _number(roofline, "memory_bandwidth_bytes_per_s")
    if bandwidth:
        rows.append(f"memory {bandwidth / 1e9:,.1f} GB/s")
    sweep_s = _number(roofline, "sweep_s")
    if roofline.get("from_cache"):
        origin = "cached"
    else:
        origin = f"measured in {sweep_s:.1f} s" if sweep_s is not None else "measured"
    return f"Roofline ({origin}): " + ("; ".join(rows) or DASH) + "."


def _paired(paired: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    config = _mapping(payload, "config")
    changes = _mapping(paired, "changes")
    change = ", ".join(f"{k} {config.get(k, '?')} -> {v}" for k, v in changes.items()) or DASH
    speedup = _number(paired, "speedup")
    noise = _number(paired, "noise")
    pairs = paired.get("pairs", DASH)
    if speedup is None:
        result = f"speedup {_missing(paired, 'speedup')}"
    else:
        interval = f" +-{noise:.1%}" if noise is not None else f" ({_reason(paired, 'noise')})"
        result = f"{speedup:.2f}x tokens/s{interval} over {pairs} pairs of blocks"
    tokens = _number(paired, "tokens_per_s")
    base = _number(payload, "tokens_per_s")
    rates = f"; {tokens:,.0f} vs {base:,.0f} tokens/s" if tokens and base else ""
    compile_s = _number(paired, "compile_s")
    compiled = f"; its compile step {compile_s:.1f} s" if compile_s is not None else ""
    return f"Variant ({change}), measured interleaved with the run: {result}{rates}{compiled}."


def _flops(value: Any, unit: str = "FLOP/s") -> str:
    """1.23e11 -> "123.0 GFLOP/s"."""
    if value is None:
        return DASH
    number = float(value)
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= scale:
            return f"{number / scale:,.1f} {prefix}{unit}"
    return f"{number:,.0f} {unit}"

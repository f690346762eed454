"""Terminal section for ``analyze``: what the log says, the true MFU, and what the log's MFU meant.

Renders from the JSON payload only (docs/schemas/analyze.schema.json), so a
saved result re-renders the same. Every field is read tolerantly
(report/values.py): a missing or null value prints as "—" with its reason,
never as "None" or an empty "()", so an older or partial result still reads
well. Every payload string goes through ``rich.text.Text``, never rich markup,
so log text such as ``[bold]`` prints as is. Lines wrap at the console's width.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mfu_advisor.report.values import (
    DASH,
    Missing,
    items,
    lookup,
    mapping,
    number,
    numbers,
    text,
)

_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print an analyze result: header, key figures, the MFU explanation, missing figures, notes."""
    console.print(_header(payload))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in _rows(payload):
        table.add_row(Text(label), value)
    console.print(table)
    _render_ranks(payload, console)
    sentence = explain_mfu(payload)
    if sentence:
        console.print()
        console.print(Text(sentence))
    missing = [m for m in items(payload, "missing") if isinstance(m, Mapping)]
    if missing:
        console.print()
    for item in missing:
        line = Text("missing: ", style="yellow")
        line.append(": ".join(p for p in (_plain(item, "figure"), _plain(item, "reason")) if p))
        console.print(line)
    for note in items(payload, "notes"):
        line = Text("note: ", style="dim")
        line.append(str(note))
        console.print(line)


_SCOPES = {"per_rank": "per rank", "job": "the whole job", "unknown": "not known"}


def _render_ranks(payload: Mapping[str, Any], console: Console) -> None:
    """The compact "Ranks" part of a multi-process log; nothing for a one-process log."""
    dist = mapping(payload, "distributed")
    if not dist:
        return
    console.print()
    console.print(Text("Ranks", style="bold"))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    world = number(dist, "world_size")
    if isinstance(world, Missing):
        table.add_row(Text("world size"), _dash(world.reason))
    else:
        shown = (
            f"{'at least ' if lookup(dist, 'world_size_lower_bound') is True else ''}{world:.0f}"
        )
        table.add_row(
            Text("world size"),
            _with_detail(Text(shown, style="bold"), _plain(dist, "world_size_source")),
        )
    parallel = _plain(dist, "parallel") or "unknown"
    backend = _plain(dist, "backend")
    ranks = [str(r) for r in items(dist, "ranks_seen")]
    detail = ", ".join(
        p
        for p in (
            f"backend {backend}" if backend else "",
            f"lines of rank{'s' if len(ranks) > 1 else ''} {', '.join(ranks)}" if ranks else "",
        )
        if p
    )
    table.add_row(Text("parallelism"), _with_detail(Text(parallel), detail))
    mfu_scope = _SCOPES.get(_plain(dist, "mfu_scope"), "not known")
    tokens_scope = _SCOPES.get(_plain(dist, "tokens_per_s_scope"), "not known")
    table.add_row(Text("log's figures"), Text(f"MFU {mfu_scope}; tokens/s {tokens_scope}"))
    job = []
    tokens = number(dist, "job.tokens_per_s")
    if not isinstance(tokens, Missing):
        job.append(f"{tokens:,.0f} tokens/s")
    achieved = number(dist, "job.achieved_flops")
    if not isinstance(achieved, Missing):
        job.append(f"{_si(achieved)}FLOP/s")
    mfu = number(dist, "job.mfu")
    peak = number(dist, "job.peak_flops")
    if not isinstance(mfu, Missing) and not isinstance(peak, Missing):
        job.append(f"MFU {pct(mfu)} of {_si(peak)}FLOP/s")
    if job:
        table.add_row(Text("job"), Text(", ".join(job)))
    else:
        table.add_row(Text("job"), _missing(dist, "job.tokens_per_s"))
    spread = number(dist, "straggler.spread")
    if not isinstance(spread, Missing):
        slowest = _num(lookup(dist, "straggler.slowest_rank"))
        median = _num(lookup(dist, "straggler.median_rank"))
        table.add_row(
            Text("straggler"),
            Text(
                f"rank {slowest} {pct(spread)} slower than the median rank ({median})",
                style="yellow" if spread >= 0.10 else "",
            ),
        )
    console.print(table)
    per_rank = [r for r in items(dist, "per_rank") if isinstance(r, Mapping)]
    if per_rank:
        ranks_table = Table(box=None, padding=(0, 2), show_edge=False)
        for name in ("rank", "step lines", "steady step", "tokens/s"):
            ranks_table.add_column(name, justify="right")
        for entry in per_rank:
            step = number(entry, "steady_step_time_ms")
            tok = number(entry, "tokens_per_s")
            ranks_table.add_row(
                _num(lookup(entry, "rank")),
                _num(lookup(entry, "steps")),
                DASH if isinstance(step, Missing) else _ms(step),
                DASH if isinstance(tok, Missing) else f"{tok:,.0f}",
            )
        console.print(ranks_table)
    for note in items(dist, "notes"):
        line = Text("note: ", style="dim")
        line.append(str(note))
        console.print(line)


def _plain(data: Any, path: str) -> str:
    """Text at ``path``, or "" when the result does not hold it."""
    value = text(data, path)
    return "" if isinstance(value, Missing) else value


def _count(data: Any, path: str) -> int:
    value = number(data, path)
    return 0 if isinstance(value, Missing) else int(value)


def _dash(reason: str) -> Text:
    """A missing value: a dim dash and why."""
    return Text(f"{DASH} ({reason or 'not in this result'})", style="dim")


def _missing(data: Any, path: str) -> Text:
    """A dim dash with the reason the result gives for the value at ``path``."""
    value = lookup(data, path)
    return _dash(value.reason if isinstance(value, Missing) else "")


def _with_detail(shown: Text, detail: str) -> Text:
    """``shown`` and, when there is one, ``  (detail)`` in dim."""
    if detail:
        shown.append(f"  ({detail})", style="dim")
    return shown


def _header(payload: Mapping[str, Any]) -> Text:
    title = _plain(payload, "format_title") or _plain(payload, "format") or "unknown format"
    variant = _plain(payload, "format_variant")
    files = [f for f in items(payload, "files") if isinstance(f, Mapping)]
    lines = sum(_count(f, "lines") for f in files)
    not_understood = sum(_count(f, "lines_not_understood") for f in files)
    head = Text(f"{title}{' ' + variant if variant else ''} log", style="bold")
    confidence = number(payload, "format_confidence")
    if not isinstance(confidence, Missing):
        head.append(f"  (format confidence {confidence:.0%})")
    counts = []
    if files:
        counts.append(f"{lines:,} lines")
    steps = number(payload, "steps")
    if not isinstance(steps, Missing):
        counts.append(f"{steps:,.0f} step lines")
    if not_understood:
        counts.append(f"{not_understood:,} lines not understood")
    names = ", ".join(_plain(f, "name") or "?" for f in files)
    if names or counts:
        head.append(f"\n{names}{': ' if names and counts else ''}{', '.join(counts)}")
    return head


def _rows(payload: Mapping[str, Any]) -> list[tuple[str, Text]]:
    return [
        ("steady step time", _step_text(payload)),
        ("throughput", _tokens_text(payload)),
        ("FLOPs per token", _flops_per_token_text(payload)),
        ("achieved", _achieved_text(payload)),
        ("MFU", _mfu_text(payload)),
        ("log's own MFU", _reported_text(payload)),
        ("evaluation", _eval_text(payload)),
        ("jitter", _jitter_text(payload)),
        ("restarts", _restart_text(payload)),
        ("loss", _loss_text(payload)),
    ]


def _step_text(payload: Mapping[str, Any]) -> Text:
    step = number(payload, "steady_step_time_ms")
    if isinstance(step, Missing):
        return _dash(step.reason)
    details = [_plain(payload, "step_time_source")]
    warmup = _count(payload, "warmup_steps")
    if warmup:
        part = f"{warmup} warm-up step{'s' if warmup != 1 else ''} excluded"
        first = number(payload, "warmup.first_step_time_ms")
        ratio = number(payload, "warmup.first_over_steady")
        if not isinstance(first, Missing) and not isinstance(ratio, Missing):
            part += f"; first step {_ms(first)} = {ratio:.1f}x steady"
        details.append(part)
    return _with_detail(Text(_ms(step), style="bold"), "; ".join(d for d in details if d))


def _tokens_text(payload: Mapping[str, Any]) -> Text:
    tokens = number(payload, "tokens_per_s")
    if isinstance(tokens, Missing):
        return _dash(tokens.reason)
    scope = " per device" if lookup(payload, "tokens_per_s_scope") == "device" else ""
    per_step = number(payload, "tokens_per_step")
    detail = "" if isinstance(per_step, Missing) else f"{per_step:,.0f} tokens per step"
    return _with_detail(Text(f"{tokens:,.0f} tokens/s{scope}", style="bold"), detail)


def _flops_per_token_text(payload: Mapping[str, Any]) -> Text:
    value = number(payload, "flops_per_token")
    if isinstance(value, Missing):
        return _dash(value.reason)
    return _with_detail(Text(f"{_si(value)}FLOP"), _plain(payload, "flops_per_token_source"))


def _achieved_text(payload: Mapping[str, Any]) -> Text:
    value = number(payload, "achieved_flops")
    if isinstance(value, Missing):
        return _dash(value.reason)
    devices = number(payload, "devices")
    detail = ""
    if not isinstance(devices, Missing) and devices > 1:
        source = _plain(payload, "devices_source")
        detail = f"{devices:.0f} devices" + (f": {source}" if source else "")
    return _with_detail(Text(f"{_si(value)}FLOP/s per device", style="bold"), detail)


def _mfu_text(payload: Mapping[str, Any]) -> Text:
    value = number(payload, "mfu.value")
    if isinstance(value, Missing):
        return _dash(value.reason)
    shown = Text(pct(value), style="bold green")
    source = _plain(payload, "mfu.source")
    if source:
        shown.append(f"  of {source}")
    return shown


def _reported_text(payload: Mapping[str, Any]) -> Text:
    reported = number(payload, "reported_mfu")
    if isinstance(reported, Missing):
        reason = reported.reason
        if lookup(payload, "reference_detail.kind") == "unknown":
            reason = _plain(payload, "reference_detail.note") or reason
        elif reason == "not in this result":
            reason = "the log prints no MFU"
        return _dash(reason)
    shown = Text(pct(reported))
    reference = _plain(payload, "reference")
    shown.append(f" relative to {reference}" if reference else " (reference not known)")
    recomputed = number(payload, "mfu_vs_reference.value")
    if not isinstance(recomputed, Missing):
        shown.append(f"; recomputed from the log: {pct(recomputed)}", style="dim")
    return shown


def _eval_text(payload: Mapping[str, Any]) -> Text:
    count = number(payload, "evals.count")
    evaluations = (
        "" if isinstance(count, Missing) else f"{count:.0f} evaluation{'s' if count != 1 else ''}"
    )
    fraction = number(payload, "eval_time_fraction")
    if isinstance(fraction, Missing):
        shown = _dash(fraction.reason)
        if evaluations:
            shown.append(f"  {evaluations}", style="dim")
        return shown
    return _with_detail(Text(f"{pct(fraction)} of wall time"), evaluations)


def _jitter_text(payload: Mapping[str, Any]) -> Text:
    figures = numbers(payload, "jitter.cv", "jitter.p90_over_p50")
    if isinstance(figures, Missing):
        reason = figures.reason
        if reason in ("", "not in this result") and mapping(payload, "jitter"):
            reason = "fewer than two steady step times"
        return _dash(reason)
    cv, ratio = figures
    shown = Text(f"CV {cv:.0%}, p90/p50 {ratio:.2f}")
    stalls = _count(payload, "jitter.stalls")
    threshold = number(payload, "jitter.stall_threshold_ms")
    if stalls and not isinstance(threshold, Missing):
        shown.append(
            f", {stalls} stall{'s' if stalls != 1 else ''} (steps over {_ms(threshold)})",
            style="yellow",
        )
    return shown


def _restart_text(payload: Mapping[str, Any]) -> Text:
    count = number(payload, "restart_count")
    if isinstance(count, Missing):
        return _dash(count.reason)
    if not count:
        return Text("none")
    runs = number(payload, "runs")
    runs_text = "" if isinstance(runs, Missing) else f"; {runs:.0f} runs"
    shown = Text(f"{count:.0f} (the step number goes back{runs_text})", style="yellow")
    first = mapping(payload, "restarts.0")
    if first:
        where = ":".join(p for p in (_plain(first, "file"), _plain(first, "line")) if p)
        kind = _plain(first, "kind")
        shown.append(
            f"  first {'at ' + where + ', ' if where else ''}"
            f"step {_num(lookup(first, 'from_step'))} -> {_num(lookup(first, 'to_step'))}"
            + (f" ({kind})" if kind else ""),
            style="dim",
        )
    return shown


def _loss_text(payload: Mapping[str, Any]) -> Text:
    losses = numbers(payload, "loss.first", "loss.last")
    if isinstance(losses, Missing):
        reason = losses.reason
        return _dash("the log prints no loss" if reason in ("", "not in this result") else reason)
    first, last = losses
    trend = _plain(payload, "loss.trend")
    shown = Text(f"{first:.4g} -> {last:.4g}" + (f" ({trend})" if trend else ""))
    if trend == "constant":
        shown.stylize("yellow")
    nan_steps = _count(payload, "loss.nan_steps")
    if nan_steps:
        shown.append(f", {nan_steps} steps with a NaN loss", style="red")
    return shown


def explain_mfu(payload: Mapping[str, Any]) -> str:
    """The plain sentence: what the log's MFU means in FLOP/s, and that on the real hardware.

    E.g. "nanoGPT's 0.02% means 62.4 GFLOP/s against an A100's 312 TFLOP/s;
    on your Intel Core i7-1260P that is about 6.0% of its fp32 peak (1.04 TFLOP/s)."
    A figure the payload lacks leaves its clause out; nothing prints as "None".
    """
    title = _plain(payload, "format_title") or _plain(payload, "format") or "The log"
    reported = number(payload, "reported_mfu")
    implied = number(payload, "achieved_flops_implied")
    reference_flops = number(payload, "reference_flops")
    peak_flops = number(payload, "peak.flops")
    hardware = _plain(payload, "peak.hardware")
    dtype = _plain(payload, "peak.dtype")
    of_peak = f"{dtype} peak" if dtype else "peak"
    parts: list[str] = []
    if (
        not isinstance(reported, Missing)
        and not isinstance(implied, Missing)
        and not isinstance(reference_flops, Missing)
    ):
        keyed = _plain(payload, "reference_detail.keyed_to")
        reference = _plain(payload, "reference") or f"{_si(reference_flops)}FLOP/s"
        against = f"{_article(keyed)}'s {_si(reference_flops)}FLOP/s" if keyed else reference
        sentence = f"{title}'s {pct(reported)} means {_si(implied)}FLOP/s against {against}"
        rescaled = number(payload, "mfu_from_reported.value")
        if not isinstance(rescaled, Missing) and not isinstance(peak_flops, Missing):
            if hardware:
                sentence += f"; on your {hardware} that is about {pct(rescaled)} of its {of_peak}"
            else:
                sentence += f"; that is about {pct(rescaled)} of the {of_peak} you gave"
            sentence += f" ({_si(peak_flops)}FLOP/s)"
            if rescaled > 1:
                sentence += ", more than that peak, so the run cannot have used that hardware"
        elif isinstance(peak_flops, Missing):
            sentence += (
                "; give --hardware or --peak-tflops to see that on the hardware the run used"
            )
        parts.append(sentence + ".")
        if lookup(payload, "reference_detail.applies_to_run") is False and keyed:
            parts.append(
                f"The run did not use {_article(keyed)}, so the log's MFU compares it with "
                "other hardware."
            )
    elif lookup(payload, "reference_detail.kind") == "unknown":
        note = _plain(payload, "reference_detail.note")
        if note:
            parts.append(note + ".")
    mfu = number(payload, "mfu.value")
    achieved = number(payload, "achieved_flops")
    if not isinstance(mfu, Missing) and not isinstance(achieved, Missing):
        whose = f"the {of_peak} of {hardware}." if hardware else f"the {of_peak} you gave."
        parts.append(
            f"Recomputed from the log: {_si(achieved)}FLOP/s per device, {pct(mfu)} of {whose}"
        )
    return " ".join(parts)


def pct(fraction: float) -> str:
    """A fraction as a percentage with sensible digits: 16.6%, 3.1%, 0.019%."""
    value = fraction * 100
    if not math.isfinite(value):
        return DASH
    if abs(value) >= 10:
        return f"{value:.1f}%"
    if abs(value) >= 1:
        return f"{value:.2f}%"
    if value == 0:
        return "0%"
    digits = max(2, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}%"


def _si(value: float) -> str:
    for scale, prefix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g} "


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.2f} s"


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"


def _article(name: str) -> str:
    """ "an A100", "an H100", "a GPU": names read letter by letter take "an" before a vowel."""
    if name.startswith(("its ", "the ")):
        return name
    return ("an " if name[:1].upper() in "AEFHILMNORSX8" else "a ") + name

"""Terminal section for ``analyze``: what the log says, the true MFU, and what the log's MFU meant.

Renders from the JSON payload only (docs/schemas/analyze.schema.json), so a
saved result re-renders the same. Every payload string goes through
``rich.text.Text``, never rich markup, so log text such as ``[bold]`` prints as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print an analyze result: header, key figures, the MFU explanation, missing figures, notes."""
    console.print(_header(payload), soft_wrap=True)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in _rows(payload):
        table.add_row(Text(label), value)
    console.print(table)
    sentence = explain_mfu(payload)
    if sentence:
        console.print()
        console.print(Text(sentence), soft_wrap=True)
    missing = payload.get("missing") or ()
    if missing:
        console.print()
        for item in missing:
            if isinstance(item, Mapping):
                line = Text("missing: ", style="yellow")
                line.append(f"{item.get('figure')}: {item.get('reason')}")
                console.print(line, soft_wrap=True)
    for note in payload.get("notes") or ():
        line = Text("note: ", style="dim")
        line.append(str(note))
        console.print(line, soft_wrap=True)


def _header(payload: Mapping[str, Any]) -> Text:
    title = str(payload.get("format_title") or payload.get("format") or "?")
    variant = payload.get("format_variant")
    files = [f for f in payload.get("files") or () if isinstance(f, Mapping)]
    lines = sum(int(f.get("lines") or 0) for f in files)
    not_understood = sum(int(f.get("lines_not_understood") or 0) for f in files)
    head = Text(f"{title}{' ' + str(variant) if variant else ''} log", style="bold")
    confidence = payload.get("format_confidence")
    if isinstance(confidence, (int, float)):
        head.append(f"  (format confidence {confidence:.0%})")
    names = ", ".join(str(f.get("name")) for f in files)
    head.append(f"\n{names}: {lines:,} lines, {int(payload.get('steps') or 0):,} step lines")
    if not_understood:
        head.append(f", {not_understood:,} lines not understood")
    return head


def _rows(payload: Mapping[str, Any]) -> list[tuple[str, Text]]:
    rows: list[tuple[str, Text]] = []
    reasons = payload.get("unavailable") or {}

    def missing(key: str) -> Text:
        return Text(f"— ({reasons.get(key, 'not in this result')})", style="dim")

    step = payload.get("steady_step_time_ms")
    if isinstance(step, (int, float)):
        text = Text(_ms(step), style="bold")
        detail = [str(payload.get("step_time_source") or "")]
        warmup = payload.get("warmup") or {}
        if payload.get("warmup_steps"):
            first, ratio = warmup.get("first_step_time_ms"), warmup.get("first_over_steady")
            n = int(payload["warmup_steps"])
            part = f"{n} warm-up step{'s' if n != 1 else ''} excluded"
            if isinstance(first, (int, float)) and isinstance(ratio, (int, float)):
                part += f"; first step {_ms(first)} = {ratio:.1f}x steady"
            detail.append(part)
        text.append(f"  ({'; '.join(d for d in detail if d)})", style="dim")
        rows.append(("steady step time", text))
    else:
        rows.append(("steady step time", missing("steady_step_time_ms")))

    tokens = payload.get("tokens_per_s")
    if isinstance(tokens, (int, float)):
        scope = " per device" if payload.get("tokens_per_s_scope") == "device" else ""
        text = Text(f"{tokens:,.0f} tokens/s{scope}", style="bold")
        per_step = payload.get("tokens_per_step")
        if isinstance(per_step, (int, float)):
            text.append(f"  ({per_step:,.0f} tokens per step)", style="dim")
        rows.append(("throughput", text))
    else:
        rows.append(("throughput", missing("tokens_per_s")))

    fpt = payload.get("flops_per_token")
    if isinstance(fpt, (int, float)):
        text = Text(f"{_si(fpt)}FLOP")
        text.append(f"  ({payload.get('flops_per_token_source') or ''})", style="dim")
        rows.append(("FLOPs per token", text))
    else:
        rows.append(("FLOPs per token", missing("flops_per_token")))

    achieved = payload.get("achieved_flops")
    if isinstance(achieved, (int, float)):
        text = Text(f"{_si(achieved)}FLOP/s per device", style="bold")
        devices = payload.get("devices")
        if isinstance(devices, int) and devices > 1:
            text.append(f"  ({devices} devices: {payload.get('devices_source')})", style="dim")
        rows.append(("achieved", text))
    else:
        rows.append(("achieved", missing("achieved_flops")))

    rows.append(("MFU", _mfu_text(payload.get("mfu"))))
    rows.append(("log's own MFU", _reported_text(payload)))
    rows.append(("evaluation", _eval_text(payload, missing)))
    rows.append(("jitter", _jitter_text(payload.get("jitter") or {})))
    rows.append(("restarts", _restart_text(payload)))
    rows.append(("loss", _loss_text(payload.get("loss") or {})))
    return rows


def _mfu_text(figure: Any) -> Text:
    if not isinstance(figure, Mapping):
        return Text("—", style="dim")
    value = figure.get("value")
    if isinstance(value, (int, float)):
        text = Text(pct(value), style="bold green")
        text.append(f"  of {figure.get('source')}", style="")
        return text
    return Text(f"— ({figure.get('reason')})", style="dim")


def _reported_text(payload: Mapping[str, Any]) -> Text:
    reported = payload.get("reported_mfu")
    reference = payload.get("reference")
    if not isinstance(reported, (int, float)):
        reason = (payload.get("unavailable") or {}).get("reported_mfu", "the log prints no MFU")
        detail = payload.get("reference_detail") or {}
        if detail.get("kind") == "unknown":
            reason = str(detail.get("note"))
        return Text(f"— ({reason})", style="dim")
    text = Text(pct(reported))
    text.append(f" relative to {reference}" if reference else " (reference not known)")
    recomputed = (payload.get("mfu_vs_reference") or {}).get("value")
    if isinstance(recomputed, (int, float)):
        text.append(f"; recomputed from the log: {pct(recomputed)}", style="dim")
    return text


def _eval_text(payload: Mapping[str, Any], missing: Any) -> Text:
    evals = payload.get("evals") or {}
    fraction = payload.get("eval_time_fraction")
    count = int(evals.get("count") or 0)
    if isinstance(fraction, (int, float)):
        text = Text(f"{pct(fraction)} of wall time")
        text.append(f"  ({count} evaluation{'s' if count != 1 else ''})", style="dim")
        return text
    text = missing("eval_time_fraction")
    text.append(f"  {count} evaluation{'s' if count != 1 else ''}", style="dim")
    return text


def _jitter_text(jitter: Mapping[str, Any]) -> Text:
    cv, ratio = jitter.get("cv"), jitter.get("p90_over_p50")
    if not isinstance(cv, (int, float)) or not isinstance(ratio, (int, float)):
        return Text("— (fewer than two steady step times)", style="dim")
    text = Text(f"CV {cv:.0%}, p90/p50 {ratio:.2f}")
    stalls = int(jitter.get("stalls") or 0)
    threshold = jitter.get("stall_threshold_ms")
    if stalls and isinstance(threshold, (int, float)):
        text.append(
            f", {stalls} stall{'s' if stalls != 1 else ''} (steps over {_ms(threshold)})",
            style="yellow",
        )
    return text


def _restart_text(payload: Mapping[str, Any]) -> Text:
    count = int(payload.get("restart_count") or 0)
    if not count:
        return Text("none")
    restarts = payload.get("restarts") or ()
    first = restarts[0] if restarts and isinstance(restarts[0], Mapping) else {}
    text = Text(
        f"{count} (the step number goes back; {payload.get('runs', 1)} runs)", style="yellow"
    )
    if first:
        text.append(
            f"  first at {first.get('file')}:{first.get('line')}, "
            f"step {_num(first.get('from_step'))} "
            f"-> {_num(first.get('to_step'))} ({first.get('kind')})",
            style="dim",
        )
    return text


def _loss_text(loss: Mapping[str, Any]) -> Text:
    first, last = loss.get("first"), loss.get("last")
    if not isinstance(first, (int, float)) or not isinstance(last, (int, float)):
        return Text("— (the log prints no loss)", style="dim")
    text = Text(f"{first:.4g} -> {last:.4g} ({loss.get('trend')})")
    if loss.get("trend") == "constant":
        text.stylize("yellow")
    nan_steps = int(loss.get("nan_steps") or 0)
    if nan_steps:
        text.append(f", {nan_steps} steps with a NaN loss", style="red")
    return text


def explain_mfu(payload: Mapping[str, Any]) -> str:
    """The plain sentence: what the log's MFU means in FLOP/s, and that on the real hardware.

    E.g. "nanoGPT's 0.02% means 62.4 GFLOP/s against an A100's 312 TFLOP/s;
    on your Intel Core i7-1260P that is about 6.0% of its fp32 peak (1.04 TFLOP/s)."
    """
    title = str(payload.get("format_title") or payload.get("format") or "The log")
    reported = payload.get("reported_mfu")
    implied = payload.get("achieved_flops_implied")
    detail = payload.get("reference_detail") or {}
    reference_flops = payload.get("reference_flops")
    peak = payload.get("peak") or {}
    peak_flops = peak.get("flops")
    has_peak = isinstance(peak_flops, (int, float))
    hardware = peak.get("hardware")
    dtype = peak.get("dtype")
    of_peak = f"its {dtype} peak" if dtype else "its peak"
    parts: list[str] = []
    if (
        isinstance(reported, (int, float))
        and isinstance(implied, (int, float))
        and isinstance(reference_flops, (int, float))
    ):
        keyed = detail.get("keyed_to")
        against = (
            f"{_article(keyed)}'s {_si(reference_flops)}FLOP/s"
            if keyed
            else f"{payload.get('reference') or _si(reference_flops) + 'FLOP/s'}"
        )
        sentence = f"{title}'s {pct(reported)} means {_si(implied)}FLOP/s against {against}"
        rescaled = (payload.get("mfu_from_reported") or {}).get("value")
        if isinstance(rescaled, (int, float)) and has_peak:
            if hardware:
                sentence += f"; on your {hardware} that is about {pct(rescaled)} of {of_peak}"
            else:
                sentence += f"; that is about {pct(rescaled)} of the {dtype or ''} peak you gave"
            sentence += f" ({_si(peak_flops)}FLOP/s)"
            if rescaled > 1:
                sentence += ", more than that peak, so the run cannot have used that hardware"
        elif not has_peak:
            sentence += (
                "; give --hardware or --peak-tflops to see that on the hardware the run used"
            )
        parts.append(sentence + ".")
        if detail.get("applies_to_run") is False and keyed:
            parts.append(
                f"The run did not use {_article(keyed)}, so the log's MFU compares it with "
                "other hardware."
            )
    elif detail.get("kind") == "unknown":
        parts.append(str(detail.get("note")) + ".")
    mfu = payload.get("mfu") or {}
    if isinstance(mfu.get("value"), (int, float)) and isinstance(
        payload.get("achieved_flops"), (int, float)
    ):
        parts.append(
            f"Recomputed from the log: {_si(payload['achieved_flops'])}FLOP/s per device, "
            f"{pct(mfu['value'])} of {of_peak.replace('its ', 'the ')}"
            + (f" of {hardware}." if hardware else " you gave.")
        )
    return " ".join(parts)


def pct(fraction: float) -> str:
    """A fraction as a percentage with sensible digits: 16.6%, 3.1%, 0.019%."""
    value = fraction * 100
    if not math.isfinite(value):
        return "—"
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
    return f"{value:g}" if isinstance(value, (int, float)) else "?"


def _article(name: Any) -> str:
    """ "an A100", "an H100", "a GPU": names read letter by letter take "an" before a vowel."""
    text = str(name)
    if text.startswith(("its ", "the ")):
        return text
    return ("an " if text[:1].upper() in "AEFHILMNORSX8" else "a ") + text

"""What bench and analyze payloads share: MFU figures, the headline, the step series."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import (
    Chart,
    Figure,
    Headline,
    KeyValues,
    Paragraph,
    Table,
    Tone,
)
from mfu_advisor.report.series import series_length
from mfu_advisor.report.values import Cell, Missing

#: Bench's three MFU denominators (issue 3), in the order reports show them.
MFU_DENOMINATORS: tuple[tuple[str, str], ...] = (
    ("device_peak", "device peak"),
    ("measured_peak", "measured matmul peak"),
    ("a100_reference", "A100 reference (nanoGPT)"),
)


#: analyze's extra MFU figures (issue 4), shown in its table and chart, not its headline.
ANALYZE_EXTRA_FIGURES: tuple[tuple[str, str], ...] = (
    ("mfu_from_reported", "the log's MFU, rescaled"),
    ("mfu_vs_reference", "the log's reference, recomputed"),
)


@dataclass(frozen=True)
class MfuFigure:
    """One MFU figure of a bench or analyze payload, for tables, headlines and charts."""

    key: str
    label: str
    value: float | Missing
    """A fraction of ``denominator_flops``."""
    denominator_flops: float | Missing
    source: str


def mfu_figures(run: Mapping[str, Any], *, headline: bool = False) -> list[MfuFigure]:
    """The MFU figures of a bench or analyze payload; ``headline`` keeps those a headline shows."""
    figures: list[MfuFigure] = []
    mfu = v.lookup(run, "mfu")
    if isinstance(mfu, Mapping) and "value" in mfu:
        # analyze: one figure against the hardware the user named.
        figures.append(_figure(run, "mfu", "your hardware"))
        if not headline:
            extra = [
                (k, label) for k, label in ANALYZE_EXTRA_FIGURES if isinstance(run.get(k), Mapping)
            ]
            figures += [_figure(run, key, label) for key, label in extra]
    elif isinstance(mfu, Mapping):
        figures += [_figure(run, f"mfu.{key}", label) for key, label in MFU_DENOMINATORS]
    elif isinstance(mfu, Missing):
        figures.append(MfuFigure("mfu", "your hardware", mfu, mfu, ""))
    if "reported_mfu" in run:
        reference = v.text(run, "reference")
        source = (
            "reference unknown" if isinstance(reference, Missing) else f"relative to {reference}"
        )
        reported, of = v.number(run, "reported_mfu"), v.number(run, "reference_flops")
        figures.append(MfuFigure("reported_mfu", "as the log printed it", reported, of, source))
    return figures


def _figure(run: Mapping[str, Any], path: str, label: str) -> MfuFigure:
    source = v.plain_text(run, f"{path}.source")
    value = v.number(run, f"{path}.value")
    denominator = v.number(run, f"{path}.denominator_flops")
    return MfuFigure(path.rsplit(".", 1)[-1], label, value, denominator, source)


def run_headline(run: Mapping[str, Any]) -> Headline:
    """Achieved FLOP/s, tokens/s and each MFU, labelled with its denominator."""
    figures = [
        Figure("achieved", v.flops(v.number(run, "achieved_flops")), "model FLOPs per second"),
        Figure("throughput", v.rate(v.number(run, "tokens_per_s")), ""),
    ]
    for mfu in mfu_figures(run, headline=True):
        denominator = mfu.denominator_flops
        detail = f"of {v.flops(denominator)}" if not isinstance(denominator, Missing) else ""
        label = f"MFU vs {mfu.label}"
        if mfu.key == "reported_mfu":
            detail, label = mfu.source, "MFU as the log printed it"
        tone = Tone.MUTED if mfu.key in ("a100_reference", "reported_mfu") else Tone.PLAIN
        figures.append(Figure(label, v.percent(mfu.value), detail, tone))
    return Headline(tuple(figures))


def mfu_table(run: Mapping[str, Any]) -> Table:
    """MFU against each denominator, with the denominator and its source; above 100% is marked."""
    rows: list[tuple[Cell, ...]] = []
    for mfu in mfu_figures(run):
        value, source = mfu.value, mfu.source
        if isinstance(value, Missing):
            why = f"unknown: {value.reason}" if value.reason else "unknown"
            source = f"{source}; {why}" if source else why
            shown: Cell = Missing()
        else:
            shown = f"{v.percent(value)} (!)" if value > 1 else v.percent(value)
        peak = v.flops(mfu.denominator_flops)
        rows.append((mfu.label, Missing() if isinstance(peak, Missing) else peak, shown, source))
    return Table(
        columns=("MFU against", "peak", "MFU", "source"),
        rows=tuple(rows),
        title="MFU against each denominator",
        numeric=(False, True, True, False),
        note=" ".join(_sentence(n) for n in mfu_notes(run)),
    )


def mfu_notes(run: Mapping[str, Any]) -> list[str]:
    """Each MFU figure's note; an MFU above 100% always gets one, from the figure or here."""
    notes: list[str] = []
    for mfu in mfu_figures(run):
        note = v.plain_text(run, f"mfu.{mfu.key}.note")
        if note:
            notes.append(note)
        elif not isinstance(mfu.value, Missing) and mfu.value > 1:
            notes.append(
                f"(!) {v.percent(mfu.value)} against the {mfu.label} is above 100%, which no run "
                "can reach: that denominator is too low for this machine; MFU against the "
                "measured peak is the trustworthy one"
            )
    return notes


def mfu_chart(run: Mapping[str, Any]) -> Chart:
    """Bars of MFU against each denominator."""
    bars, shown = [], []
    for mfu in mfu_figures(run):
        value, denominator = mfu.value, mfu.denominator_flops
        missing = isinstance(value, Missing)
        bars.append(
            {
                "label": mfu.label,
                "value": None if isinstance(value, Missing) else value,
                "reason": value.reason if isinstance(value, Missing) else "",
                "detail": mfu.source if isinstance(denominator, Missing) else v.flops(denominator),
            }
        )
        shown.append(f"{mfu.label}: {v.percent(Missing() if missing else value)}")
    return Chart("mfu", "MFU against each denominator", {"bars": bars}, caption="; ".join(shown))


def series_chart(run: Mapping[str, Any], title: str) -> Chart | None:
    """Step time and loss over steps, when the payload has a ``series``."""
    series = v.lookup(run, "series")
    if isinstance(series, Missing) or not series:
        return None
    steady = v.number(run, "steady_step_time_ms")
    if isinstance(steady, Missing):
        steady = v.number(run, "step_time_ms.median")
    warmup = v.number(run, "warmup_steps")
    every = v.number(run, "series_every")
    bucketed = not isinstance(every, Missing) and every > 1
    interval = v.number(run, "log_interval_steps")
    data = {
        "series": series,
        # A bucketed series holds the slowest step of each bucket, not every slow step.
        "bucketed": bucketed,
        "steady_step_time_ms": None if isinstance(steady, Missing) else steady,
        "warmup_steps": None if isinstance(warmup, Missing) else int(warmup),
        # A bucketed series (analyze keeps the fastest and slowest step of each bucket of a
        # long log) has no row per warm-up step: the chart places the warm-up by step number.
        "warmup_step_span": None
        if not bucketed or isinstance(warmup, Missing)
        else warmup * (1 if isinstance(interval, Missing) else interval),
    }
    points = series_length(series)
    total = v.number(run, "steps")
    if bucketed and not isinstance(total, Missing):
        caption = (
            f"{points:,} of {total:,.0f} step lines: the fastest and slowest of every "
            f"{every:,.0f}, and the evaluation steps"
        )
    else:
        caption = f"{points:,} steps"
    caption += v.clause(v.milliseconds(steady), "; steady median step time {}")
    if not isinstance(warmup, Missing) and warmup > 0:
        plural = "s" if warmup != 1 else ""
        caption += f"; shaded: {warmup:.0f} warm-up step{plural}, excluded from the figures"
    return Chart("series", title, data, caption=caption)


def notes_paragraph(
    data: Mapping[str, Any], tone: str = Tone.MUTED, *, shown: Sequence[str] = ()
) -> Paragraph | None:
    """The payload's ``notes`` as one paragraph, less those in ``shown``; None without notes."""
    notes = [str(n).strip() for n in v.items(data, "notes") if str(n).strip() and n not in shown]
    if not notes:
        return None
    sentences = [_sentence(n) for n in notes]
    return Paragraph("Notes: " + " ".join(sentences), tone=tone)


#: A note that starts with a plain lower-case word ("preset auto chose ...") and may take a
#: capital; "torch.compile ...", "--from-log: ..." or "bf16 ..." keep their spelling.
_PLAIN_FIRST_WORD = re.compile(r"^[a-z]+(?=[ ,;:])")


def _sentence(note: str) -> str:
    """A note as a sentence: a capital where the first word allows one, a full stop."""
    if _PLAIN_FIRST_WORD.match(note):
        note = note[0].upper() + note[1:]
    return note if note.endswith((".", "!", "?")) else note + "."


def absent(value: Cell) -> bool:
    """True for a key the result does not have at all (its row is left out; nulls stay)."""
    return isinstance(value, Missing) and value.reason == "not in this result"


def config_block(config: Mapping[str, Any], title: str) -> KeyValues:
    """A trainer configuration, values as the trainer prints them."""
    return KeyValues(tuple((str(k), v.config_value(x)) for k, x in config.items()), title=title)

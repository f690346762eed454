"""What bench and analyze payloads share: MFU figures, the headline, the step series."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


def mfu_figures(run: Mapping[str, Any], *, headline: bool = False) -> list[dict[str, Any]]:
    """The MFU figures of a bench or analyze payload: ``key``, ``label``, ``value``,
    ``denominator_flops`` and ``source`` each; ``headline`` keeps those a headline shows.
    """
    rows: list[dict[str, Any]] = []
    mfu = v.lookup(run, "mfu")
    if isinstance(mfu, Mapping) and "value" in mfu:
        # analyze: one figure against the hardware the user named.
        rows.append(_figure_row(run, "mfu", "your hardware"))
        if not headline:
            rows.extend(
                _figure_row(run, key, label)
                for key, label in ANALYZE_EXTRA_FIGURES
                if isinstance(run.get(key), Mapping)
            )
    elif isinstance(mfu, Mapping):
        for key, label in MFU_DENOMINATORS:
            rows.append(_figure_row(run, f"mfu.{key}", label))
    elif isinstance(mfu, Missing):
        rows.append(
            {
                "key": "mfu",
                "label": "your hardware",
                "value": mfu,
                "denominator_flops": mfu,
                "source": "",
            }
        )
    reported = v.number(run, "reported_mfu")
    if "reported_mfu" in run:
        reference = v.text(run, "reference")
        rows.append(
            {
                "key": "reported_mfu",
                "label": "as the log printed it",
                "value": reported,
                "denominator_flops": v.number(run, "reference_flops"),
                "source": f"relative to {reference}"
                if not isinstance(reference, Missing)
                else "reference unknown",
            }
        )
    return rows


def _figure_row(run: Mapping[str, Any], path: str, label: str) -> dict[str, Any]:
    source = v.text(run, f"{path}.source")
    return {
        "key": path.rsplit(".", 1)[-1],
        "label": label,
        "value": v.number(run, f"{path}.value"),
        "denominator_flops": v.number(run, f"{path}.denominator_flops"),
        "source": "" if isinstance(source, Missing) else source,
    }


def run_headline(run: Mapping[str, Any]) -> Headline:
    """Achieved FLOP/s, tokens/s and each MFU, labelled with its denominator."""
    figures = [
        Figure("achieved", v.flops(v.number(run, "achieved_flops")), "model FLOPs per second"),
        Figure("throughput", v.rate(v.number(run, "tokens_per_s")), ""),
    ]
    for row in mfu_figures(run, headline=True):
        denominator = row["denominator_flops"]
        detail = f"of {v.flops(denominator)}" if not isinstance(denominator, Missing) else ""
        if row["key"] == "reported_mfu":
            detail = str(row["source"])
        tone = Tone.MUTED if row["key"] in ("a100_reference", "reported_mfu") else Tone.PLAIN
        label = (
            "MFU as the log printed it"
            if row["key"] == "reported_mfu"
            else (f"MFU vs {row['label']}")
        )
        figures.append(Figure(label, v.percent(row["value"]), detail, tone))
    return Headline(tuple(figures))


def mfu_table(run: Mapping[str, Any]) -> Table:
    """MFU against each denominator, with the denominator and its source; above 100% is marked."""
    rows: list[tuple[Cell, ...]] = []
    for row in mfu_figures(run):
        value, denominator = row["value"], row["denominator_flops"]
        source = str(row["source"])
        if isinstance(value, Missing):
            why = f"unknown: {value.reason}" if value.reason else "unknown"
            source = f"{source}; {why}" if source else why
            shown: Cell = Missing()
        else:
            shown = f"{v.percent(value)} (!)" if value > 1 else v.percent(value)
        peak = Missing() if isinstance(denominator, Missing) else v.flops(denominator)
        rows.append((row["label"], peak, shown, source))
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
    for row in mfu_figures(run):
        note = v.text(run, f"mfu.{row['key']}.note")
        value = row["value"]
        if not isinstance(note, Missing) and note:
            notes.append(note)
        elif not isinstance(value, Missing) and value > 1:
            notes.append(
                f"(!) {v.percent(value)} against the {row['label']} is above 100%, which no run "
                "can reach: that denominator is too low for this machine; MFU against the "
                "measured peak is the trustworthy one"
            )
    return notes


def mfu_chart(run: Mapping[str, Any]) -> Chart:
    """Bars of MFU against each denominator."""
    bars = []
    for row in mfu_figures(run):
        value = row["value"]
        bars.append(
            {
                "label": row["label"],
                "value": None if isinstance(value, Missing) else value,
                "reason": value.reason if isinstance(value, Missing) else "",
                "detail": str(v.flops(row["denominator_flops"]))
                if not isinstance(row["denominator_flops"], Missing)
                else row["source"],
            }
        )
    caption = "; ".join(f"{b['label']}: {v.percent(_num(b['value']))}" for b in bars)
    return Chart("mfu", "MFU against each denominator", {"bars": bars}, caption=caption)


def _num(value: Any) -> float | Missing:
    return Missing() if value is None else float(value)


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
    if not isinstance(steady, Missing):
        caption += f"; steady median step time {v.milliseconds(steady)}"
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

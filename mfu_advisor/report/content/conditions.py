"""What a diagnosis measured under, from its ``noise`` and ``experiments``.

How the experiments were compared with the baseline (interleaved in one
process, or run alone against the baseline's own runs), the baseline's
run-to-run spread (or the one assumed when it ran once) and how much CPU
other processes used. The run-to-run spread only matters for an experiment
run alone: an interleaved one takes its noise from its own pairs of blocks
(docs/diagnose.md, "Noise and verdicts"), so a report must not suggest that
its figures lean on an assumed spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.content.blocks import Paragraph, Tone
from mfu_advisor.report.values import (
    Cell,
    Missing,
    items,
    mapping,
    number,
    percent,
    plus_minus,
    rate,
)

#: The measurement conditions read as a warning where rule MA125 machine-busy fires: from this
#: share of the CPUs kept busy by other processes, or this baseline run-to-run spread. The
#: values are the rule's (rules/conditions_rules.py; a test keeps them equal), copied so that
#: rendering a report does not import the rules and the probe facts behind them.
BUSY_CPU_SHARE = 0.25
BUSY_RUN_TO_RUN = 0.15

#: ``method`` of an experiment measured in one process with the baseline, block by block.
INTERLEAVED = "interleaved"
#: ``method`` of an experiment measured in a process of its own.
ALONE = "separate runs"


def conditions_paragraph(payload: Mapping[str, Any]) -> Paragraph | None:
    """One line on what every verdict was measured under, from the payload's ``noise``.

    E.g. "Measurement conditions: every experiment ran interleaved with the
    baseline (3-9 pairs each), its noise measured over its own pairs; baseline
    run-to-run spread not measured (the baseline ran once), which only an
    experiment run alone would need; other processes kept less than 1% of the
    CPUs busy." A warning when the machine was busy; None when no baseline was
    measured.
    """
    noise = mapping(payload, "noise")
    if not noise:
        return None
    ran = _ran(payload)
    interleaved = [e for e in ran if _method(e) == INTERLEAVED]
    alone = [e for e in ran if _method(e) == ALONE]
    parts: list[str] = []
    if interleaved:
        parts.append(_interleaved_words(interleaved, len(ran)))
    spread = number(noise, "run_to_run")
    parts.append(_spread_words(noise, spread, interleaved_only=bool(interleaved) and not alone))
    share = number(noise, "other_cpu_share")
    if not isinstance(share, Missing):
        shown = f"other processes kept {_whole_percent(share)} of the CPUs busy"
        busiest = number(noise, "other_cpu_share_max")
        if not isinstance(busiest, Missing) and _whole_percent(busiest) != _whole_percent(share):
            shown += f" ({_whole_percent(busiest)} during the busiest run)"
        parts.append(shown)
    elif share.reason and share.reason != "not in this result":
        parts.append(f"other processes' CPU use not measured ({share.reason})")
    busy = (not isinstance(share, Missing) and share >= BUSY_CPU_SHARE) or (
        not isinstance(spread, Missing) and spread >= BUSY_RUN_TO_RUN
    )
    sentence = "Measurement conditions: " + "; ".join(parts) + "."
    if busy:
        sentence += " Only effects larger than this noise can be told apart."
    return Paragraph(sentence, tone=Tone.WARN if busy else Tone.MUTED)


def measurement_rows(payload: Mapping[str, Any]) -> list[tuple[str, Cell]]:
    """The detailed report's "Measurement" rows: baseline runs, spreads, CPU share."""
    noise = mapping(payload, "noise")
    if not noise:
        return []
    ran = _ran(payload)
    runs = [f"{v:,.0f}" for v in items(noise, "baseline_runs_tokens_per_s") if _is_number(v)]
    return [
        ("baseline runs (tokens/s)", ", ".join(runs) if runs else Missing()),
        ("baseline (mean)", rate(number(noise, "baseline_tokens_per_s"))),
        ("baseline beside each variant (tokens/s)", _interleaved_arms(payload)),
        ("run-to-run spread", percent(number(noise, "run_to_run"))),
        ("assumed spread", _assumed(noise, ran)),
        ("noise floor", plus_minus(number(noise, "floor"))),
        ("other processes' CPU share", _share(noise)),
    ]


def _interleaved_words(interleaved: list[Mapping[str, Any]], ran: int) -> str:
    """ "every experiment ran interleaved with the baseline (3-9 pairs each), ..."."""
    every = len(interleaved) == ran
    who = "every experiment" if every else f"{len(interleaved)} of {ran} experiments"
    pairs = sorted(int(e["pairs"]) for e in interleaved if _is_number(e.get("pairs")))
    counted = ""
    if pairs:
        low, high = pairs[0], pairs[-1]
        counted = f"{low}-{high}" if low != high else f"{low}"
        counted = f" ({counted} {'pair' if high == 1 else 'pairs'} each)"
    its = "its" if every else "their"
    return f"{who} ran interleaved with the baseline{counted}, {its} noise from {its} own pairs"


def _spread_words(
    noise: Mapping[str, Any], spread: float | Missing, *, interleaved_only: bool
) -> str:
    """The baseline's run-to-run spread, or why it is missing and what stands in for it."""
    if not isinstance(spread, Missing):
        runs = len([v for v in items(noise, "baseline_runs_tokens_per_s") if _is_number(v)])
        return f"baseline run-to-run spread {percent(spread)} ({runs} runs)"
    shown = "baseline run-to-run spread not measured"
    if spread.reason and spread.reason != "not in this result":
        shown += f" ({spread.reason})"
    if interleaved_only:
        return shown + ", which only an experiment run alone would need"
    assumed = number(noise, "assumed_run_to_run")
    if not isinstance(assumed, Missing):
        shown += f", {plus_minus(assumed)} assumed"
    return shown


def _assumed(noise: Mapping[str, Any], ran: list[Mapping[str, Any]]) -> Cell:
    """The assumed spread, and that no experiment used it when none ran alone."""
    assumed = plus_minus(number(noise, "assumed_run_to_run"))
    if isinstance(assumed, Missing) or not ran:
        return assumed
    if all(_method(e) == INTERLEAVED for e in ran):
        return f"{assumed} (for an experiment run alone; none ran alone here)"
    return assumed


def _interleaved_arms(payload: Mapping[str, Any]) -> Cell:
    """ "batch-x4 10,433; compile 9,893": each interleaved variant's own baseline arm."""
    named = [
        f"{e.get('name') or '?'} {v:,.0f}"
        for e in _ran(payload)
        if _method(e) == INTERLEAVED and _is_number(v := e.get("baseline_tokens_per_s"))
    ]
    if named:
        return "; ".join(named)
    arms = items(mapping(payload, "noise"), "interleaved_baseline_tokens_per_s")
    values = [f"{v:,.0f}" for v in arms if _is_number(v)]
    return ", ".join(values) if values else Missing("not in this result")


def _share(noise: Mapping[str, Any]) -> Cell:
    """ "4.0% (6.0% during the busiest run)", or Missing with its reason."""
    share = percent(number(noise, "other_cpu_share"))
    busiest = percent(number(noise, "other_cpu_share_max"))
    if isinstance(share, Missing) or isinstance(busiest, Missing):
        return share
    return f"{share} ({busiest} during the busiest run)"


def _whole_percent(share: float) -> str:
    """A CPU share in whole percent; "less than 1%" rather than a "0%" that reads as none."""
    return "less than 1%" if 0 < share < 0.01 else f"{share * 100:.0f}%"


def _ran(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The experiments that ran and gave a speedup."""
    return [
        e
        for e in items(payload, "experiments")
        if isinstance(e, Mapping)
        and str(e.get("status") or "ok") == "ok"
        and _is_number(e.get("speedup"))
    ]


def _method(experiment: Mapping[str, Any]) -> str:
    method = experiment.get("method")
    return method if isinstance(method, str) else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

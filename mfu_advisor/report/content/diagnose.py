"""The sections of a diagnosis; its ``hardware``, ``baseline`` and ``analysis`` are drawn by the
probe, bench and analyze builders, what it measured under (``noise``) here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.analysis import analysis_blocks
from mfu_advisor.report.content.bench import bench_blocks, ranks_blocks
from mfu_advisor.report.content.blocks import (
    Block,
    KeyValues,
    Paragraph,
    Section,
    Table,
    Tone,
    present,
)
from mfu_advisor.report.content.findings import (
    experiment_notes,
    experiments_chart,
    experiments_of,
    experiments_table,
    findings_blocks,
    skipped_sentence,
    status_of,
)
from mfu_advisor.report.content.hardware import compact_hardware_table, hardware_blocks
from mfu_advisor.report.content.run import absent, notes_paragraph, run_headline
from mfu_advisor.report.values import Cell, Missing


def diagnose_sections(payload: Mapping[str, Any], *, detailed: bool) -> tuple[Section, ...]:
    """The sections of a diagnosis: detailed (Markdown, HTML) or short (terminal, verdict last)."""
    baseline = v.mapping(payload, "baseline")
    analysis = v.mapping(payload, "analysis")
    headline: list[Block] = list(_status(payload))
    if baseline:
        headline.append(run_headline(baseline))
    elif analysis:
        headline.append(run_headline(analysis))
    verdict = _verdict(payload)
    do, dont, info = findings_blocks(payload)
    findings = Section("findings", "Findings", (do, dont, *((info,) if info.items else ())))
    experiments = _experiments_section(payload, detailed=detailed)
    hardware = v.mapping(payload, "hardware")
    log_blocks = analysis_blocks(analysis, headline=not baseline) if analysis else ()
    if not detailed:
        log_blocks = tuple(b for b in log_blocks if isinstance(b, Paragraph))
    missing_parts = _missing_parts(payload)
    conditions_blocks = present(conditions_paragraph(payload))
    sections: list[Section | None]
    if detailed:
        sections = [
            Section("summary", "Summary", (*headline, *verdict, *conditions_blocks)),
            findings,
            experiments,
            Section(
                "hardware",
                "Hardware",
                (compact_hardware_table(hardware), *hardware_blocks(hardware)),
            )
            if hardware
            else None,
            Section("baseline", "Baseline run", bench_blocks(baseline, headline=False))
            if baseline
            else None,
            Section("analysis", "Your training log", log_blocks),
            _process_section(payload, missing_parts),
        ]
    else:
        sections = [
            Section("summary", "Summary", tuple(headline)),
            Section("hardware", "Hardware", (compact_hardware_table(hardware),))
            if hardware
            else None,
            _ranks_section(baseline),
            findings,
            experiments,
            Section("analysis", "Your training log", log_blocks),
            # The terminal's short "How it ran": mode and phases, and the measurement conditions.
            Section(
                "process", "How it ran", (*present(phases_paragraph(payload)), *conditions_blocks)
            ),
            Section("verdict", "Verdict", (*missing_parts, *verdict)),
        ]
    # A section without blocks (no log, no verdict, no experiments) is left out.
    return tuple(s for s in sections if s is not None and s.blocks)


def _ranks_section(baseline: Mapping[str, Any]) -> Section | None:
    """A data-parallel baseline's job and ranks (the detailed form has them in the baseline)."""
    blocks = ranks_blocks(baseline)
    if not blocks:
        return None
    note = Paragraph(
        "The what-if experiments measure one rank's step: one process pinned to rank 0's "
        "CPUs with its threads, not the whole job.",
        tone=Tone.MUTED,
    )
    return Section("ranks", "Data-parallel job", (*blocks, note))


def _status(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    """A warning line when the diagnosis was interrupted."""
    if v.lookup(payload, "interrupted") is True:
        return (
            Paragraph(
                "Interrupted (Ctrl-C): this is what was measured until then.", tone=Tone.WARN
            ),
        )
    return ()


def _missing_parts(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    """Why the hardware or the baseline is missing, when one is."""
    out: list[Block] = []
    for key, label in (("hardware", "Hardware"), ("baseline", "Baseline run")):
        value = v.lookup(payload, key)
        if isinstance(value, Missing) and value.reason != "not in this result":
            reason = value.reason or "not measured"
            out.append(Paragraph(f"{label}: not available ({reason}).", tone=Tone.MUTED))
    return tuple(out)


def phases_paragraph(payload: Mapping[str, Any]) -> Paragraph | None:
    """What ran and for how long, in one sentence (the terminal's form of the phases table)."""
    mode = v.plain_text(payload, "mode")
    phases = [p for p in v.items(payload, "phases") if isinstance(p, Mapping)]
    if not phases and not mode:
        return None
    ran: list[str] = []
    others: dict[str, list[str]] = {}
    end = 0.0
    for phase in phases:
        name = v.plain_text(phase, "name") or "?"
        status = v.plain_text(phase, "status") or "done"
        elapsed = v.number(phase, "elapsed_s")
        started = v.number(phase, "started_s")
        if not isinstance(elapsed, Missing) and not isinstance(started, Missing):
            end = max(end, started + elapsed)
        if status == "done":
            # "9.4s" without a space: a line never breaks between a time and its unit.
            ran.append(name if isinstance(elapsed, Missing) else f"{name} {elapsed:,.1f}s")
        else:
            detail = v.plain_text(phase, "detail") if status != "skipped" else ""
            others.setdefault(status, []).append(f"{name} ({detail})" if detail else name)
    sentence = f"Ran {mode}" if mode else "Ran"
    if ran:
        sentence += ": " + ", ".join(ran)
        if end:
            sentence += f" ({end:,.1f}s in all)"
    for status, names in others.items():
        sentence += f"; {status}: " + ", ".join(names)
    interrupted = v.lookup(payload, "interrupted") is True
    tone = Tone.WARN if interrupted or "failed" in others else Tone.MUTED
    if interrupted:
        sentence += "; interrupted (Ctrl-C) before the end"
    return Paragraph(sentence + ".", tone=tone)


def _process_section(payload: Mapping[str, Any], missing: tuple[Block, ...]) -> Section:
    """How the diagnosis ran: mode, noise, phases and notes."""
    blocks: list[Block] = list(missing)
    rows: list[tuple[str, Cell]] = [("mode", v.text(payload, "mode"))]
    if v.lookup(payload, "interrupted") is True:
        rows.append(("interrupted", "yes: Ctrl-C ended the diagnosis early"))
    rows += measurement_rows(payload)
    shown = tuple(r for r in rows if not (isinstance(r[1], Missing) and not r[1].reason))
    shown = tuple(r for r in shown if not absent(r[1]))
    if shown:
        blocks.append(KeyValues(shown, title="Measurement"))
    phases = [p for p in v.items(payload, "phases") if isinstance(p, Mapping)]
    if phases:
        blocks.append(
            Table(
                columns=("phase", "started", "took", "status", "detail"),
                rows=tuple(
                    (
                        v.text(p, "name"),
                        v.seconds(v.number(p, "started_s")),
                        v.seconds(v.number(p, "elapsed_s")),
                        v.text(p, "status"),
                        v.plain_text(p, "detail"),
                    )
                    for p in phases
                ),
                title="Phases",
                numeric=(False, True, True, False, False),
            )
        )
    blocks.extend(present(notes_paragraph(payload)))
    return Section("process", "How the diagnosis ran", tuple(blocks))


def _verdict(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    verdict = v.text(payload, "verdict")
    if not isinstance(verdict, Missing):
        return (Paragraph(verdict, emphasis=True),)
    if verdict.reason and verdict.reason != "not in this result":
        return (Paragraph(f"No verdict: {verdict.reason}", tone=Tone.MUTED),)
    return ()


def _experiments_section(payload: Mapping[str, Any], *, detailed: bool) -> Section:
    """Detailed: every variant, their notes, then the chart. Short: the variants that ran,
    their notes, and one sentence naming those that did not."""
    blocks = present(
        experiments_table(payload, skipped=detailed),
        experiment_notes(payload),
        experiments_chart(payload) if detailed else skipped_sentence(payload),
    )
    return Section("experiments", "What-if experiments, measured on this machine", blocks)


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
    """One line on what every verdict was measured under; a warning when the machine was busy,
    None when no baseline was measured.
    """
    noise = v.mapping(payload, "noise")
    if not noise:
        return None
    ran = _ran(payload)
    interleaved = [e for e in ran if e.get("method") == INTERLEAVED]
    alone = [e for e in ran if e.get("method") == ALONE]
    parts: list[str] = []
    if interleaved:
        parts.append(_interleaved_words(interleaved, len(ran)))
    spread = v.number(noise, "run_to_run")
    parts.append(_spread_words(noise, spread, interleaved_only=bool(interleaved) and not alone))
    share = v.number(noise, "other_cpu_share")
    if not isinstance(share, Missing):
        shown = f"other processes kept {_whole_percent(share)} of the CPUs busy"
        busiest = v.number(noise, "other_cpu_share_max")
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
    noise = v.mapping(payload, "noise")
    if not noise:
        return []
    ran = _ran(payload)
    runs = [f"{x:,.0f}" for x in v.items(noise, "baseline_runs_tokens_per_s") if _is_number(x)]
    return [
        ("baseline runs (tokens/s)", ", ".join(runs) if runs else Missing()),
        ("baseline (mean)", v.rate(v.number(noise, "baseline_tokens_per_s"))),
        ("baseline beside each variant (tokens/s)", _interleaved_arms(payload)),
        ("run-to-run spread", v.percent(v.number(noise, "run_to_run"))),
        ("assumed spread", _assumed(noise, ran)),
        ("noise floor", v.plus_minus(v.number(noise, "floor"))),
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
        runs = len([x for x in v.items(noise, "baseline_runs_tokens_per_s") if _is_number(x)])
        return f"baseline run-to-run spread {v.percent(spread)} ({runs} runs)"
    shown = "baseline run-to-run spread not measured"
    if spread.reason and spread.reason != "not in this result":
        shown += f" ({spread.reason})"
    if interleaved_only:
        return shown + ", which only an experiment run alone would need"
    assumed = v.number(noise, "assumed_run_to_run")
    return shown + v.clause(v.plus_minus(assumed), ", {} assumed")


def _assumed(noise: Mapping[str, Any], ran: list[Mapping[str, Any]]) -> Cell:
    """The assumed spread, and that no experiment used it when none ran alone."""
    assumed = v.plus_minus(v.number(noise, "assumed_run_to_run"))
    if isinstance(assumed, Missing) or not ran:
        return assumed
    if all(e.get("method") == INTERLEAVED for e in ran):
        return f"{assumed} (for an experiment run alone; none ran alone here)"
    return assumed


def _interleaved_arms(payload: Mapping[str, Any]) -> Cell:
    """ "batch-x4 10,433; compile 9,893": each interleaved variant's own baseline arm."""
    named = [
        f"{e.get('name') or '?'} {x:,.0f}"
        for e in _ran(payload)
        if e.get("method") == INTERLEAVED and _is_number(x := e.get("baseline_tokens_per_s"))
    ]
    if named:
        return "; ".join(named)
    arms = v.items(v.mapping(payload, "noise"), "interleaved_baseline_tokens_per_s")
    values = [f"{x:,.0f}" for x in arms if _is_number(x)]
    return ", ".join(values) if values else Missing("not in this result")


def _share(noise: Mapping[str, Any]) -> Cell:
    """ "4.0% (6.0% during the busiest run)", or Missing with its reason."""
    share = v.percent(v.number(noise, "other_cpu_share"))
    busiest = v.percent(v.number(noise, "other_cpu_share_max"))
    if isinstance(share, Missing) or isinstance(busiest, Missing):
        return share
    return f"{share} ({busiest} during the busiest run)"


def _whole_percent(share: float) -> str:
    """A CPU share in whole percent; "less than 1%" rather than a "0%" that reads as none."""
    return "less than 1%" if 0 < share < 0.01 else f"{share * 100:.0f}%"


def _ran(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The experiments that ran and gave a speedup."""
    return [
        e for e in experiments_of(payload) if status_of(e) == "ok" and _is_number(e.get("speedup"))
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

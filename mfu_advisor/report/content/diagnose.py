"""The sections of a diagnosis (``mfu-advisor diagnose``), from its payload.

A diagnose payload holds the other commands' payloads (``hardware``: probe,
``baseline``: bench, ``analysis``: analyze), drawn here by the same builders
as those commands' own reports, plus ``experiments``, ``findings``,
``verdict`` and how the diagnosis ran (``mode``, ``noise``, ``phases``; the
measurement conditions are in ``content/conditions.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.content.analysis import analysis_blocks
from mfu_advisor.report.content.bench import bench_blocks
from mfu_advisor.report.content.blocks import (
    Block,
    KeyValues,
    Paragraph,
    Section,
    Table,
    Tone,
    present,
)
from mfu_advisor.report.content.conditions import (
    conditions_paragraph,
    measurement_rows,
)
from mfu_advisor.report.content.findings import (
    experiment_notes,
    experiments_chart,
    experiments_table,
    findings_blocks,
    skipped_sentence,
)
from mfu_advisor.report.content.hardware import compact_hardware_table, hardware_blocks
from mfu_advisor.report.content.ranks import ranks_blocks
from mfu_advisor.report.content.run import absent, notes_paragraph, run_headline
from mfu_advisor.report.values import (
    Cell,
    Missing,
    items,
    lookup,
    mapping,
    number,
    plain_text,
    seconds,
    text,
)


def diagnose_sections(payload: Mapping[str, Any], *, detailed: bool) -> tuple[Section, ...]:
    """The sections of a diagnosis.

    Detailed (Markdown, HTML): summary with the verdict, findings, experiments,
    full hardware, baseline run, the log, how the diagnosis ran. Short
    (terminal): headline, compact hardware, findings, experiments, and the
    verdict last, where it stays on screen when the run ends.
    """
    baseline = mapping(payload, "baseline")
    analysis = mapping(payload, "analysis")
    headline: list[Block] = list(_status(payload))
    if baseline:
        headline.append(run_headline(baseline))
    elif analysis:
        headline.append(run_headline(analysis))
    verdict = _verdict(payload)
    do, dont, info = findings_blocks(payload)
    findings = Section("findings", "Findings", (do, dont, *((info,) if info.items else ())))
    experiments = _experiments_section(payload, detailed=detailed)
    hardware = mapping(payload, "hardware")
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
            Section("analysis", "Your training log", log_blocks) if log_blocks else None,
            _process_section(payload, missing_parts),
        ]
    else:
        sections = [
            Section("summary", "Summary", tuple(headline)) if headline else None,
            Section("hardware", "Hardware", (compact_hardware_table(hardware),))
            if hardware
            else None,
            _ranks_section(baseline),
            findings,
            experiments,
            Section("analysis", "Your training log", log_blocks) if log_blocks else None,
            _how_it_ran_section(payload, conditions_blocks),
            Section("verdict", "Verdict", (*missing_parts, *verdict))
            if verdict or missing_parts
            else None,
        ]
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
    if lookup(payload, "interrupted") is True:
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
        value = lookup(payload, key)
        if isinstance(value, Missing) and value.reason != "not in this result":
            reason = value.reason or "not measured"
            out.append(Paragraph(f"{label}: not available ({reason}).", tone=Tone.MUTED))
    return tuple(out)


def phases_paragraph(payload: Mapping[str, Any]) -> Paragraph | None:
    """What ran and for how long, in one sentence (the terminal's form of the phases table).

    E.g. "Ran live: probe 0.1s, baseline 14.5s, experiment:batch-x2 14.7s,
    rules 0.0s (29.3s in all); skipped: experiment:compile, baseline-repeat."
    """
    mode = plain_text(payload, "mode")
    phases = [p for p in items(payload, "phases") if isinstance(p, Mapping)]
    if not phases and not mode:
        return None
    ran: list[str] = []
    others: dict[str, list[str]] = {}
    end = 0.0
    for phase in phases:
        name = plain_text(phase, "name") or "?"
        status = plain_text(phase, "status") or "done"
        elapsed = number(phase, "elapsed_s")
        started = number(phase, "started_s")
        if not isinstance(elapsed, Missing) and not isinstance(started, Missing):
            end = max(end, started + elapsed)
        if status == "done":
            # "9.4s" without a space: a line never breaks between a time and its unit.
            ran.append(name if isinstance(elapsed, Missing) else f"{name} {elapsed:,.1f}s")
        else:
            detail = plain_text(phase, "detail") if status != "skipped" else ""
            others.setdefault(status, []).append(f"{name} ({detail})" if detail else name)
    sentence = f"Ran {mode}" if mode else "Ran"
    if ran:
        sentence += ": " + ", ".join(ran)
        if end:
            sentence += f" ({end:,.1f}s in all)"
    for status, names in others.items():
        sentence += f"; {status}: " + ", ".join(names)
    interrupted = lookup(payload, "interrupted") is True
    tone = Tone.WARN if interrupted or "failed" in others else Tone.MUTED
    if interrupted:
        sentence += "; interrupted (Ctrl-C) before the end"
    return Paragraph(sentence + ".", tone=tone)


def _how_it_ran_section(payload: Mapping[str, Any], conditions: tuple[Block, ...]) -> Section:
    """The terminal's short "How it ran": mode and phases, and the measurement conditions."""
    return Section("process", "How it ran", (*present(phases_paragraph(payload)), *conditions))


def _process_section(payload: Mapping[str, Any], missing: tuple[Block, ...]) -> Section | None:
    """How the diagnosis ran: mode, noise, phases and notes."""
    blocks: list[Block] = list(missing)
    rows: list[tuple[str, Cell]] = [("mode", text(payload, "mode"))]
    if lookup(payload, "interrupted") is True:
        rows.append(("interrupted", "yes: Ctrl-C ended the diagnosis early"))
    rows += measurement_rows(payload)
    shown = tuple(r for r in rows if not (isinstance(r[1], Missing) and not r[1].reason))
    shown = tuple(r for r in shown if not absent(r[1]))
    if shown:
        blocks.append(KeyValues(shown, title="Measurement"))
    phases = [p for p in items(payload, "phases") if isinstance(p, Mapping)]
    if phases:
        blocks.append(
            Table(
                columns=("phase", "started", "took", "status", "detail"),
                rows=tuple(
                    (
                        text(p, "name"),
                        seconds(number(p, "started_s")),
                        seconds(number(p, "elapsed_s")),
                        text(p, "status"),
                        plain_text(p, "detail"),
                    )
                    for p in phases
                ),
                title="Phases",
                numeric=(False, True, True, False, False),
            )
        )
    blocks.extend(present(notes_paragraph(payload)))
    return Section("process", "How the diagnosis ran", tuple(blocks)) if blocks else None


def _verdict(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    verdict = text(payload, "verdict")
    if not isinstance(verdict, Missing):
        return (Paragraph(verdict, emphasis=True),)
    if verdict.reason and verdict.reason != "not in this result":
        return (Paragraph(f"No verdict: {verdict.reason}", tone=Tone.MUTED),)
    return ()


def _experiments_section(payload: Mapping[str, Any], *, detailed: bool) -> Section | None:
    """Detailed: every variant, their notes, then the chart. Short: the variants that ran,
    their notes, and one sentence naming those that did not."""
    blocks = present(
        experiments_table(payload, skipped=detailed),
        experiment_notes(payload),
        experiments_chart(payload) if detailed else skipped_sentence(payload),
    )
    if not blocks:
        return None
    return Section("experiments", "What-if experiments, measured on this machine", blocks)

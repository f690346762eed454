"""Diagnose sections: experiment notes in their own place, measurement conditions, how it ran."""

from __future__ import annotations

from typing import Any

import pytest

from mfu_advisor.report.content.blocks import KeyValues, Tone
from mfu_advisor.report.content.diagnose import conditions_paragraph, phases_paragraph
from mfu_advisor.report.content.findings import experiment_notes, experiments_table
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report

NOTE = "same effective batch of 48 sequences, so training is unchanged"


def test_an_experiments_note_is_not_in_its_change_column(diagnose_doc: dict) -> None:
    table = experiments_table(diagnose_doc)
    assert table is not None
    row = next(r for r in table.rows if r[0] == "batch-x4")
    assert NOTE not in str(row[1])
    notes = experiment_notes(diagnose_doc)
    assert isinstance(notes, KeyValues)
    assert ("batch-x4", NOTE) in notes.rows
    # Variants that did not run keep only their row, which says why.
    assert all(name not in ("threads-physical", "autocast-fp16") for name, _ in notes.rows)


@pytest.mark.parametrize("fmt", [OutputFormat.TEXT, OutputFormat.MARKDOWN, OutputFormat.HTML])
def test_every_format_shows_the_notes_apart_from_the_table(
    diagnose_report: Report, fmt: OutputFormat
) -> None:
    shown = render(diagnose_report, fmt, **({"width": 100} if fmt is OutputFormat.TEXT else {}))
    assert "What each change means beyond speed" in shown
    assert NOTE in shown


def _noise(**values: Any) -> dict[str, Any]:
    base = {
        "baseline_runs_tokens_per_s": [11780.9, 11652.3],
        "baseline_tokens_per_s": 11716.6,
        "run_to_run": 0.011,
        "assumed_run_to_run": None,
        "floor": 0.02,
        "other_cpu_share": 0.04,
        "other_cpu_share_max": 0.06,
    }
    return {"noise": {**base, **values}}


def test_measurement_conditions_give_the_spread_and_other_processes_cpu_share() -> None:
    paragraph = conditions_paragraph(_noise())
    assert paragraph is not None and paragraph.tone == Tone.MUTED
    assert paragraph.text == (
        "Measurement conditions: baseline run-to-run spread 1.1% (2 runs); other processes "
        "kept 4% of the CPUs busy (6% during the busiest run)."
    )


def test_a_busy_machine_and_a_single_baseline_run_read_as_a_warning() -> None:
    payload = _noise(
        baseline_runs_tokens_per_s=[427.7],
        run_to_run=None,
        assumed_run_to_run=0.05,
        other_cpu_share=0.51,
        other_cpu_share_max=0.517,
        unavailable={"run_to_run": "the baseline ran once"},
    )
    paragraph = conditions_paragraph(payload)
    assert paragraph is not None and paragraph.tone == Tone.WARN
    assert "not measured (the baseline ran once), ±5.0% assumed" in paragraph.text
    assert (
        "other processes kept 51% of the CPUs busy (52% during the busiest run)" in paragraph.text
    )
    assert "Only effects larger than this noise can be told apart." in paragraph.text


def test_conditions_are_left_out_without_a_baseline_and_tolerate_missing_fields() -> None:
    assert conditions_paragraph({}) is None
    paragraph = conditions_paragraph({"noise": {"floor": 0.02}})
    assert paragraph is not None and "None" not in paragraph.text


def test_the_phases_line_gives_mode_times_failures_and_an_interruption() -> None:
    payload = {
        "mode": "live",
        "interrupted": True,
        "phases": [
            {"name": "probe", "started_s": 0.0, "elapsed_s": 1.1, "status": "done"},
            {"name": "baseline", "started_s": 1.1, "elapsed_s": 9.8, "status": "done"},
            {
                "name": "experiment:compile",
                "started_s": 10.9,
                "elapsed_s": 0.0,
                "status": "skipped",
                "detail": "not enough budget left",
            },
            {
                "name": "experiment:batch-x8",
                "started_s": 10.9,
                "elapsed_s": 9.4,
                "status": "failed",
                "detail": "did not finish warm-up",
            },
            {
                "name": "experiment:batch-x4",
                "started_s": 20.3,
                "elapsed_s": 2.0,
                "status": "interrupted",
            },
        ],
    }
    paragraph = phases_paragraph(payload)
    assert paragraph is not None and paragraph.tone == Tone.WARN
    assert paragraph.text == (
        "Ran live: probe 1.1s, baseline 9.8s (22.3s in all); skipped: experiment:compile; "
        "failed: experiment:batch-x8 (did not finish warm-up); interrupted: "
        "experiment:batch-x4; interrupted (Ctrl-C) before the end."
    )


def test_the_terminal_says_how_the_diagnosis_ran_before_the_verdict(
    diagnose_report: Report,
) -> None:
    text = render(diagnose_report, OutputFormat.TEXT, width=100, color=False)
    flat = " ".join(text.split())
    assert text.index("How it ran") < text.index("Verdict")
    assert "Ran live: probe 1.1s, analyze 0.2s" in flat
    assert "Measurement conditions: baseline run-to-run spread 1.1% (2 runs)" in flat


def test_the_detailed_report_lists_mode_conditions_and_phases(diagnose_report: Report) -> None:
    markdown = render(diagnose_report, OutputFormat.MARKDOWN)
    summary = markdown[markdown.index("## Summary") : markdown.index("## Findings")]
    assert "Measurement conditions:" in summary
    process = markdown[markdown.index("## How the diagnosis ran") :]
    assert "| mode | live |" in process and "**Phases**" in process


def test_the_busy_thresholds_are_the_machine_busy_rules() -> None:
    from mfu_advisor.report.content import diagnose
    from mfu_advisor.rules import conditions_rules

    assert diagnose.BUSY_CPU_SHARE == conditions_rules.BUSY_CPU_SHARE
    assert diagnose.BUSY_RUN_TO_RUN == conditions_rules.BUSY_RUN_TO_RUN

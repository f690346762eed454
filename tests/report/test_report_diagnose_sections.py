"""Diagnose sections: experiment notes in their own place, measurement conditions, how it ran."""

from __future__ import annotations

import html
from typing import Any

import pytest

from mfu_advisor.report.content.blocks import KeyValues, Tone
from mfu_advisor.report.content.diagnose import (
    conditions_paragraph,
    measurement_rows,
    phases_paragraph,
)
from mfu_advisor.report.content.findings import experiment_notes, experiments_table
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.markdown import escape
from mfu_advisor.report.model import Report


def _batch_note(doc: dict) -> tuple[str, str]:
    """(name, note) of the recorded result's first experiment that ran with a note."""
    ran = next(e for e in doc["experiments"] if e["status"] == "ok" and e["note"])
    return ran["name"], ran["note"]


def test_an_experiments_note_is_not_in_its_change_column(diagnose_doc: dict) -> None:
    name, note = _batch_note(diagnose_doc)
    table = experiments_table(diagnose_doc)
    assert table is not None
    row = next(r for r in table.rows if r[0] == name)
    assert note not in str(row[1])
    notes = experiment_notes(diagnose_doc)
    assert isinstance(notes, KeyValues)
    assert (name, note) in notes.rows
    # Variants that did not run keep only their row, which says why.
    skipped = {e["name"] for e in diagnose_doc["experiments"] if e["status"] == "skipped"}
    assert skipped and not skipped & {name for name, _ in notes.rows}


@pytest.mark.parametrize("fmt", [OutputFormat.TEXT, OutputFormat.MARKDOWN, OutputFormat.HTML])
def test_every_format_shows_the_notes_apart_from_the_table(
    diagnose_report: Report, diagnose_doc: dict, fmt: OutputFormat
) -> None:
    shown = render(diagnose_report, fmt, **({"width": 100} if fmt is OutputFormat.TEXT else {}))
    assert "What each change means beyond speed" in shown
    note = _batch_note(diagnose_doc)[1]
    if fmt is OutputFormat.TEXT:
        shown, note = " ".join(shown.split()), " ".join(note.split())
    elif fmt is OutputFormat.MARKDOWN:
        note = escape(note)
    else:
        note = html.escape(note, quote=False)
    assert note in shown


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
    assert "not measured (the baseline ran once), ±5% assumed" in paragraph.text
    assert (
        "other processes kept 51% of the CPUs busy (52% during the busiest run)" in paragraph.text
    )
    assert "Only effects larger than this noise can be told apart." in paragraph.text


def test_conditions_are_left_out_without_a_baseline_and_tolerate_missing_fields() -> None:
    assert conditions_paragraph({}) is None
    paragraph = conditions_paragraph({"noise": {"floor": 0.02}})
    assert paragraph is not None and "None" not in paragraph.text


def _experiment(name: str, method: str, pairs: int | None = None, **more: Any) -> dict:
    return {
        "name": name,
        "status": "ok",
        "speedup": 1.1,
        "noise": 0.05,
        "method": method,
        "pairs": pairs,
        **more,
    }


def _ran_once(**values: Any) -> dict[str, Any]:
    return _noise(
        baseline_runs_tokens_per_s=[10741.8],
        baseline_tokens_per_s=10741.8,
        run_to_run=None,
        assumed_run_to_run=0.05,
        other_cpu_share=0.0036,
        other_cpu_share_max=0.0065,
        unavailable={"run_to_run": "the baseline ran once in a process of its own"},
        **values,
    )


def test_interleaved_experiments_do_not_read_as_resting_on_an_assumed_spread() -> None:
    payload = _ran_once() | {
        "experiments": [
            _experiment("batch-x4", "interleaved", 9),
            _experiment("autocast-bf16", "interleaved", 3),
            {"name": "tf32", "status": "skipped", "method": None},
        ]
    }
    paragraph = conditions_paragraph(payload)
    assert paragraph is not None and paragraph.tone == Tone.MUTED
    assert paragraph.text == (
        "Measurement conditions: every experiment ran interleaved with the baseline (3-9 pairs "
        "each), its noise from its own pairs; baseline run-to-run spread not measured (the "
        "baseline ran once in a process of its own), which only an experiment run alone would "
        "need; other processes kept less than 1% of the CPUs busy."
    )
    rows = dict(measurement_rows(payload))
    assert rows["assumed spread"] == "±5% (for an experiment run alone; none ran alone here)"


def test_an_experiment_run_alone_says_which_spread_it_was_measured_against() -> None:
    payload = _ran_once() | {
        "experiments": [
            _experiment("batch-x4", "interleaved", 9),
            _experiment("threads-1", "separate runs"),
        ]
    }
    paragraph = conditions_paragraph(payload)
    assert paragraph is not None
    assert paragraph.text.startswith(
        "Measurement conditions: 1 of 2 experiments ran interleaved with the baseline (9 pairs "
        "each), their noise from their own pairs; baseline run-to-run spread not measured (the "
        "baseline ran once in a process of its own), ±5% assumed;"
    )
    assert dict(measurement_rows(payload))["assumed spread"] == "±5%"


def test_each_interleaved_variants_own_baseline_is_listed_by_name() -> None:
    payload = _ran_once(interleaved_baseline_tokens_per_s=[10432.9, 9892.8]) | {
        "experiments": [
            _experiment("batch-x4", "interleaved", 9, baseline_tokens_per_s=10432.9),
            _experiment("compile", "interleaved", 8, baseline_tokens_per_s=9892.8),
        ]
    }
    rows = dict(measurement_rows(payload))
    assert rows["baseline beside each variant (tokens/s)"] == ("batch-x4 10,433; compile 9,893")
    del payload["experiments"]  # an older result's experiments without the field
    rows = dict(measurement_rows(payload))
    assert rows["baseline beside each variant (tokens/s)"] == "10,433, 9,893"


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
    diagnose_report: Report, diagnose_doc: dict
) -> None:
    text = render(diagnose_report, OutputFormat.TEXT, width=100, color=False)
    flat = " ".join(text.split())
    assert text.index("How it ran") < text.index("Verdict")
    first, second = diagnose_doc["phases"][:2]
    assert (
        f"Ran {diagnose_doc['mode']}: {first['name']} {first['elapsed_s']:.1f}s, "
        f"{second['name']} {second['elapsed_s']:.1f}s" in flat
    )
    conditions = conditions_paragraph(diagnose_doc)
    assert conditions is not None and conditions.text.startswith("Measurement conditions: ")
    assert conditions.text in flat


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


def test_separate_run_figures_and_the_combined_fix_are_rows_of_the_experiments_table(
    diagnose_doc: dict,
) -> None:
    first = diagnose_doc["experiments"][0]
    first["separate_speedup"], first["separate_noise"] = 1.16, 0.04
    diagnose_doc["combined"] = {
        **first,
        "name": "combined",
        "change": "batch_size 12 -> 48 and compile False -> True",
        "speedup": 1.21,
        "noise": 0.05,
        "separate_speedup": None,
        "separate_noise": None,
    }
    table = experiments_table(diagnose_doc)
    assert table is not None
    assert table.columns[4] == "in separate runs"
    rows = {row[0]: row for row in table.rows}
    assert rows[first["name"]][4] == "1.16x faster ±4%"
    assert rows["combined"][1] == "batch_size 12 -> 48 and compile False -> True"
    assert rows["combined"][2] == "1.21x faster" and rows["combined"][4] == ""

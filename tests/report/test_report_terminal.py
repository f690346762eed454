"""The terminal report: fits narrow terminals, honours NO_COLOR, never parses payload as markup."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures import first_skipped, headline_mfu, measured_gain, top_change, worst_dont

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.markdown import escape
from mfu_advisor.report.model import Report
from mfu_advisor.report.terminal import render_terminal

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("width", [60, 120])
def test_diagnose_fits_the_terminal_width(
    width: int, diagnose_report: Report, diagnose_doc: dict
) -> None:
    text = render(diagnose_report, OutputFormat.TEXT, width=width, color=False)
    assert max(len(line) for line in text.splitlines()) <= width
    flat = " ".join(text.split())
    for expected in (
        top_change(diagnose_doc)["title"],
        measured_gain(top_change(diagnose_doc)),
        measured_gain(worst_dont(diagnose_doc)),
        "Verdict",
        headline_mfu(diagnose_doc),
    ):
        assert expected in flat


@pytest.mark.parametrize("width", [60, 120])
def test_every_command_fits_the_terminal_width(width: int, every_report: list[Report]) -> None:
    for report in every_report:
        text = render(report, OutputFormat.TEXT, width=width, color=False)
        too_long = [line for line in text.splitlines() if len(line) > width]
        assert too_long == [], f"{report.command}: {too_long[:3]}"


def test_the_terminal_draws_the_same_document_as_markdown(every_report: list[Report]) -> None:
    # One document model: every section and table title of the short document is in the
    # terminal; a probe, bench or analyze document is the same short or detailed, so the
    # Markdown has them too (a diagnosis is shorter in the terminal).
    from mfu_advisor.report.content.blocks import KeyValues, Table
    from mfu_advisor.report.content.document import build_document

    for report in every_report:
        text = render(report, OutputFormat.TEXT, width=160, color=False)
        markdown = render(report, OutputFormat.MARKDOWN)
        for section in build_document(report, detailed=False).sections:
            titles = [section.title] + [
                b.title for b in section.blocks if isinstance(b, (Table, KeyValues)) and b.title
            ]
            for title in titles:
                assert title in text, title
                assert report.command.value == "diagnose" or title in markdown, title


def test_diagnose_terminal_order_is_headline_hardware_findings_dont_verdict(
    diagnose_doc: dict,
) -> None:
    # A second, milder don't (made for this test) to check that the worst comes first.
    worst = worst_dont(diagnose_doc)
    milder = {**worst, "title": "A milder slowdown", "verified_speedup": 0.86, "noise": 0.05}
    diagnose_doc["findings"].insert(0, milder)
    report = Report.from_json(diagnose_doc)
    text = render(report, OutputFormat.TEXT, width=100, color=False)
    positions = [
        text.index(marker)
        for marker in (
            "MFU vs measured matmul peak",
            "Hardware",
            "What to change, biggest gain first",
            "What not to do here",
            "Verdict",
        )
    ]
    assert positions == sorted(positions)
    # The don'ts carry their measured slowdowns, the biggest first.
    donts = text[text.index("What not to do here") :]
    assert donts.index(measured_gain(worst)) < donts.index("measured 1.16x slower")


def test_colour_is_used_on_a_terminal_and_dropped_with_no_color(
    diagnose_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    coloured = render_terminal(diagnose_report, width=100, color=True)
    assert ANSI.search(coloured)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(render_terminal(diagnose_report, width=100))
    monkeypatch.delenv("NO_COLOR")
    assert ANSI.search(render_terminal(diagnose_report, width=100))


def test_payload_text_is_never_read_as_rich_markup(diagnose_doc: dict) -> None:
    diagnose_doc["findings"][0]["title"] = "[bold red]not markup[/] [link=x]y[/link]"
    diagnose_doc["verdict"] = "[/] closing tag alone"
    text = render(Report.from_json(diagnose_doc), OutputFormat.TEXT, width=120, color=False)
    assert "[bold red]not markup[/] [link=x]y[/link]" in text
    assert "[/] closing tag alone" in text


def test_only_the_report_goes_to_stdout(tmp_path: Path, diagnose_doc: dict) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(json.dumps(diagnose_doc))
    html = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "report", str(saved), "--html", str(html)],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "COLUMNS": "100", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mfu-advisor · Diagnosis")
    assert "HTML report written" not in done.stdout
    assert "HTML report written" in done.stderr
    assert not ANSI.search(done.stdout)


def test_skipped_experiments_are_one_sentence_in_the_terminal_and_rows_elsewhere(
    diagnose_doc: dict,
) -> None:
    failed = {"name": "batch-x8", "change": "batch_size 12 -> 96", "status": "failed"}
    failed["reason"] = "did not finish its warm-up within 25 s"  # made for this test
    diagnose_doc["experiments"].append(failed)
    report = Report.from_json(diagnose_doc)
    skipped = first_skipped(diagnose_doc)
    text = render(report, OutputFormat.TEXT, width=100, color=False)
    flat = " ".join(text.split())
    assert f"Not run here: {skipped['name']}: {skipped['reason']}" in flat
    assert "failed: did not finish its warm-up" in flat  # a failure keeps its row
    markdown = render(report, OutputFormat.MARKDOWN)
    assert f"| {escape(skipped['name'])} | {escape(skipped['change'])} |" in markdown

"""Every output format has a renderer, and a saved result re-renders identically."""

from __future__ import annotations

import json

import pytest

from mfu_advisor import units
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose.verdict import verdict
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.report.formats import RENDERERS, OutputFormat, render, renderer_for
from mfu_advisor.report.model import Report
from mfu_advisor.rules.facts_json import log_facts_from_analysis, run_facts_from_bench


def test_every_output_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(OutputFormat)
    for fmt in OutputFormat:
        assert callable(renderer_for(fmt))


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_every_command(fmt: OutputFormat, every_report: list[Report]) -> None:
    for report in every_report:
        text = (
            render(report, fmt, width=100, color=False)
            if fmt is OutputFormat.TEXT
            else (render(report, fmt))
        )
        assert isinstance(text, str) and len(text) > 200


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_a_saved_result_re_renders_exactly_as_the_original(
    fmt: OutputFormat, every_report: list[Report]
) -> None:
    options = {"width": 100, "color": False} if fmt is OutputFormat.TEXT else {}
    for original in every_report:
        saved = render(original, OutputFormat.JSON)
        reloaded = Report.from_json(json.loads(saved))
        assert reloaded == original
        assert render(reloaded, fmt, **options) == render(original, fmt, **options)


def test_one_result_gives_the_same_mfu_and_tokens_per_s_in_every_format(diagnose_doc: dict) -> None:
    # The recorded diagnose result. Its verdict is rebuilt from its own facts, as diagnose
    # writes it today, so that the JSON too holds the MFU as words (the rest of the JSON
    # holds numbers).
    baseline = diagnose_doc["baseline"]
    run = run_facts_from_bench(BenchResult.from_json(baseline))
    log = log_facts_from_analysis(LogAnalysis.from_json(diagnose_doc["analysis"]))
    diagnose_doc["verdict"] = verdict(run, log, findings=(), experiments=())
    report = Report.from_json(diagnose_doc)
    mfu = baseline["mfu"]["measured_peak"]["value"]
    shown_mfu = units.percent(mfu)
    assert shown_mfu == f"{mfu * 100:.1f}%"  # 34.6%: one decimal, however it is shown
    tokens = units.rate(baseline["tokens_per_s"])
    outputs = {
        fmt: render(report, fmt, width=100, color=False)
        if fmt is OutputFormat.TEXT
        else render(report, fmt)
        for fmt in OutputFormat
    }
    for fmt, output in outputs.items():
        assert f"reaches {shown_mfu} of what this machine can do" in output, fmt
        if fmt is not OutputFormat.JSON:  # the JSON holds the figures as numbers
            assert tokens in output, fmt
            # The headline's MFU reads as the verdict's.
            assert output.count(f"{shown_mfu}") >= 2, fmt

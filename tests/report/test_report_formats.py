"""Every output format has a renderer, and a saved result re-renders identically."""

from __future__ import annotations

import json

import pytest

from mfu_advisor.report.formats import RENDERERS, OutputFormat, render, renderer_for
from mfu_advisor.report.model import Report


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

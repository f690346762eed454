"""The HTML report: one self-contained file, autoescaped, data embedded safely, small."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import json
import re
from typing import Any

import pytest
from report_fixtures import headline_mfu, measured_gain, top_change, worst_dont

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.html import render_html
from mfu_advisor.report.model import Report

HOSTILE = "<script>alert(1)</script> and </script><!-- x -->"


def _html(doc: dict) -> str:
    return render(Report.from_json(doc), OutputFormat.HTML)


def _embedded(page: str) -> Any:
    match = re.search(
        r'<script type="application/json" id="mfu-advisor-report">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def test_the_page_is_self_contained_and_names_no_url(diagnose_doc: dict) -> None:
    page = _html(diagnose_doc)
    assert "://" not in page
    assert re.search(r"(?i)http(?!-equiv)", page) is None
    for external in ("<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", " src="):
        assert external not in page, external
    # The only <script> is the data block, which browsers never run.
    assert page.count("<script") == 1


def test_the_content_security_policy_allows_only_the_inline_stylesheet(diagnose_doc: dict) -> None:
    page = _html(diagnose_doc)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta is not None
    policy = html_lib.unescape(meta.group(1))
    assert "default-src 'none'" in policy
    assert "script-src" not in policy and "unsafe-inline" not in policy
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert ' style="' not in page  # no inline style attributes for the policy to block


def test_embedded_data_is_the_report_itself(diagnose_doc: dict) -> None:
    assert _embedded(_html(diagnose_doc)) == diagnose_doc


def test_urls_in_values_survive_in_the_data_but_not_as_urls_in_the_page(diagnose_doc: dict) -> None:
    diagnose_doc["verdict"] = "see https://example.org/datasheet.pdf and HTTP://X"
    page = _html(diagnose_doc)
    assert "://" not in page
    assert "see example.org/datasheet.pdf" in page
    assert _embedded(page)["verdict"] == diagnose_doc["verdict"]


def test_script_in_a_log_line_is_escaped_everywhere(diagnose_doc: dict) -> None:
    diagnose_doc["verdict"] = HOSTILE
    diagnose_doc["findings"][0]["title"] = HOSTILE
    diagnose_doc["experiments"][0]["name"] = HOSTILE  # also drawn inside an SVG chart
    diagnose_doc["analysis"]["config"]["out_dir"] = HOSTILE
    page = _html(diagnose_doc)
    assert "<script>alert(1)" not in page
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _embedded(page)["verdict"] == HOSTILE


def test_sections_read_without_charts_text_comes_first(diagnose_doc: dict) -> None:
    page = _html(diagnose_doc)
    without_svg = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    top = html_lib.escape(top_change(diagnose_doc)["title"], quote=False)
    for text in (
        top,
        measured_gain(worst_dont(diagnose_doc)),
        "AMD EPYC",
        headline_mfu(diagnose_doc),
        html_lib.escape(diagnose_doc["experiments"][0]["change"], quote=False),
    ):
        assert text in without_svg
    findings = page.index('id="findings"')
    assert page.index(top, findings) < page.index("<svg", findings)
    hardware = page.index('id="hardware"')
    assert page.index("<table", hardware) < page.index("</section>", hardware)


def test_every_chart_kind_is_drawn_for_a_full_diagnosis(diagnose_doc: dict) -> None:
    page = _html(diagnose_doc)
    assert page.count("<svg") >= 5
    for title in (
        "What-if speedups",
        "MFU against each denominator",
        "Roofline",
        "Step time and loss over the log",
    ):
        assert f"<title>{title}" in page


def test_printing_is_styled(diagnose_doc: dict) -> None:
    page = _html(diagnose_doc)
    assert "@media print" in page and "break-inside: avoid" in page


@pytest.mark.parametrize("steps", [30_000])
def test_a_long_log_is_downsampled_in_the_page_and_says_so(diagnose_doc: dict, steps: int) -> None:
    diagnose_doc["analysis"]["series"] = [
        {
            "step": i,
            "loss": 4.0 - i * 1e-5,
            "step_time_ms": 65.0 + (i % 11) * 0.3,
            "reported_mfu": 0.0002,
        }
        for i in range(steps)
    ]
    diagnose_doc["analysis"]["series"][20_000]["step_time_ms"] = 5_000.0
    page = _html(diagnose_doc)
    embedded = _embedded(page)["analysis"]["series"]
    assert len(embedded) <= 2_002
    assert any(row["step"] == 20_000 for row in embedded)  # the stall survives
    assert f"analysis.series: {steps:,} points downsampled" in page
    assert len(page.encode()) < 2_000_000


def test_render_html_accepts_and_ignores_renderer_options(diagnose_report: Report) -> None:
    assert render_html(diagnose_report, width=80) == render_html(diagnose_report)


def test_a_redacted_report_says_so(diagnose_report: Report) -> None:
    from mfu_advisor.report.output import redact_report

    page = render_html(redact_report(diagnose_report))
    assert "redacted: host names, user names, home paths and serials removed" in page


def test_a_bucketed_log_series_says_how_it_was_chosen(diagnose_doc: dict) -> None:
    analysis = diagnose_doc["analysis"]
    analysis.update({"series_every": 256, "steps": 100_000})
    page = _html(diagnose_doc)
    assert (
        f"{len(analysis['series']):,} of 100,000 step lines: the fastest and slowest of every "
        "256, and the evaluation steps"
    ) in page

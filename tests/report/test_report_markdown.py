"""The Markdown report: GitHub-flavoured, fits an issue, escapes everything from the payload."""

from __future__ import annotations

import json
import re

import pytest
from report_fixtures import headline_mfu, measured_gain, top_change, worst_dont

from mfu_advisor.report import markdown
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.markdown import (
    GITHUB_BODY_LIMIT,
    code,
    escape,
    inline,
    raw_facts,
)
from mfu_advisor.report.model import Report
from mfu_advisor.report.series import series_length
from mfu_advisor.report.values import flops, plus_minus

HOSTILE = "<script>alert(1)</script> and </script> | `tick` *star* [link](x)"


def _markdown(doc: dict) -> str:
    return render(Report.from_json(doc), OutputFormat.MARKDOWN)


def test_diagnose_markdown_has_tables_findings_and_collapsed_raw_facts(diagnose_doc: dict) -> None:
    text = _markdown(diagnose_doc)
    assert text.startswith("# mfu-advisor · Diagnosis\n")
    peak = diagnose_doc["baseline"]["mfu"]["measured_peak"]["denominator_flops"]
    assert (
        f"| MFU vs measured matmul peak | **{headline_mfu(diagnose_doc)}** | of {flops(peak)} |"
        in text
    )
    top, worst = top_change(diagnose_doc), worst_dont(diagnose_doc)
    assert f"1. **{inline(top['title'])}**" in text
    assert f"   - Fix: {code(top['fix'])}" in text
    measured = f"{measured_gain(worst)} ({plus_minus(worst['noise'])}) by {worst['experiment']}"
    assert f"**{escape(measured)}**" in text
    assert "<details><summary>Raw facts (JSON)</summary>" in text and "</details>" in text


def _raw_facts(text: str) -> dict:
    body = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert body is not None
    return json.loads(body.group(1))


def test_raw_facts_are_the_result_itself_with_series_summarised(diagnose_doc: dict) -> None:
    raw = _raw_facts(_markdown(diagnose_doc))
    assert raw["findings"] == diagnose_doc["findings"]
    for part in ("analysis", "baseline"):
        points = series_length(diagnose_doc[part]["series"])
        assert raw[part]["series"].startswith(f"{points} points, left out here")


def test_raw_facts_go_on_one_line_when_laid_out_they_would_not_fit(
    diagnose_doc: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = Report.from_json(diagnose_doc)
    laid_out, one_line = raw_facts(report), raw_facts(report, compact=True)
    assert len(one_line) < len(laid_out)
    monkeypatch.setattr(markdown, "RAW_FACTS_BUDGET", 10**9)
    roomy = _markdown(diagnose_doc)
    assert laid_out in roomy
    monkeypatch.setattr(markdown, "RAW_FACTS_BUDGET", len(roomy) - 1)
    tight = _markdown(diagnose_doc)
    assert one_line in tight and laid_out not in tight
    assert _raw_facts(tight)["experiments"] == diagnose_doc["experiments"]
    monkeypatch.setattr(markdown, "RAW_FACTS_BUDGET", len(tight) - len(one_line))
    assert "_Raw facts left out to fit a GitHub issue" in _markdown(diagnose_doc)


def test_a_diagnose_report_fits_a_github_issue_even_with_a_long_log(diagnose_doc: dict) -> None:
    rows = diagnose_doc["analysis"]["series"]
    diagnose_doc["analysis"]["series"] = rows * 300  # 90,300 steps
    assert series_length(diagnose_doc["analysis"]["series"]) == 90_300
    assert len(_markdown(diagnose_doc)) < GITHUB_BODY_LIMIT


def test_script_tags_in_a_log_line_stay_visible_text(diagnose_doc: dict) -> None:
    diagnose_doc["findings"][0]["title"] = HOSTILE
    diagnose_doc["verdict"] = HOSTILE
    diagnose_doc["analysis"]["config"]["out_dir"] = HOSTILE
    text = _markdown(diagnose_doc)
    outside_code = re.sub(r"```json\n.*?\n```", "", text, flags=re.S)
    assert "<script>" not in outside_code and "</script>" not in outside_code
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;/script&gt;" in outside_code
    # Inside the fenced JSON block the text is literal (GitHub shows code verbatim).
    assert "<script>alert(1)</script>" in text


def test_pipes_in_a_table_cell_do_not_split_the_row(diagnose_doc: dict) -> None:
    diagnose_doc["analysis"]["config"]["out_dir"] = "a|b|c"
    text = _markdown(diagnose_doc)
    row = next(line for line in text.splitlines() if line.startswith("| out\\_dir |"))
    assert row == "| out\\_dir | a\\|b\\|c |"


def test_escape_neutralises_markdown_and_html() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("`x`") == "\\`x\\`"
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert escape("- not a list") == "\\- not a list"
    assert escape("12. not a list") == "12\\. not a list"
    assert inline("two\nlines") == "two<br>lines"


def test_code_spans_survive_backticks_in_the_value() -> None:
    assert code("plain") == "`plain`"
    assert code("a `b` c") == "``a `b` c``"
    assert code("`edge`") == "`` `edge` ``"


def test_a_backtick_fence_in_the_payload_cannot_close_the_raw_facts_block(
    diagnose_doc: dict,
) -> None:
    diagnose_doc["verdict"] = "```\n</details>\n# injected"
    text = _markdown(diagnose_doc)
    fence = re.search(r"^(`{3,})json$", text, re.M)
    assert fence is not None and len(fence.group(1)) >= 4
    assert text.count("</details>") == 2  # the real one, and the one inside the code block
    assert "\n# injected" not in text.split("<details>")[0]

"""The Markdown report: GitHub-flavoured, fits an issue, escapes everything from the payload."""

from __future__ import annotations

import json
import re

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.markdown import GITHUB_BODY_LIMIT, code, escape, inline
from mfu_advisor.report.model import Report
from mfu_advisor.report.series import series_length

HOSTILE = "<script>alert(1)</script> and </script> | `tick` *star* [link](x)"


def _markdown(doc: dict) -> str:
    return render(Report.from_json(doc), OutputFormat.MARKDOWN)


def test_diagnose_markdown_has_tables_findings_and_collapsed_raw_facts(diagnose_doc: dict) -> None:
    text = _markdown(diagnose_doc)
    assert text.startswith("# mfu-advisor · Diagnosis\n")
    assert "| MFU vs measured matmul peak | **37.8%** | of 161 GFLOP/s |" in text
    assert "1. **Micro-batch too small to keep the matmul units busy**" in text
    assert "**measured 16.0x slower on this machine (±6.0%) by autocast-bf16**" in text
    assert "   - Fix: `--batch_size=48 --gradient_accumulation_steps=4`" in text
    assert "<details><summary>Raw facts (JSON)</summary>" in text and "</details>" in text


def test_raw_facts_are_the_result_itself_with_series_summarised(diagnose_doc: dict) -> None:
    text = _markdown(diagnose_doc)
    body = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert body is not None
    raw = json.loads(body.group(1))
    assert raw["findings"] == diagnose_doc["findings"]
    assert raw["analysis"]["series"].startswith("301 points, left out here")
    assert raw["baseline"]["series"].startswith("49 points, left out here")


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

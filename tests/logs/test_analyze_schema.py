"""Every fixture's --json output validates against docs/schemas/analyze.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from log_helpers import LOGS, analyze_log, as_json

from mfu_advisor.report.json_format import render_json
from mfu_advisor.report.model import Command, make_report

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "analyze.schema.json").read_text()
)
VALID = sorted(
    p.name for p in LOGS.iterdir() if p.suffix in (".log", ".gz") and p.name not in ("empty.log",)
)


@pytest.mark.parametrize("name", VALID)
def test_fixture_output_matches_the_schema(name: str) -> None:
    document = json.loads(
        render_json(make_report(Command.ANALYZE, analyze_log(name, peak_tflops=100)))
    )
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_required_fields_of_the_issue_are_present_and_missing_ones_have_reasons() -> None:
    document = as_json(analyze_log("nanogpt_1.log"))
    for key in (
        "schema_version",
        "format",
        "steps",
        "steady_step_time_ms",
        "warmup_steps",
        "tokens_per_step",
        "flops_per_token",
        "achieved_flops",
        "reported_mfu",
        "mfu",
        "reference",
        "eval_time_fraction",
        "config",
    ):
        assert key in document
    assert document["tokens_per_step"] is None and document["unavailable"]["tokens_per_step"]
    assert (
        document["flops_per_token"] is None
        and "model size" in document["unavailable"]["flops_per_token"]
    )
    assert document["mfu"]["value"] is None and document["mfu"]["reason"]


def test_no_number_in_the_document_is_nan() -> None:
    text = render_json(make_report(Command.ANALYZE, analyze_log("nanogpt_cpu_300.log")))
    assert "NaN" not in text and "Infinity" not in text

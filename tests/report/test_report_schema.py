"""Saved results and what ``report --json`` prints validate against the JSON Schemas in docs/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report, make_report
from mfu_advisor.report.output import redact_report

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def _schema(name: str) -> dict[str, Any]:
    path = SCHEMAS / f"{name}.schema.json"
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    schema: dict[str, Any] = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _validate(document: Any, name: str) -> None:
    jsonschema.Draft202012Validator(_schema(name)).validate(document)


def test_the_envelope_schema_accepts_every_command_and_a_redacted_result(
    every_report: list[Report],
) -> None:
    for report in every_report:
        _validate(json.loads(render(report, OutputFormat.JSON)), "report")
        _validate(json.loads(render(redact_report(report), OutputFormat.JSON)), "report")


def test_make_report_writes_a_valid_envelope() -> None:
    _validate(make_report(Command.PROBE, {"cpu": {}}).to_json(), "report")


def test_the_envelope_schema_refuses_a_foreign_document() -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validate({"command": "train", "schema_version": 1}, "report")


@pytest.mark.parametrize("command", [c.value for c in Command])
def test_a_re_rendered_result_still_matches_its_commands_schema(
    command: str, every_report: list[Report]
) -> None:
    report = next(r for r in every_report if r.command.value == command)
    for shown in (report, redact_report(report)):
        document = json.loads(render(shown, OutputFormat.JSON))
        _validate(document, command)

"""Every field of the diagnose JSON is documented in docs/diagnose.md.

The schema (docs/schemas/diagnose.schema.json) is generated from the same dataclasses;
tests/test_schemas.py keeps it in step.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mfu_advisor.diagnose.result import DiagnoseResult, NoiseFacts, PhaseRecord
from mfu_advisor.experiments.result import ExperimentResult

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "diagnose.md").read_text()


@pytest.mark.parametrize("cls", [DiagnoseResult, ExperimentResult, NoiseFacts, PhaseRecord])
def test_every_field_is_documented(cls: type) -> None:
    for field in dataclasses.fields(cls):
        assert f"`{field.name}`" in DOC, (cls.__name__, field.name)

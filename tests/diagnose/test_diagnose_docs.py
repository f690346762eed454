"""Every field of the diagnose JSON is documented in docs/diagnose.md and in the schema."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mfu_advisor.diagnose.result import DiagnoseResult, NoiseFacts, PhaseRecord
from mfu_advisor.experiments.result import ExperimentResult

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "diagnose.md").read_text()
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "diagnose.schema.json").read_text())


def test_every_result_field_is_documented_and_in_the_schema() -> None:
    for field in dataclasses.fields(DiagnoseResult):
        assert f"`{field.name}`" in DOC, field.name
        assert field.name in SCHEMA["properties"], field.name


def test_every_experiment_noise_and_phase_field_is_documented_and_in_the_schema() -> None:
    experiment = SCHEMA["$defs"]["experiment"]["properties"]
    noise = SCHEMA["properties"]["noise"]["oneOf"][1]["properties"]
    phase = SCHEMA["$defs"]["phase"]["properties"]
    for cls, schema in ((ExperimentResult, experiment), (NoiseFacts, noise), (PhaseRecord, phase)):
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in DOC, (cls.__name__, field.name)
            assert field.name in schema, (cls.__name__, field.name)

"""docs/schemas/ holds the schemas generated from the result dataclasses, and they hold.

Regenerate with ``python -m mfu_advisor.schemas`` after changing a result's fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.compat import ADDED_LATER
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.schemas import RESULTS, SCHEMA_DIR, schema_of, text_of
from mfu_advisor.watch.result import JobResult

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DATA = TESTS / "data"

#: Recorded results of earlier versions; tests/data/*/README.md and docs/bench.md ("Measured
#: on the development machine") say where each comes from.
RECORDED = {
    "bench": [
        "data/diagnose/bench_cpu_small_zen3.json",
        "data/diagnose/bench_cpu_small_ddp2_zen3.json",
        "bench/data/cpu_small_zen3_2vcpu.json",
    ],
    "analyze": ["data/diagnose/analyze_nanogpt_cpu_300.json"],
    "diagnose": ["data/reports/diagnose_from_log_zen3.json"],
    "run": ["data/reports/run_tiny_gpt_cpu.json"],
}


@pytest.mark.parametrize("command", sorted(RESULTS))
def test_the_schema_files_are_the_generated_ones(command: str) -> None:
    path = ROOT / SCHEMA_DIR / f"{command}.schema.json"
    assert path.read_text() == text_of(command), "run: python -m mfu_advisor.schemas"


@pytest.mark.parametrize("command", sorted(RESULTS))
def test_every_generated_schema_is_valid_draft_2020_12(command: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema_of(command))


@pytest.mark.parametrize(
    ("command", "name"), [(c, n) for c, names in RECORDED.items() for n in names]
)
def test_recorded_results_of_earlier_versions_validate_and_load(command: str, name: str) -> None:
    document = json.loads((TESTS / name).read_text())
    jsonschema.Draft202012Validator(schema_of(command)).validate(document)
    loader = {
        "bench": BenchResult,
        "analyze": LogAnalysis,
        "diagnose": DiagnoseResult,
        "run": JobResult,
    }[command]
    loaded = loader.from_json(document)  # type: ignore[attr-defined]
    assert type(loaded) is loader


def test_a_schema_describes_each_field_with_its_docstring() -> None:
    properties = schema_of("bench")["properties"]
    assert properties["effective_batch_tokens"]["description"] == (
        "batch_size x block_size x gradient_accumulation_steps: tokens per optimizer step."
    )
    assert properties["compile_s"]["anyOf"][-1] == {"type": "null"}  # Maybe: null + a reason
    assert properties["unavailable"] == {"$ref": "#/$defs/reasons"}


def test_a_null_needs_a_maybe_or_optional_type() -> None:
    document = json.loads((DATA / "diagnose/bench_cpu_small_zen3.json").read_text())
    document["threads"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_of("bench")).validate(document)


def test_fields_added_later_are_optional_and_filled_in_when_read() -> None:
    schema = schema_of("analyze")
    assert ADDED_LATER["LogAnalysis"].isdisjoint(schema["required"])
    old = json.loads((DATA / "diagnose/analyze_nanogpt_cpu_300.json").read_text())
    assert ADDED_LATER["LogAnalysis"].isdisjoint(old)  # written before they existed
    loaded = LogAnalysis.from_json(old)
    assert loaded.gpt_config == {} and loaded.series_method == "every step line"
    assert loaded.reported_mfu_placeholder is False

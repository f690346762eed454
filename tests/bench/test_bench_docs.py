"""Every field of the bench JSON is documented in docs/bench.md (or docs/distributed.md).

The schema (docs/schemas/bench.schema.json) is generated from the same dataclasses;
tests/test_schemas.py keeps it in step.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mfu_advisor.bench.multi_rank import (
    DistributedSetup,
    JobFigures,
    MultiRankFigures,
    RankFigures,
    Scaling,
    Straggler,
)
from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import Roofline
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.schemas import schema_of

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "bench.md").read_text()
DISTRIBUTED_DOC = (ROOT / "docs" / "distributed.md").read_text()


#: Fields whose own fields go to the top level of the JSON instead of themselves.
MERGED = {"multi_rank"}


@pytest.mark.parametrize(
    "cls", [BenchResult, MultiRankFigures, PairedComparison, StepTimeStats, Roofline]
)
def test_every_field_is_documented_in_the_bench_page(cls: type) -> None:
    for field in dataclasses.fields(cls):
        assert field.name in MERGED or f"`{field.name}`" in DOC, (cls.__name__, field.name)


@pytest.mark.parametrize("cls", [RankFigures, JobFigures, Straggler, Scaling, DistributedSetup])
def test_every_multi_rank_field_is_documented_in_the_distributed_page(cls: type) -> None:
    for field in dataclasses.fields(cls):
        assert f"`{field.name}`" in DISTRIBUTED_DOC, (cls.__name__, field.name)


def test_fields_added_later_are_not_required_so_older_results_still_validate() -> None:
    schema = schema_of("bench")
    assert {"paired", "distributed", "ranks", "job", "gpu_under_load"}.isdisjoint(
        schema["required"]
    )
    assert {"preset", "mfu", "roofline", "step_time_ms"} <= set(schema["required"])
    # The multi-rank figures sit at the top level, all together with the launch setup.
    assert "multi_rank" not in schema["properties"]
    assert set(schema["dependentRequired"]["ranks"]) == {
        "job", "communication_fraction", "straggler", "scaling", "distributed",
    }  # fmt: skip

"""Every field of the bench JSON is documented in docs/bench.md and required by the schema."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import Roofline
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.distributed.aggregate import (
    DistributedSetup,
    JobFigures,
    MultiRankFigures,
    RankFigures,
    Scaling,
    Straggler,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "bench.md").read_text()
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "bench.schema.json").read_text())


#: Fields added after the first release: documented and in the schema, but not required,
#: so results saved before them still validate ("add, don't rename").
ADDED_LATER = {"paired", "distributed", "gpu_under_load"}

#: Fields whose own fields go to the top level of the JSON instead of themselves.
MERGED = {"multi_rank"}


def test_every_result_field_is_documented_and_required_unless_added_later() -> None:
    for field in dataclasses.fields(BenchResult):
        if field.name in MERGED:
            continue
        assert f"`{field.name}`" in DOC, field.name
        assert field.name in SCHEMA["properties"], field.name
        assert (field.name in SCHEMA["required"]) is (field.name not in ADDED_LATER), field.name


def test_every_multi_rank_field_is_documented_and_in_the_schema() -> None:
    distributed_doc = (ROOT / "docs" / "distributed.md").read_text()
    for field in dataclasses.fields(MultiRankFigures):
        assert f"`{field.name}`" in DOC and field.name in SCHEMA["properties"], field.name
        assert field.name in SCHEMA["dependentRequired"]["ranks"] or field.name == "ranks"
    for cls, definition in (
        (RankFigures, "rank"),
        (JobFigures, "job"),
        (Straggler, "straggler"),
        (Scaling, "scaling"),
        (DistributedSetup, "distributed"),
    ):
        required = SCHEMA["$defs"][definition]["required"]
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in distributed_doc, (definition, field.name)
            assert field.name in required, (definition, field.name)


def test_every_paired_field_is_documented_and_required() -> None:
    required = SCHEMA["$defs"]["paired"]["required"]
    for field in dataclasses.fields(PairedComparison):
        assert f"`{field.name}`" in DOC and field.name in required, field.name


def test_every_step_time_and_roofline_field_is_documented_and_required() -> None:
    step_time = SCHEMA["$defs"]["stepTime"]["required"]
    for field in dataclasses.fields(StepTimeStats):
        assert f"`{field.name}`" in DOC and field.name in step_time, field.name
    roofline = SCHEMA["$defs"]["roofline"]["required"]
    for field in dataclasses.fields(Roofline):
        assert f"`{field.name}`" in DOC and field.name in roofline, field.name

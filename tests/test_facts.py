"""Missing values carry their reason into JSON and back; nothing becomes NaN."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

import pytest

from mfu_advisor.facts import (
    LoadError,
    Unavailable,
    dataclass_from_jsonable,
    known,
    to_jsonable,
    value_or,
)


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Sample:
    clock_mhz: int | Unavailable
    peaks: dict[str, float | Unavailable]
    ratio: float
    colour: Colour
    cpus: tuple[int, ...]


def test_unavailable_field_becomes_null_with_reason_beside_it() -> None:
    sample = Sample(
        clock_mhz=Unavailable("NVML: not supported"),
        peaks={"fp32": 1e12, "bf16": Unavailable("emulated on this CPU")},
        ratio=float("nan"),
        colour=Colour.RED,
        cpus=(0, 1),
    )
    doc = to_jsonable(sample)
    assert doc == {
        "clock_mhz": None,
        "peaks": {"fp32": 1e12, "bf16": None},
        "ratio": None,
        "colour": "red",
        "cpus": [0, 1],
        "unavailable": {"clock_mhz": "NVML: not supported", "peaks.bf16": "emulated on this CPU"},
    }
    json.dumps(doc, allow_nan=False)


def test_unavailable_is_falsy_and_known_tells_zero_from_missing() -> None:
    missing = Unavailable("no permission")
    assert not missing
    assert known(0) and not known(missing) and not known(None)
    assert value_or(missing, 7) == 7 and value_or(3, 7) == 3
    assert str(missing) == "unavailable: no permission"


@dataclass(frozen=True)
class Gemm:
    name: str
    rates: dict[int, float]


@dataclass(frozen=True)
class Run:
    sample: Sample
    gemms: tuple[Gemm, ...]
    speedup: float | Unavailable
    note: str | None
    added_later: int = 7


def _run() -> Run:
    sample = Sample(
        clock_mhz=Unavailable("NVML: not supported"),
        peaks={"fp32": 1e12, "bf16": Unavailable("emulated on this CPU")},
        ratio=0.5,
        colour=Colour.RED,
        cpus=(0, 1),
    )
    gemm = Gemm("attn.qkv", {1: 2.0e9, 4: 3.5e9})
    return Run(sample, (gemm,), Unavailable("one pair only"), None, 3)


def test_dataclass_from_jsonable_reads_back_what_to_jsonable_wrote_reasons_included() -> None:
    run = _run()
    document = json.loads(json.dumps(to_jsonable(run)))
    loaded = dataclass_from_jsonable(Run, document)
    assert loaded == run
    assert loaded.sample.peaks["bf16"] == Unavailable("emulated on this CPU")


def test_unknown_fields_are_ignored_and_missing_ones_take_defaults_or_reasons() -> None:
    document = to_jsonable(_run())
    document["from_a_newer_version"] = {"anything": 1}
    del document["added_later"], document["speedup"], document["note"]
    document.pop("unavailable")
    run = dataclass_from_jsonable(Run, document)
    assert run.added_later == 7
    assert run.speedup == Unavailable("speedup not in the result")
    assert run.note is None


def test_a_document_of_the_wrong_shape_is_refused_naming_the_field() -> None:
    document = to_jsonable(_run())
    document["gemms"][0]["rates"]["4"] = "fast"
    with pytest.raises(LoadError, match=r"Run\.gemms\[0\]\.rates\.4: expected float"):
        dataclass_from_jsonable(Run, document)
    del document["sample"]
    with pytest.raises(LoadError, match=r"Run\.sample: missing"):
        dataclass_from_jsonable(Run, document)
    document = to_jsonable(_run())
    document["sample"]["colour"] = "blue"
    with pytest.raises(LoadError, match=r"Run\.sample\.colour: 'blue' is not a Colour"):
        dataclass_from_jsonable(Run, document)

"""Missing values carry their reason into JSON; nothing becomes NaN."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from mfu_advisor.facts import Unavailable, known, to_jsonable, value_or


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

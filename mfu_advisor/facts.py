"""Building blocks shared by every layer's facts.

Facts are plain frozen dataclasses with the unit in each field name. A value
that could not be read is an :class:`Unavailable` carrying the reason, never a
silent ``None`` or NaN, so a report can say *why* a number is missing.

:func:`to_jsonable` turns facts into JSON-ready data: an ``Unavailable`` field
becomes ``null`` and its reason goes into an ``"unavailable"`` object beside
it, keyed by field name (``"peak_flops.bf16"`` for a mapping entry).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from typing import Any, TypeVar, Union

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Unavailable:
    """A value that could not be obtained, and why (e.g. "NVML: driver not loaded")."""

    reason: str

    def __bool__(self) -> bool:
        # Behaves like None in a truth test, so `if facts.x:` never treats a
        # missing value as present. Use `known()` when 0 is a legitimate value.
        return False

    def __str__(self) -> str:
        return f"unavailable: {self.reason}"


#: A value of type T, or the reason it is missing.
Maybe = Union[T, Unavailable]  # noqa: UP007 (a TypeVar alias needs Union on 3.10)


def known(value: object) -> bool:
    """True when ``value`` is an actual value (not ``None``, not ``Unavailable``)."""
    return value is not None and not isinstance(value, Unavailable)


def value_or(value: Maybe[T] | None, default: T) -> T:
    """``value`` when it is known, else ``default``."""
    if value is None or isinstance(value, Unavailable):
        return default
    return value


def to_jsonable(obj: Any) -> Any:
    """Convert facts (dataclasses, enums, tuples, mappings) to JSON-ready data.

    A dataclass may define ``to_json(self) -> dict`` to choose its own shape.
    Floats that are not finite become ``null``: JSON has no NaN.
    """
    if hasattr(obj, "to_json") and callable(obj.to_json) and not isinstance(obj, type):
        return obj.to_json()
    if isinstance(obj, Unavailable):
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return fields_to_json(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj) if isinstance(obj, (set, frozenset)) else obj
        return [to_jsonable(v) for v in items]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def fields_to_json(obj: Any) -> dict[str, Any]:
    """The default conversion of a dataclass instance, field by field.

    Classes with their own ``to_json`` call this and then adjust the result.
    """
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for field in dataclasses.fields(obj):
        out[field.name] = _convert_field(field.name, getattr(obj, field.name), reasons)
    if reasons:
        out["unavailable"] = reasons
    return out


def _convert_field(name: str, value: Any, reasons: dict[str, str]) -> Any:
    if isinstance(value, Unavailable):
        reasons[name] = value.reason
        return None
    if isinstance(value, Mapping) and not (hasattr(value, "to_json")):
        converted: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, Unavailable):
                reasons[f"{name}.{key}"] = item.reason
                converted[str(key)] = None
            else:
                converted[str(key)] = to_jsonable(item)
        return converted
    return to_jsonable(value)

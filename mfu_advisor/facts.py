"""Building blocks shared by every layer's facts: frozen dataclasses, units in field names.

A value that could not be read is an :class:`Unavailable` carrying the reason, never a silent
``None`` or NaN. :func:`to_jsonable` writes facts as JSON-ready data (an ``Unavailable``
field becomes null, its reason goes into an ``"unavailable"`` object beside it, keyed by
field name or ``"field.key"``); :func:`dataclass_from_jsonable` reads them back, reasons
included: every saved or child-process result is loaded through it.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import math
import types
import typing
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
    """Facts (dataclasses, enums, tuples, mappings) as JSON-ready data; a dataclass may choose
    its own shape with ``to_json(self) -> dict``. Floats that are not finite become null."""
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
    """The default conversion of a dataclass instance, field by field (``to_json`` may call
    this and then adjust the result)."""
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
    if isinstance(value, Mapping) and not hasattr(value, "to_json"):
        converted: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, Unavailable):
                reasons[f"{name}.{key}"] = item.reason
                converted[str(key)] = None
            else:
                converted[str(key)] = to_jsonable(item)
        return converted
    return to_jsonable(value)


class LoadError(ValueError):
    """A JSON document that does not have the shape of the facts it should hold (one line)."""


_ABSENT = object()


def dataclass_from_jsonable(kind: type[T], data: Any, where: str = "") -> T:
    """The inverse of :func:`to_jsonable` for the dataclass ``kind`` (its own ``from_json``
    calls this), field by field; :class:`LoadError` names a field of the wrong shape.

    ``Maybe[X]`` null becomes ``Unavailable`` with the reason beside it; a field the class
    does not know is ignored; a missing one takes its default, else ``Unavailable`` or
    ``None`` where the type allows, else the document is refused. Fields of other
    dataclasses use their ``from_json`` when they have one.
    """
    where = where or kind.__name__
    if not isinstance(data, Mapping):
        raise LoadError(f"{where}: expected an object, got {_shown(data)}")
    reasons = data.get("unavailable")
    reasons = reasons if isinstance(reasons, Mapping) else {}
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        if not field.init:
            continue
        value = data.get(field.name, _ABSENT)
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        if value is _ABSENT and has_default:
            continue
        reason = reasons.get(field.name)
        prefix = f"{field.name}."
        entries = {k[len(prefix) :]: v for k, v in reasons.items() if k.startswith(prefix)}
        values[field.name] = _load(
            hints[field.name],
            None if value is _ABSENT else value,
            f"{where}.{field.name}",
            reason if isinstance(reason, str) else None,
            entries,
        )
    return kind(**values)


def _load(kind: Any, data: Any, where: str, reason: str | None, entries: Mapping[str, Any]) -> Any:
    if kind is Any or kind is object:
        return data
    origin = typing.get_origin(kind)
    if origin is Union or origin is types.UnionType:
        return _load_union(typing.get_args(kind), data, where, reason, entries)
    if kind is Unavailable:
        if data is None:
            return Unavailable(reason or f"{where.rsplit('.', 1)[-1]} not in the result")
        raise LoadError(f"{where}: expected null, got {_shown(data)}")
    if data is None:
        raise LoadError(f"{where}: missing")
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        reader = getattr(kind, "from_json", None)
        if reader is not None:
            return reader(data)
        return dataclass_from_jsonable(kind, data, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            raise LoadError(f"{where}: {_shown(data)} is not a {kind.__name__}") from None
    if origin in (tuple, list, collections.abc.Sequence):
        return _load_sequence(kind, origin, data, where)
    if origin in (dict, collections.abc.Mapping):
        return _load_mapping(kind, data, where, entries)
    return _load_plain(kind, data, where)


def _load_union(
    members: tuple[Any, ...], data: Any, where: str, reason: str | None, entries: Mapping[str, Any]
) -> Any:
    if data is None:
        if Unavailable in members:
            return _load(Unavailable, None, where, reason, entries)
        if type(None) in members:
            return None
        raise LoadError(f"{where}: missing")
    failures: list[LoadError] = []
    for member in members:
        if member is type(None) or member is Unavailable:
            continue
        try:
            return _load(member, data, where, reason, entries)
        except LoadError as exc:
            failures.append(exc)
    raise failures[0] if failures else LoadError(f"{where}: expected null")


def _load_sequence(kind: Any, origin: Any, data: Any, where: str) -> Any:
    if not isinstance(data, (list, tuple)):
        raise LoadError(f"{where}: expected a list, got {_shown(data)}")
    args = typing.get_args(kind)
    item = args[0] if args else Any
    items = [_load(item, v, f"{where}[{i}]", None, {}) for i, v in enumerate(data)]
    return tuple(items) if origin is tuple else items


def _load_mapping(kind: Any, data: Any, where: str, entries: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise LoadError(f"{where}: expected an object, got {_shown(data)}")
    key_kind, value_kind = typing.get_args(kind) or (Any, Any)
    out: dict[Any, Any] = {}
    for key, value in data.items():
        entry = entries.get(str(key))
        out[_load_plain(key_kind, key, where) if key_kind is int else key] = _load(
            value_kind, value, f"{where}.{key}", entry if isinstance(entry, str) else None, {}
        )
    return out


def _load_plain(kind: Any, data: Any, where: str) -> Any:
    if kind is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if kind is int and not isinstance(data, bool):
        if isinstance(data, int):
            return data
        if isinstance(data, float) and data.is_integer():
            return int(data)
        if isinstance(data, str) and data.strip().lstrip("-").isdigit():
            return int(data)
    if kind is bool and isinstance(data, bool):
        return data
    if isinstance(kind, type) and kind not in (int, float) and isinstance(data, kind):
        return data
    raise LoadError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {_shown(data)}")


def _shown(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."

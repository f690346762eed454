"""Reading report payloads tolerantly: a value, or a :class:`Missing` that knows why."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from mfu_advisor import units

#: What a renderer prints in place of a missing value.
DASH = "—"


@dataclass(frozen=True)
class Missing:
    """A value the result does not hold, and why (empty when no reason was given)."""

    reason: str = ""

    def __str__(self) -> str:
        return f"{DASH} ({self.reason})" if self.reason else DASH


#: A table cell or figure: text, or a missing value with its reason.
Cell = str | Missing


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted ``path``, or :class:`Missing` with the reason from the figure's
    ``reason`` or an enclosing ``unavailable`` object.
    """
    parts = path.split(".")
    current: Any = data
    parents: list[tuple[Mapping[str, Any], int]] = []
    for index, part in enumerate(parts):
        if isinstance(current, Mapping):
            parents.append((current, index))
            if part not in current:
                return Missing(_reason(parents, parts) or "not in this result")
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str) and part.isdigit():
            position = int(part)
            if position >= len(current):
                return Missing("not in this result")
            current = current[position]
        else:
            return Missing(_reason(parents, parts))
        if current is None:
            return Missing(_reason(parents, parts))
    if isinstance(current, float) and not math.isfinite(current):
        return Missing("not a finite number")
    return current


def _reason(parents: list[tuple[Mapping[str, Any], int]], parts: list[str]) -> str:
    # parents[i] = (mapping, index of the key looked up in it), outermost first; the
    # innermost one is where the value went missing.
    failed_at = parents[-1][1] if parents else 0
    for depth, (mapping, index) in enumerate(reversed(parents)):
        unavailable = mapping.get("unavailable")
        if isinstance(unavailable, Mapping):
            key = ".".join(parts[index : failed_at + 1])
            if isinstance(unavailable.get(key), str):
                return str(unavailable[key])
        reason = mapping.get("reason")
        if depth == 0 and isinstance(reason, str) and reason:
            return reason
    return ""


def number(data: Any, path: str) -> float | Missing:
    """A number at ``path``; anything else (text, a boolean) counts as missing."""
    value = lookup(data, path)
    if isinstance(value, Missing):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Missing(f"not a number: {value!r}"[:80])
    return float(value)


def text(data: Any, path: str) -> str | Missing:
    """A value at ``path`` shown as text (numbers and booleans included)."""
    value = lookup(data, path)
    if isinstance(value, Missing):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def plain_text(data: Any, path: str) -> str:
    """Text at ``path``, or "" when the result does not hold it."""
    value = text(data, path)
    return "" if isinstance(value, Missing) else value


def numbers(data: Any, *paths: str) -> tuple[float, ...] | Missing:
    """The numbers at ``paths``, all of them; else the first one's :class:`Missing`."""
    found = [number(data, path) for path in paths]
    for value in found:
        if isinstance(value, Missing):
            return value
    return tuple(v for v in found if not isinstance(v, Missing))


def first_number(data: Any, *paths: str) -> float | Missing:
    """The first of ``paths`` that holds a number (older results name some fields otherwise)."""
    value: float | Missing = Missing("not in this result")
    for path in paths:
        value = number(data, path)
        if not isinstance(value, Missing):
            return value
    return value


def with_detail(value: Cell, detail: Cell) -> Cell:
    """ "value (detail)"; just ``value`` when the detail is missing or empty."""
    if isinstance(value, Missing) or isinstance(detail, Missing) or not detail:
        return value
    return f"{value} ({detail})"


def mapping(data: Any, path: str) -> Mapping[str, Any]:
    """The object at ``path``, or an empty one."""
    value = lookup(data, path) if path else data
    return value if isinstance(value, Mapping) else {}


def items(data: Any, path: str) -> list[Any]:
    """The list at ``path``, or an empty one."""
    value = lookup(data, path)
    return list(value) if isinstance(value, (list, tuple)) else []


# -- formatting: mfu_advisor.units for numbers; a Missing value passes through -------------


_P = ParamSpec("_P")


def _keep_missing(
    format_number: Callable[Concatenate[float, _P], str],
) -> Callable[Concatenate[float | Missing, _P], Cell]:
    def format_cell(value: float | Missing, *args: _P.args, **kwargs: _P.kwargs) -> Cell:
        return value if isinstance(value, Missing) else format_number(value, *args, **kwargs)

    format_cell.__doc__ = format_number.__doc__
    return format_cell


flops = _keep_missing(units.flops)
percent = _keep_missing(units.percent)
milliseconds = _keep_missing(units.milliseconds)
seconds = _keep_missing(units.seconds)
count = _keep_missing(units.count)
size_bytes = _keep_missing(units.size_bytes)
plus_minus = _keep_missing(units.plus_minus)
factor = _keep_missing(units.factor)
si = _keep_missing(units.si)
rate = _keep_missing(units.rate)


def speedup(value: float | Missing) -> Cell:
    """A speed ratio in words ("1.42x faster", units.speedup); not a ratio when not above 0."""
    if isinstance(value, Missing):
        return value
    if value <= 0:
        return Missing(f"not a speed ratio: {value}")
    return units.speedup(value)


def cell(value: Any) -> Cell:
    """Any payload value as a cell: Missing stays Missing, None becomes "—"."""
    if isinstance(value, Missing):
        return value
    if value is None:
        return Missing()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return units.significant(value) if abs(value) < 1e6 else f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def config_value(value: Any) -> Cell:
    """A configuration value as its trainer would print it ("False", "0.0", "12")."""
    if isinstance(value, Missing):
        return value
    if value is None:
        return Missing()
    if isinstance(value, (bool, int, float, str)):
        return str(value)
    return cell(value)


def utilisation(value: float | Missing) -> Cell:
    """A 0-100 utilisation reading (NVML, psutil) as a percentage."""
    return value if isinstance(value, Missing) else percent(value / 100)


def clause(value: Any, template: str) -> str:
    """``template`` filled with ``value``, or "" when the value is missing (an optional clause)."""
    return "" if isinstance(value, Missing) else template.format(value)


def templated(value: float | Missing, template: str) -> Cell:
    """A reading in a unit of its own: ``templated(1095.0, "{:.0f} MHz")`` -> "1095 MHz"."""
    return value if isinstance(value, Missing) else template.format(value)


def power_of_limit(data: Any, draw: str, limit: str) -> Cell:
    """Power draw and its limit in watts: "398 W / 400 W" (the limit left out when unknown)."""
    watts, cap = number(data, draw), number(data, limit)
    if isinstance(watts, Missing):
        return watts
    return f"{watts:.0f} W" + ("" if isinstance(cap, Missing) else f" / {cap:.0f} W")

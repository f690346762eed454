"""Reading the numbers trainers print: "5,856", "1.2e+03", "-100.00%", "0:36:58.55", "'2219'".

Nothing here raises on odd text (a log line is untrusted input); the regex pieces below are
what every format's patterns are built from.
"""

from __future__ import annotations

import datetime as dt
import math
import re

#: A captured whole number: a step, a count (18 digits at most, so it fits an int64).
INT = r"(\d{1,18})"
#: A captured unsigned decimal: a time in ms, a rate ("893.76", "12").
DECIMAL = r"(\d+(?:\.\d+)?)"
#: A captured signed decimal: a printed MFU percentage ("-100.00", "16.6").
SIGNED_DECIMAL = r"(-?\d+(?:\.\d+)?)"
#: A captured ``YYYY-MM-DD HH:MM:SS`` time stamp as Python's logging prints it.
TIMESTAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"

_DURATION = re.compile(r"^(?:(\d+)\s+days?,\s*)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def parse_number(text: str) -> float | None:
    """A plain number as printed: thousands separators, quotes and a trailing ``%`` allowed."""
    cleaned = text.strip().strip("'\"").rstrip("%").replace(",", "").replace("_", "")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_finite(text: str) -> float | None:
    """Like :func:`parse_number` but ``None`` for NaN and infinities."""
    value = parse_number(text)
    if value is None or not math.isfinite(value):
        return None
    return value


def parse_int(text: str) -> int | None:
    """An integer such as "21,479" or "00042"; ``None`` when the text is not one."""
    value = parse_finite(text)
    if value is None or value != int(value):
        return None
    return int(value)


def parse_duration_s(text: str) -> float | None:
    """A duration in seconds from "0:36:58.55", "1 day, 2:03:04" or a plain "2219.5"."""
    cleaned = text.strip().strip("'\"")
    match = _DURATION.match(cleaned)
    if match:
        days, hours, minutes, seconds = match.groups()
        return (int(days or 0) * 24 + int(hours)) * 3600 + int(minutes) * 60 + float(seconds)
    return parse_finite(cleaned)


def parse_value(text: str) -> int | float | bool | str:
    """A configuration value as Python would read it: int, float, bool, else the text."""
    cleaned = text.strip()
    if cleaned in ("True", "true"):
        return True
    if cleaned in ("False", "false"):
        return False
    if len(cleaned) >= 2 and cleaned[0] == cleaned[-1] and cleaned[0] in "'\"":
        return cleaned[1:-1]
    try:
        return int(cleaned.replace(",", "").replace("_", ""))
    except ValueError:
        pass
    number = parse_finite(cleaned) if re.fullmatch(r"[-+0-9.,eE_]+", cleaned) else None
    if number is not None:
        return number
    product = _product(cleaned)
    return product if product is not None else cleaned


def _product(text: str) -> int | None:
    """``5 * 8`` (nanoGPT's gradient_accumulation_steps default) as 40."""
    parts = [p.strip() for p in text.split("*")]
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return None
    return math.prod(int(part) for part in parts)


def timestamp_s(text: str, millis: str = "0") -> float | None:
    """Seconds of "2025-06-16 22:30:50" plus ``millis`` milliseconds; None for a bad date."""
    try:
        stamp = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return stamp.timestamp() + int(millis or 0) / 1000.0

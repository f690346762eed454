"""Making text from outside safe to show on a terminal, and deciding whether to colour.

Log lines, snapshot files, saved results, NVML strings and file names may carry terminal
control sequences (OSC 52 writes the clipboard; others retitle the window or hide text):
:func:`terminal_safe` removes every escape sequence and C0/C1 control but newline and tab.
Control codes: ECMA-48 (5th edition, 1991), sections 5.3-5.6 and 8.3
(https://ecma-international.org/publications-and-standards/standards/ecma-48/).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

#: CSI (ESC [ or 0x9B, parameters, one final byte); OSC, DCS, SOS, PM, APC up to ST or BEL
#: (or the end of the text); any other ESC with intermediates and a final byte.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
#: C0 controls but tab and newline, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: Longest piece of outside input an error message quotes, in characters.
MAX_ECHOED_CHARS = 200


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences and control characters (newline and tab kept)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def terminal_safe_data(data: Any) -> Any:
    """JSON-like ``data`` with every string (keys too) made :func:`terminal_safe`."""
    return (
        map_strings(data, lambda _key, text: terminal_safe(text)) if _holds_control(data) else data
    )


def map_strings(data: Any, change: Callable[[str, str], str]) -> Any:
    """JSON-like ``data`` with each string replaced by ``change(key, text)``: ``key`` is the
    field it sits under (a list's items share their list's), "" for a key itself; tuples become
    lists. Walks without recursion, so a deeply nested document cannot overflow the stack."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any, str]] = [(data, root, 0, "")]
    while stack:
        item, parent, slot, key = stack.pop()
        if isinstance(item, str):
            parent[slot] = change(key, item)
        elif isinstance(item, Mapping):
            # Two keys that become one keep the first's place and the last's value, as in a dict.
            fields = {
                change("", name) if isinstance(name, str) else name: (value, str(name))
                for name, value in item.items()
            }
            parent[slot] = copy = {new: value for new, (value, _) in fields.items()}
            stack.extend(
                (v, copy, new, name) for new, (v, name) in fields.items() if type(v) not in _PLAIN
            )
        elif isinstance(item, (list, tuple)):
            items = list(item)
            parent[slot] = items
            stack.extend((v, items, i, key) for i, v in enumerate(items) if type(v) not in _PLAIN)
    return root[0]


#: Leaf types that hold no string (the bulk of a long series).
_PLAIN = (int, float, bool, type(None))


#: A control character as json.dumps(ensure_ascii=False) writes it (C0 as \u00XX or \b \f \r,
#: DEL and C1 raw); a false match only costs the slower walk.
_CONTROL_IN_JSON = re.compile(r"\\u00[01][0-9a-fA-F]|\\[bfr]|[\x7f-\x9f]")


def _holds_control(data: Any) -> bool:
    """Quick check, in C: could any string in ``data`` hold a control character?"""
    try:
        text = json.dumps(data, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        return True
    return _CONTROL_IN_JSON.search(text) is not None


def one_line(text: str, limit: int = MAX_ECHOED_CHARS * 2) -> str:
    """``text`` made safe, on one line, shortened in the middle to about ``limit`` characters."""
    flat = " ".join(terminal_safe(text).split())
    if len(flat) <= limit:
        return flat
    half = (limit - 5) // 2
    return f"{flat[:half]} ... {flat[-half:]}"


def shown(value: object, limit: int = MAX_ECHOED_CHARS) -> str:
    """``repr(value)`` for an error message: safe, one line, at most about ``limit`` characters
    (a 50 MB string is never copied in full)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
        return one_line(repr(value)[:-1], limit) + "...'"
    if isinstance(value, (list, dict, tuple)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 640:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return one_line(repr(value), limit)


def colour_wanted(is_terminal: bool) -> bool:
    """Whether to colour output: only on a terminal, never with a non-empty ``NO_COLOR``
    (https://no-color.org) or ``TERM=dumb`` (terminfo's entry without capabilities)."""
    return is_terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"

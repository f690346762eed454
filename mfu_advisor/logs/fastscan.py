"""Vectorised scanning of a chunk's bytes with numpy: line starts, prefixes, numbers at offsets.

Formats that log every step find their step lines and numbers in bulk with these. Reads never
fail: past the chunk they read NUL padding, and every helper stops at a newline.
"""

from __future__ import annotations

import numpy as np

#: Bytes appended to a chunk so that fixed-width windows never run past its end (offsets are
#: also clipped to the padded chunk, so a window may start anywhere).
PAD = 128
_PAD_BYTES = b"\0" * PAD

#: Widest integer read by :func:`uint_at` (digits; 10**12 steps is plenty).
INT_WIDTH = 12
#: Most significant digits :func:`decimal_at` reads exactly (below 2**53, so the value is the
#: correctly rounded float, the same as ``float(text)``).
DECIMAL_DIGITS = 15

_NEWLINE = 10
_DOT = 46
#: Powers of ten that fit an int64 (10**18 < 2**63).
_POW10 = 10 ** np.arange(19, dtype=np.int64)


def as_array(data: bytes) -> np.ndarray:
    """The chunk's bytes as a uint8 array, padded with NULs (see :data:`PAD`)."""
    return np.frombuffer(data + _PAD_BYTES, dtype=np.uint8)


def line_bounds(buf: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets and newline offsets of every line in the first ``size`` bytes."""
    ends = np.flatnonzero(buf[:size] == 10)
    starts = np.empty(len(ends), dtype=np.int64)
    if len(ends):
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    return starts, ends


def _window(buf: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    """Offsets moved back so that ``width`` bytes from each stay inside the padded chunk."""
    return np.minimum(offsets, len(buf) - 1 - width)


def has_prefix(buf: np.ndarray, starts: np.ndarray, prefix: bytes) -> np.ndarray:
    """Boolean mask: the text at each offset begins with ``prefix``."""
    mask = np.ones(len(starts), dtype=bool)
    base = _window(buf, starts, len(prefix))
    for k, byte in enumerate(prefix):
        mask &= buf[base + k] == byte
    return mask


def find_byte(buf: np.ndarray, offsets: np.ndarray, byte: int, width: int) -> np.ndarray:
    """How far after each offset ``byte`` first occurs, within ``width`` bytes and the line."""
    found = np.full(len(offsets), -1, dtype=np.int64)
    active = np.ones(len(offsets), dtype=bool)
    base = _window(buf, offsets, width)
    for k in range(width):
        current = buf[base + k]
        hit = active & (current == byte)
        found[hit] = k
        active &= ~hit & (current != _NEWLINE)
        if not active.any():
            break
    return found


def uint_at(
    buf: np.ndarray, offsets: np.ndarray, width: int = INT_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """The unsigned integer of at most ``width`` digits at each offset, and its digit count."""
    values = np.zeros(len(offsets), dtype=np.int64)
    length = np.zeros(len(offsets), dtype=np.int64)
    active = np.ones(len(offsets), dtype=bool)
    base = _window(buf, offsets, width)
    for k in range(width):
        # uint8 arithmetic wraps: anything but a digit lands at 10 or above.
        digit = buf[base + k] - np.uint8(48)
        active &= digit < 10
        if not active.any():
            break
        values = np.where(active, values * 10 + digit, values)
        length += active
    return values, length


def decimal_at(buf: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unsigned decimal ``123`` or ``123.45`` at each offset, and how many bytes it takes."""
    whole, whole_len = uint_at(buf, offsets, DECIMAL_DIGITS + 1)
    dot = whole_len > 0
    dot &= buf[_window(buf, offsets + whole_len, 1)] == _DOT
    fraction, fraction_len = uint_at(buf, offsets + whole_len + 1, DECIMAL_DIGITS + 1)
    fraction_len = np.where(dot, fraction_len, 0)
    fraction = np.where(dot, fraction, 0)
    digits = whole_len + fraction_len
    ok = (whole_len > 0) & (digits <= DECIMAL_DIGITS)
    numerator = whole * _POW10[np.where(ok, fraction_len, 0)] + fraction
    values = np.where(ok, numerator / _POW10[fraction_len].astype(np.float64), np.nan)
    length = np.where(ok, whole_len + dot + fraction_len, 0)
    return values, length

"""Vectorised scanning of a chunk of log lines with numpy, for the formats that log every step.

A Python loop costs about a microsecond per line on a small machine, which is
too slow for a multi-gigabyte log (the target is a million lines per second).
These helpers treat a chunk as one byte array and answer, for all its lines
at once: where each line starts, which lines begin with a given prefix, and
the unsigned integer that starts at a given offset. A format parser uses them
to find its step lines and their step numbers in bulk, and parses in Python
only the lines it keeps in detail (see ``collect.StepCollector``).
"""

from __future__ import annotations

import numpy as np

#: Bytes appended to a chunk so that fixed-width windows never run past its end.
PAD = 32
_PAD_BYTES = b"\0" * PAD

#: Widest integer read by :func:`uint_at` (digits; 10**12 steps is plenty).
INT_WIDTH = 12


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


def has_prefix(buf: np.ndarray, starts: np.ndarray, prefix: bytes) -> np.ndarray:
    """Boolean mask: the line beginning at each start offset begins with ``prefix``."""
    mask = np.ones(len(starts), dtype=bool)
    for k, byte in enumerate(prefix):
        mask &= buf[starts + k] == byte
    return mask


def uint_at(buf: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unsigned decimal integer starting at each offset, and its digit count.

    Where no digit starts at an offset the value is 0 and the count 0; a number
    of :data:`INT_WIDTH` digits or more is cut there (count == INT_WIDTH flags it).
    One pass per digit column, each a 1-D numpy operation over all lines.
    """
    values = np.zeros(len(offsets), dtype=np.int64)
    length = np.zeros(len(offsets), dtype=np.int64)
    active = np.ones(len(offsets), dtype=bool)
    for k in range(INT_WIDTH):
        digit = buf[offsets + k].astype(np.int64) - 48
        active &= (digit >= 0) & (digit <= 9)
        if not active.any():
            break
        values = np.where(active, values * 10 + digit, values)
        length += active
    return values, length

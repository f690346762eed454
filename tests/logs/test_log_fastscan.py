"""The vectorised line scanner agrees with plain Python."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mfu_advisor.logs import fastscan


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="iter 0123456789:x\t", max_size=30), min_size=1, max_size=40))
def test_prefix_and_integer_match_python(lines: list[str]) -> None:
    data = "".join(line + "\n" for line in lines).encode()
    buf = fastscan.as_array(data)
    starts, _ends = fastscan.line_bounds(buf, len(data))
    assert len(starts) == len(lines)
    mask = fastscan.has_prefix(buf, starts, b"iter ")
    assert mask.tolist() == [line.startswith("iter ") for line in lines]
    values, lengths = fastscan.uint_at(buf, starts[mask] + 5)
    for line, value, length in zip(
        [line for line in lines if line.startswith("iter ")], values, lengths, strict=True
    ):
        digits = ""
        for char in line[5:]:
            if not char.isdigit() or len(digits) == fastscan.INT_WIDTH:
                break
            digits += char
        assert length == len(digits)
        assert value == (int(digits) if digits else 0)


def test_uint_at_large_numbers() -> None:
    buf = fastscan.as_array(b"999999999999x\n")
    values, lengths = fastscan.uint_at(buf, np.array([0]))
    assert values.tolist() == [999_999_999_999] and lengths.tolist() == [12]

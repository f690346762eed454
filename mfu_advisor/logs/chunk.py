"""A run of whole lines from one input, as the reader hands them to parsers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Chunk:
    """A run of whole lines from one input."""

    data: bytes
    """The lines, each ending in ``b"\\n"``, cleaned of ANSI codes and carriage returns."""
    first_line: int
    """1-based number of the first line in its input (tqdm ``\\r`` updates count as lines)."""
    ranks: np.ndarray | None = None
    """The rank that printed each line, when the input has rank prefixes (logs/ranks.py; -1 for
    a line without one); None for an input without them."""

    def lines(self) -> list[str]:
        """The chunk decoded (invalid UTF-8 replaced) and split into lines, without newlines."""
        text = self.data.decode("utf-8", errors="replace")
        return text.split("\n")[:-1]

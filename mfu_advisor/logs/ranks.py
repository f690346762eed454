"""Rank prefixes: logs where several processes of a distributed job interleave their lines.

Styles: torchrun's ``[rank3]:`` (``[default3]:`` before torch 2.2), Slurm ``srun --label``'s
``3: ``, Lightning's ``[rank: 3] ``, ``rank 3: ``. The style is chosen once per input
(:func:`detect_style`); :func:`strip_chunk` removes it and keeps each line's rank in
``Chunk.ranks`` (-1: no prefix).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mfu_advisor.logs.chunk import Chunk

#: A line with no rank prefix in a prefixed input (launcher warnings, for example).
NO_RANK = -1
#: Highest rank read from a prefix; a larger number is not a rank label.
MAX_RANK = 65_535


@dataclass(frozen=True)
class RankStyle:
    """One way launchers write rank prefixes."""

    name: str
    """"torchrun", "torchrun (default role)", "[rank N]", "srun --label" or "rank N:"."""
    pattern: re.Pattern[str]
    """Matches the prefix at the start of a line; group 1 is the rank."""
    min_share: float
    """Share of the non-empty first lines that must carry this prefix to adopt it."""
    ambiguous: bool
    """True when an unprefixed line could look the same (``12: loss ...``): then the
    labels must repeat (few distinct ranks over many lines) to be believed."""


STYLES = (
    RankStyle("torchrun", re.compile(r"^\[rank(\d{1,5})\]:"), 0.3, False),
    # PyTorch Lightning's rank_zero helpers and hand-made wrappers: "[rank: 0] ", "[Rank 0] ".
    RankStyle("[rank N]", re.compile(r"^\[[Rr]ank:? (\d{1,5})\]:? ?"), 0.3, False),
    RankStyle("torchrun (default role)", re.compile(r"^\[default(\d{1,5})\]:"), 0.3, False),
    RankStyle("srun --label", re.compile(r"^ *(\d{1,5}): "), 0.5, True),
    RankStyle("rank N:", re.compile(r"^[Rr]ank ?(\d{1,5}): ?"), 0.5, False),
)


def detect_style(lines: Sequence[str]) -> RankStyle | None:
    """The prefix style of an input, judged on its first lines; None when it has none."""
    nonempty = [line for line in lines if line.strip()]
    if not nonempty:
        return None
    best: tuple[int, RankStyle] | None = None
    for style in STYLES:
        ranks = [int(m.group(1)) for m in map(style.pattern.match, nonempty) if m]
        if not ranks or len(ranks) < style.min_share * len(nonempty):
            continue
        if max(ranks) > MAX_RANK:
            continue
        if style.ambiguous and len(set(ranks)) > max(1, len(ranks) // 4):
            # Step numbers ("12: loss 3.2") change on every line; rank labels repeat.
            continue
        if best is None or len(ranks) > best[0]:
            best = (len(ranks), style)
    return None if best is None else best[1]


def strip_line(line: str, style: RankStyle) -> tuple[int, str]:
    """The rank of ``line`` (:data:`NO_RANK` without a prefix) and the line without it."""
    match = style.pattern.match(line)
    if match is None:
        return NO_RANK, line
    return int(match.group(1)), line[match.end() :]


def strip_lines(lines: Sequence[str], style: RankStyle) -> tuple[list[str], int | None]:
    """``lines`` without their rank prefixes, and the lowest rank among them (whose lines the
    main analysis reads; None when no line has a prefix)."""
    pairs = [strip_line(line, style) for line in lines]
    seen = [rank for rank, _text in pairs if rank != NO_RANK]
    return [text for _rank, text in pairs], min(seen) if seen else None


def strip_chunk(
    chunk: Chunk, style: RankStyle, inner: Callable[[bytes], bytes] | None = None
) -> Chunk:
    """``chunk`` with the prefixes removed and each line's rank in ``Chunk.ranks``."""
    ranks: list[int] = []
    out: list[str] = []
    for line in chunk.lines():
        rank, text = strip_line(line, style)
        ranks.append(rank)
        out.append(text)
    data = ("\n".join(out) + "\n").encode("utf-8") if out else b""
    if inner is not None and data:
        data = inner(data)
    return Chunk(data, chunk.first_line, np.asarray(ranks, dtype=np.int64))


def split_by_rank(chunk: Chunk, primary: int | None, cap: int) -> list[tuple[int, Chunk]]:
    """``chunk`` once per rank, other ranks' lines blanked, for one parser per rank."""
    ranks = chunk.ranks
    if ranks is None:
        return [(NO_RANK if primary is None else primary, chunk)]
    owner = ranks.copy()
    if primary is not None:
        owner[owner == NO_RANK] = primary
    keys = sorted(np.unique(owner).tolist(), key=lambda k: k != primary)[:cap]  # primary first
    if len(keys) == 1 and bool((owner == keys[0]).all()):
        return [(keys[0], chunk)]
    lines = chunk.lines()
    out: list[tuple[int, Chunk]] = []
    for key in keys:
        mine = owner == key
        text = "\n".join(
            line if keep else "" for line, keep in zip(lines, mine.tolist(), strict=True)
        )
        out.append((key, Chunk((text + "\n").encode("utf-8"), chunk.first_line, ranks)))
    return out

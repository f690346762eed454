"""A data-parallel bench (docs/distributed.md): a sentence on the job and a row per rank."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import Block, Paragraph, Table, Tone
from mfu_advisor.report.values import Cell, Missing
from mfu_advisor.units import cpu_list

#: From this all-reduce share or straggler spread the sentence reads as a warning:
#: the thresholds of rules MA126 and MA127 (rules/distributed_rules.py).
HIGH_COMMUNICATION = 0.20
HIGH_SPREAD = 0.10


def ranks_blocks(run: Mapping[str, Any]) -> tuple[Block, ...]:
    """The job sentence and the per-rank table; empty for a single-process result."""
    setup = v.mapping(run, "distributed")
    ranks = [r for r in v.items(run, "ranks") if isinstance(r, Mapping)]
    if not setup and not ranks:
        return ()
    blocks: list[Block] = [job_paragraph(run)]
    if ranks:
        blocks.append(ranks_table(ranks))
    return tuple(blocks)


def job_paragraph(run: Mapping[str, Any]) -> Paragraph:
    """ "Data-parallel: 2 ranks x 1 thread (gloo, torchrun) ... all-reduce 7.7% of the step ..."."""
    setup = v.mapping(run, "distributed")
    world = v.number(setup, "world_size")
    threads = v.number(setup, "threads_per_rank")
    ranks_text = "ranks" if isinstance(world, Missing) else f"{world:.0f} ranks"
    if not isinstance(threads, Missing):
        ranks_text += f" x {threads:.0f} thread{'s' if threads != 1 else ''}"
    how = [str(x) for x in (v.text(setup, "backend"), "torchrun") if not isinstance(x, Missing)]
    nodes = v.number(setup, "nnodes")
    if not isinstance(nodes, Missing) and nodes > 1:
        how.append(f"{nodes:.0f} nodes")
    parts = [f"Data-parallel run (DDP): {ranks_text} ({', '.join(how)})"]
    job = v.mapping(run, "job")
    tokens, achieved = v.number(job, "tokens_per_s"), v.number(job, "achieved_flops")
    if not isinstance(tokens, Missing) and not isinstance(achieved, Missing):
        job_text = f"the job does {v.rate(tokens)}, {v.flops(achieved)}"
        mfu = v.number(job, "mfu")
        if not isinstance(mfu, Missing):
            peak = v.flops(v.number(job, "peak_flops"))
            job_text += f", {v.percent(mfu)} of the ranks' summed peak {peak}"
        parts.append(job_text)
    warn = False
    share = v.number(run, "communication_fraction")
    if not isinstance(share, Missing):
        parts.append(
            f"the gradient all-reduce takes {v.percent(share)} of the median rank's step "
            "(steps under no_sync() against steps with it)"
        )
        warn = warn or share >= HIGH_COMMUNICATION
    straggler = v.mapping(run, "straggler")
    spread = v.number(straggler, "spread")
    if not isinstance(spread, Missing):
        parts.append(
            f"the slowest rank, {v.number(straggler, 'slowest_rank'):.0f}, computes "
            f"{v.percent(spread)} slower than the median rank"
        )
        warn = warn or spread >= HIGH_SPREAD
    parts.append(_scaling_text(run))
    return Paragraph("; ".join(p for p in parts if p) + ".", tone=Tone.WARN if warn else Tone.PLAIN)


def _scaling_text(run: Mapping[str, Any]) -> str:
    scaling = v.mapping(run, "scaling")
    efficiency = v.number(scaling, "efficiency")
    if isinstance(efficiency, Missing):
        reason = v.mapping(run, "unavailable").get("scaling")
        return f"scaling efficiency not measured ({reason})" if reason else ""
    reference = v.text(scaling, "reference")
    shown = f"scaling efficiency {v.percent(efficiency)}"
    tokens = v.number(scaling, "reference_tokens_per_s")
    if not isinstance(reference, Missing) and not isinstance(tokens, Missing):
        shown += f" against {reference}, alone ({v.rate(tokens)})"
    if efficiency > 1.05:
        shown += (
            " (above 100%: the reference ran slower than each rank, so the machine was busier "
            "while it ran; rerun on an idle machine)"
        )
    return shown


def ranks_table(ranks: list[Mapping[str, Any]]) -> Table:
    """A row per rank: where it ran, its step with and without the all-reduce, tokens/s, MFU."""
    rows: list[tuple[Cell, ...]] = []
    for rank in ranks:
        rows.append(
            (
                _rank_cell(rank),
                v.milliseconds(v.number(rank, "step_time_ms.median")),
                v.milliseconds(v.number(rank, "compute_step_time_ms")),
                v.percent(v.number(rank, "communication_fraction")),
                v.rate(v.number(rank, "tokens_per_s")),
                v.percent(v.number(rank, "mfu")),
            )
        )
    return Table(
        columns=("rank", "step", "no all-reduce", "all-reduce", "tokens/s", "MFU"),
        rows=tuple(rows),
        title="Ranks",
        numeric=(False, True, True, True, True, True),
        note=(
            "step: median with the gradient all-reduce; no all-reduce: median under no_sync(); "
            "MFU against the rank's own peak (its share of the CPUs, or its GPU)."
        ),
    )


def _rank_cell(rank: Mapping[str, Any]) -> Cell:
    """ "0 (CPU 0-3)", "1 (cuda:1)"."""
    number_ = v.number(rank, "rank")
    if isinstance(number_, Missing):
        return number_
    where = _where(rank)
    return f"{number_:.0f}" if isinstance(where, Missing) else f"{number_:.0f} ({where})"


def _where(rank: Mapping[str, Any]) -> Cell:
    cpus = [c for c in v.items(rank, "cpus") if isinstance(c, int)]
    device = v.text(rank, "device")
    if cpus and (isinstance(device, Missing) or device == "cpu"):
        return f"CPU {cpu_list(cpus)}"
    return device

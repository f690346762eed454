"""The multi-process view of a log: world size, what its figures count, each rank, the job.

Each rank's collector (``StepCollector.rank_sinks``) gets its own steady state; they combine
into per-rank figures, the job's tokens/s, FLOP/s, peak and MFU, and the straggler spread
(docs/analyze.md, "Distributed runs").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mfu_advisor.bench.multi_rank import rank_spread
from mfu_advisor.facts import Maybe, Unavailable, known
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.formats.base import Figure, LogFormat
from mfu_advisor.logs.launch import LaunchFacts
from mfu_advisor.logs.result import DistributedFacts, JobFigures, RankFigures, StragglerFacts
from mfu_advisor.logs.steady import Steady, find_steady, printed_values

#: Where the world size came from when it is only the highest rank prefix + 1.
LOWER_BOUND_SUFFIX = "(a lower bound: ranks that printed nothing are not seen)"


@dataclass(frozen=True)
class WorldHints:
    """The world-size statements other than the trainer's own, in the order they are trusted."""

    option: int | None  # --world-size
    launch: tuple[int, str] | None  # from the launch lines, and which
    prefix_bound: tuple[int, str] | None  # highest rank prefix + 1, and how that reads


def world_hints(sink: StepCollector, launch: LaunchFacts, option: int | None) -> WorldHints:
    """Collect the world-size hints of a log (see :class:`WorldHints`)."""
    stated: tuple[int, str] | None = None
    if launch.world_size is not None:
        stated = (launch.world_size, launch.world_size_source)
    elif launch.data_parallel_devices:
        n = launch.data_parallel_devices
        stated = (n, f"the log's n_gpu: {n} (one process drives {n} GPUs with DataParallel)")
    bound: tuple[int, str] | None = None
    if sink.ranks_seen:
        low, high = min(sink.ranks_seen), max(sink.ranks_seen)
        label = _label(sink, low) + (f"..{_label(sink, high)}" if high != low else "")
        bound = (high + 1, f"rank prefixes {label} {LOWER_BOUND_SUFFIX}")
    return WorldHints(option, stated, bound)


def _label(sink: StepCollector, rank: int) -> str:
    style = sink.rank_prefix
    if style.startswith("torchrun (default"):
        return f"[default{rank}]"
    if style.startswith("torchrun"):
        return f"[rank{rank}]"
    if style == "srun --label":
        return f"{rank}:"
    return f"rank {rank}:"


def distributed_facts(
    *,
    sink: StepCollector,
    fmt: LogFormat,
    steady: Steady,
    launch: LaunchFacts,
    hints: WorldHints,
    devices: Maybe[int],
    devices_source: str,
    tokens_per_step: Figure | Unavailable,
    tokens_per_s: Maybe[float],
    tokens_per_s_source: str,
    achieved_flops: Maybe[float],
    peak_flops: Maybe[float],
) -> DistributedFacts | Unavailable:
    """The ``distributed`` section, or why there is none (the log shows one process)."""
    world: Maybe[int] = devices
    if not known(devices):
        world = Unavailable("the log does not say how many processes ran; give --world-size N")
    elif devices_source.startswith("assumed"):
        world = Unavailable("the log does not say how many processes ran (one assumed)")
    parallel, evidence = _parallel(launch, sink, world, fmt)
    multi = (known(world) and world > 1) or bool(sink.ranks_seen)  # type: ignore[operator]
    if not multi and parallel == "unknown" and hints.option is None:
        return Unavailable("the log shows one process")
    notes = [fmt.scope_note] if fmt.scope_note else []
    lower_bound = (
        hints.prefix_bound is not None
        and devices_source == hints.prefix_bound[1]
        and hints.option is None
    )
    tokens_scope = fmt.rank_tokens_scope()
    per_rank = _per_rank(sink, fmt, steady, world, tokens_per_step, tokens_scope)
    job = _job(
        world,
        tokens_scope,
        (tokens_per_s, tokens_per_s_source),
        per_rank,
        achieved_flops,
        peak_flops,
    )
    straggler = _straggler(per_rank)
    if sink.ranks_seen and len(sink.ranks_seen) == 1 and known(world) and world > 1:  # type: ignore[operator]
        notes.append(
            f"only rank {min(sink.ranks_seen)}'s lines are in the log: the other ranks' step "
            "times are not known"
        )
    if lower_bound:
        notes.append(
            "the world size is the highest rank prefix + 1, a lower bound; give --world-size N "
            "if more processes ran"
        )
    if parallel == "data_parallel":
        notes.append(
            "torch.nn.DataParallel runs one process that scatters each batch to the GPUs and "
            "gathers the outputs on the first one every step; DistributedDataParallel (one "
            "process per GPU, launched with torchrun) is faster"
        )
    return DistributedFacts(
        world_size=world,
        world_size_source=devices_source if known(world) else "",
        world_size_lower_bound=lower_bound,
        ranks_seen=tuple(sorted(sink.ranks_seen)),
        rank_prefixed=bool(sink.ranks_seen),
        rank_prefix_style=sink.rank_prefix if sink.ranks_seen else "",
        parallel=parallel,
        parallel_evidence=evidence,
        backend=launch.backend if launch.backend else Unavailable("the log does not say"),
        mfu_scope=fmt.mfu_scope,
        tokens_per_s_scope=tokens_scope,
        per_rank=per_rank,
        job=job,
        straggler=straggler,
        notes=tuple(notes),
    )


def _parallel(
    launch: LaunchFacts, sink: StepCollector, world: Maybe[int], fmt: LogFormat
) -> tuple[str, str]:
    """The data parallelism ("fsdp", "data_parallel", "ddp" or "unknown") and what shows it."""
    found = launch.parallel_evidence
    for kind in ("fsdp", "data_parallel", "ddp"):
        if kind in found:
            return kind, found[kind]
    if len(sink.ranks_seen) > 1:
        return "ddp", f"lines of {len(sink.ranks_seen)} ranks (one process per rank: torchrun)"
    several = known(world) and world > 1  # type: ignore[operator]
    if several and fmt.parallel_when_distributed != "unknown":
        return fmt.parallel_when_distributed, f"{fmt.title} in {world} processes"
    return "unknown", ""


def _per_rank(
    sink: StepCollector,
    fmt: LogFormat,
    steady: Steady,
    world: Maybe[int],
    tokens_per_step: Figure | Unavailable,
    tokens_scope: str,
) -> tuple[RankFigures, ...]:
    if not sink.ranks_seen:
        return ()
    ranks = sorted(
        sink.ranks_seen | ({sink.primary_rank} if sink.primary_rank is not None else set())
    )
    out: list[RankFigures] = []
    for rank in ranks:
        own = sink if rank == sink.primary_rank else sink.rank_sinks.get(rank)
        if own is None or own.count == 0:
            continue  # a rank that printed no step line (or past the cap)
        own_steady = steady if own is sink else find_steady(own)
        step_ms: Maybe[float] = (
            own_steady.median_ms
            if own_steady.median_ms is not None
            else Unavailable("this rank's step lines carry no time")
        )
        tokens, source = _rank_tokens(own, own_steady, world, tokens_per_step, tokens_scope, fmt)
        out.append(RankFigures(rank, own.count, step_ms, tokens, source))
    return tuple(out)


def _rank_tokens(
    sink: StepCollector,
    steady: Steady,
    world: Maybe[int],
    tokens_per_step: Figure | Unavailable,
    tokens_scope: str,
    fmt: LogFormat,
) -> tuple[Maybe[float], str]:
    printed_tokens = printed_values(sink, steady, "tokens_per_s")
    if tokens_scope == "per_rank" and len(printed_tokens):
        return float(np.median(printed_tokens)), "median of the tokens/s this rank printed"
    if tokens_scope == "unknown":
        return Unavailable(f"{fmt.title} logs do not say what their tokens/s count"), ""
    if steady.median_ms is None or steady.median_ms <= 0:
        return Unavailable("this rank's step lines carry no time"), ""
    if isinstance(tokens_per_step, Unavailable):
        return Unavailable(tokens_per_step.reason), ""
    per_step = tokens_per_step.value
    if tokens_scope == "job":
        if not known(world):
            return Unavailable("the world size is not known; give --world-size N"), ""
        per_step /= world  # type: ignore[operator]
        return (
            per_step / (steady.median_ms / 1000.0),
            f"tokens per step / {world} ranks / this rank's steady step time",
        )
    return per_step / (steady.median_ms / 1000.0), "tokens per step / this rank's steady step time"


def _job(
    world: Maybe[int],
    tokens_scope: str,
    log_tokens: tuple[Maybe[float], str],
    per_rank: Sequence[RankFigures],
    achieved_flops: Maybe[float],
    peak_flops: Maybe[float],
) -> JobFigures:
    no_world = Unavailable("the world size is not known; give --world-size N")
    tokens_per_s, log_source = log_tokens
    tokens: Maybe[float]
    tokens_source = ""
    if tokens_scope == "job":
        tokens = tokens_per_s
        tokens_source = f"{log_source} (counts every rank)" if known(tokens_per_s) else ""
    elif tokens_scope == "per_rank":
        rank_tokens = [r.tokens_per_s for r in per_rank if known(r.tokens_per_s)]
        if known(world) and len(rank_tokens) == world and world > 1:  # type: ignore[operator]
            tokens = float(sum(rank_tokens))  # type: ignore[arg-type]
            tokens_source = f"sum of the {world} ranks' tokens/s"
        elif not known(world):
            tokens = no_world
        elif not known(tokens_per_s):
            tokens = tokens_per_s
        else:
            tokens = tokens_per_s * world  # type: ignore[operator]
            tokens_source = f"one rank's tokens/s x {world} ranks"
    else:
        tokens = Unavailable("the log does not say whether its tokens/s count one rank or all")
    achieved: Maybe[float] = no_world
    peak: Maybe[float] = no_world
    if known(world):
        achieved = achieved_flops * world if known(achieved_flops) else achieved_flops  # type: ignore[operator]
        peak = (
            peak_flops * world  # type: ignore[operator]
            if known(peak_flops)
            else Unavailable(_reason(peak_flops) or "no peak: give --hardware or --peak-tflops")
        )
    mfu: Maybe[float]
    if known(achieved) and known(peak) and peak:
        mfu = achieved / peak  # type: ignore[operator]
    else:
        mfu = Unavailable(_reason(achieved) or _reason(peak))
    return JobFigures(tokens, tokens_source, achieved, peak, mfu)


def _straggler(per_rank: Sequence[RankFigures]) -> StragglerFacts | Unavailable:
    found = rank_spread(
        [
            (r.rank, float(r.steady_step_time_ms))  # type: ignore[arg-type]
            for r in per_rank
            if known(r.steady_step_time_ms)
        ]
    )
    if found is None:
        return Unavailable("needs the steady step times of at least two ranks (rank prefixes)")
    if found.median_ms <= 0:
        return Unavailable("the median rank's step time is zero")
    return StragglerFacts(
        found.slowest_rank, found.slowest_ms, found.median_rank, found.median_ms, found.spread
    )


def _reason(value: object) -> str:
    return value.reason if isinstance(value, Unavailable) else ""

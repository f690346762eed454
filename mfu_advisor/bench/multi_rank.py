"""From the ranks' step times to per-rank and whole-job figures (docs/distributed.md explains
each: all-reduce share, straggler spread, scaling efficiency). Pure Python."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.timing import StepTimeStats, summarize
from mfu_advisor.facts import Maybe, Unavailable

#: Why the figures that need steps under no_sync() are missing with --no-communication-split.
NOT_SPLIT = "not measured: --no-communication-split timed synced steps only"


@dataclass(frozen=True)
class DistributedSetup:
    """How a multi-rank bench was launched (the JSON ``distributed``)."""

    launcher: str
    """"torch.distributed.run" (torchrun)."""
    backend: str
    """Process-group backend: "gloo" or "nccl"."""
    nccl_available: bool
    """torch.distributed.is_nccl_available() in the ranks."""
    world_size: int
    nnodes: int
    nproc_per_node: int
    rdzv_endpoint: str | None
    """HOST:PORT of the rendezvous; null for a one-node --standalone job."""
    usable_cpus: int
    """CPUs the ranks of this node were given to share (affinity cut to the cgroup quota)."""
    threads_per_rank: int
    cpus_per_rank: tuple[tuple[int, ...], ...] | None
    """Each local rank's CPUs; null when ranks are not pinned (GPU runs)."""
    bucket_cap_mb: int
    """DDP's gradient bucket size."""
    block_steps: int
    """Steps per measured block; blocks with and without all-reduce alternate."""
    communication_split: bool
    """True when blocks under no_sync() were measured (the all-reduce share); False with
    --no-communication-split (synced steps only)."""
    sync_steps: int
    """Measured steps with the gradient all-reduce, per rank."""
    no_sync_steps: int
    """Measured steps under no_sync(), per rank."""


@dataclass(frozen=True)
class RankPeak:
    """The peak FLOP/s one rank's device share can reach, and where it comes from."""

    flops: float
    source: str


@dataclass(frozen=True)
class RankFigures:
    """One rank's measurements (an element of the JSON ``ranks``)."""

    rank: int
    local_rank: int
    host: str
    device: str
    device_name: str
    cpus: tuple[int, ...] | None
    threads: int
    step_time_ms: Maybe[StepTimeStats]
    """Steps with the gradient all-reduce, as in training."""
    compute_step_time_ms: Maybe[float]
    """Median step under ``no_sync()``: the same work without communication."""
    tokens_per_s: Maybe[float]
    achieved_flops: Maybe[float]
    peak_flops: Maybe[float]
    peak_source: str
    mfu: Maybe[float]
    """achieved_flops / peak_flops, as a fraction."""
    communication_fraction: Maybe[float]


@dataclass(frozen=True)
class JobFigures:
    """The whole job (the JSON ``job``)."""

    world_size: int
    tokens_per_step: int
    """Tokens every rank together consumes per optimizer step."""
    step_time_ms: Maybe[float]
    """The slowest rank's median synced step: the job's pace."""
    tokens_per_s: Maybe[float]
    achieved_flops: Maybe[float]
    peak_flops: Maybe[float]
    """Sum of the ranks' peaks."""
    mfu: Maybe[float]


@dataclass(frozen=True)
class Straggler:
    """How far the slowest rank's compute lags the median rank's."""

    slowest_rank: int
    median_rank_compute_step_ms: float
    slowest_rank_compute_step_ms: float
    spread: float
    """slowest / median - 1."""


@dataclass(frozen=True)
class Scaling:
    """The job against one process alone with the same per-rank configuration."""

    reference_tokens_per_s: float
    efficiency: float
    reference: str
    """What the reference ran: "1 process x 1 thread on CPU 0, batch_size 12"."""


@dataclass(frozen=True)
class MultiRankFigures:
    """Everything a multi-rank bench adds to the bench result."""

    ranks: tuple[RankFigures, ...]
    job: JobFigures
    communication_fraction: Maybe[float]
    straggler: Maybe[Straggler]
    scaling: Maybe[Scaling]


def rank_figures(
    measured: Mapping[str, Any], flops_per_token: float, peak: RankPeak | Unavailable
) -> RankFigures:
    """One rank's figures from its worker measurements (worker.py's per-rank dict)."""
    sync = summarize([ms / 1e3 for ms in measured.get("sync_ms") or []])
    no_sync = summarize([ms / 1e3 for ms in measured.get("no_sync_ms") or []])
    no_synced = Unavailable("no synced step was measured")
    tokens_per_s: Maybe[float] = no_synced
    achieved: Maybe[float] = no_synced
    fraction: Maybe[float] = Unavailable("needs steps with and without the all-reduce")
    if sync is not None and sync.median > 0:
        tokens_per_s = int(measured["tokens_per_step"]) / (sync.median / 1e3)
        achieved = tokens_per_s * flops_per_token
        if no_sync is not None:
            fraction = max(0.0, 1.0 - no_sync.median / sync.median)
    mfu: Maybe[float] = Unavailable("no peak for this rank's device")
    if isinstance(peak, RankPeak) and isinstance(achieved, float) and peak.flops > 0:
        mfu = achieved / peak.flops
    cpus = measured.get("cpus")
    return RankFigures(
        rank=int(measured["rank"]),
        local_rank=int(measured.get("local_rank", 0)),
        host=str(measured.get("host", "")),
        device=str(measured.get("device", "")),
        device_name=str(measured.get("device_name", "")),
        cpus=tuple(cpus) if isinstance(cpus, list) else None,
        threads=int(measured.get("threads", 0)),
        step_time_ms=sync if sync is not None else no_synced,
        compute_step_time_ms=(
            no_sync.median if no_sync is not None else Unavailable("no step under no_sync()")
        ),
        tokens_per_s=tokens_per_s,
        achieved_flops=achieved,
        peak_flops=peak if isinstance(peak, Unavailable) else peak.flops,
        peak_source="" if isinstance(peak, Unavailable) else peak.source,
        mfu=mfu,
        communication_fraction=fraction,
    )


def job_figures(ranks: Sequence[RankFigures], tokens_per_step: int) -> JobFigures:
    """Sums over the ranks; a figure any rank lacks is missing for the job."""
    missing = Unavailable("some rank measured no synced step")

    def total(values: list[Maybe[float]]) -> Maybe[float]:
        absent = [v for v in values if isinstance(v, Unavailable)]
        return absent[0] if absent else float(sum(values)) if values else missing  # type: ignore[arg-type]

    medians = [r.step_time_ms.median for r in ranks if isinstance(r.step_time_ms, StepTimeStats)]
    achieved = total([r.achieved_flops for r in ranks])
    peak = total([r.peak_flops for r in ranks])
    mfu: Maybe[float] = Unavailable("no peak for some rank's device")
    if isinstance(achieved, float) and isinstance(peak, float) and peak > 0:
        mfu = achieved / peak
    return JobFigures(
        world_size=len(ranks),
        tokens_per_step=tokens_per_step,
        step_time_ms=max(medians) if len(medians) == len(ranks) and ranks else missing,
        tokens_per_s=total([r.tokens_per_s for r in ranks]),
        achieved_flops=achieved,
        peak_flops=peak,
        mfu=mfu,
    )


@dataclass(frozen=True)
class RankSpread:
    """The slowest rank against the median rank, by a per-rank time."""

    slowest_rank: int
    slowest_ms: float
    median_rank: int
    """The median rank: the lower middle one with an even number of ranks (a real rank)."""
    median_ms: float
    spread: float
    """slowest / median - 1."""


def rank_spread(times: Sequence[tuple[int, float]]) -> RankSpread | None:
    """The slowest of ``(rank, ms)`` against the median one; None under two ranks. Shared by
    the bench and analyze (logs/distributed.py) so that both name the same median rank."""
    ordered = sorted(times, key=lambda pair: (pair[1], pair[0]))
    if len(ordered) < 2:
        return None
    slowest_rank, slowest = ordered[-1]
    median_rank, median = ordered[(len(ordered) - 1) // 2]
    spread = slowest / median - 1.0 if median > 0 else 0.0
    return RankSpread(slowest_rank, slowest, median_rank, median, spread)


def multi_rank_figures(
    measured_ranks: Sequence[Mapping[str, Any]],
    flops_per_token: float,
    peak_of: Callable[[Mapping[str, Any]], RankPeak | Unavailable],
    reference_tokens_per_s: Maybe[float],
    reference: str,
    *,
    split: bool = True,
) -> MultiRankFigures:
    """Everything the multi-rank result adds, from the gathered per-rank measurements;
    without ``split`` no step ran under no_sync(): no all-reduce share, no straggler."""
    ordered = sorted(measured_ranks, key=lambda m: int(m["rank"]))
    ranks = tuple(rank_figures(m, flops_per_token, peak_of(m)) for m in ordered)
    job = job_figures(ranks, sum(int(m["tokens_per_step"]) for m in ordered))
    shares = [r.communication_fraction for r in ranks]
    known = [share for share in shares if isinstance(share, float)]
    share: Maybe[float] = Unavailable("no rank measured steps with and without the all-reduce")
    if known:
        share = statistics.median(known)  # the median rank's all-reduce share of its step
    compute = [(r.rank, r.compute_step_time_ms) for r in ranks]
    found = rank_spread([(rank, ms) for rank, ms in compute if isinstance(ms, float)])
    slowest: Maybe[Straggler] = Unavailable("needs the compute step time of two ranks or more")
    if found is not None:
        slowest = Straggler(found.slowest_rank, found.median_ms, found.slowest_ms, found.spread)
    if not split:
        share = slowest = Unavailable(NOT_SPLIT)
    # Job tokens/s over world size x the single process's.
    scaling: Maybe[Scaling] = Unavailable("the job measured no tokens/s")
    if isinstance(reference_tokens_per_s, Unavailable):
        scaling = reference_tokens_per_s
    elif isinstance(job.tokens_per_s, float) and reference_tokens_per_s > 0:
        efficiency = job.tokens_per_s / (job.world_size * reference_tokens_per_s)
        scaling = Scaling(reference_tokens_per_s, efficiency, reference)
    return MultiRankFigures(ranks, job, share, slowest, scaling)

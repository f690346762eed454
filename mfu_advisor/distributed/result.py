"""The bench result of a finished data-parallel job (the JSON of ``bench --nproc-per-node``).

The top-level figures are the job's (docs/distributed.md): tokens/s and FLOP/s
summed over ranks, MFU against the ranks' summed peaks, the measured matmul
peak of this node (times the GPUs, or the nodes), the slowest rank's steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench import multi_rank as aggregate
from mfu_advisor.bench.denominators import device_peak, device_peak_label, mfu_figures
from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.progress import ProgressSink
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.distributed import plan
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.mfu import flops_per_token


@dataclass(frozen=True)
class JobPlan:
    """What the launcher decided before starting the job."""

    options: BenchOptions
    """Resolved: every field filled."""
    preset_source: str
    choice: Any
    """The device (bench/devices.py DeviceChoice) the options were resolved for."""
    dist: plan.DistributedOptions
    backend: str
    shares: list[tuple[int, ...]]
    """Each local rank's CPUs; empty when ranks are not pinned (GPUs)."""
    usable: list[int]
    threads: int
    """torch threads per rank."""
    hardware: Any
    """The probe's HardwareFacts, or Unavailable."""
    peak_key: str
    notes: list[str]


def bench_result(
    job_plan: JobPlan,
    gathered: Mapping[str, Any],
    reference: tuple[Maybe[float], str],
    sink: ProgressSink,
) -> BenchResult:
    """The bench result of a finished job: the job's figures on top, the ranks' beside."""
    import torch

    opts, choice, dist = job_plan.options, job_plan.choice, job_plan.dist
    hardware, peak_key, usable = job_plan.hardware, job_plan.peak_key, job_plan.usable
    threads, shares = job_plan.threads, job_plan.shares

    from mfu_advisor.bench.gemms import gemm_shapes
    from mfu_advisor.bench.roofline import measured_peak
    from mfu_advisor.bench.run import or_missing, roofline_for_run, series_columns, warmup_figures

    shape = opts.shape()
    fpt = flops_per_token(shape)
    measured = list(gathered.get("ranks") or [])
    figures = aggregate.multi_rank_figures(
        measured,
        fpt,
        lambda m: _rank_peak(m, hardware, choice.device_type, peak_key, len(usable)),
        reference[0],
        reference[1],
        split=dist.communication_split,
    )
    job = figures.job
    # The roofline with as many threads as the ranks on this node use together.
    torch.set_num_threads(max(1, threads * dist.nproc_per_node))
    roofline = roofline_for_run(opts, choice, shape, peak_key, "budget", sink)
    measured_flops, measured_label = measured_peak(roofline, peak_key)
    if measured_flops is not None and choice.device_type == "cuda":
        measured_flops *= dist.world_size
        measured_label += f"; x {dist.world_size} GPUs"
    elif measured_flops is not None and dist.nnodes > 1:
        measured_flops *= dist.nnodes
        measured_label += f"; x {dist.nnodes} nodes, assumed alike"
    job_peak = _job_peak(figures, hardware, choice.device_type, peak_key)
    achieved = job.achieved_flops if isinstance(job.achieved_flops, float) else None
    mfu = mfu_figures(achieved, job_peak, measured_flops, measured_label)
    first = measured[0] if measured else {}
    slowest = _slowest_stats(figures)
    warmups = [float(ms) / 1e3 for ms in first.get("warmup_ms") or []]
    compile_s, warmup_s = warmup_figures(warmups, bool(opts.compile))
    memory = first.get("peak_memory_bytes")
    return BenchResult(
        preset=opts.preset,
        preset_source=job_plan.preset_source,
        config=opts.model_config(),
        device=choice.device_type,
        device_name=choice.name,
        dtype=str(opts.dtype),
        peak_dtype=peak_key,
        torch_version=str(gathered.get("torch_version", torch.__version__)),
        threads=int(first.get("threads", threads)),
        cpu_affinity=tuple(first["cpus"]) if first.get("cpus") else Unavailable("not pinned"),
        tf32=bool(opts.tf32),
        adamw_impl=str(gathered.get("adamw_impl", "")),
        seed=opts.seed,
        data=opts.data or "synthetic",
        n_params=int(gathered.get("n_params", 0)),
        flops_per_token=fpt,
        effective_batch_tokens=job.tokens_per_step,
        warmup_steps=len(warmups),
        warmup_step_ms=tuple(w * 1e3 for w in warmups),
        compile_s=compile_s,
        warmup_s=warmup_s,
        measured_s=_measured_s(first),
        budget_s=float(opts.budget_s or 0),
        stopped_by=_stopped_by(opts, first),
        step_time_ms=slowest,
        tokens_per_s=job.tokens_per_s,
        achieved_flops=job.achieved_flops,
        mfu=mfu,
        peak_memory_bytes=int(memory) if isinstance(memory, int) else Unavailable("not measured"),
        peak_memory_kind=str(first.get("peak_memory_kind", "")) + " (rank 0)",
        loss_first=or_missing(first.get("loss_first"), "no step finished"),
        loss_last=or_missing(first.get("loss_last"), "no step finished"),
        series=series_columns(
            warmups,
            [float(ms) / 1e3 for ms in first.get("sync_ms") or []],
            [*first.get("warmup_losses", []), *first.get("sync_losses", [])],
        ),
        gemm_shapes=gemm_shapes(shape, int(opts.batch_size or 1)),
        roofline=roofline,
        notes=tuple(job_plan.notes),
        multi_rank=figures,
        distributed=aggregate.DistributedSetup(
            launcher="torch.distributed.run",
            backend=job_plan.backend,
            nccl_available=bool(gathered.get("nccl_available")),
            world_size=int(gathered.get("world_size", dist.world_size)),
            nnodes=dist.nnodes,
            nproc_per_node=dist.nproc_per_node,
            rdzv_endpoint=dist.rdzv_endpoint,
            usable_cpus=len(usable),
            threads_per_rank=threads,
            cpus_per_rank=tuple(shares) if shares else None,
            bucket_cap_mb=dist.bucket_cap_mb,
            block_steps=int(first.get("block_steps", 0)),
            communication_split=dist.communication_split,
            sync_steps=len(first.get("sync_ms", [])),
            no_sync_steps=len(first.get("no_sync_ms", [])),
        ),
    )


def _rank_peak(
    measured: Mapping[str, Any], hardware: Any, device_type: str, peak_key: str, usable: int
) -> aggregate.RankPeak | Unavailable:
    """A rank's peak: its share of the CPU's (by CPUs pinned), or its own GPU's."""
    if device_type == "cpu":
        whole = device_peak(hardware, "cpu", 0, peak_key)
        if isinstance(whole, Unavailable):
            return whole
        cpus = measured.get("cpus") or []
        share = min(len(cpus), usable) / usable if usable else 0.0
        return aggregate.RankPeak(
            whole.flops * share,
            f"{len(cpus)} of {usable} usable CPUs x the CPU's peak, {whole.flops / 1e9:,.1f} "
            f"GFLOP/s{' (estimated)' if whole.estimated else ''}",
        )
    local = int(measured.get("local_rank", 0))
    gpu = device_peak(hardware, device_type, local, peak_key)
    if isinstance(gpu, Unavailable):
        return gpu
    return aggregate.RankPeak(gpu.flops, device_peak_label(gpu))


def _job_peak(
    figures: aggregate.MultiRankFigures, hardware: Any, device_type: str, peak_key: str
) -> Any:
    """The sum of the ranks' peaks as a probe PeakFlops, for the labelled MFU figures."""
    base = device_peak(hardware, device_type, 0, peak_key)
    total = figures.job.peak_flops
    if isinstance(base, Unavailable):
        return base
    if isinstance(total, Unavailable):
        return total
    return dataclasses.replace(
        base,
        flops=total,
        source=f"sum over {figures.job.world_size} ranks: " + base.source,
    )


def _slowest_stats(figures: aggregate.MultiRankFigures) -> Maybe[StepTimeStats]:
    """The synced step statistics of the slowest rank: the job's pace."""
    stats = [r.step_time_ms for r in figures.ranks if isinstance(r.step_time_ms, StepTimeStats)]
    if not stats:
        return Unavailable("no rank measured a synced step")
    return max(stats, key=lambda s: s.median)


def _measured_s(first: Mapping[str, Any]) -> float:
    """Seconds of measured steps of both kinds on rank 0."""
    return sum(float(ms) for ms in [*first.get("sync_ms", []), *first.get("no_sync_ms", [])]) / 1e3


def _stopped_by(opts: BenchOptions, first: Mapping[str, Any]) -> str:
    synced = len(first.get("sync_ms", []))
    return "max_steps" if opts.max_steps and synced >= opts.max_steps else "budget"

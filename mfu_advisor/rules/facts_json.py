"""The rules' views (mfu_advisor/run_facts.py) of a typed bench result and log analysis:
RunFacts and LogFacts for one process, DistributedFacts for several ranks."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import Roofline
from mfu_advisor.facts import Maybe, Unavailable, value_or
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.mfu import MfuFigure
from mfu_advisor.run_facts import (
    DistributedFacts,
    LogFacts,
    RunFacts,
)


def _real(value: Maybe[float]) -> Maybe[float]:
    """A figure of the analysis as a float (rules test isinstance(x, float); it may be an int)."""
    return value if isinstance(value, Unavailable) else float(value)


def _figure(value: float | None, reason: str | None) -> Maybe[float]:
    return float(value) if value is not None else Unavailable(reason or "not in the result")


def _config_integer(config: Mapping[str, Any], key: str) -> Maybe[int]:
    """A whole number a config states (logs state them as text)."""
    value = config.get(key)
    if isinstance(value, bool):
        return Unavailable(f"{key} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return Unavailable(f"{key} not in the result")


def config_boolean(value: Any) -> Maybe[bool]:
    """A flag a config states: a bool, or "True"/"False" as text (logs state them so)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unavailable("not stated")


def _of(record: Any, name: str) -> Any:
    """``record.name``, or the record itself when it is Unavailable (its reason carries over)."""
    return record if isinstance(record, Unavailable) else getattr(record, name)


def _text(value: str, reason: str) -> Maybe[str]:
    return value if value else Unavailable(reason)


def _mfu_peak(figure: MfuFigure) -> tuple[Maybe[float], str]:
    """A denominator's FLOP/s and where it comes from (or why there is none)."""
    return _figure(figure.denominator_flops, figure.reason), figure.source or figure.reason or ""


def gemm_rates(roofline: Maybe[Roofline], dtype: str) -> dict[int, float]:
    """Measured FLOP/s of the model's GEMM shapes per batch multiple: their total FLOPs over
    their total time, the matmul rate a forward pass would see."""
    if isinstance(roofline, Unavailable) or dtype not in roofline.dtypes:
        return {}
    flops_by: dict[int, float] = {}
    time_by: dict[int, float] = {}
    for point in roofline.dtypes[dtype].model_shapes:
        rate = point.flops_per_s
        if rate is None or rate <= 0:
            continue
        work = 2.0 * point.m * point.n * point.k
        flops_by[point.batch_multiple] = flops_by.get(point.batch_multiple, 0.0) + work
        time_by[point.batch_multiple] = time_by.get(point.batch_multiple, 0.0) + work / rate
    return {m: flops_by[m] / time_by[m] for m in sorted(flops_by) if time_by[m] > 0}


def run_facts_from_bench(result: BenchResult) -> RunFacts:
    """The rules' view of a bench result."""
    config = result.config
    stats = result.step_time_ms
    measured_flops, measured_source = _mfu_peak(result.mfu.measured_peak)
    device_flops, device_source = _mfu_peak(result.mfu.device_peak)
    return RunFacts(
        device=result.device or str(config.get("device") or "cpu"),
        dtype=result.dtype or str(config.get("dtype") or "float32"),
        compile=bool(config.get("compile")),
        batch_size=int(config.get("batch_size") or 1),
        block_size=int(config.get("block_size") or 1),
        n_embd=int(config.get("n_embd") or 1),
        gradient_accumulation_steps=int(config.get("gradient_accumulation_steps") or 1),
        threads=result.threads or 1,
        tf32=result.tf32,
        adamw_impl=result.adamw_impl or "unknown",
        cpu_affinity=result.cpu_affinity,
        step_time_ms=_of(stats, "median"),
        achieved_flops=result.achieved_flops,
        measured_peak_flops=measured_flops,
        measured_peak_source=measured_source,
        device_peak_flops=device_flops,
        device_peak_source=device_source,
        compile_s=result.compile_s,
        peak_memory_bytes=result.peak_memory_bytes,
        peak_memory_kind=result.peak_memory_kind,
        gemm_flops_by_batch_multiple=gemm_rates(result.roofline, result.peak_dtype or "fp32"),
        gpu_under_load=result.gpu_under_load,
    )


def log_facts_from_analysis(analysis: LogAnalysis) -> LogFacts:
    """The rules' view of a log analysis."""
    config = analysis.config
    reference = analysis.reference_detail
    warmup = analysis.warmup
    return LogFacts(
        format=analysis.format or "unknown",
        device=_log_device(analysis),
        dtype=str(config["dtype"]) if config.get("dtype") else Unavailable("not stated"),
        compile=config_boolean(config.get("compile")),
        eval_interval=_config_integer(config, "eval_interval"),
        eval_iters=_config_integer(config, "eval_iters"),
        log_interval=_config_integer(config, "log_interval"),
        steps=analysis.steps,
        steady_step_time_ms=_real(analysis.steady_step_time_ms),
        first_step_ms=_real(warmup.first_step_time_ms),
        warmup_steps=analysis.warmup_steps,
        warmup_time_fraction=_real(warmup.wall_time_fraction),
        achieved_flops=_real(analysis.achieved_flops),
        reported_mfu=_real(analysis.reported_mfu),
        reported_mfu_reference=analysis.reference or Unavailable("none"),
        reported_mfu_placeholder=analysis.reported_mfu_placeholder,
        reference_device=reference.keyed_to or Unavailable("unknown"),
        reference_applies_to_run=reference.applies_to_run
        if isinstance(reference.applies_to_run, bool)
        else Unavailable("not stated"),
        reference_note=reference.note,
        peak_flops=_real(analysis.peak.flops),
        peak_source=analysis.peak.source,
        true_mfu=_figure(analysis.mfu.value, analysis.mfu.reason),
        eval_time_fraction=_real(analysis.eval_time_fraction),
        step_time_jitter=_jitter(analysis),
    )


def _log_device(analysis: LogAnalysis) -> Maybe[str]:
    device = analysis.config.get("device") or value_or(analysis.hardware_hints.device, None)
    return str(device) if device else Unavailable("the log does not name the device")


def _jitter(analysis: LogAnalysis) -> Maybe[float]:
    """How far the p90 steady step time is above the median: p90 / p50 - 1."""
    ratio, cv = analysis.jitter.p90_over_p50, analysis.jitter.cv
    if isinstance(ratio, float):
        return ratio - 1.0
    if isinstance(cv, float):
        # For a normal sample the p90 lies 1.2816 standard deviations above the median.
        return 1.2816 * cv
    return Unavailable("the log's step times were not analysed for jitter")


def _median_of(values: list[Maybe[float]], what: str) -> Maybe[float]:
    found = [v for v in values if isinstance(v, float)]
    return statistics.median(found) if found else Unavailable(f"no rank reported its {what}")


def distributed_facts_from_bench(result: BenchResult) -> DistributedFacts | None:
    """The rules' view of a multi-rank bench result; None for a single process."""
    setup, figures = result.distributed, result.multi_rank
    if setup is None or figures is None:
        return None
    config = result.config
    ranks = figures.ranks
    device = (ranks[0].device if ranks else "") or result.device
    straggler, scaling = figures.straggler, figures.scaling
    return DistributedFacts(
        source="bench",
        world_size=setup.world_size,
        nnodes=setup.nnodes,
        nproc_per_node=setup.nproc_per_node,
        device=device
        or Unavailable("device not in the result" if ranks else "no ranks in the result"),
        backend=_text(setup.backend, "backend not in the result"),
        nccl_available=setup.nccl_available,
        # The bench wraps the model in DistributedDataParallel (spec A).
        parallel="ddp",
        threads_per_rank=setup.threads_per_rank,
        usable_cpus=setup.usable_cpus,
        cpus_per_rank=setup.cpus_per_rank
        if setup.cpus_per_rank is not None
        else Unavailable("the ranks were not pinned to CPUs"),
        bucket_cap_mb=float(setup.bucket_cap_mb),
        gradient_accumulation_steps_per_rank=_config_integer(config, "gradient_accumulation_steps"),
        step_time_ms=_median_of([_of(r.step_time_ms, "median") for r in ranks], "step time"),
        compute_step_time_ms=_median_of([r.compute_step_time_ms for r in ranks], "no_sync step"),
        communication_fraction=figures.communication_fraction,
        straggler_rank=_of(straggler, "slowest_rank"),
        straggler_spread=_of(straggler, "spread"),
        median_rank_step_ms=_of(straggler, "median_rank_compute_step_ms"),
        slowest_rank_step_ms=_of(straggler, "slowest_rank_compute_step_ms"),
        scaling_efficiency=_of(scaling, "efficiency"),
        scaling_reference="" if isinstance(scaling, Unavailable) else scaling.reference,
        rank_cpus={r.rank: r.cpus for r in ranks if r.cpus is not None},
    )


def distributed_facts_from_analysis(analysis: LogAnalysis) -> DistributedFacts | None:
    """The rules' view of the analysis' ``distributed`` section (the per-rank micro-batch
    comes from its ``config``); None when the log shows one process."""
    dist = analysis.distributed
    if isinstance(dist, Unavailable):
        return None
    config = analysis.config
    straggler = dist.straggler
    steps = [_real(r.steady_step_time_ms) for r in dist.per_rank]
    tokens, source = _log_micro_batch_tokens(analysis, dist.world_size)
    return DistributedFacts(
        source="log",
        world_size=dist.world_size,
        device=_log_device(analysis),
        backend=dist.backend,
        nccl_available=Unavailable("a log does not say"),
        parallel=_text(dist.parallel, "parallel not in the result"),
        batch_size_per_rank=_config_integer(config, "batch_size"),
        micro_batch_tokens_per_rank=tokens,
        micro_batch_tokens_source=source,
        straggler_rank=_of(straggler, "slowest_rank"),
        straggler_spread=_of(straggler, "spread"),
        median_rank_step_ms=_median_of(steps, "steady step time")
        if isinstance(straggler, Unavailable)
        else straggler.median_rank_step_time_ms,
        slowest_rank_step_ms=Unavailable("the slowest rank's step time is not in the log")
        if isinstance(straggler, Unavailable)
        else straggler.slowest_rank_step_time_ms,
    )


def _log_micro_batch_tokens(analysis: LogAnalysis, world: Maybe[int]) -> tuple[Maybe[int], str]:
    """One rank's micro-batch in tokens, and how: batch_size x block_size (per process), else
    tokens per step / world size / accumulation, except for nanoGPT, whose accumulation steps
    are the total over ranks (https://github.com/karpathy/nanoGPT/blob/master/train.py)."""
    config = analysis.config
    batch, block = _config_integer(config, "batch_size"), _config_integer(config, "block_size")
    if isinstance(batch, int) and isinstance(block, int):
        return batch * block, f"batch_size {batch} x block_size {block}"
    whole = analysis.tokens_per_step
    step = int(whole) if isinstance(whole, float) and whole.is_integer() else None
    accumulation = _config_integer(config, "gradient_accumulation_steps")
    stated = isinstance(accumulation, int) and accumulation > 0
    accum = accumulation if isinstance(accumulation, int) and stated else 1
    accum_words = f"accumulation {accum}" if stated else "accumulation 1 (assumed: not stated)"
    if step is None:
        return Unavailable("the log states neither batch_size x block_size nor tokens per step"), ""
    if analysis.format == "nanogpt":
        return step // accum, (
            f"tokens per iteration {step} / gradient_accumulation_steps {accum} (nanoGPT's total "
            "over ranks)"
        )
    if not isinstance(world, int) or world < 1:
        return Unavailable("the world size is unknown"), ""
    return step // (world * accum), (f"tokens per step {step} / world size {world} / {accum_words}")

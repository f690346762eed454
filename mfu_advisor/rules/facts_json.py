"""Reading the bench and analyze JSON payloads into the rules' views.

RunFacts and LogFacts for one process; DistributedFacts for a multi-rank bench
(docs/distributed.md: ``distributed``, ``ranks``, ``job``, ``communication_fraction``,
``straggler``, ``scaling``) or the analyze payload's ``distributed`` section.

The payloads are the documented interfaces of the other layers
(docs/bench.md, docs/analyze.md). A field that is missing or null becomes an
``Unavailable`` carrying the payload's own reason when it gives one.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.run_facts import DistributedFacts, LogFacts, RankFacts, RunFacts


def _reason(payload: Mapping[str, Any], key: str) -> str:
    reasons = payload.get("unavailable")
    if isinstance(reasons, Mapping) and isinstance(reasons.get(key), str):
        return str(reasons[key])
    return f"{key} not in the result"


def _number(payload: Mapping[str, Any], key: str) -> Maybe[float]:
    value = payload.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return Unavailable(_reason(payload, key))


def _integer(payload: Mapping[str, Any], key: str) -> Maybe[int]:
    value = payload.get(key)
    if isinstance(value, bool):
        return Unavailable(f"{key} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return Unavailable(_reason(payload, key))


def _boolean(value: Any) -> Maybe[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unavailable("not stated")


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def gemm_rates(roofline: Mapping[str, Any], dtype: str) -> dict[int, float]:
    """Measured FLOP/s over the model's GEMM shapes per batch multiple (FLOP-weighted).

    The rate at multiple m is the shapes' total FLOPs over their total time at
    their measured rates: the matmul rate a forward pass would see.
    """
    dtypes = _mapping(roofline, "dtypes")
    entry = dtypes.get(dtype)
    if not isinstance(entry, Mapping):
        return {}
    flops_by: dict[int, float] = {}
    time_by: dict[int, float] = {}
    for point in entry.get("model_shapes") or ():
        if not isinstance(point, Mapping):
            continue
        rate = point.get("flops_per_s")
        try:
            multiple = int(point["batch_multiple"])
            work = 2.0 * int(point["m"]) * int(point["n"]) * int(point["k"])
        except (KeyError, TypeError, ValueError):
            continue
        if not isinstance(rate, (int, float)) or rate <= 0:
            continue
        flops_by[multiple] = flops_by.get(multiple, 0.0) + work
        time_by[multiple] = time_by.get(multiple, 0.0) + work / rate
    return {m: flops_by[m] / time_by[m] for m in sorted(flops_by) if time_by[m] > 0}


def run_facts_from_bench(payload: Mapping[str, Any]) -> RunFacts:
    """The rules' view of a bench payload (``mfu-advisor bench --json`` minus the envelope)."""
    config = _mapping(payload, "config")
    stats = _mapping(payload, "step_time_ms")
    mfu = _mapping(payload, "mfu")
    measured = _mapping(mfu, "measured_peak")
    device_peak = _mapping(mfu, "device_peak")
    roofline = _mapping(payload, "roofline")
    affinity = payload.get("cpu_affinity")
    compile_s = _number(payload, "compile_s")
    memory = _integer(payload, "peak_memory_bytes")
    median = stats.get("median")
    return RunFacts(
        device=str(payload.get("device") or config.get("device") or "cpu"),
        device_name=str(payload.get("device_name") or ""),
        dtype=str(payload.get("dtype") or config.get("dtype") or "float32"),
        compile=bool(config.get("compile")),
        batch_size=int(config.get("batch_size") or 1),
        block_size=int(config.get("block_size") or 1),
        n_layer=int(config.get("n_layer") or 1),
        n_head=int(config.get("n_head") or 1),
        n_embd=int(config.get("n_embd") or 1),
        vocab_size=int(config.get("vocab_size") or 1),
        gradient_accumulation_steps=int(config.get("gradient_accumulation_steps") or 1),
        threads=int(payload.get("threads") or 1),
        tf32=bool(payload.get("tf32")),
        adamw_impl=str(payload.get("adamw_impl") or "unknown"),
        cpu_affinity=(
            tuple(int(c) for c in affinity)
            if isinstance(affinity, list)
            else Unavailable(_reason(payload, "cpu_affinity"))
        ),
        tokens_per_s=_number(payload, "tokens_per_s"),
        step_time_ms=(
            float(median)
            if isinstance(median, (int, float))
            else Unavailable(_reason(payload, "step_time_ms"))
        ),
        achieved_flops=_number(payload, "achieved_flops"),
        measured_peak_flops=_number(measured, "denominator_flops"),
        measured_peak_source=str(measured.get("source") or measured.get("reason") or ""),
        device_peak_flops=_number(device_peak, "denominator_flops"),
        device_peak_source=str(device_peak.get("source") or device_peak.get("reason") or ""),
        compile_s=compile_s,
        peak_memory_bytes=memory,
        peak_memory_kind=str(payload.get("peak_memory_kind") or ""),
        gemm_flops_by_batch_multiple=gemm_rates(roofline, str(payload.get("peak_dtype") or "fp32")),
    )


def log_facts_from_analysis(payload: Mapping[str, Any]) -> LogFacts:
    """The rules' view of an analyze payload (``mfu-advisor analyze --json`` minus the envelope)."""
    config = _mapping(payload, "config")
    hints = _mapping(payload, "hardware_hints")
    warmup = _mapping(payload, "warmup")
    jitter = _mapping(payload, "jitter")
    reference = _mapping(payload, "reference_detail")
    peak = _mapping(payload, "peak")
    mfu = _mapping(payload, "mfu")
    device = config.get("device") or hints.get("device")
    reported_reason = _reason(payload, "reported_mfu")
    return LogFacts(
        format=str(payload.get("format") or "unknown"),
        config={str(k): str(v) for k, v in config.items()},
        device=str(device) if device else Unavailable("the log does not name the device"),
        dtype=str(config["dtype"]) if config.get("dtype") else Unavailable("not stated"),
        compile=_boolean(config.get("compile")),
        batch_size=_integer(config, "batch_size"),
        block_size=_integer(config, "block_size"),
        gradient_accumulation_steps=_integer(config, "gradient_accumulation_steps"),
        eval_interval=_integer(config, "eval_interval"),
        eval_iters=_integer(config, "eval_iters"),
        log_interval=_integer(config, "log_interval"),
        steps=_integer(payload, "steps"),
        tokens_per_step=_integer(payload, "tokens_per_step"),
        steady_step_time_ms=_number(payload, "steady_step_time_ms"),
        first_step_ms=_number(warmup, "first_step_time_ms"),
        warmup_steps=_integer(payload, "warmup_steps"),
        warmup_time_fraction=_number(warmup, "wall_time_fraction"),
        tokens_per_s=_number(payload, "tokens_per_s"),
        achieved_flops=_number(payload, "achieved_flops"),
        flops_per_token=_number(payload, "flops_per_token"),
        reported_mfu=_number(payload, "reported_mfu"),
        reported_mfu_reference=(
            str(payload["reference"]) if payload.get("reference") else Unavailable("none")
        ),
        reported_mfu_placeholder=_placeholder(payload, reported_reason),
        reference_device=(
            str(reference["keyed_to"]) if reference.get("keyed_to") else Unavailable("unknown")
        ),
        reference_applies_to_run=_boolean(reference.get("applies_to_run")),
        reference_note=str(reference.get("note") or ""),
        peak_flops=_number(peak, "flops"),
        peak_source=str(peak.get("source") or ""),
        true_mfu=_number(mfu, "value"),
        eval_time_fraction=_number(payload, "eval_time_fraction"),
        step_time_jitter=_jitter(jitter),
    )


def _placeholder(payload: Mapping[str, Any], reported_reason: str) -> bool:
    """The analyzer's ``reported_mfu_placeholder`` field: every MFU the trainer printed was a
    placeholder (llm.c's -100%). Results saved before the field existed said so only in the
    reason's wording, which is read then."""
    flag = payload.get("reported_mfu_placeholder")
    if isinstance(flag, bool):
        return flag
    return "placeholder" in reported_reason


def _jitter(jitter: Mapping[str, Any]) -> Maybe[float]:
    """How far the p90 steady step time is above the median: p90 / p50 - 1."""
    ratio = jitter.get("p90_over_p50")
    if isinstance(ratio, (int, float)) and not isinstance(ratio, bool):
        return float(ratio) - 1.0
    cv = jitter.get("cv")
    if isinstance(cv, (int, float)) and not isinstance(cv, bool):
        # For a normal sample the p90 lies 1.2816 standard deviations above the median.
        return 1.2816 * float(cv)
    return Unavailable("the log's step times were not analysed for jitter")


def _text(payload: Mapping[str, Any], key: str) -> Maybe[str]:
    value = payload.get(key)
    if isinstance(value, str) and value:
        return value
    return Unavailable(_reason(payload, key))


def _cpu_list(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(
        isinstance(c, int) and not isinstance(c, bool) for c in value
    ):
        return tuple(value)
    return None


def _median_of(values: list[Maybe[float]], what: str) -> Maybe[float]:
    known = [v for v in values if isinstance(v, float)]
    return statistics.median(known) if known else Unavailable(f"no rank reported its {what}")


def _bench_rank(entry: Mapping[str, Any]) -> RankFacts:
    steps = _mapping(entry, "step_time_ms")
    cpus = _cpu_list(entry.get("cpus"))
    return RankFacts(
        rank=int(entry.get("rank") or 0),
        local_rank=_integer(entry, "local_rank"),
        host=_text(entry, "host"),
        device=_text(entry, "device"),
        cpus=cpus if cpus is not None else Unavailable(_reason(entry, "cpus")),
        threads=_integer(entry, "threads"),
        step_time_ms=_number(steps, "median") if steps else _number(entry, "step_time_ms"),
        compute_step_time_ms=_number(entry, "compute_step_time_ms"),
        tokens_per_s=_number(entry, "tokens_per_s"),
        mfu=_number(entry, "mfu"),
        communication_fraction=_number(entry, "communication_fraction"),
    )


def distributed_facts_from_bench(payload: Mapping[str, Any]) -> DistributedFacts | None:
    """The rules' view of a multi-rank bench payload (``bench --nproc-per-node N --json``);
    None for a single-process payload (no ``distributed`` key)."""
    dist = payload.get("distributed")
    if not isinstance(dist, Mapping):
        return None
    config = _mapping(payload, "config")
    job = _mapping(payload, "job")
    straggler = _mapping(payload, "straggler")
    scaling = _mapping(payload, "scaling")
    ranks = tuple(_bench_rank(r) for r in payload.get("ranks") or () if isinstance(r, Mapping))
    world = _integer(dist, "world_size")
    if isinstance(world, Unavailable):
        world = _integer(job, "world_size")
    per_rank = dist.get("cpus_per_rank")
    cpus_per_rank = (
        tuple(c for c in (_cpu_list(v) for v in per_rank) if c is not None)
        if isinstance(per_rank, list) and all(_cpu_list(v) is not None for v in per_rank)
        else Unavailable(_reason(dist, "cpus_per_rank"))
    )
    batch, block = _integer(config, "batch_size"), _integer(config, "block_size")
    tokens: Maybe[int] = (
        batch * block
        if isinstance(batch, int) and isinstance(block, int)
        else Unavailable("the bench config lacks batch_size or block_size")
    )
    device = ranks[0].device if ranks else Unavailable("no ranks in the result")
    if isinstance(device, Unavailable) and isinstance(payload.get("device"), str):
        device = str(payload["device"])
    no_scaling = Unavailable(_reason(payload, "scaling"))
    return DistributedFacts(
        source="bench",
        world_size=world,
        world_size_source="the bench (--nproc-per-node)",
        nnodes=_integer(dist, "nnodes"),
        nproc_per_node=_integer(dist, "nproc_per_node"),
        device=device,
        backend=_text(dist, "backend"),
        nccl_available=_boolean(dist.get("nccl_available")),
        # The bench wraps the model in DistributedDataParallel (spec A).
        parallel="ddp",
        threads_per_rank=_integer(dist, "threads_per_rank"),
        usable_cpus=_integer(dist, "usable_cpus"),
        cpus_per_rank=cpus_per_rank,
        bucket_cap_mb=_number(dist, "bucket_cap_mb"),
        batch_size_per_rank=batch,
        block_size=block,
        gradient_accumulation_steps_per_rank=_integer(config, "gradient_accumulation_steps"),
        micro_batch_tokens_per_rank=tokens,
        micro_batch_tokens_source="the bench's per-rank batch_size x block_size",
        step_time_ms=_median_of([r.step_time_ms for r in ranks], "step time"),
        compute_step_time_ms=_median_of([r.compute_step_time_ms for r in ranks], "no_sync step"),
        communication_fraction=_number(payload, "communication_fraction"),
        straggler_rank=_integer(straggler, "slowest_rank") if straggler else _no_straggler(payload),
        straggler_spread=_number(straggler, "spread") if straggler else _no_straggler(payload),
        median_rank_step_ms=_number(straggler, "median_rank_compute_step_ms"),
        slowest_rank_step_ms=_number(straggler, "slowest_rank_compute_step_ms"),
        scaling_efficiency=_number(scaling, "efficiency") if scaling else no_scaling,
        scaling_reference_tokens_per_s=(
            _number(scaling, "reference_tokens_per_s") if scaling else no_scaling
        ),
        scaling_reference=str(scaling.get("reference") or ""),
        job_tokens_per_s=_number(job, "tokens_per_s"),
        job_mfu=_number(job, "mfu"),
        mfu_scope="job",
        tokens_per_s_scope="job",
        ranks=ranks,
    )


def _no_straggler(payload: Mapping[str, Any]) -> Unavailable:
    """Why a payload has no straggler figures."""
    return Unavailable(_reason(payload, "straggler"))


def distributed_facts_from_analysis(payload: Mapping[str, Any]) -> DistributedFacts | None:
    """The rules' view of the analyze payload's ``distributed`` section (the whole payload is
    given: the per-rank micro-batch comes from its ``config``); None when the log shows one
    process (the section is null or missing)."""
    dist = payload.get("distributed")
    if not isinstance(dist, Mapping):
        return None
    config = _mapping(payload, "config")
    hints = _mapping(payload, "hardware_hints")
    job = _mapping(dist, "job")
    straggler = _mapping(dist, "straggler")
    world = _integer(dist, "world_size")
    ranks = tuple(
        RankFacts(
            rank=int(r.get("rank") or 0),
            step_time_ms=_number(r, "steady_step_time_ms"),
            tokens_per_s=_number(r, "tokens_per_s"),
        )
        for r in dist.get("per_rank") or ()
        if isinstance(r, Mapping)
    )
    steps = [r.step_time_ms for r in ranks]
    tokens, source = _log_micro_batch_tokens(payload, config, world)
    batch, block = _integer(config, "batch_size"), _integer(config, "block_size")
    device = config.get("device") or hints.get("device")
    notes = dist.get("notes")
    return DistributedFacts(
        source="log",
        world_size=world,
        world_size_source=str(dist.get("world_size_source") or ""),
        device=str(device) if device else Unavailable("the log does not name the device"),
        backend=_text(dist, "backend"),
        nccl_available=Unavailable("a log does not say"),
        parallel=_text(dist, "parallel"),
        batch_size_per_rank=batch,
        block_size=block,
        micro_batch_tokens_per_rank=tokens,
        micro_batch_tokens_source=source,
        straggler_rank=_integer(straggler, "slowest_rank") if straggler else _no_straggler(dist),
        straggler_spread=_number(straggler, "spread") if straggler else _no_straggler(dist),
        median_rank_step_ms=_straggler_step(
            straggler, "median_rank_step_time_ms", _median_of(steps, "steady step time")
        ),
        slowest_rank_step_ms=_straggler_step(
            straggler, "slowest_rank_step_time_ms", _slowest_step(ranks, straggler)
        ),
        job_tokens_per_s=_number(job, "tokens_per_s"),
        job_mfu=_number(job, "mfu"),
        mfu_scope=_text(dist, "mfu_scope"),
        tokens_per_s_scope=_text(dist, "tokens_per_s_scope"),
        ranks=ranks,
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def _straggler_step(
    straggler: Mapping[str, Any], key: str, otherwise: Maybe[float]
) -> Maybe[float]:
    """A step time the analyzer's straggler object states (beyond the shared spec), else
    ``otherwise`` (worked out from the per-rank figures)."""
    value = straggler.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return otherwise


def _slowest_step(ranks: tuple[RankFacts, ...], straggler: Mapping[str, Any]) -> Maybe[float]:
    slowest = straggler.get("slowest_rank")
    for rank in ranks:
        if rank.rank == slowest and isinstance(rank.step_time_ms, float):
            return rank.step_time_ms
    return Unavailable("the slowest rank's step time is not in the log")


def _log_micro_batch_tokens(
    payload: Mapping[str, Any], config: Mapping[str, Any], world: Maybe[int]
) -> tuple[Maybe[int], str]:
    """One rank's micro-batch in tokens, and how it was obtained.

    batch_size x block_size when the log states both (nanoGPT, llm.c's -b and -t are per
    process). Else tokens per step / world size / accumulation steps, except for nanoGPT:
    its ``gradient_accumulation_steps`` is the total over ranks (train.py divides it by
    ``ddp_world_size``) and "tokens per iteration" is that total x batch_size x block_size
    (https://github.com/karpathy/nanoGPT/blob/master/train.py), so the world size must not
    be divided out a second time.
    """
    batch, block = _integer(config, "batch_size"), _integer(config, "block_size")
    if isinstance(batch, int) and isinstance(block, int):
        return batch * block, f"batch_size {batch} x block_size {block}"
    step = _integer(payload, "tokens_per_step")
    accumulation = _integer(config, "gradient_accumulation_steps")
    stated = isinstance(accumulation, int) and accumulation > 0
    accum = accumulation if isinstance(accumulation, int) and stated else 1
    accum_words = f"accumulation {accum}" if stated else "accumulation 1 (assumed: not stated)"
    if not isinstance(step, int):
        return Unavailable("the log states neither batch_size x block_size nor tokens per step"), ""
    if payload.get("format") == "nanogpt":
        return step // accum, (
            f"tokens per iteration {step} / gradient_accumulation_steps {accum} (nanoGPT's total "
            "over ranks)"
        )
    if not isinstance(world, int) or world < 1:
        return Unavailable("the world size is unknown"), ""
    return step // (world * accum), (f"tokens per step {step} / world size {world} / {accum_words}")

"""Rules about multi-rank runs (DistributedFacts from a multi-rank bench or log): syncing,
stragglers, DataParallel, the backend, the per-rank batch, CPUs. Sources:
https://pytorch.org/docs/stable/notes/ddp.html (buckets, ``no_sync``),
https://pytorch.org/docs/stable/generated/torch.nn.DataParallel.html (use DDP),
https://pytorch.org/docs/stable/distributed.html ("NCCL for distributed GPU training, Gloo for
CPU")."""

from __future__ import annotations

from mfu_advisor.experiments.job_variants import (
    COMMUNICATION_SHARE_THRESHOLD,
    SYNC_LESS,
    suggested_accumulation,
)
from mfu_advisor.probe.capabilities import usable_gpus
from mfu_advisor.rules.batch_rules import (  # the threshold is named in MA130's description
    BATCH_EXPERIMENTS,
    GEMM_GAIN_THRESHOLD,  # noqa: F401
    gemm_gain,
)
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Severity
from mfu_advisor.rules.measured import measured_or_expected, nanogpt_flags
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.run_facts import DistributedFacts
from mfu_advisor.units import cpu_list, factor, flops, percent
from mfu_advisor.units import milliseconds as ms

#: From this share on, communication is the run's main cost after compute: severity high.
COMMUNICATION_SHARE_HIGH = 0.40

#: The slowest rank is a straggler when its step is this much longer than the median rank's:
#: beyond a quiet machine's run-to-run noise (benchmarks/bench_repeatability.py: a few %).
STRAGGLER_SPREAD_THRESHOLD = 0.10

#: Spread from which a straggler costs the job more than a quarter of its ranks' pace.
STRAGGLER_SPREAD_HIGH = 0.25


def world_text(dist: DistributedFacts) -> str:
    """ "2 ranks" or "the ranks" when the world size is unknown."""
    return f"{dist.world_size} ranks" if isinstance(dist.world_size, int) else "the ranks"


def scaling_sentence(dist: DistributedFacts) -> str:
    efficiency = dist.scaling_efficiency
    if not isinstance(efficiency, float):
        return ""
    reference = f" ({dist.scaling_reference})" if dist.scaling_reference else ""
    return (
        f" The job reached {percent(efficiency)} of {dist.world_size} x the tokens/s of one "
        f"process alone{reference}."
    )


def _communication(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed if facts.multi_rank_bench else None
    if dist is None or not isinstance(dist.communication_fraction, float):
        return None
    share = dist.communication_fraction
    if share < COMMUNICATION_SHARE_THRESHOLD or share >= 1:
        return None
    current = dist.gradient_accumulation_steps_per_rank
    accumulation = current if isinstance(current, int) and current > 0 else 1
    steps = suggested_accumulation(accumulation)
    # Time per token: compute (1 - f) plus one all-reduce (f) now every `accumulation`
    # micro-steps, then every `steps`; the ceiling (never syncing) is what no_sync measured.
    gain = 1 / ((1 - share) + share * accumulation / steps)
    ceiling = 1 / (1 - share)
    world = dist.world_size if isinstance(dist.world_size, int) else 1
    timing = ""
    if isinstance(dist.step_time_ms, float) and isinstance(dist.compute_step_time_ms, float):
        timing = (
            f"A step took {ms(dist.step_time_ms)} with the gradient all-reduce and "
            f"{ms(dist.compute_step_time_ms)} under DDP's no_sync() (median over ranks): "
        )
    backend = dist.backend if isinstance(dist.backend, str) else "an unknown backend"
    bucket = (
        f", buckets of {dist.bucket_cap_mb:g} MB" if isinstance(dist.bucket_cap_mb, float) else ""
    )
    words = wording(
        "MA126",
        timing=timing,
        share=percent(share),
        world=world_text(dist),
        backend=backend,
        bucket=bucket,
        ceiling=factor(ceiling),
        scaling=scaling_sentence(dist),
        more=steps // accumulation,
        steps=steps,
        total=steps * world,
        gain=factor(gain),
    )
    evidence = {
        "communication_fraction": share,
        "step_time_ms": dist.step_time_ms,
        "compute_step_time_ms": dist.compute_step_time_ms,
        "no_sync_speedup_ceiling": round(ceiling, 4),
        "world_size": dist.world_size,
        "backend": dist.backend,
        "bucket_cap_mb": dist.bucket_cap_mb,
    }
    return measured_or_expected(
        facts,
        (SYNC_LESS.name,),
        subject="syncing the gradients less often",
        hypothesis=words["explanation"],
        fix=words["fix"],
        expected_gain=words["expected_gain"],
        expected_speedup=gain,
        severity=Severity.HIGH if share >= COMMUNICATION_SHARE_HIGH else None,
        evidence=evidence,
        undo_fix=words["undo_fix"],
    )


def _straggler(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed
    if dist is None or not dist.multi_rank:
        return None
    spread, slowest = dist.straggler_spread, dist.straggler_rank
    if not isinstance(spread, float) or spread < STRAGGLER_SPREAD_THRESHOLD:
        return None
    who = f"Rank {slowest}" if isinstance(slowest, int) else "The slowest rank"
    slow, median = dist.slowest_rank_step_ms, dist.median_rank_step_ms
    what = "compute step (under no_sync())" if dist.source == "bench" else "steady step"
    if isinstance(slow, float) and isinstance(median, float):
        numbers = f"its {what} took {ms(slow)} against {ms(median)} for the median rank, "
    else:
        numbers = f"its {what} is "
    cpus = dist.rank_cpus.get(slowest) if isinstance(slowest, int) else None
    where = f" It ran on CPU {cpu_list(cpus)}." if cpus else ""
    return Draft(
        **wording(
            "MA127",
            "cpu" if dist.device_type == "cpu" else "gpu",
            who=who,
            numbers=numbers,
            spread=percent(spread),
            world=world_text(dist),
            where=where,
            cpus="CPU " + cpu_list(cpus) if cpus else "its CPUs",
            gain=factor(1 + spread),
        ),
        severity=Severity.HIGH if spread >= STRAGGLER_SPREAD_HIGH else None,
        expected_speedup=1 + spread,
        evidence={
            "slowest_rank": slowest,
            "spread": spread,
            "slowest_rank_step_ms": slow,
            "median_rank_step_ms": median,
            "source": dist.source,
        },
    )


def _data_parallel(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed
    if dist is None or dist.parallel != "data_parallel":
        return None
    count: int | None = dist.world_size if isinstance(dist.world_size, int) else None
    if count is None and facts.hardware is not None:
        count = len(usable_gpus(facts.hardware)) or None
    return Draft(
        **wording("MA128", gpus=str(count) if count else "<GPUs>"),
        evidence={"parallel": dist.parallel, "world_size": dist.world_size, "gpus": count},
    )


#: Smallest per-rank micro-batch, in tokens (the M of every linear layer's GEMM), that keeps a
#: data-centre GPU busy when only a log is known: with cuBLAS/CUTLASS's 128x128 output tiles a
#: GPT-2-small projection (N = 768) at M = 4096 gives 32 x 6 = 192 tiles, under two waves of an
#: A100's 108 SMs; fewer tokens leave SMs idle in the last wave.
MIN_GPU_MICRO_BATCH_TOKENS = 4096

#: Device types on which the per-rank token floor above applies.
GPU_DEVICE_TYPES = ("cuda", "xpu", "mps")


def _nccl_evidence(facts: DiagnosisFacts, dist: DistributedFacts) -> str | None:
    """Why NCCL is available for this run, None when it is not known to be."""
    if dist.nccl_available is True:
        return "torch.distributed.is_nccl_available() is True in the ranks"
    if dist.nccl_available is False or facts.hardware is None:
        return None
    gpus = [g for g in usable_gpus(facts.hardware) if g.torch.backend in ("cuda", "rocm")]
    if not gpus:
        return None
    # NCCL ships with the CUDA builds of torch on Linux (RCCL, under the same name, on ROCm).
    return f"this machine's torch drives {len(gpus)} GPU(s) ({gpus[0].name}) and bundles NCCL"


def _gloo_on_cuda(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed
    if dist is None or dist.backend != "gloo" or dist.device_type != "cuda":
        return None
    why = _nccl_evidence(facts, dist)
    if why is None:
        return None
    share = dist.communication_fraction
    measured = ""
    ceiling: float | None = None
    if isinstance(share, float) and 0 < share < 1:
        ceiling = 1 / (1 - share)
        measured = f" The bench measured {percent(share)} of each step in the all-reduce with gloo."
    return Draft(
        **wording(
            "MA129",
            "measured" if ceiling else "unmeasured",
            device=dist.device,
            why=why,
            measured=measured,
            gain=factor(ceiling) if ceiling else "",
        ),
        expected_speedup=ceiling,
        evidence={
            "backend": dist.backend,
            "device": dist.device,
            "nccl_available": dist.nccl_available,
            "communication_fraction": share,
        },
    )


def _per_rank_batch(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed
    if dist is None or not dist.multi_rank:
        return None
    if dist.source == "bench":
        return _per_rank_batch_bench(facts, dist)
    return _per_rank_batch_log(dist)


def _per_rank_batch_bench(facts: DiagnosisFacts, dist: DistributedFacts) -> Draft | None:
    run = facts.baseline
    # A measured batch experiment is MA104's (micro-batch-too-small) to report.
    if run is None or facts.measured(*BATCH_EXPERIMENTS) is not None:
        return None
    gain = gemm_gain(run)
    if gain is None:
        return None
    ratio, multiple = gain
    rates = run.gemm_flops_by_batch_multiple
    shown = ", ".join(f"{flops(r)} at {m}x" for m, r in sorted(rates.items()))
    options: dict[str, int] = {"batch_size": run.batch_size * multiple}
    world = dist.world_size if isinstance(dist.world_size, int) else 1
    total = run.gradient_accumulation_steps * world
    if total % multiple == 0 and total // multiple >= world:
        options["gradient_accumulation_steps"] = total // multiple
    return Draft(
        **wording(
            "MA130",
            "bench",
            world=world_text(dist),
            batch=run.batch_size,
            block=run.block_size,
            tokens=run.batch_size * run.block_size,
            shown=shown,
            ratio=factor(ratio),
            multiple=multiple,
        ),
        fix=nanogpt_flags(options),
        fix_options=options,
        expected_speedup=ratio,
        evidence={
            "micro_batch_tokens_per_rank": run.batch_size * run.block_size,
            "world_size": dist.world_size,
            "gemm_flops_1x": rates.get(1),
            f"gemm_flops_{multiple}x": rates[multiple],
        },
    )


def _per_rank_batch_log(dist: DistributedFacts) -> Draft | None:
    tokens = dist.micro_batch_tokens_per_rank
    if dist.device_type not in GPU_DEVICE_TYPES or not isinstance(tokens, int) or tokens <= 0:
        return None
    if tokens >= MIN_GPU_MICRO_BATCH_TOKENS:
        return None
    multiple = 1
    while tokens * multiple < MIN_GPU_MICRO_BATCH_TOKENS:
        multiple *= 2
    batch = dist.batch_size_per_rank
    return Draft(
        **wording(
            "MA130",
            "log" if isinstance(batch, int) else "log_no_batch",
            world=world_text(dist),
            tokens=tokens,
            source=dist.micro_batch_tokens_source,
            floor=MIN_GPU_MICRO_BATCH_TOKENS,
            batch=batch * multiple if isinstance(batch, int) else "",
            multiple=multiple,
        ),
        fix_options={"batch_size": batch * multiple} if isinstance(batch, int) else {},
        evidence={
            "micro_batch_tokens_per_rank": tokens,
            "world_size": dist.world_size,
            "threshold_tokens": MIN_GPU_MICRO_BATCH_TOKENS,
        },
    )


def _oversubscribe(facts: DiagnosisFacts) -> Draft | None:
    dist = facts.distributed
    if dist is None or not dist.multi_rank or dist.device_type != "cpu":
        return None
    ranks, threads = dist.local_ranks, dist.threads_per_rank
    usable = dist.usable_cpus
    if not isinstance(usable, int) and facts.hardware is not None:
        usable = facts.hardware.cpu.usable_cpus
    if not (isinstance(ranks, int) and isinstance(threads, int) and isinstance(usable, int)):
        return None
    if ranks * threads <= usable or usable < 1:
        return None
    fitting = usable // ranks
    return Draft(
        **wording(
            "MA131",
            "fewer_threads" if ranks <= usable else "fewer_ranks",
            ranks=ranks,
            threads=threads,
            total=ranks * threads,
            usable=usable,
            fitting=fitting,
            scaling=scaling_sentence(dist),
        ),
        fix_options={"threads": fitting} if ranks <= usable else {},
        severity=Severity.HIGH,
        evidence={
            "local_ranks": ranks,
            "threads_per_rank": threads,
            "usable_cpus": usable,
            "scaling_efficiency": dist.scaling_efficiency,
        },
    )


RULES = family(
    {
        "MA126": _communication,
        "MA127": _straggler,
        "MA128": _data_parallel,
        "MA129": _gloo_on_cuda,
        "MA130": _per_rank_batch,
        "MA131": _oversubscribe,
    },
    globals(),
)

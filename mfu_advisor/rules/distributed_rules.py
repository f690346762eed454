"""Rules about multi-rank runs (DistributedFacts from a multi-rank bench or log): syncing,
stragglers, DataParallel. Sources: https://pytorch.org/docs/stable/notes/ddp.html (buckets,
``no_sync``), https://pytorch.org/docs/stable/generated/torch.nn.DataParallel.html (use DDP)."""

from __future__ import annotations

from mfu_advisor.experiments.job_variants import (
    COMMUNICATION_SHARE_THRESHOLD,
    SYNC_LESS,
    suggested_accumulation,
)
from mfu_advisor.probe.capabilities import usable_gpus
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Severity
from mfu_advisor.rules.measured import measured_or_expected
from mfu_advisor.rules.rule import Draft, family
from mfu_advisor.run_facts import DistributedFacts
from mfu_advisor.units import cpu_list, factor, percent

#: From this share on, communication is the run's main cost after compute: severity high.
COMMUNICATION_SHARE_HIGH = 0.40

#: The slowest rank counts as a straggler when its step is this much longer than the
#: median rank's: every all-reduce waits for it, and 10% is beyond the run-to-run noise of
#: step medians on a quiet machine (benchmarks/bench_repeatability.py: a few percent).
STRAGGLER_SPREAD_THRESHOLD = 0.10

#: Spread from which a straggler costs the job more than a quarter of its ranks' pace.
STRAGGLER_SPREAD_HIGH = 0.25


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def world_text(dist: DistributedFacts) -> str:
    """ "2 ranks" or "the ranks" when the world size is unknown."""
    return f"{dist.world_size} ranks" if isinstance(dist.world_size, int) else "the ranks"


def _measured_bench(facts: DiagnosisFacts) -> DistributedFacts | None:
    dist = facts.distributed
    if dist is None or dist.source != "bench" or not dist.multi_rank:
        return None
    return dist


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
    dist = _measured_bench(facts)
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
            f"A step took {_ms(dist.step_time_ms)} with the gradient all-reduce and "
            f"{_ms(dist.compute_step_time_ms)} under DDP's no_sync() (median over ranks): "
        )
    backend = dist.backend if isinstance(dist.backend, str) else "an unknown backend"
    bucket = (
        f", buckets of {dist.bucket_cap_mb:g} MB" if isinstance(dist.bucket_cap_mb, float) else ""
    )
    explanation = (
        f"{timing}{percent(share)} of each step is gradient all-reduce and waiting for the "
        f"slowest rank ({world_text(dist)} over {backend}{bucket}). Steps without the all-reduce "
        f"measured {factor(ceiling)} faster: that is the most syncing less can give back "
        "(accumulating micro-batches also spreads the optimizer step over more tokens, which "
        "can add to it)."
        f"{scaling_sentence(dist)} With gradient accumulation DDP all-reduces once per "
        f"optimizer step: nanoGPT skips the sync on all but the last micro-step "
        "(model.require_backward_grad_sync); in other loops wrap those micro-steps in "
        "`with model.no_sync():`. Each optimizer step then holds "
        f"{steps // accumulation}x the tokens (mind the learning rate). Other levers: "
        "DDP(model, bucket_cap_mb=...) (the default is 25 MB; larger buckets mean fewer, "
        "longer all-reduce calls, smaller ones start overlapping with backward earlier), or "
        "fewer ranks with more threads each on one CPU host."
    )
    fix = (
        f"--gradient_accumulation_steps={steps * world} (nanoGPT divides it by the world "
        f"size: {steps} micro-steps per rank, one all-reduce per optimizer step)"
    )
    expected_gain = (
        f"{factor(gain)} tokens/s with {steps} micro-steps per all-reduce; the measured "
        f"ceiling (no all-reduce at all) is {factor(ceiling)}"
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
        hypothesis=explanation,
        fix=fix,
        expected_gain=expected_gain,
        expected_speedup=gain,
        severity=Severity.HIGH if share >= COMMUNICATION_SHARE_HIGH else None,
        evidence=evidence,
        undo_fix="keep the all-reduce after every micro-batch",
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
        numbers = f"its {what} took {_ms(slow)} against {_ms(median)} for the median rank, "
    else:
        numbers = f"its {what} is "
    rank = dist.rank(slowest) if isinstance(slowest, int) else None
    cpus = rank.cpus if rank is not None and isinstance(rank.cpus, tuple) else None
    where = f" It ran on CPU {cpu_list(cpus)}." if cpus else ""
    explanation = (
        f"{who} is a straggler: {numbers}{percent(spread)} longer. Every gradient all-reduce "
        f"waits for it, so all {world_text(dist)} run at its pace.{where}"
    )
    if dist.device_type == "cpu":
        fix = (
            f"find what else runs on {'CPU ' + cpu_list(cpus) if cpus else 'its CPUs'} "
            "(top, then press 1) and stop it, or pin each rank to its own physical cores of "
            "the same kind (taskset -c <cores> per rank)"
        )
    else:
        fix = (
            "check that rank's GPU: nvidia-smi -q -d PERFORMANCE,CLOCK (clocks held down), "
            "its PCIe link and other processes on it (mfu-advisor probe), and its data loading"
        )
    return Draft(
        explanation=explanation,
        fix=fix,
        severity=Severity.HIGH if spread >= STRAGGLER_SPREAD_HIGH else None,
        expected_gain=f"up to {factor(1 + spread)} if it ran at the median rank's pace",
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
    gpus = str(count) if count else "<GPUs>"
    return Draft(
        explanation=(
            "The log shows torch.nn.DataParallel: one process drives every GPU from Python "
            "threads. Each forward pass copies the model to every GPU, scatters the batch "
            "from GPU 0 and gathers the outputs back on it, and the threads contend for one "
            "GIL; GPU 0 also holds every output. PyTorch's documentation recommends "
            "DistributedDataParallel instead, even on a single node: one process per GPU, "
            "the gradients all-reduced in buckets overlapping the backward pass."
        ),
        fix=(
            f"torchrun --standalone --nproc_per_node={gpus} train.py, with "
            "model = DDP(model, device_ids=[local_rank]) in place of nn.DataParallel(model)"
        ),
        expected_gain="usually large on several GPUs (no per-step model copies, no GIL "
        "contention); not measured here",
        evidence={"parallel": dist.parallel, "world_size": dist.world_size, "gpus": count},
    )


RULES = family({"MA126": _communication, "MA127": _straggler, "MA128": _data_parallel}, globals())

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
from mfu_advisor.rules.batch_rules import BATCH_EXPERIMENTS, GEMM_GAIN_THRESHOLD, gemm_gain
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Severity
from mfu_advisor.rules.measured import measured_or_expected, nanogpt_flags
from mfu_advisor.rules.rule import Draft, family
from mfu_advisor.run_facts import DistributedFacts
from mfu_advisor.units import cpu_list, factor, flops, percent

#: From this share on, communication is the run's main cost after compute: severity high.
COMMUNICATION_SHARE_HIGH = 0.40

#: The slowest rank is a straggler when its step is this much longer than the median rank's:
#: beyond a quiet machine's run-to-run noise (benchmarks/bench_repeatability.py: a few %).
STRAGGLER_SPREAD_THRESHOLD = 0.10

#: Spread from which a straggler costs the job more than a quarter of its ranks' pace.
STRAGGLER_SPREAD_HIGH = 0.25


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


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
    cpus = dist.rank_cpus.get(slowest) if isinstance(slowest, int) else None
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
        explanation=(
            f"The ranks train on CUDA ({dist.device}) but all-reduce their gradients with "
            "gloo, which moves CUDA tensors through host memory and the CPU; NCCL reduces "
            f"them GPU to GPU over NVLink or PCIe. NCCL is available: {why}. PyTorch's rule "
            f"of thumb: NCCL for distributed GPU training, gloo for CPU.{measured}"
        ),
        fix='torch.distributed.init_process_group(backend="nccl")',
        expected_gain=(
            f"up to {factor(ceiling)} (the all-reduce share measured with gloo)"
            if ceiling
            else "less time in every all-reduce; the bench with --nproc-per-node measures it"
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
    if gain is None or gain[0] < GEMM_GAIN_THRESHOLD:
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
        explanation=(
            f"Each of the {world_text(dist)} computes on its own micro-batch of batch_size "
            f"{run.batch_size} x block_size {run.block_size} = "
            f"{run.batch_size * run.block_size} tokens. The model's matmuls measured {shown} "
            f"that micro-batch: {factor(ratio)} faster at {multiple}x. Splitting a batch over "
            "more ranks shrinks each rank's share below what fills its matmul units; a larger "
            "per-rank batch (with fewer accumulation steps, the same tokens per optimizer "
            "step), or fewer ranks, gives each rank more work per step."
        ),
        fix=nanogpt_flags(options),
        fix_options=options,
        expected_gain=f"up to {factor(ratio)} on the matmuls (the roofline at {multiple}x)",
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
    fix = (
        f"--batch_size={batch * multiple} with --gradient_accumulation_steps divided by "
        f"{multiple} (same tokens per optimizer step)"
        if isinstance(batch, int)
        else f"{multiple}x the per-rank micro-batch, with {multiple}x fewer accumulation steps"
    )
    return Draft(
        explanation=(
            f"Each of the {world_text(dist)} computes on micro-batches of {tokens} tokens "
            f"({dist.micro_batch_tokens_source}, per rank). On a GPU, fewer than "
            f"{MIN_GPU_MICRO_BATCH_TOKENS} tokens per micro-batch leave part of the device "
            "idle in every matmul, and the per-step costs (optimizer, kernel launches, the "
            "all-reduce) are spread over few tokens. Splitting the batch over more ranks "
            "made each share smaller."
        ),
        fix=fix,
        fix_options={"batch_size": batch * multiple} if isinstance(batch, int) else {},
        expected_gain=(
            "depends on the model's width; mfu-advisor bench with the new --batch_size "
            "measures it on one device"
        ),
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
    if ranks <= usable:
        fitting = usable // ranks
        fix = (
            f"--threads={fitting} (by hand: OMP_NUM_THREADS={fitting} torchrun "
            f"--nproc_per_node={ranks} ...)"
        )
        options: dict[str, int] = {"threads": fitting}
    else:
        fix = (
            f"--nproc-per-node={usable} --threads=1 (by hand: OMP_NUM_THREADS=1 torchrun "
            f"--nproc_per_node={usable} ...)"
        )
        options = {}
    return Draft(
        explanation=(
            f"{ranks} ranks x {threads} threads each = {ranks * threads} compute threads on "
            f"this host, but {usable} CPUs are usable. Threads of different ranks take turns "
            "on the CPUs, each rank's parallel operations wait for their descheduled "
            "threads, and every all-reduce then waits for the rank that was held up. "
            "(torchrun itself sets OMP_NUM_THREADS=1 per rank unless it is set.)"
            f"{scaling_sentence(dist)}"
        ),
        fix=fix,
        fix_options=options,
        severity=Severity.HIGH,
        expected_gain="removes the waiting for descheduled threads; rerun the bench to measure it",
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

"""Rules about how a multi-rank run is set up: its backend, its per-rank batch, its CPUs.
"NCCL for distributed GPU training, Gloo for CPU": https://pytorch.org/docs/stable/distributed.html."""

from __future__ import annotations

from mfu_advisor.probe.capabilities import usable_gpus
from mfu_advisor.rules.batch_rules import BATCH_EXPERIMENTS, GEMM_GAIN_THRESHOLD, gemm_gain
from mfu_advisor.rules.distributed_rules import scaling_sentence, world_text
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Severity
from mfu_advisor.rules.measured import nanogpt_flags
from mfu_advisor.rules.rule import Draft, family
from mfu_advisor.run_facts import DistributedFacts
from mfu_advisor.units import factor, flops, percent

#: Smallest per-rank micro-batch, in tokens, that keeps a data-centre GPU's matmuls busy
#: when only a log is known (no roofline): the tokens are the M dimension of every linear
#: layer's GEMM. With the 128x128 output tiles cuBLAS/CUTLASS use for large GEMMs, a
#: GPT-2-small projection (N = 768) at M = 4096 gives 32 x 6 = 192 tiles, under two waves
#: of an A100's 108 SMs; fewer tokens leave SMs idle in the last wave, and the per-step
#: costs (optimizer, kernel launches, the all-reduce) are spread over fewer tokens.
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
    {"MA129": _gloo_on_cuda, "MA130": _per_rank_batch, "MA131": _oversubscribe}, globals()
)

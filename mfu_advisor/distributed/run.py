"""``bench --nproc-per-node N``: a calibrated data-parallel run, start to finish.

The launcher process resolves the options (so bad ones fail before anything
starts), splits the usable CPUs between the local ranks, writes the job file,
runs the ranks under torchrun (launch.py), then the single-process reference
for the scaling efficiency, then the matmul roofline (cached), and turns it all
into a bench result whose top-level figures are the job's, plus ``ranks``,
``job``, ``communication_fraction``, ``straggler``, ``scaling`` and
``distributed`` (docs/distributed.md).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mfu_advisor.bench import multi_rank as aggregate
from mfu_advisor.bench.denominators import (
    load_hardware,
)
from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.progress import ProgressSink, SilentProgress
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.distributed import launch, plan
from mfu_advisor.distributed.result import JobPlan, bench_result
from mfu_advisor.distributed.status import (
    JOB_FILE,
    SOLO_RANK,
    ranks_with,
    read_result,
    replace_json,
)
from mfu_advisor.errors import RunFailed, UserError
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.units import cpu_list

#: Set to 1 to keep the job's run folder (torchrun's output, the ranks' status and result
#: files) instead of deleting it, to look into a failed job.
KEEP_RUN_DIR_ENV = "MFU_ADVISOR_KEEP_RUN_DIR"

#: Device types a multi-rank bench runs on: gloo on CPUs, nccl (or gloo) on CUDA GPUs.
DEVICE_TYPES: tuple[str, ...] = ("cpu", "cuda")


def run_distributed_bench(
    options: BenchOptions,
    dist: plan.DistributedOptions,
    progress: ProgressSink | None = None,
) -> BenchResult:
    """Run the bench as a data-parallel job; UserError for what cannot run, RunFailed
    when a rank dies or hangs."""
    sink = progress or SilentProgress()
    plan.validate(dist)
    if options.variant:
        raise UserError(
            "--variant measures two runs in one process; it cannot be combined "
            "with --nproc-per-node"
        )
    try:
        return _run(options, dist, sink)
    finally:
        sink.close()


def _run(options: BenchOptions, dist: plan.DistributedOptions, sink: ProgressSink) -> BenchResult:
    import torch

    from mfu_advisor.bench.devices import native_bf16, peak_dtype_key, resolve_device
    from mfu_advisor.bench.resolve import resolve_options

    if not torch.distributed.is_available():
        raise UserError("this torch build has no torch.distributed; a multi-rank bench needs it")
    choice = resolve_device(options.device)
    if choice.device_type not in DEVICE_TYPES:
        raise UserError(
            f"a multi-rank bench runs on CPUs (gloo) or CUDA GPUs (nccl), not {choice.device}"
        )
    backend = plan.pick_backend(dist.backend, choice.device_type)
    if backend == "nccl" and not torch.distributed.is_nccl_available():
        raise UserError("--backend nccl: this torch build has no NCCL; use --backend gloo")
    if choice.device_type == "cuda" and dist.nproc_per_node > torch.cuda.device_count():
        raise UserError(
            f"--nproc-per-node {dist.nproc_per_node} needs {dist.nproc_per_node} CUDA GPUs; "
            f"{torch.cuda.device_count()} are visible"
        )
    vocab = None
    if options.data:
        from mfu_advisor.bench.data import read_text, text_vocabulary

        vocab = text_vocabulary(read_text(options.data)).size
    bf16 = native_bf16(choice.device_type, choice.index)  # T4/V100: fp16 + GradScaler
    resolved = resolve_options(options, choice, bf16_supported=bf16, text_vocab_size=vocab)
    opts = resolved.options
    hardware = load_hardware()
    usable = _usable_cpus(options, hardware)
    shares = plan.split_cpus(usable, dist.nproc_per_node) if choice.device_type == "cpu" else []
    threads = options.threads or max(1, len(usable) // dist.nproc_per_node)
    notes = list(resolved.notes)
    if choice.device_type == "cpu" and dist.nproc_per_node > len(usable):
        notes.append(f"{dist.nproc_per_node} ranks on {len(usable)} usable CPUs: ranks share CPUs")
    if dist.nnodes > 1:
        notes.append(
            "ranks on other nodes are given this node's device peaks (the nodes are assumed "
            "alike); run the bench on each node to check"
        )
    run_dir = Path(tempfile.mkdtemp(prefix="mfu-advisor-ddp-"))
    try:
        job = {
            "options": dataclasses.asdict(opts),
            "device_type": choice.device_type,
            "backend": backend,
            "cpus_per_local_rank": [list(s) for s in shares] or None,
            "threads_per_rank": threads,
            # gloo's own timeout, beyond the launcher's, so the launcher names the hung rank
            "collective_timeout_s": 2 * dist.rank_timeout_s,
            "bucket_cap_mb": dist.bucket_cap_mb,
            "solo_cpus": list(shares[0]) if shares else None,
            "solo_budget_s": opts.budget_s,
            "communication_split": dist.communication_split,
        }
        replace_json(run_dir / JOB_FILE, job)
        shape = opts.shape()
        sink.phase(
            f"{dist.world_size} ranks ({backend}) x {opts.preset}: {shape.n_layer} layers, "
            f"n_embd {shape.n_embd}, batch {opts.batch_size} per rank on {choice.device_type}, "
            f"{threads} thread{'s' if threads > 1 else ''} per rank"
        )
        allowance = launch.Allowance(
            rank_timeout_s=dist.rank_timeout_s,
            start_s=plan.START_ALLOWANCE_S,
            warmup_extra_s=plan.COMPILE_ALLOWANCE_S if opts.compile else 0.0,
        )
        env = launch.torchrun_env(threads)
        try:
            launch.run_job(
                plan.torchrun_argv(dist, str(run_dir)),
                run_dir,
                dist.nproc_per_node,
                allowance,
                env,
                sink.phase,
            )
        except launch.RankFailure as failure:
            raise RunFailed(str(failure)) from None
        gathered = _gathered(run_dir)
        reference, reference_text = _reference(dist, run_dir, env, opts, shares, threads, sink)
        job_plan = JobPlan(
            options=opts,
            preset_source=resolved.preset_source,
            choice=choice,
            dist=dist,
            backend=backend,
            shares=shares,
            usable=usable,
            threads=threads,
            hardware=hardware,
            peak_key=peak_dtype_key(choice.device_type, str(opts.dtype), bool(opts.tf32)),
            notes=notes,
        )
        return bench_result(job_plan, gathered, (reference, reference_text), sink)
    finally:
        if os.environ.get(KEEP_RUN_DIR_ENV) == "1":
            sink.phase(f"run folder kept: {run_dir} (torchrun.log, the ranks' status files)")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def _usable_cpus(options: BenchOptions, hardware: Any) -> list[int]:
    """The CPUs the ranks may share: --cpus, else the probe's affinity cut to the cgroup quota."""
    if options.cpus is not None:
        return sorted(options.cpus)
    if not isinstance(hardware, Unavailable) and hardware.cpu.affinity_cpus:
        return sorted(hardware.cpu.affinity_cpus)[: max(1, hardware.cpu.usable_cpus)]
    getter = getattr(os, "sched_getaffinity", None)
    return sorted(getter(0)) if getter else list(range(os.cpu_count() or 1))


def _gathered(run_dir: Path) -> Mapping[str, Any]:
    """The job's results, as the node's local rank 0 wrote them."""
    for rank in ranks_with(run_dir, "result"):
        document = read_result(run_dir, rank)
        if document is not None:
            return document
    raise RunFailed("every rank finished but none wrote its results (see torchrun's output)")


def _reference(
    dist: plan.DistributedOptions,
    run_dir: Path,
    env: dict[str, str],
    opts: BenchOptions,
    shares: list[tuple[int, ...]],
    threads: int,
    sink: ProgressSink,
) -> tuple[Maybe[float], str]:
    """The single-process reference's tokens/s, and what it ran."""
    where = f"on CPU {cpu_list(shares[0])}" if shares else "on one device"
    text = (
        f"1 process x {threads} thread{'s' if threads > 1 else ''} {where}, "
        f"batch_size {opts.batch_size}"
    )
    if not dist.scaling:
        return Unavailable("skipped: --no-scaling"), text
    sink.phase(f"scaling reference: {text}, up to {opts.budget_s:g} s")
    timeout = float(opts.budget_s or 0) + plan.START_ALLOWANCE_S + dist.rank_timeout_s
    if opts.compile:
        timeout += plan.COMPILE_ALLOWANCE_S
    argv = [sys.executable, "-m", "mfu_advisor.distributed.worker", str(run_dir)]
    failed = launch.run_solo(argv, run_dir, env, timeout)
    if failed:
        return Unavailable(failed), text
    document = read_result(run_dir, SOLO_RANK)
    ranks = document.get("ranks") if document else None
    if not isinstance(ranks, list) or not ranks:
        return Unavailable("the single-process reference wrote no result"), text
    return aggregate.tokens_per_s_of(ranks[0]), text

"""``bench --nproc-per-node N``: resolve (bad options fail before anything starts), split the
CPUs between the local ranks, run them under torchrun (launch.py), then the single-process
reference and the roofline; the top-level figures are the job's (docs/distributed.md)."""

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
from mfu_advisor.bench.denominators import device_peak, device_peak_label, load_hardware
from mfu_advisor.bench.options import BenchOptions, cpu_affinity
from mfu_advisor.bench.progress import ProgressSink, SilentProgress
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.distributed import launch, plan
from mfu_advisor.distributed.status import (
    JOB_FILE,
    SOLO_RANK,
    ranks_with,
    read_json,
    replace_json,
    result_path,
)
from mfu_advisor.errors import RunFailed, UserError
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.units import cpu_list

#: Set to 1 to keep the job's run folder (torchrun's output, the ranks' status and result
#: files) instead of deleting it, to look into a failed job.
KEEP_RUN_DIR_ENV = "MFU_ADVISOR_KEEP_RUN_DIR"


def run_distributed_bench(
    options: BenchOptions, dist: plan.DistributedOptions, progress: ProgressSink | None = None
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

    from mfu_advisor.bench.data import read_text
    from mfu_advisor.bench.devices import resolve_device
    from mfu_advisor.bench.resolve import resolve_run

    if not torch.distributed.is_available():
        raise UserError("this torch build has no torch.distributed; a multi-rank bench needs it")
    choice = resolve_device(options.device)
    if choice.device_type not in ("cpu", "cuda"):
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
    resolved = resolve_run(options, choice, read_text(options.data))
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
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}  # torchrun would set 1 and warn
        argv = plan.torchrun_argv(dist, str(run_dir))
        try:
            launch.run_job(argv, run_dir, dist.nproc_per_node, allowance, env, sink.phase)
        except launch.RankFailure as failure:
            raise RunFailed(str(failure)) from None
        gathered = _gathered(run_dir)
        reference = _reference(dist, run_dir, env, opts, shares, threads, sink)
        first = (gathered.get("ranks") or [{}])[0]
        setup = aggregate.DistributedSetup(
            launcher="torch.distributed.run",
            backend=backend,
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
            sync_steps=len(first.get("sync_ms") or []),
            no_sync_steps=len(first.get("no_sync_ms") or []),
        )
        return _job_result(
            resolved, choice, dist, hardware, setup, gathered, reference, notes, sink
        )
    finally:
        if os.environ.get(KEEP_RUN_DIR_ENV) == "1":
            sink.phase(f"run folder kept: {run_dir} (torchrun.log, the ranks' status files)")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def _job_result(
    resolved: Any,
    choice: Any,
    dist: plan.DistributedOptions,
    hardware: Any,
    setup: aggregate.DistributedSetup,
    gathered: Mapping[str, Any],
    reference: tuple[Maybe[float], str],
    notes: list[str],
    sink: ProgressSink,
) -> BenchResult:
    """The job's figures on top (summed over ranks, the slowest rank's steps), the ranks'
    beside; the measured matmul peak times the GPUs (or the nodes)."""
    import torch

    from mfu_advisor.bench.denominators import mfu_figures
    from mfu_advisor.bench.devices import peak_dtype_key
    from mfu_advisor.bench.roofline import measured_peak, roofline_for_run
    from mfu_advisor.bench.run import assemble_result, or_missing
    from mfu_advisor.mfu import flops_per_token

    opts = resolved.options
    peak_key = peak_dtype_key(choice.device_type, str(opts.dtype), bool(opts.tf32))
    measured = list(gathered.get("ranks") or [])
    figures = aggregate.multi_rank_figures(
        measured,
        flops_per_token(opts.shape()),
        lambda m: _rank_peak(m, hardware, choice.device_type, peak_key, setup.usable_cpus),
        *reference,
        split=dist.communication_split,
    )
    job = figures.job
    # The roofline with as many threads as the ranks on this node use together.
    torch.set_num_threads(max(1, setup.threads_per_rank * dist.nproc_per_node))
    roofline = roofline_for_run(opts, choice, peak_key, "budget", sink)
    measured_flops, measured_label = measured_peak(roofline, peak_key)
    if measured_flops is not None and choice.device_type == "cuda":
        measured_flops *= dist.world_size
        measured_label += f"; x {dist.world_size} GPUs"
    elif measured_flops is not None and dist.nnodes > 1:
        measured_flops *= dist.nnodes
        measured_label += f"; x {dist.nnodes} nodes, assumed alike"
    job_peak = device_peak(hardware, choice.device_type, 0, peak_key)
    if not isinstance(job_peak, Unavailable):  # labelled as the device's, summed over ranks
        source = f"sum over {job.world_size} ranks: " + job_peak.source
        job_peak = (
            job.peak_flops
            if isinstance(job.peak_flops, Unavailable)
            else (dataclasses.replace(job_peak, flops=job.peak_flops, source=source))
        )
    achieved = job.achieved_flops if isinstance(job.achieved_flops, float) else None
    first = measured[0] if measured else {}
    sync_ms = [float(ms) for ms in first.get("sync_ms") or []]
    no_sync_ms = [float(ms) for ms in first.get("no_sync_ms") or []]
    stats = [r.step_time_ms for r in figures.ranks if isinstance(r.step_time_ms, StepTimeStats)]
    memory = first.get("peak_memory_bytes")
    return assemble_result(
        resolved,
        choice,
        peak_key,
        roofline,
        mfu_figures(achieved, job_peak, measured_flops, measured_label),
        warmups_s=[float(ms) / 1e3 for ms in first.get("warmup_ms") or []],
        steps_s=[ms / 1e3 for ms in sync_ms],
        losses=[*first.get("warmup_losses", []), *first.get("sync_losses", [])],
        notes=notes,
        measured_s=(sum(sync_ms) + sum(no_sync_ms)) / 1e3,  # both kinds, on rank 0
        loss_first=or_missing(first.get("loss_first"), "no step finished"),
        loss_last=or_missing(first.get("loss_last"), "no step finished"),
        device=choice.device_type,
        torch_version=str(gathered.get("torch_version", torch.__version__)),
        threads=int(first.get("threads", setup.threads_per_rank)),
        cpu_affinity=tuple(first["cpus"]) if first.get("cpus") else Unavailable("not pinned"),
        adamw_impl=str(gathered.get("adamw_impl", "")),
        n_params=int(gathered.get("n_params", 0)),
        effective_batch_tokens=job.tokens_per_step,
        stopped_by="max_steps"
        if opts.max_steps and setup.sync_steps >= opts.max_steps
        else "budget",
        step_time_ms=(  # the slowest rank's synced steps: the job's pace
            max(stats, key=lambda s: s.median)
            if stats
            else Unavailable("no rank measured a synced step")
        ),
        tokens_per_s=job.tokens_per_s,
        achieved_flops=job.achieved_flops,
        peak_memory_bytes=int(memory) if isinstance(memory, int) else Unavailable("not measured"),
        peak_memory_kind=str(first.get("peak_memory_kind", "")) + " (rank 0)",
        multi_rank=figures,
        distributed=setup,
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
    gpu = device_peak(hardware, device_type, int(measured.get("local_rank", 0)), peak_key)
    if isinstance(gpu, Unavailable):
        return gpu
    return aggregate.RankPeak(gpu.flops, device_peak_label(gpu))


def _usable_cpus(options: BenchOptions, hardware: Any) -> list[int]:
    """The CPUs the ranks may share: --cpus, else the probe's affinity cut to the cgroup quota."""
    if options.cpus is not None:
        return sorted(options.cpus)
    if not isinstance(hardware, Unavailable) and hardware.cpu.affinity_cpus:
        return sorted(hardware.cpu.affinity_cpus)[: max(1, hardware.cpu.usable_cpus)]
    return cpu_affinity() or list(range(os.cpu_count() or 1))


def _gathered(run_dir: Path) -> Mapping[str, Any]:
    """The job's results, as the node's local rank 0 wrote them."""
    for rank in ranks_with(run_dir, "result"):
        document = read_json(result_path(run_dir, rank))
        if isinstance(document, dict):
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
    timeout += plan.COMPILE_ALLOWANCE_S if opts.compile else 0.0
    argv = [sys.executable, "-m", "mfu_advisor.distributed.worker", str(run_dir)]
    failed = launch.run_solo(argv, run_dir, env, timeout)
    if failed:
        return Unavailable(failed), text
    document = read_json(result_path(run_dir, SOLO_RANK))
    ranks = document.get("ranks") if isinstance(document, dict) else None
    if not isinstance(ranks, list) or not ranks:
        return Unavailable("the single-process reference wrote no result"), text
    tokens_per_s = aggregate.rank_figures(ranks[0], 0.0, Unavailable("")).tokens_per_s
    if isinstance(tokens_per_s, Unavailable):
        return Unavailable("the single-process reference measured no step"), text
    return tokens_per_s, text

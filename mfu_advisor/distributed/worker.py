"""One rank of a distributed bench: ``python -m mfu_advisor.distributed.worker RUN_DIR``
(without torchrun's RANK: the single-process reference, no DDP). It times blocks of steps
with the all-reduce and under ``no_sync()`` in turn, each after a barrier; local rank 0
writes every rank's measurements (status.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from mfu_advisor.bench.options import BenchOptions, cpu_affinity
from mfu_advisor.bench.training import one_line
from mfu_advisor.distributed.plan import MIN_PAIRS, MIN_SYNC_STEPS, block_steps_for
from mfu_advisor.distributed.status import (
    JOB_FILE,
    SOLO_RANK,
    StatusWriter,
    read_json,
    replace_json,
    result_path,
)

#: Exit code of a rank stopped by SIGTERM (128 + 15), as a shell reports it.
EXIT_TERMINATED = 143


def main(argv: list[str] | None = None) -> int:
    """Run this rank; 0 when it measured, 1 when it failed (its status says why)."""
    args = sys.argv[1:] if argv is None else argv
    run_dir = Path(args[0])
    job = read_json(run_dir / JOB_FILE)
    solo = "RANK" not in os.environ
    rank: int | str = SOLO_RANK if solo else int(os.environ["RANK"])
    local_rank = 0 if solo else int(os.environ.get("LOCAL_RANK", "0"))
    writer = StatusWriter(run_dir, rank, local_rank)
    writer.start()

    def terminated(signum: int, _frame: Any) -> None:
        writer.write("terminated", error=f"stopped by signal {signum}")
        os._exit(EXIT_TERMINATED)

    signal.signal(signal.SIGTERM, terminated)
    try:
        if not isinstance(job, dict):
            raise RuntimeError(f"no readable {JOB_FILE} in {run_dir}")
        document = _run(job, writer, local_rank, solo)
        if document is not None:
            replace_json(result_path(run_dir, rank), document)
        writer.write("done")
        return 0
    except BaseException as exc:  # every failure is reported to the launcher as one line
        writer.write("error", error=one_line(exc))
        return 1
    finally:
        destroy_process_group()
        writer.stop()


def rank_device(device_type: str, local_rank: int, visible_gpus: int, default: str) -> str:
    """The device a rank trains on: ``cuda:LOCAL_RANK``, or ``cuda:0`` when it sees one GPU
    (launchers that give each rank its own CUDA_VISIBLE_DEVICES, e.g. SLURM's)."""
    if device_type != "cuda":
        return default
    return "cuda:0" if visible_gpus == 1 else f"cuda:{local_rank}"


def destroy_process_group() -> None:
    """Tear down this rank's process group whether it measured or failed (a rank that
    raised mid-run would leave NCCL/gloo resources behind)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    with contextlib.suppress(Exception):  # a broken group must not hide the rank's error
        dist.destroy_process_group()


def _run(
    job: dict[str, Any], writer: StatusWriter, local_rank: int, solo: bool
) -> dict[str, Any] | None:
    shares = job["cpus_per_local_rank"]
    cpus = shares[local_rank % len(shares)] if shares else None  # solo: local rank 0's
    if cpus:
        os.sched_setaffinity(0, cpus)
    import torch

    torch.set_num_threads(int(job["threads_per_rank"]))
    from mfu_advisor.bench.data import read_text
    from mfu_advisor.bench.devices import make_synchronize, peak_memory, resolve_device
    from mfu_advisor.bench.training import build_training, checked_step

    fields = job["options"]  # the BenchOptions the launcher wrote with dataclasses.asdict
    fields["cpus"] = tuple(fields["cpus"]) if fields.get("cpus") is not None else None
    fields["variant"] = tuple(tuple(pair) for pair in fields.get("variant") or ())
    options = BenchOptions(**fields)
    device_type = str(job["device_type"])
    visible = torch.cuda.device_count() if device_type == "cuda" else 0
    device = rank_device(device_type, local_rank, visible, str(options.device))
    choice = resolve_device(device)
    if device_type == "cuda":
        torch.cuda.set_device(choice.index)
    world, rank = 1, 0
    dist: Any = None
    wrap: Callable[[Any], Any] | None = None
    if not solo:
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        dist.init_process_group(
            backend=job["backend"], timeout=timedelta(seconds=float(job["collective_timeout_s"]))
        )
        world, rank = dist.get_world_size(), dist.get_rank()
        ids = [choice.index] if choice.device_type == "cuda" else None
        cap = int(job["bucket_cap_mb"])
        wrap = functools.partial(DistributedDataParallel, device_ids=ids, bucket_cap_mb=cap)
    # Each rank reads its own data (nanoGPT: seed 1337 + rank); DDP copies rank 0's weights.
    options = dataclasses.replace(options, seed=options.seed + rank, device=choice.device)
    training, n_params, adamw_impl = build_training(
        options, choice, read_text(options.data), wrap=wrap
    )
    synchronize = make_synchronize(choice.device_type, choice.index)
    losses: list[float] = []

    def step(sync: bool) -> float:
        """One step, with or without the gradient all-reduce; its milliseconds."""
        training.sync = sync
        started = time.perf_counter()
        loss = checked_step(training, options, choice, not losses)
        synchronize()
        elapsed_ms = (time.perf_counter() - started) * 1e3
        losses.append(float(loss))
        writer.write()
        return elapsed_ms

    writer.write("warmup")
    writer.progress(f"warm-up: {options.warmup_steps} steps on each of {world} ranks")
    warmup_ms = [step(True) for _ in range(int(options.warmup_steps or 0))]
    split = not solo and bool(job.get("communication_split", True))
    if split:
        step(False)  # no_sync's first step too, so neither kind is measured cold
    # Steps per block, from the last warm-up step; rank 0's choice for every rank.
    chosen = [block_steps_for(warmup_ms[-1] if warmup_ms else 100.0)]
    if dist is not None:
        dist.broadcast_object_list(chosen, src=0)
    block = int(chosen[0])
    writer.write("measuring")
    kinds = "with and without all-reduce" if split else "with the all-reduce"
    writer.progress(f"measuring: blocks of {block} steps, {kinds}")
    warmup_losses = losses[: len(warmup_ms)]
    sync_ms, no_sync_ms, sync_losses = _measure(
        step, losses, block, float(options.budget_s or 0), options.max_steps, dist, writer, split
    )
    memory, memory_kind = peak_memory(choice.device_type, choice.index)
    mine = {
        "rank": rank,
        "local_rank": local_rank,
        "host": socket.gethostname(),
        "device": choice.device,
        "device_name": choice.name,
        "cpus": cpu_affinity(),
        "threads": torch.get_num_threads(),
        "block_steps": block,
        "warmup_ms": warmup_ms,
        "sync_ms": sync_ms,
        "no_sync_ms": no_sync_ms,
        "warmup_losses": warmup_losses,
        "sync_losses": sync_losses,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "tokens_per_step": options.tokens_per_step(),
        "peak_memory_bytes": memory,
        "peak_memory_kind": memory_kind,
    }
    common = {
        "world_size": world,
        "nccl_available": bool(dist.is_nccl_available()) if dist is not None else None,
        "n_params": n_params,
        "adamw_impl": adamw_impl,
        "torch_version": str(torch.__version__),
    }
    gathered: list[Any] = [mine] * world
    if not solo:
        dist.all_gather_object(gathered, mine)
    return {**common, "ranks": gathered} if local_rank == 0 else None


def _measure(
    step: Callable[[bool], float],
    losses: list[float],
    block: int,
    budget_s: float,
    max_steps: int | None,
    dist: Any,
    writer: StatusWriter,
    split: bool,
) -> tuple[list[float], list[float], list[float]]:
    """Blocks of steps with and without all-reduce (only synced ones without ``split``),
    ABBA, until the budget is spent after MIN_PAIRS rounds and MIN_SYNC_STEPS synced steps;
    (synced steps' milliseconds, no_sync steps', synced steps' losses)."""
    sync_ms: list[float] = []
    no_sync_ms: list[float] = []
    sync_losses: list[float] = []
    pairs = 0
    while True:
        order = ((True, False) if pairs % 2 == 0 else (False, True)) if split else (True,)
        for sync in order:
            if dist is not None:
                dist.barrier()  # every rank starts the block together; not timed
            for _ in range(block):
                (sync_ms if sync else no_sync_ms).append(step(sync))
                if sync:
                    sync_losses.append(losses[-1])
        pairs += 1
        spent_s = (sum(sync_ms) + sum(no_sync_ms)) / 1e3
        enough = pairs >= MIN_PAIRS and len(sync_ms) >= MIN_SYNC_STEPS
        stop = (enough and spent_s >= budget_s) or (
            max_steps is not None and len(sync_ms) >= max_steps
        )
        if dist is not None:
            decided = [stop]
            dist.broadcast_object_list(decided, src=0)  # rank 0's clock decides for all
            stop = bool(decided[0])
        writer.progress(f"measured {len(sync_ms) + len(no_sync_ms)} steps in {spent_s:.1f} s")
        if stop:
            return sync_ms, no_sync_ms, sync_losses


if __name__ == "__main__":
    sys.exit(main())

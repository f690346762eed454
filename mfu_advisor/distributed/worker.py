"""One rank of a distributed bench: ``python -m mfu_advisor.distributed.worker RUN_DIR``.

torchrun starts it once per local rank with RANK, LOCAL_RANK and WORLD_SIZE
set; without them it runs the single-process reference (the same per-rank
configuration, no process group, no DDP) used for the scaling efficiency.

A rank pins itself to its share of the CPUs before torch starts its threads,
joins the process group, wraps the model in DistributedDataParallel (after
torch.compile, as nanoGPT does) and measures blocks of steps alternately with
the gradient all-reduce and under ``no_sync()`` (no communication), each block
started together after a barrier. The all-reduce's share of the step is
``1 - step(no_sync) / step(sync)``. Every rank's measurements are gathered to
all ranks and written by local rank 0 (so each node's launcher has the whole
job). Its state goes to status files the launcher watches (status.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from mfu_advisor.bench.options import BenchOptions
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


def options_from_json(document: dict[str, Any]) -> BenchOptions:
    """The BenchOptions the launcher wrote with ``dataclasses.asdict``."""
    fields = dict(document)
    if fields.get("cpus") is not None:
        fields["cpus"] = tuple(fields["cpus"])
    fields["variant"] = tuple(tuple(pair) for pair in fields.get("variant") or ())
    return BenchOptions(**fields)


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
        writer.write("error", error=_one_line(exc))
        return 1
    finally:
        destroy_process_group()
        writer.stop()


def rank_device(device_type: str, local_rank: int, visible_gpus: int, default: str) -> str:
    """The device a rank trains on: ``cuda:LOCAL_RANK``, or ``cuda:0`` when it sees one GPU.

    Launchers that give each rank its own CUDA_VISIBLE_DEVICES (SLURM's
    --gpus-per-task, many cluster wrappers) leave every rank one device, cuda:0,
    whatever its LOCAL_RANK.
    """
    if device_type != "cuda":
        return default
    return "cuda:0" if visible_gpus == 1 else f"cuda:{local_rank}"


def destroy_process_group() -> None:
    """Tear down this rank's process group whether it measured or failed.

    Done in ``finally``: a rank that raised mid-run otherwise leaves NCCL/gloo
    resources behind (and torch warns that the group was never destroyed).
    """
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    with contextlib.suppress(Exception):  # a broken group must not hide the rank's error
        dist.destroy_process_group()


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _run(
    job: dict[str, Any], writer: StatusWriter, local_rank: int, solo: bool
) -> dict[str, Any] | None:
    cpus = job["solo_cpus"] if solo else _share(job["cpus_per_local_rank"], local_rank)
    if cpus:
        os.sched_setaffinity(0, cpus)
    import torch

    torch.set_num_threads(int(job["threads_per_rank"]))
    from mfu_advisor.bench.devices import make_synchronize, peak_memory, resolve_device

    options = options_from_json(job["options"])
    device_type = str(job["device_type"])
    visible = torch.cuda.device_count() if device_type == "cuda" else 0
    device = rank_device(device_type, local_rank, visible, str(options.device))
    choice = resolve_device(device)
    if device_type == "cuda":
        torch.cuda.set_device(choice.index)
    world, rank = 1, 0
    dist: Any = None
    if not solo:
        import torch.distributed as dist

        dist.init_process_group(
            backend=job["backend"], timeout=timedelta(seconds=float(job["collective_timeout_s"]))
        )
        world, rank = dist.get_world_size(), dist.get_rank()
    # Each rank reads its own data (nanoGPT: seed 1337 + rank); DDP copies rank 0's weights.
    options = dataclasses.replace(options, seed=options.seed + rank, device=choice.device)
    training, n_params, adamw_impl = _build(options, choice, job, solo)
    synchronize = make_synchronize(choice.device_type, choice.index)
    writer.write("warmup")
    writer.progress(f"warm-up: {options.warmup_steps} steps on each of {world} ranks")
    timer = _Timer(training, options, choice, synchronize, writer)
    warmup_ms = [timer.step(sync=True) for _ in range(int(options.warmup_steps or 0))]
    split = not solo and bool(job.get("communication_split", True))
    if split:
        timer.step(sync=False)  # no_sync's first step too, so neither kind is measured cold
    block = _block_steps(warmup_ms, dist)
    writer.write("measuring")
    budget = float(job["solo_budget_s"] if solo else options.budget_s or 0)
    kinds = "with and without all-reduce" if split else "with the all-reduce"
    writer.progress(f"measuring: blocks of {block} steps, {kinds}")
    warmup_losses = list(timer.losses[: len(warmup_ms)])
    sync_ms, no_sync_ms, sync_losses = _measure(
        timer, block, budget, options.max_steps, dist, writer, split
    )
    memory, memory_kind = peak_memory(choice.device_type, choice.index)
    mine = {
        "rank": rank,
        "local_rank": local_rank,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "device": choice.device,
        "device_name": choice.name,
        "cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "threads": torch.get_num_threads(),
        "block_steps": block,
        "warmup_ms": warmup_ms,
        "sync_ms": sync_ms,
        "no_sync_ms": no_sync_ms,
        "warmup_losses": warmup_losses,
        "sync_losses": sync_losses,
        "loss_first": timer.losses[0] if timer.losses else None,
        "loss_last": timer.losses[-1] if timer.losses else None,
        "tokens_per_step": options.tokens_per_step(),
        "peak_memory_bytes": memory,
        "peak_memory_kind": memory_kind,
    }
    common = {
        "world_size": world,
        "backend": None if solo else job["backend"],
        "nccl_available": bool(dist.is_nccl_available()) if dist is not None else None,
        "n_params": n_params,
        "adamw_impl": adamw_impl,
        "torch_version": str(torch.__version__),
        "config": options.model_config(),
    }
    if solo:
        return {**common, "ranks": [mine]}
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, mine)
    return {**common, "ranks": gathered} if local_rank == 0 else None


def _share(shares: list[list[int]] | None, local_rank: int) -> list[int] | None:
    if not shares:
        return None
    return shares[local_rank % len(shares)]


def _build(options: BenchOptions, choice: Any, job: dict[str, Any], solo: bool) -> Any:
    from mfu_advisor.bench.data import read_text
    from mfu_advisor.bench.training import build_training

    wrap: Callable[[Any], Any] | None = None
    if not solo:
        from torch.nn.parallel import DistributedDataParallel

        def wrap(model: Any) -> Any:
            ids = [choice.index] if choice.device_type == "cuda" else None
            return DistributedDataParallel(
                model, device_ids=ids, bucket_cap_mb=int(job["bucket_cap_mb"])
            )

    return build_training(options, choice, read_text(options.data), wrap=wrap)


class _Timer:
    """Times one training step at a time, synchronized, and records its loss."""

    def __init__(
        self,
        training: Any,
        options: BenchOptions,
        choice: Any,
        synchronize: Callable[[], None],
        writer: StatusWriter,
    ) -> None:
        self.training = training
        self.options = options
        self.choice = choice
        self.synchronize = synchronize
        self.writer = writer
        self.losses: list[float] = []

    def step(self, *, sync: bool) -> float:
        """One step, with (``sync``) or without the gradient all-reduce; milliseconds."""
        from mfu_advisor.bench.training import checked_step

        self.training.sync = sync
        started = time.perf_counter()
        loss = checked_step(self.training, self.options, self.choice, not self.losses)
        self.synchronize()
        elapsed_ms = (time.perf_counter() - started) * 1e3
        self.losses.append(float(loss))
        self.writer.write()
        return elapsed_ms


def _block_steps(warmup_ms: list[float], dist: Any) -> int:
    """Steps per block, from the last warm-up step; rank 0's choice for every rank."""
    steps = block_steps_for(warmup_ms[-1] if warmup_ms else 100.0)
    if dist is None:
        return steps
    chosen = [steps]
    dist.broadcast_object_list(chosen, src=0)
    return int(chosen[0])


def _measure(
    timer: _Timer,
    block: int,
    budget_s: float,
    max_steps: int | None,
    dist: Any,
    writer: StatusWriter,
    split: bool,
) -> tuple[list[float], list[float], list[float]]:
    """Blocks of steps with and without all-reduce, alternating (ABBA) until the budget.

    Without ``split`` (the single-process reference, --no-communication-split) only
    synced blocks. Stops after MIN_PAIRS rounds and MIN_SYNC_STEPS synced steps once
    the budget is spent. Returns the synced steps' milliseconds, the no_sync steps',
    and the synced steps' losses.
    """
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
                elapsed = timer.step(sync=sync)
                if sync:
                    sync_ms.append(elapsed)
                    sync_losses.append(timer.losses[-1])
                else:
                    no_sync_ms.append(elapsed)
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

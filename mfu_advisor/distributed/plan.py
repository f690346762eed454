"""What a multi-rank run is asked to do, under torchrun's option names and spellings
(https://pytorch.org/docs/stable/elastic/run.html): the launch options ``bench`` and
``diagnose`` share, and how the ranks share the CPUs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from mfu_advisor.bench.paired import steps_per_block
from mfu_advisor.errors import UserError

#: Process-group backends: gloo runs everywhere (the CPU backend), nccl on CUDA GPUs.
BACKENDS: tuple[str, ...] = ("auto", "gloo", "nccl")

#: Seconds a rank may go without finishing a step before the job is stopped (a cpu-small
#: step takes 0.1 s, a gpt2-small step on a laptop GPU a few seconds).
DEFAULT_RANK_TIMEOUT_S = 60.0

#: Shortest --rank-timeout: the alive file, touched every second, needs a few to tell.
MIN_RANK_TIMEOUT_S = 3.0

#: Extra seconds for the warm-up with torch.compile (a small GPT took 40 s on a 2-core VM).
COMPILE_ALLOWANCE_S = 600.0

#: Seconds from launch until every rank has started (torch import and rendezvous).
START_ALLOWANCE_S = 120.0

#: Seconds of steps per measured block (longer than bench --variant's: each starts with a
#: barrier across the ranks).
BLOCK_TARGET_S = 0.5
#: Fewest and most steps in one block.
BLOCK_STEPS = (3, 25)
#: A step at least this long (ms) may make a block by itself.
LONG_STEP_MS = 1000.0
#: Fewest pairs of blocks (sync + no_sync) before the budget may stop the run.
MIN_PAIRS = 2
#: Fewest synced steps before the budget may stop the run (one-step blocks of long steps).
MIN_SYNC_STEPS = 6

#: DDP's default gradient bucket size, in MiB
#: (https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html).
DEFAULT_BUCKET_CAP_MB = 25


@dataclass(frozen=True)
class DistributedOptions:
    """How to launch the job; torchrun's names."""

    nproc_per_node: int = 1
    nnodes: int = 1
    node_rank: int = 0
    rdzv_endpoint: str | None = None
    """HOST:PORT of the rendezvous; None runs --standalone (one node, loopback)."""
    rdzv_backend: str = "c10d"
    rdzv_id: str = "mfu-advisor"
    backend: str = "auto"
    """"gloo", "nccl" or "auto" (nccl on CUDA, gloo elsewhere)."""
    rank_timeout_s: float = DEFAULT_RANK_TIMEOUT_S
    bucket_cap_mb: int = DEFAULT_BUCKET_CAP_MB
    scaling: bool = True
    """Also time one process alone with the same per-rank configuration."""
    communication_split: bool = True
    """Alternate blocks of steps with and without the all-reduce (no_sync) to measure
    its share of the step; False measures synced steps only (half the time)."""

    @property
    def world_size(self) -> int:
        """All ranks of the job, every node together."""
        return self.nproc_per_node * self.nnodes

    @property
    def multi_rank(self) -> bool:
        """True when the job has more than one rank (else a plain bench runs)."""
        return self.world_size > 1 or self.nnodes > 1 or self.rdzv_endpoint is not None


def validate(options: DistributedOptions) -> None:
    """Refuse, with one clear line, launch options that cannot work."""
    if options.nproc_per_node < 1:
        raise UserError(f"--nproc-per-node must be at least 1, not {options.nproc_per_node}")
    if options.nnodes < 1:
        raise UserError(f"--nnodes must be at least 1, not {options.nnodes}")
    if not 0 <= options.node_rank < options.nnodes:
        raise UserError(
            f"--node-rank {options.node_rank} is not a node of --nnodes {options.nnodes}"
        )
    if options.nnodes > 1 and not options.rdzv_endpoint:
        raise UserError("--nnodes above 1 needs --rdzv-endpoint HOST:PORT (the same on every node)")
    if options.rank_timeout_s < MIN_RANK_TIMEOUT_S:
        raise UserError(f"--rank-timeout must be at least {MIN_RANK_TIMEOUT_S:g} seconds")
    if options.bucket_cap_mb < 1:
        raise UserError("--bucket-cap-mb must be at least 1")


def pick_backend(asked: str, device_type: str) -> str:
    """The process-group backend for a device: nccl on CUDA unless asked, gloo elsewhere."""
    if asked == "auto":
        return "nccl" if device_type == "cuda" else "gloo"
    if asked == "nccl" and device_type != "cuda":
        raise UserError(f"--backend nccl needs CUDA GPUs; this run is on {device_type}")
    return asked


def split_cpus(cpus: Sequence[int], ranks: int) -> list[tuple[int, ...]]:
    """Each local rank's own share of ``cpus``: contiguous (neighbouring cores; Linux numbers
    SMT siblings apart), equal, the rest unused; round-robin with fewer CPUs than ranks."""
    ordered = sorted(set(cpus))
    if ranks < 1 or not ordered:
        return []
    if len(ordered) < ranks:
        return [(ordered[r % len(ordered)],) for r in range(ranks)]
    each = len(ordered) // ranks
    return [tuple(ordered[r * each : (r + 1) * each]) for r in range(ranks)]


def torchrun_argv(options: DistributedOptions, run_dir: str) -> list[str]:
    """The torchrun command that runs every local rank's worker on ``run_dir``."""
    argv = [sys.executable, "-m", "torch.distributed.run"]
    if options.rdzv_endpoint is None:
        argv += ["--standalone"]
    else:
        argv += [
            f"--nnodes={options.nnodes}",
            f"--node-rank={options.node_rank}",
            f"--rdzv-backend={options.rdzv_backend}",
            f"--rdzv-endpoint={options.rdzv_endpoint}",
            f"--rdzv-id={options.rdzv_id}",
        ]
    argv += [
        f"--nproc-per-node={options.nproc_per_node}",
        "--max-restarts=0",
        "-m",
        "mfu_advisor.distributed.worker",
        run_dir,
    ]
    return argv


def block_steps_for(step_ms: float) -> int:
    """Steps per measured block for steps of ``step_ms``: about BLOCK_TARGET_S of them, at
    least BLOCK_STEPS[0] unless a step takes LONG_STEP_MS (long beside the barrier)."""
    low, high = BLOCK_STEPS
    if step_ms >= LONG_STEP_MS:
        low = 1
    return max(low, min(high, steps_per_block(step_ms / 1e3, BLOCK_TARGET_S)))


F = TypeVar("F", bound=Callable[..., Any])

#: (spellings, DistributedOptions field, click type, default, help); torchrun's own options
#: also take their older underscored spelling (``--nproc_per_node``).
_OPTIONS: tuple[tuple[tuple[str, ...], str, Any, Any, str | None], ...] = (
    (
        ("--nproc-per-node", "--nproc_per_node"),
        "nproc_per_node",
        int,
        1,
        "Ranks on this machine: above 1, a data-parallel run (DDP) under torchrun.",
    ),
    (("--nnodes",), "nnodes", int, 1, "Machines in the job."),
    (("--node-rank", "--node_rank"), "node_rank", int, 0, "This machine's rank."),
    (
        ("--rdzv-endpoint", "--rdzv_endpoint"),
        "rdzv_endpoint",
        str,
        None,
        "HOST:PORT of the rendezvous, the same on every node (multi-node).",
    ),
    (("--rdzv-backend", "--rdzv_backend"), "rdzv_backend", str, "c10d", None),
    (("--rdzv-id", "--rdzv_id"), "rdzv_id", str, "mfu-advisor", None),
    (
        ("--backend",),
        "backend",
        click.Choice(BACKENDS),
        "auto",
        "Process-group backend: auto is nccl on CUDA, gloo on CPU.",
    ),
    (
        ("--rank-timeout",),
        "rank_timeout_s",
        float,
        DEFAULT_RANK_TIMEOUT_S,
        "Seconds a rank may go without finishing a step before the job is stopped.",
    ),
    (
        ("--bucket-cap-mb",),
        "bucket_cap_mb",
        int,
        DEFAULT_BUCKET_CAP_MB,
        "DDP's gradient bucket size in MiB.",
    ),
)

#: Flags that switch a DistributedOptions field off: (flag, field, help).
_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--no-scaling", "scaling", "Skip the single-process reference run (no scaling efficiency)."),
    (
        "--no-communication-split",
        "communication_split",
        "Time synced steps only, no no_sync() blocks (no all-reduce share; faster).",
    ),
)


def distributed_options(command: F) -> F:
    """Declare the data-parallel launch options on a click command."""
    for flag, name, help_text in reversed(_FLAGS):
        command = click.option(flag, f"dist_no_{name}", is_flag=True, help=help_text)(command)
    for spellings, name, type_, default, help_text in reversed(_OPTIONS):
        option = click.option(
            *spellings,
            f"dist_{name}",
            type=type_,
            default=default,
            show_default=True,
            help=help_text,
        )
        command = option(command)
    return command


def launch_argv(options: DistributedOptions) -> list[str]:
    """``bench`` arguments that launch the same job (diagnose runs its baseline this way)."""
    argv: list[str] = []
    for spellings, name, *_ in _OPTIONS:
        value = getattr(options, name)
        if value is not None:
            argv.append(
                f"{spellings[0]}={value:g}"
                if isinstance(value, float)
                else f"{spellings[0]}={value}"
            )
    argv += [flag for flag, name, _ in _FLAGS if not getattr(options, name)]
    return argv


def distributed_from_params(params: Mapping[str, Any]) -> DistributedOptions:
    """What click parsed, as :class:`DistributedOptions`."""
    values: dict[str, Any] = {name: params[f"dist_{name}"] for _, name, *_ in _OPTIONS}
    values.update((name, not params[f"dist_no_{name}"]) for _, name, _ in _FLAGS)
    return DistributedOptions(**values)

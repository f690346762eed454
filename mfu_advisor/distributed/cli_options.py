"""The launch options ``bench`` and ``diagnose`` share for data-parallel runs, under torchrun's
names and spellings (https://pytorch.org/docs/stable/elastic/run.html)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from mfu_advisor.distributed.plan import (
    BACKENDS,
    DEFAULT_BUCKET_CAP_MB,
    DEFAULT_RANK_TIMEOUT_S,
    DistributedOptions,
)

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

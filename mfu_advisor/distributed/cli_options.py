"""The launch options ``bench`` and ``diagnose`` share for data-parallel runs.

torchrun's names and spellings (``--nproc-per-node``, also ``--nproc_per_node``),
so its documentation applies: https://pytorch.org/docs/stable/elastic/run.html.
"""

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


def _both(name: str) -> list[str]:
    """torchrun's dashed spelling and its older underscored one (``--nproc_per_node``)."""
    return [f"--{name}"] + ([f"--{name.replace('-', '_')}"] if "-" in name else [])


_OPTIONS: tuple[Callable[[F], F], ...] = (
    click.option(
        *_both("nproc-per-node"),
        "nproc_per_node",
        type=int,
        default=1,
        show_default=True,
        help="Ranks on this machine: above 1, a data-parallel run (DDP) under torchrun.",
    ),
    click.option(*_both("nnodes"), "nnodes", type=int, default=1, help="Machines in the job."),
    click.option(
        *_both("node-rank"), "node_rank", type=int, default=0, help="This machine's rank."
    ),
    click.option(
        *_both("rdzv-endpoint"),
        "rdzv_endpoint",
        default=None,
        help="HOST:PORT of the rendezvous, the same on every node (multi-node).",
    ),
    click.option(*_both("rdzv-backend"), "rdzv_backend", default="c10d", show_default=True),
    click.option(*_both("rdzv-id"), "rdzv_id", default="mfu-advisor", show_default=True),
    click.option(
        "--backend",
        "dist_backend",
        type=click.Choice(BACKENDS),
        default="auto",
        show_default=True,
        help="Process-group backend: auto is nccl on CUDA, gloo on CPU.",
    ),
    click.option(
        "--rank-timeout",
        "rank_timeout_s",
        type=float,
        default=DEFAULT_RANK_TIMEOUT_S,
        show_default=True,
        help="Seconds a rank may go without finishing a step before the job is stopped.",
    ),
    click.option(
        "--bucket-cap-mb",
        "bucket_cap_mb",
        type=int,
        default=DEFAULT_BUCKET_CAP_MB,
        show_default=True,
        help="DDP's gradient bucket size in MiB.",
    ),
    click.option(
        "--no-scaling",
        "no_scaling",
        is_flag=True,
        help="Skip the single-process reference run (no scaling efficiency).",
    ),
    click.option(
        "--no-communication-split",
        "no_communication_split",
        is_flag=True,
        help="Time synced steps only, no no_sync() blocks (no all-reduce share; faster).",
    ),
)


def distributed_options(command: F) -> F:
    """Declare the data-parallel launch options on a click command."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def distributed_from_params(params: Mapping[str, Any]) -> DistributedOptions:
    """What click parsed, as :class:`DistributedOptions`."""
    return DistributedOptions(
        nproc_per_node=int(params.get("nproc_per_node") or 1),
        nnodes=int(params.get("nnodes") or 1),
        node_rank=int(params.get("node_rank") or 0),
        rdzv_endpoint=params.get("rdzv_endpoint"),
        rdzv_backend=str(params.get("rdzv_backend") or "c10d"),
        rdzv_id=str(params.get("rdzv_id") or "mfu-advisor"),
        backend=str(params.get("dist_backend") or "auto"),
        rank_timeout_s=float(params.get("rank_timeout_s") or DEFAULT_RANK_TIMEOUT_S),
        bucket_cap_mb=int(params.get("bucket_cap_mb") or DEFAULT_BUCKET_CAP_MB),
        scaling=not params.get("no_scaling", False),
        communication_split=not params.get("no_communication_split", False),
    )

"""Launch options: CPU shares, backend choice, torchrun's command line, refusals."""

from __future__ import annotations

import sys

import pytest

from mfu_advisor.distributed.plan import (
    DistributedOptions,
    pick_backend,
    split_cpus,
    torchrun_argv,
    validate,
)
from mfu_advisor.errors import UserError


def test_cpus_split_into_equal_contiguous_shares() -> None:
    assert split_cpus([0, 1], 2) == [(0,), (1,)]
    assert split_cpus(range(8), 2) == [(0, 1, 2, 3), (4, 5, 6, 7)]
    assert split_cpus([4, 5, 6, 7, 8], 2) == [(4, 5), (6, 7)]  # the odd CPU stays unused


def test_more_ranks_than_cpus_share_them_round_robin() -> None:
    assert split_cpus([0, 1], 3) == [(0,), (1,), (0,)]


def test_backend_follows_the_device_unless_asked() -> None:
    assert pick_backend("auto", "cpu") == "gloo"
    assert pick_backend("auto", "cuda") == "nccl"
    assert pick_backend("gloo", "cuda") == "gloo"
    with pytest.raises(UserError, match="nccl needs CUDA"):
        pick_backend("nccl", "cpu")


def test_one_node_runs_standalone_on_loopback() -> None:
    argv = torchrun_argv(DistributedOptions(nproc_per_node=2), "/tmp/run")
    assert argv[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--standalone" in argv and "--nproc-per-node=2" in argv
    assert argv[-3:] == ["-m", "mfu_advisor.distributed.worker", "/tmp/run"]


def test_several_nodes_use_torchruns_rendezvous_options() -> None:
    options = DistributedOptions(
        nproc_per_node=8, nnodes=2, node_rank=1, rdzv_endpoint="head:29400"
    )
    argv = torchrun_argv(options, "/tmp/run")
    assert "--standalone" not in argv
    for expected in ("--nnodes=2", "--node-rank=1", "--rdzv-endpoint=head:29400"):
        assert expected in argv
    assert options.world_size == 16 and options.multi_rank


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (DistributedOptions(nproc_per_node=0), "at least 1"),
        (DistributedOptions(nnodes=2), "needs --rdzv-endpoint"),
        (DistributedOptions(nnodes=2, node_rank=2, rdzv_endpoint="h:1"), "not a node"),
        (DistributedOptions(rank_timeout_s=1), "at least 3 seconds"),
    ],
)
def test_impossible_launch_options_are_refused(options: DistributedOptions, message: str) -> None:
    with pytest.raises(UserError, match=message):
        validate(options)


def test_one_process_is_not_a_multi_rank_run() -> None:
    assert not DistributedOptions().multi_rank

"""Per-rank and job figures from the ranks' step times: arithmetic checked by hand."""

from __future__ import annotations

from typing import Any

import pytest

from mfu_advisor.bench.multi_rank import (
    NOT_SPLIT,
    RankPeak,
    multi_rank_figures,
)
from mfu_advisor.distributed.plan import block_steps_for
from mfu_advisor.facts import Unavailable

FLOPS_PER_TOKEN = 5_000_000.0


def _rank(rank: int, sync_ms: float, no_sync_ms: float, tokens: int = 768) -> dict[str, Any]:
    return {
        "rank": rank,
        "local_rank": rank,
        "cpus": [rank],
        "threads": 1,
        "sync_ms": [sync_ms] * 9,
        "no_sync_ms": [no_sync_ms] * 9,
        "tokens_per_step": tokens,
    }


def _peak(_measured: Any) -> RankPeak:
    return RankPeak(1e11, "half the CPU")


def test_each_rank_gets_tokens_flops_mfu_and_its_all_reduce_share() -> None:
    figures = multi_rank_figures([_rank(0, 100.0, 80.0)], FLOPS_PER_TOKEN, _peak, 0.0, "")
    rank = figures.ranks[0]
    assert rank.tokens_per_s == pytest.approx(7680.0)  # 768 tokens / 0.1 s
    assert rank.achieved_flops == pytest.approx(7680.0 * FLOPS_PER_TOKEN)
    assert rank.mfu == pytest.approx(7680.0 * FLOPS_PER_TOKEN / 1e11)
    assert rank.communication_fraction == pytest.approx(0.2)  # 1 - 80 / 100
    assert rank.compute_step_time_ms == pytest.approx(80.0)


def test_job_figures_add_up_over_ranks() -> None:
    ranks = [_rank(1, 120.0, 90.0), _rank(0, 100.0, 80.0)]
    figures = multi_rank_figures(ranks, FLOPS_PER_TOKEN, _peak, 6000.0, "1 process")
    job = figures.job
    assert [r.rank for r in figures.ranks] == [0, 1]
    assert job.world_size == 2 and job.tokens_per_step == 1536
    assert job.tokens_per_s == pytest.approx(768 / 0.1 + 768 / 0.12)
    assert job.achieved_flops == pytest.approx(sum(r.achieved_flops for r in figures.ranks))
    assert job.peak_flops == pytest.approx(2e11)
    assert job.mfu == pytest.approx(job.achieved_flops / 2e11)
    assert job.step_time_ms == pytest.approx(120.0)  # the slowest rank sets the pace
    assert figures.communication_fraction == pytest.approx((0.2 + 0.25) / 2)
    assert figures.scaling.efficiency == pytest.approx(job.tokens_per_s / (2 * 6000.0))


def test_the_straggler_is_the_slowest_ranks_compute_against_the_median() -> None:
    ranks = [_rank(0, 100.0, 80.0), _rank(1, 100.0, 80.0), _rank(2, 100.0, 96.0)]
    straggler = multi_rank_figures(ranks, FLOPS_PER_TOKEN, _peak, 0.0, "").straggler
    assert straggler.slowest_rank == 2
    assert straggler.spread == pytest.approx(96.0 / 80.0 - 1)


def test_a_rank_without_a_peak_leaves_the_job_mfu_missing_with_the_reason() -> None:
    figures = multi_rank_figures(
        [_rank(0, 100.0, 80.0)],
        FLOPS_PER_TOKEN,
        lambda _m: Unavailable("the probe gives no fp32 peak"),
        Unavailable("skipped: --no-scaling"),
        "",
    )
    assert isinstance(figures.job.mfu, Unavailable)
    assert figures.job.peak_flops == Unavailable("the probe gives no fp32 peak")
    assert figures.scaling == Unavailable("skipped: --no-scaling")


def test_without_the_communication_split_share_and_straggler_say_why() -> None:
    ranks = [_rank(0, 100.0, 80.0), _rank(1, 110.0, 85.0)]
    for rank in ranks:
        rank["no_sync_ms"] = []
    figures = multi_rank_figures(ranks, FLOPS_PER_TOKEN, _peak, 0.0, "", split=False)
    assert figures.communication_fraction == Unavailable(NOT_SPLIT)
    assert figures.straggler == Unavailable(NOT_SPLIT)
    assert figures.job.tokens_per_s == pytest.approx(768 / 0.1 + 768 / 0.11)


@pytest.mark.parametrize(
    ("step_ms", "steps"), [(10.0, 25), (62.0, 8), (200.0, 3), (999.0, 3), (1000.0, 1), (6400.0, 1)]
)
def test_a_block_is_about_half_a_second_of_steps(step_ms: float, steps: int) -> None:
    assert block_steps_for(step_ms) == steps

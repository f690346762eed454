"""The data-parallel parts of diagnose: the sync-less plan, its time, and one-rank variants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose.data_parallel import (
    PER_PROCESS_REASON,
    one_rank,
    sync_less_estimate_s,
    sync_less_plan,
)
from mfu_advisor.diagnose.plan import BaselineTiming, interleaved
from mfu_advisor.experiments.variant import VariantContext
from mfu_advisor.experiments.variants import select
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts_json import run_facts_from_bench

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _ddp() -> dict[str, object]:
    doc: dict[str, object] = json.loads((DATA / "bench_cpu_small_ddp2_zen3.json").read_text())
    return doc


def test_below_the_rules_threshold_no_sync_less_job_is_planned() -> None:
    assert _ddp()["communication_fraction"] < 0.2  # type: ignore[operator]
    assert sync_less_plan(_ddp()) is None


def test_a_large_share_plans_the_whole_job_with_eight_micro_batches_per_all_reduce() -> None:
    payload = {**_ddp(), "communication_fraction": 0.25}
    plan = sync_less_plan(payload)
    assert plan is not None and plan.distributed and not interleaved(plan)
    assert dict(plan.overrides) == {"gradient_accumulation_steps": 8}
    assert plan.verifies == "communication-share-high"
    assert plan.promise == pytest.approx(1 / 0.75)
    assert plan.step_time_factor == 8


def test_its_time_counts_half_the_baselines_start_up_and_at_least_six_long_steps() -> None:
    plan = sync_less_plan({**_ddp(), "communication_fraction": 0.25})
    assert plan is not None
    # 0.8 s steps x 8 micro-batches = 6.4 s: one step per block, 6 synced steps at least.
    estimate = sync_less_estimate_s(plan, BaselineTiming(startup_s=26.0, step_s=0.8))
    assert estimate == pytest.approx(13.0 + 2 * 6.4 + 6 * 6.4)


def test_one_rank_variants_are_pinned_like_rank_0_and_thread_variants_do_not_apply() -> None:
    payload = _ddp()
    selection = select(VariantContext(run_facts_from_bench(payload), ex.machine()))
    kept, resolved, dropped, note = one_rank(selection, BenchOptions(), payload)
    assert resolved.cpus == (0,) and resolved.threads == 1
    assert not {p.name for p in kept.plans} & {"threads-usable", "pin-p-cores"}
    reasons = dict((v.name, why) for v, why in kept.skipped)
    assert reasons["threads-usable"] == PER_PROCESS_REASON
    assert note.startswith("data-parallel diagnosis: the what-if variants measure one rank's")
    assert all(p.name.startswith(("threads", "pin")) for p in dropped)

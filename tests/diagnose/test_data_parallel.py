"""The data-parallel parts of diagnose: the sync-less job in the variant registry, its time,
and one-rank variants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose.plan import (
    PER_PROCESS_REASON,
    BaselineTiming,
    estimate_s,
    interleaved,
    one_rank,
)
from mfu_advisor.experiments.variant import VariantContext, VariantPlan
from mfu_advisor.experiments.variants import Selection, select
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts_json import distributed_facts_from_bench, run_facts_from_bench

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _ddp(communication_fraction: float | None = None) -> BenchResult:
    """The recorded 2-rank bench, its all-reduce share replaced when given."""
    doc = json.loads((DATA / "bench_cpu_small_ddp2_zen3.json").read_text())
    if communication_fraction is not None:
        doc["communication_fraction"] = communication_fraction
    return BenchResult.from_json(doc)


def _selection(result: BenchResult) -> Selection:
    context = VariantContext(
        run_facts_from_bench(result), ex.machine(), distributed_facts_from_bench(result)
    )
    return select(context)


def _sync_less(result: BenchResult) -> VariantPlan | None:
    return next((p for p in _selection(result).plans if p.name == "sync-less"), None)


def test_below_the_rules_threshold_no_sync_less_job_is_planned_or_listed() -> None:
    recorded = _ddp()
    assert recorded.multi_rank is not None
    assert recorded.multi_rank.communication_fraction < 0.2  # type: ignore[operator]
    selection = _selection(recorded)
    assert "sync-less" not in {p.name for p in selection.plans}
    assert "sync-less" not in {v.name for v, _ in selection.skipped}


def test_a_single_process_run_neither_plans_nor_lists_the_sync_less_job() -> None:
    single = BenchResult.from_json(json.loads((DATA / "bench_cpu_small_zen3.json").read_text()))
    selection = _selection(single)
    assert "sync-less" not in {p.name for p in selection.plans}
    assert "sync-less" not in {v.name for v, _ in selection.skipped}


def test_a_large_share_plans_the_whole_job_first_with_eight_micro_batches_per_all_reduce() -> None:
    plans = _selection(_ddp(0.25)).plans
    plan = plans[0]  # the whole job runs before the variants of one rank
    assert plan.name == "sync-less" and plan.distributed and not interleaved(plan)
    assert dict(plan.overrides) == {"gradient_accumulation_steps": 8}
    assert plan.verifies == "communication-share-high"
    assert plan.promise == pytest.approx(1 / 0.75)
    assert plan.step_time_factor == 8
    assert plan.change.startswith("gradient_accumulation_steps 1 -> 8 per rank")


def test_its_time_counts_half_the_baselines_start_up_and_at_least_six_long_steps() -> None:
    plan = _sync_less(_ddp(0.25))
    assert plan is not None
    # 0.8 s steps x 8 micro-batches = 6.4 s: one step per block, 6 synced steps at least.
    estimate = estimate_s(plan, BaselineTiming(startup_s=26.0, step_s=0.8))
    assert estimate == pytest.approx(13.0 + 2 * 6.4 + 6 * 6.4)


def test_one_rank_variants_are_pinned_like_rank_0_and_thread_variants_do_not_apply() -> None:
    recorded = _ddp()
    kept, resolved, dropped, note = one_rank(_selection(recorded), BenchOptions(), recorded)
    assert resolved.cpus == (0,) and resolved.threads == 1
    assert not {p.name for p in kept.plans} & {"threads-usable", "pin-p-cores"}
    reasons = dict((v.name, why) for v, why in kept.skipped)
    assert reasons["threads-usable"] == PER_PROCESS_REASON
    assert note.startswith("data-parallel diagnosis: the what-if variants measure one rank's")
    assert all(p.name.startswith(("threads", "pin")) for p in dropped)

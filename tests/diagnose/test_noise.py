"""The baseline's run-to-run noise comes from its own runs; interleaved arms are reported apart."""

from __future__ import annotations

import pytest

from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.diagnose.noise import (
    aa_of,
    bracket,
    conditions,
    floor_of,
    noise_facts,
    own_estimate,
)
from mfu_advisor.experiments.compare import NOISE_FLOOR, RunMeasure
from mfu_advisor.facts import Unavailable


def _runs(*rates: float) -> list[RunMeasure]:
    return [RunMeasure(rate, 0.02, 20) for rate in rates]


def test_interleaved_arms_do_not_make_a_quiet_machine_look_busy() -> None:
    # Measured on the idle development VM: alone 10,728; beside batch x4, x2, bf16, compile.
    overall = own_estimate(_runs(10728.0))
    arms = _runs(10716.0, 10880.0, 9008.0, 12540.0)
    facts = conditions([(0.002, 10.0)], overall)
    noise = noise_facts(overall, arms, facts)
    assert noise is not None
    assert noise.baseline_runs_tokens_per_s == (10728.0,)
    assert noise.interleaved_baseline_tokens_per_s == (10716.0, 10880.0, 9008.0, 12540.0)
    assert isinstance(noise.run_to_run, Unavailable) and noise.assumed_run_to_run == 0.05
    assert isinstance(facts.run_to_run, Unavailable)


def test_a_variant_run_alone_is_compared_with_the_runs_around_it() -> None:
    own = _runs(12000.0, 11000.0, 10000.0)
    overall = own_estimate(own)
    assert overall is not None
    around_second = bracket(own, 2, overall)  # ran after the 2nd own run, before the 3rd
    assert around_second is not None
    assert around_second.tokens_per_s == pytest.approx(10500.0)
    assert around_second.run_to_run == pytest.approx(overall.run_to_run)


def test_the_load_is_weighted_by_each_runs_wall_time() -> None:
    facts = conditions([(0.5, 10.0), (0.1, 30.0)], None)
    assert facts.other_cpu_share == pytest.approx(0.2)
    assert facts.other_cpu_share_max == 0.5


def _aa(speedup: float, noise: float | Unavailable, pairs: int) -> PairedComparison:
    return PairedComparison(
        changes={}, config={}, dtype="float32", peak_dtype="fp32", flops_per_token=1.0,
        effective_batch_tokens=768, warmup_steps=2, warmup_step_ms=(), compile_s=Unavailable(""),
        step_time_ms=Unavailable(""), tokens_per_s=Unavailable(""), achieved_flops=Unavailable(""),
        block_target_s=0.25, pairs=pairs, pair_speedups=(), speedup=speedup, noise=noise,
    )  # fmt: skip


def test_a_quiet_aa_comparison_is_the_floor() -> None:
    aa = aa_of(_aa(1.01, 0.02, 8))
    assert aa is not None and aa.floor == pytest.approx(1.01 * 1.02 - 1)
    assert floor_of(aa) == aa.floor
    facts = noise_facts(own_estimate(_runs(10000.0)), (), conditions([], None), aa)
    assert facts is not None and facts.measured_floor == pytest.approx(0.0302)
    assert (facts.aa_speedup, facts.aa_noise, facts.aa_pairs) == (1.01, 0.02, 8)


def test_a_disturbed_aa_comparison_sets_no_floor() -> None:
    # Measured on the development VM while others kept 41% of the CPUs busy.
    aa = aa_of(_aa(0.666, 662.2, 3))
    assert aa is not None and aa.floor is None
    assert floor_of(aa) == NOISE_FLOOR
    facts = noise_facts(own_estimate(_runs(10000.0)), (), conditions([], None), aa)
    assert facts is not None and isinstance(facts.measured_floor, Unavailable)
    assert "too noisy" in facts.measured_floor.reason
    assert floor_of(aa_of(_aa(1.0, Unavailable("one pair"), 1))) == NOISE_FLOOR

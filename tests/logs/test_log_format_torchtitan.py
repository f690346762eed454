"""torchtitan logs: step times from timestamps, per-device tps and tflops, the A100 fallback."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable


def test_torchtitan_8gpu_llama3_8b() -> None:
    # SOURCES: 6 step lines (200-250), no step time printed; ~1.397 s/step from timestamps;
    # tps median 5,863 (steady: 5,864), tflops median 339.5, mfu median 34.34%.
    result = analyze_log("torchtitan_1.log")
    assert result.format == "torchtitan" and result.format_variant == "[titan]"
    assert result.steps == 6
    assert result.steady_step_time_ms == pytest.approx(1396.9, abs=0.5)
    assert result.tokens_per_s == pytest.approx(5864) and result.tokens_per_s_scope == "device"
    assert result.achieved_flops == pytest.approx(339.59e12, rel=1e-3)
    assert result.reported_mfu == pytest.approx(0.3434)
    assert result.reference_detail.kind == "inferred"
    assert result.reference_flops == pytest.approx(989e12, rel=2e-3)
    assert isinstance(result.devices, Unavailable)
    # The step after the profiler dump is a pause, not part of the steady state.
    assert result.jitter.steps_used == 4
    assert result.loss.first == pytest.approx(6.1384) and result.loss.last == pytest.approx(5.8383)


def test_torchtitan_colours_are_stripped() -> None:
    plain, coloured = analyze_log("torchtitan_1.log"), analyze_log("torchtitan_1_ansi.log")
    assert coloured.steps == plain.steps
    assert coloured.reported_mfu == plain.reported_mfu
    assert coloured.achieved_flops == plain.achieved_flops


def test_torchtitan_older_rank0_wps_form() -> None:
    # SOURCES: 5 steps (1, 10..40), wps median 111,770 over all lines (step 1: 5,380),
    # mfu 22.68% median; ~365.8 ms/step between steps 10 and 40; 4 x H100, local batch 5.
    result = analyze_log("torchtitan_3.log")
    assert result.format_variant.startswith("[rank0]")
    assert result.steps == 5 and result.warmup_steps == 1
    assert result.warmup.first_step_time_ms == pytest.approx(7615)
    assert result.steady_step_time_ms == pytest.approx(365.97, abs=0.05)
    assert result.tokens_per_step == 5 * 8192
    assert result.tokens_per_s == pytest.approx(111_939.5)  # steady steps 10-40
    assert result.reported_mfu == pytest.approx(0.22715)
    assert result.devices == 4
    assert isinstance(result.flops_per_token, Unavailable)


def test_torchtitan_fallback_to_a100_is_named_and_does_not_apply() -> None:
    result = analyze_log("torchtitan_fallback_4090.log")
    assert result.reference_detail.kind == "fallback"
    assert "RTX 4090" in result.reference and result.reference_flops == 312e12
    assert result.reference_detail.applies_to_run is False
    assert result.tokens_per_s == pytest.approx(8 * 2048 / 0.2405, rel=1e-5)  # printed rounded
    assert result.evals.count == 1
    # The validation ran inside the 10-step interval after step 20: 1.9 s of a ~21 s run.
    assert result.eval_time_fraction == pytest.approx(1.9 / 20.8, rel=0.05)


def test_capacity_line_without_a_device_index_names_the_gpu() -> None:
    from mfu_advisor.logs.formats.torchtitan import CAPACITY

    for line in (
        "CUDA capacity: NVIDIA H100 80GB HBM3 (0) with 79.11GiB memory",
        "CUDA capacity: NVIDIA H100 80GB HBM3 with 79.11GiB memory",
    ):
        match = CAPACITY.match(line)
        assert match is not None and match.group(1) == "NVIDIA H100 80GB HBM3"

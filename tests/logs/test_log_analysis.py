"""The analysis: warm-up, steady state, stalls, device counts, peaks, references."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from log_helpers import FAKE_HARDWARE, analyze_log

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs import peak
from mfu_advisor.logs.analysis import analyze
from mfu_advisor.logs.collect import FLAG_AFTER_EVAL, StepCollector
from mfu_advisor.logs.detect import forced
from mfu_advisor.logs.peak import HardwareRequest, choose_peak


def synthetic(times: list[float], flags: dict[int, int] | None = None) -> StepCollector:
    sink = StepCollector()
    sink.begin_file("synthetic.log")
    for i, time in enumerate(times):
        sink.add_step(
            i + 1, step=i, loss=3.0 - i / 1000, step_time_ms=time, flags=(flags or {}).get(i, 0)
        )
    sink.end_chunk()
    return sink


def test_slow_first_steps_are_warmup_and_a_late_slow_step_is_a_stall() -> None:
    times = [5000.0, 180.0, 101.0, 99.0] + [100.0] * 96
    times[60] = 900.0
    result = analyze(synthetic(times), forced("generic"))
    assert result.warmup_steps == 2  # steps 0 and 1 are over 1.5x the median; step 2 is not
    assert result.steady_step_time_ms == 100.0
    assert result.jitter.stalls == 1 and result.jitter.worst[0].step == 60
    assert result.jitter.stall_threshold_ms == 300.0
    assert result.warmup.first_over_steady == pytest.approx(50.0)
    assert result.warmup.time_ms == pytest.approx(4900.0 + 80.0)


def test_evaluation_steps_are_left_out_of_the_steady_state_and_costed() -> None:
    times = [100.0] * 50
    times[20] = times[40] = 600.0
    flags = {20: FLAG_AFTER_EVAL, 40: FLAG_AFTER_EVAL}
    result = analyze(synthetic(times, flags), forced("nanogpt"))
    assert result.steady_step_time_ms == 100.0 and result.jitter.stalls == 0
    # 1000 ms of evaluation in 50 x 100 ms + 1000 ms of wall time.
    assert result.eval_time_fraction == pytest.approx(1000 / 6000)


def test_too_few_steps_give_reasons_not_crashes() -> None:
    result = analyze(synthetic([100.0]), forced("generic"))
    assert result.steady_step_time_ms == 100.0
    assert isinstance(result.jitter.cv, Unavailable)
    assert result.loss.trend == "unknown"


def test_peak_tflops_wins_and_keeps_the_name() -> None:
    choice = choose_peak(
        HardwareRequest(hardware="my box", peak_tflops=50.0),
        log_dtype=("bf16", "log"),
        log_device="cuda",
        log_gpu_names=[],
    )
    assert (
        choice.flops == 50e12
        and choice.hardware == "my box"
        and choice.hardware_source == "--peak-tflops"
    )


def test_dtype_defaults_follow_the_hardware_kind(fake_catalog) -> None:
    gpu = choose_peak(
        HardwareRequest(hardware="A100"), log_dtype=(None, "?"), log_device=None, log_gpu_names=[]
    )
    cpu = choose_peak(
        HardwareRequest(hardware="i7-1260P"),
        log_dtype=(None, "?"),
        log_device=None,
        log_gpu_names=[],
    )
    assert (gpu.dtype, gpu.flops) == ("bf16", 312e12)
    assert (cpu.dtype, cpu.flops) == ("fp32", 1.0e12)
    tf32_on_cpu = choose_peak(
        HardwareRequest(hardware="i7-1260P"),
        log_dtype=("tf32", "log"),
        log_device="cpu",
        log_gpu_names=[],
    )
    assert tf32_on_cpu.dtype == "fp32"


def test_a_dtype_the_hardware_lacks_says_so(fake_catalog) -> None:
    choice = choose_peak(
        HardwareRequest(hardware="i7-1260P", dtype="bf16"),
        log_dtype=(None, ""),
        log_device=None,
        log_gpu_names=[],
    )
    assert isinstance(choice.flops, Unavailable) and "no native bf16" in choice.flops.reason


def test_unknown_hardware_is_a_user_error(fake_catalog) -> None:
    with pytest.raises(UserError, match="known names include"):
        choose_peak(
            HardwareRequest(hardware="Voodoo"),
            log_dtype=(None, ""),
            log_device=None,
            log_gpu_names=[],
        )


def test_a_gpu_named_in_the_log_is_used_when_no_hardware_is_given(fake_catalog) -> None:
    result = analyze_log("torchtitan_fallback_4090.log")
    assert result.peak.hardware == "NVIDIA GeForce RTX 4090"
    assert result.peak.hardware_source == "named in the log"
    assert result.mfu.value == pytest.approx(result.achieved_flops / 165.2e12)


def test_local_hardware_uses_the_probe_cpu_for_a_cpu_run(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = SimpleNamespace(model="AMD EPYC 7B13", peak_flops=FAKE_HARDWARE["i7-1260P"].peak_flops)
    monkeypatch.setattr(peak, "_probe_local", lambda: SimpleNamespace(cpu=cpu, gpus=()))
    result = analyze_log("nanogpt_cpu_300.log", hardware="local")
    assert (
        result.peak.hardware == "AMD EPYC 7B13"
        and result.peak.hardware_source == "this machine (probe)"
    )
    assert result.mfu.value == pytest.approx(result.achieved_flops / 1.0e12)


def test_local_hardware_has_no_peak_for_a_gpu_log_on_a_machine_without_a_gpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cpu = SimpleNamespace(model="AMD EPYC", peak_flops=FAKE_HARDWARE["i7-1260P"].peak_flops)
    monkeypatch.setattr(peak, "_probe_local", lambda: SimpleNamespace(cpu=cpu, gpus=()))
    result = analyze_log("llmc_1.log", hardware="local")
    assert result.mfu.value is None and "no GPU" in (result.mfu.reason or "")
    assert result.peak.hardware_source == "this machine (probe)"


def test_reference_applies_only_to_the_device_it_is_keyed_to(fake_catalog) -> None:
    assert analyze_log("nanogpt_1.log", hardware="A100").reference_detail.applies_to_run is True
    assert (
        analyze_log("nanogpt_1.log", hardware="RTX 4090").reference_detail.applies_to_run is False
    )
    assert isinstance(analyze_log("nanogpt_1.log").reference_detail.applies_to_run, Unavailable)


def test_the_real_catalog_knows_the_a100() -> None:
    catalog = pytest.importorskip("mfu_advisor.probe.catalog")
    if catalog.find_hardware("A100") is None:
        pytest.skip("catalog without an A100 entry")
    result = analyze_log("nanogpt_gpt2_8gpu_warnings.log", hardware="A100")
    assert result.peak.flops == pytest.approx(312e12)
    assert result.mfu.value == pytest.approx(0.5585, abs=0.002)

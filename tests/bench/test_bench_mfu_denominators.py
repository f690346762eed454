"""The three labelled MFU figures and the meter, checked against hand-computed values."""

from __future__ import annotations

import pytest
from bench_fakes import cpu_facts, gpu_facts, hardware

import mfu_advisor.probe
from mfu_advisor.bench.denominators import device_peak, load_hardware, mfu_figures
from mfu_advisor.bench.devices import peak_dtype_key
from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PeakFlops, TorchDevice

ZEN3_FP32 = PeakFlops(
    2.0e11, "2 cores x 32 FLOP/cycle (2 FMA x 8 fp32 lanes x 2) x 3.1 GHz", estimated=True
)
GPUS = (
    gpu_facts("Intel Iris Xe", "xpu", {"fp16": PeakFlops(4.2e12, "96 EU x ...", True)}),
    gpu_facts("Display adapter", "cuda", {}, usable=False, pci_address="0000:02:00.0"),
    gpu_facts(
        "NVIDIA A10",
        "cuda",
        {"bf16": PeakFlops(125e12, "A10 datasheet", False)},
        pci_address="0000:17:00.0",
    ),
    gpu_facts(
        "NVIDIA L4",
        "cuda",
        {"bf16": PeakFlops(121e12, "L4 datasheet", False)},
        pci_address="0000:3b:00.0",
    ),
)
# torch reports the L4 (later on the bus) as cuda:0, as CUDA does with
# CUDA_VISIBLE_DEVICES=1,0 or in its fastest-first order: only the bus IDs torch
# reports tell the devices apart (the N-th GPU in PCI order would be the A10).
MACHINE = hardware(
    cpu_facts({"fp32": ZEN3_FP32, "bf16": Unavailable("no native bf16 on Zen 3")}),
    GPUS,
    (
        TorchDevice("cuda:0", "NVIDIA L4", "0000:3b:00.0", "8.9", 58, 24 * 2**30),
        TorchDevice("cuda:1", "NVIDIA A10", "0000:17:00.0", "8.6", 72, 24 * 2**30),
    ),
)


def test_three_figures_from_hand_values() -> None:
    figures = mfu_figures(6.0e10, ZEN3_FP32, 1.2e11, "best fp32 matmul measured")
    assert figures.device_peak.value == pytest.approx(0.30)
    assert figures.device_peak.denominator_flops == 2.0e11
    assert figures.device_peak.source is not None and figures.device_peak.source.endswith(
        "estimated"
    )
    assert figures.measured_peak.value == pytest.approx(0.50)
    assert figures.measured_peak.source == "best fp32 matmul measured"
    # nanoGPT's "mfu 0.02%": 60 GFLOP/s / 312 TFLOP/s.
    assert figures.a100_reference.value == pytest.approx(6.0e10 / 312e12)
    assert f"{figures.a100_reference.value:.2%}" == "0.02%"


def test_missing_denominators_carry_their_reason() -> None:
    figures = mfu_figures(6.0e10, Unavailable("no native bf16 on Zen 3"), None, "no roofline")
    assert figures.device_peak.value is None
    assert figures.device_peak.reason == "no native bf16 on Zen 3"
    assert figures.measured_peak.value is None and figures.measured_peak.reason == "no roofline"
    assert figures.a100_reference.value is not None


def test_device_peak_picks_device_and_dtype() -> None:
    assert device_peak(MACHINE, "cpu", 0, "fp32") is ZEN3_FP32
    missing = device_peak(MACHINE, "cpu", 0, "bf16")
    assert isinstance(missing, Unavailable) and "Zen 3" in missing.reason
    # cuda:0 is the GPU at the bus ID torch reports for cuda:0, not the first in PCI order.
    l4 = device_peak(MACHINE, "cuda", 0, "bf16")
    assert isinstance(l4, PeakFlops) and l4.flops == 121e12
    a10 = device_peak(MACHINE, "cuda", 1, "bf16")
    assert isinstance(a10, PeakFlops) and a10.flops == 125e12
    igpu = device_peak(MACHINE, "xpu", 0, "fp16")
    assert isinstance(igpu, PeakFlops) and igpu.flops == 4.2e12
    assert isinstance(device_peak(MACHINE, "cpu", 0, "fp8"), Unavailable)


def test_without_torch_mixed_gpus_in_fastest_first_order_are_not_guessed() -> None:
    no_torch = hardware(MACHINE.cpu, GPUS)
    peak = device_peak(no_torch, "cuda", 0, "bf16")
    assert isinstance(peak, Unavailable) and "CUDA_DEVICE_ORDER=PCI_BUS_ID" in peak.reason


def test_peak_dtype_follows_autocast_and_tf32() -> None:
    assert peak_dtype_key("cuda", "float32", tf32=True) == "tf32"
    assert peak_dtype_key("cuda", "float32", tf32=False) == "fp32"
    assert peak_dtype_key("cpu", "float32", tf32=True) == "fp32"
    assert peak_dtype_key("cpu", "bfloat16", tf32=False) == "bf16"
    assert peak_dtype_key("cuda", "float16", tf32=True) == "fp16"


def test_a_failing_probe_costs_only_the_device_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> None:
        raise OSError("sysfs vanished")

    monkeypatch.setattr(mfu_advisor.probe, "probe_machine", broken, raising=False)
    facts = load_hardware()
    assert isinstance(facts, Unavailable) and "sysfs vanished" in facts.reason


class Clock:
    def __init__(self, step_s: list[float]) -> None:
        self.now = 0.0
        self.steps = list(step_s)

    def __call__(self) -> float:
        return self.now

    def advance(self) -> None:
        self.now += self.steps.pop(0)


def test_meter_with_a_given_peak_matches_hand_arithmetic() -> None:
    clock = Clock([1.0, 0.1, 0.1, 0.2])  # one slow warm-up step, then 0.1, 0.1, 0.2 s
    meter = MFUMeter(1e6, peak_flops=4e10, warmup_steps=1, clock=clock, synchronize=lambda: None)
    for _ in range(4):
        clock.advance()
        meter.step(tokens=1000)
    summary = meter.summary()
    assert summary.steps == 3 and summary.warmup_steps == 1
    # Median of 10,000, 10,000 and 5,000 tokens/s; x 1e6 FLOP/token = 1e10 FLOP/s.
    assert summary.tokens_per_s == pytest.approx(10_000)
    assert summary.achieved_flops == pytest.approx(1e10)
    assert summary.mfu.value == pytest.approx(0.25)
    assert summary.a100_reference.value == pytest.approx(1e10 / 312e12)
    assert "MFU 25% of" in str(summary)


def test_meter_takes_the_peak_of_an_integrated_gpu_from_the_probe() -> None:
    clock = Clock([0.5, 0.5])
    meter = MFUMeter(
        2e9, device="xpu", dtype="float16", hardware=MACHINE, warmup_steps=0, clock=clock,
        synchronize=lambda: None,
    )  # fmt: skip
    for _ in range(2):
        clock.advance()
        meter.step(tokens=1050)
    summary = meter.summary()
    assert summary.achieved_flops == pytest.approx(2100 * 2e9)
    assert summary.mfu.value == pytest.approx(4.2e12 / 4.2e12)


def test_meter_without_steps_says_so() -> None:
    meter = MFUMeter(1e6, peak_flops=1e9, warmup_steps=1, synchronize=lambda: None)
    summary = meter.summary()
    assert summary.tokens_per_s is None and summary.mfu.value is None
    assert "no measured step" in str(summary)


def test_meter_rejects_an_unknown_dtype() -> None:
    with pytest.raises(ValueError, match="dtype"):
        MFUMeter(1e6, dtype="int8", peak_flops=1.0)


def test_meter_rate_with_varying_tokens_is_the_median_of_step_rates() -> None:
    clock = Clock([1.0, 1.0, 1.0])
    meter = MFUMeter(1.0, peak_flops=1.0, warmup_steps=0, clock=clock, synchronize=lambda: None)
    for tokens in (100, 300, 200):
        clock.advance()
        meter.step(tokens=tokens)
    assert meter.summary().tokens_per_s == pytest.approx(200.0)


#: The development VM: 2 cores x 32 FLOP/cycle x 2445 MHz read from /proc/cpuinfo (no
#: cpufreq in the VM), while its fp32 matmul measures 161-178 GFLOP/s.
VM_FP32 = PeakFlops(156.5e9, "2 cores x 32 FLOP/cycle x 2445 MHz", estimated=True)


def test_an_estimated_peak_below_the_measured_matmul_gets_a_note_saying_so() -> None:
    figures = mfu_figures(6.0e10, VM_FP32, 1.69e11, "best fp32 matmul measured")
    note = figures.device_peak.note
    assert note is not None
    assert "datasheet-style estimate of this device's peak (156 GFLOP/s)" in note
    assert "is below what was measured here (a 169 GFLOP/s matmul)" in note
    assert "the clock used for it is too low" in note
    assert note.endswith("MFU against the measured peak is the trustworthy one")
    assert figures.measured_peak.note is None and figures.a100_reference.note is None


def test_a_measured_peak_within_two_percent_is_sweep_noise_not_a_wrong_peak() -> None:
    assert mfu_figures(6.0e10, VM_FP32, 159e9, "measured").device_peak.note is None


def test_a_run_above_the_device_peak_is_explained_even_without_a_roofline() -> None:
    figures = mfu_figures(1.7e11, VM_FP32, None, "no measured roofline: skipped")
    assert figures.device_peak.value == pytest.approx(1.7e11 / 156.5e9)
    assert figures.device_peak.note is not None
    assert "an MFU above 100% is impossible" in figures.device_peak.note


def test_a_datasheet_peak_below_the_measurement_blames_the_figure_not_a_clock() -> None:
    sheet = PeakFlops(100e12, "datasheet", estimated=False)
    note = mfu_figures(5e13, sheet, 110e12, "measured").device_peak.note
    assert note is not None and "datasheet peak" in note and "clock used" not in note

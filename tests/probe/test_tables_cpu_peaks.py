"""CPU peaks: cores x FLOPs per cycle x clock; low precisions only where native."""

from __future__ import annotations

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.cpu_peaks import core_rates, cpu_peaks, flops_per_cycle, sum_peaks
from mfu_advisor.probe.cpu_uarch import x86_microarchitecture
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks


def _flops(peaks: Peaks, dtype: str) -> float:
    peak = peaks[dtype]
    assert isinstance(peak, PeakFlops), f"{dtype}: {peak}"
    return peak.flops


def test_epyc_zen3_two_cores_at_2450_mhz() -> None:
    uarch = x86_microarchitecture("AuthenticAMD", 25, 1)
    assert uarch == "Zen 3"
    peaks = cpu_peaks(uarch, ("avx", "fma", "avx2"), 2450.0, 2)
    fp32 = peaks["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(2 * 32 * 2.45e9)  # 156.8 GFLOP/s
    assert fp32.estimated
    assert "2 cores x 32 FLOP/cycle x 2450 MHz" in fp32.source


def test_zen3_has_no_native_bf16_or_fp16() -> None:
    peaks = cpu_peaks("Zen 3", ("avx", "fma", "avx2"), 3500.0, 8)
    bf16, fp16 = peaks["bf16"], peaks["fp16"]
    assert isinstance(bf16, Unavailable) and bf16.reason.startswith("emulated")
    assert isinstance(fp16, Unavailable) and fp16.reason.startswith("emulated")


def test_tf32_and_fp8_are_not_cpu_dtypes() -> None:
    peaks = cpu_peaks("Sapphire Rapids", ("avx512f", "amx_bf16", "amx_fp16"), 3800.0, 56)
    for dtype in ("tf32", "fp8"):
        peak = peaks[dtype]
        assert isinstance(peak, Unavailable) and "not a CPU dtype" in peak.reason


def test_sapphire_rapids_bf16_runs_on_amx() -> None:
    isa = ("avx", "fma", "avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")
    peaks = cpu_peaks("Sapphire Rapids", isa, 2000.0, 4)
    assert _flops(peaks, "fp32") == pytest.approx(4 * 64 * 2.0e9)
    assert _flops(peaks, "bf16") == pytest.approx(4 * 1024 * 2.0e9)
    assert _flops(peaks, "fp16") == pytest.approx(2 * 4 * 64 * 2.0e9)  # AVX512-FP16, no AMX-FP16


def test_zen4_avx512_bf16_doubles_the_fp32_rate() -> None:
    isa = ("avx", "fma", "avx2", "avx512f", "avx512_bf16")
    peaks = cpu_peaks("Zen 4", isa, 5700.0, 16)
    # AVX-512 on Zen 4 is double-pumped: still 32 fp32 FLOP/cycle.
    assert _flops(peaks, "fp32") == pytest.approx(16 * 32 * 5.7e9)
    assert _flops(peaks, "bf16") == pytest.approx(2 * 16 * 32 * 5.7e9)


@pytest.mark.parametrize(
    ("uarch", "per_cycle"),
    [
        ("Zen 3", 32),
        ("Zen 4", 32),
        ("Zen 5", 64),
        ("Zen 5 (256-bit FPU)", 32),
        ("Golden Cove", 32),
        ("Raptor Cove", 32),
        ("Gracemont", 16),
        ("Sapphire Rapids", 64),
        ("Skylake-SP/Cascade Lake", 64),
        ("Neoverse V1", 32),
        ("Neoverse V2", 32),
        ("Neoverse N1", 16),
        ("Apple M1 Firestorm", 32),
        ("Apple M2", 32),
    ],
)
def test_flops_per_cycle_by_microarchitecture(uarch: str, per_cycle: int) -> None:
    rate = flops_per_cycle(uarch, ())
    assert rate is not None
    assert rate[0] == per_cycle
    assert uarch in rate[1]


def test_cascade_lake_entry_warns_about_single_fma_skus() -> None:
    rate = flops_per_cycle("Skylake-SP/Cascade Lake", ())
    assert rate is not None and "half this peak" in rate[1]


@pytest.mark.parametrize(
    ("isa", "per_cycle"),
    [
        (("avx", "fma", "avx2", "avx512f"), 64),
        (("avx", "fma", "avx2"), 32),
        (("asimd",), 16),
        (("avx",), 16),
    ],
)
def test_unknown_microarchitecture_falls_back_to_the_isa(
    isa: tuple[str, ...], per_cycle: int
) -> None:
    rate = flops_per_cycle(None, isa)
    assert rate is not None and rate[0] == per_cycle
    assert "from the ISA" in rate[1]
    assert _flops(cpu_peaks("Mystery Core", isa, 1000.0, 1), "fp32") == per_cycle * 1e9


def test_arm_bf16_and_fp16_are_native_where_the_features_say_so() -> None:
    peaks = cpu_peaks("Neoverse V1", ("asimd", "asimdhp", "sve", "bf16"), 2600.0, 64)
    fp32 = 64 * 32 * 2.6e9
    assert _flops(peaks, "fp32") == pytest.approx(fp32)
    assert _flops(peaks, "bf16") == pytest.approx(2 * fp32)
    assert _flops(peaks, "fp16") == pytest.approx(2 * fp32)
    no_bf16 = cpu_peaks("Neoverse N1", ("asimd", "asimdhp"), 2500.0, 64)
    assert isinstance(no_bf16["bf16"], Unavailable)


def test_missing_inputs_give_reasons_not_numbers() -> None:
    for peaks in (
        cpu_peaks("Zen 3", ("avx2",), None, 8),
        cpu_peaks("Zen 3", ("avx2",), 0.0, 8),
        cpu_peaks("Zen 3", ("avx2",), 3000.0, 0),
        cpu_peaks(None, (), 3000.0, 8),
    ):
        assert all(isinstance(p, Unavailable) and p.reason for p in peaks.values())


def test_every_result_has_all_dtypes_in_order() -> None:
    assert tuple(cpu_peaks("Zen 3", ("avx2",), 3000.0, 8)) == PEAK_DTYPES


def test_hybrid_peaks_sum_over_core_types() -> None:
    isa = ("avx", "fma", "avx2", "avx_vnni")
    p_cores = cpu_peaks("Golden Cove", isa, 4700.0, 4)
    e_cores = cpu_peaks("Gracemont", isa, 3400.0, 8)
    total = sum_peaks([p_cores, e_cores])
    fp32 = total["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(4 * 32 * 4.7e9 + 8 * 16 * 3.4e9)  # 1036.8 GFLOP/s
    assert fp32.estimated and "sum over core types" in fp32.source
    assert isinstance(total["bf16"], Unavailable)


def test_a_dtype_missing_on_one_core_type_is_missing_in_the_sum() -> None:
    with_bf16 = cpu_peaks("Zen 4", ("avx512f", "avx512_bf16"), 5000.0, 4)
    without = cpu_peaks("Zen 3", ("avx2", "fma"), 5000.0, 4)
    total = sum_peaks([with_bf16, without])
    bf16 = total["bf16"]
    assert isinstance(bf16, Unavailable)
    assert "not native on every core type" in bf16.reason
    assert isinstance(total["fp32"], PeakFlops)


def test_sum_of_nothing_is_unavailable() -> None:
    assert all(isinstance(p, Unavailable) for p in sum_peaks([]).values())


@pytest.mark.parametrize("uarch", sorted(core_rates()))
def test_every_rate_entry_is_sourced_and_plausible(uarch: str) -> None:
    rate = core_rates()[uarch]
    assert rate.source.strip()
    assert rate.fp32_flops_per_cycle in {4, 8, 16, 32, 48, 64}

"""NVIDIA peak tables: exact name matching, dense numbers, a formula that agrees with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import A100_BF16_DENSE_PEAK_FLOPS
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks
from mfu_advisor.probe.gpu_peaks import (
    GPU_TABLE,
    estimated_nvidia_peaks,
    find_nvidia_gpu,
    name_tokens,
    nvidia_gpu_candidates,
    nvidia_peaks,
)
from mfu_advisor.probe.gpu_peaks_model import GpuEntry


def _flops(peaks: Peaks, dtype: str) -> float:
    peak = peaks[dtype]
    assert isinstance(peak, PeakFlops), f"{dtype}: {peak}"
    return peak.flops


def _found(name: str) -> str | None:
    spec = find_nvidia_gpu(name)
    return spec.name if spec else None


@pytest.mark.parametrize(
    ("nvml_name", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"),
        ("NVIDIA H100 PCIe", "NVIDIA H100 PCIe"),
        ("NVIDIA H100 NVL", "NVIDIA H100 NVL"),
        ("NVIDIA H200", "NVIDIA H200"),
        ("NVIDIA B200", "NVIDIA B200"),
        ("NVIDIA GeForce RTX 4070 Ti", "NVIDIA GeForce RTX 4070 Ti"),
        ("NVIDIA A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB"),
        ("NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB"),
        ("NVIDIA A100-PCIE-40GB", "NVIDIA A100-PCIE-40GB"),
        ("NVIDIA A100 80GB PCIe", "NVIDIA A100 80GB PCIe"),
        ("NVIDIA A800 80GB PCIe", "NVIDIA A800 80GB PCIe"),  # llm.c fixture llmc_1.log
        ("NVIDIA H800", "NVIDIA H800"),
        ("NVIDIA L4", "NVIDIA L4"),
        ("NVIDIA L40", "NVIDIA L40"),
        ("NVIDIA L40S", "NVIDIA L40S"),
        ("Tesla T4", "Tesla T4"),
        ("Tesla V100-SXM2-16GB", "Tesla V100-SXM2-16GB"),
        ("Tesla V100-PCIE-32GB", "Tesla V100-PCIE-32GB"),
        ("NVIDIA RTX A6000", "NVIDIA RTX A6000"),
        ("NVIDIA RTX 6000 Ada Generation", "NVIDIA RTX 6000 Ada Generation"),
    ],
)
def test_nvml_names_find_their_datasheet_entry(nvml_name: str, expected: str) -> None:
    assert _found(nvml_name) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("RTX 4070 Ti", "NVIDIA GeForce RTX 4070 Ti"),
        ("4070ti", "NVIDIA GeForce RTX 4070 Ti"),
        ("rtx4090", "NVIDIA GeForce RTX 4090"),
        ("H100 SXM", "NVIDIA H100 80GB HBM3"),
        ("h100 sxm5 80 GB", "NVIDIA H100 80GB HBM3"),
        ("A100 SXM", "NVIDIA A100-SXM4-80GB"),
        ("a100", "NVIDIA A100-SXM4-80GB"),  # all A100 variants share the same peaks
        ("l40s", "NVIDIA L40S"),
    ],
)
def test_user_typed_names(typed: str, expected: str) -> None:
    assert _found(typed) == expected


@pytest.mark.parametrize(
    "group",
    [
        ("NVIDIA L4", "NVIDIA L40", "NVIDIA L40S"),
        ("NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe", "NVIDIA H100 NVL"),
        (
            "NVIDIA GeForce RTX 4070",
            "NVIDIA GeForce RTX 4070 Ti",
            "NVIDIA GeForce RTX 4070 Ti SUPER",
            "NVIDIA GeForce RTX 4070 SUPER",
        ),
        ("NVIDIA A10", "NVIDIA A100-SXM4-80GB"),
        ("NVIDIA GeForce RTX 3080", "NVIDIA GeForce RTX 3080 Ti"),
        ("NVIDIA H100 80GB HBM3", "NVIDIA H200", "NVIDIA GH200"),
    ],
)
def test_similar_names_are_never_confused(group: tuple[str, ...]) -> None:
    for name in group:
        assert _found(name) == name
    short = [" ".join(name_tokens(name)) for name in group]  # "l4", "l40", "4070 ti" ...
    assert len({_found(s) for s in short}) == len(group)


def test_ambiguous_name_finds_nothing_but_lists_the_variants() -> None:
    assert find_nvidia_gpu("H100") is None
    assert {s.name for s in nvidia_gpu_candidates("H100")} == {
        "NVIDIA H100 80GB HBM3",
        "NVIDIA H100 PCIe",
        "NVIDIA H100 NVL",
    }


@pytest.mark.parametrize(
    "name",
    [
        "NVIDIA GeForce RTX 4060 Laptop GPU",  # laptop parts vary with power limit
        "NVIDIA GeForce RTX 4090 D",  # fewer SMs than the 4090
        "Quadro RTX 6000",  # Turing, not the RTX 6000 Ada
        "NVIDIA GeForce RTX 4060 Ti",
        "i7-1260P",
        "",
    ],
)
def test_names_outside_the_table_find_nothing(name: str) -> None:
    assert find_nvidia_gpu(name) is None


def test_name_tokens_split_suffixes_and_drop_brand_words() -> None:
    assert name_tokens("NVIDIA GeForce RTX 4070Ti") == ("4070", "ti")
    assert name_tokens("NVIDIA A100-SXM4-80GB") == ("a100", "sxm4", "80gb")
    assert name_tokens("H100 80 GB") == ("h100", "80gb")


def test_datasheet_values_are_the_dense_figures() -> None:
    h100 = find_nvidia_gpu("NVIDIA H100 80GB HBM3")
    a100 = find_nvidia_gpu("NVIDIA A100-SXM4-80GB")
    l4 = find_nvidia_gpu("NVIDIA L4")
    assert h100 and a100 and l4
    assert _flops(h100.peak_flops, "bf16") == pytest.approx(989.4e12)  # 1,979 sparse
    assert _flops(h100.peak_flops, "fp8") == pytest.approx(1978.9e12)
    assert _flops(a100.peak_flops, "bf16") == A100_BF16_DENSE_PEAK_FLOPS  # nanoGPT's constant
    assert _flops(a100.peak_flops, "tf32") == pytest.approx(156e12)
    assert _flops(l4.peak_flops, "bf16") == pytest.approx(121e12)  # 242 sparse


def test_geforce_peaks_are_the_fp32_accumulate_rate() -> None:
    rtx4090 = find_nvidia_gpu("NVIDIA GeForce RTX 4090")
    assert rtx4090 is not None
    bf16 = rtx4090.peak_flops["bf16"]
    assert isinstance(bf16, PeakFlops)
    assert bf16.flops == pytest.approx(165.2e12)  # not the 330.3 fp16-accumulate figure
    assert "fp32 accumulate" in bf16.note


def test_no_bf16_or_tf32_before_ampere_and_no_fp8_before_ada() -> None:
    t4, v100, a100 = (find_nvidia_gpu(n) for n in ("Tesla T4", "Tesla V100-SXM2-16GB", "A100"))
    assert t4 and v100 and a100
    for spec in (t4, v100):
        assert isinstance(spec.peak_flops["bf16"], Unavailable)
        assert isinstance(spec.peak_flops["tf32"], Unavailable)
        assert isinstance(spec.peak_flops["fp8"], Unavailable)
        assert _flops(spec.peak_flops, "fp16") > 0
    assert isinstance(a100.peak_flops["fp8"], Unavailable)


@pytest.mark.parametrize("entry", GPU_TABLE, ids=lambda e: e.spec.name)
def test_every_table_entry_is_complete_and_finds_itself(entry: GpuEntry) -> None:
    spec = entry.spec
    assert find_nvidia_gpu(spec.name) is spec
    assert spec.source.strip()
    assert tuple(spec.peak_flops) == PEAK_DTYPES
    for dtype, peak in spec.peak_flops.items():
        if isinstance(peak, PeakFlops):
            assert peak.flops > 0 and peak.source.strip(), dtype
        else:
            assert peak.reason.strip(), dtype
    assert _flops(spec.peak_flops, "fp16") >= _flops(spec.peak_flops, "fp32")


def test_table_names_are_unique() -> None:
    names = [entry.spec.name for entry in GPU_TABLE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("name", "geforce"),
    [
        ("NVIDIA H100 80GB HBM3", False),
        ("NVIDIA H100 PCIe", False),
        ("NVIDIA A100-SXM4-80GB", False),
        ("NVIDIA A10", False),
        ("NVIDIA L4", False),
        ("NVIDIA L40S", False),
        ("Tesla T4", False),
        ("Tesla V100-SXM2-16GB", False),
        ("NVIDIA B200", False),
        ("NVIDIA GeForce RTX 4090", True),
        ("NVIDIA GeForce RTX 3090", True),
    ],
)
def test_formula_lands_within_15_percent_of_the_datasheet(name: str, geforce: bool) -> None:
    spec = find_nvidia_gpu(name)
    assert spec is not None
    assert isinstance(spec.sm_count, int) and isinstance(spec.boost_clock_mhz, (int, float))
    estimate = estimated_nvidia_peaks(
        spec.compute_capability, spec.sm_count, spec.boost_clock_mhz, geforce=geforce
    )
    compared = 0
    for dtype in PEAK_DTYPES:
        sheet, formula = spec.peak_flops[dtype], estimate[dtype]
        if isinstance(sheet, PeakFlops) and isinstance(formula, PeakFlops):
            assert formula.flops == pytest.approx(sheet.flops, rel=0.15), dtype
            compared += 1
        else:
            assert isinstance(sheet, Unavailable) == isinstance(formula, Unavailable), dtype
    assert compared >= 2


def test_formula_peaks_are_marked_estimated_with_the_formula() -> None:
    peaks = estimated_nvidia_peaks("8.9", 60, 2610, geforce=True)
    bf16 = peaks["bf16"]
    assert isinstance(bf16, PeakFlops)
    assert bf16.estimated
    assert bf16.flops == pytest.approx(60 * 512 * 2610e6)
    assert "60 SMs x 512 FLOP/clk/SM" in bf16.source
    assert all(isinstance(p, Unavailable) or p.estimated for p in peaks.values())


def test_formula_for_an_unknown_compute_capability_is_unavailable() -> None:
    peaks = estimated_nvidia_peaks("3.5", 15, 900)
    assert all(isinstance(p, Unavailable) for p in peaks.values())
    assert "3.5" in peaks["fp32"].reason  # type: ignore[union-attr]


def test_nvidia_peaks_prefers_the_table_then_the_formula() -> None:
    table = nvidia_peaks("NVIDIA L4", "8.9", 58, 2040)
    assert _flops(table, "bf16") == pytest.approx(121e12)
    assert not table["bf16"].estimated  # type: ignore[union-attr]
    # An RTX 5090 is not in the table: NVML's numbers feed the formula, halved for GeForce.
    formula = nvidia_peaks("NVIDIA GeForce RTX 5090", "12.0", 170, 2407.0)
    assert _flops(formula, "bf16") == pytest.approx(170 * 512 * 2407e6)
    assert formula["bf16"].estimated  # type: ignore[union-attr]


def test_nvidia_peaks_says_what_is_missing() -> None:
    reason = Unavailable("NVML: driver not loaded")
    peaks = nvidia_peaks("NVIDIA GeForce RTX 5090", reason, reason, reason)
    fp32 = peaks["fp32"]
    assert isinstance(fp32, Unavailable)
    assert "compute capability" in fp32.reason and "SM count" in fp32.reason


def _cell(peak: PeakFlops | Unavailable) -> str:
    if not isinstance(peak, PeakFlops):
        return "-"
    value = peak.flops / 1e12
    return (f"{value:.1f}" if value >= 10 else f"{value:.2f}") + ("*" if peak.estimated else "")


@pytest.mark.parametrize("entry", GPU_TABLE, ids=lambda e: e.spec.name)
def test_the_peaks_page_shows_the_table_values(entry: GpuEntry) -> None:
    spec = entry.spec
    cells = " | ".join(_cell(p) for p in spec.peak_flops.values())
    row = (
        f"| {spec.name} | {spec.compute_capability} | {spec.sm_count} | "
        f"{spec.boost_clock_mhz:g} | {cells} |"
    )
    page = (Path(__file__).resolve().parents[2] / "docs" / "peaks.md").read_text()
    assert row in page

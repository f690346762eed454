"""The GPU data file: every row found by its PCI numbers and by name, datasheet values, formula."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import A100_BF16_DENSE_PEAK_FLOPS
from mfu_advisor.probe.facts import PEAK_DTYPES, NvidiaFacts, PeakFlops, Peaks
from mfu_advisor.probe.gpu_peaks import (
    GpuSpec,
    find_gpu,
    gpu_candidates,
    gpu_table,
    laptop_peaks,
    lookup_pci,
    name_tokens,
    nvidia_formula_peaks,
)
from mfu_advisor.probe.peak_docs import render
from mfu_advisor.probe.peak_table import formula_peaks

ROWS = gpu_table()


def _flops(peaks: Peaks, dtype: str) -> float:
    peak = peaks[dtype]
    assert isinstance(peak, PeakFlops), f"{dtype}: {peak}"
    return peak.flops


def _found(name: str) -> str | None:
    spec = find_gpu(name)
    return spec.name if spec else None


def test_the_peaks_page_is_generated_from_the_data_file() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "peaks.md").read_text()
    assert render() in page, "run: python -m mfu_advisor.probe.peak_docs"


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: f"{s.name}-{s.sm_count}")
def test_every_row_is_complete_and_found_by_its_pci_numbers(spec: GpuSpec) -> None:
    assert spec.source.strip() and tuple(spec.peak_flops) == PEAK_DTYPES
    for dtype, peak in spec.peak_flops.items():
        if isinstance(peak, PeakFlops):
            assert 1e11 < peak.flops < 1e16 and peak.source.strip(), dtype
        else:
            assert peak.reason.strip(), dtype
    subsystem = spec.subsystems[0] if spec.subsystems else None
    revision = spec.revisions[0] if spec.revisions else None
    match = lookup_pci(
        spec.vendor_id,
        spec.device_ids[0],
        subsystem=subsystem,
        revision=revision,
        name=None if spec.integrated else spec.name,
        units=spec.sm_count,
        # The row names the CPU it describes in its note ("Core i7-1165G7 (96 EUs ...").
        cpu_model=spec.note if spec.cpu_pattern else None,
    )
    assert match.spec is not None, match.reason
    assert match.spec.peak_flops == spec.peak_flops


@pytest.mark.parametrize(
    "nvml_name",
    [
        # Names real NVML reports (nvidia-smi -q dumps; open-gpu-kernel-modules README).
        "NVIDIA A10G",
        "NVIDIA GH200 144G HBM3e",
        "NVIDIA GeForce RTX 3090 Ti",
        "NVIDIA GeForce RTX 4080 SUPER",
        "NVIDIA GeForce RTX 4060 Ti",
        "NVIDIA GeForce RTX 4090 D",
        "NVIDIA GeForce RTX 5090",
        "NVIDIA RTX A5000",
        "NVIDIA RTX 4000 Ada Generation",
        "Quadro RTX 8000",
        "NVIDIA GeForce RTX 2080 Ti",
        "NVIDIA GeForce RTX 3060 Laptop GPU",
        "NVIDIA GeForce RTX 4060 Laptop GPU",
        "NVIDIA H20",
        "NVIDIA L20",
        "NVIDIA GB200",
        "Tesla V100-SXM3-32GB",
        "NVIDIA A100-SXM-64GB",
        "NVIDIA TITAN RTX",
        "AMD Instinct MI300X",
        "AMD Radeon RX 7900 XTX",
    ],
)
def test_real_nvml_names_resolve_to_their_own_row(nvml_name: str) -> None:
    assert _found(nvml_name) == nvml_name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("RTX 4070 Ti", "NVIDIA GeForce RTX 4070 Ti"),
        ("4070ti", "NVIDIA GeForce RTX 4070 Ti"),
        ("rtx4090", "NVIDIA GeForce RTX 4090"),
        ("H100 SXM", "NVIDIA H100 80GB HBM3"),
        ("a100", "NVIDIA A100-SXM4-80GB"),  # all A100 variants share the same peaks
        ("l40s", "NVIDIA L40S"),
        ("RTX 4060", "NVIDIA GeForce RTX 4060"),
    ],
)
def test_user_typed_names(typed: str, expected: str) -> None:
    assert _found(typed) == expected


@pytest.mark.parametrize(
    "group",
    [
        ("NVIDIA L4", "NVIDIA L40", "NVIDIA L40S"),
        ("NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe", "NVIDIA H100 NVL"),
        ("NVIDIA GeForce RTX 4070", "NVIDIA GeForce RTX 4070 Ti", "NVIDIA GeForce RTX 4070 SUPER"),
        ("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090 D"),
        ("NVIDIA GeForce RTX 3060", "NVIDIA GeForce RTX 3060 Laptop GPU"),
        ("NVIDIA A10", "NVIDIA A10G", "NVIDIA A100-SXM4-80GB"),
        ("Quadro RTX 6000", "NVIDIA RTX 6000 Ada Generation"),
    ],
)
def test_similar_names_are_never_confused(group: tuple[str, ...]) -> None:
    for name in group:
        assert _found(name) == name
    short = [" ".join(name_tokens(name)) for name in group]
    assert len({_found(s) for s in short}) == len(group)


def test_ambiguous_name_finds_nothing_but_lists_the_variants() -> None:
    assert find_gpu("H100") is None
    assert {s.name for s in gpu_candidates("H100")} == {
        "NVIDIA H100 80GB HBM3",
        "NVIDIA H100 PCIe",
        "NVIDIA H100 NVL",
    }


def test_datasheet_values_are_the_dense_fp32_accumulate_figures() -> None:
    h100, a100, rtx4090 = (find_gpu(n) for n in ("H100 SXM", "A100", "RTX 4090"))
    assert h100 and a100 and rtx4090
    assert _flops(h100.peak_flops, "bf16") == pytest.approx(989.4e12)  # 1,979 sparse
    assert _flops(a100.peak_flops, "bf16") == A100_BF16_DENSE_PEAK_FLOPS  # nanoGPT's constant
    assert _flops(rtx4090.peak_flops, "bf16") == pytest.approx(165.2e12)  # not 330.3
    assert rtx4090.fp16_acc16_flops == pytest.approx(330.3e12)


def test_no_bf16_or_tf32_before_ampere_and_no_fp8_before_ada() -> None:
    for name in ("Tesla T4", "Tesla V100-SXM2-16GB", "NVIDIA GeForce RTX 2080 Ti"):
        spec = find_gpu(name)
        assert spec is not None
        assert isinstance(spec.peak_flops["bf16"], Unavailable)
        assert isinstance(spec.peak_flops["fp8"], Unavailable)
        assert _flops(spec.peak_flops, "fp16") > _flops(spec.peak_flops, "fp32")


@pytest.mark.parametrize("spec", [s for s in ROWS if not s.integrated], ids=lambda s: s.name)
def test_the_formula_lands_within_10_percent_of_every_datasheet_figure(spec: GpuSpec) -> None:
    """The per-unit rates and the rated boost clock agree with each row's datasheet.

    Hopper quotes tensor rates at a clock below the boost (H100 SXM at 1830 MHz:
    8% under the formula); the NVL boards' rates imply about 1.55 GHz under their
    power limit, the L40's and A10G's are the GeForce rates, and the H20/L20/TITAN rows are
    cut-down or full-rate variants: those are skipped, as the data file notes.
    """
    if not isinstance(spec.boost_clock_mhz, float):
        return
    if spec.vendor_id != 0x10DE or spec.name in (
        "NVIDIA L40",
        "NVIDIA L20",
        "NVIDIA H20",
        "NVIDIA TITAN RTX",
        "NVIDIA H100 NVL",
        "NVIDIA H200 NVL",
        "NVIDIA A10G",
    ):
        return
    estimate = formula_peaks(
        spec.arch, spec.sm_count, spec.boost_clock_mhz, geforce=spec.geforce, clock_note=""
    )
    for dtype in PEAK_DTYPES:
        sheet = spec.peak_flops[dtype]
        if isinstance(sheet, PeakFlops) and not sheet.estimated:
            assert isinstance(estimate[dtype], PeakFlops), dtype
            assert _flops(estimate, dtype) == pytest.approx(sheet.flops, rel=0.10), dtype


# -- PCI numbers: shared IDs told apart, or the range with the reason ----------------


def test_radeon_680m_and_660m_share_an_id_and_are_told_apart_by_revision_and_cpu() -> None:
    """Finding 9: 1002:1681 is a 680M (12 CUs) or a 660M (6 CUs) (libdrm amdgpu.ids)."""
    ryzen7 = "AMD Ryzen 7 6800H with Radeon Graphics"
    by_both = lookup_pci(0x1002, 0x1681, revision=0xC8, cpu_model=ryzen7)
    assert by_both.spec is not None and by_both.spec.name == "AMD Radeon 680M"
    assert (by_both.spec.sm_count, by_both.spec.boost_clock_mhz) == (12, 2200)
    small = lookup_pci(0x1002, 0x1681, revision=0xC9)
    assert small.spec is not None and small.spec.sm_count == 6
    by_cpu = lookup_pci(0x1002, 0x1681, cpu_model="AMD Ryzen 5 6600U with Radeon Graphics")
    assert by_cpu.spec is not None and by_cpu.spec.name == "AMD Radeon 660M"
    unknown = lookup_pci(0x1002, 0x1681)
    assert unknown.spec is None
    assert "AMD Radeon 680M (12 CUs)" in unknown.reason
    assert "AMD Radeon 660M (6 CUs)" in unknown.reason
    assert "1.5-3.7 TFLOP/s" in unknown.reason
    # The revision says 680M, but a 6900HX's runs at 2400 MHz and a 6800H's at 2200.
    clock_unknown = lookup_pci(0x1002, 0x1681, revision=0xC8)
    assert clock_unknown.spec is None and "3.4-3.7 TFLOP/s" in clock_unknown.reason


def test_iris_xe_eu_count_follows_the_cpu_model() -> None:
    """Finding 9: 8086:46a6 is 96 EUs in an i7-1260P, 80 in an i5-1240P."""
    i7 = lookup_pci(0x8086, 0x46A6, cpu_model="12th Gen Intel(R) Core(TM) i7-1260P")
    i5 = lookup_pci(0x8086, 0x46A6, cpu_model="12th Gen Intel(R) Core(TM) i5-1240P")
    assert (i7.spec and i7.spec.sm_count, i5.spec and i5.spec.sm_count) == (96, 80)
    assert _flops(i5.spec.peak_flops, "fp32") == pytest.approx(80 * 16 * 1.3e9)  # type: ignore[union-attr]
    assert lookup_pci(0x8086, 0x46A6).spec is None


def test_quadro_rtx_8000_and_6000_share_an_id_and_differ_by_subsystem() -> None:
    eight = lookup_pci(0x10DE, 0x1E30, subsystem=(0x10DE, 0x129E))
    six = lookup_pci(0x10DE, 0x1E30, subsystem=(0x10DE, 0x12BA))
    assert (eight.spec and eight.spec.name, six.spec and six.spec.name) == (
        "Quadro RTX 8000",
        "Quadro RTX 6000",
    )


def test_radeon_7900_xtx_xt_gre_by_revision() -> None:
    names = [lookup_pci(0x1002, 0x744C, revision=r).spec for r in (0xC8, 0xCC, 0xCE)]
    assert [s.name if s else None for s in names] == [
        "AMD Radeon RX 7900 XTX",
        "AMD Radeon RX 7900 XT",
        "AMD Radeon RX 7900 GRE",
    ]


# -- the formula fallback: rated boost, never the max clock silently (finding 4) ----


def _nvml(**changes: object) -> NvidiaFacts:
    base: dict[str, object] = dict(
        index=0,
        name="NVIDIA GeForce RTX 4080 SUPER",
        uuid="GPU-x",
        serial=Unavailable("n/a"),
        memory_total_bytes=16 * 2**30,
        memory_used_bytes=0,
        compute_capability="8.9",
        sm_count=Unavailable("NVML: not supported on this GPU"),
        sm_clock_max_mhz=3105,
        sm_clock_mhz=210,
        power_limit_w=320.0,
        power_draw_w=10.0,
        pcie_gen=4,
        pcie_gen_max=4,
        pcie_width=16,
        pcie_width_max=16,
        clock_event_reasons=("gpu_idle",),
        mig_mode=Unavailable("NVML: not supported on this GPU"),
        utilization_gpu_percent=0,
        other_processes=0,
        driver_version="550.54.15",
        cuda_driver_version="12.4",
        sm_clock_boost_mhz=Unavailable("NVML: not supported on this GPU"),
    )
    base.update(changes)
    return NvidiaFacts(**base)  # type: ignore[arg-type]


def test_an_unlisted_geforce_uses_the_typical_rated_boost_not_the_max_clock() -> None:
    """Finding 4: an RTX 4080 SUPER's NVML max clock is 3105 MHz, its rated boost 2550."""
    peaks = nvidia_formula_peaks("NVIDIA GeForce RTX 4080 SUPER", _nvml(), 80)
    bf16 = peaks["bf16"]
    assert isinstance(bf16, PeakFlops) and bf16.estimated
    assert bf16.flops == pytest.approx(80 * 512 * 2500e6)  # Ada typical rated boost
    assert bf16.flops < 80 * 512 * 3105e6 * 0.85
    assert "typical Ada Lovelace rated boost" in bf16.source
    # The datasheet-style figure (80 SMs x 512 x 2550 MHz) is within 5%.
    assert bf16.flops == pytest.approx(80 * 512 * 2550e6, rel=0.05)


def test_the_rated_boost_from_nvml_wins_and_is_named() -> None:
    facts = _nvml(name="NVIDIA H100 96GB", compute_capability="9.0", sm_clock_boost_mhz=1980)
    fp32 = nvidia_formula_peaks("NVIDIA H100 96GB", facts, 132)["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(132 * 256 * 1980e6)
    assert "NVML max customer boost clock" in fp32.source


def test_no_sm_count_anywhere_says_so() -> None:
    peaks = nvidia_formula_peaks("NVIDIA Future GPU", _nvml(), Unavailable("no SM count"))
    assert all(isinstance(p, Unavailable) and "SM count" in p.reason for p in peaks.values())


def test_laptop_peak_uses_this_laptops_rated_clock_when_in_range() -> None:
    spec = find_gpu("NVIDIA GeForce RTX 3060 Laptop GPU")
    assert spec is not None and isinstance(spec.peak_flops["fp32"], Unavailable)
    peaks = laptop_peaks(spec, 1425.0, "this laptop's rated boost (NVML)")
    assert peaks is not None and _flops(peaks, "fp32") == pytest.approx(30 * 256 * 1425e6)
    assert laptop_peaks(spec, 2100.0, "max clock") is None  # outside 1283-1703 MHz


def test_an_unlisted_laptop_gpu_is_unknown_not_a_desktop_estimate() -> None:
    name = "NVIDIA GeForce RTX 5070 Ti Laptop GPU"
    peaks = nvidia_formula_peaks(name, _nvml(name=name, compute_capability="12.0"), 46)
    fp32 = peaks["fp32"]
    assert isinstance(fp32, Unavailable) and "laptop GPU" in fp32.reason

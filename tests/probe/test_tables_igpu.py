"""The integrated-GPU table: right family and unit count per device ID, peaks by formula."""

from __future__ import annotations

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PEAK_DTYPES, GpuKind, PeakFlops
from mfu_advisor.probe.igpu_table import INTEGRATED_GPUS, lookup_integrated_gpu
from mfu_advisor.probe.pci_ids import device_kind


def test_alder_lake_p_iris_xe_is_96_eus_at_1400_mhz() -> None:
    spec = lookup_integrated_gpu(0x8086, 0x46A6)
    assert spec is not None
    assert spec.name == "Intel Iris Xe Graphics"
    assert spec.family == "Xe-LP (Gen12)"
    assert (spec.compute_units, spec.compute_unit_kind) == (96, "EU")
    assert spec.max_clock_mhz == 1400
    fp32 = spec.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    # 96 EUs x 8 lanes x 2 (FMA) x 1.4 GHz
    assert fp32.flops == pytest.approx(96 * 16 * 1.4e9)
    assert fp32.estimated
    fp16 = spec.peak_flops["fp16"]
    assert isinstance(fp16, PeakFlops) and fp16.flops == pytest.approx(2 * fp32.flops)
    assert isinstance(spec.peak_flops["bf16"], Unavailable)
    assert "80 EUs" in spec.note  # the i5 parts share the device ID


def test_radeon_680m_is_12_rdna2_cus() -> None:
    spec = lookup_integrated_gpu(0x1002, 0x1681)
    assert spec is not None
    assert (spec.family, spec.compute_units, spec.compute_unit_kind) == ("RDNA 2", 12, "CU")
    fp32 = spec.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(12 * 128 * 2.4e9)
    assert isinstance(spec.peak_flops["bf16"], Unavailable)


def test_radeon_780m_counts_rdna3_dual_issue_and_has_bf16() -> None:
    spec = lookup_integrated_gpu(0x1002, 0x15BF)
    assert spec is not None
    assert spec.family == "RDNA 3"
    fp32, bf16 = spec.peak_flops["fp32"], spec.peak_flops["bf16"]
    assert isinstance(fp32, PeakFlops) and isinstance(bf16, PeakFlops)
    assert fp32.flops == pytest.approx(12 * 256 * 2.7e9)  # AMD's quoted ~8.6 TF at 2.8 GHz
    assert "dual-issue" in fp32.source


def test_meteor_lake_arc_counts_xe_cores() -> None:
    spec = lookup_integrated_gpu(0x8086, 0x7D55)
    assert spec is not None
    assert (spec.compute_units, spec.compute_unit_kind) == (8, "Xe-core")
    fp32 = spec.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(8 * 256 * 2.25e9)


def test_unknown_devices_are_not_in_the_table() -> None:
    assert lookup_integrated_gpu(0x8086, 0xFFFF) is None
    assert lookup_integrated_gpu(0x10DE, 0x2782) is None  # a discrete NVIDIA card
    assert lookup_integrated_gpu(0x1002, 0x46A6) is None  # Intel's ID under AMD's vendor


@pytest.mark.parametrize("key", sorted(INTEGRATED_GPUS))
def test_every_entry_is_consistent(key: tuple[int, int]) -> None:
    spec = INTEGRATED_GPUS[key]
    vendor_id, device_id = key
    # The kind table and the integrated-GPU table agree.
    assert device_kind(vendor_id, device_id, 0x030000) is GpuKind.INTEGRATED
    assert spec.source.strip()
    assert spec.compute_unit_kind in {"EU", "CU", "Xe-core", "GPU core"}
    assert spec.compute_units > 0 and spec.max_clock_mhz > 0
    assert tuple(spec.peak_flops) == PEAK_DTYPES
    fp32, fp16 = spec.peak_flops["fp32"], spec.peak_flops["fp16"]
    assert isinstance(fp32, PeakFlops) and isinstance(fp16, PeakFlops)
    assert fp16.flops >= fp32.flops
    for peak in spec.peak_flops.values():
        if isinstance(peak, PeakFlops):
            assert peak.estimated and peak.source.startswith("estimate:")
        else:
            assert peak.reason

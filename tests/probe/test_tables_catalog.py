"""The hardware catalog behind ``analyze --hardware NAME``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mfu_advisor.facts import Unavailable, to_jsonable
from mfu_advisor.probe.catalog import (
    Model,
    catalog_models,
    find_hardware,
    hardware_suggestions,
    known_hardware_names,
)
from mfu_advisor.probe.cpu_peaks import core_rates
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops


@pytest.mark.parametrize(
    "typed",
    ["i7-1260P", "Intel Core i7-1260P", "12th Gen Intel(R) Core(TM) i7-1260P", "1260p"],
)
def test_the_laptop_cpu_is_found_however_it_is_written(typed: str) -> None:
    entry = find_hardware(typed)
    assert entry is not None
    assert entry.name == "Intel Core i7-1260P"
    assert entry.kind == "cpu"
    fp32 = entry.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    # 4 Golden Cove x 32 x 4.7 GHz + 8 Gracemont x 16 x 3.4 GHz
    assert fp32.flops == pytest.approx(1036.8e9)
    assert fp32.estimated
    assert isinstance(entry.peak_flops["bf16"], Unavailable)
    assert entry.details["cores"] == 12
    assert [g["kind"] for g in entry.details["core_groups"]] == ["performance", "efficiency"]


def test_rtx_4070_ti_never_finds_the_rtx_4070() -> None:
    ti = find_hardware("RTX 4070 Ti")
    plain = find_hardware("RTX 4070")
    assert ti is not None and plain is not None
    assert ti.name == "NVIDIA GeForce RTX 4070 Ti"
    assert plain.name == "NVIDIA GeForce RTX 4070"
    assert ti.kind == "gpu" and ti.details["compute_capability"] == "8.9"


@pytest.mark.parametrize(
    ("typed", "name", "kind"),
    [
        ("Apple M2", "Apple M2", "gpu"),
        ("M2 Pro", "Apple M2 Pro", "gpu"),
        ("Apple M2 Max", "Apple M2 Max", "gpu"),
        ("Apple M2 CPU", "Apple M2 CPU", "cpu"),
        ("Apple M2 Pro GPU", "Apple M2 Pro", "gpu"),  # macOS brand string + "GPU"
        ("Core Ultra 7 155H", "Intel Core Ultra 7 155H", "cpu"),
        ("AMD EPYC 7763 64-Core Processor", "AMD EPYC 7763", "cpu"),
        ("Intel(R) Xeon(R) Platinum 8480+", "Intel Xeon Platinum 8480+", "cpu"),
        ("Graviton 3", "AWS Graviton3", "cpu"),
        ("AMD Ryzen 9 7950X 16-Core Processor", "AMD Ryzen 9 7950X", "cpu"),
    ],
)
def test_names_users_type(typed: str, name: str, kind: str) -> None:
    entry = find_hardware(typed)
    assert entry is not None
    assert (entry.name, entry.kind) == (name, kind)


def test_apple_m1_gpu_matches_apples_quoted_2_6_tflops() -> None:
    entry = find_hardware("Apple M1")
    assert entry is not None
    fp32 = entry.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert fp32.flops == pytest.approx(2.6e12, rel=0.02)


@pytest.mark.parametrize("typed", ["M2 Ultra", "i9-13900KS", "H100", "nonsense", "", "7763"])
def test_unknown_or_ambiguous_names_find_nothing(typed: str) -> None:
    assert find_hardware(typed) is None


def test_suggestions_list_the_variants_of_an_ambiguous_name() -> None:
    assert hardware_suggestions("H100") == [
        "NVIDIA H100 80GB HBM3",
        "NVIDIA H100 PCIe",
        "NVIDIA H100 NVL",
    ]
    assert "Intel Core i9-13900K" in hardware_suggestions("i9-13900KS")
    assert hardware_suggestions("") == []


@pytest.mark.parametrize("name", known_hardware_names())
def test_every_known_name_finds_itself(name: str) -> None:
    entry = find_hardware(name)
    assert entry is not None, name
    assert entry.name == name
    assert entry.source.strip()
    assert tuple(entry.peak_flops) == PEAK_DTYPES
    # Every entry has a number for some dtype, or (laptop GPUs, whose clock is the
    # maker's choice) a reason giving the range.
    values = entry.peak_flops.values()
    assert any(isinstance(p, PeakFlops) for p in values) or any(
        "laptop maker's choice" in p.reason for p in values if isinstance(p, Unavailable)
    )


def test_known_names_include_the_brief_list() -> None:
    names = set(known_hardware_names())
    for expected in (
        "Intel Core i7-1260P",
        "Intel Core i5-1240P",
        "Intel Core i7-1165G7",
        "Intel Core i7-12700K",
        "Intel Core i9-13900K",
        "Intel Core i7-13700H",
        "Intel Core Ultra 7 155H",
        "AMD Ryzen 7 5800X",
        "AMD Ryzen 9 7950X",
        "AMD Ryzen 7 6800U",
        "AMD Ryzen 7 7840U",
        "AMD EPYC 7763",
        "AMD EPYC 9654",
        "Intel Xeon Platinum 8480+",
        "AWS Graviton3",
        "Apple M1 CPU",
        "Apple M2 CPU",
        "Apple M3 CPU",
        "Apple M4 Max",
        "NVIDIA GeForce RTX 4070 Ti",
    ):
        assert expected in names


@pytest.mark.parametrize("model", catalog_models("cpu"), ids=lambda m: m.row["name"])
def test_every_catalog_cpu_uses_tabled_core_rates(model: Model) -> None:
    entry = find_hardware(model.row["name"])
    assert entry is not None
    for group in entry.details["core_groups"]:
        assert group["microarchitecture"] in core_rates()
        assert group["cores"] > 0 and group["max_clock_mhz"] > 0


def test_entries_are_json_ready() -> None:
    for name in ("i7-1260P", "RTX 4070 Ti", "Apple M2", "NVIDIA GH200"):
        entry = find_hardware(name)
        assert entry is not None
        data = json.loads(json.dumps(to_jsonable(entry)))
        assert data["name"] == entry.name
        assert set(data["peak_flops"]) == set(PEAK_DTYPES)


def test_importing_the_tables_does_not_import_torch() -> None:
    code = (
        "import sys, mfu_advisor.probe.catalog, mfu_advisor.probe.pci_ids, "
        "mfu_advisor.probe.gpu_peaks, mfu_advisor.probe.cpu_uarch; "
        "assert 'torch' not in sys.modules and 'pynvml' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_peaks_page_lists_every_known_name() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "peaks.md").read_text()
    missing = [name for name in known_hardware_names() if f"| {name} |" not in page]
    assert missing == []

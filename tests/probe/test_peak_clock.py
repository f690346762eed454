"""The clock a CPU peak uses is named, with where it came from and whether it is an upper bound."""

from __future__ import annotations

import pytest
from probe_helpers import probe_fixture

from mfu_advisor.facts import to_jsonable
from mfu_advisor.probe.cpu_clock import (
    NO_CLOCK,
    clock_fields,
    clock_sources,
    cpuinfo_clock,
    peak_clock,
)
from mfu_advisor.probe.cpu_peaks import cpu_peaks
from mfu_advisor.probe.facts import PeakFlops


def test_kvm_guest_peak_says_the_clock_is_the_hypervisors_nominal_one() -> None:
    cpu = probe_fixture("kvm_epyc_virtio", include_torch=False).cpu
    assert cpu.clock_source == "hypervisor_cpu_mhz"
    assert cpu.peak_clock_mhz == pytest.approx(2445.406)
    assert cpu.peak_clock_is_max is False
    fp32 = cpu.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert "nominal clock reported by the hypervisor" in fp32.source
    assert "real boost clock unknown" in fp32.source
    assert "KVM guest" in fp32.note and "underestimate" in fp32.note
    assert "maximum clock (all-core" not in fp32.note  # never called the max clock


def test_kvm_guest_json_carries_the_clock_and_its_source() -> None:
    cpu = to_jsonable(probe_fixture("kvm_epyc_virtio", include_torch=False))["cpu"]
    assert cpu["clock_source"] == "hypervisor_cpu_mhz"
    assert cpu["peak_clock_mhz"] == pytest.approx(2445.406)
    assert cpu["peak_clock_is_max"] is False
    assert "hypervisor" in cpu["clock_note"]
    assert cpu["core_types"][0]["clock_source"] == "hypervisor_cpu_mhz"


def test_qemu_guest_without_cpufreq_is_also_a_nominal_clock() -> None:
    cpu = probe_fixture("qemu_stdvga_xeon", include_torch=False).cpu
    assert (cpu.clock_source, cpu.peak_clock_is_max) == ("hypervisor_cpu_mhz", False)
    assert "QEMU guest" in cpu.clock_note


@pytest.mark.parametrize(
    ("machine", "clock_mhz"),
    [("alder_lake_p_iris_xe", 4700.0), ("container_2cpu_on_64core", 3529.052)],
)
def test_cpufreq_max_is_the_turbo_clock_and_an_upper_bound(machine: str, clock_mhz: float) -> None:
    cpu = probe_fixture(machine, include_torch=False).cpu
    assert (cpu.clock_source, cpu.peak_clock_is_max) == ("cpufreq_max", True)
    assert cpu.peak_clock_mhz == pytest.approx(clock_mhz)
    fp32 = cpu.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops) and "upper bound" in fp32.note


def test_hybrid_cpu_names_each_core_types_clock() -> None:
    cpu = probe_fixture("alder_lake_p_iris_xe", include_torch=False).cpu
    assert [(t.peak_clock_mhz, t.clock_source) for t in cpu.core_types] == [
        (4700.0, "cpufreq_max"),
        (3400.0, "cpufreq_max"),
    ]


def test_apple_clocks_come_from_the_measured_table() -> None:
    cpu = probe_fixture("apple_m2", include_torch=False).cpu
    assert (cpu.clock_source, cpu.peak_clock_is_max, cpu.peak_clock_mhz) == (
        "apple_table",
        True,
        3490,
    )


def test_bare_metal_cpu_mhz_is_the_clock_when_probed_not_the_hypervisors() -> None:
    clock = cpuinfo_clock(1800.0, None)
    assert (clock.source, clock.is_max) == ("cpuinfo_cpu_mhz", False)
    assert "hypervisor" not in clock.note and "underestimate" in clock.note


def test_base_clock_sources_say_the_turbo_clock_is_unknown() -> None:
    for clock, source in (
        (peak_clock("brand_string", 2400.0), "brand_string"),
        (peak_clock("cpufreq_base", 2400.0), "cpufreq_base"),
    ):
        assert (clock.source, clock.is_max) == (source, False)
        assert "turbo clock is unknown" in clock.note


def test_every_clock_source_is_documented_in_the_table() -> None:
    made = [
        peak_clock("cpufreq_max", 1.0),
        peak_clock("brand_string", 1.0),
        peak_clock("cpufreq_base", 1.0),
        cpuinfo_clock(1.0, "KVM"),
        cpuinfo_clock(1.0, None),
        NO_CLOCK,
    ]
    assert {c.source for c in made} <= set(clock_sources())


def test_peak_is_an_upper_bound_only_when_every_core_types_clock_is_its_max() -> None:
    assert (
        clock_fields(peak_clock("cpufreq_max", 4700.0), peak_clock("cpufreq_max", 3400.0))[
            "peak_clock_is_max"
        ]
        is True
    )
    mixed = clock_fields(peak_clock("cpufreq_max", 4700.0), cpuinfo_clock(2000.0, None))
    assert mixed["peak_clock_is_max"] is False
    assert clock_fields()["peak_clock_is_max"] is False


def test_cpu_peaks_default_wording_is_the_maximum_clock() -> None:
    fp32 = cpu_peaks("Zen 3", ("avx", "fma", "avx2"), 3500.0, 8)["fp32"]
    assert isinstance(fp32, PeakFlops)
    assert "(max clock)" in fp32.source and "maximum clock" in fp32.note


def test_the_schema_lists_every_clock_source() -> None:
    import json
    from pathlib import Path

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs/schemas/probe.schema.json").read_text()
    )
    assert set(schema["$defs"]["clock_source"]["enum"]) == set(clock_sources())

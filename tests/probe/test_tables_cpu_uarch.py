"""CPU vendors and microarchitectures from CPUID family/model, ARM MIDR and macOS cpufamily."""

from __future__ import annotations

import pytest

from mfu_advisor.files import data_file
from mfu_advisor.probe.cpu_peaks import core_rates
from mfu_advisor.probe.cpu_uarch import (
    apple_microarchitecture,
    arm_implementer_name,
    arm_microarchitecture,
    core_microarchitecture,
    vendor_from_cpuid,
    x86_microarchitecture,
)


@pytest.mark.parametrize(
    ("vendor_id", "vendor"),
    [
        ("GenuineIntel", "Intel"),
        ("AuthenticAMD", "AMD"),
        ("HygonGenuine", "Hygon"),
        ("CentaurHauls", "Centaur"),
        ("  Shanghai  ", "Zhaoxin"),
        ("Shanghai", "Zhaoxin"),
        ("KVMKVMKVM", "Unknown (KVMKVMKVM)"),
        ("", "Unknown"),
    ],
)
def test_vendor_from_cpuid(vendor_id: str, vendor: str) -> None:
    assert vendor_from_cpuid(vendor_id) == vendor


@pytest.mark.parametrize(
    ("model", "uarch"),
    [
        (0x9A, "Alder Lake"),
        (0x97, "Alder Lake"),
        (0xB7, "Raptor Lake"),
        (0xBA, "Raptor Lake"),
        (0xBF, "Raptor Lake"),
        (0xAA, "Meteor Lake"),
        (0x8F, "Sapphire Rapids"),
        (0xCF, "Emerald Rapids"),
        (0xAD, "Granite Rapids"),
        (0xAE, "Granite Rapids-D"),
        (0x55, "Skylake-SP/Cascade Lake"),
        (0x8C, "Tiger Lake"),
        (0x7E, "Ice Lake"),
        (0x6A, "Ice Lake-SP"),
        (0x5E, "Skylake"),
        (0x9E, "Kaby Lake/Coffee Lake"),
        (0xAF, "Sierra Forest"),
        (0xC6, "Arrow Lake"),
        (0xBD, "Lunar Lake"),
    ],
)
def test_intel_family_6_models(model: int, uarch: str) -> None:
    assert x86_microarchitecture("GenuineIntel", 6, model) == uarch


def test_intel_family_19_is_diamond_rapids() -> None:
    assert x86_microarchitecture("GenuineIntel", 19, 0x01) == "Diamond Rapids"


@pytest.mark.parametrize(
    ("family", "model", "uarch"),
    [
        (0x17, 0x01, "Zen"),  # Naples / Summit Ridge
        (0x17, 0x08, "Zen+"),  # Pinnacle Ridge
        (0x17, 0x31, "Zen 2"),  # Rome
        (0x17, 0x71, "Zen 2"),  # Matisse
        (0x19, 0x01, "Zen 3"),  # Milan (EPYC 7763)
        (0x19, 0x21, "Zen 3"),  # Vermeer (Ryzen 5000)
        (0x19, 0x44, "Zen 3+"),  # Rembrandt
        (0x19, 0x11, "Zen 4"),  # Genoa
        (0x19, 0x61, "Zen 4"),  # Raphael
        (0x19, 0x74, "Zen 4"),  # Phoenix
        (0x19, 0xA0, "Zen 4"),  # Bergamo/Siena
        (0x1A, 0x02, "Zen 5"),  # Turin
        (0x1A, 0x44, "Zen 5"),  # Granite Ridge
        (0x1A, 0x24, "Zen 5 (256-bit FPU)"),  # Strix Point
    ],
)
def test_amd_zen_generations(family: int, model: int, uarch: str) -> None:
    assert x86_microarchitecture("AuthenticAMD", family, model) == uarch


def test_vendor_decides_which_table_is_read() -> None:
    # Family 25 model 1 is Zen 3 only when AMD says so.
    assert x86_microarchitecture("GenuineIntel", 25, 1) is None
    assert x86_microarchitecture("AuthenticAMD", 6, 0x9A) is None


def test_unknown_models_are_none() -> None:
    assert x86_microarchitecture("GenuineIntel", 6, 0x01) is None
    assert x86_microarchitecture("AuthenticAMD", 0x19, 0xF0) is None


def test_hygon_is_zen_based() -> None:
    assert x86_microarchitecture("HygonGenuine", 0x18, 0x01) == "Dhyana (Zen)"


@pytest.mark.parametrize(
    ("implementer", "part", "uarch"),
    [
        (0x41, 0xD0C, "Neoverse N1"),
        (0x41, 0xD40, "Neoverse V1"),
        (0x41, 0xD49, "Neoverse N2"),
        (0x41, 0xD4F, "Neoverse V2"),
        (0x41, 0xD84, "Neoverse V3"),
        (0x41, 0xD08, "Cortex-A72"),
        (0x41, 0xD0B, "Cortex-A76"),
        (0x41, 0xD41, "Cortex-A78"),
        (0x41, 0xD44, "Cortex-X1"),
        (0xC0, 0xAC3, "AmpereOne"),
        (0x46, 0x001, "A64FX"),
        (0x61, 0x023, "Apple M1 Firestorm"),
        (0x61, 0x032, "Apple M2 Blizzard"),
    ],
)
def test_arm_parts(implementer: int, part: int, uarch: str) -> None:
    assert arm_microarchitecture(implementer, part) == uarch


def test_arm_part_numbers_are_per_implementer() -> None:
    # Part 0xd49 is Neoverse N2 from ARM, but 0x001 means A64FX only from Fujitsu.
    assert arm_microarchitecture(0x41, 0x001) is None
    assert arm_microarchitecture(0x41, 0xFFF) is None


@pytest.mark.parametrize(
    ("implementer", "name"),
    [(0x41, "ARM"), (0x61, "Apple"), (0xC0, "Ampere"), (0x48, "HiSilicon"), (0x4E, "NVIDIA")],
)
def test_arm_implementer_names(implementer: int, name: str) -> None:
    assert arm_implementer_name(implementer) == name


def test_unknown_arm_implementer_is_named_by_its_code() -> None:
    assert arm_implementer_name(0x99) == "Unknown implementer 0x99"


@pytest.mark.parametrize(
    ("cpufamily", "chip"),
    [
        (0x1B588BB3, "Apple M1"),
        (0xDA33D83D, "Apple M2"),
        (0xFA33415E, "Apple M3"),
        (0x5F4DEA93, "Apple M3 Pro"),
        (0x72015832, "Apple M3 Max"),
        (0x6F5129AC, "Apple M4"),
    ],
)
def test_apple_cpufamily(cpufamily: int, chip: str) -> None:
    assert apple_microarchitecture(cpufamily) == chip


def test_apple_cpufamily_printed_as_a_signed_int_still_resolves() -> None:
    # sysctl hw.cpufamily prints -634136515 for 0xda33d83d.
    assert apple_microarchitecture(-634136515) == "Apple M2"
    assert apple_microarchitecture(0x12345678) is None


@pytest.mark.parametrize(
    ("package", "core_type", "core"),
    [
        ("Alder Lake", "performance", "Golden Cove"),
        ("Alder Lake", "efficiency", "Gracemont"),
        ("Raptor Lake", "efficiency", "Gracemont"),
        ("Meteor Lake", "performance", "Redwood Cove"),
        ("Apple M2", "efficiency", "Apple M2 Blizzard"),
        ("Zen 3", "performance", "Zen 3"),
        ("Zen 3", "efficiency", None),
        (None, "performance", None),
    ],
)
def test_core_microarchitecture_of_hybrid_and_plain_parts(
    package: str | None, core_type: str, core: str | None
) -> None:
    assert core_microarchitecture(package, core_type) == core


def test_every_hybrid_core_has_a_flops_per_cycle_entry() -> None:
    rates = core_rates()
    for package, (performance, efficiency) in data_file("cpus.toml")["hybrid_cores"].items():
        assert package in rates, package
        assert performance in rates, performance
        assert efficiency in rates, efficiency

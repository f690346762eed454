"""PCI vendor names, device kinds and NVIDIA names come from numbers, never from name text."""

from __future__ import annotations

import pytest

from mfu_advisor.probe.facts import GpuKind
from mfu_advisor.probe.pci_ids import device_kind, vendor_name

VGA, THREE_D, OTHER_DISPLAY = 0x030000, 0x030200, 0x038000


@pytest.mark.parametrize(
    ("vendor_id", "name"),
    [
        (0x8086, "Intel"),
        (0x1002, "AMD"),
        (0x1022, "AMD"),
        (0x10DE, "NVIDIA"),
        (0x1AF4, "Red Hat (virtio)"),
        (0x1B36, "Red Hat (QEMU)"),
        (0x1234, "QEMU (Bochs stdvga)"),
        (0x15AD, "VMware"),
        (0x1414, "Microsoft (Hyper-V)"),
        (0x1A03, "ASPEED"),
        (0x102B, "Matrox"),
        (0x106B, "Apple"),
        (0x5143, "Qualcomm"),
        (0x13B5, "ARM"),
        (0x1D17, "Zhaoxin"),
    ],
)
def test_vendor_name_comes_from_the_numeric_id(vendor_id: int, name: str) -> None:
    assert vendor_name(vendor_id) == name


def test_unknown_vendor_is_named_by_its_hex_id() -> None:
    assert vendor_name(0xABCD) == "Unknown vendor 0xabcd"


def test_intel_igpu_is_never_labelled_amd() -> None:
    # The bug that started the project: an lspci line for 8086:46a6 contains
    # "Corporation", whose "ati" a substring test took for ATI/AMD.
    assert vendor_name(0x8086) == "Intel"
    assert device_kind(0x8086, 0x46A6, VGA) is GpuKind.INTEGRATED


@pytest.mark.parametrize(
    ("vendor_id", "device_id", "class_code", "kind"),
    [
        (0x8086, 0x46A6, VGA, GpuKind.INTEGRATED),  # Alder Lake-P Iris Xe
        (0x8086, 0x9A49, VGA, GpuKind.INTEGRATED),  # Tiger Lake Iris Xe
        (0x8086, 0x3E92, VGA, GpuKind.INTEGRATED),  # Coffee Lake UHD 630
        (0x8086, 0x7D55, VGA, GpuKind.INTEGRATED),  # Meteor Lake Arc (integrated)
        (0x8086, 0x56A0, VGA, GpuKind.DISCRETE),  # Arc A770 (DG2)
        (0x8086, 0x5690, VGA, GpuKind.DISCRETE),  # Arc A770M (DG2 mobile)
        (0x8086, 0x4905, VGA, GpuKind.DISCRETE),  # Iris Xe MAX (DG1)
        (0x8086, 0x56C0, THREE_D, GpuKind.DISCRETE),  # Data Center GPU Flex 170
        (0x8086, 0x0BD5, THREE_D, GpuKind.DISCRETE),  # Data Center GPU Max (PVC)
        (0x8086, 0xE20B, VGA, GpuKind.DISCRETE),  # Arc B580 (Battlemage)
        (0x1002, 0x1681, VGA, GpuKind.INTEGRATED),  # Radeon 680M (Rembrandt)
        (0x1002, 0x15BF, VGA, GpuKind.INTEGRATED),  # Radeon 780M (Phoenix1)
        (0x1002, 0x1636, VGA, GpuKind.INTEGRATED),  # Renoir
        (0x1002, 0x163F, VGA, GpuKind.INTEGRATED),  # Van Gogh (Steam Deck)
        (0x1002, 0x744C, VGA, GpuKind.DISCRETE),  # Radeon RX 7900 XTX
        (0x10DE, 0x2782, VGA, GpuKind.DISCRETE),  # RTX 4070 Ti
        (0x10DE, 0x2330, THREE_D, GpuKind.DISCRETE),  # H100 SXM5
        (0x10DE, 0x25A0, THREE_D, GpuKind.DISCRETE),  # laptop 3D controller
        (0x10DE, 0x2E12, THREE_D, GpuKind.INTEGRATED),  # GB10 (DGX Spark SoC)
        (0x1AF4, 0x1050, VGA, GpuKind.VIRTUAL),  # virtio-gpu
        (0x1234, 0x1111, VGA, GpuKind.VIRTUAL),  # QEMU stdvga
        (0x1B36, 0x0100, VGA, GpuKind.VIRTUAL),  # QXL
        (0x15AD, 0x0405, VGA, GpuKind.VIRTUAL),  # VMware SVGA II
        (0x1414, 0x5353, VGA, GpuKind.VIRTUAL),  # Hyper-V VGA
        (0x1013, 0x00B8, VGA, GpuKind.VIRTUAL),  # Cirrus GD 5446 as QEMU emulates it
        (0x80EE, 0xBEEF, VGA, GpuKind.VIRTUAL),  # VirtualBox
        (0x1A03, 0x2000, VGA, GpuKind.BMC),  # ASPEED
        (0x102B, 0x0522, VGA, GpuKind.BMC),  # Matrox G200e
        (0x102B, 0x0534, VGA, GpuKind.BMC),  # Matrox G200eR
        (0x102B, 0x0536, VGA, GpuKind.BMC),  # Matrox G200eW3
        (0x102B, 0x0538, VGA, GpuKind.BMC),  # Matrox G200eH3
        (0x19E5, 0x1711, VGA, GpuKind.BMC),  # Huawei iBMC
        (0x1D17, 0x3D00, VGA, GpuKind.UNKNOWN),  # a vendor with no rule
    ],
)
def test_device_kind_by_numbers(
    vendor_id: int, device_id: int, class_code: int, kind: GpuKind
) -> None:
    assert device_kind(vendor_id, device_id, class_code) is kind


def test_a_device_that_is_not_a_display_controller_has_no_kind() -> None:
    # An Intel Ethernet controller (class 0x0200) is not a GPU of any kind.
    assert device_kind(0x8086, 0x15F3, 0x020000) is GpuKind.UNKNOWN


def test_class_code_is_accepted_with_or_without_the_programming_interface_byte() -> None:
    assert device_kind(0x10DE, 0x2330, 0x0302) is device_kind(0x10DE, 0x2330, 0x030200)
    assert device_kind(0x10DE, 0x2330, 0x0302) is GpuKind.DISCRETE
    assert device_kind(0x10DE, 0x2330, OTHER_DISPLAY) is GpuKind.DISCRETE
    assert device_kind(0x10DE, 0x2330, 0x060000) is GpuKind.UNKNOWN

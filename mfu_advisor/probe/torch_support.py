"""Whether PyTorch here can use a GPU, and if not, what it would take."""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import GpuKind, NvidiaFacts, TorchDevice, TorchFacts, TorchSupport
from mfu_advisor.probe.pci_ids import AMD_GRAPHICS, INTEL, NVIDIA


def _needs(vendor_id: int) -> str | None:
    """What using this vendor's GPU takes (torch.toml [needs]), None for other vendors."""
    return data_file("torch.toml")["needs"].get(f"0x{vendor_id:04x}")  # type: ignore[no-any-return]


def torch_support(
    vendor_id: int,
    kind: GpuKind,
    pci_address: str,
    kernel_driver: str | None,
    nvidia: NvidiaFacts | Unavailable | None,
    torch: TorchFacts | Unavailable,
    family: object = None,
) -> TorchSupport:
    """Can torch use the GPU at ``pci_address``? With the backend and a one-line why/what."""
    if kind in (GpuKind.BMC, GpuKind.VIRTUAL):
        what = "a server management (BMC)" if kind is GpuKind.BMC else "an emulated"
        return TorchSupport(False, None, f"{what} display adapter, not a compute device")
    unvalidated = data_file("torch.toml")["xpu_unvalidated"]
    if vendor_id == INTEL and family in unvalidated["families"]:
        note = unvalidated["note"].format(family=family)
        if isinstance(torch, Unavailable):
            return TorchSupport(Unavailable(f"torch not asked: {torch.reason}"), None, note)
        if torch.flavour != "xpu" or not any(
            d.device.startswith("xpu") for d in torch.device_details
        ):
            return TorchSupport(False, None, note)
    needs = _needs(vendor_id)
    if isinstance(torch, Unavailable):
        hint = f"; using it takes {needs}" if needs else ""
        return TorchSupport(Unavailable(f"torch not asked: {torch.reason}"), None, f"unknown{hint}")
    if vendor_id == NVIDIA:
        return _nvidia(pci_address, kernel_driver, nvidia, torch)
    if vendor_id == AMD_GRAPHICS:
        return _amd(pci_address, kind, torch)
    if vendor_id == INTEL:
        return _intel(torch)
    return TorchSupport(False, None, "PyTorch has no backend for this vendor's GPUs")


def torch_device(
    torch: TorchFacts, prefix: str, pci_address: str, name: str | None = None
) -> TorchDevice | None:
    """The torch device at this bus address (or, when torch gives no addresses, by name)."""
    candidates = [d for d in torch.device_details if d.device.startswith(prefix)]
    for device in candidates:
        if device.pci_bus_id == pci_address:
            return device
    if name and all(d.pci_bus_id is None for d in candidates):
        for device in candidates:
            if device.name == name:
                return device
    return None


def _nvidia(
    pci_address: str,
    kernel_driver: str | None,
    nvidia: NvidiaFacts | Unavailable | None,
    torch: TorchFacts,
) -> TorchSupport:
    driver_missing = (isinstance(nvidia, Unavailable) and "driver" in nvidia.reason.lower()) or (
        kernel_driver is not None and kernel_driver != "nvidia"
    )
    if torch.flavour != "cuda":
        extra = " and the NVIDIA driver loaded" if driver_missing else ""
        return TorchSupport(
            False,
            None,
            f"this torch is a {torch.flavour} build: install {_needs(NVIDIA)}{extra}",
        )
    if driver_missing:
        bound = (
            f" (bound to {kernel_driver})" if kernel_driver and kernel_driver != "nvidia" else ""
        )
        return TorchSupport(False, "cuda", f"NVIDIA driver not loaded{bound}: install or load it")
    name = nvidia.name if isinstance(nvidia, NvidiaFacts) and isinstance(nvidia.name, str) else None
    device = torch_device(torch, "cuda", pci_address, name)
    if device is not None:
        how = "" if device.pci_bus_id else " (matched by name: this torch gives no bus address)"
        return TorchSupport(True, "cuda", f"torch sees it as {device.device}{how}")
    if not any(d.device.startswith("cuda") for d in torch.device_details):
        why = torch.accelerator_note or "torch sees no CUDA device"
        return TorchSupport(False, "cuda", why)
    if isinstance(nvidia, Unavailable):
        return TorchSupport(False, "cuda", f"torch does not see it: {nvidia.reason}")
    return TorchSupport(False, "cuda", "hidden from torch (CUDA_VISIBLE_DEVICES?)")


def _amd(pci_address: str, kind: GpuKind, torch: TorchFacts) -> TorchSupport:
    if torch.flavour == "rocm":
        device = torch_device(torch, "cuda", pci_address)
        if device is not None:
            return TorchSupport(True, "rocm", f"torch sees it as {device.device} (ROCm)")
        why = torch.accelerator_note or "the ROCm build of torch does not see it"
        if kind is GpuKind.INTEGRATED:
            why += "; ROCm officially supports few integrated Radeon GPUs"
        return TorchSupport(False, "rocm", why)
    note = f"this torch is a {torch.flavour} build: using it takes {_needs(AMD_GRAPHICS)}"
    if kind is GpuKind.INTEGRATED:
        note += "; ROCm officially supports few integrated Radeon GPUs"
    return TorchSupport(False, None, note)


def _intel(torch: TorchFacts) -> TorchSupport:
    xpus = [d for d in torch.device_details if d.device.startswith("xpu")]
    if torch.flavour == "xpu" and xpus:
        return TorchSupport(True, "xpu", "torch sees " + ", ".join(d.device for d in xpus))
    if torch.flavour == "xpu":
        why = torch.accelerator_note or "the XPU build of torch sees no Intel GPU"
        return TorchSupport(False, "xpu", f"{why}: install the Intel GPU driver (level-zero)")
    return TorchSupport(
        False,
        None,
        f"this torch is a {torch.flavour} build: using it takes {_needs(INTEL)}",
    )

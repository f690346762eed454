"""Whether PyTorch here can use a GPU, and if not, what it would take."""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import GpuKind, NvidiaFacts, TorchDevice, TorchFacts, TorchSupport

INTEL_VENDOR_ID = 0x8086
AMD_VENDOR_ID = 0x1002
NVIDIA_VENDOR_ID = 0x10DE

#: Where the install command for each PyTorch build is generated.
PYTORCH_INSTALL_URL = "https://pytorch.org/get-started/locally/"

_NEEDS: dict[int, str] = {
    NVIDIA_VENDOR_ID: f"a CUDA build of torch ({PYTORCH_INSTALL_URL})",
    AMD_VENDOR_ID: f"a ROCm build of torch on a ROCm-supported GPU ({PYTORCH_INSTALL_URL})",
    INTEL_VENDOR_ID: (
        "a torch XPU build + Intel GPU driver (level-zero), see "
        "https://docs.pytorch.org/docs/stable/notes/get_start_xpu.html"
    ),
}


#: Intel GPU families PyTorch's XPU getting-started page lists as validated:
#: Arc A-series (Alchemist) and B-series (Battlemage) discrete, Core Ultra
#: (Meteor Lake and newer) integrated Arc, Data Center GPU Max
#: (https://docs.pytorch.org/docs/stable/notes/get_start_xpu.html, "Hardware
#: Prerequisite"). Older integrated GPUs (Gen9, Gen11, Xe-LP Iris Xe) are not.
XPU_UNVALIDATED_FAMILIES = frozenset({"Gen9.5", "Gen11", "Xe-LP (Gen12)"})

_XPU_UNVALIDATED = (
    "PyTorch's XPU build is validated on Intel Arc A/B-series and Core Ultra (Meteor Lake "
    "and newer) GPUs, not on this {family} integrated GPU: the driver may expose it, but "
    "expect missing kernels, no XMX matrix engines and speeds near the CPU's; measure "
    "before relying on it (https://docs.pytorch.org/docs/stable/notes/get_start_xpu.html)"
)


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
    if vendor_id == INTEL_VENDOR_ID and family in XPU_UNVALIDATED_FAMILIES:
        note = _XPU_UNVALIDATED.format(family=family)
        if isinstance(torch, Unavailable):
            return TorchSupport(Unavailable(f"torch not asked: {torch.reason}"), None, note)
        if torch.flavour != "xpu" or not any(
            d.device.startswith("xpu") for d in torch.device_details
        ):
            return TorchSupport(False, None, note)
    needs = _NEEDS.get(vendor_id)
    if isinstance(torch, Unavailable):
        hint = f"; using it takes {needs}" if needs else ""
        return TorchSupport(Unavailable(f"torch not asked: {torch.reason}"), None, f"unknown{hint}")
    if vendor_id == NVIDIA_VENDOR_ID:
        return _nvidia(pci_address, kernel_driver, nvidia, torch)
    if vendor_id == AMD_VENDOR_ID:
        return _amd(pci_address, kind, torch)
    if vendor_id == INTEL_VENDOR_ID:
        return _intel(torch)
    return TorchSupport(False, None, "PyTorch has no backend for this vendor's GPUs")


def _match(
    torch: TorchFacts, prefix: str, pci_address: str, name: str | None
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
            f"this torch is a {torch.flavour} build: install {_NEEDS[NVIDIA_VENDOR_ID]}{extra}",
        )
    if driver_missing:
        bound = (
            f" (bound to {kernel_driver})" if kernel_driver and kernel_driver != "nvidia" else ""
        )
        return TorchSupport(False, "cuda", f"NVIDIA driver not loaded{bound}: install or load it")
    name = nvidia.name if isinstance(nvidia, NvidiaFacts) and isinstance(nvidia.name, str) else None
    device = _match(torch, "cuda", pci_address, name)
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
        device = _match(torch, "cuda", pci_address, None)
        if device is not None:
            return TorchSupport(True, "rocm", f"torch sees it as {device.device} (ROCm)")
        why = torch.accelerator_note or "the ROCm build of torch does not see it"
        if kind is GpuKind.INTEGRATED:
            why += "; ROCm officially supports few integrated Radeon GPUs"
        return TorchSupport(False, "rocm", why)
    note = f"this torch is a {torch.flavour} build: using it takes {_NEEDS[AMD_VENDOR_ID]}"
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
        f"this torch is a {torch.flavour} build: using it takes {_NEEDS[INTEL_VENDOR_ID]}",
    )

"""Recorded ``nvidia-smi -q`` dumps (tests/data/nvidia_smi/) as NVML answers and a pynvml fake.

NVML's documented behaviour, which the fakes copy (NVML API reference,
https://docs.nvidia.com/deploy/nvml-api/):

- ``nvmlDeviceGetAttributes(_v2)`` answers only for MIG device handles; a whole
  GPU gets NVML_ERROR_NOT_SUPPORTED (nvidia-smi prints no SM count);
- a field nvidia-smi prints as "N/A" (a GeForce card's serial or max customer
  boost clock, MIG mode on a GPU without MIG) is NVML_ERROR_NOT_SUPPORTED;
- an older driver's NVML lacks the unversioned ``nvmlDeviceGetComputeRunningProcesses``
  (v3), and nvidia-ml-py then raises ``NVMLLibraryMismatchError``, which is not an
  ``NVMLError``;
- a GPU that fell off the bus answers NVML_ERROR_GPU_IS_LOST to its handle, a
  process without access to /dev/nvidia* NVML_ERROR_NO_PERMISSION, and a machine
  without the kernel module NVML_ERROR_DRIVER_NOT_LOADED at nvmlInit.

nvidia-smi -q does not print the CUDA compute capability; NVML's answer for each
device ID comes from :data:`COMPUTE_CAPABILITY` (CUDA Programming Guide,
"Compute Capabilities", and NVIDIA's CUDA GPUs list, https://developer.nvidia.com/cuda-gpus).
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DUMPS = Path(__file__).resolve().parents[1] / "data" / "nvidia_smi"

#: PCI device ID -> CUDA compute capability (developer.nvidia.com/cuda-gpus).
COMPUTE_CAPABILITY: dict[int, tuple[int, int]] = {
    0x1180: (3, 0),  # GTX 680 (Kepler GK104)
    0x1C82: (6, 1),  # GTX 1050 Ti (Pascal GP107)
    0x1DB1: (7, 0),  # V100 SXM2
    0x20B2: (8, 0),  # A100 SXM4 80GB
    0x2204: (8, 6),  # RTX 3090
    0x2216: (8, 6),  # RTX 3080 (LHR)
    0x2230: (8, 6),  # RTX A6000
    0x2235: (8, 6),  # A40
    0x2236: (8, 6),  # A10
    0x2321: (9, 0),  # H100 NVL
    0x2330: (9, 0),  # H100 SXM5
    0x2335: (9, 0),  # H200
    0x2342: (9, 0),  # GH200
    0x2484: (8, 6),  # RTX 3070
    0x2684: (8, 9),  # RTX 4090
    0x26B1: (8, 9),  # RTX 6000 Ada
    0x26B9: (8, 9),  # L40S
    0x27B2: (8, 9),  # RTX 4000 Ada
    0x27B8: (8, 9),  # L4
    0x2803: (8, 9),  # RTX 4060 Ti
    0x28B0: (8, 9),  # RTX 2000 Ada
    0x2B85: (12, 0),  # RTX 5090
}

#: nvidia-smi's clock event reason lines -> nvml.h bits (nvmlClocksEventReason*).
REASON_BITS: dict[str, int] = {
    "Idle": 0x1,
    "Applications Clocks Setting": 0x2,
    "SW Power Cap": 0x4,
    "HW Slowdown": 0x8,
    "Sync Boost": 0x10,
    "SW Thermal Slowdown": 0x20,
    "HW Thermal Slowdown": 0x40,
    "HW Power Brake Slowdown": 0x80,
    "Display Clock Setting": 0x100,
}


@dataclass(frozen=True)
class SmiGpu:
    """One GPU block of a dump: dotted paths ("Clocks.SM") -> the printed value."""

    bus_id: str
    fields: dict[str, str]

    def get(self, path: str) -> str | None:
        value = self.fields.get(path)
        return None if value is None or value.strip() in ("N/A", "") else value.strip()

    def number(self, path: str) -> float | None:
        value = self.get(path)
        match = re.match(r"^([0-9.]+)", value or "")
        return float(match.group(1)) if match else None

    @property
    def name(self) -> str:
        return self.fields["Product Name"]

    @property
    def device_id(self) -> int:
        return int(self.fields["PCI.Device Id"], 16) >> 16

    @property
    def subsystem(self) -> tuple[int, int]:
        raw = int(self.fields["PCI.Sub System Id"], 16)
        return raw & 0xFFFF, raw >> 16


@dataclass(frozen=True)
class SmiDump:
    name: str
    driver: str
    cuda: str
    gpus: tuple[SmiGpu, ...] = field(default=())


def parse_dump(name: str) -> SmiDump:
    """tests/data/nvidia_smi/<name>.txt -> its GPUs and driver."""
    text = (DUMPS / f"{name}.txt").read_text()
    driver = re.search(r"^Driver Version\s*:\s*(\S+)", text, re.M)
    cuda = re.search(r"^CUDA Version\s*:\s*(\S+)", text, re.M)
    gpus: list[SmiGpu] = []
    current: dict[str, str] | None = None
    bus = ""
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        if line.startswith("GPU "):
            if current is not None:
                gpus.append(SmiGpu(bus, current))
            current, bus, stack = {}, line.split()[1], []
            continue
        if current is None or not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, sep, value = line.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([s for _, s in stack] + [key.strip()])
        if sep and value.strip():
            current[path] = value.strip()
        else:
            stack.append((indent, key.strip()))
    if current is not None:
        gpus.append(SmiGpu(bus, current))
    assert driver and cuda, name
    return SmiDump(name, driver.group(1), cuda.group(1), tuple(gpus))


def dump_names() -> list[str]:
    return sorted(p.stem for p in DUMPS.glob("*.txt"))


def _reasons(gpu: SmiGpu) -> int:
    mask = 0
    for section in ("Clocks Event Reasons", "Clocks Throttle Reasons"):
        for path, value in gpu.fields.items():
            if path.startswith(section + ".") and value == "Active":
                mask |= REASON_BITS.get(path.rsplit(".", 1)[-1], 0)
    return mask


def _power_limit_w(gpu: SmiGpu) -> float | None:
    for path in (
        "GPU Power Readings.Current Power Limit",
        "Power Readings.Enforced Power Limit",
        "Power Readings.Power Limit",
    ):
        if gpu.number(path) is not None:
            return gpu.number(path)
    return None


def _power_draw_w(gpu: SmiGpu) -> float | None:
    for path in (
        "GPU Power Readings.Power Draw",
        "GPU Power Readings.Instantaneous Power Draw",
        "Power Readings.Power Draw",
    ):
        if gpu.number(path) is not None:
            return gpu.number(path)
    return None


class NvmlFailure(Exception):
    """What a fake call raises: an NVML return code by name."""


@dataclass
class DumpNvml(types.ModuleType):
    """A pynvml stand-in answering from a recorded dump, with NVML's documented errors.

    ``init_error``: the return code nvmlInit fails with; ``lost``: device indices
    whose handle answers GPU_IS_LOST; ``no_permission``: indices answering
    NO_PERMISSION; ``old_driver``: the unversioned compute-process call raises
    NVMLLibraryMismatchError, as nvidia-ml-py does on drivers before its v3 symbol.
    """

    dump: SmiDump
    init_error: str | None = None
    lost: frozenset[int] = frozenset()
    no_permission: frozenset[int] = frozenset()
    old_driver: bool = False
    calls: list[str] = field(default_factory=list)

    # nvml.h nvmlReturn_t values, as nvidia-ml-py names them.
    NVML_ERROR_NO_PERMISSION = 4
    NVML_ERROR_NOT_SUPPORTED = 3
    NVML_ERROR_DRIVER_NOT_LOADED = 9
    NVML_ERROR_LIBRARY_NOT_FOUND = 12
    NVML_ERROR_FUNCTION_NOT_FOUND = 13
    NVML_ERROR_GPU_IS_LOST = 15
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25

    def __post_init__(self) -> None:
        types.ModuleType.__init__(self, "pynvml")
        for name in dir(type(self)):
            if name.startswith("NVML_ERROR_"):
                setattr(self, name, getattr(type(self), name))

        class NVMLError(Exception):
            def __init__(self, value: int) -> None:
                super().__init__(value)
                self.value = value

        class NVMLLibraryMismatchError(Exception):
            pass

        self.NVMLError = NVMLError
        self.NVMLLibraryMismatchError = NVMLLibraryMismatchError

    def _fail(self, code: str) -> None:
        raise self.NVMLError(getattr(self, code))

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("nvml"):
            raise AttributeError(name)

        def call(*args: Any) -> Any:
            self.calls.append(name)
            return self._answer(name, *args)

        return call

    def _gpu(self, handle: Any) -> SmiGpu:
        return self.dump.gpus[int(handle)]

    def _answer(self, name: str, *args: Any) -> Any:
        if name == "nvmlInit":
            if self.init_error:
                self._fail(self.init_error)
            return None
        if name == "nvmlShutdown":
            return None
        if name == "nvmlSystemGetDriverVersion":
            return self.dump.driver
        if name == "nvmlSystemGetCudaDriverVersion_v2":
            major, minor = self.dump.cuda.split(".")
            return int(major) * 1000 + int(minor) * 10
        if name == "nvmlDeviceGetCount":
            return len(self.dump.gpus)
        if name == "nvmlDeviceGetHandleByIndex":
            index = int(args[0])
            if index in self.lost:
                self._fail("NVML_ERROR_GPU_IS_LOST")
            if index in self.no_permission:
                self._fail("NVML_ERROR_NO_PERMISSION")
            return index
        gpu = self._gpu(args[0])
        text_fields = {
            "nvmlDeviceGetName": "Product Name",
            "nvmlDeviceGetUUID": "GPU UUID",
            "nvmlDeviceGetSerial": "Serial Number",
        }
        if name in text_fields:
            value = gpu.get(text_fields[name])
            if value is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            return value
        if name == "nvmlDeviceGetPciInfo":
            raw = int(gpu.fields["PCI.Device Id"], 16)
            sub = int(gpu.fields["PCI.Sub System Id"], 16)
            return types.SimpleNamespace(
                busId=gpu.bus_id.encode(), pciDeviceId=raw, pciSubSystemId=sub
            )
        if name == "nvmlDeviceGetMemoryInfo":
            total = gpu.number("FB Memory Usage.Total")
            used = gpu.number("FB Memory Usage.Used")
            return types.SimpleNamespace(
                total=int((total or 0) * 2**20), used=int((used or 0) * 2**20)
            )
        if name == "nvmlDeviceGetCudaComputeCapability":
            return COMPUTE_CAPABILITY[gpu.device_id]
        if name in ("nvmlDeviceGetAttributes_v2", "nvmlDeviceGetAttributes"):
            self._fail("NVML_ERROR_NOT_SUPPORTED")  # only MIG device handles answer
        clock_fields = {
            "nvmlDeviceGetMaxClockInfo": "Max Clocks.SM",
            "nvmlDeviceGetClockInfo": "Clocks.SM",
            "nvmlDeviceGetMaxCustomerBoostClock": "Max Customer Boost Clocks.Graphics",
        }
        if name in clock_fields:
            value = gpu.number(clock_fields[name])
            if value is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            return int(value)  # type: ignore[arg-type]
        if name == "nvmlDeviceGetEnforcedPowerLimit":
            limit = _power_limit_w(gpu)
            if limit is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            return round(limit * 1000)  # type: ignore[operator]
        if name == "nvmlDeviceGetPowerUsage":
            draw = _power_draw_w(gpu)
            if draw is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            return round(draw * 1000)  # type: ignore[operator]
        link = "PCI.GPU Link Info"
        link_fields = {
            "nvmlDeviceGetCurrPcieLinkGeneration": f"{link}.PCIe Generation.Current",
            "nvmlDeviceGetMaxPcieLinkGeneration": f"{link}.PCIe Generation.Max",
            "nvmlDeviceGetCurrPcieLinkWidth": f"{link}.Link Width.Current",
            "nvmlDeviceGetMaxPcieLinkWidth": f"{link}.Link Width.Max",
        }
        if name in link_fields:
            value = gpu.number(link_fields[name])
            if value is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            return int(value)  # type: ignore[arg-type]
        if name in (
            "nvmlDeviceGetCurrentClocksEventReasons",
            "nvmlDeviceGetCurrentClocksThrottleReasons",
        ):
            return _reasons(gpu)
        if name == "nvmlDeviceGetMigMode":
            mode = gpu.get("MIG Mode.Current")
            if mode is None:
                self._fail("NVML_ERROR_NOT_SUPPORTED")
            pending = gpu.get("MIG Mode.Pending") or mode
            return (int(mode == "Enabled"), int(pending == "Enabled"))
        if name == "nvmlDeviceGetUtilizationRates":
            return types.SimpleNamespace(gpu=int(gpu.number("Utilization.Gpu") or 0))
        if name == "nvmlDeviceGetComputeRunningProcesses":
            if self.old_driver:
                raise self.NVMLLibraryMismatchError(
                    "Unversioned function called and the pyNVML version does not match the "
                    "NVML lib version."
                )
            return []
        if name in ("nvmlDeviceGetComputeRunningProcesses_v2",):
            return []
        raise AttributeError(name)

"""The one wrapper around every NVML call (``Get`` queries only) and the one parser of answers.

:func:`collect_nvml_answers` asks NVML live; a snapshot stores the same JSON as ``nvml.json``
(docs/snapshot.md); :func:`nvidia_facts_from_answers` parses either. A failure becomes
``{"error": "NVML_ERROR_..."}`` for the one field it hit. What is asked: data/nvml.toml.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import NvidiaFacts
from mfu_advisor.probe.pci import normalize_pci_address


def nvml_reason(error: str) -> str:
    """``"NVML_ERROR_NOT_SUPPORTED"`` -> ``"NVML: not supported on this GPU"``."""
    return "NVML: " + data_file("nvml.toml")["error_reasons"].get(error, error)


# -- live: asking NVML ---------------------------------------------------------------


def collect_nvml_answers() -> dict[str, Any]:
    """Ask NVML everything the probe uses; each failure is recorded, none raised."""
    try:
        import pynvml  # type: ignore[import-untyped]  # nvidia-ml-py ships no type hints
    except ImportError:
        return {"init": {"error": "NVML_ERROR_LIBRARY_NOT_FOUND"}}
    errors = error_names(pynvml)
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return {"init": {"error": errors.get(exc.value, f"NVML_ERROR_{exc.value}")}}
    try:
        answers: dict[str, Any] = {"init": "ok"}
        ask = _asker(pynvml, errors)
        answers["driver_version"] = ask(_driver_version)
        answers["cuda_driver_version"] = ask(_cuda_driver_version)
        count = ask(lambda nv: nv.nvmlDeviceGetCount())
        if not isinstance(count, int):
            answers["device_count"] = count
        answers["devices"] = [
            _device_answers(ask, index) for index in range(count if isinstance(count, int) else 0)
        ]
        return answers
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def error_names(pynvml: Any) -> dict[int, str]:
    """pynvml's NVML_ERROR_* codes -> their names (the first name wins for a shared code)."""
    names = reversed(dir(pynvml))
    return {getattr(pynvml, name): name for name in names if name.startswith("NVML_ERROR_")}


def _asker(nv: Any, errors: dict[int, str]) -> Callable[..., Any]:
    """Calls one getter and turns any NVML failure into ``{"error": NAME}``."""
    # NVMLLibraryMismatchError (not an NVMLError): an unversioned call missing from an
    # older driver's NVML; AttributeError: an nvidia-ml-py too old to have the function.
    missing_call: tuple[type[BaseException], ...] = (*_library_mismatch(nv), AttributeError)

    def ask(getter: Callable[..., Any], *args: Any) -> Any:
        try:
            return getter(nv, *args)
        except nv.NVMLError as exc:
            return {"error": errors.get(exc.value, f"NVML_ERROR_{exc.value}")}
        except missing_call:
            return {"error": "NVML_ERROR_FUNCTION_NOT_FOUND"}

    return ask


def _library_mismatch(nv: Any) -> tuple[type[BaseException], ...]:
    """pynvml's NVMLLibraryMismatchError (nvidia-ml-py 12+), or nothing to catch."""
    found = getattr(nv, "NVMLLibraryMismatchError", None)
    return (found,) if isinstance(found, type) and issubclass(found, BaseException) else ()


def _first_of(nv: Any, names: tuple[str, ...], *args: Any) -> Any:
    """Call the first of ``names`` this binding and driver provide (newest first)."""
    last: BaseException | None = None
    for name in names:
        function = getattr(nv, name, None)
        if function is None:
            continue
        try:
            return function(*args)
        except _library_mismatch(nv) as exc:
            last = exc
            continue
        except nv.NVMLError as exc:
            missing_call = (
                nv.NVML_ERROR_FUNCTION_NOT_FOUND,
                getattr(nv, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH", 25),
            )
            if exc.value not in missing_call:
                raise
            last = exc
    if last is not None:
        raise last
    raise AttributeError(names[0])


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _driver_version(nv: Any) -> str:
    """nvidia-smi --query-gpu=driver_version"""
    return _text(nv.nvmlSystemGetDriverVersion())


def _cuda_driver_version(nv: Any) -> int:
    """CUDA version the driver supports, 1000*major + 10*minor (nvidia-smi's "CUDA Version")."""
    return int(
        _first_of(nv, ("nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"))
    )


def _device_answers(ask: Callable[..., Any], index: int) -> dict[str, Any]:
    handle = ask(lambda nv: nv.nvmlDeviceGetHandleByIndex(index))
    if isinstance(handle, dict) and "error" in handle:
        return {"index": index, "error": handle["error"]}
    device: dict[str, Any] = {"index": index}
    pci = ask(lambda nv: nv.nvmlDeviceGetPciInfo(handle))
    if isinstance(pci, dict):
        device["pci_bus_id"] = pci
        device["pci_device_id"] = pci
    else:
        device["pci_bus_id"] = _text(pci.busId)  # nvidia-smi --query-gpu=pci.bus_id
        device["pci_device_id"] = int(pci.pciDeviceId)
    for field, getter in device_getters().items():
        device[field] = ask(getter, handle)
    return device


def _query(
    *functions: str,
    smi: str,
    convert: Callable[[Any], Any] = int,
    extra: tuple[Any, ...] = (),
) -> Callable[[Any, Any], Any]:
    """A device getter: the first of ``functions`` there is, its answer made plain."""

    def ask(nv: Any, handle: Any) -> Any:
        return convert(_first_of(nv, functions, handle, *extra))

    ask.__doc__ = f"nvidia-smi {smi}"
    return ask


def _processes(processes: Any) -> list[dict[str, Any]]:
    return [
        {
            "pid": int(p.pid),
            # None when the driver cannot attribute memory (e.g. inside a container).
            "used_memory_bytes": int(p.usedGpuMemory) if p.usedGpuMemory is not None else None,
        }
        for p in processes
    ]


def _attribute(name: str, answer: Any) -> int:
    return int(getattr(answer, name))


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "pair": lambda pair: [int(pair[0]), int(pair[1])],
    "processes": _processes,
}


@functools.cache
def device_getters() -> dict[str, Callable[[Any, Any], Any]]:
    """nvml.json device field -> its getter, in nvml.json order (nvml.toml [[device_field]])."""
    getters = {}
    for row in data_file("nvml.toml")["device_field"]:
        convert = _CONVERTERS.get(row.get("convert", ""), int)
        if "attribute" in row:
            convert = functools.partial(_attribute, row["attribute"])
        extra = (row["clock"],) if "clock" in row else ()
        getters[row["field"]] = _query(
            *row["functions"], smi=row["smi"], convert=convert, extra=extra
        )
    return getters


# -- both: parsing the answers -------------------------------------------------------


class NvmlDevice(NamedTuple):
    """One device NVML listed: where it sits on the bus, and its facts or why none."""

    nvml_index: int
    """NVML's device index (``index`` would shadow ``tuple.index``)."""
    pci_bus_id: str | None
    """Normalized like sysfs ("0000:01:00.0"); None when NVML could not say."""
    pci_device_id: int | None
    """The 16-bit PCI device ID, when NVML gave it."""
    facts: NvidiaFacts | Unavailable


#: NVML reports clock event reasons as an unsigned long long.
CLOCK_EVENT_MASK_BITS = 64


def decode_clock_event_reasons(mask: int) -> tuple[str, ...]:
    """Bitmask -> reason words (nvml.toml); unknown bits as "bit_0x...", 64 bits at most."""
    mask &= (1 << CLOCK_EVENT_MASK_BITS) - 1
    reasons = [
        (int(bit, 16), name) for bit, name in data_file("nvml.toml")["clock_event_reasons"].items()
    ]
    words = [name for bit, name in reasons if mask & bit]
    rest = functools.reduce(lambda left, bit: left & ~bit, (bit for bit, _ in reasons), mask)
    words += [f"bit_0x{1 << i:x}" for i in range(CLOCK_EVENT_MASK_BITS) if rest >> i & 1]
    return tuple(words)


def cuda_version_text(version: int) -> str:
    """12040 -> "12.4" (NVML encodes 1000*major + 10*minor)."""
    return f"{version // 1000}.{(version % 1000) // 10}"


class _Fields:
    """Typed access to one answer object; a missing or wrong value becomes a reason."""

    def __init__(self, data: Mapping[str, Any], where: str, warnings: list[str]) -> None:
        self.data = data
        self.where = where
        self.warnings = warnings

    def raw(self, key: str) -> Any | Unavailable:
        if key not in self.data:
            return Unavailable(f"NVML: {key} not recorded")
        value = self.data[key]
        if isinstance(value, Mapping) and "error" in value:
            return Unavailable(nvml_reason(str(value["error"])))
        return value

    def _bad(self, key: str, value: Any) -> Unavailable:
        reason = f"{self.where}: {key} is malformed ({value!r:.40})"
        self.warnings.append(reason)
        return Unavailable(reason)

    def _typed(self, key: str, fits: Callable[[Any], bool]) -> Any:
        value = self.raw(key)
        return value if isinstance(value, Unavailable) or fits(value) else self._bad(key, value)

    def integer(self, key: str) -> Maybe[int]:
        value = self._typed(key, _is_int)
        bounds = data_file("nvml.toml")["plausible"].get(key)
        if isinstance(value, int) and bounds is not None and not bounds[0] <= value <= bounds[1]:
            reason = (
                f"{self.where}: {key} = {value!r:.40} is outside the plausible range "
                f"{bounds[0]}..{bounds[1]}"
            )
            self.warnings.append(reason)
            return Unavailable(reason)
        return value  # type: ignore[no-any-return]

    def text(self, key: str) -> Maybe[str]:
        return self._typed(key, lambda value: isinstance(value, str))  # type: ignore[no-any-return]

    def int_list(self, key: str, length: int) -> Maybe[list[int]]:
        def fits(value: Any) -> bool:
            return isinstance(value, list) and len(value) == length and all(map(_is_int, value))

        return self._typed(key, fits)  # type: ignore[no-any-return]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def nvidia_facts_from_answers(
    answers: Any, own_pid: int | None = None, warnings: list[str] | None = None
) -> tuple[tuple[NvmlDevice, ...], Maybe[str]]:
    """NVML answers (live or from nvml.json) -> devices and NVML's status."""
    notes = warnings if warnings is not None else []
    if isinstance(answers, Unavailable):
        return (), answers
    if not isinstance(answers, Mapping) or "init" not in answers:
        reason = "NVML answers are malformed (no 'init' field)"
        notes.append(reason)
        return (), Unavailable(reason)
    top = _Fields(answers, "nvml", notes)
    init = answers["init"]
    if init != "ok":
        if isinstance(init, Mapping) and "error" in init:
            return (), Unavailable(nvml_reason(str(init["error"])))
        reason = f"NVML answers are malformed (init is {init!r:.40})"
        notes.append(reason)
        return (), Unavailable(reason)
    driver = top.text("driver_version")
    cuda_raw = top.integer("cuda_driver_version")
    cuda: Maybe[str] = cuda_version_text(cuda_raw) if isinstance(cuda_raw, int) else cuda_raw
    devices_raw = answers.get("devices", [])
    if not isinstance(devices_raw, list):
        notes.append("NVML answers are malformed ('devices' is not a list)")
        devices_raw = []
    devices: list[NvmlDevice] = []
    for position, raw in enumerate(devices_raw):
        if not isinstance(raw, Mapping):
            notes.append(f"NVML device {position} is malformed")
            continue
        devices.append(_device_from_answers(raw, position, driver, cuda, own_pid, notes))
    status: Maybe[str] = driver if isinstance(driver, str) else "answered (driver version unknown)"
    return tuple(devices), status


def _device_from_answers(
    raw: Mapping[str, Any],
    position: int,
    driver: Maybe[str],
    cuda: Maybe[str],
    own_pid: int | None,
    warnings: list[str],
) -> NvmlDevice:
    index = raw.get("index", position)
    index = index if isinstance(index, int) and not isinstance(index, bool) else position
    f = _Fields(raw, f"nvml device {index}", warnings)
    bus = f.text("pci_bus_id")
    bus_id = normalize_pci_address(bus) if isinstance(bus, str) else None
    pci_id = f.integer("pci_device_id")
    device_id = (pci_id >> 16) & 0xFFFF if isinstance(pci_id, int) else None
    if "error" in raw:
        return NvmlDevice(index, bus_id, device_id, Unavailable(nvml_reason(str(raw["error"]))))
    cc = f.int_list("cuda_compute_capability", 2)
    mig = f.int_list("mig_mode", 2)
    reasons = f.integer("clock_event_reasons")
    limit = f.integer("power_limit_mw")
    draw = f.integer("power_usage_mw")
    facts = NvidiaFacts(
        index=index,
        name=f.text("name"),
        uuid=f.text("uuid"),
        serial=f.text("serial"),
        memory_total_bytes=f.integer("memory_total_bytes"),
        memory_used_bytes=f.integer("memory_used_bytes"),
        compute_capability=f"{cc[0]}.{cc[1]}" if isinstance(cc, list) else cc,
        sm_count=f.integer("multiprocessor_count"),
        sm_clock_max_mhz=f.integer("max_sm_clock_mhz"),
        sm_clock_boost_mhz=f.integer("max_customer_boost_clock_mhz"),
        sm_clock_mhz=f.integer("sm_clock_mhz"),
        power_limit_w=limit / 1000.0 if isinstance(limit, int) else limit,
        power_draw_w=draw / 1000.0 if isinstance(draw, int) else draw,
        pcie_gen=f.integer("pcie_gen"),
        pcie_gen_max=f.integer("pcie_gen_max"),
        pcie_width=f.integer("pcie_width"),
        pcie_width_max=f.integer("pcie_width_max"),
        clock_event_reasons=(
            decode_clock_event_reasons(reasons) if isinstance(reasons, int) else reasons
        ),
        mig_mode=bool(mig[0]) if isinstance(mig, list) else mig,
        utilization_gpu_percent=f.integer("utilization_gpu_percent"),
        other_processes=_other_processes(f, own_pid),
        driver_version=driver,
        cuda_driver_version=cuda,
    )
    return NvmlDevice(index, bus_id, device_id, facts)


def _other_processes(f: _Fields, own_pid: int | None) -> Maybe[int]:
    value = f.raw("compute_processes")
    if isinstance(value, Unavailable):
        return value
    if not isinstance(value, list):
        return f._bad("compute_processes", value)
    pids = [p.get("pid") for p in value if isinstance(p, Mapping)]
    return sum(1 for pid in pids if pid != own_pid)

"""The PyTorch build in this environment: asked live, recorded as ``torch.json``, parsed once."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import sysconfig
import warnings as warnings_module
from collections.abc import Mapping
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import TorchDevice, TorchFacts
from mfu_advisor.probe.pci import normalize_pci_address
from mfu_advisor.torch_import import import_error_text

#: Compilers inductor's CPU backend may use: ``$CXX``, then these (torch/_inductor/config.py
#: ``cpp.cxx`` defaults to g++ on Linux and clang++ on macOS).
CXX_CANDIDATES: tuple[str, ...] = ("g++", "c++", "clang++")


# -- live ----------------------------------------------------------------------------


def collect_torch_answers() -> dict[str, Any]:
    """Import torch and ask it about the build and the devices it sees (seconds)."""
    try:
        import torch
    except Exception as exc:  # a broken install raises anything from OSError to RuntimeError
        return {"error": f"import torch failed: {import_error_text(exc)}"}
    answers: dict[str, Any] = {
        "version": str(torch.__version__),
        "cuda_version": torch.version.cuda,
        "hip_version": torch.version.hip,
        "xpu_version": getattr(torch.version, "xpu", None),
        "num_threads": int(torch.get_num_threads()),
    }
    answers["config"] = _ask(lambda: str(torch.__config__.show()))
    answers["cpu_capability"] = _ask(lambda: str(torch.backends.cpu.get_cpu_capability()))
    devices: list[dict[str, Any]] = [{"device": "cpu", "name": "cpu"}]
    notes: list[str] = []
    if torch.version.cuda or torch.version.hip:
        devices += _cuda_devices(torch, notes)
        answers["arch_list"] = _ask(lambda: list(torch.cuda.get_arch_list()))
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and getattr(torch.version, "xpu", None):
        devices += _xpu_devices(xpu, notes)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        built, available = bool(mps.is_built()), bool(mps.is_available())
        answers["mps"] = {"built": built, "available": available}
        if available:
            devices.append({"device": "mps", "name": "Apple GPU (Metal)"})
    answers["devices"] = devices
    answers["accelerator_note"] = " ".join(notes)
    return answers


def _ask(question: Any) -> Any:
    try:
        return question()
    except (RuntimeError, AttributeError, AssertionError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _cuda_devices(torch: Any, notes: list[str]) -> list[dict[str, Any]]:
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        available = _ask(torch.cuda.is_available)
    if available is not True:
        said = "; ".join(str(w.message).strip() for w in caught)
        notes.append(
            "torch.cuda.is_available() is False" + (f": {said}" if said else "")
            if available is False
            else f"torch.cuda.is_available() failed: {available}"
        )
        return []
    devices = []
    for index in range(torch.cuda.device_count()):
        props = _ask(lambda i=index: torch.cuda.get_device_properties(i))
        if isinstance(props, dict):
            notes.append(f"cuda:{index}: {props['error']}")
            continue
        devices.append(
            {
                "device": f"cuda:{index}",
                "name": str(props.name),
                "pci_bus_id": props_bus_id(props),
                "compute_capability": (
                    str(props.gcnArchName)
                    if torch.version.hip and hasattr(props, "gcnArchName")
                    else f"{props.major}.{props.minor}"
                ),
                "multiprocessor_count": int(props.multi_processor_count),
                "total_memory_bytes": int(props.total_memory),
            }
        )
    return devices


def props_bus_id(props: Any) -> str | None:
    """ "0000:01:00.0" from torch device properties; None when torch gives no PCI location."""
    # torch >= 2.4 exposes the PCI location of a CUDA device (torch/csrc/cuda/Module.cpp).
    domain, bus, device = (
        getattr(props, k, None) for k in ("pci_domain_id", "pci_bus_id", "pci_device_id")
    )
    if not all(isinstance(v, int) for v in (domain, bus, device)):
        return None
    return f"{domain:04x}:{bus:02x}:{device:02x}.0"


def _xpu_devices(xpu: Any, notes: list[str]) -> list[dict[str, Any]]:
    available = _ask(xpu.is_available)
    if available is not True:
        notes.append("torch.xpu.is_available() is False (Intel GPU driver / level-zero missing?)")
        return []
    return [
        {"device": f"xpu:{i}", "name": str(_ask(lambda i=i: xpu.get_device_name(i)))}
        for i in range(xpu.device_count())
    ]


def compile_answers() -> dict[str, Any]:
    """What torch.compile needs, found by looking (``shutil.which``, ``find_spec``)."""
    cxx_env = os.environ.get("CXX")
    candidates = ((cxx_env,) if cxx_env else ()) + CXX_CANDIDATES
    compiler = next((path for c in candidates if (path := shutil.which(c))), None)
    include = sysconfig.get_paths().get("include", "")
    return {
        "cxx_compiler": compiler,
        "python_headers": bool(include) and os.path.isfile(os.path.join(include, "Python.h")),
        "triton": importlib.util.find_spec("triton") is not None,
        "platform": sys.platform,
    }


# -- both: parsing -------------------------------------------------------------------


def flavour_of(answers: Mapping[str, Any]) -> str:
    """ "cuda", "rocm", "xpu", "mps" or "cpu", from the version fields and MPS answers."""
    for key, flavour in (("cuda_version", "cuda"), ("hip_version", "rocm"), ("xpu_version", "xpu")):
        if answers.get(key):
            return flavour
    mps = answers.get("mps")
    if isinstance(mps, Mapping) and mps.get("built") and mps.get("available"):
        return "mps"
    return "cpu"


def blas_from_config(config: str) -> Maybe[str]:
    """The BLAS library torch was built with, from ``torch.__config__.show()`` text."""
    match = re.search(r"BLAS_INFO=([A-Za-z0-9_]+)", config)
    if match is None:
        return Unavailable("torch.__config__.show() names no BLAS_INFO")
    key = match.group(1).lower()
    name = data_file("torch.toml")["blas_names"].get(key, key)
    version = re.search(r"Math Kernel Library Version ([0-9.]+)", config)
    if key == "mkl" and version:
        name = f"{name} {version.group(1)}"
    return name


def onednn_from_config(config: str) -> Maybe[str]:
    """oneDNN (formerly MKL-DNN) version torch was built with, e.g. "3.12.0"."""
    match = re.search(r"(?:MKL-DNN|oneDNN)\s+v([0-9][0-9.]*)", config)
    if match:
        return match.group(1)
    if "USE_MKLDNN=OFF" in config or "USE_MKLDNN=0" in config:
        return Unavailable("torch was built without oneDNN")
    return Unavailable("torch.__config__.show() names no oneDNN version")


def torch_facts_from_answers(
    answers: Any, source: str, warnings: list[str]
) -> TorchFacts | Unavailable:
    """Torch answers (live or from torch.json) -> :class:`TorchFacts`, or why there are none."""
    if isinstance(answers, Unavailable):
        return answers
    if not isinstance(answers, Mapping):
        reason = "torch answers are malformed (not an object)"
        warnings.append(reason)
        return Unavailable(reason)
    if "error" in answers:
        return Unavailable(str(answers["error"]))
    version = answers.get("version")
    threads = answers.get("num_threads")
    if not isinstance(version, str) or not isinstance(threads, int) or isinstance(threads, bool):
        reason = "torch answers are malformed (no version or num_threads)"
        warnings.append(reason)
        return Unavailable(reason)
    config = answers.get("config")
    if isinstance(config, str):
        blas, onednn = blas_from_config(config), onednn_from_config(config)
    else:
        blas = onednn = Unavailable(f"torch.__config__.show() failed: {_error_of(config)}")
    capability = answers.get("cpu_capability")
    devices = _devices(answers.get("devices"), warnings)
    flavour = flavour_of(answers)
    ready, note = compile_readiness(answers.get("compile"), flavour, devices)
    return TorchFacts(
        version=version,
        flavour=flavour,
        cuda_version=_str_or_none(answers.get("cuda_version")),
        hip_version=_str_or_none(answers.get("hip_version")),
        devices=tuple(d.device for d in devices),
        blas=blas,
        onednn=onednn,
        cpu_capability=(
            capability
            if isinstance(capability, str)
            else Unavailable(f"get_cpu_capability() failed: {_error_of(capability)}")
        ),
        num_threads=threads,
        compile_ready=ready,
        compile_note=note,
        device_details=devices,
        accelerator_note=str(answers.get("accelerator_note") or ""),
        answers_source=source,
    )


def _error_of(value: Any) -> str:
    if isinstance(value, Mapping) and "error" in value:
        return str(value["error"])
    return "no answer recorded"


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None


def _devices(raw: Any, warnings: list[str]) -> tuple[TorchDevice, ...]:
    if not isinstance(raw, list):
        return (TorchDevice("cpu", "cpu"),)
    devices: list[TorchDevice] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("device"), str):
            warnings.append(f"torch answers: malformed device entry {item!r:.60}")
            continue
        bus = item.get("pci_bus_id")
        sms = _plausible(item, "multiprocessor_count", 1, 1024, warnings)
        memory = _plausible(item, "total_memory_bytes", 1, 2**44, warnings)
        devices.append(
            TorchDevice(
                device=item["device"],
                name=str(item.get("name", item["device"])),
                pci_bus_id=normalize_pci_address(bus) if isinstance(bus, str) else None,
                compute_capability=_str_or_none(item.get("compute_capability")),
                multiprocessor_count=sms if isinstance(sms, int) else None,
                total_memory_bytes=memory if isinstance(memory, int) else None,
            )
        )
    return tuple(devices)


def _plausible(
    item: Mapping[str, Any], key: str, low: int, high: int, warnings: list[str]
) -> int | None:
    """An integer answer within [low, high]; else None, with a warning for a bad value."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        warnings.append(
            f"torch answers: {item.get('device')} {key} = {value!r:.40} is outside the "
            f"plausible range {low}..{high}"
        )
        return None
    return value


def compile_readiness(
    raw: Any, flavour: str, devices: tuple[TorchDevice, ...]
) -> tuple[Maybe[bool], str]:
    """Whether torch.compile can work here, and a sentence saying what it found."""
    if not isinstance(raw, Mapping):
        return Unavailable("compile prerequisites were not checked"), "not checked"
    compiler = raw.get("cxx_compiler")
    headers = bool(raw.get("python_headers"))
    triton = bool(raw.get("triton"))
    parts = [
        f"C++ compiler for inductor on CPU: {compiler}"
        if compiler
        else "no C++ compiler on PATH (inductor's CPU backend needs g++ or clang++)",
        "Python headers: found"
        if headers
        else "Python headers (Python.h) missing (install python3-dev)",
    ]
    ready = bool(compiler) and headers
    gpu = any(d.device.startswith("cuda") for d in devices)
    if gpu:
        parts.append(
            "triton: importable" if triton else "triton not importable (inductor needs it on GPUs)"
        )
        ready = ready and triton
    elif flavour in ("cuda", "rocm"):
        parts.append("no GPU visible to torch, so only the CPU backend applies")
    return ready, "; ".join(parts)

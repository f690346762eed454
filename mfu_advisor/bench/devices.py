"""Everything that differs between devices: choosing one, synchronizing, precision, optimizer
(by device type as a string, so the GPU paths are tested on a CPU with fakes)."""

from __future__ import annotations

import contextlib
import inspect
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfu_advisor.errors import UserError
from mfu_advisor.mfu import PEAK_DTYPE_KEYS


@dataclass(frozen=True)
class DeviceChoice:
    """The device a run uses, as torch names it."""

    device: str
    """"cpu", "cuda:0", "mps", "xpu:0"."""
    device_type: str
    """"cpu", "cuda" (also ROCm), "mps" or "xpu": torch.autocast's device_type."""
    index: int
    """Ordinal among the devices of this type (0 for cpu and mps)."""
    name: str
    """The CPU's model name or the accelerator's name."""
    memory_bytes: int | None
    """Total accelerator memory; available system RAM for the CPU; None if unknown."""


def _accelerator(torch: Any, kind: str) -> Any:
    """torch's module for an accelerator kind (torch.cuda, torch.xpu, torch.mps), None when
    this build cannot use one."""
    available = getattr(torch.backends if kind == "mps" else torch, kind, None)
    return getattr(torch, kind) if available is not None and available.is_available() else None


def visible_devices() -> list[str]:
    """Devices this torch build can use, e.g. ["cpu", "cuda:0", "cuda:1"]."""
    import torch

    found = ["cpu"]
    for kind in ("cuda", "xpu"):
        module = _accelerator(torch, kind)
        found += [f"{kind}:{i}" for i in range(module.device_count())] if module else []
    return found + (["mps"] if _accelerator(torch, "mps") else [])


def resolve_device(requested: str | None) -> DeviceChoice:
    """The device for ``requested`` ("auto"/None: the first accelerator, else the CPU);
    UserError naming what was found for a device this machine does not have."""
    import torch

    wanted = (requested or "auto").strip().lower()
    if wanted == "auto":
        devices = visible_devices()
        wanted = devices[1] if len(devices) > 1 else "cpu"
    kind, _, index_text = wanted.partition(":")
    if kind not in ("cpu", "cuda", "mps", "xpu"):
        raise UserError(f"unknown device {requested!r}; use cpu, cuda, cuda:N, mps, xpu or auto")
    try:
        index = int(index_text) if index_text else 0
    except ValueError:
        raise UserError(f"cannot read device {requested!r}; write e.g. cuda:0") from None
    if kind == "cpu":
        return DeviceChoice("cpu", "cpu", 0, cpu_model_name(), _available_ram_bytes())
    found = f"devices: {', '.join(visible_devices())}"
    module = _accelerator(torch, kind)
    if kind == "cuda" and module is None:
        hip = getattr(torch.version, "hip", None)
        if not torch.version.cuda and not hip:
            raise UserError(
                f"CUDA requested but this torch build is CPU-only ({torch.__version__}); {found}"
            )
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else f"ROCm/HIP {hip}"
        raise UserError(
            f"CUDA requested but torch {torch.__version__} ({build}) sees no GPU "
            f"(is the NVIDIA driver loaded, or CUDA_VISIBLE_DEVICES empty?); {found}"
        )
    if kind == "mps" and module is not None:
        return DeviceChoice("mps", "mps", 0, "Apple GPU (MPS)", None)
    count = module.device_count() if module is not None else 0
    if kind == "cuda" and index >= count:
        raise UserError(
            f"{requested or wanted} requested but there are {count} CUDA devices; {found}"
        )
    if index >= count:
        names = {"mps": "MPS (Apple GPU)", "xpu": "XPU (Intel GPU)"}
        what = names[kind] if module is None else f"{kind}:{index}"
        raise UserError(
            f"{what} requested but torch {torch.__version__} cannot use one here; "
            f"{found} (asked for {kind})"
        )
    props = module.get_device_properties(index)
    memory = int(getattr(props, "total_memory", 0)) or None
    return DeviceChoice(f"{kind}:{index}", kind, index, str(props.name), memory)


def cpu_model_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux) or platform, for labels only."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware")) and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def _available_ram_bytes() -> int | None:
    try:
        import psutil  # type: ignore[import-untyped]  # optional; no stubs installed

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):
        return None


def make_synchronize(device_type: str, index: int = 0) -> Callable[[], None]:
    """A function that waits until queued work on the device has finished (read the clock
    after it: accelerator kernels run asynchronously). A no-op on the CPU."""
    if device_type == "cpu":
        return lambda: None
    import torch

    module = getattr(torch, device_type)
    if device_type == "mps":
        return lambda: module.synchronize()
    return lambda: module.synchronize(index)


def autocast_context(device_type: str, dtype: str) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision as nanoGPT does it: float32 runs plain, the others under autocast."""
    import torch

    if dtype == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, dtype=getattr(torch, dtype))


def make_grad_scaler(device_type: str, dtype: str) -> Any:
    """A GradScaler, enabled only for float16 (bf16 has float32's range and needs none)."""
    import torch

    enabled = dtype == "float16"
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        try:
            return amp.GradScaler(device_type, enabled=enabled)
        except (TypeError, RuntimeError):  # torch < 2.3 has no device argument / CPU scaler
            pass
    return torch.cuda.amp.GradScaler(enabled=enabled and device_type == "cuda")


@contextlib.contextmanager
def tf32_setting(device_type: str, enabled: bool) -> Iterator[None]:
    """Allow (or forbid) TF32 for float32 matmuls and cuDNN on CUDA, then restore; through
    torch 2.9+'s ``fp32_precision`` where it exists (then reading ``allow_tf32`` raises)."""
    import torch

    if device_type != "cuda":
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    conv = getattr(cudnn, "conv", None)
    value: str | bool
    if hasattr(matmul, "fp32_precision") and conv is not None:
        objects, name, value = (matmul, conv), "fp32_precision", "tf32" if enabled else "ieee"
    else:
        objects, name, value = (matmul, cudnn), "allow_tf32", enabled
    before = [getattr(target, name) for target in objects]
    for target in objects:
        setattr(target, name, value)
    try:
        yield
    finally:
        for target, old in zip(objects, before, strict=True):
            setattr(target, name, old)


#: ROCm GPU architectures with native bf16 matrix math: CDNA 2 (gfx90a, MI200),
#: CDNA 3 (gfx94x, MI300) and later, RDNA 3/4 (gfx11, gfx12: WMMA). From the AMD
#: CDNA 2/3 and RDNA 3 ISA guides.
ROCM_BF16_ARCH_PREFIXES: tuple[str, ...] = ("gfx90a", "gfx94", "gfx95", "gfx11", "gfx12")


def native_bf16(device_type: str, index: int) -> bool:
    """Whether bf16 matmuls run natively (then bf16 is the default): CUDA compute capability
    8.0+ (NVIDIA A100 whitepaper; is_bf16_supported() says True for a T4's emulation)."""
    if device_type != "cuda":
        return True
    import torch

    if getattr(torch.version, "hip", None):
        arch = str(getattr(torch.cuda.get_device_properties(index), "gcnArchName", ""))
        return arch.startswith(ROCM_BF16_ARCH_PREFIXES)
    return tuple(torch.cuda.get_device_capability(index)) >= (8, 0)


def peak_dtype_key(device_type: str, dtype: str, tf32: bool) -> str:
    """The probe's dtype name for the matmuls this run does: fp32, tf32, bf16 or fp16."""
    key = PEAK_DTYPE_KEYS.get(dtype, "fp32")
    return "tf32" if key == "fp32" and device_type == "cuda" and tf32 else key


def make_optimizer(
    model: Any,
    impl: str,
    device_type: str,
    *,
    learning_rate: float = 6e-4,
    weight_decay: float = 0.1,
    betas: tuple[float, float] = (0.9, 0.95),
) -> tuple[Any, str]:
    """(AdamW as nanoGPT's ``configure_optimizers`` makes it, the implementation used);
    "auto" is fused on CUDA, a for-loop elsewhere."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    fused_supported = "fused" in inspect.signature(torch.optim.AdamW).parameters
    chosen = impl
    if impl == "auto":
        chosen = "fused" if device_type == "cuda" and fused_supported else "forloop"
    if chosen == "fused" and not fused_supported:
        raise UserError(f"--adamw_impl=fused needs torch >= 2.0; this is {torch.__version__}")
    kwargs = {"fused": True} if chosen == "fused" else {"foreach": chosen == "foreach"}
    try:
        optimizer = torch.optim.AdamW(groups, lr=learning_rate, betas=betas, **kwargs)
    except RuntimeError as exc:
        raise UserError(f"AdamW {chosen} is not supported on {device_type} here: {exc}") from None
    return optimizer, chosen


def reset_peak_memory(device_type: str, index: int) -> None:
    """Start counting peak accelerator memory from now (no-op on the CPU)."""
    import torch

    if device_type == "cuda":
        torch.cuda.reset_peak_memory_stats(index)


def peak_memory(device_type: str, index: int) -> tuple[int | None, str]:
    """Peak memory of the run in bytes, and what was measured."""
    import torch

    if device_type == "mps":
        return int(torch.mps.driver_allocated_memory()), "torch.mps.driver_allocated_memory"
    if device_type in ("cuda", "xpu"):
        call = getattr(torch, device_type).max_memory_allocated
        return int(call(index)), f"torch.{device_type}.max_memory_allocated"
    try:
        import resource
    except ImportError:  # Windows
        peak = None
    else:  # Linux reports KiB, macOS bytes (getrusage(2) on each)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = int(peak if platform.system() == "Darwin" else peak * 1024)
    return peak, "process peak resident set size (whole process, torch included)"


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's out-of-memory errors on any device, including the CPU allocator's."""
    import torch

    oom_type = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    if isinstance(exc, oom_type):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )

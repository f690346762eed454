"""The hardware probe: what CPU, GPUs and torch build this machine has, and their peaks."""

from __future__ import annotations

import os
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.facts import (
    GpuFacts,
    HardwareFacts,
    TorchFacts,
    TorchSupport,
)
from mfu_advisor.probe.sources import MachineRoot

#: PCI vendors whose display function means NVML is worth asking: NVIDIA, and
#: Microsoft's Hyper-V adapter, behind which WSL2 exposes NVIDIA GPUs.
NVML_WORTHY_VENDORS = frozenset({0x10DE, 0x1414})


def probe_machine(
    root: MachineRoot | None = None, *, include_torch: bool = True, fresh_torch: bool = False
) -> HardwareFacts:
    """Everything the probe can tell about a machine (None = the live one)."""
    machine = root if root is not None else MachineRoot.live()
    warnings: list[str] = []
    read = _read_darwin if machine.os_name == "Darwin" else _read_linux_or_other
    host, cpu, memory, gpus, nvml, torch = read(machine, include_torch, fresh_torch, warnings)
    return HardwareFacts(
        machine.label, host, cpu, memory, gpus, nvml, torch, tuple(dict.fromkeys(warnings))
    )


def _read_linux_or_other(
    root: MachineRoot, include_torch: bool, fresh_torch: bool, warnings: list[str]
) -> tuple[Any, ...]:
    from mfu_advisor.probe.cgroup import read_cgroup_limits
    from mfu_advisor.probe.cpu import read_linux_cpu
    from mfu_advisor.probe.gpus import assemble_gpus
    from mfu_advisor.probe.host import read_host
    from mfu_advisor.probe.memory import memory_facts
    from mfu_advisor.probe.pci import read_display_functions
    from mfu_advisor.probe.pci_ids import DISPLAY_CLASSES

    host = read_host(root)
    if root.os_name == "Linux":
        limits = read_cgroup_limits(root, warnings)
        cpu = read_linux_cpu(root, limits, warnings)
        memory = memory_facts(root, limits.memory_limit_bytes, warnings)
        listed = read_display_functions(root, DISPLAY_CLASSES, warnings)
    else:
        from mfu_advisor.probe.cpu_fallback import collect_fallback_answers, fallback_cpu

        cpu, memory = fallback_cpu(root.answers("cpuinfo", collect_fallback_answers), warnings)
        listed = Unavailable(f"PCI devices are not enumerated on {root.os_name}")
    functions = listed.functions if not isinstance(listed, Unavailable) else ()
    ask_nvml = (
        isinstance(listed, Unavailable)
        or any(f.vendor_id in NVML_WORTHY_VENDORS for f in functions)
        or bool(NVML_WORTHY_VENDORS & listed.unclassified_vendor_ids)
    )
    if ask_nvml:
        from mfu_advisor.probe.nvml import collect_nvml_answers, nvidia_facts_from_answers

        own_pid = os.getpid() if root.is_live else None
        answers = root.answers("nvml", collect_nvml_answers)
        nvml_devices, nvml_status = nvidia_facts_from_answers(answers, own_pid, warnings)
    else:
        nvml_devices, nvml_status = (), Unavailable("not asked: no NVIDIA GPU on the PCI bus")
    inventory = {
        "pci": [[f.address, f.vendor_id, f.device_id, f.driver] for f in functions],
        "nvml": nvml_status if isinstance(nvml_status, str) else None,
        "nvml_devices": [
            [d.nvml_index, d.pci_bus_id, getattr(d.facts, "uuid", None)] for d in nvml_devices
        ],
    }
    torch = _torch_facts(root, include_torch, fresh_torch, inventory, warnings)
    gpus = assemble_gpus(root, functions, nvml_devices, nvml_status, torch, cpu.model)
    return host, cpu, memory, gpus, nvml_status, torch


def _read_darwin(
    root: MachineRoot, include_torch: bool, fresh_torch: bool, warnings: list[str]
) -> tuple[Any, ...]:
    from mfu_advisor.probe.darwin import (
        apple_gpu,
        darwin_cpu,
        darwin_host,
        darwin_memory,
        read_sysctl,
    )

    values = read_sysctl(root)
    cpu = darwin_cpu(values, warnings)
    torch = _torch_facts(root, include_torch, fresh_torch, {"os": "Darwin"}, warnings)
    gpu = apple_gpu(root, values, _mps_support(torch))
    gpus: tuple[GpuFacts, ...] = (gpu,) if gpu is not None else ()
    nvml = Unavailable("NVML does not exist on macOS")
    return darwin_host(root, values), cpu, darwin_memory(values), gpus, nvml, torch


def _mps_support(torch: Maybe[TorchFacts]) -> TorchSupport:
    if isinstance(torch, Unavailable):
        return TorchSupport(Unavailable(f"torch not asked: {torch.reason}"), "mps", "unknown")
    if "mps" in torch.devices:
        return TorchSupport(True, "mps", "torch sees it as mps (Metal Performance Shaders)")
    return TorchSupport(
        False, None, "this torch build cannot use MPS (needs an arm64 build on macOS 12.3+)"
    )


def _torch_facts(
    root: MachineRoot,
    include_torch: bool,
    fresh_torch: bool,
    inventory: Any,
    warnings: list[str],
) -> Maybe[TorchFacts]:
    if not include_torch:
        return Unavailable("skipped: --no-torch")
    from mfu_advisor.probe.torch_build import (
        collect_torch_answers,
        compile_answers,
        torch_facts_from_answers,
    )
    from mfu_advisor.probe.torch_cache import cached_answers

    source = "recorded in the snapshot"

    def collect_live() -> dict[str, Any]:
        nonlocal source
        answers, source = cached_answers(collect_torch_answers, inventory, fresh=fresh_torch)
        answers = dict(answers)
        if "error" not in answers:
            answers["compile"] = compile_answers()
        return answers

    answers = root.answers("torch", collect_live)
    return torch_facts_from_answers(answers, source, warnings)

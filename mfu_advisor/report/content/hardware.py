"""The hardware part of a report, from a probe payload (``mfu-advisor probe --json``).

Used alone for ``probe`` and, compact, inside ``diagnose``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.content.blocks import Block, KeyValues, Paragraph, Section, Table, Tone
from mfu_advisor.report.values import (
    Cell,
    Missing,
    cell,
    count,
    flops,
    items,
    lookup,
    mapping,
    number,
    size_bytes,
    text,
)

#: Dtypes in the order the tables show them (mfu_advisor.probe.facts.PEAK_DTYPES).
PEAK_DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8")


def peak_cell(device: Mapping[str, Any], dtype: str) -> Cell:
    """A device's dense peak for one dtype, "(est.)" when derived from a formula."""
    value = number(device, f"peak_flops.{dtype}")
    detail = mapping(device, f"peak_flops_detail.{dtype}")
    if isinstance(value, Missing):
        reason = detail.get("reason") if isinstance(detail.get("reason"), str) else ""
        return Missing(str(reason or value.reason or "no peak known"))
    shown = str(flops(value))
    return f"{shown} (est.)" if detail.get("estimated") else shown


def cpu_summary(cpu: Mapping[str, Any]) -> str:
    """ "AMD EPYC (Zen 3)" style: model, and the microarchitecture when known."""
    model = text(cpu, "model")
    arch = text(cpu, "microarchitecture")
    name = str(model) if not isinstance(model, Missing) else "unknown CPU"
    return f"{name} ({arch})" if not isinstance(arch, Missing) and arch not in name else name


def cores_summary(cpu: Mapping[str, Any]) -> Cell:
    """ "2 usable of 2 logical CPUs; 2 physical cores (8 P + 4 E)"."""
    logical = number(cpu, "logical_cpus")
    usable = number(cpu, "usable_cpus")
    physical = number(cpu, "physical_cores")
    if isinstance(logical, Missing) and isinstance(usable, Missing):
        return Missing("core counts not in this result")
    parts = [f"{count(usable)} usable of {count(logical)} logical CPUs"]
    if not isinstance(physical, Missing):
        cores = f"{count(physical)} physical cores"
        efficiency = number(cpu, "efficiency_cores")
        performance = number(cpu, "performance_cores")
        if not isinstance(efficiency, Missing) and efficiency > 0:
            cores += f" ({count(performance)} P + {count(efficiency)} E)"
        parts.append(cores)
    return "; ".join(parts)


def torch_summary(torch: Any) -> Cell:
    """ "2.13.0+cpu (cpu), 2 threads"."""
    if isinstance(torch, Missing) or not isinstance(torch, Mapping):
        return torch if isinstance(torch, Missing) else Missing()
    version = text(torch, "version")
    flavour = text(torch, "flavour")
    threads = number(torch, "num_threads")
    shown = f"{version} ({flavour})"
    if not isinstance(threads, Missing):
        shown += f", {count(threads)} threads"
    return shown


def usable_cell(gpu: Mapping[str, Any]) -> Cell:
    """ "yes (cuda)" or "no: <what it would take>"."""
    usable = lookup(gpu, "torch.usable")
    if isinstance(usable, Missing):
        usable = lookup(gpu, "usable_by_torch")
    note = text(gpu, "torch.note")
    backend = text(gpu, "torch.backend")
    if usable is True:
        return f"yes ({backend})" if not isinstance(backend, Missing) else "yes"
    if usable is False:
        return f"no: {note}" if not isinstance(note, Missing) else "no"
    return Missing(usable.reason if isinstance(usable, Missing) else "")


def compact_hardware_table(probe: Mapping[str, Any]) -> Table:
    """One row per device plus PyTorch and memory: what diagnose shows first."""
    cpu = mapping(probe, "cpu")
    rows: list[tuple[Cell, ...]] = []
    if cpu:
        rows.append(("CPU", f"{cpu_summary(cpu)}; {cores_summary(cpu)}", peak_cell(cpu, "fp32")))
    for gpu in items(probe, "gpus"):
        if not isinstance(gpu, Mapping):
            continue
        name = f"{text(gpu, 'vendor')} {text(gpu, 'name')} ({text(gpu, 'kind')})"
        usable = usable_cell(gpu)
        rows.append(("GPU", f"{name}; torch: {usable}", _best_gpu_peak(gpu)))
    memory = number(probe, "memory.total_bytes")
    rows.append(("Memory", size_bytes(memory), ""))
    rows.append(("PyTorch", torch_summary(lookup(probe, "torch")), ""))
    return Table(
        columns=("", "device", "peak FLOP/s"),
        rows=tuple(rows),
        numeric=(False, False, True),
        note="Peaks are dense; (est.) marks a figure derived from a formula, not a datasheet.",
    )


def _best_gpu_peak(gpu: Mapping[str, Any]) -> Cell:
    if not mapping(gpu, "peak_flops"):
        return Missing("no compute peak")
    for dtype in ("bf16", "fp16", "tf32", "fp32"):
        value = peak_cell(gpu, dtype)
        if not isinstance(value, Missing):
            return f"{value} {dtype}"
    return peak_cell(gpu, "fp32")


def hardware_blocks(probe: Mapping[str, Any]) -> tuple[Block, ...]:
    """Every hardware table: host, CPU, devices, NVIDIA details, peaks, PyTorch, warnings."""
    blocks: list[Block] = [_cpu_block(probe), _devices_block(probe)]
    blocks.extend(_nvidia_blocks(probe))
    blocks.append(_peaks_block(probe))
    blocks.append(_torch_block(probe))
    blocks.append(_host_block(probe))
    warnings = [str(w) for w in items(probe, "warnings")]
    if warnings:
        blocks.append(Paragraph("Probe warnings: " + "; ".join(warnings), tone=Tone.WARN))
    return tuple(blocks)


def hardware_section(probe: Mapping[str, Any], *, section_id: str = "hardware") -> Section:
    """The hardware section of a probe report (or of a diagnose report's ``hardware``)."""
    return Section(section_id, "Hardware", hardware_blocks(probe))


def _cpu_block(probe: Mapping[str, Any]) -> KeyValues:
    cpu = mapping(probe, "cpu")
    limit = lookup(cpu, "cgroup_cpu_limit")
    isa = items(cpu, "isa")
    rows: list[tuple[str, Cell]] = [
        ("model", text(cpu, "model")),
        ("vendor", text(cpu, "vendor")),
        ("microarchitecture", text(cpu, "microarchitecture")),
        ("CPUs", cores_summary(cpu)),
        ("threads per core", cell(lookup(cpu, "threads_per_core"))),
        ("clock (base / max)", _clocks(cpu)),
        ("matmul ISA", ", ".join(str(f) for f in isa) if isa else Missing("none reported")),
        ("hypervisor", _hypervisor(lookup(cpu, "hypervisor"), cpu)),
        (
            "cgroup CPU limit",
            "none" if isinstance(limit, Missing) and not limit.reason else cell(limit),
        ),
        ("NUMA nodes", cell(lookup(cpu, "numa_nodes"))),
        ("memory (total / available)", _memory(probe)),
    ]
    return KeyValues(tuple(rows), title="CPU")


def _clocks(cpu: Mapping[str, Any]) -> Cell:
    base = number(cpu, "base_clock_mhz")
    top = number(cpu, "max_clock_mhz")
    if isinstance(base, Missing) and isinstance(top, Missing):
        return base
    return f"{_mhz(base)} / {_mhz(top)}"


def _mhz(value: float | Missing) -> str:
    return "—" if isinstance(value, Missing) else f"{value / 1000:.2f} GHz"


def _hypervisor(value: Any, cpu: Mapping[str, Any]) -> Cell:
    if isinstance(value, Missing):
        # null with no reason means "bare metal" (HardwareFacts.hypervisor is None).
        return value if value.reason else "none (bare metal)"
    return cell(value)


def _memory(probe: Mapping[str, Any]) -> Cell:
    total = number(probe, "memory.total_bytes")
    available = number(probe, "memory.available_bytes")
    if isinstance(total, Missing):
        return total
    return f"{size_bytes(total)} / {size_bytes(available)}"


def _devices_block(probe: Mapping[str, Any]) -> Table | Paragraph:
    gpus = [g for g in items(probe, "gpus") if isinstance(g, Mapping)]
    if not gpus:
        return Paragraph("No display or compute device on the PCI bus.", tone=Tone.MUTED)
    rows = tuple(
        (
            text(g, "pci_address"),
            f"{text(g, 'vendor')} ({text(g, 'vendor_id')}:{text(g, 'device_id')})",
            text(g, "name"),
            text(g, "kind"),
            usable_cell(g),
        )
        for g in gpus
    )
    return Table(
        columns=("PCI address", "vendor (ids)", "name", "kind", "usable by PyTorch"),
        rows=rows,
        title="GPUs and display devices",
    )


def _nvidia_blocks(probe: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for gpu in items(probe, "gpus"):
        if not isinstance(gpu, Mapping) or "nvidia" not in gpu:
            continue
        nv = lookup(gpu, "nvidia")
        title = f"NVIDIA {text(gpu, 'name')} ({text(gpu, 'pci_address')})"
        if not isinstance(nv, Mapping):
            if isinstance(nv, Missing) and nv.reason:
                blocks.append(Paragraph(f"{title}: NVML unavailable: {nv.reason}", tone=Tone.WARN))
            continue
        reasons = lookup(nv, "clock_event_reasons")
        rows: list[tuple[str, Cell]] = [
            (
                "memory (used / total)",
                _pair(
                    size_bytes(number(nv, "memory_used_bytes")),
                    size_bytes(number(nv, "memory_total_bytes")),
                ),
            ),
            ("compute capability", text(nv, "compute_capability")),
            ("SMs", cell(lookup(nv, "sm_count"))),
            (
                "SM clock (now / max)",
                _pair(_unit(nv, "sm_clock_mhz", "MHz"), _unit(nv, "sm_clock_max_mhz", "MHz")),
            ),
            (
                "power (draw / limit)",
                _pair(_unit(nv, "power_draw_w", "W"), _unit(nv, "power_limit_w", "W")),
            ),
            (
                "PCIe (now / max)",
                _pair(
                    _link(nv, "pcie_gen", "pcie_width"), _link(nv, "pcie_gen_max", "pcie_width_max")
                ),
            ),
            ("clocks held down by", "nothing" if reasons == [] else cell(reasons)),
            ("MIG mode", cell(lookup(nv, "mig_mode"))),
            ("utilization", _unit(nv, "utilization_gpu_percent", "%")),
            ("other processes", cell(lookup(nv, "other_processes"))),
            (
                "driver / CUDA driver",
                _pair(text(nv, "driver_version"), text(nv, "cuda_driver_version")),
            ),
        ]
        blocks.append(KeyValues(tuple(rows), title=title))
    return blocks


def _pair(first: Cell, second: Cell) -> Cell:
    if isinstance(first, Missing) and isinstance(second, Missing):
        return first if first.reason else second
    return f"{first} / {second}"


def _unit(data: Mapping[str, Any], key: str, unit: str) -> Cell:
    value = number(data, key)
    return value if isinstance(value, Missing) else f"{value:g} {unit}"


def _link(nv: Mapping[str, Any], gen_key: str, width_key: str) -> Cell:
    gen = number(nv, gen_key)
    width = number(nv, width_key)
    if isinstance(gen, Missing):
        return gen
    return f"Gen{gen:.0f} x{width:.0f}" if not isinstance(width, Missing) else f"Gen{gen:.0f}"


def _peaks_block(probe: Mapping[str, Any]) -> Table:
    rows: list[tuple[Cell, ...]] = []
    devices: list[tuple[str, Mapping[str, Any]]] = []
    cpu = mapping(probe, "cpu")
    if cpu:
        devices.append((cpu_summary(cpu), cpu))
    devices.extend(
        (f"{text(g, 'name')}", g)
        for g in items(probe, "gpus")
        if isinstance(g, Mapping) and mapping(g, "peak_flops")
    )
    for name, device in devices:
        for dtype in PEAK_DTYPES:
            if dtype not in mapping(device, "peak_flops"):
                continue
            detail = mapping(device, f"peak_flops_detail.{dtype}")
            peak = peak_cell(device, dtype)
            if isinstance(peak, Missing):
                # The reason reads best where the source would be.
                rows.append((name, dtype, Missing(), peak.reason))
                continue
            source = detail.get("source") or detail.get("note") or ""
            note = detail.get("note") if detail.get("source") else ""
            rows.append((name, dtype, peak, f"{source} ({note})" if note else str(source)))
    return Table(
        columns=("device", "dtype", "dense peak", "source, or why there is none"),
        rows=tuple(rows),
        title="Peak FLOP/s",
        numeric=(False, False, True, False),
    )


def _torch_block(probe: Mapping[str, Any]) -> KeyValues | Paragraph:
    torch = lookup(probe, "torch")
    if not isinstance(torch, Mapping):
        reason = torch.reason if isinstance(torch, Missing) else ""
        return Paragraph(f"PyTorch: not probed ({reason or 'no facts'}).", tone=Tone.MUTED)
    threads = number(torch, "num_threads")
    usable = number(probe, "cpu.usable_cpus")
    thread_cell: Cell = count(threads)
    if not isinstance(threads, Missing) and not isinstance(usable, Missing):
        thread_cell = f"{count(threads)} (usable CPUs: {count(usable)})"
    compile_ready = lookup(torch, "compile_ready")
    note = text(torch, "compile_note")
    rows: list[tuple[str, Cell]] = [
        ("version", torch_summary(torch)),
        ("devices", text(torch, "devices")),
        ("BLAS", text(torch, "blas")),
        ("oneDNN", text(torch, "onednn")),
        ("ATen CPU capability", text(torch, "cpu_capability")),
        ("threads", thread_cell),
        (
            "torch.compile",
            f"{cell(compile_ready)}: {note}"
            if not isinstance(note, Missing)
            else cell(compile_ready),
        ),
    ]
    return KeyValues(tuple(rows), title="PyTorch")


def _host_block(probe: Mapping[str, Any]) -> KeyValues:
    rows: list[tuple[str, Cell]] = [
        ("host name", text(probe, "host.hostname")),
        ("OS / kernel", _pair(text(probe, "host.os"), text(probe, "host.kernel"))),
        ("Python", text(probe, "host.python_version")),
        ("probed", text(probe, "source")),
        ("NVML", text(probe, "nvml")),
    ]
    return KeyValues(tuple(rows), title="Host")

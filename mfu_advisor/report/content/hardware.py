"""The hardware part of a report, from a probe payload; compact inside ``diagnose``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import Block, KeyValues, Paragraph, Table, Tone
from mfu_advisor.report.content.run import absent
from mfu_advisor.report.values import DASH, Cell, Missing

#: Dtypes in the order the tables show them (mfu_advisor.probe.facts.PEAK_DTYPES).
PEAK_DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8")


def peak_cell(device: Mapping[str, Any], dtype: str) -> Cell:
    """A device's dense peak for one dtype, "(est.)" when derived from a formula."""
    value = v.number(device, f"peak_flops.{dtype}")
    detail = v.mapping(device, f"peak_flops_detail.{dtype}")
    if isinstance(value, Missing):
        reason = detail.get("reason") if isinstance(detail.get("reason"), str) else ""
        return Missing(str(reason or value.reason or "no peak known"))
    shown = str(v.flops(value))
    return f"{shown} (est.)" if detail.get("estimated") else shown


def cpu_summary(cpu: Mapping[str, Any]) -> str:
    """ "AMD EPYC (Zen 3)" style: model, and the microarchitecture when known."""
    model = v.text(cpu, "model")
    arch = v.text(cpu, "microarchitecture")
    name = str(model) if not isinstance(model, Missing) else "unknown CPU"
    return f"{name} ({arch})" if not isinstance(arch, Missing) and arch not in name else name


def cores_summary(cpu: Mapping[str, Any]) -> Cell:
    """ "2 usable of 2 logical CPUs; 2 physical cores (8 P + 4 E)"."""
    logical = v.number(cpu, "logical_cpus")
    usable = v.number(cpu, "usable_cpus")
    physical = v.number(cpu, "physical_cores")
    if isinstance(logical, Missing) and isinstance(usable, Missing):
        return Missing("core counts not in this result")
    parts = [f"{v.count(usable)} usable of {v.count(logical)} logical CPUs"]
    if not isinstance(physical, Missing):
        cores = f"{v.count(physical)} physical cores"
        efficiency = v.number(cpu, "efficiency_cores")
        performance = v.number(cpu, "performance_cores")
        if not isinstance(efficiency, Missing) and efficiency > 0:
            cores += f" ({v.count(performance)} P + {v.count(efficiency)} E)"
        parts.append(cores)
    return "; ".join(parts)


def torch_summary(torch: Any) -> Cell:
    """ "2.13.0+cpu (cpu), 2 threads"."""
    if isinstance(torch, Missing) or not isinstance(torch, Mapping):
        return torch if isinstance(torch, Missing) else Missing()
    version = v.text(torch, "version")
    flavour = v.text(torch, "flavour")
    threads = v.number(torch, "num_threads")
    return f"{version} ({flavour})" + v.clause(v.count(threads), ", {} threads")


def usable_cell(gpu: Mapping[str, Any]) -> Cell:
    """ "yes (cuda)" or "no: <what it would take>"."""
    usable = v.lookup(gpu, "torch.usable")
    if isinstance(usable, Missing):
        usable = v.lookup(gpu, "usable_by_torch")
    note = v.text(gpu, "torch.note")
    backend = v.text(gpu, "torch.backend")
    if usable is True:
        return f"yes ({backend})" if not isinstance(backend, Missing) else "yes"
    if usable is False:
        return f"no: {note}" if not isinstance(note, Missing) else "no"
    return Missing(usable.reason if isinstance(usable, Missing) else "")


def compact_hardware_table(probe: Mapping[str, Any]) -> Table:
    """One row per device plus PyTorch and memory: what diagnose shows first."""
    cpu = v.mapping(probe, "cpu")
    rows: list[tuple[Cell, ...]] = []
    if cpu:
        rows.append(("CPU", f"{cpu_summary(cpu)}; {cores_summary(cpu)}", peak_cell(cpu, "fp32")))
    for gpu in v.items(probe, "gpus"):
        if not isinstance(gpu, Mapping):
            continue
        name = f"{v.text(gpu, 'vendor')} {v.text(gpu, 'name')} ({v.text(gpu, 'kind')})"
        usable = usable_cell(gpu)
        rows.append(("GPU", f"{name}; torch: {usable}", _best_gpu_peak(gpu)))
    memory = v.number(probe, "memory.total_bytes")
    rows.append(("Memory", v.size_bytes(memory), ""))
    rows.append(("PyTorch", torch_summary(v.lookup(probe, "torch")), ""))
    return Table(
        columns=("", "device", "peak FLOP/s"),
        rows=tuple(rows),
        numeric=(False, False, True),
        note="Peaks are dense; (est.) marks a figure derived from a formula, not a datasheet.",
    )


def _best_gpu_peak(gpu: Mapping[str, Any]) -> Cell:
    if not v.mapping(gpu, "peak_flops"):
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
    blocks.extend(_peaks_blocks(probe))
    blocks.append(_torch_block(probe))
    blocks.append(_host_block(probe))
    warnings = [str(w) for w in v.items(probe, "warnings")]
    if warnings:
        blocks.append(Paragraph("Probe warnings: " + "; ".join(warnings), tone=Tone.WARN))
    return tuple(blocks)


def _cpu_block(probe: Mapping[str, Any]) -> KeyValues:
    cpu = v.mapping(probe, "cpu")
    isa = v.items(cpu, "isa")
    core_types = [
        f"{t.get('name')}: {t.get('physical_cores')} cores"
        + (f" ({t.get('microarchitecture')})" if t.get("microarchitecture") else "")
        for t in v.items(cpu, "core_types")
        if isinstance(t, Mapping)
    ]
    caches = [
        f"L{c.get('level')}{_CACHE_LETTERS.get(str(c.get('kind')), '')} "
        f"{_cache_size(c.get('size_bytes'))} x{c.get('instances')}"
        for c in v.items(cpu, "caches")
        if isinstance(c, Mapping)
    ]
    rows: list[tuple[str, Cell]] = [
        ("model", v.text(cpu, "model")),
        ("vendor", v.text(cpu, "vendor")),
        ("microarchitecture", v.text(cpu, "microarchitecture")),
        ("CPUs", cores_summary(cpu)),
        ("core types", "; ".join(core_types) if len(core_types) > 1 else ""),
        ("usable CPUs", _usable(cpu)),
        ("threads per core", v.cell(v.lookup(cpu, "threads_per_core"))),
        ("clock (base / max)", _clocks(cpu)),
        ("peak computed at", _clock_note(cpu)),
        ("matmul ISA", ", ".join(str(f) for f in isa) if isa else Missing("none reported")),
        ("caches", ", ".join(caches) if caches else Missing("not read")),
        (
            "sockets / NUMA nodes",
            _pair(v.cell(v.lookup(cpu, "sockets")), v.cell(v.lookup(cpu, "numa_nodes"))),
        ),
        ("hypervisor", _null_means(v.lookup(cpu, "hypervisor"), "none (bare metal)")),
        ("memory (total / available)", _memory(probe)),
        ("memory cgroup limit", _null_means(v.lookup(probe, _CGROUP), "none", v.size_bytes)),
    ]
    # Rows of facts an older result does not hold, and core types of a one-type CPU, are left out.
    return KeyValues(tuple(r for r in rows if r[1] != "" and not absent(r[1])), title="CPU")


def _clock_note(cpu: Mapping[str, Any]) -> Cell:
    note = v.text(cpu, "clock_note")
    return note if isinstance(note, Missing) else note.removeprefix("at ")


_CACHE_LETTERS = {"data": "d", "instruction": "i"}


def _cache_size(value: Any) -> str:
    if not isinstance(value, int):
        return "?"
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value} B"


_CGROUP = "memory.cgroup_limit_bytes"


def _null_means(value: Any, words: str, shown: Callable[[float], Cell] | None = None) -> Cell:
    """A JSON null without a reason means ``words`` (no limit, bare metal), not "unknown"."""
    if isinstance(value, Missing):
        return value if value.reason else words
    return shown(float(value)) if shown and isinstance(value, (int, float)) else v.cell(value)


def _usable(cpu: Mapping[str, Any]) -> Cell:
    """ "2 (affinity 2 CPUs, no cgroup CPU quota)"."""
    usable = v.cell(v.lookup(cpu, "usable_cpus"))
    if isinstance(usable, Missing):
        return usable
    limit = v.lookup(cpu, "cgroup_cpu_limit")
    if isinstance(limit, Missing):
        quota = f"cgroup quota unknown ({limit.reason})" if limit.reason else "no cgroup CPU quota"
    else:
        quota = f"cgroup quota {limit:g} CPUs" if isinstance(limit, (int, float)) else str(limit)
    return f"{usable} (affinity {len(v.items(cpu, 'affinity_cpus'))} CPUs, {quota})"


def _clocks(cpu: Mapping[str, Any]) -> Cell:
    base = v.number(cpu, "base_clock_mhz")
    top = v.number(cpu, "max_clock_mhz")
    if isinstance(base, Missing) and isinstance(top, Missing):
        return base
    return f"{_mhz(base)} / {_mhz(top)}"


def _mhz(value: float | Missing) -> str:
    return "—" if isinstance(value, Missing) else f"{value / 1000:.2f} GHz"


def _memory(probe: Mapping[str, Any]) -> Cell:
    total = v.number(probe, "memory.total_bytes")
    available = v.number(probe, "memory.available_bytes")
    if isinstance(total, Missing):
        return total
    return f"{v.size_bytes(total)} / {v.size_bytes(available)}"


def _devices_block(probe: Mapping[str, Any]) -> Table | Paragraph:
    gpus = [g for g in v.items(probe, "gpus") if isinstance(g, Mapping)]
    if not gpus:
        return Paragraph("No display or compute device on the PCI bus.", tone=Tone.MUTED)
    rows = tuple(
        (
            v.text(g, "pci_address"),
            f"{v.text(g, 'vendor')} ({v.text(g, 'vendor_id')}:{v.text(g, 'device_id')})",
            v.text(g, "name"),
            v.text(g, "kind"),
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
    for gpu in v.items(probe, "gpus"):
        if not isinstance(gpu, Mapping) or "nvidia" not in gpu:
            continue
        nv = v.lookup(gpu, "nvidia")
        name = str(v.text(gpu, "name"))
        title = (
            f"{'' if name.startswith('NVIDIA') else 'NVIDIA '}{name} ({v.text(gpu, 'pci_address')})"
        )
        if not isinstance(nv, Mapping):
            if isinstance(nv, Missing) and nv.reason:
                blocks.append(Paragraph(f"{title}: NVML unavailable: {nv.reason}", tone=Tone.WARN))
            continue
        reasons = v.lookup(nv, "clock_event_reasons")
        memory = [v.size_bytes(v.number(nv, f"memory_{k}_bytes")) for k in ("used", "total")]
        rows: list[tuple[str, Cell]] = [
            ("memory (used / total)", _pair(*memory)),
            ("compute capability", v.text(nv, "compute_capability")),
            ("SMs", v.cell(v.lookup(nv, "sm_count"))),
            ("SM clock (now / max)", _pair(*_units(nv, "MHz", "sm_clock_mhz", "sm_clock_max_mhz"))),
            ("power (draw / limit)", _pair(*_units(nv, "W", "power_draw_w", "power_limit_w"))),
            ("PCIe (now / max)", _pair(_link(nv, ""), _link(nv, "_max"))),
            ("clocks held down by", "nothing" if reasons == [] else v.cell(reasons)),
            ("MIG mode", v.cell(v.lookup(nv, "mig_mode"))),
            ("utilization", _units(nv, "%", "utilization_gpu_percent")[0]),
            ("other processes", v.cell(v.lookup(nv, "other_processes"))),
            ("driver / CUDA driver", _pair(*(v.text(nv, k) for k in _DRIVERS))),
        ]
        blocks.append(KeyValues(tuple(rows), title=title))
    return blocks


def _pair(first: Cell, second: Cell) -> Cell:
    if isinstance(first, Missing) and isinstance(second, Missing):
        return first if first.reason else second
    return f"{first} / {second}"


_DRIVERS = ("driver_version", "cuda_driver_version")


def _units(data: Mapping[str, Any], unit: str, *keys: str) -> list[Cell]:
    return [v.templated(v.number(data, key), "{:g} " + unit) for key in keys]


def _link(nv: Mapping[str, Any], which: str) -> Cell:
    """ "Gen4 x16": the PCIe link now (``which`` "") or at most ("_max")."""
    gen = v.number(nv, f"pcie_gen{which}")
    width = v.number(nv, f"pcie_width{which}")
    if isinstance(gen, Missing):
        return gen
    return f"Gen{gen:.0f} x{width:.0f}" if not isinstance(width, Missing) else f"Gen{gen:.0f}"


def _peaks_blocks(probe: Mapping[str, Any]) -> tuple[Block, ...]:
    """A device x dtype table of dense peaks, and where each figure comes from (numbered)."""
    devices: list[tuple[str, Mapping[str, Any]]] = []
    cpu = v.mapping(probe, "cpu")
    if cpu:
        devices.append(("CPU (usable cores)", cpu))
    counts: dict[tuple[str, str], int] = {}
    for gpu in v.items(probe, "gpus"):
        if isinstance(gpu, Mapping) and v.mapping(gpu, "peak_flops"):
            # Identical GPUs (8x H100) share one row.
            key = (str(v.text(gpu, "name")), repr(gpu.get("peak_flops")))
            if key not in counts:
                devices.append((key[0], gpu))
            counts[key] = counts.get(key, 0) + 1
    footnotes: dict[str, int] = {}
    rows: list[tuple[Cell, ...]] = []
    for name, device in devices:
        times = counts.get((name, repr(device.get("peak_flops"))), 1)
        cells: list[Cell] = [f"{name} (x{times})" if times > 1 else name]
        for dtype in PEAK_DTYPES:
            value = v.number(device, f"peak_flops.{dtype}")
            detail = v.mapping(device, f"peak_flops_detail.{dtype}")
            if isinstance(value, Missing):
                reason = str(detail.get("reason") or value.reason or "no peak known")
                mark = footnotes.setdefault(reason, len(footnotes) + 1)
                cells.append(f"{_short_reason(reason)} [{mark}]")
                continue
            source = str(detail.get("source") or "")
            # The CPU's clock note is its own row above; the rest of a note stays.
            note = str(detail.get("note") or "").replace(str(cpu.get("clock_note") or "-"), "")
            note = note.strip(" ,")
            where = f"{source} ({note})" if source and note else source or note
            mark = footnotes.setdefault(where, len(footnotes) + 1)
            tilde = "~" if detail.get("estimated") else ""
            cells.append(f"{tilde}{v.si(value, '')} [{mark}]")
        rows.append(tuple(cells))
    table = Table(
        columns=("device", *PEAK_DTYPES),
        rows=tuple(rows),
        title="Peak FLOP/s (dense)",
        numeric=(False, *(True for _ in PEAK_DTYPES)),
        note="FLOP/s, G = 1e9, T = 1e12, P = 1e15; ~ estimated from a formula, else datasheet; "
        "emulated: no native support (slower than fp32); n/a: not a dtype of that device.",
    )
    sources = KeyValues(
        tuple((f"[{mark}]", where) for where, mark in footnotes.items()),
        title="Where each peak comes from, or why there is none",
    )
    return (table, sources) if footnotes else (table,)


def _short_reason(reason: str) -> str:
    if reason.startswith("emulated"):
        return "emulated"
    if reason.startswith("not a CPU dtype") or " has no " in reason:
        return "n/a"
    return DASH


def _torch_block(probe: Mapping[str, Any]) -> KeyValues | Paragraph:
    torch = v.lookup(probe, "torch")
    if not isinstance(torch, Mapping):
        reason = torch.reason if isinstance(torch, Missing) else ""
        return Paragraph(f"PyTorch: not probed ({reason or 'no facts'}).", tone=Tone.MUTED)
    threads = v.number(torch, "num_threads")
    usable = v.number(probe, "cpu.usable_cpus")
    thread_cell: Cell = v.count(threads)
    if not isinstance(threads, Missing) and not isinstance(usable, Missing):
        thread_cell = f"{v.count(threads)} (usable CPUs: {v.count(usable)})"
        if threads > usable:
            thread_cell += ": oversubscribed"
    ready = v.cell(v.lookup(torch, "compile_ready"))
    note = v.text(torch, "compile_note")
    rows: list[tuple[str, Cell]] = [
        ("version", torch_summary(torch)),
        ("devices", v.text(torch, "devices")),
        ("BLAS", v.text(torch, "blas")),
        ("oneDNN", v.text(torch, "onednn")),
        ("ATen CPU capability", v.text(torch, "cpu_capability")),
        ("threads", thread_cell),
        ("torch.compile", ready if isinstance(note, Missing) else f"{ready}: {note}"),
        ("accelerator", v.text(torch, "accelerator_note")),
        ("answers", v.text(torch, "answers_source")),
    ]
    return KeyValues(tuple(r for r in rows if r[1] != "" and not absent(r[1])), title="PyTorch")


def _host_block(probe: Mapping[str, Any]) -> KeyValues:
    rows: list[tuple[str, Cell]] = [
        ("host name", v.text(probe, "host.hostname")),
        ("OS / kernel", _pair(v.text(probe, "host.os"), v.text(probe, "host.kernel"))),
        ("Python", v.text(probe, "host.python_version")),
        ("probed", v.text(probe, "source")),
        ("NVML", v.text(probe, "nvml")),
    ]
    return KeyValues(tuple(rows), title="Host")

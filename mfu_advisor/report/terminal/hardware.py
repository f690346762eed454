"""Terminal rendering of ``mfu-advisor probe``: CPU, GPUs, NVIDIA details, peaks, torch.

Reads only the JSON payload (docs/probe.md), so a saved result re-renders the
same. Cell wording is shared with the Markdown/HTML reports through
``report/content/hardware.py``. Every payload string goes through
``rich.text.Text``, never rich markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mfu_advisor.report.content.hardware import (
    PEAK_DTYPES,
    cores_summary,
    cpu_summary,
    peak_cell,
    torch_summary,
    usable_cell,
)
from mfu_advisor.report.values import (
    Cell,
    Missing,
    items,
    lookup,
    mapping,
    number,
    size_bytes,
    text,
)


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print the probe payload as a few readable tables."""
    source = text(payload, "source")
    title = Text("Hardware", style="bold")
    if not isinstance(source, Missing) and source != "live":
        title.append(f"  (snapshot {source})", style="dim")
    console.print(title)
    _cpu(payload, console)
    _gpus(payload, console)
    _nvidia(payload, console)
    _peaks(payload, console)
    _torch(payload, console)
    warnings = [str(w) for w in items(payload, "warnings")]
    if warnings:
        console.print(Text("Probe warnings", style="bold yellow"))
        for line in warnings:
            console.print(Padding(Text(f"- {line}", style="yellow"), (0, 0, 0, 2)))


def _cell(value: Cell | Any) -> Text:
    if isinstance(value, Missing):
        return Text(str(value), style="dim")
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value) if value else "none")
    return Text(str(value))


def _key_values(title: str, rows: list[tuple[str, Any]], console: Console) -> None:
    console.print()
    console.print(Text(title, style="bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(Text(label), _cell(value))
    console.print(Padding(grid, (0, 0, 0, 2)))


def _mhz(value: float | Missing) -> str:
    return "?" if isinstance(value, Missing) else f"{value / 1000:.2f} GHz"


def _cpu(payload: Mapping[str, Any], console: Console) -> None:
    cpu = mapping(payload, "cpu")
    limit = _null_is_none(lookup(cpu, "cgroup_cpu_limit"))
    hypervisor = _null_is_none(lookup(cpu, "hypervisor"))
    caches = [
        f"L{c.get('level')}{_cache_letter(c.get('kind'))} {_size(c.get('size_bytes'))}"
        f" x{c.get('instances')}"
        for c in items(cpu, "caches")
        if isinstance(c, Mapping)
    ]
    core_types = [
        f"{t.get('name')}: {t.get('physical_cores')} cores"
        + (f" ({t.get('microarchitecture')})" if t.get("microarchitecture") else "")
        for t in items(cpu, "core_types")
        if isinstance(t, Mapping)
    ]
    rows: list[tuple[str, Any]] = [
        ("model", text(cpu, "model")),
        ("vendor / microarchitecture", f"{text(cpu, 'vendor')} / {text(cpu, 'microarchitecture')}"),
        ("CPUs", cores_summary(cpu)),
        ("core types", "; ".join(core_types) if len(core_types) > 1 else None),
        ("usable CPUs", _usable(cpu, limit)),
        ("clock base / max", _clocks(cpu)),
        ("peak computed at", _peak_clock(cpu)),
        ("matmul ISA", ", ".join(str(f) for f in items(cpu, "isa")) or "none of the tracked"),
        ("caches", ", ".join(caches) if caches else Missing("not read")),
        (
            "sockets / NUMA nodes",
            f"{_plain(lookup(cpu, 'sockets'))} / {_plain(lookup(cpu, 'numa_nodes'))}",
        ),
        ("hypervisor", "none (bare metal)" if hypervisor is None else hypervisor),
        (
            "memory total / available",
            f"{size_bytes(number(payload, 'memory.total_bytes'))} / "
            f"{size_bytes(number(payload, 'memory.available_bytes'))}",
        ),
        ("memory cgroup limit", _memory_limit(payload)),
    ]
    _key_values(f"CPU: {cpu_summary(cpu)}", [r for r in rows if r[1] is not None], console)


def _clocks(cpu: Mapping[str, Any]) -> Any:
    base, top = number(cpu, "base_clock_mhz"), number(cpu, "max_clock_mhz")
    if isinstance(base, Missing) and isinstance(top, Missing):
        return Missing("not reported (no cpufreq)" if "cpufreq" in top.reason else top.reason)
    return f"{_mhz(base)} / {_mhz(top)}"


def _peak_clock(cpu: Mapping[str, Any]) -> str | None:
    """The clock the CPU peak uses and what it implies (None for payloads without it)."""
    note = cpu.get("clock_note")
    if not isinstance(note, str) or not note:
        return None
    return note.removeprefix("at ")


def _null_is_none(value: Any) -> Any:
    """A JSON null without a reason means "none" (no limit, bare metal), not "unknown"."""
    return None if isinstance(value, Missing) and not value.reason else value


def _plain(value: Any) -> str:
    return "?" if isinstance(value, Missing) or value is None else str(value)


def _usable(cpu: Mapping[str, Any], limit: Any) -> str:
    usable = _plain(lookup(cpu, "usable_cpus"))
    affinity = len(items(cpu, "affinity_cpus"))
    if limit is None:
        quota = "no cgroup CPU quota"
    elif isinstance(limit, Missing):
        quota = f"cgroup quota unknown ({limit.reason})"
    else:
        quota = f"cgroup quota {limit:g} CPUs"
    return f"{usable} (affinity {affinity} CPUs, {quota})"


def _memory_limit(payload: Mapping[str, Any]) -> Any:
    value = _null_is_none(lookup(payload, "memory.cgroup_limit_bytes"))
    if value is None:
        return "none"
    return value if isinstance(value, Missing) else size_bytes(float(value))


def _cache_letter(kind: Any) -> str:
    return {"data": "d", "instruction": "i"}.get(str(kind), "")


def _size(value: Any) -> str:
    if not isinstance(value, int):
        return "?"
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value} B"


def _gpus(payload: Mapping[str, Any], console: Console) -> None:
    console.print()
    gpus = [g for g in items(payload, "gpus") if isinstance(g, Mapping)]
    if not gpus:
        console.print(Text("GPUs: no display or compute device on the PCI bus.", style="dim"))
        return
    console.print(Text("GPUs and display devices", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("PCI address", "vendor (ids)", "name", "kind", "usable by PyTorch"):
        table.add_column(Text(column), overflow="fold")
    for gpu in gpus:
        table.add_row(
            _cell(text(gpu, "pci_address")),
            _cell(f"{text(gpu, 'vendor')} ({text(gpu, 'vendor_id')}:{text(gpu, 'device_id')})"),
            _cell(text(gpu, "name")),
            _cell(text(gpu, "kind")),
            _cell(usable_cell(gpu)),
        )
    console.print(table)


def _nvidia(payload: Mapping[str, Any], console: Console) -> None:
    """One row per NVIDIA GPU with what NVML said; GPUs NVML could not read listed after."""
    gpus = [
        g
        for g in items(payload, "gpus")
        if isinstance(g, Mapping) and g.get("vendor_id") == "0x10de"
    ]
    if not gpus:
        return
    console.print()
    console.print(Text("NVIDIA GPUs (NVML)", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    columns = (
        "GPU",
        "CC",
        "SMs",
        "memory",
        "SM MHz",
        "power W",
        "PCIe",
        "held by",
        "MIG",
        "util",
        "others",
    )
    for column in columns:
        table.add_column(Text(column), overflow="fold", no_wrap=column in ("GPU", "PCIe"))
    drivers: set[str] = set()
    missing: list[str] = []
    for gpu in gpus:
        address = str(text(gpu, "pci_address")).removeprefix("0000:")
        nv = lookup(gpu, "nvidia")
        if not isinstance(nv, Mapping):
            reason = nv.reason if isinstance(nv, Missing) else "no NVML facts"
            missing.append(f"{address}: NVML unavailable: {reason}")
            continue
        driver = lookup(nv, "driver_version")
        if isinstance(driver, str):
            drivers.add(f"{driver} (CUDA {_plain(lookup(nv, 'cuda_driver_version'))})")
        reasons = lookup(nv, "clock_event_reasons")
        table.add_row(
            Text(address),
            Text(_plain(lookup(nv, "compute_capability"))),
            Text(_plain(lookup(nv, "sm_count"))),
            Text(
                f"{size_bytes(number(nv, 'memory_used_bytes'))} / "
                f"{size_bytes(number(nv, 'memory_total_bytes'))}"
            ),
            Text(f"{_plain(lookup(nv, 'sm_clock_mhz'))}/{_plain(lookup(nv, 'sm_clock_max_mhz'))}"),
            Text(f"{_number(lookup(nv, 'power_draw_w'))}/{_number(lookup(nv, 'power_limit_w'))}"),
            Text(
                f"{_plain(lookup(nv, 'pcie_gen'))}x{_plain(lookup(nv, 'pcie_width'))}/"
                f"{_plain(lookup(nv, 'pcie_gen_max'))}x{_plain(lookup(nv, 'pcie_width_max'))}"
            ),
            _cell("nothing" if reasons == [] else reasons),
            _cell(_plain_bool(lookup(nv, "mig_mode"))),
            Text(f"{_plain(lookup(nv, 'utilization_gpu_percent'))}%"),
            _cell(_plain(lookup(nv, "other_processes"))),
        )
    if table.row_count:
        console.print(table)
        console.print(
            Text(
                "SM MHz now/max; power W draw/limit; PCIe gen x width now/max; "
                "others: compute processes besides this one",
                style="dim",
            )
        )
    if drivers:
        console.print(Text("driver " + ", ".join(sorted(drivers)), style="dim"))
    for line in missing:
        console.print(Text(line, style="yellow"))


def _number(value: Any) -> str:
    return f"{value:.0f}" if isinstance(value, float | int) and not isinstance(value, bool) else "?"


def _plain_bool(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    return _plain(value)


def _peaks(payload: Mapping[str, Any], console: Console) -> None:
    devices: list[tuple[str, Mapping[str, Any]]] = []
    cpu = mapping(payload, "cpu")
    if cpu:
        devices.append(("CPU (usable cores)", cpu))
    counts: dict[tuple[str, str], int] = {}
    for gpu in items(payload, "gpus"):
        if isinstance(gpu, Mapping) and gpu.get("kind") not in ("bmc", "virtual"):
            # Identical GPUs (8x H100) share one row.
            key = (str(text(gpu, "name")), repr(gpu.get("peak_flops")))
            if key not in counts:
                devices.append((key[0], gpu))
            counts[key] = counts.get(key, 0) + 1
    devices = [
        (
            f"{name} (x{counts[(name, repr(d.get('peak_flops')))]})"
            if counts.get((name, repr(d.get("peak_flops"))), 1) > 1
            else name,
            d,
        )
        for name, d in devices
    ]
    console.print()
    console.print(Text("Peak FLOP/s (dense)", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column(Text("device"), overflow="fold", min_width=16)
    for dtype in PEAK_DTYPES:
        table.add_column(Text(dtype), justify="right", no_wrap=True)
    sources: dict[str, int] = {}
    for name, device in devices:
        cells = []
        for dtype in PEAK_DTYPES:
            value = peak_cell(device, dtype)
            flops_value = number(device, f"peak_flops.{dtype}")
            if isinstance(value, Missing) or isinstance(flops_value, Missing):
                reason = value.reason if isinstance(value, Missing) else ""
                cells.append(Text(_short_reason(reason), style="dim"))
                continue
            detail = mapping(device, f"peak_flops_detail.{dtype}")
            source = str(detail.get("source", ""))
            number_ = sources.setdefault(source, len(sources) + 1)
            tilde = "~" if detail.get("estimated") else ""
            cells.append(Text(f"{tilde}{_short_flops(flops_value)} [{number_}]"))
        table.add_row(Text(name), *cells)
    console.print(table)
    for source, number_ in sources.items():
        console.print(Padding(Text(f"[{number_}] {source}", style="dim"), (0, 0, 0, 2)))
    console.print(
        Text(
            "FLOP/s, G = 1e9, T = 1e12, P = 1e15; ~ estimated from a formula, else datasheet. "
            "emulated: no native support (slower than fp32); n/a: not a dtype of that device; "
            "— : not known (see --json for each reason).",
            style="dim",
        )
    )


def _short_flops(value: float) -> str:
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g}"


def _short_reason(reason: str) -> str:
    if reason.startswith("emulated"):
        return "emulated"
    if reason.startswith("not a CPU dtype") or " has no " in reason:
        return "n/a"
    return "—"


def _torch(payload: Mapping[str, Any], console: Console) -> None:
    torch = lookup(payload, "torch")
    if not isinstance(torch, Mapping):
        reason = torch.reason if isinstance(torch, Missing) else "no facts"
        console.print()
        console.print(Text(f"PyTorch: not probed ({reason}).", style="dim"))
        return
    threads = lookup(torch, "num_threads")
    usable = lookup(payload, "cpu.usable_cpus")
    thread_text = f"{_plain(threads)} (usable CPUs: {_plain(usable)})"
    if isinstance(threads, int) and isinstance(usable, int) and threads > usable:
        thread_text += " - oversubscribed"
    ready = lookup(torch, "compile_ready")
    rows: list[tuple[str, Any]] = [
        ("version", torch_summary(torch)),
        ("devices", lookup(torch, "devices")),
        ("BLAS / oneDNN", f"{_plain(lookup(torch, 'blas'))} / {_plain(lookup(torch, 'onednn'))}"),
        ("ATen CPU capability", lookup(torch, "cpu_capability")),
        ("threads", thread_text),
        ("torch.compile", f"{_yes_no(ready)}: {_plain(lookup(torch, 'compile_note'))}"),
    ]
    note = lookup(torch, "accelerator_note")
    if isinstance(note, str) and note:
        rows.append(("accelerator", note))
    answers = lookup(torch, "answers_source")
    if isinstance(answers, str) and answers:
        rows.append(("answers", answers))
    _key_values("PyTorch", rows, console)


def _yes_no(value: Any) -> str:
    if value is True:
        return "ready"
    if value is False:
        return "not ready"
    return "unknown"

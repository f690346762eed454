"""CPU and memory facts where there is neither /proc nor sysctl (Windows): py-cpuinfo and psutil."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.cpuinfo import isa_names
from mfu_advisor.probe.facts import CpuFacts, MemoryFacts

#: What a snapshot records of py-cpuinfo's answer.
_ASKED = ("vendor_id_raw", "brand_raw", "family", "model", "flags", "hz_advertised", "arch")


def collect_fallback_answers() -> dict[str, Any]:
    """Ask py-cpuinfo and psutil (live only)."""
    answers: dict[str, Any] = {}
    try:
        import cpuinfo  # type: ignore[import-untyped]  # py-cpuinfo ships no types

        info = cpuinfo.get_cpu_info()
        answers["py_cpuinfo"] = {k: info.get(k) for k in _ASKED}
    except Exception as exc:  # py-cpuinfo runs CPUID in a subprocess and can fail many ways
        answers["py_cpuinfo"] = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        import psutil  # type: ignore[import-untyped]  # stubs are a separate package

        memory = psutil.virtual_memory()
        answers["psutil"] = {
            "logical": psutil.cpu_count(logical=True),
            "physical": psutil.cpu_count(logical=False),
            "memory_total_bytes": int(memory.total),
            "memory_available_bytes": int(memory.available),
        }
    except (ImportError, OSError, RuntimeError) as exc:
        answers["psutil"] = {"error": f"{type(exc).__name__}: {exc}"}
    return answers


def fallback_cpu(answers: Any, warnings: list[str]) -> tuple[CpuFacts, MemoryFacts]:
    """CPU and memory facts from recorded or live py-cpuinfo/psutil answers."""
    from mfu_advisor.probe.cpu_clock import NO_CLOCK, clock_fields, peak_clock
    from mfu_advisor.probe.cpu_peaks import core_type
    from mfu_advisor.probe.cpu_uarch import vendor_from_cpuid, x86_microarchitecture

    if not isinstance(answers, Mapping):
        reason = answers.reason if isinstance(answers, Unavailable) else "malformed answers"
        warnings.append(f"CPU facts unknown: {reason}")
        answers = {}
    info = answers.get("py_cpuinfo") if isinstance(answers.get("py_cpuinfo"), Mapping) else {}
    ps = answers.get("psutil") if isinstance(answers.get("psutil"), Mapping) else {}
    assert isinstance(info, Mapping) and isinstance(ps, Mapping)
    flags = " ".join(map(str, info.get("flags") or []))
    isa = isa_names("x86", flags) or isa_names("arm", flags)
    vendor_raw = str(info.get("vendor_id_raw") or "unknown")
    family, model = info.get("family"), info.get("model")
    uarch: Maybe[str] = Unavailable("family/model unknown")
    if isinstance(family, int) and isinstance(model, int):
        uarch = x86_microarchitecture(vendor_raw, family, model) or Unavailable(
            f"family {family} model {model} is not in the table"
        )
    logical_raw, physical_raw = ps.get("logical"), ps.get("physical")
    logical: int = logical_raw if isinstance(logical_raw, int) else 1
    physical: Maybe[int] = (
        physical_raw if isinstance(physical_raw, int) else Unavailable("psutil gave no core count")
    )
    hz = info.get("hz_advertised")
    clock = hz[0] / 1e6 if isinstance(hz, list) and hz and isinstance(hz[0], int) else None
    cores: int = physical_raw if isinstance(physical_raw, int) else logical
    advertised = peak_clock("advertised", clock) if clock else NO_CLOCK
    clock_value: Maybe[float] = clock if clock else Unavailable("no advertised clock")
    cpus = tuple(range(logical))
    only = core_type("performance", cpus, cores, uarch, clock_value, advertised, isa)
    cpu = CpuFacts(
        vendor=vendor_from_cpuid(vendor_raw),
        vendor_id=vendor_raw,
        model=str(info.get("brand_raw") or "unknown"),
        family=family if isinstance(family, int) else Unavailable("unknown"),
        model_number=model if isinstance(model, int) else Unavailable("unknown"),
        microarchitecture=uarch,
        isa=isa,
        logical_cpus=logical,
        physical_cores=physical,
        performance_cores=physical,
        efficiency_cores=0,
        core_types=(only,),
        threads_per_core=logical // physical_raw
        if isinstance(physical_raw, int) and physical_raw
        else Unavailable("unknown"),
        sockets=Unavailable("not read on this platform"),
        base_clock_mhz=clock_value,
        max_clock_mhz=Unavailable("not read on this platform"),
        caches=(),
        numa_nodes=Unavailable("not read on this platform"),
        hypervisor=Unavailable("not read on this platform"),
        affinity_cpus=cpus,
        cgroup_cpu_limit=None,
        usable_cpus=logical,
        peak_flops=only.peak_flops,
        **clock_fields(advertised),
    )
    total, available = ps.get("memory_total_bytes"), ps.get("memory_available_bytes")
    memory = MemoryFacts(
        total if isinstance(total, int) else Unavailable("psutil gave no memory size"),
        available if isinstance(available, int) else Unavailable("psutil gave no memory size"),
        None,
    )
    return cpu, memory

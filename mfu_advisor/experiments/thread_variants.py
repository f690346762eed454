"""CPU thread variants: one thread per physical core or per CPU, the usable CPUs, P-cores only."""

from __future__ import annotations

import math

from mfu_advisor.experiments.variant import VariantContext, VariantPlan
from mfu_advisor.probe.facts import CpuFacts
from mfu_advisor.units import cpu_list


def _topology(ctx: VariantContext) -> tuple[CpuFacts, tuple[int, ...]] | str:
    """The CPU and the run's CPU affinity; or why thread variants do not apply."""
    if ctx.device_type != "cpu":
        return f"the run is on {ctx.device_type}: CPU threads do not bound it"
    if ctx.hardware is None:
        return "the CPU's topology is unknown"
    cpu, affinity = ctx.hardware.cpu, ctx.run.cpu_affinity
    return cpu, affinity if isinstance(affinity, tuple) else cpu.affinity_cpus


def _smt(ctx: VariantContext) -> tuple[int | None, int] | str:
    """Physical cores (None when unknown) and usable logical CPUs in the run's affinity; or why
    a physical-vs-logical comparison is pointless here."""
    topology = _topology(ctx)
    if isinstance(topology, str):
        return topology
    cpu, affinity = topology
    physical = None
    if isinstance(cpu.physical_cores, int):
        physical = max(1, math.floor(cpu.physical_cores * len(affinity) / cpu.logical_cpus))
    logical = min(len(affinity), cpu.usable_cpus)
    if physical is not None and physical >= logical:
        return (
            f"physical cores ({physical}) equal usable logical CPUs ({logical}): nothing to compare"
        )
    return physical, logical


def _threads(ctx: VariantContext, threads: int, why: str, promise: float) -> VariantPlan:
    """A plan that runs the baseline with ``threads`` threads (OMP_NUM_THREADS too)."""
    return VariantPlan(
        change=f"threads {ctx.run.threads} -> {threads} ({why})",
        overrides={"threads": threads},
        env={"OMP_NUM_THREADS": str(threads)},
        promise=promise,
    )


def physical(ctx: VariantContext) -> VariantPlan | str:
    counts = _smt(ctx)
    if isinstance(counts, str):
        return counts
    if counts[0] is None:
        return "the number of physical cores is unknown"
    if ctx.run.threads <= counts[0]:
        return f"the baseline uses {ctx.run.threads} threads, at most one per physical core"
    return _threads(ctx, counts[0], "one per physical core", 1.1)


def logical(ctx: VariantContext) -> VariantPlan | str:
    counts = _smt(ctx)
    if isinstance(counts, str):
        return counts
    if ctx.run.threads >= counts[1]:
        return f"the baseline uses all {counts[1]} usable logical CPUs already"
    return _threads(ctx, counts[1], "every usable logical CPU", 1.05)


def usable(ctx: VariantContext) -> VariantPlan | str:
    topology = _topology(ctx)
    if isinstance(topology, str):
        return topology
    usable = topology[0].usable_cpus
    if ctx.run.threads <= usable:
        return f"the baseline's {ctx.run.threads} threads fit the {usable} usable CPUs"
    return _threads(ctx, usable, "the CPUs the quota and affinity allow", 1.5)


def pin_p_cores(ctx: VariantContext) -> VariantPlan | str:
    topology = _topology(ctx)
    if isinstance(topology, str):
        return topology
    cpu, affinity = topology
    if "efficiency" not in {c.name for c in cpu.core_types}:
        return "not a hybrid CPU: all cores are of one type"
    p_types = [c for c in cpu.core_types if c.name == "performance"]
    cpus = tuple(sorted(set(affinity) & {n for c in p_types for n in c.cpus}))
    if not cpus:
        return "no performance core is in the run's CPU affinity"
    if set(affinity) <= set(cpus):
        return "the baseline runs on performance cores only already"
    physical = sum(c.physical_cores for c in p_types)
    return VariantPlan(
        change=f"pinned to the {physical} performance cores (CPUs {cpu_list(cpus)}), "
        f"{physical} threads",
        overrides={"threads": physical, "cpus": cpus},
        env={"OMP_NUM_THREADS": str(physical)},
        cpus=cpus,
        promise=1.3,
    )

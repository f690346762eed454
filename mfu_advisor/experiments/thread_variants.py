"""CPU thread variants: one thread per physical core or per CPU, the usable CPUs, P-cores only."""

from __future__ import annotations

import math

from mfu_advisor.experiments.variant import VariantContext, VariantPlan
from mfu_advisor.probe.facts import CpuFacts
from mfu_advisor.units import cpu_list


def _cpu(ctx: VariantContext) -> CpuFacts:
    assert ctx.hardware is not None  # every use below comes after _cpu_only
    return ctx.hardware.cpu


def _cpu_only(ctx: VariantContext) -> str | None:
    if ctx.device_type != "cpu":
        return f"the run is on {ctx.device_type}: CPU threads do not bound it"
    return "the CPU's topology is unknown" if ctx.hardware is None else None


def _affinity(ctx: VariantContext) -> tuple[int, ...]:
    affinity = ctx.run.cpu_affinity
    return affinity if isinstance(affinity, tuple) else _cpu(ctx).affinity_cpus


def _physical_in_affinity(ctx: VariantContext) -> int | None:
    cpu = _cpu(ctx)
    if not isinstance(cpu.physical_cores, int):
        return None
    return max(1, math.floor(cpu.physical_cores * len(_affinity(ctx)) / cpu.logical_cpus))


def _usable_logical(ctx: VariantContext) -> int:
    return min(len(_affinity(ctx)), _cpu(ctx).usable_cpus)


def _no_smt(ctx: VariantContext) -> str | None:
    """Why a physical-vs-logical comparison is pointless here, or None."""
    physical, logical = _physical_in_affinity(ctx), _usable_logical(ctx)
    if physical is not None and physical >= logical:
        return (
            f"physical cores ({physical}) equal usable logical CPUs ({logical}): nothing to compare"
        )
    return None


def _threads(ctx: VariantContext, threads: int, why: str, promise: float) -> VariantPlan:
    """A plan that runs the baseline with ``threads`` threads (OMP_NUM_THREADS too)."""
    return VariantPlan(
        change=f"threads {ctx.run.threads} -> {threads} ({why})",
        overrides={"threads": threads},
        env={"OMP_NUM_THREADS": str(threads)},
        promise=promise,
    )


def physical(ctx: VariantContext) -> VariantPlan | str:
    if reason := _cpu_only(ctx):
        return reason
    physical = _physical_in_affinity(ctx)
    if physical is None:
        return "the number of physical cores is unknown"
    if reason := _no_smt(ctx):
        return reason
    if ctx.run.threads <= physical:
        return f"the baseline uses {ctx.run.threads} threads, at most one per physical core"
    return _threads(ctx, physical, "one per physical core", 1.1)


def logical(ctx: VariantContext) -> VariantPlan | str:
    if reason := _cpu_only(ctx) or _no_smt(ctx):
        return reason
    logical = _usable_logical(ctx)
    if ctx.run.threads >= logical:
        return f"the baseline uses all {logical} usable logical CPUs already"
    return _threads(ctx, logical, "every usable logical CPU", 1.05)


def usable(ctx: VariantContext) -> VariantPlan | str:
    if reason := _cpu_only(ctx):
        return reason
    usable = _cpu(ctx).usable_cpus
    if ctx.run.threads <= usable:
        return f"the baseline's {ctx.run.threads} threads fit the {usable} usable CPUs"
    return _threads(ctx, usable, "the CPUs the quota and affinity allow", 1.5)


def pin_p_cores(ctx: VariantContext) -> VariantPlan | str:
    if reason := _cpu_only(ctx):
        return reason
    if "efficiency" not in {c.name for c in _cpu(ctx).core_types}:
        return "not a hybrid CPU: all cores are of one type"
    p_types = [c for c in _cpu(ctx).core_types if c.name == "performance"]
    cpus = tuple(sorted(set(_affinity(ctx)) & {n for c in p_types for n in c.cpus}))
    if not cpus:
        return "no performance core is in the run's CPU affinity"
    if set(_affinity(ctx)) <= set(cpus):
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

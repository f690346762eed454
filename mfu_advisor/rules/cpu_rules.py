"""Rules about CPU threads: hybrid P/E cores, oversubscription, SMT siblings. PyTorch splits
each operation over its intra-op threads and waits for the slowest (OpenMP parallel regions)."""

from __future__ import annotations

import math

from mfu_advisor.probe.capabilities import usable_gpus
from mfu_advisor.probe.facts import CpuFacts, TorchFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.measured import measured_or_expected
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.units import cpu_list


def _run_threads(facts: DiagnosisFacts) -> int | None:
    """Threads the diagnosed run uses on this host: every local rank's for a multi-rank
    bench (its baseline's threads are one rank's), the baseline's, else torch's default."""
    dist = facts.distributed
    if facts.multi_rank_bench and dist is not None:
        ranks, per_rank = dist.local_ranks, dist.threads_per_rank
        if isinstance(ranks, int) and isinstance(per_rank, int):
            return ranks * per_rank
    if facts.baseline is not None:
        return facts.baseline.threads
    if facts.hardware is not None and isinstance(facts.hardware.torch, TorchFacts):
        return facts.hardware.torch.num_threads
    return None


def _run_affinity(facts: DiagnosisFacts, cpu: CpuFacts) -> tuple[int, ...]:
    dist = facts.distributed
    if facts.multi_rank_bench and dist is not None and isinstance(dist.cpus_per_rank, tuple):
        return tuple(sorted({c for cpus in dist.cpus_per_rank for c in cpus}))
    run = facts.baseline
    if run is not None and isinstance(run.cpu_affinity, tuple):
        return run.cpu_affinity
    return cpu.affinity_cpus


def _cpu_relevant(facts: DiagnosisFacts) -> bool:
    """True when the run computes on the CPU; with no run, when no GPU is usable here."""
    device = facts.run_device_type
    if device == "cpu":
        return True
    if facts.baseline is not None or facts.log is not None or facts.hardware is None:
        return False
    return not usable_gpus(facts.hardware)


def _threads_words(facts: DiagnosisFacts, threads: int) -> str:
    """ "The run uses 12 threads" or, with no run, "torch's default here is 12 threads"."""
    if facts.multi_rank_bench and facts.distributed is not None:
        return f"The run's {facts.distributed.local_ranks} ranks use {threads} threads in all"
    if facts.baseline is not None:
        return f"The run uses {threads} threads"
    return f"torch's default here is {threads} threads"


def _hybrid(facts: DiagnosisFacts) -> Draft | None:
    hardware = facts.hardware
    if hardware is None or not _cpu_relevant(facts):
        return None
    cpu = hardware.cpu
    p_types = [c for c in cpu.core_types if c.name == "performance"]
    e_types = [c for c in cpu.core_types if c.name == "efficiency"]
    if not p_types or not e_types:
        return None
    affinity = set(_run_affinity(facts, cpu))
    e_used = sorted(affinity & {n for c in e_types for n in c.cpus})
    p_cpus = sorted(affinity & {n for c in p_types for n in c.cpus})
    if not e_used or not p_cpus:
        return None
    p_physical = sum(c.physical_cores for c in p_types)
    threads = _run_threads(facts)
    return measured_or_expected(
        facts,
        ("pin-p-cores",),
        **wording(
            "MA111",
            model=cpu.model,
            p_cores=p_physical,
            e_cores=sum(c.physical_cores for c in e_types),
            e_cpus=cpu_list(e_used),
            p_cpus=cpu_list(p_cpus),
            threads=threads or "its",
        ),
        fix_options={"cpus": tuple(p_cpus), "threads": p_physical},
        evidence={"efficiency_cpus": e_used, "performance_cpus": p_cpus, "threads": threads},
    )


def _oversubscribed(facts: DiagnosisFacts) -> Draft | None:
    hardware = facts.hardware
    threads = _run_threads(facts)
    if hardware is None or threads is None or not _cpu_relevant(facts):
        return None
    if facts.multi_rank_bench:
        # ranks-oversubscribe (MA131) counts every rank's threads against the usable CPUs.
        return None
    cpu = hardware.cpu
    usable = cpu.usable_cpus
    if threads <= usable:
        return None
    limit = cpu.cgroup_cpu_limit
    if isinstance(limit, float) and limit < len(cpu.affinity_cpus):
        why = (
            f"the cgroup CPU quota allows {limit:g} CPUs although {len(cpu.affinity_cpus)} "
            "are visible"
        )
    else:
        why = f"{usable} CPUs are usable (the process's affinity)"
    return measured_or_expected(
        facts,
        ("threads-usable",),
        **wording(
            "MA112", uses=_threads_words(facts, threads), why=why, usable=usable, threads=threads
        ),
        fix_options={"threads": usable},
        evidence={"threads": threads, "usable_cpus": usable, "cgroup_cpu_limit": limit},
    )


def _smt(facts: DiagnosisFacts) -> Draft | None:
    hardware = facts.hardware
    threads = _run_threads(facts)
    if hardware is None or threads is None or not _cpu_relevant(facts):
        return None
    cpu = hardware.cpu
    per_core = cpu.threads_per_core
    if not isinstance(per_core, int) or per_core < 2 or not isinstance(cpu.physical_cores, int):
        return None
    affinity = _run_affinity(facts, cpu)
    # Physical cores within the affinity, assuming siblings are spread evenly.
    cores = max(1, math.floor(cpu.physical_cores * len(affinity) / cpu.logical_cpus))
    if threads <= cores:
        return None
    # A multi-rank bench counts every local rank's threads; the fix is per rank.
    ranks = facts.distributed.local_ranks if facts.multi_rank_bench and facts.distributed else 1
    ranks = ranks if isinstance(ranks, int) and ranks > 0 else 1
    per_process = max(1, cores // ranks)
    return measured_or_expected(
        facts,
        ("threads-physical",),
        **wording(
            "MA113",
            uses=_threads_words(facts, threads),
            cores=cores,
            per_core=per_core,
            per_process=per_process,
            each=f" in each of the {ranks} ranks" if ranks > 1 else "",
            threads=threads,
        ),
        fix_options={"threads": per_process},
        evidence={"threads": threads, "physical_cores": cores, "threads_per_core": per_core},
    )


RULES = family({"MA111": _hybrid, "MA112": _oversubscribed, "MA113": _smt}, globals())

"""Rules on what the hardware did while the user's own job ran (``mfu-advisor run``): NVML and
psutil samples over its steady window, after its first training step."""

from __future__ import annotations

from functools import partial
from typing import Any

from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.run_facts import JobFacts, JobGpuFacts
from mfu_advisor.units import percent

#: A GPU that runs kernels less than this share of the time (median, 0-100) waits on the host:
#: a compute-bound training step keeps nvidia-smi's utilisation above 90%.
GPU_STARVED_PERCENT = 60.0

#: The busiest core counts as saturated at this median utilisation (0-100).
CORE_SATURATED_PERCENT = 90.0

#: A job using at most this many cores in all is driven by one Python thread.
ONE_CORE = 1.3

#: Share of samples with a clock-event reason active before it is named a cause.
POWER_CAP_SHARE = 0.25
THERMAL_SHARE = 0.10

#: Memory in use (share of the total) at which nothing larger fits.
MEMORY_FULL = 0.95

#: System memory counts as the job's problem only when the job holds at least this share of it.
JOB_HOLDS = 0.3

#: Load average over usable CPUs above which runnable threads wait for a core.
OVERSUBSCRIBED_LOAD = 1.5

#: The job "owns" the machine's CPUs when it uses at least this share of them.
JOB_OWNS_MACHINE = 0.75

#: Other processes' CPU use, as a share of the usable CPUs, worth naming.
OTHERS_SHARE = 0.25

#: A GPU of a multi-GPU job is idle below this median utilisation while another is busy above.
IDLE_PERCENT = 20.0
BUSY_PERCENT = 60.0


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _starved(job: JobFacts) -> list[tuple[JobGpuFacts, float]]:
    utils = [(gpu, _float(gpu.util_percent_median)) for gpu in job.job_gpus]
    return [(gpu, util) for gpu, util in utils if util is not None and util < GPU_STARVED_PERCENT]


def _one_core_saturated(job: JobFacts) -> bool:
    busiest = _float(job.busiest_cpu_percent_median)
    cores = _float(job.job_cpu_cores_median)
    return (
        busiest is not None
        and busiest >= CORE_SATURATED_PERCENT
        and (cores is not None and cores <= ONE_CORE)
    )


def _gpu_names(gpus: list[tuple[JobGpuFacts, float]]) -> str:
    return ", ".join(f"GPU {g.index} ({g.name}) {u:.0f}%" for g, u in gpus)


def _input_bound(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None:
        return None
    starved = _starved(job)
    if not starved or _one_core_saturated(job):
        return None
    cores = _float(job.job_cpu_cores_median)
    busy = f"; the job's processes used {cores:.1f} CPU cores" if cores is not None else ""
    gain = 100 / max(starved[0][1], 1)
    return Draft(
        **wording("MA140", gpus=_gpu_names(starved), samples=job.samples, busy=busy, gain=gain),
        evidence={
            "gpu_util_percent_median": {g.index: u for g, u in starved},
            "job_cpu_cores_median": cores,
            "samples": job.samples,
        },
    )


def _host_bound(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None or not _one_core_saturated(job):
        return None
    busiest = _float(job.busiest_cpu_percent_median) or 0.0
    cores = _float(job.job_cpu_cores_median) or 0.0
    starved = _starved(job)
    if starved:
        return Draft(
            **wording("MA141", "gpu", gpus=_gpu_names(starved), busiest=busiest, cores=cores),
            evidence={
                "busiest_cpu_percent_median": busiest,
                "job_cpu_cores_median": cores,
                "gpu_util_percent_median": {g.index: u for g, u in starved},
            },
        )
    if job.gpus or job.usable_cpus < 4:
        return None
    return Draft(
        **wording("MA141", "cpu", cores=cores, usable=job.usable_cpus, busiest=busiest),
        evidence={
            "busiest_cpu_percent_median": busiest,
            "job_cpu_cores_median": cores,
            "usable_cpus": job.usable_cpus,
        },
    )


def _clock_limited(facts: DiagnosisFacts, rule: str, field: str, threshold: float) -> Draft | None:
    job = facts.job
    if job is None:
        return None
    hit = [
        (g, share)
        for g in job.job_gpus
        if (share := _float(getattr(g, field))) is not None and share >= threshold
    ]
    if not hit:
        return None
    parts = []
    for gpu, share in hit:
        clock = _float(gpu.sm_clock_mhz_median)
        top = _float(gpu.sm_clock_mhz_max)
        power = _float(gpu.power_w_median)
        limit = _float(gpu.power_limit_w)
        temp = _float(gpu.temperature_c_max)
        cause = "the power cap" if field == "power_cap_share" else "a thermal slowdown"
        text = (
            f"GPU {gpu.index} ({gpu.name}): NVML reported {cause} holding the clocks down in "
            f"{percent(share)} of the samples"
        )
        if clock is not None:
            text += f", SM clock median {clock:.0f} MHz" + (
                f" (highest seen {top:.0f} MHz)" if top is not None else ""
            )
        if field == "power_cap_share" and power is not None and limit is not None:
            text += f", power {power:.0f} W of a {limit:.0f} W limit"
        if field == "thermal_share" and temp is not None:
            text += f", up to {temp:.0f} °C"
        parts.append(text)
    return Draft(
        **wording(rule),
        explanation="; ".join(parts) + ".",
        evidence={
            f"gpu{g.index}": {
                field: share,
                "sm_clock_mhz_median": g.sm_clock_mhz_median,
                "power_w_median": g.power_w_median,
                "power_limit_w": g.power_limit_w,
                "temperature_c_max": g.temperature_c_max,
            }
            for g, share in hit
        },
    )


def _memory_full(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None:
        return None
    full = [
        (g, used)
        for g in job.job_gpus
        if (used := _float(g.memory_used_fraction_max)) is not None and used >= MEMORY_FULL
    ]
    system = _float(job.memory_used_fraction_max)
    if full:
        names = ", ".join(f"GPU {g.index} ({g.name}) {percent(u)}" for g, u in full)
        return Draft(
            **wording("MA144", "gpu", names=names),
            evidence={f"gpu{g.index}_memory_used_fraction_max": u for g, u in full},
        )
    held = _float(job.job_memory_fraction_max)
    if system is not None and system >= MEMORY_FULL and held is not None and held >= JOB_HOLDS:
        return Draft(
            **wording("MA144", "system", used=percent(system), held=percent(held)),
            evidence={"memory_used_fraction_max": system, "job_memory_fraction_max": held},
        )
    return None


def _oversubscribed(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None or job.usable_cpus < 1:
        return None
    load = _float(job.load_1min_median)
    threads = job.job_threads_max
    if load is None or load < OVERSUBSCRIBED_LOAD * job.usable_cpus:
        return None
    cores = _float(job.job_cpu_cores_median)
    if not isinstance(threads, int) or threads <= job.usable_cpus:
        return None  # the load comes from other processes, not from the job's own threads
    if cores is None or cores < JOB_OWNS_MACHINE * job.usable_cpus:
        return None  # the job is not what keeps the cores busy (MA147 names the others)
    return Draft(
        **wording("MA145", load=load, usable=job.usable_cpus, threads=threads),
        evidence={
            "load_1min_median": load,
            "usable_cpus": job.usable_cpus,
            "job_threads_max": threads,
        },
    )


def _machine_shared(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None or job.usable_cpus < 1:
        return None
    machine = _float(job.machine_cpu_percent_median)
    cores = _float(job.job_cpu_cores_median)
    if machine is None or cores is None:
        return None
    others = machine / 100 * job.usable_cpus - cores
    share = others / job.usable_cpus
    if share < OTHERS_SHARE:
        return None
    return Draft(
        **wording("MA147", others=others, usable=job.usable_cpus, machine=machine, cores=cores),
        evidence={
            "other_cpu_cores_median": round(others, 2),
            "machine_cpu_percent_median": machine,
            "job_cpu_cores_median": cores,
            "usable_cpus": job.usable_cpus,
        },
    )


def _idle_gpus(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None or len(job.gpus) < 2:
        return None
    utils = {g.index: _float(g.util_percent_median) for g in job.gpus}
    busy = [g for g in job.gpus if (utils[g.index] or 0.0) >= BUSY_PERCENT]
    idle = [
        g for g in job.gpus if (utils[g.index] or 0.0) < IDLE_PERCENT and utils[g.index] is not None
    ]
    if not busy or not idle:
        return None
    in_job = [g for g in idle if g.used_by_job is True]
    words = wording(
        "MA146",
        "held" if in_job else "unused",
        held=len(in_job),
        idle=len(idle),
        gpus=len(job.gpus),
        used=len(busy),
        busy=busy[0].index,
        busy_util=utils[busy[0].index],
        listed=", ".join(f"GPU {g.index} {utils[g.index]:.0f}%" for g in idle),
        gain=len(job.gpus) / len(busy),
    )
    return Draft(**words, evidence={"gpu_util_percent_median": utils})


RULES = family(
    {
        "MA140": _input_bound,
        "MA141": _host_bound,
        "MA142": partial(
            _clock_limited, rule="MA142", field="power_cap_share", threshold=POWER_CAP_SHARE
        ),
        "MA143": partial(
            _clock_limited, rule="MA143", field="thermal_share", threshold=THERMAL_SHARE
        ),
        "MA144": _memory_full,
        "MA147": _machine_shared,
        "MA145": _oversubscribed,
        "MA146": _idle_gpus,
    },
    globals(),
)

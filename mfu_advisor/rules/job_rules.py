"""Rules that read what the hardware did while the user's own job ran (``mfu-advisor run``).

They judge a job from NVML and psutil samples taken during its steady window
(after its first training step), together with its log (the log rules, e.g.
the evaluation share, apply to the same job). Thresholds say where a healthy
training loop sits, so each explains with the figures it was given.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind, Severity
from mfu_advisor.rules.rule import Draft, Example, Rule
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

#: A GPU of a multi-GPU job is idle below this median utilisation while another is busy above
#: BUSY_PERCENT.
IDLE_PERCENT = 20.0
BUSY_PERCENT = 60.0


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _starved(job: JobFacts) -> list[tuple[JobGpuFacts, float]]:
    out = []
    for gpu in job.job_gpus:
        util = _float(gpu.util_percent_median)
        if util is not None and util < GPU_STARVED_PERCENT:
            out.append((gpu, util))
    return out


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


# -- MA140: the GPU waits for input ------------------------------------------------------


def _input_bound(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None:
        return None
    starved = _starved(job)
    if not starved or _one_core_saturated(job):
        return None
    cores = _float(job.job_cpu_cores_median)
    busy = f"; the job's processes used {cores:.1f} CPU cores" if cores is not None else ""
    return Draft(
        explanation=(
            f"While training, the GPU ran kernels only part of the time: {_gpu_names(starved)} "
            f"(median utilisation over {job.samples} samples){busy}. No single core was "
            "saturated, so the steps wait on the input pipeline (loading, decoding, "
            "host-to-device copies), not on Python."
        ),
        fix=(
            "DataLoader(num_workers=<4-8>, pin_memory=True, persistent_workers=True, "
            "prefetch_factor=2) and .to(device, non_blocking=True); pre-tokenize the data"
        ),
        expected_gain=f"up to {100 / max(starved[0][1], 1):.1f}x if the GPU were kept busy",
        evidence={
            "gpu_util_percent_median": {g.index: u for g, u in starved},
            "job_cpu_cores_median": cores,
            "samples": job.samples,
        },
    )


# -- MA141: one Python thread drives the job ----------------------------------------------


def _host_bound(facts: DiagnosisFacts) -> Draft | None:
    job = facts.job
    if job is None or not _one_core_saturated(job):
        return None
    busiest = _float(job.busiest_cpu_percent_median) or 0.0
    cores = _float(job.job_cpu_cores_median) or 0.0
    starved = _starved(job)
    if starved:
        return Draft(
            explanation=(
                f"The GPU waited ({_gpu_names(starved)} median utilisation) while one CPU core "
                f"ran at {busiest:.0f}% and the job used {cores:.1f} cores in all: a single "
                "Python thread launching kernels one by one is the bottleneck."
            ),
            fix=(
                "torch.compile(model) (fewer, fused kernels), CUDA graphs "
                '(mode="reduce-overhead"), a larger micro-batch per step, no .item()/print '
                "in the inner loop"
            ),
            expected_gain="up to the GPU's idle share, when the launches stop being serial",
            evidence={
                "busiest_cpu_percent_median": busiest,
                "job_cpu_cores_median": cores,
                "gpu_util_percent_median": {g.index: u for g, u in starved},
            },
        )
    if job.gpus or job.usable_cpus < 4:
        return None
    return Draft(
        explanation=(
            f"The job used {cores:.1f} of {job.usable_cpus} usable CPUs: one core ran at "
            f"{busiest:.0f}% while the rest stayed idle. A CPU training step parallelises over "
            "torch's intra-op threads; this one did not."
        ),
        fix=(
            f"unset OMP_NUM_THREADS (or set it to {job.usable_cpus}) and do not call "
            "torch.set_num_threads(1)"
        ),
        expected_gain=f"up to {job.usable_cpus}x on the matrix multiplications",
        title="The job runs on one CPU core",
        evidence={
            "busiest_cpu_percent_median": busiest,
            "job_cpu_cores_median": cores,
            "usable_cpus": job.usable_cpus,
        },
    )


# -- MA142 / MA143: clocks held down under load ------------------------------------------


def _clock_limited(facts: DiagnosisFacts, field: str, threshold: float) -> Draft | None:
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
        fix=(
            "nvidia-smi -q -d PERFORMANCE,POWER shows the limit; raise it where allowed "
            "(nvidia-smi -pl, as root), or improve cooling/airflow"
            if field == "power_cap_share"
            else "check cooling: fans, airflow, dust, the room; nvidia-smi -q -d TEMPERATURE"
        ),
    )


def _power_capped(facts: DiagnosisFacts) -> Draft | None:
    return _clock_limited(facts, "power_cap_share", POWER_CAP_SHARE)


def _thermal(facts: DiagnosisFacts) -> Draft | None:
    return _clock_limited(facts, "thermal_share", THERMAL_SHARE)


# -- MA144: memory full ------------------------------------------------------------------


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
            explanation=(
                f"GPU memory was nearly full while training: {names} in use at the peak. "
                "A larger micro-batch will not fit as it is."
            ),
            fix=(
                "activation checkpointing, bf16 autocast (halves activations), a fused/8-bit "
                "optimizer, or gradient_accumulation_steps to grow the batch without memory"
            ),
            evidence={f"gpu{g.index}_memory_used_fraction_max": u for g, u in full},
        )
    held = _float(job.job_memory_fraction_max)
    if system is not None and system >= MEMORY_FULL and held is not None and held >= JOB_HOLDS:
        return Draft(
            explanation=(
                f"System memory was {percent(system)} in use at the peak, {percent(held)} of it "
                "held by the job's processes: the machine is close to swapping, which stalls "
                "every step."
            ),
            fix="fewer DataLoader workers, memory-mapped datasets (np.memmap), a smaller batch",
            evidence={"memory_used_fraction_max": system, "job_memory_fraction_max": held},
        )
    return None


# -- MA145: more runnable threads than cores ---------------------------------------------


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
    told = f"; the job ran up to {threads} threads" if isinstance(threads, int) else ""
    return Draft(
        explanation=(
            f"The load average stayed at {load:.1f} on {job.usable_cpus} usable CPUs "
            f"(median){told}: runnable threads queue for cores, and torch's intra-op threads "
            "in each process (or each DataLoader worker) fight for the same cores."
        ),
        fix=(
            "OMP_NUM_THREADS=<cores per process> for each rank or worker "
            "(torchrun sets 1 unless told), fewer DataLoader workers"
        ),
        evidence={
            "load_1min_median": load,
            "usable_cpus": job.usable_cpus,
            "job_threads_max": threads,
        },
    )


# -- MA147: other processes share the machine ------------------------------------------


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
        explanation=(
            f"Other processes kept {others:.1f} of the {job.usable_cpus} usable CPUs busy while "
            f"the job ran (all CPUs {machine:.0f}% busy, the job {cores:.1f} cores; medians): "
            "the job's figures are lower than this machine gives a job alone, and vary with them."
        ),
        fix="run when the machine is quiet, or pin the job and the others to separate cores "
        "(taskset -c)",
        evidence={
            "other_cpu_cores_median": round(others, 2),
            "machine_cpu_percent_median": machine,
            "job_cpu_cores_median": cores,
            "usable_cpus": job.usable_cpus,
        },
    )


# -- MA146: idle GPUs in a multi-GPU job -------------------------------------------------


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
    listed = ", ".join(f"GPU {g.index} {utils[g.index]:.0f}%" for g in idle)
    if in_job:
        explanation = (
            f"The job holds {len(in_job)} GPU(s) that stay idle while GPU "
            f"{busy[0].index} runs at {utils[busy[0].index]:.0f}%: {listed}. A rank that waits "
            "(a straggler, an all-reduce, rank 0 doing evaluation or logging alone) idles the rest."
        )
        fix = "check the per-rank step times (mfu-advisor analyze with rank prefixes)"
    else:
        explanation = (
            f"{len(idle)} of {len(job.gpus)} GPUs did nothing while the job ran ({listed}); "
            f"it used {len(busy)}."
        )
        fix = f"torchrun --nproc-per-node={len(job.gpus)} train.py (data-parallel on every GPU)"
    return Draft(
        explanation=explanation,
        fix=fix,
        expected_gain=f"up to {len(job.gpus) / len(busy):.0f}x tokens/s with every GPU busy",
        evidence={"gpu_util_percent_median": utils},
    )


# -- examples ----------------------------------------------------------------------------


def _gpu(**changes: Any) -> JobGpuFacts:
    """An A100-SXM4-40GB under a steady, compute-bound step (400 W limit, 1410 MHz boost)."""
    base = JobGpuFacts(
        index=0,
        name="NVIDIA A100-SXM4-40GB",
        used_by_job=True,
        util_percent_median=97.0,
        sm_clock_mhz_median=1410.0,
        sm_clock_mhz_max=1410.0,
        power_w_median=310.0,
        power_limit_w=400.0,
        temperature_c_max=64.0,
        memory_used_fraction_max=0.62,
        power_cap_share=0.0,
        thermal_share=0.0,
        hw_slowdown_share=0.0,
    )
    return dataclasses.replace(base, **changes)


def _job_facts(*gpus: JobGpuFacts, **changes: Any) -> DiagnosisFacts:
    base = JobFacts(
        exit_code=0,
        wall_s=300.0,
        samples=560,
        window_start_s=20.0,
        usable_cpus=16,
        job_cpu_cores_median=1.1,
        busiest_cpu_percent_median=70.0,
        machine_cpu_percent_median=9.0,
        job_threads_max=40,
        load_1min_median=2.0,
        memory_used_fraction_max=0.35,
        gpus=gpus,
    )
    return DiagnosisFacts(job=dataclasses.replace(base, **changes))


def _cpu_job(**changes: Any) -> DiagnosisFacts:
    """nanoGPT on an 8-core CPU, all cores busy."""
    values = {
        "usable_cpus": 8,
        "job_cpu_cores_median": 7.6,
        "busiest_cpu_percent_median": 99.0,
        "machine_cpu_percent_median": 95.0,
        "job_threads_max": 9,
        "load_1min_median": 8.1,
        "gpu_unavailable": "NVML could not start: NVML: NVIDIA driver not loaded",
    }
    values.update(changes)
    return _job_facts(**values)


_HEALTHY = Example("a compute-bound A100 job at 97%", lambda: _job_facts(_gpu()))
_NO_JOB = Example("no watched job (diagnose, analyze)", lambda: DiagnosisFacts())


INPUT_BOUND = Rule(
    id="MA140",
    symbol="gpu-waits-on-input",
    title="The GPU waits for input",
    kind=Kind.DO,
    severity=Severity.HIGH,
    description=(
        f"Fires when a GPU of the job runs kernels less than {GPU_STARVED_PERCENT:.0f}% of the "
        "time (median over the steady window) and no CPU core is saturated: the steps wait on "
        "data loading or host-to-device copies. With one core saturated, MA141 fires instead."
    ),
    fix_template="DataLoader(num_workers=<4-8>, pin_memory=True, ...), non_blocking copies",
    predicate=_input_bound,
    fires_on=(
        Example(
            "an A100 at 41% with 3 cores busy loading",
            lambda: _job_facts(_gpu(util_percent_median=41.0), job_cpu_cores_median=3.2),
        ),
    ),
    quiet_on=(
        _HEALTHY,
        Example(
            "an A100 at 41% with one core at 100% (Python-bound, MA141)",
            lambda: _job_facts(_gpu(util_percent_median=41.0), busiest_cpu_percent_median=100.0),
        ),
        _NO_JOB,
    ),
)

HOST_BOUND = Rule(
    id="MA141",
    symbol="one-core-drives-the-job",
    title="One Python thread drives the job",
    kind=Kind.DO,
    severity=Severity.HIGH,
    description=(
        f"Fires when the busiest CPU core runs at {CORE_SATURATED_PERCENT:.0f}% or more while "
        f"the job uses at most {ONE_CORE} cores in all: on a GPU that is starved, the Python "
        "thread launching kernels is the bottleneck; on a CPU-only job with 4 or more usable "
        "CPUs, torch's intra-op parallelism is switched off."
    ),
    fix_template="torch.compile / CUDA graphs / larger micro-batch; or OMP_NUM_THREADS unset",
    predicate=_host_bound,
    fires_on=(
        Example(
            "an A100 at 41% with one core at 100%",
            lambda: _job_facts(_gpu(util_percent_median=41.0), busiest_cpu_percent_median=100.0),
        ),
        Example(
            "a CPU job on 1 of 8 cores (OMP_NUM_THREADS=1)",
            lambda: _cpu_job(
                job_cpu_cores_median=1.0,
                busiest_cpu_percent_median=100.0,
                machine_cpu_percent_median=13.0,
                load_1min_median=1.1,
            ),
        ),
    ),
    quiet_on=(_HEALTHY, Example("a CPU job on all 8 cores", lambda: _cpu_job()), _NO_JOB),
)

POWER_CAPPED = Rule(
    id="MA142",
    symbol="gpu-power-capped",
    title="The GPU is held at its power limit",
    kind=Kind.INFO,
    severity=Severity.MEDIUM,
    description=(
        "Fires when NVML reports the software power cap (clock-event reason "
        f"SW_POWER_CAP) in at least {percent(POWER_CAP_SHARE)} of the samples of a GPU the job "
        "uses: its clocks were lowered to stay within the power limit during the measured steps."
    ),
    fix_template="nvidia-smi -pl <watts> where allowed, or cooling",
    predicate=_power_capped,
    fires_on=(
        Example(
            "an A100 capped at 250 W, 1095 MHz",
            lambda: _job_facts(
                _gpu(
                    power_cap_share=0.83,
                    sm_clock_mhz_median=1095.0,
                    power_w_median=249.0,
                    power_limit_w=250.0,
                )
            ),
        ),
    ),
    quiet_on=(_HEALTHY, _NO_JOB),
)

THERMAL = Rule(
    id="MA143",
    symbol="gpu-thermal-throttled",
    title="The GPU slows down to cool off",
    kind=Kind.INFO,
    severity=Severity.MEDIUM,
    description=(
        "Fires when NVML reports a thermal slowdown (SW_THERMAL_SLOWDOWN or HW_THERMAL_SLOWDOWN) "
        f"in at least {percent(THERMAL_SHARE)} of the samples of a GPU the job uses."
    ),
    fix_template="cooling: fans, airflow, room temperature",
    predicate=_thermal,
    fires_on=(
        Example(
            "a laptop RTX 4060 at 87 °C, slowed in 40% of samples",
            lambda: _job_facts(
                _gpu(
                    name="NVIDIA GeForce RTX 4060 Laptop GPU",
                    thermal_share=0.4,
                    temperature_c_max=87.0,
                    sm_clock_mhz_median=1530.0,
                    sm_clock_mhz_max=2370.0,
                    power_limit_w=115.0,
                    power_w_median=80.0,
                )
            ),
        ),
    ),
    quiet_on=(_HEALTHY, _NO_JOB),
)

MEMORY_FULL_RULE = Rule(
    id="MA144",
    symbol="job-memory-full",
    title="Memory is full: the batch cannot grow",
    kind=Kind.INFO,
    severity=Severity.MEDIUM,
    description=(
        f"Fires when a GPU of the job had {percent(MEMORY_FULL)} or more of its memory in use at "
        "the peak, or system memory did with the job holding at least "
        f"{percent(JOB_HOLDS)} of it: a larger micro-batch needs memory saved elsewhere first."
    ),
    fix_template="activation checkpointing, bf16 autocast, gradient accumulation",
    predicate=_memory_full,
    fires_on=(
        Example("an A100 at 98% memory", lambda: _job_facts(_gpu(memory_used_fraction_max=0.98))),
        Example(
            "a CPU job holding 80% of RAM, 97% used",
            lambda: _cpu_job(memory_used_fraction_max=0.97, job_memory_fraction_max=0.8),
        ),
    ),
    quiet_on=(
        _HEALTHY,
        Example(
            "RAM 99% used by other processes, the job holding 4%",
            lambda: _cpu_job(memory_used_fraction_max=0.99, job_memory_fraction_max=0.04),
        ),
        _NO_JOB,
    ),
)

MACHINE_SHARED = Rule(
    id="MA147",
    symbol="machine-shared-during-job",
    title="Other processes share the CPUs with the job",
    kind=Kind.INFO,
    severity=Severity.MEDIUM,
    description=(
        "Fires when, over the job's steady window, processes outside the job kept at least "
        f"{percent(OTHERS_SHARE)} of the usable CPUs busy (all CPUs' median utilisation minus "
        "the job's own CPU use): the job's figures then depend on that other work."
    ),
    fix_template="a quiet machine, or taskset -c to keep them apart",
    predicate=_machine_shared,
    fires_on=(
        Example(
            "a 2-CPU VM, the job on 0.5 cores, all CPUs 100% busy",
            lambda: _cpu_job(
                usable_cpus=2,
                job_cpu_cores_median=0.5,
                machine_cpu_percent_median=100.0,
                load_1min_median=4.4,
                job_threads_max=3,
            ),
        ),
    ),
    quiet_on=(Example("a CPU job on all 8 cores", lambda: _cpu_job()), _NO_JOB),
)

OVERSUBSCRIBED_JOB = Rule(
    id="MA145",
    symbol="job-threads-oversubscribe",
    title="More runnable threads than cores",
    kind=Kind.DO,
    severity=Severity.MEDIUM,
    description=(
        f"Fires when the 1-minute load average stays at {OVERSUBSCRIBED_LOAD}x the usable CPUs "
        "or more (median over the steady window): threads wait for a core, typically several "
        "processes each starting one intra-op thread per core."
    ),
    fix_template="OMP_NUM_THREADS=<cores per process>",
    predicate=_oversubscribed,
    fires_on=(
        Example(
            "4 ranks x 8 threads on 8 cores, load 29",
            lambda: _cpu_job(load_1min_median=29.0, job_threads_max=40),
        ),
    ),
    quiet_on=(
        Example("a CPU job on all 8 cores, load 8.1", lambda: _cpu_job()),
        Example(
            "load 4.4 on 2 CPUs from other processes, the job on 0.5 cores",
            lambda: _cpu_job(
                usable_cpus=2, job_cpu_cores_median=0.5, load_1min_median=4.4, job_threads_max=3
            ),
        ),
        _NO_JOB,
    ),
)

IDLE_GPUS = Rule(
    id="MA146",
    symbol="idle-gpus",
    title="GPUs idle while the job runs",
    kind=Kind.DO,
    severity=Severity.MEDIUM,
    description=(
        f"Fires on a machine with 2 or more GPUs when one runs above {BUSY_PERCENT:.0f}% and "
        f"another stays below {IDLE_PERCENT:.0f}% (medians): GPUs the job holds but starves, "
        "or GPUs it does not use at all."
    ),
    fix_template="torchrun --nproc-per-node=<GPUs>",
    predicate=_idle_gpus,
    fires_on=(
        Example(
            "one of 4 A100s used",
            lambda: _job_facts(
                _gpu(),
                *(
                    _gpu(
                        index=i,
                        used_by_job=False,
                        util_percent_median=0.0,
                        memory_used_fraction_max=0.0,
                    )
                    for i in (1, 2, 3)
                ),
            ),
        ),
    ),
    quiet_on=(
        Example(
            "two A100s both at 97%",
            lambda: _job_facts(_gpu(), _gpu(index=1)),
        ),
        _NO_JOB,
    ),
)

RULES: tuple[Rule, ...] = (
    INPUT_BOUND,
    HOST_BOUND,
    POWER_CAPPED,
    THERMAL,
    MEMORY_FULL_RULE,
    OVERSUBSCRIBED_JOB,
    IDLE_GPUS,
    MACHINE_SHARED,
)

"""From samples to the job facts the rules read: steady window, medians, clock-event shares."""

from __future__ import annotations

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.nvml_live import GpuSample
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.registry import evaluate
from mfu_advisor.run_facts import JobFacts
from mfu_advisor.watch.sampler import Sample
from mfu_advisor.watch.summary import job_facts, sample_series

GIB = 2**30


def _gpu(util: float, clock: float, reasons: int, power: float = 249.0) -> GpuSample:
    return GpuSample(
        gpu_index=0,
        util_percent=util,
        memory_util_percent=40.0,
        sm_clock_mhz=clock,
        memory_clock_mhz=6251.0,
        power_w=power,
        power_limit_w=250.0,
        temperature_c=70.0,
        memory_used_bytes=20 * GIB,
        memory_total_bytes=24 * GIB,
        event_reasons=reasons,
        pcie_tx_kb_s=None,
        pcie_rx_kb_s=None,
        job_on_gpu=True,
    )


def _sample(t: float, job_cpu: float, gpu: GpuSample | None) -> Sample:
    return Sample(
        t_s=t,
        cpu_percent=(100.0, 10.0, 5.0, 5.0),
        job_cpu_percent=job_cpu,
        job_threads=12,
        job_rss_bytes=3 * GIB,
        memory_used_bytes=8 * GIB,
        memory_total_bytes=32 * GIB,
        load_1min=1.2,
        gpus=() if gpu is None else (gpu,),
    )


def _power_capped_job() -> list[Sample]:
    # 4 s of start-up (idle GPU, a core loading), then 8 samples under the power cap in 6 of 8.
    start = [_sample(t * 0.5, 100.0, _gpu(0.0, 210.0, 0x1, power=60.0)) for t in range(8)]
    steady = [
        _sample(4.0 + t * 0.5, 104.0, _gpu(99.0, 1095.0 if t < 6 else 1410.0, 0x4 if t < 6 else 0))
        for t in range(8)
    ]
    return start + steady


def _a10g_facts() -> JobFacts:
    return job_facts(
        _power_capped_job(),
        exit_code=0,
        wall_s=8.0,
        window_start_s=4.0,
        gpu_names=["NVIDIA A10G"],
        gpu_reasons={},
        gpu_unavailable=None,
    )


def test_steady_window_excludes_start_up_and_shares_count_samples() -> None:
    facts = _a10g_facts()
    (gpu,) = facts.gpus
    assert facts.samples == 8
    assert gpu.util_percent_median == 99.0  # the idle start-up is not in it
    assert gpu.power_cap_share == 0.75
    assert gpu.thermal_share == 0.0
    assert gpu.sm_clock_mhz_median == 1095.0 and gpu.sm_clock_mhz_max == 1410.0
    assert gpu.memory_used_fraction_max == 20 / 24
    assert facts.job_cpu_cores_median == 1.04
    assert facts.busiest_cpu_percent_median == 100.0
    assert facts.machine_cpu_percent_median == 30.0
    assert facts.usable_cpus == 4


def test_the_power_capped_job_is_named_with_its_measured_clock() -> None:
    facts = _a10g_facts()
    findings = {f.id: f for f in evaluate(DiagnosisFacts(job=facts))}
    capped = findings["MA142"]
    assert "75% of the samples" in capped.explanation
    assert "SM clock median 1095 MHz (highest seen 1410 MHz)" in capped.explanation
    assert "power 249 W of a 250 W limit" in capped.explanation
    assert "MA140" not in findings and "MA141" not in findings  # the GPU was busy


def test_missing_nvml_fields_carry_their_reason() -> None:
    samples = [
        _sample(t, 100.0, _gpu(90.0, 1400.0, 0)._replace(power_w=None, event_reasons=None))
        for t in range(4)
    ]
    facts = job_facts(
        samples,
        exit_code=0,
        wall_s=4.0,
        window_start_s=0.0,
        gpu_names=["GRID A100-40C"],
        gpu_reasons={"power_w": "NVML: not supported on this GPU"},
        gpu_unavailable=None,
    )
    (gpu,) = facts.gpus
    assert gpu.power_w_median == Unavailable("NVML: not supported on this GPU")
    assert gpu.power_cap_share == Unavailable("NVML gave no clock-event reasons")


def test_series_keeps_the_chosen_samples_as_columns() -> None:
    samples = _power_capped_job()
    series = sample_series(samples, [0, 8, 15])
    assert series["count"] == 16 and series["shown"] == 3
    assert series["t_s"] == [0.0, 4.0, 7.5]
    assert series["gpus"][0]["util_percent"] == [0.0, 99.0, 99.0]
    assert series["gpus"][0]["event_reasons"] == [1.0, 4.0, 0.0]
    assert series["job_cpu_cores"] == [1.0, 1.04, 1.04]


def test_a_torchrun_command_gives_the_world_size_its_output_is_read_with() -> None:
    import shlex

    from mfu_advisor.logs.launch import read_launch

    def launched_world_size(argv: list[str]) -> int | None:
        return read_launch([shlex.join(argv)]).world_size  # as watch_job reads its command

    assert launched_world_size(["torchrun", "--nproc-per-node", "8", "train.py"]) == 8
    assert launched_world_size(["torchrun", "--nproc_per_node=4", "--nnodes=2", "t.py"]) == 8
    assert launched_world_size(["python", "-m", "torch.distributed.run", "--nproc-per-node=2",
                                "train.py"]) == 2  # fmt: skip
    assert launched_world_size(["torchrun", "--nproc-per-node=gpu", "train.py"]) is None
    assert launched_world_size(["python", "train.py", "--batch_size=12"]) is None

"""Which what-ifs apply to a baseline, what each changes, and in which order they run."""

from __future__ import annotations

import dataclasses

from mfu_advisor.experiments.variant import VariantContext
from mfu_advisor.experiments.variants import VARIANTS, select
from mfu_advisor.rules import example_facts as ex


def _zen3(**run_changes: object) -> VariantContext:
    return VariantContext(ex.cpu_run(**run_changes), ex.machine())


def test_on_the_zen3_vm_batch_variants_run_first_bf16_then_compile_last() -> None:
    selection = select(_zen3())
    assert [p.name for p in selection.plans] == [
        "batch-x4", "batch-x2", "autocast-bf16", "compile",
    ]  # fmt: skip


def test_on_the_zen3_vm_thread_variants_are_skipped_with_the_reason() -> None:
    skipped = {v.name: reason for v, reason in select(_zen3()).skipped}
    assert skipped["threads-physical"] == (
        "physical cores (2) equal usable logical CPUs (2): nothing to compare"
    )
    assert skipped["pin-p-cores"] == "not a hybrid CPU: all cores are of one type"
    assert skipped["autocast-fp16"].startswith("no native fp16 matmul on this CPU")
    assert skipped["tf32"] == "TF32 exists only on CUDA GPUs"


def test_bf16_on_a_cpu_without_it_runs_once_with_a_short_step_cap() -> None:
    plan = next(p for p in select(_zen3()).plans if p.name == "autocast-bf16")
    assert plan.step_cap is not None
    assert (plan.step_cap.warmup_steps, plan.step_cap.max_steps) == (1, 3)
    assert plan.verifies == "bf16-without-native-support"


def test_a_larger_micro_batch_keeps_the_effective_batch_with_accumulation() -> None:
    plan = next(
        p for p in select(_zen3(gradient_accumulation_steps=4)).plans if p.name == "batch-x4"
    )
    assert plan.overrides == {"batch_size": 48, "gradient_accumulation_steps": 1}
    assert "same 3072 tokens per optimizer step" in plan.change
    assert plan.note == ""


def test_without_accumulation_the_effective_batch_grows_and_the_note_says_what_it_means() -> None:
    plan = next(p for p in select(_zen3()).plans if p.name == "batch-x4")
    assert plan.overrides == {"batch_size": 48}
    assert "768 -> 3072" in plan.change
    assert "learning rate" in plan.note and "sqrt(4)" in plan.note


def test_a_batch_that_would_not_fit_in_memory_is_skipped() -> None:
    box = ex.machine(memory_total_bytes=2 * 2**30)  # 1 GiB available
    ctx = VariantContext(ex.cpu_run(peak_memory_bytes=400 * 2**20), box)
    skipped = {v.name: reason for v, reason in select(ctx).skipped}
    assert "batch-x4" in skipped and "GiB" in skipped["batch-x4"]
    assert "batch-x2" not in skipped


def test_on_an_a100_in_float32_tf32_bf16_and_fused_adamw_are_planned() -> None:
    facts = ex.on_a100(dtype="float32", tf32=False, adamw_impl="foreach", compile=False)
    assert facts.baseline is not None
    names = [p.name for p in select(VariantContext(facts.baseline, facts.hardware)).plans]
    assert {"tf32", "autocast-bf16", "fused-adamw", "compile"} <= set(names)
    assert names[-1] == "compile"
    assert names.index("tf32") < names.index("fused-adamw")


def test_a_hybrid_cpu_pins_to_its_performance_cores() -> None:
    run = ex.cpu_run(threads=12, cpu_affinity=tuple(range(16)))
    ctx = VariantContext(run, ex.machine(cpu=ex.alder_lake_cpu()))
    plan = next(p for p in select(ctx).plans if p.name == "pin-p-cores")
    assert plan.cpus == tuple(range(8))
    assert plan.overrides["threads"] == 4
    assert plan.env == {"OMP_NUM_THREADS": "4"}


def test_a_cgroup_quota_below_the_threads_plans_threads_usable() -> None:
    cpu = ex.zen3_vm_cpu(cgroup_cpu_limit=1.0, usable_cpus=1)
    ctx = VariantContext(ex.cpu_run(threads=2), ex.machine(cpu=cpu))
    plan = next(p for p in select(ctx).plans if p.name == "threads-usable")
    assert plan.overrides == {"threads": 1}


def test_every_variant_has_a_unique_name() -> None:
    names = [v.name for v in VARIANTS]
    assert len(names) == len(set(names))


def test_a_baseline_that_compiles_plans_no_compile_instead_of_compile() -> None:
    run = dataclasses.replace(ex.cpu_run(), compile=True)
    names = [p.name for p in select(VariantContext(run, ex.machine())).plans]
    assert "no-compile" in names and "compile" not in names

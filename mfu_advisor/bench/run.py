"""``run_bench``: one calibrated GPT training run: pin the CPUs (before torch starts threads),
resolve, build, warm up, measure until the budget or the CI rule (Ctrl-C keeps what was
measured), then the roofline; a ``variant`` is measured interleaved (bench/paired.py)."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

from mfu_advisor.bench.data import read_text
from mfu_advisor.bench.denominators import mfu_figures
from mfu_advisor.bench.devices import (
    DeviceChoice,
    peak_memory,
    reset_peak_memory,
    resolve_device,
    tf32_setting,
)
from mfu_advisor.bench.options import BenchOptions, check_cpus, cpu_affinity
from mfu_advisor.bench.progress import ProgressSink, SilentProgress
from mfu_advisor.bench.resolve import ResolvedRun, resolve_run
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import gemm_shapes, measured_peak, roofline_for_run
from mfu_advisor.bench.training import build_training, meter_for, train, train_paired
from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import flops_per_token

#: Most steps kept in the JSON ``series`` (a tiny model can run many thousands).
SERIES_MAX_STEPS = 20_000


def run_bench(options: BenchOptions, progress: ProgressSink | None = None) -> BenchResult:
    """Run the bench described by ``options``; UserError for anything that cannot run."""
    sink = progress or SilentProgress()
    notes: list[str] = []
    if options.cpus is not None:
        check_cpus(options.cpus)
        os.sched_setaffinity(0, options.cpus)
        if "torch" in sys.modules:  # imported by the caller: its threads keep their affinity
            notes.append(
                "torch was imported before --cpus was applied: threads it had already started "
                "keep their old affinity (run the bench in its own process to pin it fully)"
            )
    import torch

    if options.threads is not None or options.cpus is not None:
        torch.set_num_threads(options.threads or len(options.cpus or ()))
    choice = resolve_device(options.device)
    text = read_text(options.data)
    resolved = resolve_run(options, choice, text)
    notes += resolved.notes
    variant: ResolvedRun | None = None
    if options.variant:
        changed = dataclasses.replace(resolved.options, **dict(options.variant), variant=())
        variant = resolve_run(changed, choice, text)
        notes += [f"variant: {note}" for note in variant.notes]
    try:
        with tf32_setting(choice.device_type, bool(resolved.options.tf32)):
            return _run_resolved(resolved, variant, choice, text, sink, notes)
    finally:
        sink.close()


def _run_resolved(
    resolved: ResolvedRun,
    variant: ResolvedRun | None,
    choice: DeviceChoice,
    text: str | None,
    sink: ProgressSink,
    notes: list[str],
) -> BenchResult:
    import torch

    opts = resolved.options
    shape = opts.shape()
    assert opts.dtype is not None and opts.batch_size is not None and opts.budget_s is not None
    sink.phase(
        f"{opts.preset}: {shape.n_layer} layers, {shape.n_head} heads, n_embd {shape.n_embd}, "
        f"block {shape.block_size}, batch {opts.batch_size} on {choice.device} "
        f"({choice.name}), {opts.dtype}, {torch.get_num_threads()} threads"
    )
    training, n_params, adamw_impl = build_training(opts, choice, text)
    meter = meter_for(opts, choice)
    peak_key = meter.dtype_key
    paired = None
    reset_peak_memory(choice.device_type, choice.index)
    if variant is None:
        losses, stopped_by = train(training, meter, opts, sink, choice)
    else:
        losses, stopped_by, paired = train_paired(
            training, meter, variant, opts, choice, text, sink
        )
    memory, memory_kind = peak_memory(choice.device_type, choice.index)  # before the sweep
    affinity = cpu_affinity()
    summary = meter.summary()  # probes the hardware for the device peak (no torch import)
    peak = meter.peak()  # the probe's, read once by summary() above
    assert not isinstance(peak, float)
    roofline = roofline_for_run(
        opts, choice, peak_key, stopped_by, sink, peak, summary.achieved_flops
    )
    return assemble_result(
        resolved,
        choice,
        peak_key,
        roofline,
        mfu_figures(summary.achieved_flops, peak, *measured_peak(roofline, peak_key)),
        warmups_s=meter.warmup_durations_s,
        steps_s=meter.durations_s,
        losses=losses,
        notes=notes,
        device=choice.device,
        torch_version=str(torch.__version__),
        threads=torch.get_num_threads(),
        cpu_affinity=tuple(affinity)
        if affinity
        else Unavailable("CPU affinity is not available on this OS"),
        adamw_impl=adamw_impl,
        n_params=n_params,
        effective_batch_tokens=opts.tokens_per_step(),
        stopped_by=stopped_by,
        step_time_ms=summary.step_time or Unavailable("no step was measured"),
        tokens_per_s=or_missing(summary.tokens_per_s),
        achieved_flops=or_missing(summary.achieved_flops),
        peak_memory_bytes=or_missing(memory, "not measurable here"),
        peak_memory_kind=memory_kind,
        paired=paired,
        gpu_under_load=summary.gpu_under_load,
    )


def assemble_result(
    resolved: ResolvedRun,
    choice: DeviceChoice,
    peak_key: str,
    roofline: Any,
    mfu: Any,
    *,
    warmups_s: list[float],
    steps_s: list[float],
    losses: list[float],
    notes: list[str],
    **measured: Any,
) -> BenchResult:
    """The BenchResult of a run (single or multi-rank) from its options, warm-up and measured
    step seconds and losses, plus the other ``measured`` fields the caller computed."""
    opts = resolved.options
    compile_s: Any = Unavailable("compile is off")
    warmup_s = sum(warmups_s)
    if opts.compile:
        compile_s = (
            warmups_s[0] if warmups_s else Unavailable("interrupted before the compile step")
        )
        warmup_s = sum(warmups_s[1:])
    notes = list(notes)
    if not isinstance(roofline, Unavailable):
        notes += roofline.notes
    if mfu.device_peak.note:
        notes.append(mfu.device_peak.note)
    if measured.get("paired") is not None:
        notes.append(
            "peak memory covers both the run and its variant (one process holds both models)"
        )
    times = [d * 1e3 for d in [*warmups_s, *steps_s]][:SERIES_MAX_STEPS]
    n = min(len(times), len(losses))
    common = dict(
        preset=opts.preset,
        preset_source=resolved.preset_source,
        config=opts.model_config(),
        device_name=choice.name,
        dtype=str(opts.dtype),
        peak_dtype=peak_key,
        tf32=bool(opts.tf32),
        seed=opts.seed,
        data=opts.data or "synthetic",
        flops_per_token=flops_per_token(opts.shape()),
        warmup_steps=len(warmups_s),
        warmup_step_ms=tuple(d * 1e3 for d in warmups_s),
        compile_s=compile_s,
        warmup_s=warmup_s,
        measured_s=sum(steps_s),
        budget_s=float(opts.budget_s or 0),
        mfu=mfu,
        loss_first=or_missing(losses[0] if losses else None, "no step finished"),
        loss_last=or_missing(losses[-1] if losses else None, "no step finished"),
        series={"step": list(range(n)), "step_time_ms": times[:n], "loss": losses[:n]},
        gemm_shapes=gemm_shapes(opts.shape(), int(opts.batch_size or 1)),
        roofline=roofline,
        notes=tuple(notes),
    )
    return BenchResult(**{**common, **measured})


def or_missing(value: Any, reason: str = "no step was measured") -> Any:
    """``value``, or Unavailable with ``reason`` when there is none."""
    return value if value is not None else Unavailable(reason)

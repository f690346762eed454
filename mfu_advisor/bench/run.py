"""``run_bench``: one calibrated GPT training run, start to finish.

Order of events: pin the CPUs (before torch starts threads), import torch,
pick the device, resolve the options, build model/data/optimizer, warm up
(compile included), measure until the budget or the confidence-interval rule
stops it, then probe the hardware and measure (or read) the roofline. Ctrl-C
during the measurement stops it and keeps what was measured.

With ``options.variant`` a second configuration (the variant) is built in the
same process and measured interleaved with the run, block by block
(bench/paired.py); the result's ``paired`` holds its figures and speedup.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from typing import Any

from mfu_advisor.bench.denominators import mfu_figures
from mfu_advisor.bench.devices import (
    make_synchronize,
    native_bf16,
    peak_dtype_key,
    peak_memory,
    reset_peak_memory,
    resolve_device,
    tf32_setting,
)
from mfu_advisor.bench.gemms import gemm_shapes
from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.options import BenchOptions, check_cpus
from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.bench.progress import ProgressSink, SilentProgress
from mfu_advisor.bench.resolve import ResolvedRun, resolve_options
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.timing import StopRule
from mfu_advisor.bench.training import build_training, train, train_paired
from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import flops_per_token

#: Most steps kept in the JSON ``series`` (a tiny model can run many thousands).
SERIES_MAX_STEPS = 20_000


def apply_cpu_affinity(cpus: tuple[int, ...] | None) -> str | None:
    """Pin this process to ``cpus``; returns a note when torch's threads may predate it."""
    if cpus is None:
        return None
    check_cpus(cpus)
    started_before = "torch" in sys.modules
    os.sched_setaffinity(0, cpus)
    if started_before:
        return (
            "torch was imported before --cpus was applied: threads it had already started "
            "keep their old affinity (run the bench in its own process to pin it fully)"
        )
    return None


def run_bench(options: BenchOptions, progress: ProgressSink | None = None) -> BenchResult:
    """Run the bench described by ``options``; UserError for anything that cannot run."""
    sink = progress or SilentProgress()
    notes: list[str] = []
    affinity_note = apply_cpu_affinity(options.cpus)
    if affinity_note:
        notes.append(affinity_note)
    import torch

    if options.threads is not None:
        torch.set_num_threads(options.threads)
    elif options.cpus is not None:
        torch.set_num_threads(len(options.cpus))
    choice = resolve_device(options.device)
    text, vocabulary = None, None
    if options.data:
        from mfu_advisor.bench.data import read_text, text_vocabulary

        text = read_text(options.data)
        vocabulary = text_vocabulary(text)
    bf16 = native_bf16(choice.device_type, choice.index)  # T4/V100: fp16 + GradScaler
    resolved = resolve_options(
        options,
        choice,
        bf16_supported=bf16,
        text_vocab_size=vocabulary.size if vocabulary else None,
    )
    notes += resolved.notes
    variant: ResolvedRun | None = None
    if options.variant:
        variant = resolve_options(
            dataclasses.replace(resolved.options, **dict(options.variant), variant=()),
            choice,
            bf16_supported=bf16,
            text_vocab_size=vocabulary.size if vocabulary else None,
        )
        notes += [f"variant: {note}" for note in variant.notes]
    try:
        with tf32_setting(choice.device_type, bool(resolved.options.tf32)):
            return _run_resolved(resolved, variant, choice, text, vocabulary, sink, notes)
    finally:
        sink.close()


def _run_resolved(
    resolved: ResolvedRun,
    variant: ResolvedRun | None,
    choice: Any,
    text: str | None,
    vocabulary: Any,
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
    training, n_params, adamw_impl = build_training(opts, choice, text, vocabulary)
    peak_key = peak_dtype_key(choice.device_type, opts.dtype, bool(opts.tf32))
    fpt = flops_per_token(shape)
    tokens = opts.tokens_per_step()
    reset_peak_memory(choice.device_type, choice.index)
    meter = MFUMeter(
        fpt,
        device=choice.device,
        dtype=peak_key,
        warmup_steps=int(opts.warmup_steps or 0),
        synchronize=make_synchronize(choice.device_type, choice.index),
    )
    paired: PairedComparison | None = None
    if variant is None:
        sink.phase(
            f"warm-up: {opts.warmup_steps} steps"
            + (" (the first compiles)" if opts.compile else "")
        )
        if not opts.warmup_steps:
            sink.phase(f"measuring: up to {opts.budget_s:g} s")
        rule = StopRule(
            budget_s=opts.budget_s,
            min_steps=int(opts.min_steps or 1),
            max_steps=opts.max_steps,
        )
        losses, stopped_by = train(training, meter, rule, tokens, opts, sink, choice)
    else:
        losses, stopped_by, paired = train_paired(
            training, meter, variant, opts, choice, text, vocabulary, sink
        )
    memory, memory_kind = peak_memory(choice.device_type, choice.index)  # before the sweep
    summary = meter.summary()  # probes the hardware for the device peak (no torch import)
    peak = meter.peak()  # the probe's, read once by summary() above
    assert not isinstance(peak, float)
    roofline = roofline_for_run(
        opts, choice, shape, peak_key, stopped_by, sink, peak, summary.achieved_flops
    )
    from mfu_advisor.bench.roofline import measured_peak

    measured_flops, measured_label = measured_peak(roofline, peak_key)
    figures = mfu_figures(summary.achieved_flops, peak, measured_flops, measured_label)
    warmups = meter.timer.warmup_durations_s
    compile_s, warmup_s = warmup_figures(warmups, bool(opts.compile))
    if not isinstance(roofline, Unavailable):
        notes += list(roofline.notes)
    if figures.device_peak.note:
        notes.append(figures.device_peak.note)
    if paired is not None:
        notes.append(
            "peak memory covers both the run and its variant (one process holds both models)"
        )
    return BenchResult(
        preset=opts.preset,
        preset_source=resolved.preset_source,
        config=opts.model_config(),
        device=choice.device,
        device_name=choice.name,
        dtype=opts.dtype,
        peak_dtype=peak_key,
        torch_version=str(torch.__version__),
        threads=torch.get_num_threads(),
        cpu_affinity=_affinity(),
        tf32=bool(opts.tf32),
        adamw_impl=adamw_impl,
        seed=opts.seed,
        data=opts.data or "synthetic",
        n_params=n_params,
        flops_per_token=fpt,
        effective_batch_tokens=tokens,
        warmup_steps=len(warmups),
        warmup_step_ms=tuple(d * 1e3 for d in warmups),
        compile_s=compile_s,
        warmup_s=warmup_s,
        measured_s=sum(meter.timer.durations_s),
        budget_s=opts.budget_s,
        stopped_by=stopped_by,
        step_time_ms=summary.step_time or Unavailable("no step was measured"),
        tokens_per_s=or_missing(summary.tokens_per_s),
        achieved_flops=or_missing(summary.achieved_flops),
        mfu=figures,
        peak_memory_bytes=memory if memory is not None else Unavailable("not measurable here"),
        peak_memory_kind=memory_kind,
        loss_first=or_missing(losses[0] if losses else None, "no step finished"),
        loss_last=or_missing(losses[-1] if losses else None, "no step finished"),
        series=series_columns(warmups, meter.timer.durations_s, losses),
        gemm_shapes=gemm_shapes(shape, opts.batch_size),
        roofline=roofline,
        paired=paired,
        notes=tuple(notes),
        gpu_under_load=summary.gpu_under_load,
    )


def roofline_for_run(
    opts: BenchOptions,
    choice: Any,
    shape: Any,
    peak_key: str,
    stopped_by: str,
    sink: ProgressSink,
    peak: Any = None,
    achieved_flops: float | None = None,
) -> Any:
    """The measured roofline, from the cache or a short sweep; Unavailable when skipped.

    ``peak`` (the probe's PeakFlops for ``peak_key``) and the run's ``achieved_flops``
    bound what a cached figure may claim (roofline.cache_bounds).
    """
    import torch

    from mfu_advisor.bench import roofline as sweep

    if not opts.roofline:
        return Unavailable("skipped: --no-roofline")
    if stopped_by == "interrupted":
        return Unavailable("skipped: the run was interrupted")
    dtype_keys = ["fp32"]
    if choice.device_type == "cuda":
        dtype_keys += ["tf32", "bf16", "fp16"]
    dtype_keys = [peak_key] + [d for d in dtype_keys if d != peak_key]
    batch = int(opts.batch_size or 1)
    shapes = [g for multiple in (1, 2, 4) for g in gemm_shapes(shape, batch, multiple)]
    machine = sweep.machine_fingerprint(
        choice.device_type, choice.name, torch.get_num_threads(), str(torch.__version__)
    )
    sink.phase("roofline: matmul sweep and memory bandwidth (cached per machine)")
    started = time.perf_counter()
    try:
        result = sweep.measure_roofline(
            sweeper=sweep.Sweeper(
                choice.device,
                choice.device_type,
                make_synchronize(choice.device_type, choice.index),
                seconds_per_shape=sweep.SECONDS_PER_SHAPE,
                max_call_s=sweep.MAX_CALL_S,
            ),
            machine=machine,
            dtype_keys=dtype_keys,
            model_shapes=shapes,
            fresh=opts.fresh,
            bounds=sweep.cache_bounds(
                peak_key,
                getattr(peak, "flops", None),
                bool(getattr(peak, "estimated", True)),
                achieved_flops,
            ),
        )
    except KeyboardInterrupt:
        return Unavailable("skipped: interrupted during the roofline sweep")
    if not result.from_cache:
        sink.phase(f"roofline measured in {time.perf_counter() - started:.1f} s")
    return result


def _affinity() -> tuple[int, ...] | Unavailable:
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return Unavailable("CPU affinity is not available on this OS")
    return tuple(sorted(getter(0)))


def or_missing(value: float | None, reason: str = "no step was measured") -> Any:
    """``value``, or Unavailable with ``reason`` when there is none."""
    return value if value is not None else Unavailable(reason)


def warmup_figures(warmups_s: list[float], compiled: bool) -> tuple[Any, float]:
    """(``compile_s``, ``warmup_s``) of a run's warm-up steps, the compiling one first."""
    if not compiled:
        return Unavailable("compile is off"), sum(warmups_s)
    if not warmups_s:
        return Unavailable("interrupted before the compile step"), 0.0
    return warmups_s[0], sum(warmups_s[1:])


def series_columns(
    warmups_s: list[float], measured_s: list[float], losses: list[float]
) -> dict[str, Any]:
    """Per-step columns (warm-up first), capped at SERIES_MAX_STEPS."""
    times = [d * 1e3 for d in [*warmups_s, *measured_s]][:SERIES_MAX_STEPS]
    n = min(len(times), len(losses))
    return {"step": list(range(n)), "step_time_ms": times[:n], "loss": losses[:n]}

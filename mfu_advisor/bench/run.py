"""``run_bench``: one calibrated GPT training run, start to finish.

Order of events: pin the CPUs (before torch starts threads), import torch,
pick the device, resolve the options, build model/data/optimizer, warm up
(compile included), measure until the budget or the confidence-interval rule
stops it, then probe the hardware and measure (or read) the roofline. Ctrl-C
during the measurement stops it and keeps what was measured.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.denominators import mfu_figures
from mfu_advisor.bench.devices import (
    autocast_context,
    is_out_of_memory,
    make_grad_scaler,
    make_optimizer,
    make_synchronize,
    peak_dtype_key,
    peak_memory,
    reset_peak_memory,
    resolve_device,
    tf32_setting,
)
from mfu_advisor.bench.gemms import gemm_shapes
from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.options import BenchOptions, check_cpus
from mfu_advisor.bench.progress import ProgressSink, SilentProgress
from mfu_advisor.bench.resolve import ResolvedRun, resolve_options
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.timing import RunningStats, StopRule
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import flops_per_token

#: nanoGPT train.py's default gradient clipping norm; the bench clips as it does.
GRAD_CLIP = 1.0

#: Most steps kept in the JSON ``series`` (a tiny model can run many thousands).
SERIES_MAX_STEPS = 20_000


@dataclass
class _Training:
    """The objects one training step needs."""

    model: Any
    optimizer: Any
    scaler: Any
    stream: Any
    autocast: Any
    batch_size: int
    block_size: int
    accumulation: int

    def step(self) -> Any:
        """One optimizer step over ``accumulation`` micro-batches; the last micro-batch's loss."""
        import torch

        loss = None
        for _ in range(self.accumulation):
            x, y = self.stream.batch(self.batch_size, self.block_size)
            with self.autocast:
                _, loss = self.model(x, y)
            self.scaler.scale(loss / self.accumulation).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), GRAD_CLIP)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        assert loss is not None
        return loss.detach()


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
    bf16 = choice.device_type != "cuda" or bool(torch.cuda.is_bf16_supported())
    resolved = resolve_options(
        options,
        choice,
        bf16_supported=bf16,
        text_vocab_size=vocabulary.size if vocabulary else None,
    )
    notes += resolved.notes
    try:
        with tf32_setting(choice.device_type, bool(resolved.options.tf32)):
            return _run_resolved(resolved, choice, text, vocabulary, sink, notes)
    finally:
        sink.close()


def _run_resolved(
    resolved: ResolvedRun,
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
    rule = StopRule(
        budget_s=opts.budget_s,
        min_steps=int(opts.min_steps or 1),
        max_steps=opts.max_steps,
    )
    reset_peak_memory(choice.device_type, choice.index)
    sink.phase(
        f"warm-up: {opts.warmup_steps} steps" + (" (the first compiles)" if opts.compile else "")
    )
    meter = MFUMeter(
        fpt,
        device=choice.device,
        dtype=peak_key,
        warmup_steps=int(opts.warmup_steps or 0),
        synchronize=make_synchronize(choice.device_type, choice.index),
    )
    if not opts.warmup_steps:
        sink.phase(f"measuring: up to {opts.budget_s:g} s")
    losses, stopped_by = _train(training, meter, rule, tokens, opts, sink, choice)
    memory, memory_kind = peak_memory(choice.device_type, choice.index)  # before the sweep
    summary = meter.summary()  # probes the hardware for the device peak (no torch import)
    roofline = _roofline(opts, choice, shape, peak_key, stopped_by, sink)
    from mfu_advisor.bench.roofline import measured_peak

    measured_flops, measured_label = measured_peak(roofline, peak_key)
    peak = meter.peak()  # the probe's, read once by summary() above
    assert not isinstance(peak, float)
    figures = mfu_figures(summary.achieved_flops, peak, measured_flops, measured_label)
    warmups = meter.timer.warmup_durations_s
    compile_s: float | Unavailable = Unavailable("compile is off")
    if opts.compile:
        compile_s = warmups[0] if warmups else Unavailable("interrupted before the compile step")
    if not isinstance(roofline, Unavailable):
        notes += list(roofline.notes)
    notes += _peak_consistency(figures)
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
        warmup_s=sum(warmups[1:] if opts.compile else warmups),
        measured_s=sum(meter.timer.durations_s),
        budget_s=opts.budget_s,
        stopped_by=stopped_by,
        step_time_ms=summary.step_time or Unavailable("no step was measured"),
        tokens_per_s=_or_missing(summary.tokens_per_s),
        achieved_flops=_or_missing(summary.achieved_flops),
        mfu=figures,
        peak_memory_bytes=memory if memory is not None else Unavailable("not measurable here"),
        peak_memory_kind=memory_kind,
        loss_first=_or_missing(losses[0] if losses else None, "no step finished"),
        loss_last=_or_missing(losses[-1] if losses else None, "no step finished"),
        series=_series(warmups, meter.timer.durations_s, losses),
        gemm_shapes=gemm_shapes(shape, opts.batch_size),
        roofline=roofline,
        notes=tuple(notes),
    )


def build_training(
    opts: BenchOptions, choice: Any, text: str | None, vocabulary: Any
) -> tuple[_Training, int, str]:
    """Data, model, optimizer and precision for the run; (training, parameters, AdamW impl)."""
    import torch

    from mfu_advisor.bench.data import TokenStream, check_stream_fits
    from mfu_advisor.bench.model import Gpt

    shape = opts.shape()
    torch.manual_seed(opts.seed)
    if text is not None and vocabulary is not None and opts.data:
        check_stream_fits(len(text), shape.block_size, opts.data)
        stream = TokenStream.from_text(
            text, vocabulary, choice.device, choice.device_type, opts.seed
        )
    else:
        stream = TokenStream.synthetic(
            shape.vocab_size, choice.device, choice.device_type, opts.seed
        )
    model = Gpt(shape, dropout=float(opts.dropout or 0.0)).to(choice.device)
    optimizer, adamw_impl = make_optimizer(model, opts.adamw_impl, choice.device_type)
    step_model: Any = torch.compile(model) if opts.compile else model
    dtype = str(opts.dtype)
    training = _Training(
        model=step_model,
        optimizer=optimizer,
        scaler=make_grad_scaler(choice.device_type, dtype),
        stream=stream,
        autocast=autocast_context(choice.device_type, dtype),
        batch_size=int(opts.batch_size or 1),
        block_size=shape.block_size,
        accumulation=int(opts.gradient_accumulation_steps or 1),
    )
    return training, model.param_count(), adamw_impl


def _train(
    training: _Training,
    meter: MFUMeter,
    rule: StopRule,
    tokens: int,
    opts: BenchOptions,
    sink: ProgressSink,
    choice: Any,
) -> tuple[list[float], str]:
    """Warm up and measure; returns (the loss of every step, why it stopped)."""
    losses: list[float] = []
    measured = RunningStats()
    stopped_by = "interrupted"
    meter.start()
    try:
        while True:
            try:
                loss = training.step()
            except Exception as exc:  # OOM and compile failures become one line; others re-raise
                error = _step_error(exc, opts, choice, not losses)
                if error is None:
                    raise
                raise error from None
            in_warmup = meter.timer.in_warmup
            duration = meter.step(tokens)
            losses.append(float(loss))  # after the clock: the device is synchronized already
            if in_warmup:
                if not meter.timer.in_warmup:
                    sink.phase(f"measuring: up to {opts.budget_s:g} s")
                continue
            measured.add(duration)
            sink.measured(measured.count, measured.total_s, float(opts.budget_s or 0))
            reason = rule.reason_to_stop(measured)
            if reason:
                stopped_by = reason
                break
    except KeyboardInterrupt:
        stopped_by = "interrupted"
        sink.phase("interrupted: reporting what was measured so far")
    return losses, stopped_by


def _step_error(exc: Exception, opts: BenchOptions, choice: Any, first: bool) -> UserError | None:
    """One clear line for a step that failed: out of memory, compile failure, or other."""
    if is_out_of_memory(exc):
        half = max(1, (opts.batch_size or 2) // 2)
        return UserError(
            f"out of memory on {choice.device} with batch_size {opts.batch_size} x block_size "
            f"{opts.block_size}; try --batch_size={half} (and --gradient_accumulation_steps="
            f"{2 * int(opts.gradient_accumulation_steps or 1)} to keep the tokens per step)"
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if opts.compile and first:
        return UserError(
            f"torch.compile failed on the first step ({type(exc).__name__}: {first_line}); "
            "rerun with --compile=False"
        )
    return None


def _roofline(
    opts: BenchOptions, choice: Any, shape: Any, peak_key: str, stopped_by: str, sink: ProgressSink
) -> Any:
    """The measured roofline, from the cache or a short sweep; Unavailable when skipped."""
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


def _or_missing(value: float | None, reason: str = "no step was measured") -> Any:
    return value if value is not None else Unavailable(reason)


def _peak_consistency(figures: Any) -> list[str]:
    """A note when the measured matmul beats the device peak: the peak must then be too low."""
    device = figures.device_peak.denominator_flops
    measured = figures.measured_peak.denominator_flops
    if device and measured and measured > device * 1.02:
        return [
            f"the matmul measured here ({measured / 1e9:,.1f} GFLOP/s) beats the device peak "
            f"({device / 1e9:,.1f} GFLOP/s): that peak is too low (often a clock read below "
            "the boost clock), so the device-peak MFU is overstated"
        ]
    return []


def _series(warmups: list[float], measured: list[float], losses: list[float]) -> dict[str, Any]:
    """Per-step columns (warm-up first), capped at SERIES_MAX_STEPS."""
    times = [d * 1e3 for d in [*warmups, *measured]][:SERIES_MAX_STEPS]
    n = min(len(times), len(losses))
    return {"step": list(range(n)), "step_time_ms": times[:n], "loss": losses[:n]}

"""The nanoGPT training step the bench times (:class:`Training`), and the loops that time it
alone (:func:`train`) or interleaved with a variant (:func:`train_paired`, bench/paired.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.devices import (
    autocast_context,
    is_out_of_memory,
    make_grad_scaler,
    make_optimizer,
    make_synchronize,
    peak_dtype_key,
    tf32_setting,
)
from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.paired import Arm, PairedComparison, PairRule, comparison, measure_pairs
from mfu_advisor.bench.paired import warm_up as warm_up_arm
from mfu_advisor.bench.progress import ProgressSink
from mfu_advisor.bench.resolve import ResolvedRun
from mfu_advisor.bench.timing import RunningStats, StopRule
from mfu_advisor.errors import UserError
from mfu_advisor.mfu import flops_per_token

#: nanoGPT train.py's default gradient clipping norm; the bench clips as it does.
GRAD_CLIP = 1.0


@dataclass
class Training:
    """The objects one training step needs."""

    model: Any
    optimizer: Any
    scaler: Any
    stream: Any
    autocast: Any
    batch_size: int
    block_size: int
    accumulation: int
    no_sync: Callable[[], Any] | None = None
    """DDP's ``model.no_sync``: micro-batches before the last run under it (nanoGPT)."""
    sync: bool = True
    """False: the last micro-batch skips the all-reduce too (to time what it costs)."""

    def step(self) -> Any:
        """One optimizer step over ``accumulation`` micro-batches; the last micro-batch's loss."""
        import torch

        loss = None
        for micro in range(self.accumulation):
            x, y = self.stream.batch(self.batch_size, self.block_size)
            skip_sync = self.no_sync is not None and (
                not self.sync or micro < self.accumulation - 1
            )
            with self.no_sync() if skip_sync and self.no_sync else contextlib.nullcontext():
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


def build_training(
    opts: BenchOptions, choice: Any, text: str | None, wrap: Callable[[Any], Any] | None = None
) -> tuple[Training, int, str]:
    """(training, parameters, AdamW impl) for the run; ``wrap`` wraps the compiled model (DDP)."""
    import torch

    from mfu_advisor.bench.data import TokenStream, check_stream_fits
    from mfu_advisor.bench.model import Gpt

    shape = opts.shape()
    torch.manual_seed(opts.seed)
    if text is not None:
        check_stream_fits(len(text), shape.block_size, str(opts.data))
        stream = TokenStream.from_text(text, choice.device, choice.device_type, opts.seed)
    else:
        stream = TokenStream.synthetic(
            shape.vocab_size, choice.device, choice.device_type, opts.seed
        )
    model = Gpt(shape, dropout=float(opts.dropout or 0.0)).to(choice.device)
    optimizer, adamw_impl = make_optimizer(model, opts.adamw_impl, choice.device_type)
    step_model: Any = torch.compile(model) if opts.compile else model
    if wrap is not None:
        step_model = wrap(step_model)  # compile first, then DDP: nanoGPT's order
    dtype = str(opts.dtype)
    training = Training(
        model=step_model,
        optimizer=optimizer,
        scaler=make_grad_scaler(choice.device_type, dtype),
        stream=stream,
        autocast=autocast_context(choice.device_type, dtype),
        batch_size=int(opts.batch_size or 1),
        block_size=shape.block_size,
        accumulation=int(opts.gradient_accumulation_steps or 1),
        no_sync=getattr(step_model, "no_sync", None) if wrap is not None else None,
    )
    return training, model.param_count(), adamw_impl


def train(
    training: Training, meter: MFUMeter, opts: BenchOptions, sink: ProgressSink, choice: Any
) -> tuple[list[float], str]:
    """Warm up and measure until the stop rule; returns (every step's loss, why it stopped)."""
    compiles = " (the first compiles)" if opts.compile else ""
    sink.phase(f"warm-up: {opts.warmup_steps} steps{compiles}")
    rule = StopRule(float(opts.budget_s or 0), int(opts.min_steps or 1), max_steps=opts.max_steps)
    arm = _arm(training, opts, choice, meter)
    measured = RunningStats()
    try:
        warm_up_arm(arm)
        sink.phase(f"measuring: up to {opts.budget_s:g} s")
        while True:
            measured.add(arm.timed_step())
            sink.measured(measured.count, measured.total_s, float(opts.budget_s or 0))
            if reason := rule.reason_to_stop(measured):
                return arm.losses, reason
    except KeyboardInterrupt:
        sink.phase("interrupted: reporting what was measured so far")
    return arm.losses, "interrupted"


def train_paired(
    training: Training,
    meter: MFUMeter,
    variant: ResolvedRun,
    opts: BenchOptions,
    choice: Any,
    text: str | None,
    sink: ProgressSink,
) -> tuple[list[float], str, PairedComparison]:
    """Build the variant, warm both up, and measure them interleaved (bench/paired.py)."""
    vopts = variant.options
    assert vopts.dtype is not None
    changes = tuple((name, getattr(vopts, name)) for name in dict(opts.variant))
    sink.phase("variant: " + ", ".join(f"{k} {getattr(opts, k)} -> {v}" for k, v in changes))
    v_training, _, _ = build_training(vopts, choice, text)
    run_arm = _arm(training, opts, choice, meter)
    variant_arm = _arm(v_training, vopts, choice, meter_for(vopts, choice))
    rule = PairRule(budget_s=float(opts.budget_s or 0), max_steps=opts.max_steps)
    stopped_by = "interrupted"
    ratios: list[float] = []
    try:
        sink.phase(f"warm-up: the run, {opts.warmup_steps} steps")
        warm_up_arm(run_arm)
        compiling = " (the first compiles)" if vopts.compile else ""
        sink.phase(f"warm-up: the variant, {vopts.warmup_steps} steps{compiling}")
        warm_up_arm(variant_arm)
        sink.phase(f"measuring: run and variant interleaved, up to {opts.budget_s:g} s")
        ratios, stopped_by = measure_pairs(run_arm, variant_arm, rule, sink)
    except KeyboardInterrupt:
        sink.phase("interrupted: reporting what was measured so far")
    paired = comparison(
        changes,
        vopts.model_config(),
        variant_arm,
        dtype=vopts.dtype,
        peak_dtype=variant_arm.meter.dtype_key,
        compiles=bool(vopts.compile),
        ratios=ratios,
    )
    return run_arm.losses, stopped_by, paired


def meter_for(opts: BenchOptions, choice: Any) -> MFUMeter:
    """The MFUMeter that times a run of ``opts`` on ``choice`` (its warm-up apart)."""
    return MFUMeter(
        flops_per_token(opts.shape()),
        device=choice.device,
        dtype=peak_dtype_key(choice.device_type, str(opts.dtype), bool(opts.tf32)),
        warmup_steps=int(opts.warmup_steps or 0),
        synchronize=make_synchronize(choice.device_type, choice.index),
    )


def _arm(training: Training, opts: BenchOptions, choice: Any, meter: MFUMeter) -> Arm:
    arm = Arm(
        step=lambda: checked_step(training, opts, choice, not arm.losses),
        meter=meter,
        tokens_per_step=opts.tokens_per_step(),
        setting=lambda: tf32_setting(choice.device_type, bool(opts.tf32)),
    )
    return arm


def checked_step(training: Training, opts: BenchOptions, choice: Any, first: bool) -> Any:
    """One step; an out-of-memory or first-step compile failure becomes one clear line."""
    try:
        return training.step()
    except Exception as exc:  # OOM and compile failures become one line; others re-raise
        if is_out_of_memory(exc):
            half = max(1, (opts.batch_size or 2) // 2)
            raise UserError(
                f"out of memory on {choice.device} with batch_size {opts.batch_size} x "
                f"block_size {opts.block_size}; try --batch_size={half} (and "
                f"--gradient_accumulation_steps={2 * int(opts.gradient_accumulation_steps or 1)}"
                " to keep the tokens per step)"
            ) from None
        if not (opts.compile and first):
            raise
        raise UserError(
            f"torch.compile failed on the first step ({one_line(exc)}); rerun with --compile=False"
        ) from None


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` of an exception, for one-line reports."""
    text = str(getattr(exc, "message", "") or exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__

"""What a log format is: :meth:`LogFormat.sniff` and a :class:`Parser` read its lines into a
``StepCollector``; hooks, called with a :class:`RunView`, say what only the trainer knows
(tokens per step, FLOPs per token, its MFU reference, its dtype). Every hook defaults to
"not in this log".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import StepCollector


@dataclass(frozen=True)
class Evidence:
    """How much of a sample of lines looks like one format."""

    step_lines: int
    marker_lines: int  # other lines only this trainer prints

    @property
    def total(self) -> int:
        return self.step_lines + self.marker_lines


#: A line that only gives values: its pattern, the key of each group in order (None skips one),
#: the conversion of the groups' text, and the source (:data:`SUMMARY`: end-of-run summary values).
ValueLine = tuple[re.Pattern[str], tuple[str | None, ...], Callable[[str], Any], str]
SUMMARY = "summary"
Patterns = tuple[re.Pattern[str], ...]


def read_value_line(
    sink: StepCollector, table: Sequence[ValueLine], line: str, line_no: int
) -> re.Match[str] | None:
    """Store the values of the first line of ``table`` that ``line`` matches; its match or None."""
    for pattern, keys, convert, source in table:
        match = pattern.match(line)
        if match:
            for key, text in zip(keys, match.groups(), strict=False):
                if key is None:
                    continue
                if source == SUMMARY:
                    sink.set_summary(key, convert(text), line_no)
                else:
                    sink.set_config(key, convert(text), source, line_no)
            return match
    return None


@dataclass(frozen=True)
class Figure:
    """A number and where it came from (a log line, a formula, a default)."""

    value: float
    source: str


@dataclass(frozen=True)
class FlopsPerToken:
    """Training FLOPs per token and how they were obtained."""

    value: float
    source: str
    n_params: int | None = None  # the N of 6N
    trainer_value: float | None = None  # the trainer's own figure, when its formula differs
    trainer_formula: str = ""


@dataclass(frozen=True)
class Reference:
    """What a trainer's printed MFU divides by."""

    label: str | None  # "A100 bf16 312 TFLOP/s (...)"; None when there is no MFU
    flops: float | None
    """The per-device peak in FLOP/s, when known."""
    # "fixed", "table" (by GPU name), "fallback" (for an unknown GPU), "printed", "inferred",
    # "unknown" or "none".
    kind: str
    note: str = ""  # how the trainer computes its MFU
    keyed_to: str | None = None  # the device the reference peak belongs to ("A100")


class RunView:
    """Read-only view of what was collected, with the user's ``--set`` overrides on top."""

    def __init__(self, sink: StepCollector, overrides: Mapping[str, Any] | None = None) -> None:
        self.sink = sink
        self.overrides = dict(overrides or {})

    def config(self, key: str, default: Any = None) -> Any:
        """The value of ``key``: the user's override, else the log's, else ``default``."""
        if key in self.overrides:
            return self.overrides[key]
        return self.sink.config_value(key, default)

    def config_source(self, key: str) -> str | None:
        """Where ``key`` came from, or None when neither the user nor the log gave it."""
        if key in self.overrides:
            return "--set"
        entry = self.sink.config.get(key)
        return None if entry is None else entry.source

    def has(self, key: str) -> bool:
        return key in self.overrides or key in self.sink.config

    def number(self, key: str) -> float | None:
        """``key`` as a finite number, or None."""
        value = self.config(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value) if math.isfinite(value) else None

    def summary(self, key: str, default: Any = None) -> Any:
        return self.sink.summary_value(key, default)

    def meta(self, key: str, default: Any = None) -> Any:
        return self.sink.meta.get(key, default)

    def hints(self, kind: str) -> list[Any]:
        return self.sink.hint_values(kind)


class Parser:
    """Reads one input line by line into a collector. Subclasses implement :meth:`parse_line`."""

    def __init__(self, sink: StepCollector) -> None:
        self.sink = sink

    def feed(self, chunk: Chunk) -> None:
        """Parse every line of ``chunk``; lines no rule recognises are counted as not understood."""
        sink, parse_line = self.sink, self.parse_line
        for line_no, line in enumerate(chunk.lines(), chunk.first_line):
            if line.strip() and not parse_line(line, line_no):
                sink.not_understood(line_no, line)
        sink.end_chunk()

    def parse_line(self, line: str, line_no: int) -> bool:
        """Handle one line (without its newline); True when it was recognised."""
        raise NotImplementedError


class LogFormat:
    """One trainer's log format: class attributes, :meth:`sniff`, and the hooks it overrides."""

    name: ClassVar[str]  # the id of ``--format`` and the JSON ("nanogpt")
    title: ClassVar[str]
    # "spike": step times include evaluations; "stated": eval lines give their durations;
    # "untimed": evaluation time is not in the log.
    eval_timing: ClassVar[str] = "untimed"
    eval_untimed_reason: ClassVar[str] = "the trainer does not time its evaluations"
    tokens_per_s_scope: ClassVar[str] = "run"  # "run": every device; "device": per device
    # In a multi-process job, the printed MFU and tokens/s: "per_rank", "job" or "unknown";
    # tokens_scope None follows tokens_per_s_scope.
    mfu_scope: ClassVar[str] = "unknown"
    tokens_scope: ClassVar[str | None] = None
    # How the trainer parallelises in several processes when the log does not say ("ddp").
    parallel_when_distributed: ClassVar[str] = "unknown"
    scope_note: ClassVar[str] = ""  # how the trainer's figures count ranks, with its source
    # "interval": a step line's time is the average since the previous line (torchtitan).
    step_time_span: ClassVar[str] = "step"
    # The trainer's own ``TS - name - LEVEL -`` prefix carries what is read (normalise.py).
    reads_own_stamps: ClassVar[bool] = False
    # Its lines also appear in other trainers' logs (DeepSpeed's): detection prefers others.
    shared_lines: ClassVar[bool] = False
    specific: ClassVar[bool] = True  # False only for the generic fallback, tried last
    parser_class: ClassVar[type[Parser]]
    default_variant: ClassVar[str] = ""  # ``meta["variant"]`` when the log does not say
    default_device: ClassVar[str | None] = None  # "cuda" for GPU-only trainers

    def for_run(self, run: RunView) -> LogFormat:
        """This format, or a variant of it when the log changes a class-level fact."""
        return self

    def rank_tokens_scope(self) -> str:
        """:attr:`tokens_scope`, or what :attr:`tokens_per_s_scope` implies."""
        if self.tokens_scope is not None:
            return self.tokens_scope
        return "per_rank" if self.tokens_per_s_scope == "device" else "job"

    # What :meth:`sniff` counts: a step line matches one of ``step_lines`` and holds every
    # string of ``step_needs``; a marker line (printed only by this trainer) ``marker_lines``.
    step_lines: ClassVar[Patterns] = ()
    step_needs: ClassVar[tuple[str, ...]] = ()
    marker_lines: ClassVar[Patterns] = ()

    def sniff(self, lines: Sequence[str]) -> Evidence:
        """Count the lines in ``lines`` that look like this format."""
        steps = markers = 0
        is_step, is_marker = self.is_step_line, self.is_marker_line
        for line in lines:
            if is_step(line):
                steps += 1
            elif is_marker(line):
                markers += 1
        return Evidence(steps, markers)

    def is_step_line(self, line: str) -> bool:
        for need in self.step_needs:
            if need not in line:
                return False
        return self._matches(self.step_lines, line)

    def is_marker_line(self, line: str) -> bool:
        return self._matches(self.marker_lines, line)

    @staticmethod
    def _matches(patterns: Patterns, line: str) -> bool:
        for pattern in patterns:  # noqa: SIM110 (any() of a generator: detection 1.5x slower)
            if pattern.match(line):
                return True
        return False

    def parser(self, sink: StepCollector) -> Parser:
        """A fresh parser for one input."""
        return self.parser_class(sink)

    # -- hooks the analysis calls (defaults: the log does not say) -------------------------

    def variant(self, run: RunView) -> str:
        """Which program of this family wrote the log ("train.py", "bench.py", ...)."""
        return str(run.meta("variant", self.default_variant))

    def tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        """Tokens per logged step, all devices: ``--set``, else :meth:`log_tokens_per_step`."""
        return from_override(run, "tokens_per_step") or self.log_tokens_per_step(run)

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        """Tokens per logged step as the log states them (or their factors)."""
        return Unavailable(
            f"{self.title} does not print the tokens per step; give --set tokens_per_step=N"
        )

    def flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        """Training FLOPs per token: ``--set``, else :meth:`log_flops_per_token`, else 6 x
        ``--set n_params``."""
        given = from_override(run, "flops_per_token")
        if given:
            return FlopsPerToken(given.value, "--set flops_per_token")
        stated = self.log_flops_per_token(run)
        n_params = run.number("n_params")
        if isinstance(stated, Unavailable) and n_params and "n_params" in run.overrides:
            return FlopsPerToken(
                6 * n_params, "6 x --set n_params (attention FLOPs left out)", int(n_params)
            )
        return stated

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        """FLOPs per token from what the log says (its model shape, or a stated figure)."""
        return Unavailable(
            f"{self.title} does not print the model size; give --set flops_per_token=X "
            "or --set n_params=N"
        )

    def reference(self, run: RunView) -> Reference:
        """What the log's printed MFU is relative to."""
        return Reference(None, None, "none", f"{self.title} does not print an MFU")

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        """The dtype the run computed in, and how that is known; (None, why) when unknown."""
        return None, "the log does not say which dtype the run used"

    def device(self, run: RunView) -> str | None:
        """ "cpu", "cuda", "mps", "xpu" when the log says where it ran, else the default."""
        devices = run.hints("device")
        return str(devices[-1]) if devices else self.default_device

    def devices(self, run: RunView) -> Figure | None:
        """How many devices (processes) the run used, when the log says."""
        value = run.number("devices")
        if value is not None and value >= 1:
            return Figure(value, run.config_source("devices") or "the log")
        return self.implied_devices(run)

    def implied_devices(self, run: RunView) -> Figure | None:
        """The device count the log's batch sizes imply, when it gives no count."""
        return None

    def summary_step_time(self, run: RunView) -> Figure | None:
        """Step time from an end-of-run summary, for logs without per-step times."""
        return None

    def summary_mfu(self, run: RunView) -> Figure | None:
        """The MFU (a fraction) from an end-of-run summary, for logs without per-step MFU."""
        return None

    def gpt_config(self, run: RunView) -> dict[str, ConfigEntryOrMissing]:
        """The run's configuration under nanoGPT's names (GPT_CONFIG_KEYS), known defaults
        included: what ``diagnose --from-log`` reproduces."""
        return {}

    def flops_per_step(self, run: RunView) -> Figure | None:
        """FLOPs of one logged step on all devices, when the log states them directly."""
        return None

    def summary_achieved_flops(self, run: RunView) -> Figure | None:
        """Model FLOP/s of the whole run (all devices) from what the trainer states at the end."""
        return None


#: The nanoGPT-named keys of :meth:`LogFormat.gpt_config` (what reproducing a run here needs).
GPT_CONFIG_KEYS = (
    "n_layer",
    "n_head",
    "n_embd",
    "block_size",
    "vocab_size",
    "bias",
    "batch_size",
    "gradient_accumulation_steps",
    "dtype",
    "device",
    "compile",
    "log_interval",
    "eval_interval",
    "eval_iters",
)

#: A gpt_config entry: (value, where it came from), or why it is not known.
ConfigEntryOrMissing = tuple[Any, str] | Unavailable


def config_product(run: RunView, keys: Sequence[str], source: str) -> Figure | None:
    """The product of the configuration numbers ``keys``; None unless all are known and non-zero."""
    values = [run.number(key) for key in keys]
    if not all(values):
        return None
    return Figure(math.prod(v for v in values if v), source)


def median_ratio(run: RunView, numerator: str, denominator: str) -> float | None:
    """The median over step lines of one printed column over another (FLOP/s over tokens/s),
    among the lines where both are printed and the ratio is positive; None when there are none."""
    sample = run.sink.sample.columns()
    with np.errstate(divide="ignore", invalid="ignore"):  # a printed 0 is skipped, not warned
        ratio = sample[numerator] / sample[denominator]
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(np.median(ratio)) if len(ratio) else None


def printed_flops_per_token(run: RunView, source: str, missing: str) -> FlopsPerToken | Unavailable:
    """FLOPs per token from the FLOP/s and tokens/s a trainer prints on its step lines."""
    ratio = median_ratio(run, "flops_per_s", "tokens_per_s")
    return FlopsPerToken(ratio, source) if ratio is not None else Unavailable(missing)


def format_table(fmt: str, name: str) -> Any:
    """The table ``name`` of format ``fmt`` in ``data/log_formats.toml`` (parsed once)."""
    return data_file("log_formats.toml")[fmt][name]


def from_override(run: RunView, key: str) -> Figure | None:
    """A positive number the user gave with ``--set key=...``, as a Figure."""
    value = run.number(key)
    if value is not None and value > 0 and key in run.overrides:
        return Figure(value, "--set")
    return None

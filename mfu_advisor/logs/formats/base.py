"""What a log format is: how to spot it, how to read its lines, and what its numbers mean.

A format module defines one :class:`LogFormat` subclass and registers it in
``formats/__init__.py``. The class has two jobs:

1. reading: :meth:`LogFormat.sniff` counts the lines that look like this
   trainer's output (for detection), and :meth:`LogFormat.parser` returns a
   :class:`Parser` that turns lines into step rows, evaluations, configuration
   keys, hardware hints and summaries in a ``StepCollector``;
2. meaning: hooks that the analysis calls with a :class:`RunView` of what was
   collected, to learn what only this trainer knows: tokens per step, FLOPs per
   token, what its printed MFU is relative to, which dtype it trains in.

Every hook has a default that says "not in this log", so a new format only
implements what its trainer prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import StepCollector


@dataclass(frozen=True)
class Evidence:
    """How much of a sample of lines looks like one format."""

    step_lines: int
    """Lines that are this trainer's step lines."""
    marker_lines: int
    """Other lines only this trainer prints (headers, config dumps, eval lines)."""

    @property
    def total(self) -> int:
        return self.step_lines + self.marker_lines


def count_evidence(
    lines: Sequence[str],
    is_step: Callable[[str], object],
    is_marker: Callable[[str], object],
) -> Evidence:
    """How many of ``lines`` are step lines, and how many of the others are marker lines."""
    steps = markers = 0
    for line in lines:
        if is_step(line):
            steps += 1
        elif is_marker(line):
            markers += 1
    return Evidence(steps, markers)


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
    n_params: int | None = None
    """The N of 6N, when known."""
    trainer_value: float | None = None
    """The trainer's own FLOPs-per-token figure, when it uses a different formula."""
    trainer_formula: str = ""


@dataclass(frozen=True)
class Reference:
    """What a trainer's printed MFU divides by."""

    label: str | None
    """E.g. "A100 bf16 312 TFLOP/s (nanoGPT's fixed reference)"; None when there is no MFU."""
    flops: float | None
    """The per-device peak in FLOP/s, when known."""
    kind: str
    """"fixed" (always the same device), "table" (looked up by GPU name), "fallback"
    (a default used for an unknown GPU), "printed" (the log states it), "inferred"
    (worked out from the log's own numbers), "unknown" or "none"."""
    note: str = ""
    """How the trainer computes its MFU (running average, sentinel values, ...)."""
    keyed_to: str | None = None
    """The device the reference peak belongs to (e.g. "A100")."""


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
        sink = self.sink
        parse_line = self.parse_line
        line_no = chunk.first_line
        for line in chunk.lines():
            if line.strip() and not parse_line(line, line_no):
                sink.not_understood(line_no, line)
            line_no += 1
        sink.end_chunk()

    def parse_line(self, line: str, line_no: int) -> bool:
        """Handle one line (without its newline); True when it was recognised."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called after the last chunk of the input."""


class LogFormat:
    """One trainer's log format. Subclass, fill in the class attributes, override hooks.

    The analysis calls the public hooks; :meth:`tokens_per_step` and
    :meth:`flops_per_token` apply the user's ``--set`` first and ask the
    format's ``log_*`` hook only for what the log itself says.
    """

    name: ClassVar[str]
    """Short id used by ``--format`` and in the JSON ("nanogpt")."""
    title: ClassVar[str]
    """What people call it ("nanoGPT train.py / bench.py")."""
    upstream: ClassVar[str]
    """Where the print statements live upstream (a source URL)."""
    example: ClassVar[str]
    """One step line as the trainer prints it."""
    eval_timing: ClassVar[str] = "untimed"
    """"spike": step times include evaluation, seen as slow steps after eval lines;
    "stated": eval lines say how long they took; "untimed": evaluation time is not in the log."""
    eval_untimed_reason: ClassVar[str] = "the trainer does not time its evaluations"
    tokens_per_s_scope: ClassVar[str] = "run"
    """"run" when printed tokens/s count every device, "device" when per device."""
    mfu_scope: ClassVar[str] = "unknown"
    """What the printed MFU measures in a multi-process job: "per_rank" (one rank's FLOP/s over
    one device's peak), "job" (the job's FLOP/s over the peaks of all devices) or "unknown"
    (not verified, or the trainer prints no MFU)."""
    tokens_scope: ClassVar[str | None] = None
    """What ``tokens_per_s`` measures in a multi-process job: "per_rank", "job" or "unknown";
    None: follow :attr:`tokens_per_s_scope` ("run" is the job, "device" one rank)."""
    parallel_when_distributed: ClassVar[str] = "unknown"
    """How the trainer parallelises when it runs in several processes and the log does not
    say ("ddp" for nanoGPT, which always wraps the model in DistributedDataParallel then)."""
    scope_note: ClassVar[str] = ""
    """One sentence on how the trainer's figures count ranks, with its source."""
    step_time_span: ClassVar[str] = "step"
    """"step" when a step line's time is that one step's; "interval" when it is the average over
    the steps since the previous line (torchtitan, Megatron), so a pause in it costs the span."""
    reads_own_stamps: ClassVar[bool] = False
    """True when the trainer's own ``TS - name - LEVEL - `` line prefix carries what is read
    (torchtitan times steps by it), so line normalisation keeps it (logs/normalise.py)."""
    shared_lines: ClassVar[bool] = False
    """True when this format's lines also appear inside other trainers' logs (DeepSpeed's engine
    lines in Hugging Face, GPT-NeoX and Megatron-DeepSpeed logs): detection prefers any other
    format with step lines."""
    specific: ClassVar[bool] = True
    """False only for the generic fallback, which detection tries last."""
    parser_class: ClassVar[type[Parser]]
    """The :class:`Parser` subclass that reads this format."""
    default_variant: ClassVar[str] = ""
    """The program of this family when the log does not say (``meta["variant"]``)."""
    default_device: ClassVar[str | None] = None
    """"cuda" for trainers that only run on GPUs, when the log names no device."""

    def for_run(self, run: RunView) -> LogFormat:
        """This format as it applies to ``run``: itself, or a variant when what the log shows
        changes a class-level fact (the generic reader's throughput scope)."""
        return self

    def rank_tokens_scope(self) -> str:
        """:attr:`tokens_scope`, or what :attr:`tokens_per_s_scope` implies."""
        if self.tokens_scope is not None:
            return self.tokens_scope
        return "per_rank" if self.tokens_per_s_scope == "device" else "job"

    def sniff(self, lines: Sequence[str]) -> Evidence:
        """Count the lines in ``lines`` that look like this format (see :func:`count_evidence`)."""
        raise NotImplementedError

    def parser(self, sink: StepCollector) -> Parser:
        """A fresh parser for one input."""
        return self.parser_class(sink)

    # -- hooks the analysis calls (defaults: the log does not say) -------------------------

    def variant(self, run: RunView) -> str:
        """Which program of this family wrote the log ("train.py", "bench.py", ...)."""
        return str(run.meta("variant", self.default_variant))

    def tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        """Tokens processed per logged step, all devices together: ``--set tokens_per_step``,
        else what the log says (:meth:`log_tokens_per_step`)."""
        return _from_override(run, "tokens_per_step") or self.log_tokens_per_step(run)

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        """Tokens per logged step as the log states them (or their factors)."""
        return Unavailable(
            f"{self.title} does not print the tokens per step; give --set tokens_per_step=N"
        )

    def flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        """Training FLOPs (forward and backward) per token: ``--set flops_per_token``, else
        what the log says (:meth:`log_flops_per_token`), else 6 x ``--set n_params``."""
        given = _from_override(run, "flops_per_token")
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
        return None

    def summary_step_time(self, run: RunView) -> Figure | None:
        """Step time from an end-of-run summary, for logs without per-step times."""
        return None

    def summary_mfu(self, run: RunView) -> Figure | None:
        """The MFU (a fraction) from an end-of-run summary, for logs without per-step MFU."""
        return None

    def gpt_config(self, run: RunView) -> dict[str, ConfigEntryOrMissing]:
        """The run's configuration under nanoGPT's names (GPT_CONFIG_KEYS), defaults included
        where the trainer's defaults are known: what ``diagnose --from-log`` reproduces."""
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

#: A format's constructor, as the registry stores it.
FormatFactory = Callable[[], LogFormat]


def config_product(run: RunView, keys: Sequence[str], source: str) -> Figure | None:
    """The product of the configuration numbers ``keys`` (e.g. batch x sequence length) as a
    Figure from ``source``; None unless every one is known and non-zero."""
    values = [run.number(key) for key in keys]
    if not all(values):
        return None
    return Figure(math.prod(v for v in values if v), source)


def _from_override(run: RunView, key: str) -> Figure | None:
    value = run.number(key)
    if value is not None and value > 0 and key in run.overrides:
        return Figure(value, "--set")
    return None


def from_override(run: RunView, key: str) -> Figure | None:
    """A positive number the user gave with ``--set key=...``, as a Figure."""
    return _from_override(run, key)

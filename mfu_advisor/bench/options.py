"""What a bench run is asked to do, under nanoGPT ``train.py``'s option names
(https://github.com/karpathy/nanoGPT/blob/master/train.py). Pure Python: no torch."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mfu_advisor.errors import UserError
from mfu_advisor.mfu import GptShape
from mfu_advisor.units import cpu_list

#: The dtypes the bench runs in, by nanoGPT's names (float32 without autocast).
DTYPES: tuple[str, ...] = ("float32", "bfloat16", "float16")

#: AdamW implementations: "auto" is nanoGPT's choice (fused on CUDA, torch's default elsewhere).
ADAMW_IMPLS: tuple[str, ...] = ("auto", "fused", "foreach", "forloop")

#: Options that shape the model and the batch: the run's ``config`` in the JSON, nanoGPT's names.
MODEL_FIELDS: tuple[str, ...] = (
    "batch_size",
    "block_size",
    "n_layer",
    "n_head",
    "n_embd",
    "vocab_size",
    "dropout",
    "bias",
    "dtype",
    "compile",
    "device",
    "gradient_accumulation_steps",
)

#: The whole-number ones (the rest are flags, names or dropout).
INT_MODEL_FIELDS = tuple(
    f for f in MODEL_FIELDS if f not in ("dropout", "bias", "dtype", "compile", "device")
)

#: Options a ``--variant`` may change: what one process can switch between blocks of
#: steps (threads, affinity and environment belong to the whole process).
PAIRABLE_FIELDS: tuple[str, ...] = (
    "batch_size",
    "gradient_accumulation_steps",
    "dtype",
    "compile",
    "adamw_impl",
    "tf32",
)

#: Command-line flags not named as their BenchOptions field (to_argv).
_FLAGS = {"budget_s": "budget", "warmup_steps": "warmup"}

#: Largest --budget accepted, in seconds (an hour; the bench is meant to be short).
MAX_BUDGET_S = 3600.0


@dataclass(frozen=True)
class BenchOptions:
    """A bench run's settings (docs/bench.md lists each option); ``None`` means "the preset's
    value" until it is resolved."""

    batch_size: int | None = None
    block_size: int | None = None
    n_layer: int | None = None
    n_head: int | None = None
    n_embd: int | None = None
    vocab_size: int | None = None
    dropout: float | None = None
    bias: bool | None = None
    dtype: str | None = None
    compile: bool | None = None
    device: str | None = None
    gradient_accumulation_steps: int | None = None
    preset: str = "auto"
    budget_s: float | None = None
    """Seconds of measured steps (warm-up, compile and the roofline come on top)."""
    warmup_steps: int | None = None
    min_steps: int | None = None
    max_steps: int | None = None
    threads: int | None = None
    cpus: tuple[int, ...] | None = None
    tf32: bool | None = None
    adamw_impl: str = "auto"
    seed: int = 1337  # nanoGPT train.py's seed
    data: str | None = None
    roofline: bool = True
    fresh: bool = False
    variant: tuple[tuple[str, Any], ...] = ()
    """Changes (PAIRABLE_FIELDS) of a variant measured interleaved with this run."""

    def shape(self) -> GptShape:
        """The model shape for FLOP accounting; call on resolved options only."""
        names = ("n_layer", "n_head", "n_embd", "block_size", "vocab_size")
        return GptShape(**{name: self._resolved(name) for name in names}, bias=bool(self.bias))

    def model_config(self) -> dict[str, Any]:
        """The model and batch options under nanoGPT's names (the JSON ``config``)."""
        return {name: getattr(self, name) for name in MODEL_FIELDS}

    def tokens_per_step(self) -> int:
        """Tokens one optimizer step consumes: batch x block x accumulation steps."""
        names = ("batch_size", "block_size", "gradient_accumulation_steps")
        return math.prod(self._resolved(name) for name in names)

    def _resolved(self, name: str) -> int:
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"option {name} is not resolved yet")
        return int(value)

    def to_argv(self) -> list[str]:
        """Command-line arguments that reproduce these options (for subprocess runs)."""
        argv = ["--preset", self.preset]
        for name, value in vars(self).items():
            if value is not None and name not in ("preset", "cpus", "roofline", "fresh", "variant"):
                argv.append(f"--{_FLAGS.get(name, name)}={value}")
        if self.cpus is not None:
            argv.append(f"--cpus={cpu_list(self.cpus)}")
        argv += [f"--variant={name}={value}" for name, value in self.variant]
        if not self.roofline:
            argv.append("--no-roofline")
        if self.fresh:
            argv.append("--fresh")
        return argv


def parse_bool(text: str | bool, option: str) -> bool:
    """nanoGPT's boolean syntax (``--compile=False``), plus the usual spellings."""
    if isinstance(text, bool):
        return text
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise UserError(f"--{option} takes True or False, not {text!r}")


def parse_variant(items: Sequence[str]) -> tuple[tuple[str, Any], ...]:
    """``["batch_size=48", "compile=True"]`` -> (("batch_size", 48), ("compile", True))."""
    changes: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().lstrip("-").replace("-", "_")
        if not sep or not text.strip():
            raise UserError(f"--variant {item!r}: write KEY=VALUE, such as batch_size=48")
        if name not in PAIRABLE_FIELDS:
            raise UserError(
                f"--variant {name}: only {', '.join(PAIRABLE_FIELDS)} can be measured "
                "interleaved in one process"
            )
        changes[name] = _variant_value(name, text.strip())
    return tuple(changes.items())


def _variant_value(name: str, text: str) -> Any:
    if name in ("compile", "tf32"):
        return parse_bool(text, f"variant {name}")
    if name in ("batch_size", "gradient_accumulation_steps"):
        try:
            return int(text)
        except ValueError:
            raise UserError(f"--variant {name} takes a whole number, not {text!r}") from None
    choices = DTYPES if name == "dtype" else ADAMW_IMPLS
    if text not in choices:
        raise UserError(f"--variant {name} must be one of {', '.join(choices)}, not {text!r}")
    return text


#: Whole-number options that must be at least 1 when given.
_POSITIVE_FIELDS = (*INT_MODEL_FIELDS, "min_steps", "threads", "max_steps")


def validate(options: BenchOptions) -> None:
    """Refuse, with one clear line, a resolved configuration that cannot run."""
    shape = options.shape()
    if shape.n_embd % shape.n_head:
        raise UserError(
            f"n_embd {shape.n_embd} is not divisible by n_head {shape.n_head}: each head "
            f"gets n_embd / n_head channels (try n_embd "
            f"{shape.n_head * max(1, round(shape.n_embd / shape.n_head))})"
        )
    for name in _POSITIVE_FIELDS:
        value = getattr(options, name)
        if value is not None and value < 1:
            raise UserError(f"--{name} must be at least 1, not {value}")
    if options.warmup_steps is not None and options.warmup_steps < 0:
        raise UserError(f"--warmup must be 0 or more, not {options.warmup_steps}")
    if options.dropout is not None and not 0.0 <= options.dropout < 1.0:
        raise UserError(f"--dropout must be in [0, 1), not {options.dropout}")
    if options.budget_s is not None and not 0.0 < options.budget_s <= MAX_BUDGET_S:
        raise UserError(f"--budget must be between 0 and {MAX_BUDGET_S:.0f} seconds")
    if options.cpus is not None:
        check_cpus(options.cpus)


def cpu_affinity() -> list[int] | None:
    """The logical CPUs this process may run on, sorted; None where the OS cannot say."""
    getter = getattr(os, "sched_getaffinity", None)
    return sorted(getter(0)) if getter else None


def check_cpus(cpus: tuple[int, ...]) -> None:
    """UserError unless every CPU in ``cpus`` is one this process may run on (Linux)."""
    allowed = cpu_affinity()
    if allowed is None:
        raise UserError("--cpus needs CPU affinity, which this OS does not offer (Linux only)")
    outside = sorted(set(cpus) - set(allowed))
    if outside:
        raise UserError(
            f"--cpus {cpu_list(cpus)}: CPU {cpu_list(outside)} is not available "
            f"to this process (allowed: {cpu_list(allowed)})"
        )

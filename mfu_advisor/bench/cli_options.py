"""The run options ``bench`` and ``diagnose`` share, declared once under nanoGPT ``train.py``'s
names and value syntax (``--batch_size=12``, ``--compile=False``; ``--batch-size`` works too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from mfu_advisor.bench.options import (
    ADAMW_IMPLS,
    DTYPES,
    MODEL_FIELDS,
    BenchOptions,
    parse_bool,
    parse_variant,
)
from mfu_advisor.bench.presets import PRESET_NAMES
from mfu_advisor.cpu_list import parse_cpu_list
from mfu_advisor.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])

#: The BenchOptions fields that are None until resolved, taken from click as they are.
_PLAIN_FIELDS: tuple[str, ...] = (
    *MODEL_FIELDS,
    "budget_s",
    "warmup_steps",
    "min_steps",
    "max_steps",
    "threads",
    "tf32",
)


class NanoBool(click.ParamType):
    """nanoGPT's boolean values: True/False (also true/false, 1/0, yes/no, on/off)."""

    name = "True|False"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        try:
            return parse_bool(value if isinstance(value, bool) else str(value), "option")
        except UserError:
            self.fail(f"{value!r} is not True or False", param, ctx)


NANO_BOOL = NanoBool()


def nano_option(name: str, type_: Any, help_text: str, **extra: Any) -> Callable[[F], F]:
    """An option spelled both nanoGPT's way (``--batch_size``) and dashed (``--batch-size``)."""
    spellings = [f"--{name}"]
    if "_" in name:
        spellings.append(f"--{name.replace('_', '-')}")
    return click.option(*spellings, name, type=type_, default=None, help=help_text, **extra)


def nano_bool_option(name: str, help_text: str) -> Callable[[F], F]:
    """A nanoGPT boolean: a bare ``--compile`` means True; ``--compile=False`` also works."""
    return nano_option(name, NANO_BOOL, help_text, is_flag=False, flag_value="True")


#: The shared options, in the order ``--help`` lists them.
_RUN_OPTIONS: tuple[Callable[[F], F], ...] = (
    click.option(
        "--preset",
        type=click.Choice(PRESET_NAMES),
        default="auto",
        show_default=True,
        help="Model and batch configuration; auto picks cpu-small on a CPU.",
    ),
    nano_option("batch_size", int, "Sequences per micro-batch."),
    nano_option("block_size", int, "Sequence length in tokens."),
    nano_option("n_layer", int, "Transformer layers."),
    nano_option("n_head", int, "Attention heads (must divide n_embd)."),
    nano_option("n_embd", int, "Model width."),
    nano_option("vocab_size", int, "Vocabulary size."),
    nano_option("dropout", float, "Dropout probability."),
    nano_bool_option("bias", "Biases in Linear and LayerNorm layers (True|False)."),
    nano_option("dtype", click.Choice(DTYPES), "float32, or bfloat16/float16 under autocast."),
    nano_bool_option("compile", "torch.compile the model (True|False)."),
    nano_option("device", str, "cpu, cuda, cuda:N, mps, xpu or auto (the default)."),
    nano_option("gradient_accumulation_steps", int, "Micro-batches per optimizer step."),
    click.option("--threads", type=int, default=None, help="torch.set_num_threads(N)."),
    click.option("--cpus", default=None, help="Pin the process to these CPUs, e.g. 0-3,6."),
    nano_bool_option("tf32", "Allow TF32 matmuls on CUDA (True|False; default True there)."),
    nano_option("adamw_impl", click.Choice(ADAMW_IMPLS), "AdamW implementation (default auto)."),
    click.option("--seed", type=int, default=None, help="Seed of weights and data (default 1337)."),
    click.option(
        "--data",
        type=click.Path(dir_okay=False),
        default=None,
        help="Train char-level on this local text file instead of synthetic tokens.",
    ),
)

#: The parameter names :func:`run_options` declares.
RUN_OPTION_NAMES: tuple[str, ...] = (
    "preset",
    *MODEL_FIELDS,
    "threads",
    "cpus",
    "tf32",
    "adamw_impl",
    "seed",
    "data",
)


def run_options(command: F) -> F:
    """Declare the run options (preset, nanoGPT's model and batch flags, threads, CPUs...)."""
    for option in reversed(_RUN_OPTIONS):
        command = option(command)
    return command


def options_from_params(params: Mapping[str, Any]) -> BenchOptions:
    """What click parsed, as :class:`BenchOptions`; the bench's measuring options (budget,
    warm-up, steps, roofline, variant) take their defaults where the command has none."""
    fields = {name: params.get(name) for name in _PLAIN_FIELDS}
    cpus = params.get("cpus")
    seed = params.get("seed")
    return BenchOptions(
        **fields,
        preset=params.get("preset") or "auto",
        cpus=parse_cpu_list(cpus) if cpus is not None else None,
        adamw_impl=params.get("adamw_impl") or "auto",
        seed=seed if seed is not None else BenchOptions.seed,
        data=params.get("data"),
        roofline=not params.get("no_roofline", False),
        fresh=bool(params.get("fresh", False)),
        variant=parse_variant(params.get("variant") or ()),
    )


def given_on_command_line(ctx: click.Context, names: tuple[str, ...]) -> list[str]:
    """Which of the parameters ``names`` the user typed (not defaults or environment)."""
    return [
        name
        for name in names
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]

"""The run options ``bench`` and ``diagnose`` share, declared once under nanoGPT ``train.py``'s
names and value syntax (``--batch_size=12``, ``--compile=False``; ``--batch-size`` works too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, TypeVar

import click

from mfu_advisor.bench.options import (
    ADAMW_IMPLS,
    DTYPES,
    BenchOptions,
    parse_bool,
    parse_variant,
)
from mfu_advisor.bench.resolve import PRESET_NAMES
from mfu_advisor.errors import UserError
from mfu_advisor.probe.cpuinfo import MAX_CPUS, parse_cpu_list

F = TypeVar("F", bound=Callable[..., Any])


class NanoBool(click.ParamType):
    """nanoGPT's boolean values: True/False (also true/false, 1/0, yes/no, on/off)."""

    name = "True|False"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        try:
            return parse_bool(value if isinstance(value, bool) else str(value), "option")
        except UserError:
            self.fail(f"{value!r} is not True or False", param, ctx)


NANO_BOOL = NanoBool()


def nano_option(name: str, type_: Any, help_text: str) -> Callable[[F], F]:
    """An option spelled both nanoGPT's way (``--batch_size``) and dashed (``--batch-size``);
    a bare nanoGPT boolean (``--compile``) means True, ``--compile=False`` also works."""
    spellings = [f"--{name}"]
    if "_" in name:
        spellings.append(f"--{name.replace('_', '-')}")
    flag: dict[str, Any] = {"is_flag": False, "flag_value": "True"} if type_ is NANO_BOOL else {}
    return click.option(*spellings, name, type=type_, default=None, help=help_text, **flag)


#: The shared options after --preset, in ``--help`` order: (name, click type, help).
_RUN_OPTIONS: tuple[tuple[str, Any, str], ...] = (
    ("batch_size", int, "Sequences per micro-batch."),
    ("block_size", int, "Sequence length in tokens."),
    ("n_layer", int, "Transformer layers."),
    ("n_head", int, "Attention heads (must divide n_embd)."),
    ("n_embd", int, "Model width."),
    ("vocab_size", int, "Vocabulary size."),
    ("dropout", float, "Dropout probability."),
    ("bias", NANO_BOOL, "Biases in Linear and LayerNorm layers (True|False)."),
    ("dtype", click.Choice(DTYPES), "float32, or bfloat16/float16 under autocast."),
    ("compile", NANO_BOOL, "torch.compile the model (True|False)."),
    ("device", str, "cpu, cuda, cuda:N, mps, xpu or auto (the default)."),
    ("gradient_accumulation_steps", int, "Micro-batches per optimizer step."),
    ("threads", int, "torch.set_num_threads(N)."),
    ("cpus", None, "Pin the process to these CPUs, e.g. 0-3,6."),
    ("tf32", NANO_BOOL, "Allow TF32 matmuls on CUDA (True|False; default True there)."),
    ("adamw_impl", click.Choice(ADAMW_IMPLS), "AdamW implementation (default auto)."),
    ("seed", int, "Seed of weights and data (default 1337)."),
    (
        "data",
        click.Path(dir_okay=False),
        "Train char-level on this local text file instead of synthetic tokens.",
    ),
)

#: The parameter names :func:`run_options` declares.
RUN_OPTION_NAMES: tuple[str, ...] = ("preset", *(name for name, *_ in _RUN_OPTIONS))


def run_options(command: F) -> F:
    """Declare the run options (preset, nanoGPT's model and batch flags, threads, CPUs...)."""
    for name, type_, help_text in reversed(_RUN_OPTIONS):
        command = nano_option(name, type_, help_text)(command)
    preset = click.option(
        "--preset",
        type=click.Choice(PRESET_NAMES),
        default="auto",
        show_default=True,
        help="Model and batch configuration; auto picks cpu-small on a CPU.",
    )
    return preset(command)


def options_from_params(params: Mapping[str, Any]) -> BenchOptions:
    """What click parsed, as :class:`BenchOptions`; the bench's measuring options (budget,
    warm-up, steps, roofline, variant) take their defaults where the command has none."""
    given = {f.name: params[f.name] for f in fields(BenchOptions) if params.get(f.name) is not None}
    if "cpus" in given:
        given["cpus"] = parse_cpu_list(given["cpus"])
        if given["cpus"] is None:
            raise UserError(
                f"--cpus: cannot read {params['cpus']!r}; write CPU numbers from 0 to "
                f"{MAX_CPUS - 1} as a list such as 0-3,6"
            )
        if not given["cpus"]:
            raise UserError("--cpus needs at least one CPU, such as 0-3,6")
    given["variant"] = parse_variant(params.get("variant") or ())
    return BenchOptions(**given, roofline=not params.get("no_roofline", False))


def given_on_command_line(ctx: click.Context, names: tuple[str, ...]) -> list[str]:
    """Which of the parameters ``names`` the user typed (not defaults or environment)."""
    return [
        name
        for name in names
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]

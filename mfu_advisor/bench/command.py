"""``mfu-advisor bench``: the click command.

Options take nanoGPT train.py's names and value syntax (``--batch_size=12``,
``--compile=False``); the dashed spelling (``--batch-size``) works too.
Explicit options override the preset. torch is imported only when the run
starts, so ``bench --help`` is instant.
"""

from __future__ import annotations

from typing import Any

import click

from mfu_advisor.bench.options import (
    ADAMW_IMPLS,
    DTYPES,
    BenchOptions,
    parse_bool,
    parse_cpu_list,
)
from mfu_advisor.bench.presets import PRESET_NAMES
from mfu_advisor.errors import EXIT_INTERRUPTED
from mfu_advisor.report.options import output_options


class NanoBool(click.ParamType):
    """nanoGPT's boolean values: True/False (also true/false, 1/0, yes/no)."""

    name = "True|False"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return parse_bool(lowered, param.name if param and param.name else "option")
        self.fail(f"{value!r} is not True or False", param, ctx)


NANO_BOOL = NanoBool()


def _nano(name: str, type_: Any, help_text: str, **extra: Any) -> Any:
    """An option spelled both nanoGPT's way (``--batch_size``) and dashed (``--batch-size``)."""
    spellings = [f"--{name}"]
    if "_" in name:
        spellings.append(f"--{name.replace('_', '-')}")
    return click.option(*spellings, name, type=type_, default=None, help=help_text, **extra)


def _bool(name: str, help_text: str) -> Any:
    # A bare --compile means True; --compile=False and --compile False also work.
    return _nano(name, NANO_BOOL, help_text, is_flag=False, flag_value="True")


@click.command(
    "bench",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--preset",
    type=click.Choice(PRESET_NAMES),
    default="auto",
    show_default=True,
    help="Model and batch configuration; auto picks cpu-small on a CPU.",
)
@_nano("batch_size", int, "Sequences per micro-batch.")
@_nano("block_size", int, "Sequence length in tokens.")
@_nano("n_layer", int, "Transformer layers.")
@_nano("n_head", int, "Attention heads (must divide n_embd).")
@_nano("n_embd", int, "Model width.")
@_nano("vocab_size", int, "Vocabulary size.")
@_nano("dropout", float, "Dropout probability.")
@_bool("bias", "Biases in Linear and LayerNorm layers (True|False).")
@_nano("dtype", click.Choice(DTYPES), "float32, or bfloat16/float16 under autocast.")
@_bool("compile", "torch.compile the model (True|False).")
@_nano("device", str, "cpu, cuda, cuda:N, mps, xpu or auto (the default).")
@_nano("gradient_accumulation_steps", int, "Micro-batches per optimizer step.")
@click.option("--budget", "budget_s", type=float, default=None, help="Seconds of measured steps.")
@click.option("--warmup", "warmup_steps", type=int, default=None, help="Warm-up steps (default 3).")
@_nano("min_steps", int, "Measured steps before the +-2% CI rule may stop the run (default 20).")
@_nano("max_steps", int, "Stop after this many measured steps.")
@click.option("--threads", type=int, default=None, help="torch.set_num_threads(N).")
@click.option("--cpus", default=None, help="Pin the process to these CPUs, e.g. 0-3,6.")
@_bool("tf32", "Allow TF32 matmuls on CUDA (True|False; default True there).")
@_nano("adamw_impl", click.Choice(ADAMW_IMPLS), "AdamW implementation (default auto).")
@click.option("--seed", type=int, default=None, help="Seed of weights and data (default 1337).")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    default=None,
    help="Train char-level on this local text file instead of synthetic tokens.",
)
@click.option("--fresh", is_flag=True, help="Measure the roofline again, ignoring the cache.")
@click.option("--no-roofline", "no_roofline", is_flag=True, help="Skip the matmul roofline.")
@output_options
@click.pass_context
def bench(ctx: click.Context, **params: Any) -> None:
    """Measure the MFU of a calibrated GPT training run on this machine.

    Prints tokens/s, achieved FLOP/s and the MFU against three labelled
    denominators: this device's peak, the matmul peak measured here, and
    nanoGPT's A100 312 TFLOP/s. Options use nanoGPT's names and syntax,
    e.g. --n_layer=4 --compile=False. Ctrl-C reports what was measured so far
    and exits 130.
    """
    from mfu_advisor.bench.progress import StderrProgress
    from mfu_advisor.bench.run import run_bench
    from mfu_advisor.report.model import Command, make_report
    from mfu_advisor.report.output import emit

    options = options_from_params(params)
    result = run_bench(options, StderrProgress())
    emit(
        make_report(Command.BENCH, result),
        as_json=params["as_json"],
        markdown=params["markdown"],
        html_path=params["html_path"],
        redact=params["redact"],
    )
    if result.stopped_by == "interrupted":
        ctx.exit(EXIT_INTERRUPTED)


def options_from_params(params: dict[str, Any]) -> BenchOptions:
    """The command's parsed parameters as :class:`BenchOptions`."""
    fields = {
        name: params[name]
        for name in (
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
            "budget_s",
            "warmup_steps",
            "min_steps",
            "max_steps",
            "threads",
            "tf32",
        )
    }
    return BenchOptions(
        **fields,
        preset=params["preset"],
        cpus=parse_cpu_list(params["cpus"]) if params["cpus"] is not None else None,
        adamw_impl=params["adamw_impl"] or "auto",
        seed=params["seed"] if params["seed"] is not None else BenchOptions.seed,
        data=params["data"],
        roofline=not params["no_roofline"],
        fresh=params["fresh"],
    )

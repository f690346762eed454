"""``mfu-advisor bench``: the click command (run options from bench/cli_options.py)."""

from __future__ import annotations

from typing import Any

import click

from mfu_advisor.bench.cli_options import nano_option, options_from_params, run_options
from mfu_advisor.distributed.plan import distributed_from_params, distributed_options
from mfu_advisor.errors import EXIT_INTERRUPTED
from mfu_advisor.report.options import output_options
from mfu_advisor.torch_import import import_torch


@click.command(
    "bench", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@run_options
@click.option("--budget", "budget_s", type=float, default=None, help="Seconds of measured steps.")
@click.option("--warmup", "warmup_steps", type=int, default=None, help="Warm-up steps (default 3).")
@nano_option("min_steps", int, "Steps before the +-2% CI rule may stop the run (default 20).")
@nano_option("max_steps", int, "Stop after this many measured steps.")
@click.option(
    "--variant",
    "variant",
    multiple=True,
    metavar="KEY=VALUE",
    help=(
        "Also measure the run with this change (nanoGPT name, e.g. batch_size=48; repeat for "
        "several), interleaved with it block by block in this process: the result gets a "
        "'paired' speedup with its noise."
    ),
)
@click.option("--fresh", is_flag=True, help="Measure the roofline again, ignoring the cache.")
@click.option("--no-roofline", "no_roofline", is_flag=True, help="Skip the matmul roofline.")
@distributed_options
@output_options
@click.pass_context
def bench(ctx: click.Context, **params: Any) -> None:
    """Measure the MFU of a calibrated GPT training run on this machine.

    Prints tokens/s, achieved FLOP/s and the MFU against three labelled
    denominators: this device's peak, the matmul peak measured here, and
    nanoGPT's A100 312 TFLOP/s. Options use nanoGPT's names and syntax,
    e.g. --n_layer=4 --compile=False. Ctrl-C reports what was measured so far
    and exits 130.

    With --nproc-per-node N (N > 1) the run is data-parallel: N ranks under
    torchrun with DDP (gloo on CPU, each rank pinned to its share of the CPUs;
    nccl on CUDA), reporting per-rank and job figures, the all-reduce's share of
    the step and the scaling efficiency (docs/distributed.md).
    """
    from mfu_advisor.bench.progress import StderrProgress
    from mfu_advisor.bench.run import run_bench
    from mfu_advisor.report.model import Command, make_report
    from mfu_advisor.report.output import emit

    options = options_from_params(params)
    dist = distributed_from_params(params)
    import_torch("bench")  # a broken install is one line and exit 2, not a traceback
    if dist.multi_rank:
        from mfu_advisor.distributed.run import run_distributed_bench

        result = run_distributed_bench(options, dist, StderrProgress())
    else:
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

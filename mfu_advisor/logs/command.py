"""``mfu-advisor analyze``: read training logs and recompute their MFU for the real hardware."""

from __future__ import annotations

import click

from mfu_advisor.errors import UserError
from mfu_advisor.logs.formats import format_names
from mfu_advisor.logs.peak import HardwareRequest, check_peak_tflops
from mfu_advisor.logs.pipeline import analyze_inputs, parse_settings
from mfu_advisor.probe.facts import PEAK_DTYPES
from mfu_advisor.report.model import Command, make_report
from mfu_advisor.report.options import output_options
from mfu_advisor.report.output import emit


class OneLineUsage(click.Command):
    """``analyze`` with click's usage errors as one line and exit code 2, like every other
    bad input (``Error: --peak-tflops: 'abc' is not a number``), not usage text and a hint."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UserError(
                f"{exc.format_message()} (see mfu-advisor {self.name} --help)"
            ) from None


@click.command(
    "analyze", cls=OneLineUsage, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.argument("files", nargs=-1, metavar="[FILE|-]...")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["auto", *format_names()]),
    default="auto",
    show_default=True,
    help="Log format; detected from the first lines when auto.",
)
@click.option(
    "--hardware",
    metavar="NAME",
    default=None,
    help='What the run used: a GPU ("RTX 4070 Ti"), a CPU ("i7-1260P") or "local" (this machine).',
)
@click.option(
    "--peak-tflops",
    type=float,
    default=None,
    metavar="X",
    help="Peak TFLOP/s per device to divide by (overrides the hardware's table peak).",
)
@click.option(
    "--dtype",
    type=click.Choice(PEAK_DTYPES),
    default=None,
    help="Which peak to use; default: what the log says, else bf16 on GPUs, fp32 on CPUs.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A configuration value the log lacks (batch_size, block_size, n_layer, tokens_per_step, "
    "flops_per_token, n_params, devices, ...). Repeatable.",
)
@click.option(
    "--world-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes (ranks) the job ran; overrides what the log says (torchrun command, "
    "rank prefixes, the trainer's own count).",
)
@output_options
def analyze(
    files: tuple[str, ...],
    format_name: str,
    hardware: str | None,
    peak_tflops: float | None,
    dtype: str | None,
    settings: tuple[str, ...],
    world_size: int | None,
    as_json: bool,
    markdown: bool,
    html_path: str | None,
    redact: bool,
) -> None:
    """Read a training log and tell its true MFU and what slows the run."""
    check_peak_tflops(peak_tflops)
    overrides = parse_settings(settings)
    request = HardwareRequest(hardware=hardware, peak_tflops=peak_tflops, dtype=dtype)
    result = analyze_inputs(
        files,
        format_name=format_name,
        overrides=overrides,
        request=request,
        world_size=world_size,
    )
    report = make_report(Command.ANALYZE, result)
    emit(report, as_json=as_json, markdown=markdown, html_path=html_path, redact=redact)

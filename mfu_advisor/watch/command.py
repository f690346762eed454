"""``mfu-advisor run [options] -- CMD [ARGS...]``: the click command.

stdout belongs to the command being watched, so the report goes to stderr (and to the files
asked for); the exit code is the command's, or 128 + N when mfu-advisor got signal N.
"""

from __future__ import annotations

import dataclasses
import math
import signal
import sys
from collections.abc import Callable

import click

from mfu_advisor.errors import UserError
from mfu_advisor.report.options import F, check_output_path


def _positive(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UserError(f"--peak-tflops must be a finite number above 0, not {value:g}")
    return value


def _file_option(flag: str, dest: str, what: str) -> Callable[[F], F]:
    return click.option(
        flag,
        dest,
        type=click.Path(),
        callback=check_output_path,
        default=None,
        help=f"Write {what} to this file.",
    )


@click.command(
    "run",
    context_settings={
        "help_option_names": ["-h", "--help"],
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
        "max_content_width": 100,
    },
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- CMD [ARGS]...")
@_file_option("--output", "output_path", "the result as JSON")
@_file_option("--html", "html_path", "a self-contained HTML report")
@_file_option("--markdown", "markdown_path", "a Markdown report")
@click.option(
    "--interval",
    "interval_s",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds between hardware samples.",
)
@click.option(
    "--hardware",
    metavar="NAME",
    default=None,
    help='What the job runs on, when not this machine\'s probe ("H100 SXM", "i7-1260P").',
)
@click.option(
    "--peak-tflops",
    type=float,
    default=None,
    metavar="X",
    callback=_positive,
    help="Peak TFLOP/s per device to divide by (overrides the probe's peak).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also save the command's output (stdout and stderr lines) to this new file.",
)
@click.option("--no-status", is_flag=True, help="No live status line, even on a terminal.")
@click.option(
    "--redact",
    is_flag=True,
    help="Remove host names, user names, home paths and serial numbers from the reports.",
)
@click.pass_context
def run(ctx: click.Context, command: tuple[str, ...], **params: object) -> None:
    """Run your own training command, watch it, and explain its MFU.

    The command's output passes through unchanged while mfu-advisor reads its
    step lines (every format analyze knows) and samples the CPUs, the job's
    processes and NVIDIA GPUs. At the end it reports the job's MFU on this
    machine and why it is not higher. Example:

        mfu-advisor run --output run.json -- python train.py config/train_shakespeare_char.py
    """
    from mfu_advisor.files import write_atomic
    from mfu_advisor.report.formats import OutputFormat, render
    from mfu_advisor.report.model import Command, make_report
    from mfu_advisor.sanitize import colour_wanted, terminal_safe, terminal_safe_data
    from mfu_advisor.watch.job import WatchOptions, watch_job

    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise UserError("run needs a command after --, e.g. mfu-advisor run -- python train.py")
    if params["hardware"] and params["peak_tflops"] is not None:
        raise UserError("give --hardware or --peak-tflops, not both")
    options = {f.name: params[f.name] for f in dataclasses.fields(WatchOptions)}
    result = watch_job(argv, WatchOptions(**options))  # type: ignore[arg-type]
    # The command's output is text from outside: made terminal-safe like every report.
    report = make_report(Command.RUN, result)
    report = dataclasses.replace(report, payload=terminal_safe_data(report.payload))
    if params["redact"]:
        from mfu_advisor.report.output import redact_report

        report = redact_report(report)
    colour = colour_wanted(sys.stderr.isatty())
    text = render(report, OutputFormat.TEXT, color=colour)
    click.echo(text if colour else terminal_safe(text), nl=False, err=True)
    written = []
    for key, fmt in (
        ("output_path", OutputFormat.JSON),
        ("markdown_path", OutputFormat.MARKDOWN),
        ("html_path", OutputFormat.HTML),
    ):
        path = params[key]
        if path:
            write_atomic(str(path), render(report, fmt))
            written.append(str(path))
    if written:
        click.echo(f"Written: {', '.join(written)}", err=True)
    if result.interrupted_by is not None:
        ctx.exit(128 + signal.Signals[result.interrupted_by].value)
    ctx.exit(result.exit_code)

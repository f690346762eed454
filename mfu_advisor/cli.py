"""The ``mfu-advisor`` command line.

Subcommands live next to the layer they drive (``mfu_advisor/probe/command.py``
and so on) and are imported only when invoked, so ``--help`` and
``probe --no-torch`` never pay for importing torch.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from mfu_advisor import __version__
from mfu_advisor.errors import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED

#: name -> (module:attribute, one-line help shown by ``mfu-advisor --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": (
        "mfu_advisor.diagnose.command:diagnose",
        "Explain why training is slow here and measure which fixes help.",
    ),
    "probe": ("mfu_advisor.probe.command:probe", "Show CPU, GPUs, torch build and peak FLOP/s."),
    "bench": (
        "mfu_advisor.bench.command:bench",
        "Measure the MFU of a calibrated GPT training run.",
    ),
    "analyze": (
        "mfu_advisor.logs.command:analyze",
        "Read a training log and recompute its MFU for the real hardware.",
    ),
    "run": (
        "mfu_advisor.watch.command:run",
        "Run your own training command, watch it, and explain its MFU.",
    ),
    "rules": ("mfu_advisor.rules.command:rules", "List the diagnosis rules."),
    "report": ("mfu_advisor.report.command:report", "Re-render a saved JSON result."),
    "snapshot": (
        "mfu_advisor.probe.command:snapshot",
        "Record this machine's hardware facts for offline diagnosis.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        module = importlib.import_module(module_name)
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mfu-advisor")
def cli() -> None:
    """Tell why model training is slow on this machine and what to change.

    Start with `mfu-advisor diagnose`. Exit codes: 0 success, 1 internal
    error, 2 bad input or unavailable device, 130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns stray exceptions into one line."""
    try:
        result = cli.main(args=argv, prog_name="mfu-advisor", standalone_mode=False)
    except click.exceptions.Abort:  # click's wrapper around KeyboardInterrupt/EOF
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # the last line of defence: never print a traceback
        if os.environ.get("MFU_ADVISOR_DEBUG"):
            raise
        name = type(exc).__name__
        click.echo(
            f"Error: internal error ({name}: {exc}). This is a bug in mfu-advisor; "
            "rerun with MFU_ADVISOR_DEBUG=1 for details.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL_ERROR)
    # With standalone_mode=False click returns ctx.exit()'s code instead of exiting.
    sys.exit(result if isinstance(result, int) else 0)

"""The ``mfu-advisor`` command line: subcommands live next to the layer they drive and are
imported only when invoked, so ``--help`` and ``probe --no-torch`` never import torch."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
import threading
from typing import NoReturn

import click

from mfu_advisor import __version__
from mfu_advisor.errors import EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED
from mfu_advisor.files import silence_stdout
from mfu_advisor.sanitize import one_line

#: name -> (the layer whose ``command`` module holds it, one-line help for ``--help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("diagnose", "Explain why training is slow here and measure which fixes help."),
    "probe": ("probe", "Show CPU, GPUs, torch build and peak FLOP/s."),
    "bench": ("bench", "Measure the MFU of a calibrated GPT training run."),
    "analyze": ("logs", "Read a training log and recompute its MFU for the real hardware."),
    "run": ("watch", "Run your own training command, watch it, and explain its MFU."),
    "rules": ("rules", "List the diagnosis rules."),
    "report": ("report", "Re-render a saved JSON result."),
    "snapshot": ("probe", "Record this machine's hardware facts for offline diagnosis."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"mfu_advisor.{COMMANDS[cmd_name][0]}.command")
        command = getattr(module, cmd_name)
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
    error, 2 bad input or unavailable device, 130 interrupted (129/143 on
    SIGHUP/SIGTERM).
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns stray exceptions into one line."""
    install_signal_handlers()
    _replace_unencodable_output()
    try:
        result = cli.main(args=argv, prog_name="mfu-advisor", standalone_mode=False)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
    except click.exceptions.Abort as exc:  # click's wrapper around KeyboardInterrupt/EOF
        _interrupted(exc.__cause__ or exc.__context__)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except click.UsageError as exc:  # a mistyped option: click's usage lines
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        error_line(exc.format_message())
        sys.exit(exc.exit_code)
    except RecursionError:
        error_line("input nested too deeply to read (is it an mfu-advisor file?)")
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:
        if not _stdout_failed(exc):
            _internal_error(exc)
        error_line(f"cannot write to standard output ({exc.strerror or exc})")
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:  # the last line of defence: never print a traceback
        _internal_error(exc)
    # With standalone_mode=False click returns ctx.exit()'s code instead of exiting.
    sys.exit(result if isinstance(result, int) else 0)


def error_line(message: str) -> None:
    """Print ``Error: message`` on stderr: one line, control sequences removed, length capped."""
    click.echo(f"Error: {one_line(message)}", err=True)


def _internal_error(exc: BaseException) -> NoReturn:
    if os.environ.get("MFU_ADVISOR_DEBUG"):
        raise exc
    name = type(exc).__name__
    error_line(
        f"internal error ({name}: {one_line(str(exc), 200)}). This is a bug in mfu-advisor; "
        "rerun with MFU_ADVISOR_DEBUG=1 for details."
    )
    sys.exit(EXIT_INTERNAL_ERROR)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that the same clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def install_signal_handlers() -> None:
    """Make SIGTERM and SIGHUP interrupt like SIGINT (temp folders go, partial results print);
    a signal the parent set to be ignored (``nohup``) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:  # Windows has no SIGHUP
            continue
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _raise_terminated)


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def _interrupted(exc: BaseException | None) -> NoReturn:
    if isinstance(exc, Terminated):
        click.echo(f"Stopped by {signal.Signals(exc.signum).name}.", err=True)
        sys.exit(128 + exc.signum)
    click.echo("Interrupted.", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _replace_unencodable_output() -> None:
    """Print characters the output encoding lacks (a C locale and "≈") as "?", not fail."""
    for stream, errors in ((sys.stdout, "replace"), (sys.stderr, "backslashreplace")):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors=errors)  # type: ignore[union-attr]


def _stdout_failed(exc: OSError) -> bool:
    """True when ``exc`` came from writing to standard output (closed pipe, full disk); then
    standard output goes to the null device, so Python's flush at exit cannot fail again."""
    if exc.errno == errno.EPIPE:
        silence_stdout()
        return True
    if sys.stdout is None:
        return False
    try:
        sys.stdout.flush()
    except OSError:
        silence_stdout()
        return True
    return False

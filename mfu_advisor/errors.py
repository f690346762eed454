"""Exit codes and the one exception type that reaches the user as a single line.

Exit codes (documented in docs/exit-codes.md; tests keep the two in step):

- 0: success.
- 1: an internal error, a bug in mfu-advisor. One line names it; set
  ``MFU_ADVISOR_DEBUG=1`` to see the traceback.
- 2: bad input or a request this machine cannot satisfy (a missing file, a
  garbled snapshot, ``--device cuda`` without CUDA, an unwritable output path).
- 3: the measured run itself failed: a rank of a distributed job died or hung
  (one line names the rank and what happened; no process is left behind).
- 130: interrupted with Ctrl-C; whatever was measured so far has been reported.
- 143 and 129: stopped by SIGTERM or SIGHUP (128 + the signal), handled like
  Ctrl-C (temporary folders removed; ``cli.install_signal_handlers``).
"""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_INTERNAL_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 3
EXIT_INTERRUPTED = 130


class UserError(click.ClickException):
    """A problem with what the user asked for, reported as one line.

    Raise it anywhere below the CLI; the CLI prints ``Error: <message>`` on
    stderr and exits with code 2 (:data:`EXIT_BAD_INPUT`).
    """

    exit_code = EXIT_BAD_INPUT


class RunFailed(click.ClickException):
    """The training run being measured failed (a rank died or hung): one line, exit code 3.

    Not the user's input and not a bug in mfu-advisor: the message says which
    process failed and how, so the user can look at that machine or rank.
    """

    exit_code = EXIT_RUN_FAILED

"""Exit codes (docs/exit-codes.md; tests keep the two in step) and the errors that reach the
user as a single line."""

from __future__ import annotations

import click

EXIT_INTERNAL_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 3
EXIT_INTERRUPTED = 130


class UserError(click.ClickException):
    """A problem with what the user asked for: ``Error: <message>`` on stderr, exit code 2."""

    exit_code = EXIT_BAD_INPUT


class RunFailed(click.ClickException):
    """The training run being measured failed (a rank died or hung): one line, exit code 3."""

    exit_code = EXIT_RUN_FAILED

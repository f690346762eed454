"""The command-line shell: help, version, and one-line errors with exit codes."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from mfu_advisor import __version__
from mfu_advisor.cli import COMMANDS, cli


def test_help_lists_every_command_without_importing_them() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_version_option_prints_the_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys; from mfu_advisor.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_unknown_command_exits_2_with_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "no-such-command"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr

"""A broken torch never takes the tool down.

On real GPU boxes ``import torch`` can fail after install: a CUDA build missing
a library raises ``OSError``, a half-removed one ``ImportError``. A module
named ``torch`` that raises on import, put first on ``PYTHONPATH``, stands in
for both. ``probe --no-torch``, ``analyze`` and ``report`` keep working,
``probe`` names the import error as the torch facts' reason, and ``bench`` and
``diagnose`` exit 2 with one line naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mfu_advisor.errors import EXIT_BAD_INPUT

LOG = Path(__file__).resolve().parent / "data" / "logs" / "nanogpt_cpu_300.log"

pytestmark = pytest.mark.slow

BROKEN = {
    "OSError": 'raise OSError("libcudnn.so.9: cannot open shared object file: No such file")',
    "ImportError": "raise ImportError(\"cannot import name '_C' from torch\")",
}


@pytest.fixture(params=sorted(BROKEN))
def broken_env(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """(the error's type name, an environment whose ``import torch`` raises it)."""
    package = tmp_path / "shadow" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(BROKEN[request.param] + "\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(package.parent)
    env["MFU_ADVISOR_NO_CACHE"] = "1"  # a cached answer from a working torch must not hide it
    return request.param, env


def _tool(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfu_advisor", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_probe_analyze_and_report_work_and_probe_names_the_import_error(
    broken_env: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    error, env = broken_env
    assert _tool(["probe", "--no-torch"], env, tmp_path).returncode == 0

    probe = _tool(["probe", "--json"], env, tmp_path)
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    assert facts["torch"] is None
    assert facts["unavailable"]["torch"].startswith(f"import torch failed: {error}: ")

    analyzed = _tool(["analyze", str(LOG), "--json"], env, tmp_path)
    assert analyzed.returncode == 0, analyzed.stderr
    saved = tmp_path / "analysis.json"
    saved.write_text(analyzed.stdout)
    report = _tool(["report", str(saved), "--markdown"], env, tmp_path)
    assert report.returncode == 0, report.stderr
    assert "nanoGPT" in report.stdout


@pytest.mark.parametrize("command", [["bench", "--preset", "cpu-small"], ["diagnose"]])
def test_commands_that_run_a_model_exit_2_with_one_line_naming_the_error(
    broken_env: tuple[str, dict[str, str]], command: list[str], tmp_path: Path
) -> None:
    error, env = broken_env
    done = _tool(command, env, tmp_path)
    assert done.returncode == EXIT_BAD_INPUT
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"Error: {command[0]} needs PyTorch, and `import torch` failed")
    assert f"({error}: " in lines[0]
    assert "Traceback" not in done.stderr

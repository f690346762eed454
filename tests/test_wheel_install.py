"""The built wheel works where it installs: a fresh environment that already has torch.

The wheel and the sdist are built from this checkout (``python -m build``), the
wheel is installed into a new virtual environment that sees this environment's
packages (torch among them) through a ``.pth`` file, with ``--no-index`` so that
pip can neither download torch nor replace it, and the installed tool is run
from outside the checkout: ``--version``, ``probe --no-torch`` and ``analyze``
of a log with ``--html`` (templates and package data must be in the wheel).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "tests" / "data" / "logs" / "nanogpt_cpu_300.log"

# Both tests share one build, so xdist keeps them on one worker (--dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _package_files(folder: Path) -> set[str]:
    """Every file shipped from ``folder`` (sources, templates, data), as relative paths."""
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The (wheel, sdist) built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


def test_wheel_and_sdist_carry_every_source_template_and_data_file(
    built: tuple[Path, Path],
) -> None:
    wheel, sdist = built
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"mfu_advisor/{name}" for name in _package_files(ROOT / "mfu_advisor")}
    expected |= {f"mfu_advisor/templates/{name}" for name in _package_files(ROOT / "templates")}
    assert expected - in_wheel == set()
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {f"templates/{name}" for name in _package_files(ROOT / "templates")} <= in_sdist
    assert {"pyproject.toml", "README.md"} <= in_sdist
    metadata = next(n for n in in_wheel if n.endswith(".dist-info/METADATA"))
    requires = [
        line.split(":", 1)[1].strip()
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert "torch>=2.1" in requires


def test_wheel_runs_in_a_fresh_venv_that_already_has_torch(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    wheel, _ = built
    venv = tmp_path / "venv"
    # Without its own pip and setuptools: those come from this environment, like torch does, so
    # that the new environment's older bundled setuptools cannot shadow what torch requires.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    new_site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=tmp_path,
    ).strip()
    # This environment's packages (torch, click, jinja2, ...) seen from the new one, after its own.
    (Path(new_site) / "with_ci_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["MFU_ADVISOR_NO_CACHE"] = "1"
    installed = _run(
        [str(python), "-m", "pip", "install", "--no-index", "--no-cache-dir", str(wheel)],
        cwd=tmp_path,
        env=env,
    )
    # Only the tool was installed: torch (2.13.0+cpu here) and the rest were left as they were.
    assert "Requirement already satisfied: torch>=2.1" in installed
    newly = [line for line in installed.splitlines() if line.startswith("Successfully installed")]
    assert newly == ["Successfully installed mfu-advisor-0.1.0"]

    tool = str(venv / "bin" / "mfu-advisor")
    location = _run(
        [str(python), "-c", "import mfu_advisor; print(mfu_advisor.__file__)"], tmp_path, env
    )
    assert location.startswith(str(venv)), location  # the wheel, not this checkout

    assert _run([tool, "--version"], tmp_path, env).strip().endswith("0.1.0")
    probe = json.loads(_run([tool, "probe", "--no-torch", "--json"], tmp_path, env))
    assert probe["command"] == "probe"
    assert probe["cpu"]["logical_cpus"] >= 1
    html = tmp_path / "analyze.html"
    analysis = json.loads(
        _run([tool, "analyze", str(LOG), "--json", "--html", str(html)], tmp_path, env)
    )
    assert analysis["command"] == "analyze"
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<style" in page and "nanoGPT" in page  # the shipped CSS and template rendered

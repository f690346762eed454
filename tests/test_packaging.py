"""The wheel must carry every package folder and the top-level templates/."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _listed_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed_in_pyproject() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "mfu_advisor").rglob("__init__.py")
    }
    assert on_disk - _listed_packages() == set()


def test_templates_folder_is_shipped_as_a_package() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["tool"]["setuptools"]["package-dir"]["mfu_advisor.templates"] == "templates"
    assert "mfu_advisor.templates" in _listed_packages()


def test_torch_requirement_admits_the_cpu_build_and_caps_below_newer_releases() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    torch_req = next(d for d in data["project"]["dependencies"] if d.startswith("torch"))
    assert re.fullmatch(r"torch>=2\.\d+,<2\.14", torch_req)

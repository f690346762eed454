"""Packaging: the wheel carries every package folder, templates/ and data/; installing it never
changes the user's torch (no upper bounds), and the built wheel works in a fresh environment."""

from __future__ import annotations

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


def _dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_no_dependency_has_an_upper_bound_so_installing_never_downgrades_torch() -> None:
    # A tool that measures someone's training setup must never change it: an upper bound on
    # torch makes pip replace a newer torch (a multi-GB CUDA build) just to install a diagnostic.
    from packaging.requirements import Requirement

    for line in _dependencies():
        requirement = Requirement(line)
        bounds = {"<", "<=", "==", "~="}
        capped = [spec for spec in requirement.specifier if spec.operator in bounds]
        assert capped == [], f"{requirement.name} is capped: {line}"


def test_torch_requirement_admits_every_release_from_2_1_on() -> None:
    from packaging.requirements import Requirement

    torch = next(Requirement(d) for d in _dependencies() if Requirement(d).name == "torch")
    for version in ("2.1.0", "2.13.0", "2.15.0", "3.0.0"):
        assert torch.specifier.contains(version), version
    assert not torch.specifier.contains("2.0.1")

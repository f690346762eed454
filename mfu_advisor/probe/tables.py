"""The probe's data files (``mfu_advisor/data/*.toml``), each parsed once, on first use."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any


@functools.cache
def data_file(name: str) -> dict[str, Any]:
    """The parsed TOML file ``mfu_advisor/data/<name>`` (shipped as package data)."""
    text = resources.files("mfu_advisor").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)

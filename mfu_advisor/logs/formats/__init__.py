"""The registry of log formats ``analyze`` knows, one module per format.

To add a format: write ``formats/<name>.py`` with a ``LogFormat`` subclass
named ``FORMAT`` (see ``base.py`` and docs/log-formats.md), add one line to
:data:`MODULES`, and add its tests under ``tests/logs/``. No other format
changes. Detection tries every specific format on the start of the input and
falls back to ``generic`` last.
"""

from __future__ import annotations

import importlib
from functools import cache

from mfu_advisor.logs.formats.base import LogFormat

#: format name -> module holding ``FORMAT``. Order is the order formats are listed in help.
MODULES: dict[str, str] = {
    "nanogpt": "mfu_advisor.logs.formats.nanogpt",
    "llmc": "mfu_advisor.logs.formats.llmc",
    "nanochat": "mfu_advisor.logs.formats.nanochat",
    "modded_nanogpt": "mfu_advisor.logs.formats.modded_nanogpt",
    "llama2c": "mfu_advisor.logs.formats.llama2c",
    "mlx_lm": "mfu_advisor.logs.formats.mlx_lm",
    "deepspeed": "mfu_advisor.logs.formats.deepspeed",
    "torchtitan": "mfu_advisor.logs.formats.torchtitan",
    "hf_trainer": "mfu_advisor.logs.formats.hf_trainer",
    "megatron": "mfu_advisor.logs.formats.megatron",
    "litgpt": "mfu_advisor.logs.formats.litgpt",
    "maxtext": "mfu_advisor.logs.formats.maxtext",
    "generic": "mfu_advisor.logs.formats.generic",
}


def format_names() -> list[str]:
    """Every known format name, specific formats first and ``generic`` last."""
    return list(MODULES)


@cache
def get_format(name: str) -> LogFormat:
    """The format called ``name`` (KeyError when there is none)."""
    module = importlib.import_module(MODULES[name])
    fmt: LogFormat = module.FORMAT
    if fmt.name != name:
        raise RuntimeError(f"{MODULES[name]} registers {fmt.name!r}, expected {name!r}")
    return fmt


def all_formats() -> list[LogFormat]:
    """Every known format, in :data:`MODULES` order."""
    return [get_format(name) for name in MODULES]

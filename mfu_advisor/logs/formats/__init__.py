"""The registry of log formats ``analyze`` knows, one module per format.

To add a format: write ``formats/<name>.py`` with a ``LogFormat`` subclass
named ``FORMAT`` (see ``base.py`` and docs/log-formats.md), add its name to
:data:`NAMES`, and add its tests under ``tests/logs/``. No other format
changes. Detection tries every specific format on the start of the input and
falls back to ``generic`` last.
"""

from __future__ import annotations

import importlib
from functools import cache

from mfu_advisor.logs.formats.base import LogFormat

#: Format names, each the module ``formats/<name>.py`` holding ``FORMAT``, in the order help
#: lists them.
NAMES = (
    "nanogpt",
    "llmc",
    "nanochat",
    "modded_nanogpt",
    "llama2c",
    "mlx_lm",
    "deepspeed",
    "torchtitan",
    "hf_trainer",
    "megatron",
    "litgpt",
    "maxtext",
    "generic",
)


def format_names() -> list[str]:
    """Every known format name, specific formats first and ``generic`` last."""
    return list(NAMES)


@cache
def get_format(name: str) -> LogFormat:
    """The format called ``name`` (KeyError when there is none)."""
    if name not in NAMES:
        raise KeyError(name)
    fmt: LogFormat = importlib.import_module(f"{__name__}.{name}").FORMAT
    return fmt


def all_formats() -> list[LogFormat]:
    """Every known format, in :data:`NAMES` order."""
    return [get_format(name) for name in NAMES]

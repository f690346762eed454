"""Importing torch for the commands that run a model, with a broken install as one line.

A CUDA build whose import fails on a missing library, or a removed torch, must not take the
whole tool down: ``bench`` and ``diagnose`` stop with exit code 2 (docs/exit-codes.md).
"""

from __future__ import annotations

from types import ModuleType

from mfu_advisor.errors import UserError


def import_error_text(exc: BaseException) -> str:
    """``"OSError: libcudnn.so.9: cannot open ..."``: the error's type and first line, capped."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def import_torch(command: str) -> ModuleType:
    """``import torch``, or a :class:`UserError` saying that ``command`` needs it and why."""
    try:
        import torch
    except Exception as exc:  # a broken build raises anything from OSError to RuntimeError
        raise UserError(
            f"{command} needs PyTorch, and `import torch` failed ({import_error_text(exc)}); "
            "reinstall torch for this machine (probe, analyze and report work without it)"
        ) from None
    return torch

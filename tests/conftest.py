"""Every test session gets its own empty user cache folder.

mfu-advisor caches torch's answers and measured rooflines in the user cache
folder (mfu_advisor/cache.py). Tests must neither write into the user's home
nor read what an earlier session (another torch, another machine state) left
there, so ``MFU_ADVISOR_CACHE_DIR`` points at a fresh temporary folder for the
whole session, subprocesses included (they inherit the environment), and
``MFU_ADVISOR_NO_CACHE`` from the user's shell is cleared so that tests of the
cache see it working. Tests that exercise the cache set their own folder with
``monkeypatch.setenv`` on top of this one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfu_advisor.cache import CACHE_DIR_ENV, NO_CACHE_ENV

# Compiled modules are kept (in __pycache__, which git ignores) even where the shell sets
# PYTHONDONTWRITEBYTECODE: the hundreds of `python -m mfu_advisor ...` processes the tests start
# would otherwise each compile the package from source, and pytest would rewrite every test
# module's asserts again on every run.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(scope="session", autouse=True)
def session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's user cache folder (empty at the start)."""
    folder = tmp_path_factory.mktemp("user-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(folder))
        patch.delenv(NO_CACHE_ENV, raising=False)
        yield folder

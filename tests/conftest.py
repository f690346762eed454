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

from collections.abc import Iterator
from pathlib import Path

import pytest

from mfu_advisor.cache import CACHE_DIR_ENV, NO_CACHE_ENV


@pytest.fixture(scope="session", autouse=True)
def session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's user cache folder (empty at the start)."""
    folder = tmp_path_factory.mktemp("user-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(folder))
        patch.delenv(NO_CACHE_ENV, raising=False)
        yield folder

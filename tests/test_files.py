"""Output files are written atomically and bad paths get one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.errors import EXIT_BAD_INPUT, UserError
from mfu_advisor.files import write_atomic


def test_write_atomic_replaces_the_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic(target, "new content")
    assert target.read_text() == "new content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_directory_path_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a directory") as info:
        write_atomic(tmp_path, "x")
    assert info.value.exit_code == EXIT_BAD_INPUT


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "r.html", "x")


def test_an_existing_files_permissions_are_kept(tmp_path: Path) -> None:
    import os
    import stat

    private = tmp_path / "private.html"
    private.write_text("old")
    os.chmod(private, 0o600)
    write_atomic(private, "new")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text() == "new"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_an_interrupt_while_writing_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    import os

    target = tmp_path / "out.html"
    target.write_text("old")

    def fail(*_args: object) -> None:
        raise interrupt

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(interrupt):
        write_atomic(target, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]
    assert target.read_text() == "old"

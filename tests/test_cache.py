"""The user cache folder: one place, chosen from the environment, shared by probe and bench."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mfu_advisor import cache
from mfu_advisor.bench import roofline
from mfu_advisor.probe import torch_cache


def test_the_explicit_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_xdg_cache_home_is_used_when_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFU_ADVISOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "mfu-advisor"


@pytest.mark.parametrize("xdg", ["", "relative/cache"])
def test_an_empty_or_relative_xdg_cache_home_falls_back_to_the_home_cache(
    xdg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFU_ADVISOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "mfu-advisor"


@pytest.mark.parametrize(("value", "off"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_no_cache_switches_caching_off_unless_empty_or_zero(
    value: str, off: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_NO_CACHE", value)
    assert cache.caching_disabled() is off


def test_tests_run_with_a_session_cache_outside_the_home(session_cache_dir: Path) -> None:
    assert os.environ["MFU_ADVISOR_CACHE_DIR"] == str(session_cache_dir)
    assert not str(session_cache_dir).startswith(str(Path.home() / ".cache"))
    assert "MFU_ADVISOR_NO_CACHE" not in os.environ


def test_probe_and_bench_cache_in_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    torch_cache.cached_answers(lambda: {"version": "x", "num_threads": 1}, None)
    sweeper = roofline.Sweeper("cpu", "cpu", lambda: None)
    monkeypatch.setattr(sweeper, "matmul_flops", lambda m, n, k, d: (1e9, 1e-3))
    monkeypatch.setattr(sweeper, "copy_bandwidth", lambda: (1e10, "fake copy"))
    result = roofline.measure_roofline(
        sweeper=sweeper, machine={"device_type": "cpu"}, dtype_keys=["fp32"], model_shapes=[]
    )
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert names == ["roofline", "torch"]
    assert Path(result.cache_path).parent == tmp_path


def test_with_caching_off_the_roofline_is_measured_and_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MFU_ADVISOR_NO_CACHE", "1")
    sweeper = roofline.Sweeper("cpu", "cpu", lambda: None)
    monkeypatch.setattr(sweeper, "matmul_flops", lambda m, n, k, d: (1e9, 1e-3))
    monkeypatch.setattr(sweeper, "copy_bandwidth", lambda: (1e10, "fake copy"))
    for _ in range(2):
        result = roofline.measure_roofline(
            sweeper=sweeper, machine={"device_type": "cpu"}, dtype_keys=["fp32"], model_shapes=[]
        )
        assert not result.from_cache
    assert list(tmp_path.iterdir()) == []
    assert any("MFU_ADVISOR_NO_CACHE" in note for note in result.notes)

"""The user cache folder: one place, chosen from the environment, shared by probe and bench."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mfu_advisor import cache
from mfu_advisor.bench import roofline
from mfu_advisor.facts import Unavailable
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
    folder = cache.cache_folder()
    assert isinstance(folder, Unavailable) is off
    assert not off or folder.reason == "the cache is off (MFU_ADVISOR_NO_CACHE)"


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


def test_without_a_home_the_fallback_is_private_to_this_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat
    import tempfile

    monkeypatch.delenv("MFU_ADVISOR_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = cache.cache_folder()
    assert folder == tmp_path / f"mfu-advisor-{os.getuid()}"
    assert isinstance(folder, Path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_cache_folder_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    planted = tmp_path / "shared"
    planted.mkdir()
    planted.chmod(mode)
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(planted))
    folder = cache.cache_folder()
    assert isinstance(folder, cache.Unavailable)
    assert "writable by others" in folder.reason
    # Neither the probe's torch cache nor the roofline reads or writes there.
    (planted / "poison").write_text("x")
    torch_cache.cached_answers(lambda: {"version": "x", "num_threads": 1}, None)
    assert sorted(p.name for p in planted.iterdir()) == ["poison"]


def test_a_cache_folder_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "_uid", lambda: os.getuid() + 1)
    folder = cache.cache_folder()
    assert isinstance(folder, cache.Unavailable) and "another user" in folder.reason


def test_an_unexpandable_cache_setting_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from mfu_advisor.errors import UserError

    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", "~no-such-user-q7/cache")
    with pytest.raises(UserError, match="cannot be expanded"):
        cache.cache_dir()


def _sweeper(monkeypatch: pytest.MonkeyPatch, flops: float) -> roofline.Sweeper:
    sweeper = roofline.Sweeper("cpu", "cpu", lambda: None)
    monkeypatch.setattr(sweeper, "matmul_flops", lambda m, n, k, d: (flops, 1e-3))
    monkeypatch.setattr(sweeper, "copy_bandwidth", lambda: (1e10, "fake copy"))
    return sweeper


@pytest.mark.parametrize(
    ("cached_flops", "bounds", "trusted"),
    [
        (1e12, (0.0, 1.5e12), True),
        (9e13, (0.0, 1.5e12), False),  # above 1.5x the datasheet peak: measured again
        (1e9, (6e10, 1e17), False),  # below what the training run itself reached
    ],
)
def test_cached_roofline_figures_out_of_range_are_measured_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cached_flops: float,
    bounds: tuple[float, float],
    trusted: bool,
) -> None:
    machine = {"device_type": "cpu"}
    first = roofline.measure_roofline(
        sweeper=_sweeper(monkeypatch, cached_flops),
        machine=machine,
        dtype_keys=["fp32"],
        model_shapes=[],
        directory=tmp_path,
    )
    assert first.dtypes["fp32"].best_flops == cached_flops
    again = roofline.measure_roofline(
        sweeper=_sweeper(monkeypatch, 1e11),
        machine=machine,
        dtype_keys=["fp32"],
        model_shapes=[],
        directory=tmp_path,
        bounds={"fp32": bounds},
    )
    assert again.from_cache is trusted
    assert again.dtypes["fp32"].best_flops == (cached_flops if trusted else 1e11)
    assert any("measured again" in n for n in again.notes) is not trusted


@pytest.mark.parametrize("bad", ["NaN", "1e400", "-5", '"fast"', "true"])
def test_a_damaged_roofline_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    machine = {"device_type": "cpu"}
    roofline.measure_roofline(
        sweeper=_sweeper(monkeypatch, 1e11),
        machine=machine,
        dtype_keys=["fp32"],
        model_shapes=[],
        directory=tmp_path,
    )
    (path,) = tmp_path.iterdir()
    text = path.read_text().replace("100000000000.0", bad)
    path.write_text(text)
    assert roofline.load_cache(path, machine) is None


def test_a_roofline_cached_for_another_machine_is_not_used(tmp_path: Path) -> None:
    doc = {
        "format": roofline.CACHE_FORMAT,
        "version": roofline.CACHE_VERSION,
        "machine": {"device_type": "cpu", "machine_identity": "elsewhere"},
        "points": {"fp32": {"256x256x256": {"flops_per_s": 1e11}}},
        "memory_bandwidth": {"bytes_per_s": 1e10, "method": "copy"},
    }
    path = tmp_path / "roofline-x.json"
    path.write_text(json.dumps(doc))
    here = {"device_type": "cpu", "machine_identity": roofline.machine_identity()}
    assert roofline.load_cache(path, here) is None
    assert roofline.load_cache(path, doc["machine"]) is not None  # type: ignore[arg-type]
    assert roofline.machine_fingerprint("cpu", "cpu", 1, "2.13")["machine_identity"] == (
        roofline.machine_identity()
    )


@pytest.mark.parametrize(
    "answers",
    [
        {"version": "2.13", "num_threads": 0},
        {"version": "2.13", "num_threads": 10**9},
        {
            "version": "2.13",
            "num_threads": 2,
            "devices": [{"device": "cuda:0", "multiprocessor_count": -1}],
        },
        {"version": "2.13", "num_threads": 2, "devices": "cpu"},
        {"version": 2.13, "num_threads": 2},
    ],
)
def test_implausible_cached_torch_answers_are_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: dict[str, object]
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    good = {"version": "2.13", "num_threads": 2}
    torch_cache.cached_answers(lambda: good, None)
    (path,) = tmp_path.glob("torch-*.json")
    doc = json.loads(path.read_text())
    doc["answers"] = answers
    path.write_text(json.dumps(doc))
    calls: list[int] = []

    def collect() -> dict[str, object]:
        calls.append(1)
        return good

    got, how = torch_cache.cached_answers(collect, None)
    assert calls == [1] and how == "asked torch now" and got == good

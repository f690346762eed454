"""The roofline sweep: best FLOP/s per dtype, cached per machine, --fresh redoes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mfu_advisor.bench import roofline
from mfu_advisor.bench.roofline import GemmShape, Sweeper, measure_roofline, measured_peak
from mfu_advisor.facts import Unavailable

MACHINE = {"device_type": "cpu", "device_name": "Test CPU", "threads": 2, "torch_version": "x"}
SHAPES = (GemmShape("attn.qkv", 768, 384, 128), GemmShape("lm_head", 768, 65, 128))


class FakeSweeper(Sweeper):
    """A sweeper whose matmul reaches 1 GFLOP/s per 100 of m, and whose calls are counted."""

    def __init__(self) -> None:
        super().__init__("cpu", "cpu", lambda: None)
        self.calls: list[tuple[int, int, int, str]] = []

    def matmul_flops(self, m: int, n: int, k: int, dtype_key: str) -> tuple[float, float]:
        self.calls.append((m, n, k, dtype_key))
        flops = m * 1e7
        return flops, 2.0 * m * n * k / flops

    def copy_bandwidth(self) -> tuple[float, str]:
        return 2.0e10, "fake copy"


def test_best_flops_is_the_fastest_shape_and_labelled(tmp_path: Path) -> None:
    sweeper = FakeSweeper()
    result = measure_roofline(
        sweeper=sweeper, machine=MACHINE, dtype_keys=["fp32"], model_shapes=SHAPES,
        directory=tmp_path,
    )  # fmt: skip
    fp32 = result.dtypes["fp32"]
    assert fp32.best_flops == pytest.approx(1024 * 1e7)
    assert fp32.best_shape == "square 1024x1024x1024"
    assert [p.flops_per_s for p in fp32.model_shapes] == [pytest.approx(768e7)] * 2
    assert result.memory_bandwidth_bytes_per_s == 2.0e10
    assert not result.from_cache and Path(result.cache_path).parent == tmp_path
    value, label = measured_peak(result, "fp32")
    assert value == pytest.approx(1.024e10)
    assert label == "best fp32 matmul measured on this machine (square 1024x1024x1024, 2 threads)"


def test_second_run_reads_the_cache_and_fresh_measures_again(tmp_path: Path) -> None:
    first = FakeSweeper()
    measure_roofline(
        sweeper=first, machine=MACHINE, dtype_keys=["fp32"], model_shapes=SHAPES,
        directory=tmp_path,
    )  # fmt: skip
    again = FakeSweeper()
    cached = measure_roofline(
        sweeper=again, machine=MACHINE, dtype_keys=["fp32"], model_shapes=SHAPES,
        directory=tmp_path,
    )  # fmt: skip
    assert again.calls == [] and cached.from_cache and cached.sweep_s == 0.0
    fresh = FakeSweeper()
    measure_roofline(
        sweeper=fresh, machine=MACHINE, dtype_keys=["fp32"], model_shapes=SHAPES,
        directory=tmp_path, fresh=True,
    )  # fmt: skip
    assert len(fresh.calls) == len(first.calls) == 3 + 2


def test_only_missing_shapes_and_dtypes_are_measured(tmp_path: Path) -> None:
    measure_roofline(
        sweeper=FakeSweeper(), machine=MACHINE, dtype_keys=["fp32"], model_shapes=SHAPES,
        directory=tmp_path,
    )  # fmt: skip
    later = FakeSweeper()
    bigger = (GemmShape("attn.qkv", 1536, 384, 128, batch_multiple=2),)
    measure_roofline(
        sweeper=later, machine=MACHINE, dtype_keys=["fp32", "bf16"], model_shapes=bigger,
        directory=tmp_path,
    )  # fmt: skip
    assert (1536, 384, 128, "fp32") in later.calls
    assert {c for c in later.calls if c[3] == "fp32"} == {(1536, 384, 128, "fp32")}
    assert sum(1 for c in later.calls if c[3] == "bf16") == 3 + 1


def test_another_machine_gets_another_cache_file(tmp_path: Path) -> None:
    one = measure_roofline(
        sweeper=FakeSweeper(), machine=MACHINE, dtype_keys=["fp32"], model_shapes=(),
        directory=tmp_path,
    )  # fmt: skip
    other = measure_roofline(
        sweeper=FakeSweeper(), machine={**MACHINE, "threads": 1}, dtype_keys=["fp32"],
        model_shapes=(), directory=tmp_path,
    )  # fmt: skip
    assert one.cache_path != other.cache_path and not other.from_cache


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: "{not json",
        lambda doc: json.dumps({**doc, "points": {"fp32": {"256x256x256": {"flops_per_s": "x"}}}}),
        lambda doc: json.dumps({**doc, "points": {"fp32": []}}),
        lambda doc: json.dumps({**doc, "memory_bandwidth": {"bytes_per_s": -1}}),
        lambda doc: json.dumps({**doc, "version": 1}),
    ],
)
def test_a_corrupt_or_old_cache_is_measured_over(tmp_path: Path, damage: Any) -> None:
    first = measure_roofline(
        sweeper=FakeSweeper(), machine=MACHINE, dtype_keys=["fp32"], model_shapes=(),
        directory=tmp_path,
    )  # fmt: skip
    doc = json.loads(Path(first.cache_path).read_text())
    Path(first.cache_path).write_text(damage(doc))
    sweeper = FakeSweeper()
    result = measure_roofline(
        sweeper=sweeper, machine=MACHINE, dtype_keys=["fp32"], model_shapes=(),
        directory=tmp_path,
    )  # fmt: skip
    assert sweeper.calls and not result.from_cache
    assert json.loads(Path(result.cache_path).read_text())["format"] == "mfu-advisor-roofline"


def test_shapes_too_slow_for_the_sweep_are_skipped_with_a_reason(tmp_path: Path) -> None:
    sweeper = FakeSweeper()
    huge = (GemmShape("lm_head", 4096, 50304, 768),)  # ~3e11 FLOP at ~1e10 FLOP/s: ~30 s
    result = measure_roofline(
        sweeper=sweeper, machine=MACHINE, dtype_keys=["fp32"], model_shapes=huge,
        directory=tmp_path,
    )  # fmt: skip
    point = result.dtypes["fp32"].model_shapes[0]
    assert point.flops_per_s is None and "one call would take about" in str(point.skipped_reason)
    assert all(call[0] != 4096 for call in sweeper.calls)


def test_measured_peak_without_a_roofline_gives_the_reason() -> None:
    assert measured_peak(Unavailable("skipped: --no-roofline"), "fp32") == (
        None,
        "no measured roofline: skipped: --no-roofline",
    )


def test_real_sweep_on_tiny_shapes_measures_positive_flops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(roofline.SQUARE_SIZES, "cpu", (32, 64))
    monkeypatch.setitem(roofline.BANDWIDTH_BYTES, "cpu", 2**20)
    sweeper = Sweeper("cpu", "cpu", lambda: None, seconds_per_shape=0.003)
    result = measure_roofline(
        sweeper=sweeper, machine=MACHINE, dtype_keys=["fp32", "bf16"],
        model_shapes=(GemmShape("mlp.expand", 16, 64, 16),), directory=tmp_path,
    )  # fmt: skip
    for dtype in ("fp32", "bf16"):
        assert (result.dtypes[dtype].best_flops or 0) > 0
    assert (result.memory_bandwidth_bytes_per_s or 0) > 0

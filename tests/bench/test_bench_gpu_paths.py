"""GPU code paths exercised on a CPU-only machine with fakes: no test here needs a GPU."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from bench_fakes import TINY

from mfu_advisor.bench import devices
from mfu_advisor.bench.devices import (
    autocast_context,
    make_grad_scaler,
    make_optimizer,
    make_synchronize,
    resolve_device,
    tf32_setting,
)
from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.run import run_bench
from mfu_advisor.errors import UserError


def test_cuda_synchronize_waits_on_the_run_device(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    make_synchronize("cuda", 1)()
    assert calls == [1]


def test_meter_on_cuda_synchronizes_before_each_clock_read(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(
        torch.cuda, "synchronize", lambda device=None: events.append(f"sync{device}")
    )

    def clock() -> float:
        events.append("clock")
        return float(len(events))

    meter = MFUMeter(1e6, device="cuda:1", peak_flops=1e12, warmup_steps=0, clock=clock)
    meter.step(tokens=10)
    assert events == ["sync1", "clock", "sync1", "clock"]


@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_autocast_uses_the_device_type_and_dtype() -> None:
    bf16 = autocast_context("cuda", "bfloat16")
    assert isinstance(bf16, torch.autocast)
    assert bf16.device == "cuda" and bf16.fast_dtype == torch.bfloat16
    fp16 = autocast_context("cuda", "float16")
    assert isinstance(fp16, torch.autocast) and fp16.fast_dtype == torch.float16
    assert not isinstance(autocast_context("cuda", "float32"), torch.autocast)


def test_grad_scaler_only_for_float16(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[tuple[str, bool]] = []

    class FakeScaler:
        def __init__(self, device: str, enabled: bool = True) -> None:
            made.append((device, enabled))

    monkeypatch.setattr(torch.amp, "GradScaler", FakeScaler)
    make_grad_scaler("cuda", "float16")
    make_grad_scaler("cuda", "bfloat16")
    assert made == [("cuda", True), ("cuda", False)]


def test_real_cpu_grad_scaler_is_enabled_for_float16_only() -> None:
    assert make_grad_scaler("cpu", "float16").is_enabled()
    assert not make_grad_scaler("cpu", "bfloat16").is_enabled()


def _precisions() -> tuple[str, str]:
    return (torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision)


def test_tf32_switches_are_set_for_the_run_and_restored() -> None:
    before = _precisions()
    with tf32_setting("cuda", True):
        assert _precisions() == ("tf32", "tf32")
    with tf32_setting("cuda", False):
        assert _precisions() == ("ieee", "ieee")
    assert _precisions() == before


def test_tf32_setting_works_after_code_used_the_fp32_precision_api() -> None:
    """torch 2.9+: once fp32_precision is set, reading allow_tf32 raises RuntimeError."""
    before = _precisions()
    torch.backends.cuda.matmul.fp32_precision = "tf32"
    try:
        with pytest.raises(RuntimeError, match="mix of the legacy and new APIs"):
            _ = torch.backends.cuda.matmul.allow_tf32
        with tf32_setting("cuda", False):
            assert torch.backends.cuda.matmul.fp32_precision == "ieee"
        assert torch.backends.cuda.matmul.fp32_precision == "tf32"
    finally:
        torch.backends.cuda.matmul.fp32_precision = before[0]


def test_adamw_is_fused_on_cuda_by_default_and_as_asked_elsewhere() -> None:
    model = torch.nn.Linear(4, 4)
    fused, impl = make_optimizer(model, "auto", "cuda")
    assert impl == "fused" and fused.defaults["fused"] is True
    plain, impl = make_optimizer(model, "auto", "cpu")
    assert impl == "forloop" and plain.defaults["foreach"] is False
    foreach, impl = make_optimizer(model, "foreach", "cpu")
    assert impl == "foreach" and foreach.defaults["foreach"] is True
    # nanoGPT's groups: weight decay on matrices only.
    decays = [(len(g["params"]), g["weight_decay"]) for g in fused.param_groups]
    assert decays == [(1, 0.1), (1, 0.0)]


def test_cuda_on_a_cpu_only_build_names_what_was_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None, raising=False)
    with pytest.raises(UserError) as info:
        resolve_device("cuda")
    assert str(info.value.message) == (
        f"CUDA requested but this torch build is CPU-only ({torch.__version__}); devices: cpu"
    )
    assert info.value.exit_code == 2


def test_cuda_build_without_a_gpu_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    with pytest.raises(UserError, match=r"CUDA 12\.4\) sees no GPU"):
        resolve_device("cuda:0")


def test_cuda_device_is_resolved_with_its_name_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(
        torch.cuda,
        "get_device_properties",
        lambda i: SimpleNamespace(name=f"NVIDIA H100 #{i}", total_memory=80 * 2**30),
    )
    choice = resolve_device("cuda:1")
    assert (choice.device, choice.device_type, choice.index) == ("cuda:1", "cuda", 1)
    assert choice.name == "NVIDIA H100 #1" and choice.memory_bytes == 80 * 2**30
    assert resolve_device("auto").device == "cuda:0"
    with pytest.raises(UserError, match="there are 2 CUDA devices"):
        resolve_device("cuda:2")


def test_cuda_peak_memory_is_max_allocated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda i: 123 * 2**20)
    assert devices.peak_memory("cuda", 0) == (123 * 2**20, "torch.cuda.max_memory_allocated")


def test_compile_step_is_timed_apart_from_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[Any] = []

    def fake_compile(model: Any, **kwargs: Any) -> Any:
        compiled.append(model)
        return model

    monkeypatch.setattr(torch, "compile", fake_compile)
    result = run_bench(dataclasses.replace(TINY, compile=True, warmup_steps=2))
    assert len(compiled) == 1 and result.config["compile"] is True
    assert isinstance(result.compile_s, float)
    assert result.compile_s == pytest.approx(result.warmup_step_ms[0] / 1e3)
    assert result.warmup_s == pytest.approx(result.warmup_step_ms[1] / 1e3)


def test_compile_failure_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("Cannot find a working triton installation.\nmore detail")

    monkeypatch.setattr(torch, "compile", lambda model, **_: broken)
    with pytest.raises(UserError) as info:
        run_bench(dataclasses.replace(TINY, compile=True))
    assert str(info.value.message) == (
        "torch.compile failed on the first step (RuntimeError: Cannot find a working triton "
        "installation.); rerun with --compile=False"
    )


def test_out_of_memory_suggests_a_smaller_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def oom(self: Any) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr("mfu_advisor.bench.training.Training.step", oom)
    with pytest.raises(UserError, match="out of memory on cpu with batch_size 2") as info:
        run_bench(dataclasses.replace(TINY, batch_size=2))
    assert "--batch_size=1" in str(info.value.message)

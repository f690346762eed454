"""``MFUMeter``: tokens/s and MFU inside any training loop, the bench's included
(docs/mfu.md shows its use); the peak is the hardware probe's unless given."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mfu_advisor import units
from mfu_advisor.bench.denominators import device_mfu, device_peak, load_hardware
from mfu_advisor.bench.devices import make_synchronize
from mfu_advisor.bench.timing import StepTimeStats, summarize
from mfu_advisor.facts import Unavailable
from mfu_advisor.mfu import PEAK_DTYPE_KEYS, MfuFigure, a100_reference, mfu_against
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad, NvmlSampler

_NOT_SAMPLED = Unavailable("not sampled")

if TYPE_CHECKING:
    from mfu_advisor.probe.facts import HardwareFacts, PeakFlops

_DTYPE_KEYS = {**PEAK_DTYPE_KEYS, "half": "fp16"}
_DTYPE_KEYS |= {key: key for key in ("fp32", "tf32", "bf16", "fp16")}


@dataclass(frozen=True)
class MeterSummary:
    """What an :class:`MFUMeter` measured so far."""

    steps: int
    """Measured steps (warm-up excluded)."""
    warmup_steps: int
    step_time: StepTimeStats | None
    tokens_per_s: float | None
    """Tokens per second at the median step (tokens / median step time)."""
    achieved_flops: float | None
    """tokens_per_s x model FLOPs per token, in FLOP/s."""
    mfu: MfuFigure
    """Against the device's peak (yours, or the probe's) for the dtype."""
    a100_reference: MfuFigure
    """Against nanoGPT's A100 312 TFLOP/s, as nanoGPT prints it."""
    gpu_under_load: GpuUnderLoad | Unavailable = _NOT_SAMPLED
    """NVML's clocks, power and throttle reasons during the measured steps (CUDA)."""

    def __str__(self) -> str:
        if self.tokens_per_s is None or self.achieved_flops is None:
            return f"MFUMeter: no measured step yet ({self.warmup_steps} warm-up steps)"
        head = (
            f"{units.rate(self.tokens_per_s)}, {units.flops(self.achieved_flops)} "
            f"over {self.steps} steps"
        )
        if self.mfu.value is None:
            return f"{head}; MFU unknown ({self.mfu.reason})"
        return f"{head}; MFU {units.percent(self.mfu.value)} of {self.mfu.source}"


class MFUMeter:
    """Throughput and model FLOPs utilization of a training loop, step by step."""

    def __init__(
        self,
        model_flops_per_token: float,
        *,
        device: Any = "cpu",
        dtype: Any = "float32",
        peak_flops: float | None = None,
        peak_source: str = "given by the caller",
        warmup_steps: int = 1,
        hardware: HardwareFacts | Unavailable | None = None,
        synchronize: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sample_gpu: bool = True,
    ) -> None:
        """``model_flops_per_token``: training FLOPs per token (e.g. 6 x parameters);
        ``dtype``: the matmul precision (float32, tf32, bfloat16, float16 or a torch dtype);
        ``peak_flops``: the denominator in FLOP/s (default: the probe's); ``sample_gpu``:
        on CUDA, NVML is sampled about 10 times a second during the measured steps."""
        self.model_flops_per_token = float(model_flops_per_token)
        kind, _, index = str(device).partition(":")
        self.device_type, self.index = kind, int(index) if index.isdigit() else 0
        self.dtype_key = _DTYPE_KEYS.get(str(dtype).removeprefix("torch."), "")
        if not self.dtype_key:
            raise ValueError(f"dtype {dtype!r}: use float32, tf32, bfloat16 or float16")
        self._peak_flops = peak_flops
        self._peak_source = peak_source
        self._hardware = hardware
        self._tokens: list[float] = []
        self._sample_gpu = sample_gpu and self.device_type == "cuda"
        self._sampler: NvmlSampler | None = None
        why = "" if self.device_type == "cuda" else ": NVML is sampled on CUDA GPUs only"
        self._under_load: GpuUnderLoad | Unavailable = Unavailable(f"not sampled{why}")
        self.warmup_steps = warmup_steps
        self._synchronize = synchronize or make_synchronize(self.device_type, self.index)
        self._clock = clock
        self.warmup_durations_s: list[float] = []  # seconds, kept out of the figures
        self.durations_s: list[float] = []  # seconds of each measured step
        self.start()

    @property
    def in_warmup(self) -> bool:
        """True while the next step will still be a warm-up step."""
        return len(self.warmup_durations_s) < self.warmup_steps

    def start(self) -> None:
        """Restart the clock: the next step is timed from now (e.g. after evaluation)."""
        self._synchronize()  # the device first: a step includes the kernels it queued
        self._last = self._clock()

    def step(self, tokens: int) -> float:
        """Record one finished training step of ``tokens`` tokens; returns its seconds."""
        in_warmup = self.in_warmup
        self._synchronize()
        now = self._clock()
        duration, self._last = now - self._last, now
        (self.warmup_durations_s if in_warmup else self.durations_s).append(duration)
        if not in_warmup:
            self._tokens.append(float(tokens))
        if self._sample_gpu and self._sampler is None and not self.in_warmup:
            self._sampler = _start_sampler(self.index)  # from the first measured step on
        return duration

    def gpu_under_load(self) -> GpuUnderLoad | Unavailable:
        """What NVML showed during the measured steps (stops the sampler)."""
        if self._sampler is not None:
            self._under_load = self._sampler.stop()
            self._sampler = None
        return self._under_load

    def peak(self) -> PeakFlops | Unavailable | float:
        """The denominator: the caller's number, or the probe's peak (probing once)."""
        if self._peak_flops is not None:
            return self._peak_flops
        if self._hardware is None:
            self._hardware = load_hardware()
        return device_peak(self._hardware, self.device_type, self.index, self.dtype_key)

    def summary(self) -> MeterSummary:
        """Figures over the measured steps so far."""
        durations = self.durations_s
        stats = summarize(durations)
        tokens_per_s = _median_rate(self._tokens, durations)
        achieved = None if tokens_per_s is None else tokens_per_s * self.model_flops_per_token
        peak = self.peak()
        if isinstance(peak, float | int):
            mfu = mfu_against(achieved, float(peak), self._peak_source)
        else:
            mfu = device_mfu(achieved, peak)
        return MeterSummary(
            gpu_under_load=self.gpu_under_load(),
            steps=len(durations),
            warmup_steps=len(self.warmup_durations_s),
            step_time=stats,
            tokens_per_s=tokens_per_s,
            achieved_flops=achieved,
            mfu=mfu,
            a100_reference=a100_reference(achieved),
        )


def _median_rate(tokens: list[float], durations_s: list[float]) -> float | None:
    """Tokens / median step time when every step has the same tokens (the bench's case),
    else the median of per-step rates."""
    pairs = [(t, d) for t, d in zip(tokens, durations_s, strict=True) if d > 0]
    if not pairs:
        return None
    if len({t for t, _ in pairs}) == 1:
        return pairs[0][0] / statistics.median(d for _, d in pairs)
    return statistics.median(t / d for t, d in pairs)


def _start_sampler(index: int) -> NvmlSampler | None:
    """An NVML sampler on CUDA device ``index``, found by the PCI bus ID torch reports."""
    import torch

    from mfu_advisor.probe.torch_build import props_bus_id

    if getattr(torch.version, "hip", None):
        return None  # ROCm GPUs have no NVML
    try:
        bus = props_bus_id(torch.cuda.get_device_properties(index))
    except (RuntimeError, AssertionError):
        return None
    if bus is None:
        return None
    sampler = NvmlSampler(bus)
    sampler.start()
    return sampler

"""The model's GEMM shapes, and the measured roofline: best matmul FLOP/s per dtype (squares
and the model's GEMMs at 1x, 2x and 4x its micro-batch: the "measured peak") and copy
bandwidth, cached per machine (``--fresh`` or ``MFU_ADVISOR_NO_CACHE=1`` measure again)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfu_advisor.bench.devices import DeviceChoice, make_synchronize, tf32_setting
from mfu_advisor.bench.options import BenchOptions, cpu_affinity
from mfu_advisor.cache import cache_folder
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import read_json_capped, write_atomic
from mfu_advisor.mfu import PEAK_DTYPE_KEYS, GptShape

CACHE_FORMAT = "mfu-advisor-roofline"
#: 2: timed through F.linear (version 1 timed torch.matmul).
CACHE_VERSION = 2

#: Square sizes tried per device type (GPUs need large tiles to fill every SM).
SQUARE_SIZES: dict[str, tuple[int, ...]] = {
    "cpu": (256, 512, 1024),
    "default": (1024, 2048, 4096, 8192),
}
#: Time spent timing one shape, after its warm-up call, in seconds.
SECONDS_PER_SHAPE = 0.05
#: A shape whose single call would take longer than this is skipped (or ends the squares).
MAX_CALL_S = 0.25
#: Bytes copied to measure memory bandwidth: well beyond any CPU's last-level cache.
BANDWIDTH_BYTES = {"cpu": 64 * 2**20, "default": 1024 * 2**20}
BANDWIDTH_REPEATS = 5

#: Largest cache file read, in bytes (a real one is a few kB).
MAX_CACHE_FILE_BYTES = 1024 * 1024
#: Absolute bounds on cached figures, far above any device (an H100 SXM's dense fp8 is
#: about 2e15 FLOP/s and its HBM3 3.35e12 bytes/s: NVIDIA H100 datasheet), against damaged files.
MAX_FLOPS_PER_S = 1e17
MAX_BYTES_PER_S = 1e14
#: A cached best matmul above a datasheet peak times this is measured again; an estimated
#: peak (a CPU's from a VM's nominal clock) may be beaten further.
CEILING_FACTOR = 1.5
ESTIMATED_CEILING_FACTOR = 4.0
#: A cached best matmul below the run's own FLOP/s / this is measured again (a step is
#: matmuls plus other work: it cannot beat the best matmul by half).
FLOOR_FACTOR = 1.5

if TYPE_CHECKING:
    from mfu_advisor.bench.progress import ProgressSink

_TORCH_DTYPES = {key: name for name, key in PEAK_DTYPE_KEYS.items()} | {"tf32": "float32"}


@dataclass(frozen=True)
class GemmShape:
    """One matrix multiply of the model's forward pass: (m x k) @ (k x n)."""

    name: str
    m: int
    """Rows: tokens in the micro-batch (batch_size x block_size x batch_multiple)."""
    n: int
    k: int
    batch_multiple: int = 1
    """1 for the run's micro-batch; 2 and 4 for the larger batches the roofline also tries."""

    @property
    def flops(self) -> float:
        """FLOPs of one such multiply (2 per multiply-add)."""
        return 2.0 * self.m * self.n * self.k


def gemm_shapes(shape: GptShape, batch_size: int, batch_multiple: int = 1) -> tuple[GemmShape, ...]:
    """The linear-layer GEMMs of one forward pass, once each (attention's products run in
    the fused SDPA kernel; the backward pass uses the same shapes transposed)."""
    tokens = batch_size * shape.block_size * batch_multiple
    c = shape.n_embd
    rows = (
        ("attn.qkv", 3 * c, c),
        ("attn.out_proj", c, c),
        ("mlp.expand", 4 * c, c),
        ("mlp.contract", c, 4 * c),
        ("lm_head", shape.vocab_size, c),
    )
    return tuple(GemmShape(name, tokens, n, k, batch_multiple) for name, n, k in rows)


@dataclass(frozen=True)
class MatmulPoint:
    """One timed matmul shape."""

    name: str
    """"square" or the model layer ("attn.qkv", "lm_head", ...)."""
    m: int
    n: int
    k: int
    batch_multiple: int
    flops_per_s: float | None
    """Best FLOP/s over the timed groups; None when skipped."""
    skipped_reason: str | None = None


@dataclass(frozen=True)
class DtypeRoofline:
    """The sweep's result for one dtype."""

    dtype: str
    """fp32, tf32, bf16 or fp16 (the probe's names)."""
    best_flops: float | None
    """Best FLOP/s over every shape measured for this dtype on this machine."""
    best_shape: str | None
    """Which shape reached it, "name m x n x k"."""
    squares: tuple[MatmulPoint, ...]
    model_shapes: tuple[MatmulPoint, ...]
    """The run's GEMM shapes at 1x, 2x and 4x its micro-batch."""


@dataclass(frozen=True)
class Roofline:
    """Best matmul FLOP/s per dtype and memory bandwidth on this machine, as the run used it."""

    fingerprint: str
    """Hash of the machine facts below; the cache key."""
    machine: dict[str, Any]
    """Device, CPU count and affinity, threads and torch version the numbers hold for."""
    dtypes: dict[str, DtypeRoofline]
    memory_bandwidth_bytes_per_s: Maybe[float]
    memory_bandwidth_method: str
    cache_path: str
    from_cache: bool
    """True when every number came from the cache (nothing measured this time)."""
    sweep_s: float
    """Seconds spent measuring in this run (0 when all came from the cache)."""
    measured_at: str
    notes: tuple[str, ...] = field(default=())


def machine_fingerprint(
    device_type: str, device_name: str, threads: int, torch_version: str
) -> dict[str, Any]:
    """The facts a measured roofline depends on."""
    return {
        "device_type": device_type,
        "device_name": device_name,
        "machine_identity": machine_identity(),
        "logical_cpus": os.cpu_count(),
        "cpu_affinity": cpu_affinity(),
        "threads": threads,
        "torch_version": torch_version,
    }


def machine_identity() -> str:
    """A hash of ``/etc/machine-id`` (machine-id(5)) and the host name, so that a cache folder
    shared between machines (NFS home) never hands one machine's roofline to another."""
    import socket

    try:
        with open("/etc/machine-id", "rb") as handle:
            machine_id = handle.read(256).strip()
    except OSError:
        machine_id = b""
    try:
        host = socket.gethostname().encode("utf-8", "replace")
    except OSError:
        host = b""
    return hashlib.sha256(machine_id + b"\0" + host).hexdigest()[:16]


def load_cache(path: Path, machine: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The cached document, or None when absent, unreadable, of another format or machine."""
    doc = read_json_capped(path, MAX_CACHE_FILE_BYTES)
    if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT:
        return None
    if doc.get("version") != CACHE_VERSION or not _well_formed(doc):
        return None
    if machine is not None and doc.get("machine") != json.loads(json.dumps(machine)):
        return None  # the file name is a hash of the machine; the contents must agree
    return doc


def drop_implausible(
    points: dict[str, dict[str, Any]], bounds: Mapping[str, tuple[float, float]]
) -> list[str]:
    """Forget a dtype's cached points whose best is outside ``bounds`` (lowest, highest FLOP/s),
    so they are measured again; a note per dtype forgotten."""
    notes: list[str] = []
    for dtype_key, (low, high) in bounds.items():
        table = points.get(dtype_key)
        if not isinstance(table, dict) or not table:
            continue
        best = max((e.get("flops_per_s") or 0.0) for e in table.values())
        if low <= best <= high:
            continue
        del points[dtype_key]
        side = f"above {high:.3g}" if best > high else f"below {low:.3g}"
        notes.append(
            f"the cached best {dtype_key} matmul ({best:.3g} FLOP/s) is {side} FLOP/s, "
            "which cannot be right here; measured again"
        )
    return notes


def _well_formed(doc: dict[str, Any]) -> bool:
    """Points are {dtype: {"MxNxK": {"flops_per_s": number, ...}}}; bandwidth has a number."""
    points = doc.get("points")
    if not isinstance(points, dict) or not all(isinstance(t, dict) for t in points.values()):
        return False
    for entry in (e for table in points.values() for e in table.values()):
        if not isinstance(entry, dict):
            return False
        skipped = entry.get("flops_per_s") is None and isinstance(entry.get("skipped_reason"), str)
        if not skipped and not _number_in(entry.get("flops_per_s"), MAX_FLOPS_PER_S):
            return False
    bandwidth = doc.get("memory_bandwidth")
    if bandwidth is None:
        return True
    value = bandwidth.get("bytes_per_s") if isinstance(bandwidth, dict) else None
    return _number_in(value, MAX_BYTES_PER_S) and isinstance(bandwidth.get("method"), str)


def _number_in(value: Any, upper: float) -> bool:
    """A real, positive number no larger than ``upper`` (false for NaN and bools)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= upper


@dataclass
class Sweeper:
    """Times matmuls and copies on one device; injectable for tests."""

    device: str
    device_type: str
    synchronize: Callable[[], None]
    seconds_per_shape: float = SECONDS_PER_SHAPE

    def matmul_flops(self, m: int, n: int, k: int, dtype_key: str) -> tuple[float, float]:
        """(best FLOP/s, seconds of one call) of ``F.linear`` on (m x k) by (n x k): what
        nn.Linear calls (bf16 on a Zen 3: about 8 GFLOP/s through it, 1.5 through matmul)."""
        import torch
        from torch.nn.functional import linear

        dtype = getattr(torch, _TORCH_DTYPES[dtype_key])
        a = torch.randn(m, k, device=self.device).to(dtype)
        w = torch.randn(n, k, device=self.device).to(dtype)
        with tf32_setting(self.device_type, dtype_key == "tf32"), torch.no_grad():
            linear(a, w)  # warm-up: library initialisation, kernel selection
            self.synchronize()
            first = max(self._seconds(lambda: linear(a, w), 1), 1e-9)
            per_group = max(1, int(self.seconds_per_shape / 3 / first))
            groups = 3 if first * per_group * 3 <= self.seconds_per_shape * 2 else 1
            timed = [self._seconds(lambda: linear(a, w), per_group) for _ in range(groups)]
        return 2.0 * m * n * k / min(first, *timed), first

    def copy_bandwidth(self) -> tuple[float, str]:
        """Bytes per second of a large tensor copy (read + write counted), and the method."""
        import torch

        size = BANDWIDTH_BYTES.get(self.device_type, BANDWIDTH_BYTES["default"])
        src = torch.ones(size // 4, dtype=torch.float32, device=self.device)
        dst = torch.empty_like(src)
        dst.copy_(src)
        self.synchronize()
        best = min(self._seconds(lambda: dst.copy_(src), 1) for _ in range(BANDWIDTH_REPEATS))
        method = (
            f"best of {BANDWIDTH_REPEATS} copies of a {size // 2**20} MiB float32 tensor, "
            "bytes read plus bytes written"
        )
        return 2.0 * size / max(best, 1e-9), method

    def _seconds(self, call: Callable[[], Any], times: int) -> float:
        """Seconds per call of ``call`` run ``times`` times, the device synchronized after."""
        start = time.perf_counter()
        for _ in range(times):
            call()
        self.synchronize()
        return (time.perf_counter() - start) / times


def measure_roofline(
    *,
    sweeper: Sweeper,
    machine: dict[str, Any],
    dtype_keys: Sequence[str],
    model_shapes: Iterable[GemmShape],
    fresh: bool = False,
    directory: Path | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> Roofline:
    """The roofline for ``dtype_keys``: cached points reused, missing ones measured (all of
    them, nothing written, without a private cache folder); ``bounds``: drop_implausible's."""
    key = hashlib.sha256(json.dumps(machine, sort_keys=True).encode()).hexdigest()[:16]
    folder = directory if directory is not None else cache_folder()
    notes: list[str] = []
    if isinstance(folder, Unavailable):
        notes.append(f"roofline not cached: {folder.reason}")
        folder = Path(tempfile.gettempdir())  # named in the result only; nothing is written
    use_cache = not notes
    path = folder / f"roofline-{key}.json"
    cached = None if fresh or not use_cache else load_cache(path, machine)
    points: dict[str, dict[str, Any]] = (
        {d: dict(t) for d, t in cached["points"].items()} if cached else {}
    )
    if cached and bounds:
        notes += drop_implausible(points, bounds)
    bandwidth: dict[str, Any] | None = cached.get("memory_bandwidth") if cached else None
    shapes = tuple(model_shapes)
    sizes = SQUARE_SIZES.get(sweeper.device_type, SQUARE_SIZES["default"])
    squares = [GemmShape("square", size, size, size) for size in sizes]
    started = time.perf_counter()
    measured_any = False
    result: dict[str, DtypeRoofline] = {}
    for dtype_key in dtype_keys:
        table = points.setdefault(dtype_key, {})
        square_points: list[MatmulPoint] = []
        skip: str | None = None
        for gemm in squares:
            point, first = _point(sweeper, dtype_key, gemm, table, skip)
            square_points.append(point)
            measured_any |= first is not None
            if first is not None and first > MAX_CALL_S / 4:  # next size: 8x the work
                skip = "a smaller square already hit the limit"
        best = max((p.flops_per_s or 0.0) for p in square_points) or None
        model_points = []
        for gemm in shapes:
            estimate = gemm.flops / best if best else 0.0
            too_long = estimate > MAX_CALL_S
            why = f"one call would take about {estimate:.1f} s" if too_long else None
            point, first = _point(sweeper, dtype_key, gemm, table, why)
            model_points.append(point)
            measured_any |= first is not None
        found = [(e["flops_per_s"], key, e) for key, e in table.items() if e.get("flops_per_s")]
        top = max(found, key=lambda row: row[0], default=None)
        result[dtype_key] = DtypeRoofline(
            dtype=dtype_key,
            best_flops=float(top[0]) if top else None,
            best_shape=f"{top[2].get('name', 'matmul')} {top[1]}" if top else None,
            squares=tuple(square_points),
            model_shapes=tuple(model_points),
        )
    if bandwidth is None:
        value, method = sweeper.copy_bandwidth()
        bandwidth = {"bytes_per_s": value, "method": method}
        measured_any = True
    sweep_s = time.perf_counter() - started if measured_any else 0.0
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    measured_at = now if measured_any or not cached else str(cached.get("measured_at", now))
    if measured_any and use_cache:
        doc = {
            "format": CACHE_FORMAT,
            "version": CACHE_VERSION,
            "machine": machine,
            "measured_at": measured_at,
            "points": points,
            "memory_bandwidth": bandwidth,
        }
        try:
            write_atomic(path, json.dumps(doc, indent=1, sort_keys=True))
        except (OSError, UserError) as exc:
            notes.append(f"roofline cache not written ({exc})")
    return Roofline(
        fingerprint=key,
        machine=machine,
        dtypes=result,
        memory_bandwidth_bytes_per_s=float(bandwidth["bytes_per_s"]),
        memory_bandwidth_method=str(bandwidth["method"]),
        cache_path=str(path),
        from_cache=not measured_any,
        sweep_s=sweep_s,
        measured_at=measured_at,
        notes=tuple(notes),
    )


def _point(
    sweeper: Sweeper, dtype_key: str, gemm: GemmShape, table: dict[str, Any], skip: str | None
) -> tuple[MatmulPoint, float | None]:
    """The cached point, else ``skip``'s reason, else a measured one; and its one-call seconds
    when measured now (None otherwise)."""
    key = f"{gemm.m}x{gemm.n}x{gemm.k}"
    first = None
    if key in table:
        entry = table[key]
    elif skip:
        entry = {"flops_per_s": None, "skipped_reason": skip}
    else:
        flops, first = sweeper.matmul_flops(gemm.m, gemm.n, gemm.k, dtype_key)
        entry = table[key] = {"name": gemm.name, "flops_per_s": flops, "call_s": first}
    flops_per_s, reason = entry.get("flops_per_s"), entry.get("skipped_reason")
    point = MatmulPoint(gemm.name, gemm.m, gemm.n, gemm.k, gemm.batch_multiple, flops_per_s, reason)
    return point, first


def measured_peak(roofline: Roofline | Unavailable, dtype_key: str) -> tuple[float | None, str]:
    """The best measured FLOP/s for ``dtype_key`` and a label saying what it is, or why not."""
    if isinstance(roofline, Unavailable):
        return None, f"no measured roofline: {roofline.reason}"
    entry = roofline.dtypes.get(dtype_key)
    if entry is None or entry.best_flops is None:
        return None, f"the roofline has no {dtype_key} matmul measurement"
    threads = roofline.machine.get("threads")
    where = f", {threads} threads" if roofline.machine.get("device_type") == "cpu" else ""
    return entry.best_flops, (
        f"best {dtype_key} matmul measured on this machine ({entry.best_shape}{where})"
    )


def roofline_for_run(
    opts: BenchOptions,
    choice: DeviceChoice,
    peak_key: str,
    stopped_by: str,
    sink: ProgressSink,
    peak: Any = None,
    achieved_flops: float | None = None,
) -> Roofline | Unavailable:
    """The measured roofline of a run, from the cache or a short sweep; Unavailable when skipped.
    ``peak`` (the probe's PeakFlops) and ``achieved_flops`` bound a cached best matmul."""
    import torch

    if not opts.roofline:
        return Unavailable("skipped: --no-roofline")
    if stopped_by == "interrupted":
        return Unavailable("skipped: the run was interrupted")
    others = ["fp32", "tf32", "bf16", "fp16"] if choice.device_type == "cuda" else ["fp32"]
    batch = int(opts.batch_size or 1)
    shapes = [g for multiple in (1, 2, 4) for g in gemm_shapes(opts.shape(), batch, multiple)]
    machine = machine_fingerprint(
        choice.device_type, choice.name, torch.get_num_threads(), str(torch.__version__)
    )
    high = MAX_FLOPS_PER_S
    peak_flops = getattr(peak, "flops", None)
    if peak_flops is not None and peak_flops > 0:
        estimated = bool(getattr(peak, "estimated", True))
        high = min(high, peak_flops * (ESTIMATED_CEILING_FACTOR if estimated else CEILING_FACTOR))
    low = achieved_flops / FLOOR_FACTOR if achieved_flops and achieved_flops > 0 else 0.0
    sink.phase("roofline: matmul sweep and memory bandwidth (cached per machine)")
    started = time.perf_counter()
    synchronize = make_synchronize(choice.device_type, choice.index)
    try:
        result = measure_roofline(
            sweeper=Sweeper(
                choice.device, choice.device_type, synchronize, seconds_per_shape=SECONDS_PER_SHAPE
            ),
            machine=machine,
            dtype_keys=[peak_key, *(d for d in others if d != peak_key)],
            model_shapes=shapes,
            fresh=opts.fresh,
            bounds={peak_key: (low, high)},
        )
    except KeyboardInterrupt:
        return Unavailable("skipped: interrupted during the roofline sweep")
    if not result.from_cache:
        sink.phase(f"roofline measured in {time.perf_counter() - started:.1f} s")
    return result

"""Watching one job end to end: start it, pass its output through, sample, analyse, judge.

Its lines go to a log file (``--log`` or a private temporary one) that the analyze readers
read live (docs/run.md) and once at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mfu_advisor import units
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.logs.downsample import minmax_indices
from mfu_advisor.logs.launch import read_launch
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.pipeline import analyze_inputs
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.probe.nvml_live import open_nvml
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.facts_json import log_facts_from_analysis
from mfu_advisor.rules.registry import evaluate
from mfu_advisor.watch.child import ChildRun, forwarding_signals
from mfu_advisor.watch.result import JobResult
from mfu_advisor.watch.sampler import HardwareSampler
from mfu_advisor.watch.status import StatusLine, status_wanted
from mfu_advisor.watch.summary import job_facts, sample_series

#: Seconds between live analyses of the output with a status line; without one, the output
#: is analysed only until the first training step appears.
LIVE_EVERY_S = 2.0
LIVE_EVERY_QUIET_S = 1.0

#: The live analysis waits at least this many times its own duration before the next one.
LIVE_COST_RATIO = 50

#: The live analysis stops looking at output larger than this (the final analysis reads all).
LIVE_MAX_BYTES = 32 * 1024 * 1024

#: Samples kept in the result's time series; longer runs are downsampled (extremes kept).
MAX_SERIES_POINTS = 1000

#: Bounds of --interval, in seconds.
MIN_INTERVAL_S = 0.05
MAX_INTERVAL_S = 60.0


@dataclass(frozen=True)
class WatchOptions:
    """How ``run`` was asked to watch."""

    interval_s: float = 0.5
    hardware: str | None = None
    peak_tflops: float | None = None
    log_path: str | None = None
    no_status: bool = False
    """No live status line, even when stderr is a terminal."""


class LiveAnalysis:
    """Reads the output so far with the analyze readers; remembers when training started."""

    def __init__(self, path: Path, analyse: Callable[[], LogAnalysis], show: bool) -> None:
        self.path = path
        self.analyse = analyse
        self.every_s = LIVE_EVERY_S if show else LIVE_EVERY_QUIET_S
        self.keep_going = show
        self.latest: LogAnalysis | None = None
        self.first_step_s: float | None = None
        self._next = 0.0
        self._size = -1

    def read(self, now: float, elapsed_s: float) -> None:
        """Analyse the output again when it is due and has grown."""
        if (self.first_step_s is not None and not self.keep_going) or now < self._next:
            return
        self._next = now + self.every_s
        try:
            size = self.path.stat().st_size
        except OSError:
            return
        if size == self._size or size > LIVE_MAX_BYTES:
            return
        self._size = size
        started = time.monotonic()
        try:
            analysis = self.analyse()
        except UserError:
            return  # no step yet, or not a format the readers know (yet)
        finally:
            # Space the reads so that they cost at most 1/LIVE_COST_RATIO of one core.
            self._next = max(self._next, now + LIVE_COST_RATIO * (time.monotonic() - started))
        if analysis.steps > 0:
            if self.first_step_s is None:
                self.first_step_s = elapsed_s
            self.latest = analysis


def status_text(analysis: LogAnalysis | None, sampler: HardwareSampler, elapsed_s: float) -> str:
    """``mfu-advisor · step 120 · 14,210 tokens/s · MFU 41% · CPU 1.9 cores · GPU0 97% · 0:42``."""
    parts = ["mfu-advisor"]
    if analysis is None:
        parts.append("waiting for training steps")
    else:
        if isinstance(analysis.last_step, float):
            parts.append(f"step {analysis.last_step:.0f}")
        if isinstance(analysis.tokens_per_s, float):
            parts.append(units.rate(analysis.tokens_per_s))
        if analysis.mfu.value is not None:
            parts.append(f"MFU {units.percent(analysis.mfu.value)}")
    if sampler.samples:
        last = sampler.samples[-1]
        if last.job_cpu_percent is not None:
            parts.append(f"CPU {last.job_cpu_percent / 100:.1f} cores")
        for gpu in last.gpus:
            if gpu.util_percent is not None and gpu.job_on_gpu is not False:
                parts.append(f"GPU{gpu.gpu_index} {units.percent(gpu.util_percent / 100)}")
    minutes, seconds = divmod(int(elapsed_s), 60)
    parts.append(f"{minutes}:{seconds:02d}")
    return " · ".join(parts)


def watch_job(argv: Sequence[str], options: WatchOptions) -> JobResult:
    """Run ``argv``, pass its output through, sample the hardware, and explain the job."""
    if not MIN_INTERVAL_S <= options.interval_s <= MAX_INTERVAL_S:
        raise UserError(
            f"--interval must be between {MIN_INTERVAL_S:g} and {MAX_INTERVAL_S:g} seconds, "
            f"not {options.interval_s:g}"
        )
    request = HardwareRequest(
        hardware=options.hardware if options.hardware or options.peak_tflops else "local",
        peak_tflops=options.peak_tflops,
    )
    folder = None
    if options.log_path is None:
        folder = tempfile.TemporaryDirectory(prefix="mfu-advisor-run-")
        log_path = Path(folder.name) / "output.log"
    else:
        log_path = Path(options.log_path)
    try:
        # Unbuffered: the live analysis reads the file.
        log_handle = open(log_path, "xb", buffering=0)  # noqa: SIM115  # closed below
    except FileExistsError:
        raise UserError(
            f"--log {log_path}: the file exists; give a new name (nothing is overwritten)"
        ) from None
    except OSError as exc:
        raise UserError(f"--log {log_path}: {exc.strerror or exc}") from None
    show = not options.no_status and status_wanted()
    status = StatusLine(enabled=show)
    analyse = functools.partial(
        analyze_inputs,
        [str(log_path)],
        request=request,
        # A torchrun command says how many ranks print into the output (analyze's --world-size).
        world_size=read_launch([shlex.join(argv)]).world_size,
    )
    live = LiveAnalysis(log_path, analyse, show)
    samplers: list[HardwareSampler] = []

    def tick() -> None:
        if samplers:
            samplers[0].sample()
            now = time.monotonic()
            live.read(now, now - run.started)
            if show:
                status.update(status_text(live.latest, samplers[0], now - run.started))

    run = ChildRun(
        argv,
        keep=log_handle.write,
        tick_s=options.interval_s,
        on_tick=tick,
        before_output=status.before_output,
        after_output=status.after_output,
    )
    try:
        with forwarding_signals(run):
            samplers.append(HardwareSampler(run.start(), open_nvml(), run.started))
            outcome = run.wait()
        status.erase()
        sampler = samplers[0]
        sampler.close()
        log_handle.close()
        analysis = _final_analysis(analyse, outcome.lines, options.log_path)
        summary = job_facts(
            sampler.samples,
            exit_code=outcome.exit_code,
            wall_s=outcome.wall_s,
            # Before the first step: imports, data preparation, compilation (all if unseen).
            window_start_s=live.first_step_s or 0.0,
            gpu_names=sampler.gpu_names,
            gpu_reasons=sampler.nvml.reasons if sampler.nvml is not None else {},
            gpu_unavailable=sampler.gpu_unavailable,
        )
        log = log_facts_from_analysis(analysis) if isinstance(analysis, LogAnalysis) else None
        notes = []
        if outcome.interrupted_by is not None:
            notes.append(
                f"stopped by {outcome.interrupted_by}: the figures cover the job up to that moment"
            )
        if isinstance(analysis, Unavailable):
            notes.append(analysis.reason)
        if len(sampler.samples) < 5:
            notes.append(
                f"only {len(sampler.samples)} hardware samples: the job was too short to judge "
                "its hardware use"
            )
        return JobResult(
            command_line=tuple(argv),
            exit_code=outcome.exit_code,
            wall_s=round(outcome.wall_s, 3),
            interrupted_by=outcome.interrupted_by,
            ended_by_signal=outcome.signal_name,
            output_lines=outcome.lines,
            stdout_bytes=outcome.stdout_bytes,
            stderr_bytes=outcome.stderr_bytes,
            log_file=options.log_path,
            interval_s=options.interval_s,
            analysis=analysis,
            summary=summary,
            samples=_series(sampler),
            findings=tuple(evaluate(DiagnosisFacts(log=log, job=summary))),
            notes=tuple(notes),
        )
    finally:
        status.erase()
        with contextlib.suppress(OSError):
            log_handle.close()
        if folder is not None:
            folder.cleanup()


def _final_analysis(
    analyse: Callable[[], LogAnalysis], lines: int, saved_as: str | None
) -> Maybe[LogAnalysis]:
    if lines == 0:
        return Unavailable("the command printed nothing: only the hardware side is known")
    try:
        analysis = analyse()
    except UserError as exc:
        return Unavailable(
            f"no training steps recognised in the command's output ({exc.message}); "
            "only the hardware side is known"
        )
    if saved_as is not None:
        return analysis
    # The private temporary file's name means nothing to the user.
    files = tuple(dataclasses.replace(f, name="the command's output") for f in analysis.files)
    return dataclasses.replace(analysis, files=files)


def _series(sampler: HardwareSampler) -> dict[str, object]:
    samples = sampler.samples
    keep = list(range(len(samples)))
    if len(samples) > MAX_SERIES_POINTS:
        main = [
            (s.gpus[0].util_percent if s.gpus else None) if samples[0].gpus else s.job_cpu_percent
            for s in samples
        ]
        chosen = set(minmax_indices(main, MAX_SERIES_POINTS // 2))
        chosen.update(range(0, len(samples), max(1, len(samples) // (MAX_SERIES_POINTS // 2))))
        chosen.add(len(samples) - 1)
        keep = sorted(chosen)
    return sample_series(samples, keep)

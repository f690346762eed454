"""Collecting what a log says, in bounded memory, while its lines stream past.

A :class:`StepCollector` keeps exact counts, the first :data:`HEAD_ROWS` rows of
each run segment, an evenly spaced sample of at most :data:`SAMPLE_CAP` step rows
(the stride doubles when full), min/max chart buckets and the evaluation-affected
rows (docs/analyze.md). Missing numbers are NaN inside; none leave the analysis.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mfu_advisor.logs.downsample import MinMaxBuckets
from mfu_advisor.logs.reader import InputStats

HEAD_ROWS = 64
"""Step rows kept at the start of each run segment, exactly."""
SAMPLE_CAP = 1 << 15
"""Most rows in the evenly spaced sample (a power of two, so halving stays even)."""
# A bucket keeps at most three rows, so the series stays within the 2,000 points a chart
# draws (report/series.py MAX_POINTS).
SERIES_BUCKETS = 665
SERIES_ROWS_CAP = 8 * SERIES_BUCKETS
# Most rows, evaluations, segments, examples, keys and hints kept (all are counted).
EVAL_ROWS_CAP = 10_000
EVALS_CAP = 1_000
SEGMENTS_CAP = 1_000
EXAMPLES_CAP = 5
CONFIG_CAP = 2_000
HINTS_CAP = 200
# Ranks analysed one by one, and the sample of each (128 x 4,096 rows stay within ~50 MB).
RANK_SINKS_CAP = 128
RANK_SAMPLE_CAP = 1 << 12
# Rows whose step deltas are tallied, and most distinct deltas (to infer the log interval).
DELTA_ROWS_CAP = 1_000_000
DELTA_KEYS_CAP = 1_000

# Row flags, set by parsers.
FLAG_AFTER_EVAL = 1  # the step's time includes an evaluation
FLAG_WARMUP = 2  # the trainer calls this step warm-up (nanoGPT bench.py's burn-in)
FLAG_LOSS_NAN = 4  # the loss was printed as nan or inf
FLAG_OPTIMIZER_STEP = 8  # litgpt: the micro-iteration that ran optimizer.step()
FLAG_RUN_START = 16  # the first step after a run header
FLAG_AFTER_PAUSE = 32  # the step's time includes a checkpoint save or profiler dump

#: Numeric columns of a step row (NaN when the line does not give the value).
VALUE_COLUMNS = (
    "step",
    "loss",
    "step_time_ms",
    "tokens_per_s",
    "reported_mfu",
    "flops_per_s",
)
_PARSED_COLUMNS = (*VALUE_COLUMNS, "line", "flags")
_ALL_COLUMNS = (*VALUE_COLUMNS, "line", "file", "flags", "g", "seg", "pos")
_INT_COLUMNS = ("line", "file", "flags", "g", "seg", "pos")


class Rows:
    """Columns of step rows, appended chunk by chunk, concatenated on demand."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []
        self._cached: dict[str, np.ndarray] | None = None
        self.size = 0

    def append(self, columns: dict[str, np.ndarray]) -> None:
        n = len(columns["g"])
        if n:
            self._parts.append(columns)
            self._cached = None
            self.size += n

    def columns(self) -> dict[str, np.ndarray]:
        """All rows as one array per column (empty arrays when there are none)."""
        if self._cached is None:
            if not self._parts:
                self._cached = {
                    name: np.empty(0, dtype=np.int64 if name in _INT_COLUMNS else np.float64)
                    for name in _ALL_COLUMNS
                }
            else:
                self._cached = {
                    name: np.concatenate([p[name] for p in self._parts]) for name in _ALL_COLUMNS
                }
                self._parts = [self._cached]
        return self._cached

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is False."""
        columns = self.columns()
        kept = {name: values[mask] for name, values in columns.items()}
        self._parts = [kept]
        self._cached = kept
        self.size = len(kept["g"])


@dataclass
class Segment:
    """A run of steps that never goes backwards."""

    file: int
    first_line: int
    new_run: bool  # a run header came right before it
    first_step: float = math.nan
    last_step: float = math.nan
    rows: int = 0


@dataclass
class EvalRecord:
    """One evaluation line."""

    file: int
    line: int
    step: float
    values: dict[str, float]
    time_ms: float = math.nan  # when the log says


@dataclass
class ConfigEntry:
    """One configuration key as the log gave it."""

    value: Any
    source: str  # "Overriding line", "config file config/x.py", ...


@dataclass
class Hint:
    """Evidence about the hardware the run used."""

    kind: str  # "device", "gpu_name", "peak_flops", "precision", ...
    value: Any
    file: int
    line: int
    text: str


@dataclass
class FileRecord:
    """What one input held."""

    name: str
    stats: InputStats = field(default_factory=InputStats)
    step_lines: int = 0
    not_understood: int = 0
    examples: list[str] = field(default_factory=list)


class StepCollector:
    """The sink every format parser writes to (see the module docstring)."""

    def __init__(self, sample_cap: int | None = None) -> None:
        self.sample_cap = SAMPLE_CAP if sample_cap is None else sample_cap
        self.files: list[FileRecord] = []
        self.count = 0
        self.stride = 1
        self.sample = Rows()
        self.head = Rows()
        self.eval_rows = Rows()
        self.eval_rows_count = 0
        self.series = MinMaxBuckets(SERIES_BUCKETS)  # which rows (by ``g``) the chart keeps
        self.series_rows = Rows()  # those rows, all columns
        self.segments: list[Segment] = []
        self.segment_count = 0
        self.evals: list[EvalRecord] = []
        self.eval_count = 0
        self.eval_time_ms_total = 0.0  # every stated evaluation duration, not only those kept
        self.eval_timed_count = 0
        self.config: dict[str, ConfigEntry] = {}
        self.hints: list[Hint] = []
        self.summary: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}  # format-internal facts, read by the format's hooks
        self.deltas: dict[int, int] = {}
        self.last_loss = math.nan
        self._last_step = math.nan
        self._seg_pos = 0
        self._run_start_pending = False
        self._pending: list[tuple[float | None, ...]] = []  # (line, *VALUE_COLUMNS, flags)
        self._batches: list[dict[str, np.ndarray]] = []
        # With rank prefixes (logs/ranks.py): the rank analysed here (the lowest seen), every
        # rank seen, one collector per other rank, and the prefix style ("torchrun").
        self.primary_rank: int | None = None
        self.ranks_seen: set[int] = set()
        self.rank_sinks: dict[int, RankCollector] = {}
        self.rank_prefix = ""
        self.repeated_steps = 0  # rows with the step number of the row before
        # The last line of an input without a line break: its numbers may be cut, so a step
        # row from it keeps only its step number.
        self.cut_line: int | None = None

    # -- inputs ---------------------------------------------------------------------------

    def mark_cut_line(self, line: int | None) -> None:
        """The input's last line, when it has no line break; whichever rank printed it."""
        self.cut_line = line
        for other in self.rank_sinks.values():
            other.cut_line = line

    @property
    def file_index(self) -> int:
        return len(self.files) - 1

    def begin_file(self, name: str) -> None:
        """Start collecting from a new input; step numbering may restart per input."""
        self.end_chunk()
        self.files.append(FileRecord(name))
        for other in self.rank_sinks.values():
            other.begin_file(name)

    def end_file(self, stats: InputStats) -> None:
        """Finish the current input, recording how it was read."""
        self.end_chunk()
        self.files[-1].stats = stats

    def not_understood(self, line: int, text: str) -> None:
        """A line no rule of the format recognised."""
        record = self.files[-1]
        record.not_understood += 1
        if len(record.examples) < EXAMPLES_CAP:
            shown = text.strip()
            record.examples.append(f"{line}: {shown[:120]}{'…' if len(shown) > 120 else ''}")

    # -- ranks ----------------------------------------------------------------------------

    def begin_chunk(self, ranks: np.ndarray | None) -> None:
        """The rank of each line of the chunk about to be parsed (None: no rank prefixes)."""
        if ranks is not None and len(ranks):
            seen = np.unique(ranks)
            seen = seen[seen >= 0]
            self.ranks_seen.update(int(r) for r in seen.tolist())
            if self.primary_rank is None and len(seen):
                self.primary_rank = int(seen[0])

    def for_rank(self, rank: int) -> StepCollector:
        """Where the parser of ``rank``'s lines writes: this collector for the primary rank (and
        lines without a rank), else that rank's own, made on first use (past RANK_SINKS_CAP, one
        that is not kept)."""
        if rank < 0 or rank == self.primary_rank:
            return self
        other = self.rank_sinks.get(rank)
        if other is None:
            other = RankCollector(self)
            if len(self.rank_sinks) < RANK_SINKS_CAP:
                self.rank_sinks[rank] = other
        return other

    # -- step rows ------------------------------------------------------------------------

    def add_step(
        self,
        line: int,
        *,
        step: float | None = None,
        loss: float | None = None,
        step_time_ms: float | None = None,
        tokens_per_s: float | None = None,
        reported_mfu: float | None = None,
        flops_per_s: float | None = None,
        flags: int = 0,
    ) -> None:
        """One step line parsed in Python, kept until :meth:`end_chunk`; a nan/inf ``loss`` is
        missing and flags :data:`FLAG_LOSS_NAN`, a ``reported_mfu`` sets ``meta["mfu_printed"]``."""
        if loss is not None and not math.isfinite(loss):
            flags |= FLAG_LOSS_NAN
            loss = None
        if self._run_start_pending:
            flags |= FLAG_RUN_START
            self._run_start_pending = False
        if reported_mfu is not None:
            self.meta["mfu_printed"] = True
        self._pending.append(
            (line, step, loss, step_time_ms, tokens_per_s, reported_mfu, flops_per_s, flags)
        )

    def mark_run_start(self) -> None:
        """A run header was seen: the next step row starts a new run."""
        self._run_start_pending = True

    def detail_rows(self, steps: np.ndarray, step_times: np.ndarray) -> np.ndarray:
        """Which of the next step rows a bulk parser must read in full: sampled, charted,
        segment-head, first and last rows."""
        n = len(steps)
        g = self.count + np.arange(n)
        mask = g % self.stride == 0
        mask |= self.series.candidates(g, step_times)
        if self.segment_count <= SEGMENTS_CAP:
            mask |= self._positions(self._segment_starts(steps)) < HEAD_ROWS
        if n:
            mask[0] = mask[-1] = True
        return mask

    def add_batch(self, columns: dict[str, np.ndarray]) -> None:
        """Step rows parsed in bulk, in line order: every column of _PARSED_COLUMNS, NaN where not
        parsed."""
        self._batches.append(columns)

    def end_chunk(self) -> None:
        """Merge the rows given since the last call (bulk and one by one) in line order."""
        parts = list(self._batches)
        self._batches = []
        if self._pending:
            table = np.array(self._pending, dtype=np.float64).T  # None -> NaN
            self._pending = []
            parts.append(dict(zip(("line", *VALUE_COLUMNS), table[:-1], strict=True)))
            parts[-1]["flags"] = table[-1].astype(np.int64)
        if not parts:
            return
        rows = parts[0]
        if len(parts) > 1:
            rows = {name: np.concatenate([p[name] for p in parts]) for name in _PARSED_COLUMNS}
            order = np.argsort(rows["line"], kind="stable")
            rows = {name: values[order] for name, values in rows.items()}
        self._process(rows)

    def _segment_starts(self, steps: np.ndarray, flags: np.ndarray | None = None) -> np.ndarray:
        """Rows that open a run segment: the step number goes back (against the last row that
        had one), or a run header preceded it."""
        n = len(steps)
        index = np.arange(n)
        finite = np.isfinite(steps)
        last_finite = np.maximum.accumulate(np.where(finite, index, -1)) if n else index
        before = np.empty(n, dtype=np.int64)
        if n:
            before[0] = -1
            before[1:] = last_finite[:-1]
        previous = np.where(before >= 0, steps[np.maximum(before, 0)], self._last_step)
        with np.errstate(invalid="ignore"):
            starts = finite & (steps < previous)
        if n and self.segment_count == 0:
            starts[0] = True  # the very first row opens the first segment
        if flags is not None:
            starts |= (flags & FLAG_RUN_START) != 0
        return starts

    def _positions(self, starts: np.ndarray) -> np.ndarray:
        """Each row's position in its segment."""
        n = len(starts)
        index = np.arange(n)
        last_start = np.maximum.accumulate(np.where(starts, index, -1)) if n else index
        return np.where(last_start >= 0, index - last_start, self._seg_pos + index)

    def _process(self, rows: dict[str, np.ndarray]) -> None:
        n = len(rows["line"])
        steps = rows["step"].astype(np.float64)
        flags = rows["flags"].astype(np.int64)
        if self._run_start_pending and n:
            flags[0] |= FLAG_RUN_START
            self._run_start_pending = False
        starts = self._segment_starts(steps, flags)
        pos = self._positions(starts)
        seg = self.segment_count - 1 + np.cumsum(starts)
        g = self.count + np.arange(n)
        columns: dict[str, np.ndarray] = {
            name: rows[name].astype(np.float64) for name in VALUE_COLUMNS
        }
        if self.cut_line is not None and n and rows["line"][-1] == self.cut_line:
            for name in VALUE_COLUMNS[1:]:  # all but the step number
                columns[name][-1] = math.nan
        columns.update(
            line=rows["line"].astype(np.int64),
            file=np.full(n, self.file_index, dtype=np.int64),
            flags=flags,
            g=g,
            seg=seg.astype(np.int64),
            pos=pos.astype(np.int64),
        )
        self._record_segments(columns, starts)
        in_sample = g % self.stride == 0
        self.sample.append({k: v[in_sample] for k, v in columns.items()})
        in_head = (pos < HEAD_ROWS) & (seg < SEGMENTS_CAP)
        if in_head.any():
            self.head.append({k: v[in_head] for k, v in columns.items()})
        after_eval = (flags & FLAG_AFTER_EVAL) != 0
        self._keep_series(columns, after_eval)
        if after_eval.any():
            self.eval_rows_count += int(after_eval.sum())
            room = EVAL_ROWS_CAP - self.eval_rows.size
            if room > 0:
                keep = np.flatnonzero(after_eval)[:room]
                self.eval_rows.append({k: v[keep] for k, v in columns.items()})
        while self.sample.size > self.sample_cap:
            self.stride *= 2
            self.sample.keep(self.sample.columns()["g"] % self.stride == 0)
        self.last_loss = _last_finite(columns["loss"], self.last_loss)
        if self.count < DELTA_ROWS_CAP and n > 1:
            self._tally_deltas(steps, starts)
        if n:
            previous = np.concatenate(([self._last_step], steps[:-1]))
            self.repeated_steps += int(np.count_nonzero(steps == previous))
        self._last_step = _last_finite(steps, self._last_step)
        self.count += n
        self.files[-1].step_lines += n
        self._seg_pos = int(pos[-1]) + 1

    def _keep_series(self, columns: dict[str, np.ndarray], after_eval: np.ndarray) -> None:
        """Store the rows the series buckets pick, dropping unkept ones now and then."""
        picked = self.series.add(columns["g"], columns["step_time_ms"], after_eval)
        if picked.any():
            self.series_rows.append({k: v[picked] for k, v in columns.items()})
        if self.series_rows.size > SERIES_ROWS_CAP:
            self.series_columns()

    def series_columns(self) -> dict[str, np.ndarray]:
        """The rows the chart series keeps, one array per column, in arrival order."""
        kept = self.series.kept()
        if self.series_rows.size > len(kept):
            self.series_rows.keep(np.isin(self.series_rows.columns()["g"], kept))
        return self.series_rows.columns()

    def _tally_deltas(self, steps: np.ndarray, starts: np.ndarray) -> None:
        with np.errstate(invalid="ignore"):
            diffs = np.diff(steps)
        diffs = diffs[np.isfinite(diffs) & (diffs > 0) & ~starts[1:]]
        if len(diffs):
            values, counts = np.unique(diffs.astype(np.int64), return_counts=True)
            for value, count in zip(values.tolist(), counts.tolist(), strict=True):
                if value in self.deltas or len(self.deltas) < DELTA_KEYS_CAP:
                    self.deltas[value] = self.deltas.get(value, 0) + count

    def _record_segments(self, columns: dict[str, np.ndarray], starts: np.ndarray) -> None:
        """Open a segment at each start (the first SEGMENTS_CAP kept); rows before the first
        start continue the current one."""
        steps = columns["step"]
        for start, end in itertools.pairwise([0, *np.flatnonzero(starts).tolist(), len(steps)]):
            if start == end:
                continue
            if starts[start]:
                self.segment_count += 1
                if len(self.segments) < SEGMENTS_CAP:
                    new_run = bool(columns["flags"][start] & FLAG_RUN_START)
                    line = int(columns["line"][start])
                    self.segments.append(Segment(self.file_index, line, new_run))
            if len(self.segments) != self.segment_count:
                continue  # past the cap
            segment = self.segments[-1]
            segment.rows += end - start
            finite = steps[start:end][np.isfinite(steps[start:end])]
            if len(finite):
                segment.last_step = float(finite[-1])
                if not math.isfinite(segment.first_step):
                    segment.first_step = float(finite[0])

    # -- everything else ------------------------------------------------------------------

    def add_eval(
        self,
        line: int,
        step: float | None,
        values: Mapping[str, float | None],
        time_ms: float | None = None,
    ) -> None:
        """An evaluation line: its step, the metrics it printed (None: not a number, dropped),
        and its duration when stated."""
        self.eval_count += 1
        if time_ms is not None and math.isfinite(time_ms):
            self.eval_time_ms_total += time_ms
            self.eval_timed_count += 1
        if len(self.evals) < EVALS_CAP:
            self.evals.append(
                EvalRecord(
                    file=self.file_index,
                    line=line,
                    step=math.nan if step is None else step,
                    values={k: v for k, v in values.items() if v is not None},
                    time_ms=math.nan if time_ms is None else time_ms,
                )
            )

    def set_config(self, key: str, value: Any, source: str, line: int) -> None:
        """A configuration key; a later value for the same key wins (as in the trainer)."""
        if line == self.cut_line:
            return  # the value may be cut short
        if key in self.config or len(self.config) < CONFIG_CAP:
            self.config[key] = ConfigEntry(value, source)

    def config_value(self, key: str, default: Any = None) -> Any:
        entry = self.config.get(key)
        return default if entry is None else entry.value

    def hint(self, kind: str, value: Any, line: int, text: str) -> None:
        """Evidence about the hardware (a device name, a printed peak, the precision)."""
        if len(self.hints) < HINTS_CAP:
            shown = text.strip()
            self.hints.append(Hint(kind, value, self.file_index, line, shown[:160]))

    def hint_values(self, kind: str) -> list[Any]:
        """The values of every hint of ``kind``, in order, without repeats."""
        return list(dict.fromkeys(hint.value for hint in self.hints if hint.kind == kind))

    def set_summary(self, key: str, value: Any, line: int) -> None:
        """An end-of-run figure the trainer printed (train_runtime, time per iteration, ...)."""
        if line == self.cut_line:
            return  # the value may be cut short ("0.185" cut to "0.1")
        self.summary[key] = value

    def summary_value(self, key: str, default: Any = None) -> Any:
        return self.summary.get(key, default)

    def count_meta(self, key: str, by: int = 1) -> None:
        """Increment a format-internal counter."""
        self.meta[key] = self.meta.get(key, 0) + by


def _last_finite(values: np.ndarray, default: float) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else default


def usual_delta(sink: StepCollector) -> int:
    """The most common difference between consecutive step numbers (the smaller on a tie), 0
    when none was tallied."""
    if not sink.deltas:
        return 0
    return max(sink.deltas.items(), key=lambda item: (item[1], -item[0]))[0]


class RankCollector(StepCollector):
    """Another rank's step and evaluation rows; the rest its parser reads goes to ``main``."""

    def __init__(self, main: StepCollector) -> None:
        super().__init__(RANK_SAMPLE_CAP)
        self.main = main
        self.meta = main.meta
        self.config = main.config
        self.cut_line = main.cut_line
        for record in main.files:
            self.begin_file(record.name)

    def not_understood(self, line: int, text: str) -> None:
        self.main.not_understood(line, text)

    def set_config(self, key: str, value: Any, source: str, line: int) -> None:
        self.main.set_config(key, value, source, line)

    def hint(self, kind: str, value: Any, line: int, text: str) -> None:
        self.main.hint(kind, value, line, text)

    def set_summary(self, key: str, value: Any, line: int) -> None:
        self.main.set_summary(key, value, line)

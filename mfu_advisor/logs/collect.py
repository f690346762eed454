"""Collecting what a log says, in bounded memory, while its lines stream past.

Format parsers hand every step line to a :class:`StepCollector`, together with
evaluations, configuration keys, hardware hints and end-of-run summaries.
The collector keeps:

- exact counts: step lines, lines per input, lines not understood, restarts;
- the first :data:`HEAD_ROWS` step rows of every run segment, exactly (warm-up
  and compile steps are at the start of a segment);
- an evenly spaced sample of all step rows, at most :data:`SAMPLE_CAP` rows:
  every row while there are fewer, then every 2nd, 4th, ... row (when the sample
  is full, every other kept row is dropped and the spacing doubles). Medians,
  percentiles, jitter, stall counts and the chart series come from this sample,
  so they are exact up to ``SAMPLE_CAP`` step lines and an evenly spaced
  approximation beyond (docs/analyze.md);
- the chart series: per bucket of consecutive step rows, the rows with the
  shortest and the longest step time and the evaluation step with the longest
  time (min/max buckets, report/downsample.py, at most :data:`SERIES_BUCKETS`
  buckets whose width doubles as the log grows), so isolated stalls and
  evaluation spikes survive in a 100,000-step log;
- the rows whose time includes an evaluation (up to :data:`EVAL_ROWS_CAP`).

Missing numbers inside the collector are NaN (numpy's natural missing value);
nothing NaN leaves the analysis layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mfu_advisor.logs.downsample import MinMaxBuckets
from mfu_advisor.logs.reader import InputStats

#: Step rows kept at the start of each run segment, exactly.
HEAD_ROWS = 64
#: Most rows in the evenly spaced sample (a power of two, so halving stays even).
SAMPLE_CAP = 1 << 15
#: Most buckets of the chart series. A bucket keeps at most three rows (fastest, slowest,
#: slowest evaluation step), so the series stays within the 2,000 points a chart draws
#: (report/series.py MAX_POINTS).
SERIES_BUCKETS = 665
#: Rows stored for the series before those it no longer keeps are dropped.
SERIES_ROWS_CAP = 8 * SERIES_BUCKETS
#: Most evaluation-affected rows and evaluation lines kept (all are counted).
EVAL_ROWS_CAP = 10_000
EVALS_CAP = 1_000
#: Most run segments remembered in detail (all are counted).
SEGMENTS_CAP = 1_000
#: Most examples of lines not understood kept per input.
EXAMPLES_CAP = 5
#: Most configuration keys and hardware hints kept.
CONFIG_CAP = 2_000
HINTS_CAP = 200
#: Most ranks whose step lines are analysed one by one (every rank seen is still listed).
RANK_SINKS_CAP = 128
#: Sample size of each other rank's collector: its steady median needs fewer rows, and
#: 128 of them stay within ~50 MB.
RANK_SAMPLE_CAP = 1 << 12
#: Rows whose step deltas are tallied to infer the logging interval.
DELTA_ROWS_CAP = 1_000_000
#: Most distinct step differences tallied (random step numbers would make every one new).
DELTA_KEYS_CAP = 1_000

# Row flags, set by parsers.
FLAG_AFTER_EVAL = 1
"""This step's time includes an evaluation (nanoGPT times the eval inside the next iteration)."""
FLAG_WARMUP = 2
"""The trainer itself calls this step warm-up (nanoGPT bench.py's burn-in iterations)."""
FLAG_LOSS_NAN = 4
"""The loss was printed as nan or inf."""
FLAG_OPTIMIZER_STEP = 8
"""litgpt: the micro-iteration that ran optimizer.step()."""
FLAG_RUN_START = 16
"""The first step after a run header (a new run began here)."""
FLAG_AFTER_PAUSE = 32
"""This step's time includes a checkpoint save, profiler dump or similar pause."""

#: Numeric columns of a step row (NaN when the line does not give the value).
VALUE_COLUMNS = (
    "step",
    "loss",
    "step_time_ms",
    "tokens_per_s",
    "reported_mfu",
    "flops_per_s",
)
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
    """A run of steps that never goes backwards: one run, or one part of a restarted run."""

    file: int
    first_line: int
    first_step: float
    last_step: float
    rows: int = 0
    new_run: bool = False
    """True when a run header came right before it (a second run concatenated)."""


@dataclass
class EvalRecord:
    """One evaluation line."""

    file: int
    line: int
    step: float
    values: dict[str, float]
    time_ms: float = math.nan
    """How long it took, when the log says so."""


@dataclass
class ConfigEntry:
    """One configuration key as the log gave it."""

    value: Any
    source: str
    """Where it came from: "Overriding line", "config file config/x.py", "llm.c table", ..."""
    file: int
    line: int


@dataclass
class Hint:
    """Evidence about the hardware the run used."""

    kind: str
    """"device" (cpu/cuda/mps/xpu), "gpu_name", "peak_flops", "precision", "devices", ..."""
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
        """Most rows in the evenly spaced sample (a power of two)."""
        self.files: list[FileRecord] = []
        self.count = 0
        self.stride = 1
        self.sample = Rows()
        self.head = Rows()
        self.eval_rows = Rows()
        self.eval_rows_count = 0
        self.series = MinMaxBuckets(SERIES_BUCKETS)
        """Which step rows the chart series keeps (by ``g``), by step time."""
        self.series_rows = Rows()
        """The rows :attr:`series` keeps, all columns."""
        self.segments: list[Segment] = []
        self.segment_count = 0
        self.evals: list[EvalRecord] = []
        self.eval_count = 0
        self.eval_time_ms_total = 0.0
        """Sum of the evaluation durations the log states (all of them, not only those kept)."""
        self.eval_timed_count = 0
        self.config: dict[str, ConfigEntry] = {}
        self.hints: list[Hint] = []
        self.summary: dict[str, tuple[Any, int, int]] = {}
        """key -> (value, file, line): end-of-run figures the trainer printed."""
        self.meta: dict[str, Any] = {}
        """Format-internal facts ("variant": "bench.py", counters), read by the format's hooks."""
        self.deltas: dict[int, int] = {}
        self.last_loss = math.nan
        self.last_loss_step = math.nan
        self._last_step = math.nan
        self._seg_pos = 0
        self._run_start_pending = False
        self._pending: dict[str, list[float]] = {name: [] for name in (*VALUE_COLUMNS, "line")}
        self._pending_flags: list[int] = []
        self._batches: list[dict[str, np.ndarray]] = []
        self.primary_rank: int | None = None
        """In a log with rank prefixes (logs/ranks.py), the rank whose lines this collector
        analyses (the lowest seen, usually 0); lines of other ranks go to :attr:`rank_sinks`."""
        self.ranks_seen: set[int] = set()
        """Every rank whose prefix appeared on a line."""
        self.rank_sinks: dict[int, StepCollector] = {}
        """One collector per other rank, for its step lines and evaluations only."""
        self.rank_prefix = ""
        """The prefix style of the input (e.g. "torchrun"), "" when lines are not prefixed."""
        self._chunk_ranks: np.ndarray | None = None
        self._chunk_first_line = 0
        self.repeated_steps = 0
        """Step rows with the step number of the row before (ranks printing without labels)."""
        self.cut_line: int | None = None
        """The current input's last line when it has no line break (InputStats.unterminated_line):
        a step row from it keeps its step number, its other numbers may be cut and are dropped."""

    # -- inputs ---------------------------------------------------------------------------

    @property
    def file_index(self) -> int:
        return len(self.files) - 1

    def begin_file(self, name: str) -> None:
        """Start collecting from a new input; step numbering may restart per input."""
        self.end_chunk()
        self._chunk_ranks = None
        self.files.append(FileRecord(name))
        for other in self.rank_sinks.values():
            other.begin_file(name)

    def end_file(self, stats: InputStats) -> None:
        """Finish the current input, recording how it was read."""
        self.end_chunk()
        self._chunk_ranks = None
        self.files[-1].stats = stats

    def not_understood(self, line: int, text: str) -> None:
        """A line no rule of the format recognised."""
        record = self.files[-1]
        record.not_understood += 1
        if len(record.examples) < EXAMPLES_CAP:
            shown = text.strip()
            record.examples.append(f"{line}: {shown[:120]}{'…' if len(shown) > 120 else ''}")

    # -- ranks ----------------------------------------------------------------------------

    def begin_chunk(self, ranks: np.ndarray | None, first_line: int) -> None:
        """The rank of each line of the chunk about to be parsed (None: no rank prefixes)."""
        self._chunk_ranks = ranks
        self._chunk_first_line = first_line
        if ranks is not None and len(ranks):
            seen = np.unique(ranks)
            seen = seen[seen >= 0]
            self.ranks_seen.update(int(r) for r in seen.tolist())
            if self.primary_rank is None and len(seen):
                self.primary_rank = int(seen[0])

    def _ranks_of(self, lines: np.ndarray) -> np.ndarray | None:
        """Rank of each of ``lines`` in the current chunk (-1: no prefix, or not in the chunk)."""
        ranks = self._chunk_ranks
        if ranks is None:
            return None
        index = lines.astype(np.int64) - self._chunk_first_line
        inside = (index >= 0) & (index < len(ranks))
        out = np.full(len(lines), -1, dtype=np.int64)
        out[inside] = ranks[index[inside]]
        return out

    def _rank_sink(self, rank: int) -> StepCollector | None:
        """The collector of another rank's lines, made on first use (None past the cap)."""
        other = self.rank_sinks.get(rank)
        if other is None and len(self.rank_sinks) < RANK_SINKS_CAP:
            other = StepCollector(RANK_SAMPLE_CAP)
            for record in self.files:
                other.begin_file(record.name)
            self.rank_sinks[rank] = other
        return other

    def _other_rank(self, line: int) -> int | None:
        """The rank of ``line`` when it is not this collector's own rank, else None."""
        ranks = self._ranks_of(np.asarray([line]))
        if ranks is None:
            return None
        rank = int(ranks[0])
        return None if rank < 0 or rank == self.primary_rank else rank

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
        """One step line parsed in Python; kept in order until :meth:`end_chunk`.

        Every trainer's step line goes through here, so the common readings live
        here too: a NaN or infinite ``loss`` (as printed: "nan", "inf") is kept
        as missing and flags the row :data:`FLAG_LOSS_NAN`; a ``reported_mfu``
        (a fraction) marks the log as printing an MFU (``meta["mfu_printed"]``).
        """
        if loss is not None and not math.isfinite(loss):
            flags |= FLAG_LOSS_NAN
            loss = None
        if self._run_start_pending:
            # A run header came before this line: this row opens the new run.
            flags |= FLAG_RUN_START
            self._run_start_pending = False
        if reported_mfu is not None:
            self.meta["mfu_printed"] = True
        pending = self._pending
        pending["line"].append(line)
        pending["step"].append(math.nan if step is None else step)
        pending["loss"].append(math.nan if loss is None else loss)
        pending["step_time_ms"].append(math.nan if step_time_ms is None else step_time_ms)
        pending["tokens_per_s"].append(math.nan if tokens_per_s is None else tokens_per_s)
        pending["reported_mfu"].append(math.nan if reported_mfu is None else reported_mfu)
        pending["flops_per_s"].append(math.nan if flops_per_s is None else flops_per_s)
        self._pending_flags.append(flags)

    def mark_run_start(self) -> None:
        """A run header was seen: the next step row starts a new run."""
        self._run_start_pending = True

    def detail_rows(self, steps: np.ndarray, step_times: np.ndarray) -> np.ndarray:
        """Which of the next ``len(steps)`` step rows must carry all their values.

        A vectorised parser that reads only step numbers and step times (NaN
        where unread) for most rows asks this first, then parses in full the
        rows marked True: those that will be in the sample, those the chart
        series may keep, the first rows of each run segment, and the first and
        last rows of the batch.
        """
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
        """Step rows parsed in bulk: ``line`` and ``step`` for every row, other columns NaN
        where not parsed. Rows must be in line order."""
        self._batches.append(columns)

    def end_chunk(self) -> None:
        """Merge the rows given since the last call (bulk and one by one) in line order."""
        parts = list(self._batches)
        self._batches = []
        if self._pending["line"]:
            pending = {
                name: np.asarray(values, dtype=np.float64) for name, values in self._pending.items()
            }
            pending["flags"] = np.asarray(self._pending_flags, dtype=np.int64)
            parts.append(pending)
            for values in self._pending.values():
                values.clear()
            self._pending_flags.clear()
        if not parts:
            return
        if len(parts) == 1:
            rows = parts[0]
        else:
            rows = {
                name: np.concatenate([_column(p, name, len(p["line"])) for p in parts])
                for name in (*VALUE_COLUMNS, "line", "flags")
            }
            order = np.argsort(rows["line"], kind="stable")
            rows = {name: values[order] for name, values in rows.items()}
        ranks = self._ranks_of(np.asarray(rows["line"]))
        if ranks is None:
            self._process(rows)
            return
        own = (ranks < 0) | (ranks == self.primary_rank)
        n = len(ranks)
        if own.all():
            self._process(rows)
            return
        if own.any():
            self._process(
                {name: _column(rows, name, n)[own] for name in (*VALUE_COLUMNS, "line", "flags")}
            )
        for rank in np.unique(ranks[~own]).tolist():
            other = self._rank_sink(int(rank))
            if other is not None:
                mine = ranks == rank
                other._process(
                    {
                        name: _column(rows, name, n)[mine]
                        for name in (*VALUE_COLUMNS, "line", "flags")
                    }
                )

    def _segment_starts(self, steps: np.ndarray, flags: np.ndarray | None = None) -> np.ndarray:
        """Rows that open a run segment: the step number goes back, or a run header preceded it.

        A row without a step number never opens one; the comparison is with the
        last row that had one.
        """
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
        flags = _column(rows, "flags", n).astype(np.int64)
        if self._run_start_pending and n:
            flags[0] |= FLAG_RUN_START
            self._run_start_pending = False
        starts = self._segment_starts(steps, flags)
        pos = self._positions(starts)
        seg = self.segment_count - 1 + np.cumsum(starts)
        g = self.count + np.arange(n)
        columns: dict[str, np.ndarray] = {
            name: _column(rows, name, n).astype(np.float64) for name in VALUE_COLUMNS
        }
        if self.cut_line is not None and n and rows["line"][-1] == self.cut_line:
            for name in VALUE_COLUMNS:
                if name != "step":
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
        losses = columns["loss"]
        finite_loss = np.flatnonzero(np.isfinite(losses))
        if len(finite_loss):
            self.last_loss = float(losses[finite_loss[-1]])
            self.last_loss_step = float(steps[finite_loss[-1]])
        if self.count < DELTA_ROWS_CAP and n > 1:
            self._tally_deltas(steps, starts)
        if n:
            previous = np.concatenate(([self._last_step], steps[:-1]))
            self.repeated_steps += int(np.count_nonzero(steps == previous))
        finite_steps = np.flatnonzero(np.isfinite(steps))
        if len(finite_steps):
            self._last_step = float(steps[finite_steps[-1]])
        self.count += n
        self.files[-1].step_lines += n
        self._seg_pos = int(pos[-1]) + 1

    def _keep_series(self, columns: dict[str, np.ndarray], after_eval: np.ndarray) -> None:
        """Hand the rows to the series buckets and store those picked; rows no longer kept are
        dropped now and then (:meth:`series_columns`), which keeps memory bounded."""
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
        steps, lines = columns["step"], columns["line"]
        flags = columns["flags"]
        boundaries: list[int] = np.flatnonzero(starts).tolist()
        edges = [*boundaries, len(steps)]
        if edges[0] > 0 and self.segments and len(self.segments) == self.segment_count:
            # Rows before the first start continue the current segment.
            current = self.segments[-1]
            current.rows += edges[0]
            block = steps[: edges[0]]
            finite = block[np.isfinite(block)]
            if len(finite):
                current.last_step = float(finite[-1])
                if not np.isfinite(current.first_step):
                    current.first_step = float(finite[0])
        for i, start in enumerate(boundaries):
            end = edges[i + 1]
            self.segment_count += 1
            if len(self.segments) >= SEGMENTS_CAP:
                continue
            block = steps[start:end]
            finite = block[np.isfinite(block)]
            self.segments.append(
                Segment(
                    file=self.file_index,
                    first_line=int(lines[start]),
                    first_step=float(finite[0]) if len(finite) else math.nan,
                    last_step=float(finite[-1]) if len(finite) else math.nan,
                    rows=end - start,
                    new_run=bool(flags[start] & FLAG_RUN_START),
                )
            )

    # -- everything else ------------------------------------------------------------------

    def add_eval(
        self,
        line: int,
        step: float | None,
        values: dict[str, float],
        time_ms: float | None = None,
    ) -> None:
        """An evaluation line: its step, the metrics it printed, and its duration when stated."""
        rank = self._other_rank(line)
        if rank is not None:
            other = self._rank_sink(rank)
            if other is not None:
                other.add_eval(line, step, values, time_ms)
            return
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
                    values=values,
                    time_ms=math.nan if time_ms is None else time_ms,
                )
            )

    def set_config(self, key: str, value: Any, source: str, line: int) -> None:
        """A configuration key; a later value for the same key wins (as in the trainer)."""
        if line == self.cut_line:
            return  # the value may be cut short
        if key in self.config or len(self.config) < CONFIG_CAP:
            self.config[key] = ConfigEntry(value, source, self.file_index, line)

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
        seen: list[Any] = []
        for hint in self.hints:
            if hint.kind == kind and hint.value not in seen:
                seen.append(hint.value)
        return seen

    def set_summary(self, key: str, value: Any, line: int) -> None:
        """An end-of-run figure the trainer printed (train_runtime, time per iteration, ...)."""
        if line == self.cut_line:
            return  # the value may be cut short ("0.185" cut to "0.1")
        self.summary[key] = (value, self.file_index, line)

    def summary_value(self, key: str, default: Any = None) -> Any:
        entry = self.summary.get(key)
        return default if entry is None else entry[0]

    def count_meta(self, key: str, by: int = 1) -> None:
        """Increment a format-internal counter."""
        self.meta[key] = self.meta.get(key, 0) + by


def _column(rows: dict[str, np.ndarray], name: str, n: int) -> np.ndarray:
    values = rows.get(name)
    if values is None:
        return np.zeros(n, dtype=np.int64) if name == "flags" else np.full(n, np.nan)
    return values

"""Fuzzing the three readers of outside input: snapshots, saved results, training logs.

Each harness runs :data:`EXAMPLES` generated cases (300 in the quick suite;
``.ci/run`` runs this file again with ``MFU_FUZZ_EXAMPLES=2000``) under a
per-case alarm of :data:`CASE_LIMIT_S` seconds. A case passes when the reader returns a result
or raises :class:`UserError` with one line; any other exception (a would-be
exit 1 with a traceback) or a hang fails it. The cases are kept small so that
the three harnesses together take a few tens of seconds.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from time_limit import time_limit

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM per case")

EXAMPLES = int(os.environ.get("MFU_FUZZ_EXAMPLES", "300"))
CASE_LIMIT_S = 10
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # wall-clock limits are the alarm's job; timings vary on shared machines
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

DATA = Path(__file__).resolve().parent / "data"
SNAPSHOTS = DATA / "snapshots"
SAVED_RESULT = DATA / "reports" / "diagnose_from_log_zen3.json"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per harness, its file rewritten by every case (cheaper than a folder each)."""
    return tmp_path_factory.mktemp("fuzz")


def case_limit(seconds: int = CASE_LIMIT_S) -> Any:
    """Fail the case (not just slow it) when it runs past ``seconds``: a hang."""
    return time_limit(seconds)


def one_line_or_result(call: Callable[[], Any]) -> Any:
    """``call()``; a UserError must be one line and counts as a pass."""
    with case_limit():
        try:
            return call()
        except UserError as exc:
            message = exc.format_message()
            assert "\n" not in message and len(message) < 600, message
            return None


# -- values that break readers -----------------------------------------------------------

ODD_NUMBERS = st.sampled_from(
    [
        "0", "-1", "-0", "1e308", "1e309", "-1e400", "nan", "NaN", "inf", "-Infinity", "9" * 40,
        "0x" + "f" * 20, "1_000", "١٢٣", "0.0000001", "4294967296", "18446744073709551616", "",
    ]
)  # fmt: skip
ODD_TEXT = st.one_of(
    st.text(max_size=60),
    ODD_NUMBERS,
    st.sampled_from(["\x1b]52;c;ZXZpbA==\x07", "\x00\xff", "\r\n\r", "\ufeff", "\u202e", " " * 80]),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Texts that are not valid JSON the way Python would otherwise accept them.
HOSTILE_JSON = st.sampled_from(
    ["NaN", "[Infinity]", "9" * 5000, "[" * 5000, '{"a": ' * 2000, "\xff\xfe", "", "{"]
)


def _mutate_text(original: str, edits: list[tuple[int, int, str]]) -> str:
    text = original
    for at, kind, insert in edits:
        if not text:
            return insert
        at %= len(text)
        if kind == 0:
            text = text[:at]  # truncated
        elif kind == 1:
            text = text[:at] + insert + text[at:]
        elif kind == 2:
            text = text[:at] + insert + text[at + len(insert) :]
        else:  # replace the number there, if any, by an odd one
            start = at
            while start < len(text) and not text[start].isdigit():
                start += 1
            end = start
            while end < len(text) and (text[end].isdigit() or text[end] in ".xabcdef"):
                end += 1
            text = text[:start] + insert + text[end:]
    return text


EDITS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.one_of(ODD_NUMBERS, ODD_TEXT)),
    min_size=1,
    max_size=4,
)


# -- 1. the snapshot reader --------------------------------------------------------------

MACHINES = sorted(p.name for p in SNAPSHOTS.iterdir() if (p / "snapshot.json").is_file())


def _machine_files(name: str) -> list[str]:
    root = SNAPSHOTS / name
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name != "snapshot.json"
    )


FILES = {name: _machine_files(name) for name in MACHINES}
_TEXTS: dict[Path, str] = {}


def _text_of(path: Path) -> str:
    if path not in _TEXTS:
        _TEXTS[path] = path.read_text(errors="replace")
    return _TEXTS[path]


def _edited_root(name: str, replaced: dict[str, str]) -> Any:
    """The recorded machine with some files' contents replaced, read without touching disk."""
    from mfu_advisor.probe.sources import MachineRoot

    class EditedRoot(MachineRoot):
        def read_text(self, machine_path: str) -> str | Unavailable:
            key = machine_path.lstrip("/")
            if key in replaced:
                return replaced[key]
            return super().read_text(machine_path)

        def run(self, name: str, argv: Any, timeout_s: float = 5.0) -> str | Unavailable:
            key = f"commands/{name}.txt"
            return replaced[key] if key in replaced else super().run(name, argv, timeout_s)

        def recorded_json(self, name: str) -> Any:
            key = f"{name}.json"
            if key not in replaced:
                return super().recorded_json(name)
            try:
                return json.loads(replaced[key], parse_constant=_no_constant)
            except (ValueError, RecursionError) as exc:
                return Unavailable(f"{key} is not valid JSON ({type(exc).__name__})")

    manifest = json.loads((SNAPSHOTS / name / "snapshot.json").read_text())
    return EditedRoot(SNAPSHOTS / name, is_live=False, manifest=manifest)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


@st.composite
def edited_snapshots(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    name = draw(st.sampled_from(MACHINES))
    chosen = draw(st.lists(st.sampled_from(FILES[name]), min_size=1, max_size=3, unique=True))
    replaced: dict[str, str] = {}
    for relative in chosen:
        original = _text_of(SNAPSHOTS / name / relative)
        if relative.endswith(".json") and draw(st.booleans()):
            value = draw(st.one_of(JSON_VALUES, HOSTILE_JSON))
            replaced[relative] = value if isinstance(value, str) else json.dumps(value)
        else:
            replaced[relative] = _mutate_text(original, draw(EDITS))
    return name, replaced


@FUZZ
@given(edited_snapshots())
def test_fuzzed_snapshots_probe_or_refuse_in_one_line(case: tuple[str, dict[str, str]]) -> None:
    from mfu_advisor.facts import to_jsonable
    from mfu_advisor.probe import probe_machine

    name, replaced = case
    root = _edited_root(name, replaced)
    facts = one_line_or_result(lambda: probe_machine(root, include_torch=True))
    if facts is not None:
        json.dumps(to_jsonable(facts), allow_nan=False)  # what --json will print


@FUZZ
@given(st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_fuzzed_manifests_open_or_refuse_in_one_line(scratch: Path, data: bytes) -> None:
    from mfu_advisor.probe.sources import MachineRoot

    (scratch / "snapshot.json").write_bytes(data)
    one_line_or_result(lambda: MachineRoot.open_snapshot(scratch))


# -- 2. the result-JSON reader -----------------------------------------------------------

SAVED = json.loads(SAVED_RESULT.read_text())
#: The saved diagnosis and its parts as results of their own (probe, bench, analyze).
ENVELOPE = {k: SAVED[k] for k in ("schema_version", "tool", "created_at")}
BASES = [
    SAVED,
    {**ENVELOPE, "command": "probe", **SAVED["hardware"]},
    {**ENVELOPE, "command": "bench", **SAVED["baseline"]},
    {**ENVELOPE, "command": "analyze", **SAVED["analysis"]},
]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:3]):
            found += _paths(value, (*prefix, index))
    return found


PATHS = [_paths(base)[1:] for base in BASES]


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """``doc`` with the value at ``path`` replaced, copying only the containers on the way."""
    if not path:
        return value
    copy: Any = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replaced(doc[path[0]], path[1:], value)
    return copy


@st.composite
def edited_results(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=400))
    if kind == 1:
        return draw(HOSTILE_JSON).encode("utf-8", "surrogatepass")
    if kind == 2:
        envelope = {
            "schema_version": draw(st.one_of(st.integers(-3, 3), JSON_SCALARS)),
            "command": draw(st.one_of(st.sampled_from(["probe", "bench", "analyze"]), ODD_TEXT)),
            "tool": draw(JSON_VALUES),
            "redacted": draw(JSON_SCALARS),
        }
        return json.dumps(envelope).encode()
    which = draw(st.integers(0, len(BASES) - 1))
    doc = BASES[which]
    for path in draw(st.lists(st.sampled_from(PATHS[which]), min_size=1, max_size=3)):
        try:
            doc = _replaced(doc, path, draw(JSON_VALUES))
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(doc).encode()


@FUZZ
@given(edited_results())
def test_fuzzed_results_load_or_refuse_in_one_line(scratch: Path, data: bytes) -> None:
    from mfu_advisor.report.command import load_result

    path = scratch / "result.json"
    path.write_bytes(data)
    report = one_line_or_result(lambda: load_result(str(path)))
    if report is not None:
        with case_limit():
            json.dumps(report.to_json(), allow_nan=False)  # what --json will print


# -- 3. the log readers ------------------------------------------------------------------

#: Lines in the shapes the readers look for (nanoGPT, llm.c, torchtitan, HF Trainer,
#: Megatron, LitGPT), with every number open to replacement by an odd one.
LOG_LINES = st.sampled_from(
    [
        "iter {n}: loss {f}, time {f}ms, mfu {f}%",
        "step {n}/{n} | loss {f} ({f} z) | norm {f} | lr {f} | {f} ms | {f}% bf16 MFU | {n} tok/s",
        "[rank0]:[titan] {n}-01-01 00:00:00,000 - root - INFO - step: {n}  loss: {f}  memory: "
        "{f}GiB({f}%)  tps: {n}  tflops: {f}  mfu: {f}%",
        "{{'loss': {f}, 'grad_norm': {f}, 'learning_rate': {f}, 'epoch': {f}}}",
        "{{'train_runtime': {f}, 'train_samples_per_second': {f}, 'train_steps_per_second': {f}}}",
        " iteration {n}/{n} | consumed samples: {n} | elapsed time per iteration (ms): {f} | "
        "throughput per GPU (TFLOP/s/GPU): {f} | lm loss: {f} |",
        "Epoch {n} | iter {n} step {n} | loss train: {f}, val: n/a | iter time: {f} ms",
        "batch_size = {n}, block_size = {n}, gradient_accumulation_steps = {n}",
        "tokens per iteration will be: {n}",
        "number of parameters: {f}M",
        "step {n}: train loss {f}, val loss {f}",
        "{n}:{n}:{n} [0] NCCL INFO comm 0x{n} rank {n} nranks {n}",
        "\x1b[31mWARNING\x1b[0m something {f}",
    ]
)
LOG_NUMBERS = st.one_of(st.integers(-5, 10**6).map(str), ODD_NUMBERS)
LOG_FLOATS = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.4f}"),
    ODD_NUMBERS,
)


@st.composite
def log_texts(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 30))):
        template = draw(st.one_of(LOG_LINES, ODD_TEXT))
        pieces = template.split("{n}")
        line = pieces[0]
        for piece in pieces[1:]:
            line += draw(LOG_NUMBERS) + piece
        parts = line.split("{f}")
        line = parts[0]
        for piece in parts[1:]:
            line += draw(LOG_FLOATS) + piece
        lines.append(line.replace("{{", "{").replace("}}", "}"))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(log_texts())
def test_fuzzed_logs_analyze_or_refuse_in_one_line(scratch: Path, data: bytes) -> None:
    from mfu_advisor.logs.pipeline import analyze_inputs
    from mfu_advisor.report.model import Command, make_report

    path = scratch / "train.log"
    path.write_bytes(data)
    result = one_line_or_result(lambda: analyze_inputs([str(path)]))
    if result is not None:
        with case_limit():
            json.dumps(make_report(Command.ANALYZE, result).to_json(), allow_nan=False)

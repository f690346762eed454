"""Options keep nanoGPT's names and syntax; presets fill only what was not given."""

from __future__ import annotations

import pytest
from bench_fakes import TINY
from click.testing import CliRunner

from mfu_advisor.bench.cli_options import options_from_params
from mfu_advisor.bench.command import bench
from mfu_advisor.bench.devices import DeviceChoice
from mfu_advisor.bench.options import BenchOptions, parse_bool, validate
from mfu_advisor.bench.resolve import (
    DEFAULT_BUDGET_S,
    auto_preset_name,
    batch_for_memory,
    resolve_options,
)
from mfu_advisor.errors import UserError
from mfu_advisor.units import cpu_list

CPU = DeviceChoice("cpu", "cpu", 0, "AMD EPYC", 4 * 2**30)
H100 = DeviceChoice("cuda:0", "cuda", 0, "NVIDIA H100", 80 * 2**30)


def _parse(argv: list[str]) -> BenchOptions:
    """Run the click parser only: the command body is replaced by a capture."""
    captured: dict[str, BenchOptions] = {}

    def capture(**params: object) -> None:
        captured["options"] = options_from_params(dict(params))

    original = bench.callback
    bench.callback = capture  # type: ignore[assignment]
    try:
        result = CliRunner().invoke(bench, argv, standalone_mode=False)
    finally:
        bench.callback = original
    if result.exception:
        raise result.exception
    return captured["options"]


def test_nanogpt_spellings_and_value_syntax_are_accepted() -> None:
    options = _parse(
        ["--batch_size=12", "--n-layer", "4", "--compile=False", "--bias=True", "--dtype=bfloat16"]
    )
    assert options.batch_size == 12 and options.n_layer == 4
    assert options.compile is False and options.bias is True and options.dtype == "bfloat16"


def test_bare_boolean_flag_means_true_and_unset_options_stay_none() -> None:
    options = _parse(["--compile", "--cpus", "0-1"])
    assert options.compile is True
    assert options.cpus == (0, 1)
    assert options.n_embd is None and options.budget_s is None and options.preset == "auto"


def test_bad_boolean_is_a_usage_error() -> None:
    result = CliRunner().invoke(bench, ["--compile=maybe"])
    assert result.exit_code == 2
    assert "not True or False" in result.output


def test_parse_bool_reads_nanogpt_values() -> None:
    assert parse_bool("True", "x") is True and parse_bool("false", "x") is False
    with pytest.raises(UserError, match="--x takes True or False"):
        parse_bool("perhaps", "x")


def test_cpu_list_round_trips_through_taskset_syntax() -> None:
    assert _parse(["--cpus", "0-3,6"]).cpus == (0, 1, 2, 3, 6)
    assert cpu_list((6, 0, 1, 2, 3)) == "0-3,6"
    for bad in ("3-1", "0-3,,6", "8192"):
        refused = f"cannot read '{bad}'; write CPU numbers from 0 to 8191"
        with pytest.raises(UserError, match=refused):
            _parse(["--cpus", bad])
    with pytest.raises(UserError, match="--cpus needs at least one CPU"):
        _parse(["--cpus", ""])


def test_explicit_options_override_the_preset() -> None:
    asked = BenchOptions(preset="shakespeare-char", n_layer=2, batch_size=8)
    run = resolve_options(asked, CPU, bf16_supported=True).options
    assert (run.n_layer, run.n_head, run.n_embd, run.block_size) == (2, 6, 384, 256)
    assert run.batch_size == 8 and run.vocab_size == 65
    assert run.budget_s == DEFAULT_BUDGET_S and run.dtype == "float32" and run.tf32 is False


def test_auto_picks_cpu_small_on_cpu_and_gpt2_small_on_a_big_gpu() -> None:
    on_cpu = resolve_options(BenchOptions(), CPU, bf16_supported=True)
    assert on_cpu.options.preset == "cpu-small"
    assert (on_cpu.options.n_layer, on_cpu.options.batch_size) == (4, 12)
    on_gpu = resolve_options(BenchOptions(), H100, bf16_supported=True).options
    assert on_gpu.preset == "gpt2-small" and on_gpu.vocab_size == 50304
    # nanoGPT's defaults on CUDA: bfloat16 autocast and TF32 on.
    assert on_gpu.dtype == "bfloat16" and on_gpu.tf32 is True
    assert auto_preset_name("cuda", 8 * 2**30) == "shakespeare-char"


def test_gpt2_batch_is_sized_to_memory_as_a_power_of_two() -> None:
    # (80 GiB - 4 GiB reserved) / 3 GiB per sequence = 25 -> 16.
    assert batch_for_memory("cuda", 80 * 2**30) == 16
    assert batch_for_memory("cuda", 141 * 2**30) == 32
    assert batch_for_memory("cuda", 24 * 2**30) == 4
    assert batch_for_memory("cpu", 64 * 2**30) == 4
    assert batch_for_memory("cuda", None) == 1


def test_cuda_without_bf16_defaults_to_float16() -> None:
    run = resolve_options(BenchOptions(preset="cpu-small"), H100, bf16_supported=False).options
    assert run.dtype == "float16"


def test_n_embd_not_divisible_by_n_head_is_one_clear_line() -> None:
    with pytest.raises(UserError, match="n_embd 130 is not divisible by n_head 4") as info:
        resolve_options(BenchOptions(preset="cpu-small", n_embd=130), CPU, bf16_supported=True)
    assert info.value.exit_code == 2


def test_data_vocabulary_replaces_the_preset_vocabulary_but_not_a_too_small_explicit_one() -> None:
    run = resolve_options(
        BenchOptions(preset="cpu-small", data="x.txt"), CPU, bf16_supported=True, text_vocab_size=40
    )
    assert run.options.vocab_size == 40
    with pytest.raises(UserError, match="smaller than the 40 distinct characters"):
        resolve_options(
            BenchOptions(preset="cpu-small", data="x.txt", vocab_size=30),
            CPU,
            bf16_supported=True,
            text_vocab_size=40,
        )


def test_compile_never_measures_its_compile_step() -> None:
    asked = BenchOptions(preset="cpu-small", compile=True, warmup_steps=0)
    assert resolve_options(asked, CPU, bf16_supported=True).options.warmup_steps == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 0}, "--batch_size must be at least 1"),
        ({"dropout": 1.0}, "--dropout must be in"),
        ({"budget_s": 0.0}, "--budget must be between"),
        ({"warmup_steps": -1}, "--warmup must be 0 or more"),
    ],
)
def test_impossible_values_are_refused(change: dict[str, object], message: str) -> None:
    import dataclasses

    with pytest.raises(UserError, match=message):
        validate(dataclasses.replace(TINY, **change))  # type: ignore[arg-type]


def test_to_argv_reproduces_the_options_through_the_parser() -> None:
    original = BenchOptions(
        preset="cpu-small", n_layer=2, compile=False, budget_s=4.5, cpus=(0,), threads=1,
        roofline=False,
    )  # fmt: skip
    assert _parse(original.to_argv()) == original


def test_bench_help_and_imports_leave_torch_unloaded_so_cpus_can_be_pinned_first() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from mfu_advisor.cli import main\n"
        "try:\n    main(['bench', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "import mfu_advisor.bench.meter, mfu_advisor.bench.run\n"
        "assert 'torch' not in sys.modules, 'importing the bench imported torch'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--batch_size, --batch-size" in done.stdout

"""Numbers as people read them: one function per unit, the same text in every output."""

from __future__ import annotations

from mfu_advisor import units


def test_an_mfu_reads_with_one_decimal_and_nanogpts_tiny_a100_figure_keeps_its_digits() -> None:
    # The recorded cpu-small bench (tests/bench/data/cpu_small_zen3_2vcpu.json): 45.67% of
    # the device's peak, 0.0229% of an A100.
    assert units.percent(0.4566851) == "45.7%"
    assert units.percent(0.000229) == "0.0229%"
    assert units.percent(0.31) == "31%"  # no trailing ".0"
    assert units.percent(0.0) == "0%"


def test_flops_take_three_significant_digits_and_the_prefix_that_keeps_them_short() -> None:
    assert units.flops(60.89e9) == "60.9 GFLOP/s"
    assert units.flops(156.5e9) == "156 GFLOP/s"
    assert units.flops(312e12) == "312 TFLOP/s"
    assert units.flops(999.96e9) == "1.00 TFLOP/s"  # never "1000 GFLOP/s"
    assert units.si(5_168_640.0, "FLOP") == "5.17 MFLOP"
    assert units.tick(1500.0) == "1.5k"


def test_a_speed_ratio_says_faster_or_slower_with_as_many_digits_as_the_noise_allows() -> None:
    assert units.speedup(1.42) == "1.42x faster"
    assert units.speedup(0.86) == "1.16x slower"
    assert units.speedup(0.0625) == "16x slower"
    assert units.speedup(1.001) == "1.00x (same)"
    assert units.factor(12.34) == "12x"
    assert units.plus_minus(0.047) == "±4.7%"


def test_durations_sizes_and_rates() -> None:
    assert units.milliseconds(65.19) == "65.2 ms"
    assert units.milliseconds(1145.13) == "1,145 ms"
    assert units.seconds(83.42) == "83.4 s"
    assert units.size_bytes(374 * 2**20) == "374 MiB"
    assert units.rate(13827.6) == "13,828 tokens/s"


def test_a_cpu_list_is_written_as_linux_writes_it() -> None:
    assert units.cpu_list((6, 0, 1, 2, 3)) == "0-3,6"
    assert units.cpu_list((5,)) == "5"

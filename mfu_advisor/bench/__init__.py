"""The calibrated GPT run: ``mfu-advisor bench`` and ``python -m mfu_advisor.bench``.

``run_bench(BenchOptions(...))`` (bench/run.py) returns a ``BenchResult``;
``MFUMeter`` (bench/meter.py) measures MFU inside any training loop.
"""

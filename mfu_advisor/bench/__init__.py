"""The calibrated GPT run (bench/run.py) and ``MFUMeter`` for any loop (bench/meter.py)."""

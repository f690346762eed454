"""Reports: one model (model.py) every command makes, rendered by formats.py (docs/reports.md)."""

"""SVG charts for the HTML report, drawn in Python (no JavaScript)."""

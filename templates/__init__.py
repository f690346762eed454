"""Jinja2 templates and the stylesheet of the HTML report (mfu_advisor/report/html.py).

This folder sits at the top of the repository and ships inside the wheel as the
package ``mfu_advisor.templates`` (see pyproject.toml). This file makes it a
regular package: setuptools' editable installs cannot import a mapped folder
without one.
"""

"""Reports: one model every command produces, and renderers that only format it.

``model.py`` holds the :class:`~mfu_advisor.report.model.Report` (envelope plus
JSON-ready payload); ``output.emit`` prints it and writes files;
``formats.py`` maps each output format to its renderer (``terminal/``,
``json_format.py``, ``markdown.py``, ``html.py`` with ``charts/`` and the
top-level ``templates/``). ``content/`` turns payloads into format-neutral
blocks that all renderers share; ``redact.py`` implements ``--redact``;
``command.py`` is ``mfu-advisor report RESULT.json``. See docs/reports.md.
"""

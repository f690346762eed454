"""``analyze``: reading training logs and recomputing their MFU (docs/analyze.md).

reader.py streams inputs; detect.py and formats/ recognise and parse each
trainer's lines into collect.StepCollector (bounded memory); steady.py,
timeshare.py, sections.py and analysis.py turn that into a result.LogAnalysis;
peak.py chooses the peak; pipeline.analyze_inputs runs it all; command.py is the CLI.
"""

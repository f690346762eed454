"""``analyze``: reading training logs and recomputing their MFU (docs/analyze.md).

pipeline.analyze_inputs reads (reader), detects (detect), parses (formats/ into
collect.StepCollector) and analyses (analysis) into a result.LogAnalysis.
"""

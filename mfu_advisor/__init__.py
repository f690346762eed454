"""mfu-advisor: why is my model training slow, and what would make it faster.

The package is organised in layers, one folder each (see docs/architecture.md):
``probe`` (what hardware is here), ``bench`` (what a GPT step achieves),
``logs`` (what a pasted training log says), ``experiments`` (what-if variants
measured in subprocesses), ``rules`` (pure predicates over those facts),
``diagnose`` (the orchestration) and ``report`` (renderers).
"""

__version__ = "0.1.0"

#: Version of every JSON document the tool writes. Bump on a breaking change;
#: adding a field is not breaking (docs/json.md).
SCHEMA_VERSION = 1

"""mfu-advisor: why is my model training slow, and what would make it faster.

The layers, one folder each, are drawn in docs/architecture.md.
"""

__version__ = "0.1.0"

#: Version of every JSON document the tool writes. Bump on a breaking change;
#: adding a field is not breaking (docs/json.md).
SCHEMA_VERSION = 1

"""mfu-advisor: why is my model training slow, and what would make it faster.

The layers, one folder each, are drawn in docs/architecture.md.
"""

__version__ = "0.1.0"

#: Version of every JSON document the tool writes. Bump on a breaking change;
#: adding a field is not breaking (docs/json.md).
SCHEMA_VERSION = 1

#: The envelope's keys around every command's payload; a payload must not use these names.
#: ``redacted`` appears only in a redacted result (``--redact``), as ``true``.
ENVELOPE_KEYS = ("schema_version", "command", "tool", "created_at", "redacted")

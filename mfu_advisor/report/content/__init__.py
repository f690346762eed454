"""Format-neutral report content: blocks, and the builders that make them from payloads."""

"""``mfu-advisor run -- CMD``: run the user's own training command, watch it, explain it
(docs/run.md)."""

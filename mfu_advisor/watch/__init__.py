"""``mfu-advisor run -- CMD``: run the user's own training command, watch it, explain it.

The child's output passes through unchanged (child.py) while its lines are kept
for the log readers; the hardware is sampled beside it (sampler.py); at the end
the log analysis, the samples' summary (summary.py) and the rules that read both
make the ``run`` result (result.py). docs/run.md describes it for users.
"""

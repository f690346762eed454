"""MLX LM fine-tuning, ``mlx_lm.lora`` (https://github.com/ml-explore/mlx-lm; docs/log-formats.md).

``mlx_lm/tuner/trainer.py`` (before commit bdb77dae) prints ``Iter N: Train loss ..., It/sec
..., Tokens/sec ...``: the step time is 1 / It/sec, Tokens/sec counts every process. LoRA runs
break 6N, so the FLOPs per token are left to ``--set flops_per_token``.
"""

from __future__ import annotations

import re

from mfu_advisor.logs.formats.base import LogFormat, Parser
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_number

TRAIN = re.compile(
    rf"^Iter {INT}: Train loss (\S+?),(?: Learning Rate \S+?,)? It/sec {DECIMAL}, "
    rf"Tokens/sec {DECIMAL}(?:, Trained Tokens {DECIMAL})?(?:, Peak mem {DECIMAL} GB)?"
)
VAL = re.compile(rf"^Iter {INT}: Val loss (\S+?), Val took {DECIMAL}s")
TRAINABLE = re.compile(rf"^Trainable parameters: {DECIMAL}% \({DECIMAL}M/{DECIMAL}M\)")
START = re.compile(rf"^Starting training\.\.\., iters: {INT}")


class MlxLmParser(Parser):
    """Reads mlx_lm's ``Iter N:`` report and validation lines."""

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = TRAIN.match(line)
        if match:
            it_per_s = parse_finite(match.group(3))
            sink.add_step(
                line_no,
                step=int(match.group(1)),
                loss=parse_number(match.group(2)),
                step_time_ms=1000.0 / it_per_s if it_per_s else None,
                tokens_per_s=parse_finite(match.group(4)),
            )
            if match.group(6) is not None:
                sink.set_summary("peak_memory_gb", float(match.group(6)), line_no)
            return True
        match = VAL.match(line)
        if match:
            sink.add_eval(
                line_no,
                int(match.group(1)),
                {"loss": parse_number(match.group(2))},
                time_ms=float(match.group(3)) * 1000.0,
            )
            return True
        match = TRAINABLE.match(line)
        if match:
            sink.set_config("n_params_trainable_m", float(match.group(2)), "log", line_no)
            sink.set_config("n_params_total_m", float(match.group(3)), "log", line_no)
            return True
        match = START.match(line)
        if match:
            if sink.count:
                sink.mark_run_start()
            sink.set_config("max_steps", int(match.group(1)), "log", line_no)
            return True
        return False


class MlxLm(LogFormat):
    """mlx_lm.lora."""

    name = "mlx_lm"
    title = "MLX LM (mlx_lm.lora)"
    eval_timing = "stated"
    step_time_span = "interval"
    tokens_scope = "job"
    scope_note = (
        "mlx_lm's Tokens/sec sums every process's tokens (mx.distributed.all_sum in "
        "mlx_lm/tuner/trainer.py), so it is the job's"
    )
    parser_class = MlxLmParser
    step_lines = (TRAIN,)
    marker_lines = (VAL, TRAINABLE, START)


FORMAT = MlxLm()

"""The one list of diagnosis rules, and ``evaluate``: facts in, ranked findings out.

Rules are listed here explicitly, never discovered by scanning a folder. To
add one: write it in the module of its family with examples that fire and
stay quiet, add it to :data:`RULES`, and run
``python -m mfu_advisor.rules.docs`` to regenerate docs/rules.md (a test
fails while it is stale).
"""

from __future__ import annotations

from mfu_advisor.rules import (
    batch_rules,
    compile_rules,
    conditions_rules,
    cpu_rules,
    device_rules,
    distributed_rules,
    distributed_setup_rules,
    gpu_rules,
    job_rules,
    log_rules,
    mfu_reference_rules,
    precision_rules,
)
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Finding
from mfu_advisor.rules.rule import Rule

#: Every rule, in id order.
RULES: tuple[Rule, ...] = (
    device_rules.CPU_FORCED,  # MA101
    device_rules.CPU_ONLY,  # MA102
    mfu_reference_rules.MFU_REFERENCE,  # MA103
    batch_rules.MICRO_BATCH_TOO_SMALL,  # MA104
    batch_rules.MODEL_TOO_SMALL,  # MA105
    compile_rules.COMPILE_NOT_USED,  # MA106
    compile_rules.COMPILE_SLOWER,  # MA107
    precision_rules.AUTOCAST_NOT_USED,  # MA108
    precision_rules.BF16_WITHOUT_NATIVE,  # MA109
    precision_rules.TF32_DISABLED,  # MA110
    cpu_rules.THREADS_ON_E_CORES,  # MA111
    cpu_rules.OVERSUBSCRIBED,  # MA112
    cpu_rules.SMT_SIBLINGS,  # MA113
    device_rules.IGPU_NOT_USABLE,  # MA114
    gpu_rules.GPU_CLOCKS,  # MA115
    gpu_rules.PCIE_LINK,  # MA116
    gpu_rules.GPU_BUSY,  # MA117
    gpu_rules.MIG_SLICE,  # MA118
    log_rules.EVAL_SHARE,  # MA119
    log_rules.LOG_INTERVAL_SYNC,  # MA120
    log_rules.DATA_LOADING_JITTER,  # MA121
    compile_rules.COMPILE_DOMINATES,  # MA122
    batch_rules.MEMORY_NEARLY_FULL,  # MA123
    gpu_rules.FUSED_ADAMW,  # MA124
    conditions_rules.MACHINE_BUSY,  # MA125
    distributed_rules.COMMUNICATION_SHARE,  # MA126
    distributed_rules.STRAGGLER_RANK,  # MA127
    distributed_rules.DATA_PARALLEL_NOT_DDP,  # MA128
    distributed_setup_rules.GLOO_ON_CUDA,  # MA129
    distributed_setup_rules.PER_RANK_BATCH_SMALL,  # MA130
    distributed_setup_rules.RANKS_OVERSUBSCRIBE,  # MA131
    job_rules.INPUT_BOUND,  # MA140
    job_rules.HOST_BOUND,  # MA141
    job_rules.POWER_CAPPED,  # MA142
    job_rules.THERMAL,  # MA143
    job_rules.MEMORY_FULL_RULE,  # MA144
    job_rules.OVERSUBSCRIBED_JOB,  # MA145
    job_rules.IDLE_GPUS,  # MA146
    job_rules.MACHINE_SHARED,  # MA147
)


def rule_by_id(rule_id: str) -> Rule:
    """The rule with this id or symbol; KeyError when there is none."""
    for rule in RULES:
        if rule_id in (rule.id, rule.symbol):
            return rule
    raise KeyError(rule_id)


def evaluate(facts: DiagnosisFacts, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding on ``facts``, best first (Finding.rank_key). Pure: no I/O, no clock."""
    findings = [f for rule in rules if (f := rule.check(facts)) is not None]
    return sorted(findings, key=lambda f: (*f.rank_key(), f.id))

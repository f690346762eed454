#!/usr/bin/env bash
# GPU acceptance for issue 12, on one NVIDIA GPU, in under 9 minutes.
#
#   bash benchmarks/gpu_acceptance.sh [OUT_DIR]
#
# Everything goes under OUT_DIR (default gpu-acceptance-<time>): the probe (text
# and JSON), an NVML sample of the GPU every 100 ms for the whole run
# (nvidia-smi --query-gpu ... -lms 100), bench --preset gpt2-small in bf16 with
# torch.compile, diagnose --budget 120, and an independent minimal training loop
# (benchmarks/gpu_reference_loop.py) at the bench's batch. It then prints the
# device-peak MFU (must be present) and bench tokens/s over the reference's
# (must be within 10%). Exit 0 when both hold, 1 otherwise.
set -euo pipefail

OUT="${1:-gpu-acceptance-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
PY="${PYTHON:-python}"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)" | tee -a "$OUT/steps.log"; }

step "NVML sampling at 10 Hz"
nvidia-smi --query-gpu=timestamp,index,clocks.sm,clocks.mem,power.draw,enforced.power.limit,temperature.gpu,utilization.gpu,clocks_event_reasons.active \
  --format=csv -lms 100 > "$OUT/nvml_samples.csv" 2> "$OUT/nvml_samples.err" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT
nvidia-smi -q > "$OUT/nvidia-smi-q.txt"

step "probe"
timeout 120 "$PY" -m mfu_advisor probe --fresh > "$OUT/probe.txt"
timeout 120 "$PY" -m mfu_advisor probe --json > "$OUT/probe.json"

step "bench --preset gpt2-small bf16 compile"
timeout 240 "$PY" -m mfu_advisor bench --preset gpt2-small --device cuda:0 \
  --dtype bfloat16 --compile True --budget 60 --json > "$OUT/bench.json"

BATCH=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['config']['batch_size'])" "$OUT/bench.json")

step "reference loop (batch $BATCH)"
timeout 180 "$PY" benchmarks/gpu_reference_loop.py --batch "$BATCH" --seconds 60 > "$OUT/reference.json"

step "diagnose --budget 120"
timeout 200 "$PY" -m mfu_advisor diagnose --preset gpt2-small --device cuda:0 --budget 120 \
  --json > "$OUT/diagnose.json" || echo "diagnose exited $?" | tee -a "$OUT/steps.log"

kill "$SAMPLER" 2>/dev/null || true
step "verdict"
"$PY" - "$OUT" <<'PYEOF' | tee "$OUT/verdict.txt"
import json, sys
out = sys.argv[1]
bench = json.load(open(f"{out}/bench.json"))
ref = json.load(open(f"{out}/reference.json"))
device = bench["mfu"]["device_peak"]
ratio = bench["tokens_per_s"] / ref["tokens_per_s"]
print(f"device: {bench['device_name']}")
print(f"device-peak MFU: {device['value']} ({device['source'] or device['reason']})")
print(f"bench tokens/s {bench['tokens_per_s']:.0f}, reference {ref['tokens_per_s']:.0f}, "
      f"ratio {ratio:.3f}")
ok = device["value"] is not None and 0.9 <= ratio <= 1.1
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PYEOF

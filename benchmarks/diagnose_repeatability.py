"""Does diagnose's advice hold on the next run? N default diagnoses in a row (issue 16).

Runs ``mfu-advisor diagnose --json`` N times, each a fresh process as a user
would start it, and prints:

- a table of speedup +- stated noise per experiment and run (the combined fix
  included), a ``!`` after each interval that misses the pooled median (the
  median over the runs of that experiment's speedup);
- the share of stated intervals that contain their pooled median (acceptance:
  at least 80%), and the same for the pairs-only intervals (``pair_noise``,
  what diagnose stated before issue 16) for comparison;
- the leading recommendation of each run (the first verified "do") and how
  often it is the most frequent one, or the run calls the leaders tied
  (acceptance: the same in 4 of 5, or the runs that differ say "tied");
- each run's A/A noise floor and wall time (acceptance: <= 90 s).

Timings on a shared machine are noisy: each run's ``other CPU share`` says how
busy it was. ``--out DIR`` keeps each run's JSON.

    python benchmarks/diagnose_repeatability.py [--runs 5] [--out DIR] [-- extra diagnose flags]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from diagnose_wall_time import LIMIT_S, one_diagnosis


def measured(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The experiments of one diagnosis that measured a speedup, the combined fix included."""
    found = {e["name"]: e for e in doc["experiments"] if e.get("speedup") is not None}
    combined = doc.get("combined")
    if combined and combined.get("speedup") is not None:
        found["combined"] = combined
    return found


def leader(doc: dict[str, Any]) -> str:
    """The leading recommendation: the experiment of the first verified "do" finding."""
    for finding in doc["findings"]:
        if finding["kind"] == "do" and finding.get("verified_speedup") is not None:
            return str(finding.get("experiment") or finding["symbol"])
    return "(none verified)"


def contains(entry: dict[str, Any], value: float, noise_key: str) -> bool | None:
    noise = entry.get(noise_key)
    if noise is None:
        return None
    return entry["speedup"] * (1 - noise) <= value <= entry["speedup"] * (1 + noise)


def summarize(docs: list[dict[str, Any]], walls: list[float]) -> list[str]:
    runs = [measured(d) for d in docs]
    names = sorted({n for r in runs for n in r}, key=lambda n: (n == "combined", n))
    header = "| experiment | " + " | ".join(f"run {i + 1}" for i in range(len(docs))) + " |"
    lines = [header, "|---" * (len(docs) + 1) + "|"]
    covered = {"noise": [0, 0], "pair_noise": [0, 0]}
    for name in names:
        speedups = [r[name]["speedup"] for r in runs if name in r]
        median = statistics.median(speedups)
        cells = []
        for r in runs:
            entry = r.get(name)
            if entry is None:
                cells.append("-")
                continue
            for key in covered:
                hit = contains(entry, median, key)
                if hit is not None and len(speedups) > 1:
                    covered[key][0] += hit
                    covered[key][1] += 1
            miss = "" if contains(entry, median, "noise") in (True, None) else " !"
            cells.append(f"{entry['speedup']:.2f} ±{entry['noise']:.1%}{miss}")
        lines.append(f"| {name} (median {median:.2f}) | " + " | ".join(cells) + " |")
    for key, label in (("noise", "stated intervals"), ("pair_noise", "pairs-only intervals")):
        hits, total = covered[key]
        if total:
            lines.append(
                f"{label} containing the pooled median: {hits}/{total} = {hits / total:.0%}"
            )
    leaders = [leader(d) for d in docs]
    tied = ["tied" in d["verdict"] for d in docs]
    top, count = Counter(leaders).most_common(1)[0]
    agree = sum(1 for lead, tie in zip(leaders, tied, strict=True) if lead == top or tie)
    lines.append(
        "leading recommendation per run: "
        + ", ".join(
            f"{lead}{' (tied)' if tie else ''}" for lead, tie in zip(leaders, tied, strict=True)
        )
    )
    lines.append(
        f"the same ({top}) in {count}/{len(docs)} runs; the same or called tied in "
        f"{agree}/{len(docs)}"
    )
    floors = [(d.get("noise") or {}).get("measured_floor") for d in docs]
    lines.append(
        "A/A noise floor per run: " + ", ".join("-" if f is None else f"{f:.1%}" for f in floors)
    )
    combined = [(d.get("combined") or {}) for d in docs]
    lines.append(
        "combined fix per run: "
        + ", ".join(
            f"{c['speedup']:.2f}x {'+'.join(c.get('parts') or [])}"
            if c.get("speedup") is not None
            else (c.get("reason") or "not needed (<2 verified)")
            for c in combined
        )
    )
    over = [w for w in walls if w > LIMIT_S]
    lines.append(
        "wall times "
        + ", ".join(f"{w:.1f}" for w in walls)
        + " s: "
        + (f"{len(over)} over {LIMIT_S:.0f} s" if over else f"all within {LIMIT_S:.0f} s")
    )
    shares = [(d.get("noise") or {}).get("other_cpu_share") for d in docs]
    lines.append(
        "other processes' CPU share per run: "
        + ", ".join("-" if s is None else f"{s:.0%}" for s in shares)
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="keep each run's JSON here")
    parser.add_argument("--budget", type=float, default=None, help="default: diagnose's own")
    parser.add_argument("extra", nargs="*", help="more diagnose flags (after --)")
    args = parser.parse_args()
    docs, walls = [], []
    for number in range(1, args.runs + 1):
        wall, doc = one_diagnosis(args.budget, args.extra)
        docs.append(doc)
        walls.append(wall)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"diagnose_{number}.json").write_text(json.dumps(doc, indent=1))
        found = measured(doc)
        shown = ", ".join(f"{n} {e['speedup']:.2f}±{e['noise']:.1%}" for n, e in found.items())
        print(f"run {number}: {wall:.1f} s, leader {leader(doc)}: {shown}", flush=True)
    print("\n".join(summarize(docs, walls)))


if __name__ == "__main__":
    main()

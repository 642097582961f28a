#!/usr/bin/env python3
"""Training precision vs the science: for each network, the anomaly set (anomaly/<model> of
scan.h5) and DTEC (dtec/<model>) of each precision's scan against the fp32 seed-42 reference,
next to the fp32 seed-43 scan's agreement with it (the seed-to-seed spread). A precision
passes for a model when its Jaccard and its correlation are both at least the seed spread's.
Jaccard and Pearson correlation are bench/peers/compare.py's. Writes a Markdown table and JSON.

  compare.py --work DIR [--epochs N --threads T --device D] --md table.md --json table.json
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import h5py  # noqa: E402
import numpy as np  # noqa: E402

from compare import corr, fmt, jaccard  # noqa: E402

MODELS = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]
REFERENCE, SEED = "fp32", "fp32-seed43"
PRECISIONS = ["3xtf32", "tf32", "bf16"]


def set_agreement(a, b):
    """Jaccard of two anomaly sets; two empty sets agree (1)."""
    return jaccard(a, b) if (a | b).any() else 1.0


def read_run(work, name):
    with h5py.File(os.path.join(work, name, "scan.h5"), "r") as f:
        return {m: (f["anomaly/" + m][()] != 0, f["dtec/" + m][()].astype(np.float64))
                for m in MODELS}


def wall(work, name):
    try:
        with open(os.path.join(work, name + ".wall")) as f:
            return float(f.read())
    except (OSError, ValueError):
        return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="the scans' --device (and options), a label")
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()

    ref = read_run(a.work, REFERENCE)
    runs = {name: read_run(a.work, name) for name in [SEED] + PRECISIONS}
    rows, passed = [], {p: [] for p in PRECISIONS}
    for m in MODELS:
        ref_set, ref_dtec = ref[m]
        row = {"model": m, "anomalies_fp32": int(ref_set.sum())}
        for name, run in runs.items():
            s, d = run[m]
            row[name] = {"jaccard": set_agreement(ref_set, s), "corr": corr(ref_dtec, d),
                         "anomalies": int(s.sum())}
        for p in PRECISIONS:
            ok = (row[p]["jaccard"] >= row[SEED]["jaccard"]
                  and row[p]["corr"] >= row[SEED]["corr"])
            row[p]["passes"] = bool(ok)
            if ok:
                passed[p].append(m)
        rows.append(row)

    out = ["| model | anomalies (fp32) | seed 43: Jaccard | seed 43: DTEC corr | "
           + " | ".join(f"{p}: Jaccard | {p}: DTEC corr" for p in PRECISIONS) + " |",
           "|---|---:|---:|---:|" + "---:|---:|" * len(PRECISIONS)]
    for r in rows:
        cells = [r["model"], str(r["anomalies_fp32"]), fmt(r[SEED]["jaccard"], 4),
                 fmt(r[SEED]["corr"], 6)]
        for p in PRECISIONS:
            mark = "" if r[p]["passes"] else " ✗"
            cells += [fmt(r[p]["jaccard"], 4) + mark, fmt(r[p]["corr"], 6) + mark]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for p in PRECISIONS:
        n = len(passed[p])
        out.append(f"- **{p}**: agreement with fp32 >= seed-to-seed agreement (Jaccard and DTEC "
                   f"correlation) for {n} of {len(MODELS)} networks"
                   + ("" if n == len(MODELS) else
                      f" (fails: {', '.join(m for m in MODELS if m not in passed[p])})") + ".")
    on_cpu = a.device.split()[0] == "cpu"
    walls = ", ".join(f"{n} {wall(a.work, n):.1f}" for n in [REFERENCE, SEED] + PRECISIONS)
    where = (f"{a.threads} threads; CPU emulation, not tensor-core speed" if on_cpu else
             f"--device {a.device}")
    out.append(f"- Wall time per scan (s, six networks, {a.epochs} epochs, {where}): {walls}.")
    # The rule: the fastest precision whose agreement is at least the seed spread's for
    # every network (fp32 always qualifies). Only a device's own speeds can decide it.
    eligible = [REFERENCE] + [p for p in PRECISIONS if len(passed[p]) == len(MODELS)]
    eligible = [n for n in eligible if wall(a.work, n) == wall(a.work, n)]  # timed (not NaN)
    fastest = min(eligible, key=lambda n: wall(a.work, n)) if eligible else None
    if on_cpu or fastest is None:
        out.append("- Default rule (fastest precision with the science of fp32): not decided here; "
                   + ("the CPU emulation's times say nothing about tensor-core speed." if on_cpu
                      else "no eligible scan was timed."))
    else:
        out.append(f"- Default rule (fastest precision whose agreement with fp32 is at least the "
                   f"seed-to-seed agreement for all six networks), among these scans ({where}) "
                   f"only: **{fastest}** ({wall(a.work, fastest):.1f} s against fp32's "
                   f"{wall(a.work, REFERENCE):.1f} s; eligible: {', '.join(eligible)}). fp32 on "
                   "other engines (the default --rnn-impl auto) is timed elsewhere: the default "
                   "is the fastest over every engine.")
    with open(a.md, "w") as f:
        f.write("\n".join(out) + "\n")
    with open(a.json, "w") as f:
        json.dump({"epochs": a.epochs, "threads": a.threads, "device": a.device,
                   "fastest_eligible": None if on_cpu else fastest, "reference": REFERENCE,
                   "seed_spread": SEED, "rows": rows, "passes": passed,
                   "wall_s": {n: wall(a.work, n) for n in [REFERENCE, SEED] + PRECISIONS}},
                  f, indent=1)


if __name__ == "__main__":
    main()

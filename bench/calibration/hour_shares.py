#!/usr/bin/python3
"""Share of each detector's quiet anomalies per 2-hour UTC bin, and the largest share, from a
scan.h5: {"detector": {"bins": [...12 shares...], "max": s, "anomalies": n}}."""
import json
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    hours = (np.round(f["time"][:]).astype(np.int64) % 24) // 2
    out = {}
    for m in f["anomaly"]:
        a = f["anomaly"][m][:].astype(bool)
        per_bin = np.array([a[:, hours == b].sum() for b in range(12)], dtype=float)
        n = per_bin.sum()
        shares = (per_bin / n).tolist() if n else [0.0] * 12
        out[m] = {"bins": shares, "max": max(shares), "anomalies": int(n)}
json.dump(out, sys.stdout)

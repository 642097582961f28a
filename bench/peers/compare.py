"""Compare peers' predictions with a tecscan run and print one markdown table.

  python compare.py --scan runs/x/scan.h5 --peer keras.h5 --peer torch.h5 \
      [--peer runs/x-seed43/scan.h5] [--md out.md]

Per model and implementation: wall time for all nodes (peers on a node subset are
extrapolated linearly, marked "ext."), training samples x epochs per second, the throughput
ratio tecscan/peer (> 1: tecscan faster), and on the nodes the peer ran: the RMSE of the
prediction differences peer - tecscan, the test RMSE of each against the observations, the
correlation of DTEC, and the Jaccard overlap of the anomaly sets (|DTEC| > threshold & quiet).
The peer's DTEC is computed as tecscan does: dTEC = observed - predicted,
DTEC = (dTEC - median) / IQR per node over the whole series, numpy percentiles (linear =
Hyndman-Fan type 7), NaN ignored, IQR 0 -> NaN. The same recomputation from tecscan's own
/predicted is checked against its /dtec and /anomaly (printed under the table).
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402


def dtec_series(observed, predicted):
    """DTEC [node, time] with the series scope of tecscan (detect.scope = "series")."""
    delta = (observed.astype(np.float64) - predicted.astype(np.float64))
    out = np.full(delta.shape, np.nan)
    for n in range(delta.shape[0]):
        row = delta[n][np.isfinite(delta[n])]
        if row.size == 0:
            continue
        q1, median, q3 = np.percentile(row, [25, 50, 75])  # method="linear" (type 7)
        if q3 - q1 > 0:
            out[n] = (delta[n] - median) / (q3 - q1)
    return out


def anomalies(dtec, quiet, threshold):
    with np.errstate(invalid="ignore"):
        return (np.abs(dtec) > threshold) & (quiet[None, :] == 1)


def jaccard(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else float("nan")


def rmse(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else float("nan")


def corr(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 else float("nan")


def fmt(x, digits=3):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


class Scan:
    def __init__(self, path, threshold):
        self.dir = os.path.dirname(os.path.abspath(path))
        with h5py.File(path, "r") as f:
            self.observed = f["observed"][...]
            self.quiet = f["quiet"][...]
            self.predicted = {m: f["predicted"][m][...] for m in f["predicted"]}
            self.dtec = {m: f["dtec"][m][...] for m in f["dtec"]}
            self.anomaly = {m: f["anomaly"][m][...] for m in f["anomaly"]}
        with open(os.path.join(self.dir, "summary.json")) as f:
            self.summary = json.load(f)
        self.epochs = int(self.summary["config"]["train"]["epochs"])
        self.threshold = threshold
        self.n_train = int(math.floor(common.TRAIN_FRACTION * self.observed.shape[1]))

    def seconds(self, model):
        return self.summary["timing_s"].get(f"train {model}")

    def samples(self, model):
        length = common.input_length(model)
        return sum(common.NodeWindows(r, length).y_train.size for r in self.observed)

    def self_check(self, model):
        """Max |DTEC recomputed - /dtec| and anomaly-set mismatches (should be ~0 and 0)."""
        mine = dtec_series(self.observed, self.predicted[model])
        ok = np.isfinite(mine) & np.isfinite(self.dtec[model])
        both_nan = np.isnan(mine) == np.isnan(self.dtec[model])
        diff = float(np.max(np.abs(mine[ok] - self.dtec[model][ok]))) if ok.any() else 0.0
        flags = anomalies(mine, self.quiet, self.threshold)
        return diff, int(np.count_nonzero(~both_nan)), int(
            np.count_nonzero(flags != (self.anomaly[model] == 1)))

    def test_rmse(self, predicted, nodes):
        return rmse(predicted[nodes, self.n_train:], self.observed[nodes, self.n_train:])


def read_peer(path):
    """(name, nodes run, {model: (predicted [node, time], timing)}) of a peer's .h5, or of
    another tecscan run's scan.h5 (e.g. another --seed: the run-to-run spread of tecscan)."""
    with h5py.File(path, "r") as f:
        if "nodes" in f:
            return (f.attrs["peer"], f["nodes"][...].astype(int),
                    {m: (f["predicted"][m][...], dict(f["predicted"][m].attrs))
                     for m in f["predicted"]})
        other = Scan(path, 0)
        timing = {m: {"seconds_all_nodes": other.seconds(m) or float("nan"),
                      "epochs": other.epochs, "extrapolated": False} for m in other.predicted}
        seed = other.summary["config"]["train"].get("seed")
        return (f"tecscan seed {seed}", np.arange(other.observed.shape[0]),
                {m: (other.predicted[m], timing[m]) for m in common.MODELS
                 if m in other.predicted})


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", required=True, help="tecscan run dir's scan.h5")
    parser.add_argument("--peer", action="append", default=[],
                        help="peer predictions .h5, or another tecscan run's scan.h5")
    parser.add_argument("--threshold", type=float, default=1.5)
    parser.add_argument("--title", default="tecscan vs peers")
    parser.add_argument("--md", help="also write the table to this markdown file")
    args = parser.parse_args()

    scan = Scan(args.scan, args.threshold)
    peers = [read_peer(path) for path in args.peer]

    lines = [f"## {args.title}", "",
             f"{scan.observed.shape[0]} nodes x {scan.observed.shape[1]} epochs, "
             f"{scan.epochs} epochs of training; tecscan devices: "
             + ", ".join(f"{m}: {d}" for m, d in scan.summary.get("devices", {}).items()
                         if m in common.MODELS and m in scan.predicted), "",
             "| model | implementation | nodes run | wall s (all nodes) | samples x epochs / s "
             "| tecscan/peer throughput | pred. RMSE vs tecscan (TECU) | test RMSE peer / "
             "tecscan (TECU) | DTEC corr. | anomaly Jaccard (peer / tecscan / both) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    checks = []
    for model in common.MODELS:
        if model not in scan.predicted:
            continue
        samples = scan.samples(model)
        t_scan = scan.seconds(model)
        rate_scan = samples * scan.epochs / t_scan if t_scan else float("nan")
        all_nodes = np.arange(scan.observed.shape[0])
        lines.append(f"| {model} | tecscan | {len(all_nodes)} | {fmt(t_scan)} | "
                     f"{fmt(rate_scan)} | 1 | 0 | - / "
                     f"{fmt(scan.test_rmse(scan.predicted[model], all_nodes))} | 1 | - |")
        checks.append((model, scan.self_check(model)))
        for name, nodes, preds in peers:
            if model not in preds:
                continue
            pred, timing = preds[model]
            seconds = float(timing["seconds_all_nodes"])
            if int(timing["epochs"]) != scan.epochs:
                name += f" ({int(timing['epochs'])} epochs!)"
            rate = samples * int(timing["epochs"]) / seconds if seconds else float("nan")
            mine = dtec_series(scan.observed[nodes], pred[nodes])
            flags_peer = anomalies(mine, scan.quiet, args.threshold)
            flags_scan = scan.anomaly[model][nodes] == 1
            ext = " ext." if bool(timing["extrapolated"]) else ""
            lines.append(
                f"| {model} | {name} | {len(nodes)} | {fmt(seconds)}{ext} | {fmt(rate)} | "
                f"{fmt(rate_scan / rate if rate else float('nan'))} | "
                f"{fmt(rmse(pred[nodes], scan.predicted[model][nodes]))} | "
                f"{fmt(scan.test_rmse(pred, nodes))} / "
                f"{fmt(scan.test_rmse(scan.predicted[model], nodes))} | "
                f"{fmt(corr(mine, scan.dtec[model][nodes]))} | "
                f"{fmt(jaccard(flags_peer, flags_scan))} ({np.count_nonzero(flags_peer)} / "
                f"{np.count_nonzero(flags_scan)} / "
                f"{np.count_nonzero(flags_peer & flags_scan)}) |")
    lines += ["", f"Quiet epochs: {int(np.count_nonzero(scan.quiet == 1))} of "
              f"{scan.quiet.size}. Check of the DTEC recomputation on tecscan's own predictions "
              "(max |diff|, NaN mismatches, anomaly mismatches): "
              + "; ".join(f"{m} {d:.2g}, {n}, {a}" for m, (d, n, a) in checks) + "."]
    text = "\n".join(lines)
    print(text)
    if args.md:
        with open(args.md, "a") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()

"""Compare peers' predictions with a tecscan run and print markdown tables.

  python compare.py --scan runs/x/scan.h5[,runs/x-r2/scan.h5,...] \
      --peer keras.h5 --peer torch.h5[,torch-r2.h5,...] [--peer runs/x-seed43/scan.h5] \
      [--threads 2] [--peak-gflops 66 --peak-label "..."] [--md out.md] [--summary-md s.md]

A comma-separated list is R repetitions of the same run: its time is their median (with the
range), its answers those of the first. Three tables:
- summary: per model and for the whole six-model event, each implementation's wall time and
  the ratio peer time / tecscan time (> 1: tecscan faster);
- speed: wall time for all nodes (peers on a node subset are extrapolated linearly, marked
  "ext."), training samples x epochs per second, per thread (--threads: the peers' thread
  count; tecscan's comes from its summary.json), achieved GFLOP/s (forward FLOPs per sample
  x 3, as bench_cpu_models counts them) and its share of --peak-gflops, and the throughput
  ratio tecscan/peer at equal threads and per thread;
- agreement, on the nodes the peer ran: the RMSE of the prediction differences peer -
  tecscan, the test RMSE of each against the observations, the correlation of DTEC, and the
  Jaccard overlap of the anomaly sets (|DTEC| > threshold & quiet).
The peer's DTEC is computed as tecscan does: dTEC = observed - predicted,
DTEC = (dTEC - median) / IQR per node over the whole series, numpy percentiles (linear =
Hyndman-Fan type 7), NaN ignored, IQR 0 -> NaN. The same recomputation from tecscan's own
/predicted is checked against its /dtec and /anomaly (printed under the tables).
"""
import argparse
import json
import math
import os
import re
import statistics
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


def train_flops_per_sample(model):
    """FLOPs of one training sample (forward x 3 for forward + backward), counted exactly as
    tecscan's forward_flops_per_sample (src/cpu/model_layout.cpp) counts them for the paper's
    sizes: the GEMMs' multiply-adds x 2, biases and activations neglected."""
    w, filters, kernel, pool = common.WINDOW, 100, 2, 2
    l1 = w - kernel + 1
    l2 = l1 - kernel + 1
    pooled = (l2 // pool) * filters
    conv = l1 * kernel * filters + l2 * kernel * filters * filters
    macs = {
        "mlp": w * 100 + 100 * 100 + 100,
        "cnn": conv + pooled,
        "rnn": w * (100 + 100 * 100) + 100,
        "gru": w * (3 * 100 + 3 * 100 * 100) + 100,
        "lstm": w * (4 * 200 + 4 * 200 * 200) + 200 * 100 + 100,
        "cnn-lstm": common.SUBSEQ * conv
        + common.SUBSEQ * (pooled * 4 * 100 + 100 * 4 * 100) + 100,
    }[model]
    return 3 * 2.0 * macs


class Timing:
    """One implementation's time for one model on all nodes: every repetition's seconds
    (extrapolated when a node subset ran), the training epochs and CPU threads (None: a GPU)."""

    def __init__(self, seconds, epochs, extrapolated, threads):
        self.seconds = [float(s) for s in seconds
                        if s is not None and math.isfinite(float(s)) and float(s) > 0]
        self.epochs = int(epochs)
        self.extrapolated = bool(extrapolated)
        self.threads = threads

    def median(self):
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def text(self):
        """'1.23', '1.23 (1.2-1.31, 3 runs)', with ' ext.' when extrapolated."""
        out = fmt(self.median())
        if len(self.seconds) > 1:
            out += f" ({fmt(min(self.seconds))}-{fmt(max(self.seconds))}, " \
                   f"{len(self.seconds)} runs)"
        return out + (" ext." if self.extrapolated else "")


def cpu_threads(device):
    """2 from tecscan's device string 'cpu (2 threads)'; None for a GPU."""
    match = re.match(r"cpu \((\d+) threads?\)", device or "")
    return int(match.group(1)) if match else None


class Scan:
    """A tecscan run (its scan.h5 and summary.json); `repeats`: the scan.h5 of more runs with
    the same configuration, whose times join the median."""

    def __init__(self, path, threshold, repeats=()):
        self.dir = os.path.dirname(os.path.abspath(path))
        with h5py.File(path, "r") as f:
            self.observed = f["observed"][...]
            self.quiet = f["quiet"][...]
            self.predicted = {m: f["predicted"][m][...] for m in f["predicted"]}
            self.dtec = {m: f["dtec"][m][...] for m in f["dtec"]}
            self.anomaly = {m: f["anomaly"][m][...] for m in f["anomaly"]}
        self.summary = self.read_summary(self.dir)
        self.epochs = int(self.summary["config"]["train"]["epochs"])
        self.seed = self.summary["config"]["train"].get("seed")
        self.summaries = [self.summary]
        for other in repeats:
            summary = self.read_summary(os.path.dirname(os.path.abspath(other)))
            if int(summary["config"]["train"]["epochs"]) != self.epochs:
                sys.exit(f"compare.py: {other} trained {summary['config']['train']['epochs']} "
                         f"epochs, {path} {self.epochs}: not repetitions of one run")
            self.summaries.append(summary)
        self.threshold = threshold
        self.n_train = int(math.floor(common.TRAIN_FRACTION * self.observed.shape[1]))

    @staticmethod
    def read_summary(directory):
        with open(os.path.join(directory, "summary.json")) as f:
            return json.load(f)

    def timing(self, model):
        return Timing([s["timing_s"].get(f"train {model}") for s in self.summaries],
                      self.epochs, False, cpu_threads(self.summary.get("devices", {}).get(model)))

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


def read_peer(paths, threads):
    """(name, nodes run, {model: (predicted [node, time], Timing)}) of a peer's .h5 files (the
    repetitions of one peer run; answers from the first), or of another tecscan run's scan.h5
    (e.g. another --seed: the run-to-run spread of tecscan). `threads`: the peer's threads."""
    with h5py.File(paths[0], "r") as f:
        is_peer = "nodes" in f
    if not is_peer:
        other = Scan(paths[0], 0, paths[1:])
        return (f"tecscan seed {other.seed}", np.arange(other.observed.shape[0]),
                {m: (other.predicted[m], other.timing(m)) for m in common.MODELS
                 if m in other.predicted})
    seconds = {}
    for path in paths:
        with h5py.File(path, "r") as f:
            for m in f["predicted"]:
                seconds.setdefault(m, []).append(f["predicted"][m].attrs["seconds_all_nodes"])
    with h5py.File(paths[0], "r") as f:
        name, nodes = str(f.attrs["peer"]), f["nodes"][...].astype(int)
        preds = {}
        for m in f["predicted"]:
            attrs = f["predicted"][m].attrs
            preds[m] = (f["predicted"][m][...],
                        Timing(seconds[m], attrs["epochs"], attrs["extrapolated"], threads))
    return name, nodes, preds


class Row:
    """Throughput figures of one implementation on one model (or on all six)."""

    def __init__(self, name, timing, work, flops, peak_gflops):
        self.name, self.timing = name, timing
        seconds = timing.median()
        self.rate = work / seconds if seconds > 0 else float("nan")  # samples x epochs / s
        self.per_thread = self.rate / timing.threads if timing.threads else float("nan")
        self.gflops = flops / seconds / 1e9 if seconds > 0 else float("nan")
        self.peak_share = 100 * self.gflops / peak_gflops if peak_gflops else float("nan")


def speed_rows(scan, peers, peak):
    """{model or "all six": [Row, ...]} with tecscan first."""
    rows, totals = {}, {}
    impls = [("tecscan", {m: (None, scan.timing(m)) for m in scan.predicted})]
    impls += [(name, preds) for name, _, preds in peers]
    for model in common.MODELS:
        if model not in scan.predicted:
            continue
        samples = scan.samples(model)
        for name, preds in impls:
            if model not in preds:
                continue
            timing = preds[model][1]
            work = samples * timing.epochs
            rows.setdefault(model, []).append(
                Row(name, timing, work, work * train_flops_per_sample(model), peak))
            total = totals.setdefault(name, [0.0, 0.0, 0.0, 0, False, timing.threads, 0])
            total[0] += timing.median()
            total[1] += work
            total[2] += work * train_flops_per_sample(model)
            total[3] = max(total[3], len(timing.seconds))
            total[4] |= timing.extrapolated
            total[6] += 1
    if all(m in scan.predicted for m in common.MODELS):
        for name, (seconds, work, flops, runs, ext, threads, count) in totals.items():
            if count == len(common.MODELS):
                timing = Timing([seconds], 0, ext, threads)
                rows.setdefault("all six", []).append(Row(name, timing, work, flops, peak))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", required=True,
                        help="tecscan run dir's scan.h5 (comma-separated: repetitions)")
    parser.add_argument("--peer", action="append", default=[],
                        help="peer predictions .h5, or another tecscan run's scan.h5 "
                        "(comma-separated: repetitions of that run)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads every peer ran with (per-thread columns)")
    parser.add_argument("--peak-gflops", type=float, default=0,
                        help="measured FP32 peak of the machine at those threads")
    parser.add_argument("--peak-label", default="measured peak")
    parser.add_argument("--threshold", type=float, default=1.5)
    parser.add_argument("--title", default="tecscan vs peers")
    parser.add_argument("--md", help="also append the tables to this markdown file")
    parser.add_argument("--summary-md", help="write the summary table alone to this file")
    args = parser.parse_args()

    paths = args.scan.split(",")
    scan = Scan(paths[0], args.threshold, paths[1:])
    peers = [read_peer(p.split(","), args.threads or None) for p in args.peer]
    rows = speed_rows(scan, peers, args.peak_gflops)
    per_thread = any(r.timing.threads for rs in rows.values() for r in rs)
    runs = len(scan.summaries)

    devices = ", ".join(f"{m}: {d}" for m, d in scan.summary.get("devices", {}).items()
                        if m in common.MODELS and m in scan.predicted)
    lines = [f"## {args.title}", "",
             f"{scan.observed.shape[0]} nodes x {scan.observed.shape[1]} epochs, "
             f"{scan.epochs} epochs of training; tecscan devices: {devices}. Times are the "
             f"median of the runs shown (tecscan: {runs} run{'s' if runs > 1 else ''}), "
             "training + prediction of all nodes; \"ext.\": timed on the nodes run and "
             "extrapolated linearly to all nodes.", ""]

    # Summary: one line per model, peers side by side (tecscan's other-seed runs left out).
    names = [r.name for r in rows.get("mlp", rows.get(next(iter(rows)), []))
             if r.name != "tecscan" and not r.name.startswith("tecscan seed")] if rows else []
    summary = ["| model | tecscan s | " + " | ".join(f"{n} s | tecscan / {n}" for n in names)
               + " |", "|---|---:|" + "---:|---:|" * len(names)]
    for model, model_rows in rows.items():
        by_name = {r.name: r for r in model_rows}
        cells = [model, by_name["tecscan"].timing.text()]
        for n in names:
            r = by_name.get(n)
            cells += [r.timing.text(), f"{fmt(by_name['tecscan'].rate / r.rate)}x"] if r else \
                ["-", "-"]
        summary.append("| " + " | ".join(cells) + " |")
    lines += ["### Summary (wall s; tecscan / peer > 1: tecscan faster)", ""] + summary + [""]

    head = "| model | implementation | wall s (all nodes) | samples x epochs / s |"
    rule = "|---|---|---:|---:|"
    if per_thread:
        head += " per thread |"
        rule += "---:|"
    head += " GFLOP/s |" + (f" % of {args.peak_label} |" if args.peak_gflops else "")
    rule += "---:|" + ("---:|" if args.peak_gflops else "")
    head += " tecscan / peer |" + (" tecscan / peer per thread |" if per_thread else "")
    rule += "---:|" + ("---:|" if per_thread else "")
    lines += ["### Speed", "", head, rule]
    for model, model_rows in rows.items():
        base = model_rows[0]
        for r in model_rows:
            cells = [model, r.name, r.timing.text(), fmt(r.rate)]
            if per_thread:
                cells.append(fmt(r.per_thread))
            cells.append(fmt(r.gflops))
            if args.peak_gflops:
                cells.append(fmt(r.peak_share, 2) + " %")
            cells.append(fmt(base.rate / r.rate))
            if per_thread:
                cells.append(fmt(base.per_thread / r.per_thread))
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "GFLOP/s: forward FLOPs per sample x 3 x samples x epochs / s, as "
              "bench_cpu_models counts them." + (" Per thread: samples x epochs / s divided by "
                                                 "the implementation's CPU threads." if
                                                 per_thread else ""), ""]

    lines += ["### Agreement with tecscan (on the nodes each peer ran)", "",
              "| model | implementation | nodes run | pred. RMSE vs tecscan (TECU) | test RMSE "
              "peer / tecscan (TECU) | DTEC corr. | anomaly Jaccard (peer / tecscan / both) |",
              "|---|---|---:|---:|---:|---:|---:|"]
    checks = []
    for model in common.MODELS:
        if model not in scan.predicted:
            continue
        all_nodes = np.arange(scan.observed.shape[0])
        lines.append(f"| {model} | tecscan | {len(all_nodes)} | 0 | - / "
                     f"{fmt(scan.test_rmse(scan.predicted[model], all_nodes))} | 1 | - |")
        checks.append((model, scan.self_check(model)))
        for name, nodes, preds in peers:
            if model not in preds:
                continue
            pred, timing = preds[model]
            if timing.epochs != scan.epochs:
                name += f" ({timing.epochs} epochs!)"
            mine = dtec_series(scan.observed[nodes], pred[nodes])
            flags_peer = anomalies(mine, scan.quiet, args.threshold)
            flags_scan = scan.anomaly[model][nodes] == 1
            lines.append(
                f"| {model} | {name} | {len(nodes)} | "
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
    if args.summary_md:
        with open(args.summary_md, "w") as f:
            f.write("\n".join(summary) + "\n")


if __name__ == "__main__":
    main()

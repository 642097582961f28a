r"""Compare peers' predictions with a tecscan run and print markdown tables.

  python compare.py --scan runs/x/scan.h5[,runs/x-r2/scan.h5,...] [--scan-wall-s 16.1,15.9,...] \
      --peer keras.h5 --peer torch.h5 [--peer runs/x-seed43/scan.h5] \
      [--peak-gflops 66 --peak-label "..."] [--md out.md] [--summary-md s.md] \
      [--headline-md h.md]

A peer run is one .h5 file written by common.Results (its repetitions are inside it); a tecscan
run is a comma-separated list of the scan.h5 of R separate tecscan processes (answers from the
first). Every implementation gets two times, both training + prediction of all nodes:
- steady state (start-up, compilation and warm-up excluded): a peer's `steady_s_all` (the
  median of its repetitions 2.. in the same processes); tecscan, which compiles nothing and runs
  each repetition as a fresh process: the median of runs 2..R of summary.json
  timing_s["train <m>"] (all runs if R = 1);
- first run (the model's tracing/compilation included): a peer's `first_s_all`; tecscan's run 1.
"all six": steady = the sum of the six steady times; first run = start-up + the sum of the six
first-run times (peer: the file's `startup_s`; tecscan: the process wall of run 1 from
--scan-wall-s, else summary.json timing_s["total"], minus its training times).

Four tables:
- headline: per model and for all six, tecscan against the strongest peer (the lowest time
  among the peers trained with tecscan's epochs; "tecscan seed ..." rows are not peers), for
  the steady state and the first run separately (the strongest may differ); --headline-md
  writes it with a one-line sentence between <!-- headline --> and <!-- /headline --> (the
  block bench/make-results.py lifts to the top of RESULTS.md);
- summary: per model and for all six, each implementation's two times and tecscan / peer
  (> 1: tecscan faster);
- speed: the two times for all nodes (peers on a node subset are extrapolated linearly, marked
  "ext."), the implementation's form (processes x threads), training samples x epochs per
  second (steady), per thread (peers: workers x threads_per_worker from the file; tecscan:
  its summary.json devices), achieved GFLOP/s (forward FLOPs per sample
  x 3, as bench_cpu_models counts them) and its share of --peak-gflops, and the ratios
  tecscan / peer (steady, per thread, first run);
- agreement, on the nodes the peer ran (one row per --peer): the RMSE of the prediction
  differences peer - tecscan, the test RMSE of each against the observations, the correlation
  of DTEC, and the Jaccard overlap of the anomaly sets (|DTEC| > threshold & quiet).
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


def finite_positive(x):
    return x is not None and math.isfinite(float(x)) and float(x) > 0


def times(ratio):
    """A speed ratio for a table cell or a sentence: '3.66x', '62.4x', '518x'."""
    if not finite_positive(ratio):
        return "n/a"
    return f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:.0f}x"


class Timing:
    """One implementation's times for one model on all nodes (extrapolated when a node subset
    ran): `steady` the steady-state seconds (the values whose median is shown, with their range
    when there are several), `first` the first run's seconds (NaN: unknown), the training
    epochs and CPU threads (None: unknown or a GPU). `cold`: only one repetition, so the steady
    time is a cold run."""

    def __init__(self, steady, first, epochs, extrapolated, threads, cold=False):
        self.seconds = [float(s) for s in steady if finite_positive(s)]
        self.first = float(first) if finite_positive(first) else float("nan")
        self.epochs = int(epochs)
        self.extrapolated = bool(extrapolated)
        self.threads = threads
        self.cold = bool(cold)

    def median(self):
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def marks(self):
        return (" cold" if self.cold else "") + (" ext." if self.extrapolated else "")

    def text(self):
        """Steady: '1.23', '1.23 (1.2-1.31, 3 runs)', with ' ext.' when extrapolated."""
        out = fmt(self.median())
        if len(self.seconds) > 1:
            out += f" ({fmt(min(self.seconds))}-{fmt(max(self.seconds))}, " \
                   f"{len(self.seconds)} runs)"
        return out + self.marks()

    def short(self):
        return fmt(self.median()) + self.marks()

    def first_text(self):
        return fmt(self.first) + (" ext." if self.extrapolated and self.first == self.first
                                  else "")


def cpu_threads(device):
    """2 from tecscan's device string 'cpu (2 threads)'; None for a GPU."""
    match = re.match(r"cpu \((\d+) threads?\)", device or "")
    return int(match.group(1)) if match else None


class Impl:
    """One implementation as the tables see it: name, the nodes it ran, {model: (predicted
    [node, time], Timing)}, start-up seconds (NaN: unknown) and its form per model."""

    def __init__(self, name, nodes, preds, startup_s, forms, threads):
        self.name, self.nodes, self.preds = name, nodes, preds
        self.startup_s = startup_s
        self.forms = forms  # {model: "1 proc x 2 thr"}
        self.threads = threads  # {model: CPU threads or None}

    def form(self, model=None):
        """The form of one model's run, or of all of them ('a / b' when they differ)."""
        if model is not None:
            return self.forms.get(model, "n/a")
        return " / ".join(dict.fromkeys(self.forms[m] for m in common.MODELS if m in self.forms))

    def is_peer(self):
        return self.name != "tecscan" and not self.name.startswith("tecscan seed")


class Scan:
    """A tecscan run (its scan.h5 and summary.json); `repeats`: the scan.h5 of more runs with
    the same configuration (separate processes); `walls`: the process wall seconds of every
    run (optional; only run 1's is used: the start-up of the first run)."""

    def __init__(self, path, threshold, repeats=(), walls=None):
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
                common.die(f"compare.py: {other} trained {summary['config']['train']['epochs']} "
                           f"epochs, {path} {self.epochs}: not repetitions of one run")
            self.summaries.append(summary)
        self.walls = walls
        self.threshold = threshold
        self.n_train = int(math.floor(common.TRAIN_FRACTION * self.observed.shape[1]))

    @staticmethod
    def read_summary(directory):
        with open(os.path.join(directory, "summary.json")) as f:
            return json.load(f)

    def device(self, model):
        return self.summary.get("devices", {}).get(model)

    def timing(self, model):
        """First run: run 1; steady: the median of runs 2..R (run 1 when R = 1)."""
        runs = [s["timing_s"].get(f"train {model}") for s in self.summaries]
        steady = runs[1:] if len(runs) > 1 else runs
        return Timing(steady, runs[0], self.epochs, False, cpu_threads(self.device(model)))

    def startup_s(self):
        """Run 1's process wall (or timing_s["total"]) minus its training times."""
        t = self.summary["timing_s"]
        wall = self.walls[0] if self.walls else t.get("total", float("nan"))
        return float(wall) - sum(v for k, v in t.items() if k.startswith("train "))

    def form(self, model):
        threads = cpu_threads(self.device(model))
        if threads:
            return f"1 proc x {threads} thr"
        return re.sub(r"\s*\(.*\)$", "", self.device(model) or "n/a")  # "NVIDIA H200"

    def impl(self, name):
        models = [m for m in common.MODELS if m in self.predicted]
        return Impl(name, np.arange(self.observed.shape[0]),
                    {m: (self.predicted[m], self.timing(m)) for m in models},
                    self.startup_s(), {m: self.form(m) for m in models},
                    {m: cpu_threads(self.device(m)) for m in models})

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
    """An Impl of a peer's .h5 file (common.Results: its repetitions are inside), or of another
    tecscan run's scan.h5, comma-separated repetitions allowed (e.g. another --seed: the
    run-to-run spread of tecscan)."""
    paths = path.split(",")
    with h5py.File(paths[0], "r") as f:
        is_peer = "nodes" in f
    if not is_peer:
        other = Scan(paths[0], 0, paths[1:])
        return other.impl(f"tecscan seed {other.seed}")
    if len(paths) > 1:
        common.die(f"compare.py: --peer {path}: one peer file per --peer (its repetitions are "
                   "inside it: --repeats)")
    with h5py.File(path, "r") as f:
        if any("steady_s_all" not in f["predicted"][m].attrs for m in f["predicted"]):
            common.die(f"compare.py: {path} was written by an older peer script (no "
                       "steady_s_all): run the peer again")
        name, nodes = str(f.attrs["peer"]), f["nodes"][...].astype(int)
        workers, per_worker = int(f.attrs["workers"]), int(f.attrs["threads_per_worker"])
        gpu = re.search(r"-(cuda|gpu)$", name) is not None
        used = None if gpu or not per_worker else workers * per_worker
        form = f"{workers} proc x " + ("GPU" if gpu else f"{per_worker or 'default'} thr")
        if workers > 1:  # the same peer may also run threaded: the rows must differ by name
            name += " node-parallel"
        preds = {}
        for m in f["predicted"]:
            a = f["predicted"][m].attrs
            repeat = [float(s) for s in np.atleast_1d(a["repeat_s"])]
            scale = float(a["train_samples_all"]) / float(a["train_samples"])
            # The steady repetitions scaled to all nodes: their median is steady_s_all, and
            # their range is shown; with one repetition only the cold time exists.
            steady = [s * scale for s in repeat[1:]] or [float(a["steady_s_all"])]
            timing = Timing(steady, a["first_s_all"], a["epochs"], a["extrapolated"], used,
                            cold=len(repeat) < 2)
            preds[m] = (f["predicted"][m][...], timing)
        startup = float(f.attrs["startup_s"])
    return Impl(name, nodes, preds, startup, {m: form for m in preds}, {m: used for m in preds})


class Row:
    """Throughput figures of one implementation on one model (or on all six)."""

    def __init__(self, impl, form, timing, work, flops, peak_gflops):
        self.impl, self.name, self.form, self.timing = impl, impl.name, form, timing
        seconds = timing.median()
        self.rate = work / seconds if seconds > 0 else float("nan")  # samples x epochs / s
        self.first_rate = work / timing.first if timing.first > 0 else float("nan")
        self.per_thread = self.rate / timing.threads if timing.threads else float("nan")
        self.gflops = flops / seconds / 1e9 if seconds > 0 else float("nan")
        self.peak_share = 100 * self.gflops / peak_gflops if peak_gflops else float("nan")


def speed_rows(scan, impls, peak):
    """{model or "all six": [Row, ...]} in the order of `impls` (tecscan first)."""
    rows, totals = {}, {}
    for model in common.MODELS:
        if model not in scan.predicted:
            continue
        samples = scan.samples(model)
        for impl in impls:
            if model not in impl.preds:
                continue
            timing = impl.preds[model][1]
            work = samples * timing.epochs
            flops = work * train_flops_per_sample(model)
            rows.setdefault(model, []).append(
                Row(impl, impl.form(model), timing, work, flops, peak))
            totals.setdefault(impl.name, (impl, []))[1].append((timing, work, flops))
    if all(m in scan.predicted for m in common.MODELS):
        for impl, parts in totals.values():
            if len(parts) != len(common.MODELS):
                continue
            epochs = {t.epochs for t, _, _ in parts}
            threads = {t.threads for t, _, _ in parts}
            timing = Timing([sum(t.median() for t, _, _ in parts)],
                            impl.startup_s + sum(t.first for t, _, _ in parts),
                            epochs.pop() if len(epochs) == 1 else -1,
                            any(t.extrapolated for t, _, _ in parts),
                            threads.pop() if len(threads) == 1 else None,
                            any(t.cold for t, _, _ in parts))
            rows.setdefault("all six", []).append(
                Row(impl, impl.form(), timing, sum(w for _, w, _ in parts),
                    sum(f for _, _, f in parts), peak))
    return rows


def strongest(rows, epochs, key):
    """The peer row with the lowest finite key(row) among those trained `epochs` epochs."""
    rivals = [r for r in rows if r.impl.is_peer() and r.timing.epochs == epochs
              and finite_positive(key(r))]
    return min(rivals, key=key) if rivals else None


def headline(rows, epochs):
    """(table lines, sentence): tecscan against the strongest peer, steady and first run."""
    table = ["| model | tecscan steady s | strongest peer, steady | its steady s | tecscan faster "
             "by | tecscan first run s | strongest peer, first run | its first run s | tecscan "
             "faster by |", "|---|---:|---|---:|---:|---:|---|---:|---:|"]
    found = {}
    for model, model_rows in rows.items():
        base = model_rows[0]
        steady = strongest(model_rows, epochs, lambda r: r.timing.median())
        first = strongest(model_rows, epochs, lambda r: r.timing.first)
        found[model] = (base, steady, first)
        cells = [model if model != "all six" else "**all six**", base.timing.short()]
        cells += ["none at these epochs", "-", "-"] if steady is None else [
            f"{steady.name} ({steady.form})", steady.timing.short(),
            times(steady.timing.median() / base.timing.median())]
        cells.append(base.timing.first_text())
        cells += ["none at these epochs", "-", "-"] if first is None else [
            f"{first.name} ({first.form})", first.timing.first_text(),
            times(first.timing.first / base.timing.first)]
        table.append("| " + " | ".join(cells) + " |")
    base, steady, first = found.get("all six", (None, None, None))
    if steady is None:
        sentence = (f"No peer ran all six models with tecscan's {epochs} epochs: see the "
                    "per-model rows.")
    else:
        def said(ratio):
            return (f"{times(ratio)} faster" if ratio >= 1 else f"{times(1 / ratio)} slower")
        sentence = (f"tecscan is {said(steady.timing.median() / base.timing.median())} than "
                    f"the strongest peer ({steady.name}, {steady.form}) on all six models in the "
                    "steady state")
        if first is not None:
            sentence += (f", {said(first.timing.first / base.timing.first)} "
                         "including first-run compilation and start-up").replace(" faster ", " ")
            if first.name != steady.name:
                sentence += f" (against {first.name}, {first.form}, the strongest there)"
        sentence += "."
    return table, sentence


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", required=True,
                        help="tecscan run dir's scan.h5 (comma-separated: R runs, separate "
                        "processes; run 1 is the first run, 2..R the steady state)")
    parser.add_argument("--scan-wall-s",
                        help="process wall seconds of each --scan run (comma-separated, same "
                        "order); run 1's gives tecscan's start-up. Default: summary.json "
                        "timing_s total")
    parser.add_argument("--peer", action="append", default=[],
                        help="peer predictions .h5 (common.Results), or another tecscan run's "
                        "scan.h5 (comma-separated: repetitions of that run)")
    parser.add_argument("--peak-gflops", type=float, default=0,
                        help="measured FP32 peak of the machine at those threads")
    parser.add_argument("--peak-label", default="measured peak")
    parser.add_argument("--threshold", type=float, default=1.5)
    parser.add_argument("--title", default="tecscan vs peers")
    parser.add_argument("--md", help="also append the tables to this markdown file")
    parser.add_argument("--summary-md", help="write the summary table alone to this file")
    parser.add_argument("--headline-md",
                        help="write the headline (sentence, table, note) to this file, between "
                        "<!-- headline --> and <!-- /headline -->")
    args = parser.parse_args()
    inputs = args.scan.split(",") + [p for peer in args.peer for p in peer.split(",")]
    for path in inputs:
        if not os.path.isfile(path):
            parser.error(f"{path}: not a file")
        if not h5py.is_hdf5(path):
            parser.error(f"{path}: not an HDF5 file (a scan.h5 or a peer's .h5)")
    for out in (args.md, args.summary_md, args.headline_md):
        if out and any(common.same_file(out, p) for p in inputs):
            parser.error(f"{out}: is one of the inputs; choose another output file")

    paths = args.scan.split(",")
    walls = None
    if args.scan_wall_s:
        try:
            walls = [float(w) for w in args.scan_wall_s.split(",")]
        except ValueError:
            parser.error(f"--scan-wall-s: not a list of seconds: {args.scan_wall_s!r}")
        if len(walls) != len(paths):
            parser.error(f"--scan-wall-s has {len(walls)} values, --scan {len(paths)} runs")
    scan = Scan(paths[0], args.threshold, paths[1:], walls)
    peers = [read_peer(p) for p in args.peer]
    rows = speed_rows(scan, [scan.impl("tecscan")] + peers, args.peak_gflops)
    per_thread = any(r.timing.threads for rs in rows.values() for r in rs)
    runs = len(scan.summaries)

    devices = ", ".join(f"{m}: {d}" for m, d in scan.summary.get("devices", {}).items()
                        if m in common.MODELS and m in scan.predicted)
    tecscan_steady = (f"the median of runs 2..{runs}" if runs > 2 else "run 2" if runs == 2
                      else "its only run (so steady = first run)")
    startup_from = ("process wall (--scan-wall-s)" if walls else
                    "summary.json timing_s[\"total\"] (in-process: without process start and "
                    "library load)")
    lines = [
        f"## {args.title}", "",
        f"{scan.observed.shape[0]} nodes x {scan.observed.shape[1]} epochs, {scan.epochs} "
        f"epochs of training; tecscan devices: {devices}.", "",
        "Two times, both training + prediction of all nodes. **Steady state** excludes start-up, "
        "compilation and warm-up: for a peer, the median of its repetitions 2.. of each model in "
        "the same processes (range and count in parentheses); tecscan compiles nothing and runs "
        f"each repetition as a fresh process ({runs} run{'s' if runs > 1 else ''}), its steady "
        f"time is {tecscan_steady} of summary.json timing_s[\"train <m>\"]. **First run** "
        "includes the model's one-time cost (tracing, compilation, first-use allocations): a "
        "peer's first repetition; tecscan's run 1. **all six**: steady = the sum of the six "
        "steady times; first run = start-up + the sum of the six first-run times (peer: "
        "processes started, libraries imported and initialised, cube read, `startup_s`; "
        "tecscan: run 1's "
        f"{startup_from} minus its training times: cube read, DTEC, writing outputs). "
        "\"ext.\": timed on the nodes run and extrapolated linearly to all nodes; \"cold\": one "
        "repetition only, so the steady time is the cold run.", ""]

    table, sentence = headline(rows, scan.epochs)
    note = (f"Wall s, training + prediction of all {scan.observed.shape[0]} nodes, "
            f"{scan.epochs} epochs. Steady state: start-up, compilation and warm-up excluded "
            "(peer: median of its repetitions 2.. in the same processes; tecscan, which "
            "compiles nothing: median of its fresh-process runs 2..R, run 1 if R = 1). First "
            "run: the model's tracing/compilation included; on **all six** also the start-up "
            "(processes, imports, cube read). Strongest peer: the lowest time among the peers "
            "trained with "
            f"tecscan's {scan.epochs} epochs (\"tecscan seed ...\" rows are tecscan, not "
            "peers), chosen separately for the steady state and the first run; on **all six** "
            "the single implementation with the lowest total. \"tecscan faster by\": peer time "
            "/ tecscan time (> 1: tecscan faster). Form: processes x threads each. \"ext.\": "
            "timed on a node subset and extrapolated linearly; \"cold\": one repetition only.")
    block = [sentence, ""] + table + ["", note]
    lines += ["### Headline: tecscan vs the strongest peer", ""] + block + [""]

    # Summary: one line per model, peers side by side (tecscan's other-seed runs left out).
    names = list(dict.fromkeys(r.name for rs in rows.values() for r in rs if r.impl.is_peer()))
    summary = ["| model | tecscan steady s | tecscan first run s | " + " | ".join(
        f"{n} steady s | tecscan / {n} steady | {n} first run s | tecscan / {n} first run"
        for n in names) + " |", "|---|---:|---:|" + "---:|---:|---:|---:|" * len(names)]
    for model, model_rows in rows.items():
        by_name = {r.name: r for r in model_rows}
        base = by_name["tecscan"]
        cells = [model, base.timing.text(), base.timing.first_text()]
        for n in names:
            r = by_name.get(n)
            cells += [r.timing.text(), times(base.rate / r.rate), r.timing.first_text(),
                      times(base.first_rate / r.first_rate)] if r else ["-"] * 4
        summary.append("| " + " | ".join(cells) + " |")
    lines += ["### Summary (wall s; tecscan / peer > 1: tecscan faster)", ""] + summary + [""]

    head = ("| model | implementation | form | steady s (all nodes) | first run s | samples x "
            "epochs / s |")
    rule = "|---|---|---|---:|---:|---:|"
    if per_thread:
        head += " per thread |"
        rule += "---:|"
    head += " GFLOP/s |" + (f" % of {args.peak_label} |" if args.peak_gflops else "")
    rule += "---:|" + ("---:|" if args.peak_gflops else "")
    head += " tecscan / peer |" + (" tecscan / peer per thread |" if per_thread else "")
    rule += "---:|" + ("---:|" if per_thread else "")
    head += " tecscan / peer first run |"
    rule += "---:|"
    lines += ["### Speed", "", head, rule]
    for model, model_rows in rows.items():
        base = model_rows[0]
        for r in model_rows:
            cells = [model, r.name, r.form, r.timing.text(), r.timing.first_text(), fmt(r.rate)]
            if per_thread:
                cells.append(fmt(r.per_thread))
            cells.append(fmt(r.gflops))
            if args.peak_gflops:
                cells.append(fmt(r.peak_share, 2) + " %")
            cells.append(times(base.rate / r.rate))
            if per_thread:
                cells.append(times(base.per_thread / r.per_thread))
            cells.append(times(base.first_rate / r.first_rate))
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Throughput (samples x epochs / s, GFLOP/s, per thread) from the steady time. "
              "GFLOP/s: forward FLOPs per sample x 3 x samples x epochs / s, as "
              "bench_cpu_models counts them." + (
                  " Per thread: samples x epochs / s divided by the threads in use (peers: "
                  "workers x threads per worker, from the file; tecscan: its summary.json "
                  "devices)." if per_thread else ""), ""]

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
        for impl in peers:
            if model not in impl.preds:
                continue
            name, nodes = impl.name, impl.nodes
            pred, timing = impl.preds[model]
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
    outputs = [(args.md, "a", text + "\n\n"),
               (args.summary_md, "w", "\n".join(summary) + "\n"),
               (args.headline_md, "w",
                "\n".join(["<!-- headline -->"] + block + ["<!-- /headline -->"]) + "\n")]
    for path, mode, content in outputs:
        if not path:
            continue
        try:
            with open(path, mode) as f:
                f.write(content)
        except OSError as e:
            common.die(f"compare.py: cannot write {path}: {e.strerror}")


if __name__ == "__main__":
    main()

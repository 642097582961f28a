"""Shared by the peer benchmarks: read a tecscan cube, build the training windows exactly as
tecscan's make_windows (docs/models.md), and write predictions and timings.

Only numpy and h5py: Keras and PyTorch peers both import this.
"""
import json
import math
import time

import h5py
import numpy as np

MODELS = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]
WINDOW = 4  # [model] window
SUBSEQ = 2  # CNN-LSTM: 2 subsequences of WINDOW values
TRAIN_FRACTION = 0.65
BATCH = 32
LEARNING_RATE = 1e-3
EPSILON = 1e-7  # Keras 2 Adam


def input_length(model):
    return WINDOW * SUBSEQ if model == "cnn-lstm" else WINDOW


def read_cube(path):
    """Returns (tec [node, time] float32 with NaN = missing, time [time] hours since 1970)."""
    with h5py.File(path, "r") as f:
        tec = np.asarray(f["tec"][...], dtype=np.float32)
        hours = np.asarray(f["time"][...], dtype=np.float64)
    if tec.ndim != 2 or tec.shape[1] != hours.shape[0]:
        raise ValueError(f"{path}: /tec must be [node, time] matching /time, got {tec.shape}")
    return tec, hours


class NodeWindows:
    """Windows of one node. x_all [n_usable, L] normalised inputs, t_all their target epochs;
    x_train/y_train the training targets (t < floor(0.65 T), target finite)."""

    def __init__(self, series, length):
        series = np.asarray(series, dtype=np.float64)
        ntime = series.shape[0]
        finite = np.isfinite(series)
        self.length = length
        self.ntime = ntime
        self.n_train_cut = int(math.floor(TRAIN_FRACTION * ntime))
        self.ok = finite.sum() >= 2
        if self.ok:
            self.mean = series[finite].mean()
            self.std = series[finite].std(ddof=1)
            self.ok = self.std > 0  # a constant series gets no targets
        if not self.ok:
            self.mean, self.std = float("nan"), float("nan")
            self.t_all = np.zeros(0, dtype=np.int64)
            self.x_all = np.zeros((0, length), np.float32)
            self.x_train = np.zeros((0, length), np.float32)
            self.y_train = np.zeros(0, np.float32)
            return
        z = ((series - self.mean) / self.std).astype(np.float32)
        targets = np.arange(length, ntime)
        x = np.stack([z[t - length:t] for t in targets]) if len(targets) else np.zeros(
            (0, length), np.float32)
        usable = np.isfinite(x).all(axis=1)
        self.t_all = targets[usable]
        self.x_all = x[usable]
        train = (self.t_all < self.n_train_cut) & np.isfinite(z[self.t_all])
        self.x_train = self.x_all[train]
        self.y_train = z[self.t_all[train]]

    def denormalise_into(self, row, prediction):
        """row [time]: NaN everywhere except the usable targets, set to pred * std + mean."""
        row[:] = np.nan
        row[self.t_all] = np.asarray(prediction, np.float64).reshape(-1) * self.std + self.mean


def pick_nodes(nnode, count):
    """`count` nodes spread evenly over the grid (all when count <= 0 or >= nnode)."""
    if count <= 0 or count >= nnode:
        return list(range(nnode))
    return sorted({int(round(i * (nnode - 1) / max(count - 1, 1))) for i in range(count)})


class Results:
    """Predictions [node, time] per model, the nodes computed and the timings; written as
    HDF5: /predicted/<m> float32 [node, time] (NaN = not computed), /nodes int32 (the nodes
    computed), attrs on /predicted/<m>: seconds (measured on the subset), seconds_all_nodes
    (extrapolated linearly when a subset ran), train_samples (subset), train_samples_all."""

    def __init__(self, tec, nodes, peer, epochs):
        self.tec = tec
        self.nodes = list(nodes)
        self.peer = peer
        self.epochs = epochs
        self.predicted = {}
        self.timing = {}

    def samples_all_nodes(self, model):
        length = input_length(model)
        return int(sum(NodeWindows(row, length).y_train.size for row in self.tec))

    def add(self, model, predicted, seconds, train_samples):
        self.predicted[model] = predicted
        samples_all = self.samples_all_nodes(model)
        scale = samples_all / train_samples if train_samples else float("nan")
        self.timing[model] = {
            "seconds": seconds,
            "nodes": len(self.nodes),
            "nodes_all": int(self.tec.shape[0]),
            "train_samples": int(train_samples),
            "train_samples_all": samples_all,
            # Cost grows with the training samples (equal per node when no data is missing).
            "seconds_all_nodes": seconds * scale,
            "extrapolated": len(self.nodes) < self.tec.shape[0],
            "epochs": self.epochs,
        }
        t = self.timing[model]
        print(f"[{self.peer}] {model}: {seconds:.2f} s for {t['nodes']} nodes"
              + (f", extrapolated linearly to {t['nodes_all']} nodes: "
                 f"{t['seconds_all_nodes']:.1f} s" if t["extrapolated"] else ""), flush=True)

    def write(self, path):
        with h5py.File(path, "w") as f:
            f.attrs["peer"] = self.peer
            f.attrs["epochs"] = self.epochs
            f.create_dataset("nodes", data=np.asarray(self.nodes, np.int32))
            g = f.create_group("predicted")
            for model, pred in self.predicted.items():
                d = g.create_dataset(model, data=pred.astype(np.float32))
                for k, v in self.timing[model].items():
                    d.attrs[k] = v
        with open(path + ".json", "w") as f:
            json.dump({"peer": self.peer, "timing": self.timing}, f, indent=1)
        for model, pred in self.predicted.items():
            np.save(f"{path}.{model}.npy", pred.astype(np.float32))


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def parse_common(parser):
    parser.add_argument("--cube", required=True, help="tecscan cube .h5 (/tec [node,time])")
    parser.add_argument("--out", required=True, help="predictions .h5 (+ .json, .npy)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=0,
                        help="run this many nodes (spread over the grid) and extrapolate "
                        "linearly to all; 0 = all nodes")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0 = library default)")
    return parser

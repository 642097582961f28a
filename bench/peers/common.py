"""Shared by the peer benchmarks: read a tecscan cube, build the training windows exactly as
tecscan's make_windows (docs/models.md), and write predictions and timings.

Only numpy and h5py: Keras and PyTorch peers both import this.
"""
import argparse
import json
import math
import os
import statistics
import sys
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


def trainable_windows(model, tec, nodes):
    """[(node, NodeWindows)] of the nodes that have training targets (the batched peers)."""
    wins = [(n, NodeWindows(tec[n], input_length(model))) for n in nodes]
    return [(n, win) for n, win in wins if win.y_train.size]


def padded(arrays, size=None, width=()):
    """Per-node arrays stacked [node, size, *width], zero-padded (size: default the longest)."""
    size = max(a.shape[0] for a in arrays) if size is None else size
    out = np.zeros((len(arrays), size) + tuple(width), np.float32)
    for i, a in enumerate(arrays):
        out[i, :a.shape[0]] = a
    return out


def train_per_node(model, tec, nodes, predicted, fit_predict):
    """The loop of every per-node peer: each node's windows, `fit_predict(win)` (a model trained
    from fresh weights on win.x_train/y_train, its normalised predictions of win.x_all),
    de-normalised into predicted[n]. Returns the training samples of the nodes trained."""
    samples = 0
    for n in nodes:
        win = NodeWindows(tec[n], input_length(model))
        if win.y_train.size == 0:
            continue
        win.denormalise_into(predicted[n], fit_predict(win))
        samples += win.y_train.size
    return samples


def shards(nodes, workers):
    """The nodes split over `workers` processes, round robin (balanced when nothing is
    missing); empty shards are dropped."""
    return [part for part in (nodes[i::workers] for i in range(workers)) if part]


class Results:
    """Predictions [node, time] per model, the nodes computed and the timings; written as
    HDF5: /predicted/<m> float32 [node, time] (NaN = not computed), /nodes int32 (the nodes
    computed). Attributes of the file: peer, epochs, workers, threads_per_worker, startup_s
    (processes started, libraries imported and initialised, cube read: once per run). Attributes
    of /predicted/<m>: repeat_s (wall s of every repetition on the nodes run, the first one cold),
    train_samples (nodes run), train_samples_all, steady_s_all / first_s_all (all nodes: see
    `steady_and_first`), seconds_all_nodes (= steady_s_all; what older tables read),
    extrapolated."""

    def __init__(self, tec, nodes, peer, epochs, workers=1, threads_per_worker=0):
        self.tec = tec
        self.nodes = list(nodes)
        self.peer = peer
        self.epochs = epochs
        self.workers = workers
        self.threads_per_worker = threads_per_worker
        self.startup_s = float("nan")
        self.predicted = {}
        self.timing = {}

    def samples_all_nodes(self, model):
        length = input_length(model)
        return int(sum(NodeWindows(row, length).y_train.size for row in self.tec))

    @staticmethod
    def steady_and_first(repeat_s, scale):
        """(steady_s_all, first_s_all) from the repetitions' wall times on the nodes run.

        Repetition 1 runs the model for the first time in its processes (tracing, compilation,
        first-use allocations: cold); 2.. run the same work again (steady state). The steady time
        scales linearly with the training samples; the one-time cost (cold - steady) does not, so
        first_s_all = steady_s_all + (cold - steady). With one repetition both are the cold time
        scaled linearly (an over-estimate of the steady state)."""
        cold = repeat_s[0]
        if len(repeat_s) == 1:
            return cold * scale, cold * scale
        steady = statistics.median(repeat_s[1:])
        return steady * scale, steady * scale + max(cold - steady, 0.0)

    def add(self, model, predicted, repeat_s, train_samples):
        self.predicted[model] = predicted
        samples_all = self.samples_all_nodes(model)
        scale = samples_all / train_samples if train_samples else float("nan")
        steady, first = self.steady_and_first(repeat_s, scale)
        self.timing[model] = {
            "repeat_s": [float(s) for s in repeat_s],
            "nodes": len(self.nodes),
            "nodes_all": int(self.tec.shape[0]),
            "train_samples": int(train_samples),
            "train_samples_all": samples_all,
            "steady_s_all": steady,
            "first_s_all": first,
            "seconds_all_nodes": steady,
            # Cost grows with the training samples (equal per node when no data is missing).
            "extrapolated": len(self.nodes) < self.tec.shape[0],
            "epochs": self.epochs,
        }
        t = self.timing[model]
        where = (f"{t['nodes']} nodes, extrapolated linearly to {t['nodes_all']}"
                 if t["extrapolated"] else f"all {t['nodes']} nodes")
        print(f"[{self.peer}] {model}: steady {steady:.2f} s, first run {first:.2f} s ({where};"
              f" repetitions on the nodes run: {', '.join(f'{s:.2f}' for s in repeat_s)} s)",
              flush=True)

    def write(self, path):
        """Atomically (temp + rename): a time-boxed run keeps what it finished."""
        tmp = path + ".tmp"
        try:
            self._write_h5(tmp)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)  # nothing half-written stays
            raise
        with open(path + ".json", "w") as f:
            json.dump({"peer": self.peer, "workers": self.workers,
                       "threads_per_worker": self.threads_per_worker,
                       "startup_s": self.startup_s, "timing": self.timing}, f, indent=1)

    def _write_h5(self, tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["peer"] = self.peer
            f.attrs["epochs"] = self.epochs
            f.attrs["workers"] = self.workers
            f.attrs["threads_per_worker"] = self.threads_per_worker
            f.attrs["startup_s"] = self.startup_s
            f.create_dataset("nodes", data=np.asarray(self.nodes, np.int32))
            g = f.create_group("predicted")
            for model, pred in self.predicted.items():
                d = g.create_dataset(model, data=pred.astype(np.float32))
                for k, v in self.timing[model].items():
                    d.attrs[k] = v


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def parse_common(parser):
    parser.add_argument("--cube", required=True, help="tecscan cube .h5 (/tec [node,time])")
    parser.add_argument("--out", required=True, help="predictions .h5 (+ .json)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=0,
                        help="run this many nodes (spread over the grid) and extrapolate "
                        "linearly to all; 0 = all nodes")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads of each worker process (0 = the library's default)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes; the nodes are split between them (round robin) "
                        "and trained concurrently: node-parallel, as tecscan spreads nodes over "
                        "its threads. 1 = in this process")
    parser.add_argument("--repeats", type=int, default=2,
                        help="repetitions of every model in the same processes: the first is "
                        "the cold run (tracing/compilation included), the median of the others "
                        "the steady state")
    return parser


# ---- the runner: every peer is a module with add_arguments(parser) and setup(args) ------------
#
# setup(args) runs once in each process that trains (imports the framework, sets its threads
# from args.threads, initialises its runtime with a tiny operation so that start-up is not
# charged to the first model) and returns an object with
#   .name                                  e.g. "torch-pernode-cpu" (the row of the tables)
#   .train(model, tec, nodes, epochs, predicted) -> training samples
# which trains `model` on `nodes` from fresh initial weights and writes the de-normalised
# predictions into the rows `predicted[n]` ([node, time], NaN elsewhere).

def _setup(module_name, args, worker):
    """Import the peer module and run its setup, in this process; the worker's seed is
    args.seed + worker (the processes must not all draw the same initial weights)."""
    import importlib
    args = argparse.Namespace(**vars(args))
    args.seed += worker
    return importlib.import_module(module_name).setup(args)


def _worker(conn, module_name, args, worker, nodes):
    """A worker process: set up, report ready, then train each model it is told to."""
    try:
        tec, _ = read_cube(args.cube)
        trainer = _setup(module_name, args, worker)
        conn.send(("ready", trainer.name))
        while True:
            message = conn.recv()
            if message is None:
                return
            predicted = np.full(tec.shape, np.nan, np.float32)
            samples = trainer.train(message, tec, nodes, args.epochs, predicted)
            conn.send(("done", samples, predicted[nodes]))
    except BaseException as e:  # report it: the parent would otherwise wait forever
        import traceback
        conn.send(("error", f"worker {worker}: {e!r}\n{traceback.format_exc()}"))


class _Pool:
    """`workers` spawned processes, each owning one shard of the nodes for the whole run."""

    def __init__(self, module_name, args, parts):
        import multiprocessing as mp
        ctx = mp.get_context("spawn")  # fork after importing TensorFlow/torch is unsafe
        self.parts = parts
        self.pipes, self.procs = [], []
        for i, part in enumerate(parts):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, module_name, args, i, part),
                               daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        self.name = {self._receive(p, "ready")[1] for p in self.pipes}.pop()

    @staticmethod
    def _receive(pipe, kind):
        message = pipe.recv()
        if message[0] == "error":
            raise RuntimeError(message[1])
        if message[0] != kind:
            raise RuntimeError(f"expected {kind!r} from a worker, got {message[0]!r}")
        return message

    def train(self, model, predicted):
        for pipe in self.pipes:
            pipe.send(model)
        samples = 0
        for pipe, part in zip(self.pipes, self.parts):
            _, count, rows = self._receive(pipe, "done")
            predicted[part] = rows
            samples += count
        return samples

    def close(self):
        for pipe in self.pipes:
            pipe.send(None)
        for proc in self.procs:
            proc.join(timeout=30)


def die(message):
    """A bad input or an unwritable output: the message on stderr, exit status 2."""
    print(message, file=sys.stderr, flush=True)
    sys.exit(2)


def same_file(a, b):
    """True when both paths exist and are one file (an output must never replace an input)."""
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def process_age_s():
    """Seconds since this process started (Linux /proc): the start-up of a peer run counts
    from there, so that interpreter start and imports are in it however the script is laid out."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def run_peer(module_name, description):
    """The command line of a peer script: parse, start the workers (or set up in-process),
    run every model --repeats times, write --out after each model."""
    module = __import__(module_name)
    parser = parse_common(argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter))
    module.add_arguments(parser)
    args = parser.parse_args()
    for name in ("workers", "repeats", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.nodes < 0 or args.threads < 0:
        parser.error("--nodes and --threads must be >= 0 (0: all nodes / the library default)")
    unknown = [m for m in args.models.split(",") if m not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)} (known: {', '.join(MODELS)})")
    if not os.path.isfile(args.cube):
        parser.error(f"--cube {args.cube}: not a file")
    if same_file(args.out, args.cube) or same_file(args.out + ".json", args.cube):
        parser.error(f"--out {args.out} would overwrite the cube it reads")
    try:
        tec, _ = read_cube(args.cube)
    except (OSError, KeyError, ValueError) as e:
        parser.error(f"--cube {args.cube}: not a tecscan cube ({e})")
    nodes = pick_nodes(tec.shape[0], args.nodes)
    # Start-up counts from the start of this process (interpreter and imports included).
    if args.workers == 1:
        trainer = _setup(module_name, args, 0)
        name = trainer.name

        def train(model, predicted):
            return trainer.train(model, tec, nodes, args.epochs, predicted)
        close = None
    else:
        pool = _Pool(module_name, args, shards(nodes, args.workers))
        name, train, close = pool.name, pool.train, pool.close
    startup_s = process_age_s()
    form = (f"{args.workers} processes x {args.threads or 'default'} thread(s), nodes split"
            if args.workers > 1 else f"1 process x {args.threads or 'default'} thread(s)")
    print(f"[{name}] {form}; start-up {startup_s:.2f} s; {len(nodes)} of {tec.shape[0]} "
          f"nodes; {args.epochs} epochs; {args.repeats} repetitions per model", flush=True)
    results = Results(tec, nodes, name, args.epochs, args.workers, args.threads)
    results.startup_s = startup_s
    try:
        for model in args.models.split(","):
            kept, repeat_s, samples = None, [], 0
            for _ in range(args.repeats):
                predicted = np.full(tec.shape, np.nan, np.float32)
                with Stopwatch() as watch:
                    samples = train(model, predicted)
                repeat_s.append(watch.seconds)
                kept = predicted if kept is None else kept  # the answers of the first run
            results.add(model, kept, repeat_s, samples)
            try:  # after every model: a time-boxed run keeps what it finished
                results.write(args.out)
            except OSError as e:
                die(f"{module_name}: cannot write --out {args.out}: {e}")
    finally:
        if close:
            close()

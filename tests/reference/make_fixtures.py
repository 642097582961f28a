#!/usr/bin/env python3
"""Golden reference fixtures for tests/test_golden.cpp, computed by Keras itself.

For each of the six predictors (and the activation / GRU variants tecscan supports) this builds
the Keras model with small sizes, sets its weights from a seeded NumPy RNG, records the forward
output on a fixed batch, the gradient of the MSE loss, then three Adam steps on three fixed
batches (loss before each step and the final weights). Everything is done twice, in float32 (what
tecscan trains in) and float64 (so the C++ double models can be checked to ~1e-12).

Weights are stored flat, in Keras' get_weights() order, which is tecscan's parameter layout
(include/tecscan/model.hpp). Floats are written with repr(float(x)), which round-trips exactly.

It also writes fixtures/init_stats.json: statistics of Keras' own default-initialised weights
(no set_weights) for tecscan's default sizes and for every fixture configuration, over several
seeds, which tests/test_keras_init.cpp compares with tecscan's init_parameters().

Usage (see README.md):  /work/venv-ref/bin/python tests/reference/make_fixtures.py [init_stats]
(with `init_stats`, only fixtures/init_stats.json is written)
"""
import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain Eigen kernels, reproducible sums

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

try:
    import keras  # noqa: E402

    KERAS_VERSION = keras.__version__
except Exception:  # pragma: no cover
    KERAS_VERSION = "unknown"

BATCH = 8
STEPS = 3
SEED_TRIES = 12
ADAM = dict(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

# name -> (tecscan model kind, ModelConfig fields that differ from the defaults).
CASES = {
    "mlp": ("mlp", dict(window=4, mlp_hidden=6)),
    # window 7, kernel 2: conv lengths 6 and 5, pool 2 floors to 2 steps (flatten order matters).
    "cnn": ("cnn", dict(window=7, cnn_filters=4, cnn_kernel=2, cnn_pool=2)),
    "rnn": ("rnn", dict(window=4, rnn_units=5)),
    "gru": ("gru", dict(window=4, gru_units=5, gru_reset_after=True)),
    "gru_reset_before": ("gru", dict(window=4, gru_units=5, gru_reset_after=False)),
    "lstm_sigmoid": ("lstm", dict(window=4, lstm_units=5, lstm_dense=3,
                                  lstm_activation="sigmoid")),
    "lstm_tanh": ("lstm", dict(window=4, lstm_units=5, lstm_dense=3, lstm_activation="tanh")),
    # window 8, kernel 3: conv lengths 6 and 4, pool 2 -> 2 steps of 4 filters = 8 LSTM inputs.
    "cnn_lstm_relu": ("cnn-lstm", dict(window=8, cnnlstm_subseq=2, cnn_filters=4, cnn_kernel=3,
                                       cnn_pool=2, cnnlstm_units=5, cnnlstm_activation="relu")),
    "cnn_lstm_tanh": ("cnn-lstm", dict(window=4, cnnlstm_subseq=3, cnn_filters=3, cnn_kernel=2,
                                       cnn_pool=2, cnnlstm_units=4, cnnlstm_activation="tanh")),
}


# tecscan's ModelConfig defaults (include/tecscan/model.hpp, configs/default.toml [model]).
DEFAULT_CONFIG = dict(window=4, mlp_hidden=100, cnn_filters=100, cnn_kernel=2, cnn_pool=2,
                      rnn_units=100, gru_units=100, gru_reset_after=True, lstm_units=200,
                      lstm_dense=100, lstm_activation="sigmoid", cnnlstm_subseq=2,
                      cnnlstm_units=100, cnnlstm_activation="relu")
DEFAULT_KINDS = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]
INIT_SEEDS = list(range(8))


def input_length(kind, cfg):
    return cfg["window"] * (cfg["cnnlstm_subseq"] if kind == "cnn-lstm" else 1)


def build(kind, cfg):
    """The Keras model of one tecscan predictor; input is always [batch, input_length]."""
    L = tf.keras.layers
    w = cfg["window"]
    n_in = input_length(kind, cfg)
    inp = L.Input(shape=(n_in,))
    if kind == "mlp":
        h = L.Dense(cfg["mlp_hidden"], activation="relu")(inp)
        h = L.Dense(cfg["mlp_hidden"], activation="relu")(h)
    elif kind == "cnn":
        h = L.Reshape((w, 1))(inp)
        h = L.Conv1D(cfg["cnn_filters"], cfg["cnn_kernel"], activation="relu")(h)
        h = L.Conv1D(cfg["cnn_filters"], cfg["cnn_kernel"], activation="relu")(h)
        h = L.MaxPooling1D(cfg["cnn_pool"])(h)
        h = L.Flatten()(h)
    elif kind == "rnn":
        h = L.Reshape((w, 1))(inp)
        h = L.SimpleRNN(cfg["rnn_units"], activation="tanh")(h)
    elif kind == "gru":
        h = L.Reshape((w, 1))(inp)
        h = L.GRU(cfg["gru_units"], activation="tanh", recurrent_activation="sigmoid",
                  reset_after=cfg["gru_reset_after"])(h)
    elif kind == "lstm":
        h = L.Reshape((w, 1))(inp)
        h = L.LSTM(cfg["lstm_units"], activation=cfg["lstm_activation"],
                   recurrent_activation="sigmoid")(h)
        h = L.Dense(cfg["lstm_dense"])(h)
    elif kind == "cnn-lstm":
        h = L.Reshape((cfg["cnnlstm_subseq"], w, 1))(inp)
        h = L.TimeDistributed(L.Conv1D(cfg["cnn_filters"], cfg["cnn_kernel"],
                                       activation="relu"))(h)
        h = L.TimeDistributed(L.Conv1D(cfg["cnn_filters"], cfg["cnn_kernel"],
                                       activation="relu"))(h)
        h = L.TimeDistributed(L.MaxPooling1D(cfg["cnn_pool"]))(h)
        h = L.TimeDistributed(L.Flatten())(h)
        h = L.LSTM(cfg["cnnlstm_units"], activation=cfg["cnnlstm_activation"],
                   recurrent_activation="sigmoid")(h)
    else:
        raise ValueError(kind)
    out = L.Dense(1)(h)
    return tf.keras.Model(inp, out)


def draw_case(seed, kind, cfg, shapes, names):
    """Seeded weights and data, independent of the float type."""
    rng = np.random.default_rng(seed)
    # Kernels Uniform(-0.5, 0.5); biases non-zero too (every term of every gate matters) and
    # mostly positive so that few ReLU units are dead and most gradients are tested.
    weights = [rng.uniform(-0.2, 0.6, size=s) if "bias" in n else rng.uniform(-0.5, 0.5, size=s)
               for s, n in zip(shapes, names)]
    n_in = input_length(kind, cfg)
    xs = [rng.normal(0.0, 1.0, size=(BATCH, n_in)) for _ in range(STEPS)]
    ys = [rng.normal(0.0, 1.0, size=(BATCH, 1)) for _ in range(STEPS)]
    return weights, xs, ys


def run(kind, cfg, weights, xs, ys, dtype):
    tf.keras.backend.set_floatx(dtype)
    tf.keras.backend.clear_session()
    model = build(kind, cfg)
    model.set_weights([w.astype(dtype) for w in weights])
    opt = tf.keras.optimizers.Adam(**ADAM)
    mse = tf.keras.losses.MeanSquaredError()
    names = [v.name for v in model.trainable_variables]
    forward = model(xs[0].astype(dtype), training=False).numpy().ravel()
    losses, grad0 = [], None
    for step in range(STEPS):
        x = tf.constant(xs[step].astype(dtype))
        y = tf.constant(ys[step].astype(dtype))
        with tf.GradientTape() as tape:
            loss = mse(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        if step == 0:
            grad0 = np.concatenate([g.numpy().ravel() for g in grads])
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss.numpy()))
    final = np.concatenate([w.ravel() for w in model.get_weights()])
    return names, dict(forward=forward, grad=grad0, losses=np.array(losses), final_params=final)


def flist(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def initializer_name(model, weight):
    """Keras' initializer of one weight, e.g. "GlorotUniform", "Orthogonal", "Zeros"."""
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)  # TimeDistributed wraps the Conv1D
        cell = getattr(inner, "cell", inner)  # the recurrent layers keep their weights in a cell
        for attr, init_attr in (("kernel", "kernel_initializer"),
                                ("recurrent_kernel", "recurrent_initializer"),
                                ("bias", "bias_initializer")):
            if getattr(cell, attr, None) is weight:
                init = getattr(cell, init_attr)
                name = type(init).__name__
                if attr == "bias" and getattr(cell, "unit_forget_bias", False):
                    name += "+unit_forget_bias"
                return name
    raise ValueError(weight.name)


def init_stats_case(name, kind, cfg):
    """Per-tensor statistics of Keras' default initialisation, one entry per seed."""
    tensors = None
    for seed in INIT_SEEDS:
        tf.keras.backend.set_floatx("float32")
        tf.keras.backend.clear_session()
        tf.keras.utils.set_random_seed(seed)
        model = build(kind, cfg)
        if tensors is None:
            tensors = [dict(name=w.name, shape=list(w.shape), initializer=initializer_name(model, w),
                            min=[], max=[], mean=[], std=[], values=[])
                       for w in model.weights]
        for t, w in zip(tensors, model.get_weights()):
            a = w.astype(np.float64)
            t["min"].append(float(a.min()))
            t["max"].append(float(a.max()))
            t["mean"].append(float(a.mean()))
            t["std"].append(float(a.std()))
            t["values"].append(a.ravel())
            if a.ndim == 2 and t["initializer"] == "Orthogonal":
                # Orthonormal rows (W W^T = I) or columns (W^T W = I): which one Keras makes.
                rows = np.abs(a @ a.T - np.eye(a.shape[0])).max()
                cols = np.abs(a.T @ a - np.eye(a.shape[1])).max()
                t.setdefault("rows_orthonormal_err", []).append(float(rows))
                t.setdefault("cols_orthonormal_err", []).append(float(cols))
                sv = np.linalg.svd(a, compute_uv=False)
                t.setdefault("singular_min", []).append(float(sv.min()))
                t.setdefault("singular_max", []).append(float(sv.max()))
    for t in tensors:
        values = t.pop("values")
        # A tensor every seed initialises alike (zeros, the LSTM forget bias) is kept whole.
        if all(np.array_equal(v, values[0]) for v in values[1:]):
            t["constant"] = flist(values[0])
    return dict(name=name, kind=kind, config=cfg, tensors=tensors)


def write_init_stats(versions):
    cases = [init_stats_case("default_" + kind.replace("-", "_"), kind, dict(DEFAULT_CONFIG))
             for kind in DEFAULT_KINDS]
    for name, (kind, overrides) in CASES.items():
        cfg = dict(DEFAULT_CONFIG)
        cfg.update(overrides)
        cases.append(init_stats_case(name, kind, cfg))
    doc = dict(versions=versions, seeds=INIT_SEEDS,
               what="Keras default initialisers (no set_weights), float32, one entry per seed",
               cases=cases)
    path = os.path.join(OUT_DIR, "init_stats.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {len(cases)} cases x {len(INIT_SEEDS)} seeds", file=sys.stderr)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    versions = dict(tensorflow=tf.__version__, keras=KERAS_VERSION, numpy=np.__version__,
                    python=platform.python_version())
    write_init_stats(versions)
    if sys.argv[1:] == ["init_stats"]:
        return
    for name, (kind, overrides) in CASES.items():
        cfg = dict(window=4, cnnlstm_subseq=2)
        cfg.update(overrides)
        model = build(kind, cfg)
        shapes = [w.shape for w in model.get_weights()]
        tensor_names = [v.name for v in model.weights]
        # Of a few seeds, keep the one with the fewest exactly-zero gradients (dead ReLUs), so
        # that the fixture exercises as many weights as possible.
        base = sum(ord(ch) * 131 ** i for i, ch in enumerate(name)) % (2 ** 32)
        best = None
        for seed in range(base, base + SEED_TRIES):
            weights, xs, ys = draw_case(seed, kind, cfg, shapes, tensor_names)
            _, res = run(kind, cfg, weights, xs, ys, "float64")
            zeros = int(np.sum(res["grad"] == 0))
            if best is None or zeros < best[0]:
                best = (zeros, seed)
            if zeros == 0:
                break
        seed = best[1]
        weights, xs, ys = draw_case(seed, kind, cfg, shapes, tensor_names)
        doc = dict(name=name, kind=kind, config=cfg, versions=versions, seed=seed, batch=BATCH,
                   steps=STEPS, adam=ADAM, tensors=[list(s) for s in shapes])
        for dtype in ("float32", "float64"):
            cast = [w.astype(dtype) for w in weights]  # float32 rounding happens here, once
            names, res = run(kind, cfg, cast, xs, ys, dtype)
            doc["tensor_names"] = names
            doc[dtype] = dict(
                params=flist(np.concatenate([w.ravel() for w in cast])),
                x=[flist(x.astype(dtype)) for x in xs],
                y=[flist(y.astype(dtype)) for y in ys],
                forward=flist(res["forward"]), grad=flist(res["grad"]),
                losses=flist(res["losses"]), final_params=flist(res["final_params"]))
        path = os.path.join(OUT_DIR, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {sum(int(np.prod(s)) for s in shapes)} parameters, seed {seed}, "
              f"{best[0]} zero gradients", file=sys.stderr)


if __name__ == "__main__":
    main()

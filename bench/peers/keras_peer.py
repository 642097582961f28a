"""The six Table-1 models in Keras (Adam 1e-3, eps 1e-7, MSE, batch 32, shuffle), in two forms:

  --form per-node : the paper's scripts: a new keras.Sequential per node and architecture,
                    compile, fit, predict (building and tracing a model per node is part of
                    the cost such a script pays: it is inside every repetition's time).
  --form reused   : what a competent Keras user does: one compiled model per architecture and
                    process, reused for every node with fresh initial weights (the layers' own
                    Keras-default initializers, drawn anew) and the Adam state reset (moments and
                    iteration count zeroed); --jit compiles its train step with XLA
                    (jit_compile=True). Tracing/compilation happens once per model and process:
                    in the cold (first) repetition only.

Timing (common.run_peer): every model runs --repeats times in the same processes; the first
run is cold, the median of the others is the steady state. --workers P splits the nodes over
P processes of --threads threads each (node-parallel). With --nodes N only N nodes run and the
steady time is extrapolated linearly to all nodes (the one-time cost is added once).

  python keras_peer.py --cube cube.h5 --out keras.h5 --epochs 10 --nodes 8 --workers 2 --threads 1
  python keras_peer.py --cube cube.h5 --out k.h5 --form reused --jit --nodes 8 --workers 2 \
      --threads 1
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402


def build(model, keras, jit_compile="auto"):
    L = keras.layers
    w = common.WINDOW
    if model == "mlp":
        layers = [keras.Input((w,)), L.Dense(100, activation="relu"),
                  L.Dense(100, activation="relu"), L.Dense(1)]
    elif model == "cnn":
        layers = [keras.Input((w, 1)), L.Conv1D(100, 2, activation="relu"),
                  L.Conv1D(100, 2, activation="relu"), L.MaxPooling1D(2), L.Flatten(),
                  L.Dense(1)]
    elif model == "rnn":
        layers = [keras.Input((w, 1)), L.SimpleRNN(100), L.Dense(1)]
    elif model == "gru":
        layers = [keras.Input((w, 1)), L.GRU(100, reset_after=True), L.Dense(1)]
    elif model == "lstm":
        layers = [keras.Input((w, 1)), L.LSTM(200, activation="sigmoid"), L.Dense(100),
                  L.Dense(1)]
    elif model == "cnn-lstm":
        td = L.TimeDistributed
        layers = [keras.Input((common.SUBSEQ, w, 1)),
                  td(L.Conv1D(100, 2, activation="relu")),
                  td(L.Conv1D(100, 2, activation="relu")), td(L.MaxPooling1D(2)),
                  td(L.Flatten()), L.LSTM(100, activation="relu"), L.Dense(1)]
    else:
        raise ValueError(model)
    net = keras.Sequential(layers)
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=common.LEARNING_RATE,
                                                epsilon=common.EPSILON), loss="mse",
                jit_compile=jit_compile)
    return net


def shape_inputs(model, x):
    if model == "mlp":
        return x
    if model == "cnn-lstm":  # 8 values -> 2 subsequences of 4, oldest first
        return x.reshape(-1, common.SUBSEQ, common.WINDOW, 1)
    return x[..., None]


def fresh_weights(net, keras, seeds):
    """Re-draw every weight of `net` as a newly built model would: Glorot-uniform kernels,
    orthogonal recurrent kernels, zero biases, LSTM forget-gate bias 1 (unit_forget_bias)."""
    glorot = keras.initializers.GlorotUniform(seed=seeds)
    orthogonal = keras.initializers.Orthogonal(seed=seeds)
    for layer in net.layers:
        for w in layer.weights:
            kind = w.path.rsplit("/", 1)[-1]
            if kind == "recurrent_kernel":
                w.assign(orthogonal(w.shape))
            elif kind == "kernel":
                w.assign(glorot(w.shape))
            elif kind == "bias":
                value = np.zeros(w.shape, np.float32)
                if isinstance(layer, keras.layers.LSTM):
                    units = layer.units
                    value[units:2 * units] = 1.0
                w.assign(value)
            else:
                raise RuntimeError(f"keras_peer: no initializer known for weight {w.path}")


def reset_optimizer(net):
    """Adam as freshly built: iteration 0, zero moments (the learning rate is kept)."""
    for v in net.optimizer.variables:
        if not v.path.endswith("learning_rate"):
            v.assign(np.zeros(v.shape, v.dtype))


class Trainer:
    def __init__(self, args, keras):
        self.keras = keras
        self.form = args.form
        self.jit = args.jit
        self.nets = {}  # reused form: one compiled model per architecture
        self.seeds = keras.random.SeedGenerator(args.seed)
        self.name = "keras-per-node" if args.form == "per-node" else (
            "keras-reused" + ("-jit" if args.jit else ""))

    def net(self, model):
        keras = self.keras
        if self.form == "per-node":
            keras.backend.clear_session()
            return build(model, keras)
        if model not in self.nets:
            self.nets[model] = build(model, keras, jit_compile=True if self.jit else "auto")
        net = self.nets[model]
        fresh_weights(net, keras, self.seeds)
        if net.optimizer.built:
            reset_optimizer(net)
        return net

    def train(self, model, tec, nodes, epochs, predicted):
        def fit_predict(win):
            net = self.net(model)
            net.fit(shape_inputs(model, win.x_train), win.y_train, batch_size=common.BATCH,
                    epochs=epochs, shuffle=True, verbose=0)
            return net.predict(shape_inputs(model, win.x_all), batch_size=1024, verbose=0)
        return common.train_per_node(model, tec, nodes, predicted, fit_predict)


def add_arguments(parser):
    parser.add_argument("--form", choices=["per-node", "reused"], default="per-node")
    parser.add_argument("--jit", action="store_true",
                        help="reused form: compile the train step with XLA (jit_compile=True)")


def setup(args):
    """Threads and seed of this process; a tiny operation initialises TensorFlow's runtime
    (thread pools, oneDNN) so that start-up is not charged to the first model."""
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")  # per-node models retrace by design: that is the cost
    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras
    keras.utils.set_random_seed(args.seed)
    float(tf.reduce_sum(tf.matmul(tf.ones((64, 64)), tf.ones((64, 64)))))
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}", flush=True)
    return Trainer(args, keras)


if __name__ == "__main__":
    common.run_peer("keras_peer", __doc__)
